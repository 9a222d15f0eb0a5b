/* pensionctl archive verify PACKAGE [--ca FILE]: checks an archival package offline (its
 * container, the manifest's signature against the CA, every document's size, SHA-256 and
 * SM3). docs/formats/archive.md. pensionctl only. */
#include "ph-archive-package.h"
#include "ph-config.h"
#include "ph-ctl-store.h"

#define PH_CTL_ARCHIVE_USAGE "archive verify PACKAGE [--ca FILE]"

static int
ph_ctl_archive_verify(PhCtl *ctl, int argc, char **argv)
{
	g_autofree gchar *ca = NULL;
	g_autoptr(GError) error = NULL;
	const GOptionEntry entries[] = {
	        {"ca", 0, 0, G_OPTION_ARG_FILENAME, &ca, "trusted CA certificates (PEM)", "FILE"},
	        {NULL},
	};
	if (!ph_ctl_store_parse(PH_CTL_ARCHIVE_USAGE, entries, &argc, &argv) || argc != 2)
		return ph_ctl_usage(PH_CTL_ARCHIVE_USAGE);
	if (ca == NULL) {
		/* offline, without a config: --ca is then needed */
		PhConfig *config = ph_ctl_config(ctl, &error);
		if (config == NULL)
			return ph_ctl_fail(error);
		ca = g_strdup(config->tls_ca);
	}
	gchar *data = NULL;
	gsize length = 0;
	if (!g_file_get_contents(argv[1], &data, &length, &error))
		return ph_ctl_fail(error);
	g_autoptr(GBytes) package = g_bytes_new_take(data, length);
	g_autoptr(PhXmlVerifier) verifier = ph_xml_verifier_new(ca, &error);
	PhArchiveCheck check = {0};
	if (verifier == NULL || !ph_archive_package_verify(package, verifier, &check, &error))
		return ph_ctl_fail(error);
	g_print("%s: ok: %s case %s, %u documents, fixity SHA-256 and SM3 match, manifest signed "
	        "by %s\n",
	        argv[1], check.case_type, check.case_id, check.documents, check.signer);
	ph_archive_check_clear(&check);
	return PH_CTL_EXIT_OK;
}

int
ph_ctl_archive_main(PhCtl *ctl, int argc, char **argv)
{
	if (argc >= 2 && g_str_equal(argv[1], "verify"))
		return ph_ctl_archive_verify(ctl, argc - 1, argv + 1);
	return ph_ctl_usage(PH_CTL_ARCHIVE_USAGE);
}
