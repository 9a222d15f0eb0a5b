/* archive: delivery of a package over SFTP (delivery = sftp) through the host's libssh2
 * transport: FOLDER/PACKAGE_ID.tar written as .part, fsynced and renamed (never onto an
 * existing file), then the archive's receipt FOLDER/PACKAGE_ID.receipt awaited; a retry finds
 * what an earlier attempt left. docs/formats/archive.md, "Delivery over SFTP". Plugin-internal. */
#include "archive-private.h"

/* A receipt is one small JSON object; anything larger is not one. */
#define ARCHIVE_RECEIPT_MAX  65536
#define ARCHIVE_RECEIPT_POLL 200 /* ms between looks for the receipt */

gboolean
archive_sftp_read_config(Archive *archive, GError **error)
{
	PhPlugin *plugin = archive->plugin;
	guint port = 0;
	if ((archive->host = ph_plugin_config_get_string(plugin, "host", NULL, error)) == NULL ||
	    (archive->user = ph_plugin_config_get_string(plugin, "user", NULL, error)) == NULL ||
	    (archive->private_key =
	             ph_plugin_config_get_path(plugin, "private_key", NULL, error)) == NULL ||
	    (archive->known_hosts =
	             ph_plugin_config_get_path(plugin, "known_hosts", NULL, error)) == NULL ||
	    (archive->folder = ph_plugin_config_get_string(plugin, "folder", "incoming", error)) ==
	            NULL ||
	    !archive_config_uint(plugin, "port", 22, 65535, &port, error) ||
	    !archive_config_uint(plugin, "receipt_wait_ms", 10000, 600000,
	                         &archive->receipt_wait_ms, error))
		return FALSE;
	archive->sftp = (PhSftpConfig){
	        .host = archive->host,
	        .port = port,
	        .user = archive->user,
	        .private_key_path = archive->private_key,
	        .known_hosts_path = archive->known_hosts,
	        .timeout_ms = archive->timeout_ms,
	};
	return TRUE;
}

void
archive_sftp_clear_config(Archive *archive)
{
	g_clear_pointer(&archive->host, g_free);
	g_clear_pointer(&archive->user, g_free);
	g_clear_pointer(&archive->private_key, g_free);
	g_clear_pointer(&archive->known_hosts, g_free);
	g_clear_pointer(&archive->folder, g_free);
}

/* The receipt file's bytes, or NULL without an error while there is none. */
static GBytes *
archive_sftp_get_receipt(Archive *archive, PhSftp *sftp, const gchar *name, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autofree gchar *path = g_build_path("/", archive->folder, name, NULL);
	GBytes *receipt = ph_sftp_get_bytes(sftp, path, ARCHIVE_RECEIPT_MAX, &local);
	if (receipt == NULL && !g_error_matches(local, PH_ERROR, PH_ERROR_NOT_FOUND))
		g_propagate_error(error, g_steal_pointer(&local));
	return receipt;
}

/* The SHA-256 of the file at @path on the archive's server, streamed (a package with a
 * payout batch's files is as large as they are). */
static gchar *
archive_sftp_remote_sha256(PhSftp *sftp, const gchar *path, GError **error)
{
	g_autoptr(GInputStream) input = ph_sftp_open_read(sftp, path, error);
	if (input == NULL)
		return NULL;
	g_autoptr(PhDigest) digest = ph_digest_new(PH_DIGEST_SHA256);
	g_autoptr(GInputStream) tee = ph_digest_input_stream_new(input, digest);
	gssize skipped;
	/* the digest stream's skip reads, so every byte passes the digest */
	while ((skipped = g_input_stream_skip(tee, 1 << 20, NULL, error)) > 0)
		;
	return skipped < 0 ? NULL : g_strdup(ph_digest_get_hex(digest));
}

/* NAME.tar is there from an earlier attempt: accept it only when it holds our bytes. */
static gboolean
archive_sftp_accept_existing(Archive *archive, PhSftp *sftp, const PhArchivePackage *package,
                             const gchar *name, GError **error)
{
	g_autofree gchar *path = g_build_path("/", archive->folder, name, NULL);
	g_autofree gchar *theirs = archive_sftp_remote_sha256(sftp, path, error);
	if (theirs == NULL)
		return FALSE;
	if (g_str_equal(theirs, package->sha256)) {
		g_message("package %s is on the archive's server from an earlier attempt",
		          package->package_id);
		return TRUE;
	}
	g_set_error(error, PH_ERROR, PH_ERROR_PERMANENT,
	            "%s exists on the archive's server with other content: never overwritten, "
	            "check with the archive",
	            path);
	return FALSE;
}

static gboolean
archive_sftp_upload(Archive *archive, PhSftp *sftp, const PhArchivePackage *package, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autofree gchar *name = g_strconcat(package->package_id, ".tar", NULL);
	if (ph_sftp_put_bytes(sftp, archive->folder, name, package->package, &local))
		return TRUE;
	if (!g_error_matches(local, PH_ERROR, PH_ERROR_CONFLICT)) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	return archive_sftp_accept_existing(archive, sftp, package, name, error);
}

/* Looks for the receipt until it comes or receipt_wait_ms passes (PH_ERROR_TRANSIENT). */
static GBytes *
archive_sftp_await_receipt(Archive *archive, PhSftp *sftp, const PhArchivePackage *package,
                           const gchar *name, GError **error)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)archive->receipt_wait_ms * 1000;
	for (;;) {
		g_autoptr(GError) local = NULL;
		GBytes *receipt = archive_sftp_get_receipt(archive, sftp, name, &local);
		if (receipt != NULL || local != NULL) {
			g_propagate_error(error, g_steal_pointer(&local));
			return receipt;
		}
		if (g_get_monotonic_time() >= deadline)
			break;
		g_usleep(ARCHIVE_RECEIPT_POLL * 1000);
	}
	g_set_error(error, PH_ERROR, PH_ERROR_TRANSIENT,
	            "package %s is on the archive's server, no receipt %s after %u ms",
	            package->package_id, name, archive->receipt_wait_ms);
	return NULL;
}

/* The receipt: one left by an earlier attempt, else the one the archive writes for the
 * package uploaded now. */
static GBytes *
archive_sftp_exchange(Archive *archive, PhSftp *sftp, const PhArchivePackage *package,
                      GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autofree gchar *name = g_strconcat(package->package_id, ".receipt", NULL);
	GBytes *receipt = archive_sftp_get_receipt(archive, sftp, name, &local);
	if (receipt != NULL || local != NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return receipt;
	}
	if (!archive_sftp_upload(archive, sftp, package, error))
		return NULL;
	return archive_sftp_await_receipt(archive, sftp, package, name, error);
}

/* Puts the archive's own words (e.g. {"package_id": …, "refused": "why"}) before the error of
 * a receipt that is not one. */
static void
archive_sftp_quote_receipt(const PhArchivePackage *package, GBytes *receipt, GError **error)
{
	g_autofree gchar *text = g_utf8_make_valid(g_bytes_get_data(receipt, NULL),
	                                           (gssize)g_bytes_get_size(receipt));
	g_autofree gchar *words = g_utf8_substring(text, 0, MIN(g_utf8_strlen(text, -1), 200));
	g_prefix_error(error, "%s.receipt %s: ", package->package_id, words);
}

gchar *
archive_sftp_deliver(Archive *archive, const PhArchivePackage *package, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(GBytes) receipt = NULL;
	g_autoptr(PhSftp) sftp = ph_sftp_connect(&archive->sftp, &local);
	if (sftp != NULL)
		receipt = archive_sftp_exchange(archive, sftp, package, &local);
	gchar *receipt_id = NULL;
	if (receipt != NULL &&
	    ph_archive_api_record_receipt(archive->plugin, package, receipt, &receipt_id, &local))
		return receipt_id;
	if (receipt != NULL)
		archive_sftp_quote_receipt(package, receipt, &local);
	/* a refused host key or login needs an operator, not a retry every few seconds */
	if (g_error_matches(local, PH_ERROR, PH_ERROR_FORBIDDEN))
		local->code = PH_ERROR_PERMANENT;
	g_propagate_error(error, g_steal_pointer(&local));
	return NULL;
}
