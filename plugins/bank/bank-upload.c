/* bank: delivery of topic bank.upload: the batch's payout file is written through the
 * mapping engine straight into the SFTP upload (NAME.part, fsync, rename), digested on the
 * way, then the done file, then the batch is recorded as sent. A retry after a crash finds
 * the file it wrote before and never writes a second one. Plugin-internal. */
#include <string.h>

#include "bank-private.h"

static gboolean
bank_upload_parse_batch(const PhOutboxMessage *message, gint64 *batch_no, GError **error)
{
	gsize size = 0;
	const gchar *data = g_bytes_get_data(message->payload, &size);
	g_autofree gchar *text = g_strndup(data, size);
	guint64 number = 0;
	if (!g_ascii_string_to_unsigned(text, 10, 1, 9999999999, &number, NULL)) {
		g_set_error(error, PH_ERROR, PH_ERROR_PERMANENT,
		            "bank.upload %" G_GINT64_FORMAT ": payload '%s' is not a batch number",
		            message->id, text);
		return FALSE;
	}
	*batch_no = (gint64)number;
	return TRUE;
}

/* The digest of a file already on the server (an earlier try renamed it, then died). */
static gchar *
bank_upload_remote_digest(PhSftp *sftp, const gchar *path, PhDigestAlg alg, GError **error)
{
	g_autoptr(GInputStream) input = ph_sftp_open_read(sftp, path, error);
	if (input == NULL)
		return NULL;
	g_autoptr(PhDigest) digest = ph_digest_new(alg);
	g_autoptr(GInputStream) tee = ph_digest_input_stream_new(input, digest);
	/* the digest stream's skip reads, so nothing passes by the digest */
	for (;;) {
		gssize n = g_input_stream_skip(tee, 1 << 20, NULL, error);
		if (n < 0)
			return NULL;
		if (n == 0)
			break;
	}
	return g_strdup(ph_digest_get_hex(digest));
}

/* The file NAME exists from an earlier try: accept it only when it is what we meant. */
static gboolean
bank_upload_accept_existing(PhSftp *sftp, const BankPartner *partner, const gchar *name,
                            const gchar *hex, GError **error)
{
	g_autofree gchar *path = g_build_path("/", partner->inbox, name, NULL);
	g_autofree gchar *theirs = bank_upload_remote_digest(sftp, path, partner->digest, error);
	if (theirs == NULL)
		return FALSE;
	if (g_str_equal(theirs, hex)) {
		g_message("bank %s: %s is on the server from an earlier try, same content",
		          partner->name, name);
		return TRUE;
	}
	g_set_error(error, PH_ERROR, PH_ERROR_PERMANENT,
	            "bank %s: %s exists on the server with other content (%s, ours %s): "
	            "never overwritten, check with the bank",
	            partner->name, name, theirs, hex);
	return FALSE;
}

static gboolean
bank_upload_data(Bank *bank, PhSftp *sftp, const BankPartner *partner, const PhPayoutHeader *header,
                 const gchar *name, gchar **hex, GError **error)
{
	g_autoptr(GError) local = NULL;
	/* declared before the upload so that it outlives the writer thread that digests */
	g_autoptr(PhDigest) digest = ph_digest_new(partner->digest);
	g_autoptr(PhSftpUpload) upload = ph_sftp_upload_new(sftp, partner->inbox, name, error);
	if (upload == NULL)
		return FALSE;
	/* SM3 in the upload's writer thread: it overlaps the file's generation here */
	ph_sftp_upload_set_digest(upload, digest);
	if (!bank_file_write_payout(bank, partner, header, ph_sftp_upload_get_stream(upload), name,
	                            error))
		return FALSE;
	gboolean committed = ph_sftp_upload_commit(upload, &local);
	if (!committed && !g_error_matches(local, PH_ERROR, PH_ERROR_CONFLICT)) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	/* every chunk has passed the writer thread: the digest is complete */
	*hex = g_strdup(ph_digest_get_hex(digest));
	if (committed)
		return TRUE;
	return bank_upload_accept_existing(sftp, partner, name, *hex, error);
}

static gboolean
bank_upload_done(PhSftp *sftp, const BankPartner *partner, const PhPayoutHeader *header,
                 const gchar *name, const gchar *hex, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autofree gchar *done_name = g_strconcat(name, ".ok", NULL);
	g_autoptr(GBytes) done =
	        bank_file_done_format(partner->digest, hex, header->item_count, header->total);
	if (ph_sftp_put_bytes(sftp, partner->inbox, done_name, done, &local))
		return TRUE;
	if (!g_error_matches(local, PH_ERROR, PH_ERROR_CONFLICT)) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	/* written by an earlier try: the same line, or someone else's */
	g_autofree gchar *path = g_build_path("/", partner->inbox, done_name, NULL);
	g_autoptr(GBytes) theirs = ph_sftp_get_bytes(sftp, path, BANK_DONE_MAX, error);
	if (theirs == NULL)
		return FALSE;
	if (g_bytes_equal(theirs, done))
		return TRUE;
	g_set_error(error, PH_ERROR, PH_ERROR_PERMANENT,
	            "bank %s: %s exists on the server with another line", partner->name, done_name);
	return FALSE;
}

static gboolean
bank_upload_batch(Bank *bank, const PhPayoutHeader *header, GError **error)
{
	const BankPartner *partner = bank_find_partner(bank, header->bank);
	if (partner == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_PERMANENT,
		            "payout batch %010" G_GINT64_FORMAT
		            ": bank '%s' is not in [plugin bank] "
		            "banks",
		            header->batch_no, header->bank);
		return FALSE;
	}
	g_autofree gchar *name = bank_file_payout_name(partner, header);
	g_autofree gchar *hex = NULL;
	g_autoptr(PhSftp) sftp = ph_sftp_connect(&partner->sftp, error);
	if (sftp == NULL || !bank_upload_data(bank, sftp, partner, header, name, &hex, error) ||
	    !bank_upload_done(sftp, partner, header, name, hex, error))
		return FALSE;
	g_autofree gchar *digest =
	        g_strdup_printf("%s %s", ph_digest_alg_get_name(partner->digest), hex);
	if (!ph_payout_api_mark_sent(bank->plugin, header->batch_no,
	                             bank_profile_name(partner->profile), name, digest, error))
		return FALSE;
	g_message("bank %s: batch %010" G_GINT64_FORMAT " sent as %s (%" G_GINT64_FORMAT
	          " items, %" G_GINT64_FORMAT " fen)",
	          partner->name, header->batch_no, name, header->item_count, header->total);
	return TRUE;
}

gboolean
bank_upload_deliver(const PhOutboxMessage *message, gpointer state, GError **error)
{
	Bank *bank = state;
	gint64 batch_no = 0;
	g_autoptr(GError) local = NULL;
	if (!bank_upload_parse_batch(message, &batch_no, error))
		return FALSE;
	g_autoptr(PhPayoutHeader) header = ph_payout_api_get_batch(bank->plugin, batch_no, &local);
	if (header == NULL) {
		if (g_error_matches(local, PH_ERROR, PH_ERROR_NOT_FOUND))
			local->code = PH_ERROR_PERMANENT;
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	if (!g_str_equal(header->state, "built"))
		return TRUE; /* sent before; the outbox row only did not learn it */
	if (bank_upload_batch(bank, header, &local))
		return TRUE;
	bank_error_permanent_if_refused(local);
	g_warning("bank: batch %010" G_GINT64_FORMAT " attempt %u: %s", batch_no, message->attempt,
	          local->message);
	g_propagate_error(error, g_steal_pointer(&local));
	return FALSE;
}
