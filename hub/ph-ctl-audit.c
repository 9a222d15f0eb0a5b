/* pensionctl audit verify [--from ID] [--to ID] | seal: checks the hash chain and the signed
 * heads of the audit log, or seals the head now; and the operator identity every pensionctl
 * command records as its audit actor. pensionctl only. */
#include "ph-audit-seal.h"
#include "ph-audit-verify.h"
#include "ph-audit.h"
#include "ph-config.h"
#include "ph-ctl-store.h"

#define PH_CTL_AUDIT_USAGE "audit verify [--from ID] [--to ID] | seal"

const gchar *
ph_ctl_operator(PhCtl *ctl)
{
	static gchar *name = NULL; /* one pensionctl run acts for one operator */
	if (name != NULL)
		return name;
	PhConfig *config = ctl != NULL ? ph_ctl_config(ctl, NULL) : NULL;
	g_autofree gchar *configured =
	        config != NULL ? g_key_file_get_string(config->keyfile, "audit", "operator", NULL)
	                       : NULL;
	name = configured != NULL ? g_strdup(configured)
	                          : g_strdup_printf("operator:%s", g_get_user_name());
	return name;
}

gboolean
ph_ctl_audit(PhCtl *ctl, gpointer db, const gchar *action, const gchar *object, GBytes *payload,
             GError **error)
{
	return ph_audit_append(db, ph_ctl_operator(ctl), action, object, payload, error);
}

static int
ph_ctl_audit_verify(PhCtl *ctl, PhDb *db, int argc, char **argv)
{
	gint64 from = 0;
	gint64 to = 0;
	g_autoptr(GError) error = NULL;
	const GOptionEntry entries[] = {
	        {"from", 0, 0, G_OPTION_ARG_INT64, &from, "first entry id", "ID"},
	        {"to", 0, 0, G_OPTION_ARG_INT64, &to, "last entry id", "ID"},
	        {NULL},
	};
	if (!ph_ctl_store_parse(PH_CTL_AUDIT_USAGE, entries, &argc, &argv) || argc != 1 ||
	    from < 0 || to < 0)
		return ph_ctl_usage(PH_CTL_AUDIT_USAGE);
	g_autoptr(PhAuditSigner) signer = ph_audit_signer_new(ph_ctl_config(ctl, NULL), &error);
	if (signer == NULL) {
		g_printerr("pensionctl: seals not checked: %s\n", error->message);
		g_clear_error(&error);
	}
	/* Entries still waiting in audit_pending enter the chain first, so that verify covers
	 * everything committed. */
	if (!ph_audit_link(db, NULL, &error))
		return ph_ctl_fail(error);
	g_autoptr(PhAuditReport) report = ph_audit_verify(db, signer, from, to, &error);
	if (report == NULL)
		return ph_ctl_fail(error);
	for (guint i = 0; i < report->findings->len; i++)
		g_print("%s\n", (const gchar *)g_ptr_array_index(report->findings, i));
	g_print("%" G_GINT64_FORMAT " entries, %" G_GINT64_FORMAT
	        " seals (newest: entry %" G_GINT64_FORMAT "): %s\n",
	        report->entries, report->seals, report->last_seal,
	        report->findings->len == 0 ? "ok" : "TAMPERED");
	return report->findings->len == 0 ? PH_CTL_EXIT_OK : PH_CTL_EXIT_FAILED;
}

static int
ph_ctl_audit_seal(PhCtl *ctl, PhDb *db)
{
	g_autoptr(GError) error = NULL;
	gint64 sealed = 0;
	g_autoptr(PhAuditSigner) signer = ph_audit_signer_new(ph_ctl_config(ctl, NULL), &error);
	if (signer == NULL || !ph_audit_seal_head(db, signer, &sealed, &error))
		return ph_ctl_fail(error);
	if (sealed == 0)
		g_print("nothing new to seal\n");
	else
		g_print("sealed entry %" G_GINT64_FORMAT "\n", sealed);
	return PH_CTL_EXIT_OK;
}

int
ph_ctl_audit_main(PhCtl *ctl, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	if (argc < 2)
		return ph_ctl_usage(PH_CTL_AUDIT_USAGE);
	if (ph_ctl_config(ctl, &error) == NULL)
		return ph_ctl_fail(error);
	PhDb *db = ph_ctl_db(ctl, &error);
	if (db == NULL)
		return ph_ctl_fail(error);
	if (g_str_equal(argv[1], "verify"))
		return ph_ctl_audit_verify(ctl, db, argc - 1, argv + 1);
	if (g_str_equal(argv[1], "seal") && argc == 2)
		return ph_ctl_audit_seal(ctl, db);
	return ph_ctl_usage(PH_CTL_AUDIT_USAGE);
}
