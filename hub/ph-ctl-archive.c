/* pensionctl archive verify PACKAGE [--ca FILE]: checks an archival package offline (its
 * container, the manifest's signature against the CA, every document's size, SHA-256 and
 * SM3); pensionctl archive show CASE: the case's package, its delivery to the archive and the
 * archive's receipt (plugins/archive). docs/formats/archive.md. pensionctl only. */
#include <json-glib/json-glib.h>

#include "ph-archive-package.h"
#include "ph-config.h"
#include "ph-ctl-store.h"
#include "ph-state.h"

#define PH_CTL_ARCHIVE_USAGE "archive verify PACKAGE [--ca FILE] | show CASE"
/* The archive plugin's outbox topic and its name for plugin_state (plugins/archive). */
#define PH_CTL_ARCHIVE_TOPIC  "archive.package"
#define PH_CTL_ARCHIVE_PLUGIN "archive"

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
	/* mapped, not read: a payout batch's package is as large as its files */
	g_autoptr(GMappedFile) mapped = g_mapped_file_new(argv[1], FALSE, &error);
	if (mapped == NULL)
		return ph_ctl_fail(error);
	g_autoptr(GBytes) package = g_mapped_file_get_bytes(mapped);
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

/* Prints the case's latest delivery (outbox or dead letter); FALSE when it has none. */
static gboolean
ph_ctl_archive_show_delivery(PhDb *db, const gchar *case_id, GError **error)
{
	const gchar *params[] = {PH_CTL_ARCHIVE_TOPIC, case_id};
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "SELECT id, state, attempts, coalesce(last_error, ''), "
	        "coalesce(delivered_at::text, '') FROM outbox WHERE topic = $1 AND key = $2 "
	        "UNION ALL SELECT id, 'dead', attempts, last_error, '' FROM dead_letter "
	        "WHERE topic = $1 AND key = $2 ORDER BY 1 DESC LIMIT 1",
	        2, params, error);
	if (result == NULL)
		return FALSE;
	if (PQntuples(result) == 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_NOT_FOUND,
		            "archive case %s: no package queued for the archive", case_id);
		return FALSE;
	}
	g_print("case: %s\noutbox: %s\ndelivery: %s\nattempts: %s\n", case_id,
	        PQgetvalue(result, 0, 0), PQgetvalue(result, 0, 1), PQgetvalue(result, 0, 2));
	if (PQgetvalue(result, 0, 4)[0] != '\0')
		g_print("delivered at: %s\n", PQgetvalue(result, 0, 4));
	if (PQgetvalue(result, 0, 3)[0] != '\0')
		g_print("last error: %s\n", PQgetvalue(result, 0, 3));
	return TRUE;
}

/* Prints the package and receipt the plugin kept (ph_archive_api_record_receipt). */
static gboolean
ph_ctl_archive_show_receipt(PhDb *db, const gchar *case_id, GError **error)
{
	g_autofree gchar *key = g_strconcat("case:", case_id, NULL);
	g_autoptr(GError) local = NULL;
	g_autoptr(GBytes) value = ph_state_get(db, PH_CTL_ARCHIVE_PLUGIN, key, &local);
	if (value == NULL && g_error_matches(local, PH_ERROR, PH_ERROR_NOT_FOUND)) {
		g_print("receipt: none yet\n");
		return TRUE;
	}
	if (value == NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	g_autofree gchar *text = g_strndup(g_bytes_get_data(value, NULL), g_bytes_get_size(value));
	g_autoptr(JsonNode) root = json_from_string(text, error);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_clear_error(error);
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "archive case %s: the kept receipt is not a JSON object", case_id);
		return FALSE;
	}
	JsonObject *receipt = json_node_get_object(root);
	g_print("package: %s\nsha256: %s\nbytes: %" G_GINT64_FORMAT "\nreceipt: %s\n",
	        json_object_get_string_member_with_default(receipt, "package_id", "-"),
	        json_object_get_string_member_with_default(receipt, "sha256", "-"),
	        json_object_get_int_member_with_default(receipt, "size", 0),
	        json_object_get_string_member_with_default(receipt, "receipt_id", "-"));
	return TRUE;
}

static int
ph_ctl_archive_show(PhCtl *ctl, int argc, char **argv)
{
	if (argc != 2)
		return ph_ctl_usage(PH_CTL_ARCHIVE_USAGE);
	PhDb *db = ph_ctl_store_db(ctl);
	if (db == NULL)
		return PH_CTL_EXIT_FAILED;
	g_autoptr(GError) error = NULL;
	if (!ph_ctl_archive_show_delivery(db, argv[1], &error) ||
	    !ph_ctl_archive_show_receipt(db, argv[1], &error))
		return ph_ctl_fail(error);
	return PH_CTL_EXIT_OK;
}

int
ph_ctl_archive_main(PhCtl *ctl, int argc, char **argv)
{
	if (argc >= 2 && g_str_equal(argv[1], "verify"))
		return ph_ctl_archive_verify(ctl, argc - 1, argv + 1);
	if (argc >= 2 && g_str_equal(argv[1], "show"))
		return ph_ctl_archive_show(ctl, argc - 1, argv + 1);
	return ph_ctl_usage(PH_CTL_ARCHIVE_USAGE);
}
