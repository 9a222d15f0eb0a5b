/* archive: the electronic archive (电子档案) adapter. Every core event that closes a case
 * (retired, died, enrolment_ended, transfer_amounts, payout_due) is queued on the outbox topic
 * archive.package in the event's own transaction; delivering it builds the case's PH-ARCHIVE-1
 * package (docs/formats/archive.md), hands it to the archive (HTTPS PUT over mTLS, or SFTP:
 * archive-sftp.c) and keeps the archive's receipt id per case. The outbox retries while the
 * archive is down. Plugin: SDK only. */
#include "archive-private.h"

#define ARCHIVE_TOPIC "archive.package"

static const gchar *const archive_events[] = {"retired", "died", "enrolment_ended",
                                              "transfer_amounts", "payout_due"};

static void
archive_free(Archive *archive)
{
	if (archive == NULL)
		return;
	g_free(archive->url);
	g_free(archive->ca);
	archive_sftp_clear_config(archive);
	g_clear_pointer(&archive->signer, ph_xml_signer_free);
	g_free(archive);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Archive, archive_free)

gboolean
archive_config_uint(PhPlugin *plugin, const gchar *key, gint64 fallback, gint64 max, guint *value,
                    GError **error)
{
	gint64 number = 0;
	if (!ph_plugin_config_get_range(plugin, key, fallback, 1, max, &number, error))
		return FALSE;
	*value = (guint)number;
	return TRUE;
}

static gboolean
archive_read_signer(Archive *archive, GError **error)
{
	g_autofree gchar *key =
	        ph_plugin_config_get_path(archive->plugin, "signing_key", NULL, error);
	if (key == NULL)
		return FALSE;
	g_autofree gchar *certificate =
	        ph_plugin_config_get_path(archive->plugin, "signing_certificate", NULL, error);
	if (certificate == NULL)
		return FALSE;
	archive->signer = ph_xml_signer_new(key, certificate, error);
	return archive->signer != NULL;
}

static gboolean
archive_read_delivery(Archive *archive, GError **error)
{
	g_autofree gchar *delivery =
	        ph_plugin_config_get_string(archive->plugin, "delivery", "https", error);
	if (delivery == NULL)
		return FALSE;
	if (g_str_equal(delivery, "sftp")) {
		archive->delivery = ARCHIVE_DELIVERY_SFTP;
		return TRUE;
	}
	if (g_str_equal(delivery, "https")) {
		archive->delivery = ARCHIVE_DELIVERY_HTTPS;
		return TRUE;
	}
	g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
	            "[plugin archive] delivery: '%s' is not https or sftp", delivery);
	return FALSE;
}

static gboolean
archive_read_https(Archive *archive, GError **error)
{
	PhPlugin *plugin = archive->plugin;
	if ((archive->url = ph_plugin_config_get_string(plugin, "url", NULL, error)) == NULL ||
	    (archive->ca = ph_plugin_config_get_path(plugin, "ca", NULL, error)) == NULL ||
	    !archive_config_uint(plugin, "connect_timeout_ms", 5000, 600000,
	                         &archive->connect_timeout_ms, error))
		return FALSE;
	if (!g_str_has_prefix(archive->url, "https://")) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
		            "[plugin archive] url: '%s' is not an https:// address", archive->url);
		return FALSE;
	}
	return TRUE;
}

/* The keys of the other delivery must not be set: a leftover url with delivery = sftp (or host
 * with https) would otherwise look like it does something. */
static gboolean
archive_refuse_keys(Archive *archive, GError **error)
{
	static const gchar *const https_keys[] = {"url", "ca", "connect_timeout_ms", NULL};
	static const gchar *const sftp_keys[] = {
	        "host", "port", "user", "private_key", "known_hosts", "folder", "receipt_wait_ms",
	        NULL};
	gboolean sftp = archive->delivery == ARCHIVE_DELIVERY_SFTP;
	const gchar *const *unused = sftp ? https_keys : sftp_keys;
	for (guint i = 0; unused[i] != NULL; i++) {
		g_autofree gchar *value =
		        ph_plugin_config_get_string(archive->plugin, unused[i], "", error);
		if (value == NULL)
			return FALSE;
		if (value[0] != '\0') {
			g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
			            "[plugin archive] %s: not used with delivery = %s", unused[i],
			            sftp ? "sftp" : "https");
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
archive_read_config(Archive *archive, GError **error)
{
	PhPlugin *plugin = archive->plugin;
	if (!archive_read_delivery(archive, error) || !archive_read_signer(archive, error) ||
	    !archive_config_uint(plugin, "timeout_ms", 60000, 600000, &archive->timeout_ms,
	                         error) ||
	    !archive_config_uint(plugin, "retry_initial_ms", 5000, 3600000,
	                         &archive->retry.initial_delay_ms, error) ||
	    !archive_config_uint(plugin, "retry_max_ms", 600000, 86400000,
	                         &archive->retry.max_delay_ms, error) ||
	    !archive_config_uint(plugin, "max_attempts", 1000, 100000, &archive->retry.max_attempts,
	                         error))
		return FALSE;
	archive->retry.max_delay_ms =
	        MAX(archive->retry.max_delay_ms, archive->retry.initial_delay_ms);
	if (!archive_refuse_keys(archive, error))
		return FALSE;
	if (archive->delivery == ARCHIVE_DELIVERY_SFTP)
		return archive_sftp_read_config(archive, error);
	return archive_read_https(archive, error);
}

/* PUTs the package to URL/PACKAGE_ID; the archive answers with its receipt. */
static gchar *
archive_https_deliver(Archive *archive, const PhArchivePackage *package, GError **error)
{
	g_autofree gchar *url = g_strdup_printf("%s/%s", archive->url, package->package_id);
	PhHttpRequest request = {url,         "application/x-tar",         package->package,
	                         archive->ca, archive->connect_timeout_ms, archive->timeout_ms};
	g_autoptr(PhHttpResponse) response = ph_http_put(archive->plugin, &request, error);
	gchar *receipt = NULL;
	if (response == NULL || !ph_archive_api_record_receipt(archive->plugin, package,
	                                                       response->body, &receipt, error))
		return NULL;
	return receipt;
}

/* Builds the case's package and hands it to the archive; the package id and bytes are stable
 * across retries, so the archive keeps one package per case however often it is sent. */
static gboolean
archive_deliver(const PhOutboxMessage *message, gpointer state, GError **error)
{
	Archive *archive = state;
	g_autoptr(PhArchivePackage) package = ph_archive_api_build_event(
	        archive->plugin, message->payload, archive->signer, error);
	if (package == NULL) {
		g_prefix_error(error, "case %s: ", message->key);
		return FALSE;
	}
	gboolean sftp = archive->delivery == ARCHIVE_DELIVERY_SFTP;
	g_autofree gchar *receipt = sftp ? archive_sftp_deliver(archive, package, error)
	                                 : archive_https_deliver(archive, package, error);
	if (receipt == NULL) {
		g_prefix_error(error, "package %s of case %s (attempt %u): ", package->package_id,
		               message->key, message->attempt);
		return FALSE;
	}
	g_message("package %s of case %s archived over %s (receipt %s)", package->package_id,
	          message->key, sftp ? "SFTP" : "HTTPS", receipt);
	return TRUE;
}

static gpointer
archive_init(PhPlugin *plugin, GError **error)
{
	g_autoptr(Archive) archive = g_new0(Archive, 1);
	archive->plugin = plugin;
	if (!archive_read_config(archive, error) ||
	    !ph_plugin_add_topic(plugin, ARCHIVE_TOPIC, &archive->retry, archive_deliver, error))
		return NULL;
	for (guint i = 0; i < G_N_ELEMENTS(archive_events); i++) {
		if (!ph_plugin_subscribe(plugin, archive_events[i], ARCHIVE_TOPIC, error))
			return NULL;
	}
	return g_steal_pointer(&archive);
}

static void
archive_shutdown(gpointer state)
{
	archive_free(state);
}

PH_PLUGIN_DEFINE(archive, "1.0.0",
                 "electronic archive (电子档案): signed packages of closed cases over mTLS or SFTP",
                 archive_init, archive_shutdown)
