/* transfer: the adapter of the ministry-level transfer platform (部级异地转移系统), profile
 * PH-XFER-1 (../shared/formats/transfer.md). Configuration, registrations and the
 * deadline job; the door, the case flow and sending live in the files beside it. */
#include <string.h>

#include "transfer-private.h"

static const gchar *const transfer_partners[] = {"transfer-platform", NULL};

static void
transfer_signer_free(gpointer data)
{
	TransferSigner *signer = data;
	g_free(signer->agency);
	g_free(signer->subject);
	g_free(signer);
}

static void
transfer_free(Transfer *transfer)
{
	if (transfer == NULL)
		return;
	g_free(transfer->agency);
	g_free(transfer->region);
	g_free(transfer->agency_name);
	g_free(transfer->platform_url);
	g_free(transfer->platform_ca);
	g_clear_pointer(&transfer->verifier, ph_xml_verifier_free);
	g_clear_pointer(&transfer->signer, ph_xml_signer_free);
	g_clear_pointer(&transfer->signers, g_ptr_array_unref);
	g_clear_pointer(&transfer->peer_agencies, g_hash_table_unref);
	g_free(transfer);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Transfer, transfer_free)

/* `KEY=VALUE;KEY=VALUE;…` of config key @name into @pairs (key, value, key, value, …). */
static gboolean
transfer_read_pairs(const gchar *name, const gchar *text, const gchar *shape, GPtrArray *pairs,
                    GError **error)
{
	g_auto(GStrv) entries = g_strsplit(text, ";", -1);
	for (guint i = 0; entries[i] != NULL; i++) {
		g_auto(GStrv) parts = g_strsplit(g_strstrip(entries[i]), "=", 2);
		if (parts[0] == NULL || parts[0][0] == '\0')
			continue;
		if (parts[1] == NULL) {
			g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
			            "[plugin transfer] %s: '%s' is not %s", name, entries[i],
			            shape);
			return FALSE;
		}
		g_ptr_array_add(pairs, g_strdup(g_strstrip(parts[0])));
		g_ptr_array_add(pairs, g_strdup(g_strstrip(parts[1])));
	}
	return TRUE;
}

/* `signers = AGENCY=CERT;…` (`*` for any sender); relative paths against `signer_dir`. */
static gboolean
transfer_read_signers(Transfer *transfer, const gchar *text, const gchar *dir, GError **error)
{
	g_autoptr(GPtrArray) pairs = g_ptr_array_new_with_free_func(g_free);
	transfer->signers = g_ptr_array_new_with_free_func(transfer_signer_free);
	if (!transfer_read_pairs("signers", text, "AGENCY=CERTIFICATE", pairs, error))
		return FALSE;
	for (guint i = 0; i + 1 < pairs->len; i += 2) {
		const gchar *file = pairs->pdata[i + 1];
		g_autofree gchar *path = g_path_is_absolute(file)
		                                 ? g_strdup(file)
		                                 : g_build_filename(dir, file, NULL);
		TransferSigner *signer = g_new0(TransferSigner, 1);
		signer->agency = g_strdup(pairs->pdata[i]);
		g_ptr_array_add(transfer->signers, signer);
		signer->subject = ph_xml_certificate_subject(path, error);
		if (signer->subject == NULL) {
			g_prefix_error(error, "[plugin transfer] signers: ");
			return FALSE;
		}
	}
	if (transfer->signers->len == 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
		            "[plugin transfer] signers: no signing certificate configured");
		return FALSE;
	}
	return TRUE;
}

/* `peer_agencies = REGION=AGENCY;…`: the agency our LETTERs address in a region. */
static gboolean
transfer_read_peers(Transfer *transfer, const gchar *text, GError **error)
{
	g_autoptr(GPtrArray) pairs = g_ptr_array_new_with_free_func(g_free);
	transfer->peer_agencies = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	if (!transfer_read_pairs("peer_agencies", text, "REGION=AGENCY", pairs, error))
		return FALSE;
	for (guint i = 0; i + 1 < pairs->len; i += 2)
		g_hash_table_replace(transfer->peer_agencies, g_strdup(pairs->pdata[i]),
		                     g_strdup(pairs->pdata[i + 1]));
	return TRUE;
}

typedef struct {
	gchar *platform_url;
	gchar *platform_ca;
	gchar *signer_ca;
	gchar *signing_key;
	gchar *signing_certificate;
	gchar *signers;
	gchar *signer_dir;
	gchar *peers;
} TransferKeys;

static void
transfer_keys_clear(TransferKeys *keys)
{
	g_free(keys->platform_url);
	g_free(keys->platform_ca);
	g_free(keys->signer_ca);
	g_free(keys->signing_key);
	g_free(keys->signing_certificate);
	g_free(keys->signers);
	g_free(keys->signer_dir);
	g_free(keys->peers);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(TransferKeys, transfer_keys_clear)

static gboolean
transfer_read_numbers(PhPlugin *plugin, Transfer *transfer, GError **error)
{
	g_autoptr(GError) local = NULL;
	transfer->sentat_window =
	        ph_plugin_config_get_int(plugin, "sentat_window_seconds", 600, &local);
	if (local == NULL)
		transfer->deadline_days =
		        ph_plugin_config_get_int(plugin, "deadline_working_days", 15, &local);
	if (local == NULL)
		transfer->max_bytes =
		        ph_plugin_config_get_int(plugin, "max_message_bytes", 1024 * 1024, &local);
	if (local == NULL)
		transfer->timeout_seconds =
		        ph_plugin_config_get_int(plugin, "timeout_seconds", 30, &local);
	if (local == NULL)
		transfer->deadline_check =
		        ph_plugin_config_get_int(plugin, "deadline_check_seconds", 300, &local);
	gint64 attempts =
	        local == NULL ? ph_plugin_config_get_int(plugin, "max_attempts", 20, &local) : 0;
	gint64 first = local == NULL
	                       ? ph_plugin_config_get_int(plugin, "retry_initial_ms", 5000, &local)
	                       : 0;
	if (local != NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	transfer->deadline_check = CLAMP(transfer->deadline_check, 1, 86400);
	transfer->retry.max_attempts = (guint)CLAMP(attempts, 1, 1000);
	transfer->retry.initial_delay_ms = (guint)CLAMP(first, 1, 3600000);
	transfer->retry.max_delay_ms = MAX(transfer->retry.initial_delay_ms, 600000);
	return TRUE;
}

static gboolean
transfer_read_config(PhPlugin *plugin, Transfer *transfer, GError **error)
{
	g_auto(TransferKeys) keys = {0};
	if ((keys.platform_url =
	             ph_plugin_config_get_string(plugin, "platform_url", NULL, error)) == NULL ||
	    (keys.platform_ca = ph_plugin_config_get_path(plugin, "platform_ca", NULL, error)) ==
	            NULL ||
	    (keys.signer_ca = ph_plugin_config_get_path(plugin, "signer_ca", keys.platform_ca,
	                                                error)) == NULL ||
	    (keys.signing_key = ph_plugin_config_get_path(plugin, "signing_key", NULL, error)) ==
	            NULL ||
	    (keys.signing_certificate = ph_plugin_config_get_path(plugin, "signing_certificate",
	                                                          NULL, error)) == NULL ||
	    (keys.signers = ph_plugin_config_get_string(plugin, "signers", NULL, error)) == NULL ||
	    (keys.signer_dir = ph_plugin_config_get_path(plugin, "signer_dir", ".", error)) ==
	            NULL ||
	    (keys.peers = ph_plugin_config_get_string(plugin, "peer_agencies", "", error)) ==
	            NULL ||
	    (transfer->agency_name = ph_plugin_config_get_string(plugin, "agency_name",
	                                                         "pension-hub", error)) == NULL ||
	    !transfer_read_numbers(plugin, transfer, error))
		return FALSE;
	transfer->platform_url = g_steal_pointer(&keys.platform_url);
	transfer->platform_ca = g_strdup(keys.platform_ca);
	return transfer_read_signers(transfer, keys.signers, keys.signer_dir, error) &&
	       transfer_read_peers(transfer, keys.peers, error) &&
	       (transfer->verifier = ph_xml_verifier_new(keys.signer_ca, error)) != NULL &&
	       (transfer->signer = ph_xml_signer_new(keys.signing_key, keys.signing_certificate,
	                                             error)) != NULL;
}

static gpointer
transfer_init(PhPlugin *plugin, GError **error)
{
	g_autoptr(Transfer) transfer = g_new0(Transfer, 1);
	transfer->plugin = plugin;
	transfer->agency = g_strdup(ph_transfer_case_get_hub_agency(plugin));
	transfer->region = g_strdup(ph_transfer_case_get_hub_region(plugin));
	if (!transfer_read_config(plugin, transfer, error))
		return NULL;
	if (transfer->agency == NULL || transfer->region == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
		            "[hub] agency and region are required by the transfer adapter");
		return NULL;
	}
	transfer->schema = ph_xml_schema_get(plugin, "transfer-1.xsd", error);
	if (transfer->schema == NULL ||
	    !ph_plugin_add_route(plugin, "POST", "/transfer/v1/messages", transfer_partners,
	                         transfer_door_handle, error) ||
	    !ph_plugin_add_inbox_handler(plugin, TRANSFER_KIND_MESSAGE, transfer_flow_apply_message,
	                                 error) ||
	    !ph_plugin_add_inbox_handler(plugin, TRANSFER_KIND_START, transfer_flow_apply_start,
	                                 error) ||
	    !ph_plugin_add_topic(plugin, TRANSFER_TOPIC_SEND, &transfer->retry,
	                         transfer_send_deliver, error) ||
	    !ph_plugin_add_job(plugin, "transfer.deadlines", (guint)transfer->deadline_check,
	                       transfer_flow_report_overdue, error))
		return NULL;
	return g_steal_pointer(&transfer);
}

static void
transfer_shutdown(gpointer state)
{
	transfer_free(state);
}

PH_PLUGIN_DEFINE(transfer, "1.0.0",
                 "ministry-level transfer platform (部级异地转移系统), PH-XFER-1", transfer_init,
                 transfer_shutdown)
