/* bank: the scheduled poll of each bank's outbox folder. Only complete files are taken (a
 * RESULT_ file with its done file); each is streamed once (one download) through its kept
 * copy, its digest and the profile's mapping into the host's reconciliation, checked against its
 * done file (digest, count, total), and booked whole or rejected whole; then the pair is moved to
 * processed/ or rejected/ (with a .reason file) on the bank's side. Plugin-internal. */
#include <string.h>

#include "bank-private.h"

#define BANK_RESULT_PREFIX "RESULT_"
#define BANK_DONE_SUFFIX   ".ok"

/* One result file being taken. */
typedef struct {
	Bank *bank;
	const BankPartner *partner;
	PhSftp *sftp;
	const gchar *name;
	gchar *path;
	gchar *id_digest; /* "ALG hex" from the done file: the file's identity */
	PhPayoutFileId id;
	BankDone done;
	gint64 batch_no;
	gint64 count;
	gint64 total;
	gchar *actual_hex;
} BankResultFile;

static void
bank_result_file_clear(BankResultFile *file)
{
	g_free(file->path);
	g_free(file->id_digest);
	g_free(file->actual_hex);
	bank_file_done_clear(&file->done);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(BankResultFile, bank_result_file_clear)

/* PH-BANK-1 has no reason codes: status 1001 (account closed) whose message says the holder
 * died is read as ISO's MD07, so both profiles stop payments the same way. */
static const gchar *
bank_result_reason(const PhRecord *record, const gchar *status, const gchar *message)
{
	const gchar *reason = ph_record_get(record, "reason");
	if (reason != NULL)
		return reason;
	if (g_strcmp0(status, "1001") == 0 && message != NULL &&
	    (strstr(message, "死亡") != NULL || strstr(message, "DECEASED") != NULL ||
	     strstr(message, "deceased") != NULL))
		return "MD07";
	return NULL;
}

/* The result's serial: PH-BANK-1 gives it; pain.002 echoes the end-to-end id sent, whose
 * batch must be the file's (one result for another batch would book the wrong payment). */
static gboolean
bank_result_serial(const BankResultFile *file, const PhRecord *record, gint64 *serial,
                   GError **error)
{
	const gchar *end_to_end = ph_record_get(record, "end_to_end_id");
	gint64 batch_no = 0;
	if (end_to_end == NULL)
		return ph_record_get_int(record, "serial", serial, error);
	if (!bank_file_end_to_end_parse(end_to_end, &batch_no, serial, error))
		return FALSE;
	if (batch_no != file->batch_no) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "result %s (end-to-end id): names batch %010" G_GINT64_FORMAT
		            ", the file answers batch %010" G_GINT64_FORMAT,
		            end_to_end, batch_no, file->batch_no);
		return FALSE;
	}
	return TRUE;
}

/* A text field holding a NUL byte reads as the text before it: an echoed account
 * "ACCOUNT\0…" would match ACCOUNT, and the rest of any field would be lost unseen. */
static gboolean
bank_result_no_nul(const PhRecord *record, gint64 serial, GError **error)
{
	guint size = ph_record_get_size(record);
	for (guint i = 0; i < size; i++) {
		if (ph_record_is_int(record, i) ||
		    strlen(ph_record_get_value(record, i)) == ph_record_get_value_len(record, i))
			continue;
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "result serial %" G_GINT64_FORMAT ": field %s holds a NUL byte", serial,
		            ph_record_get_key(record, i));
		return FALSE;
	}
	return TRUE;
}

/* The result of an R record, counted for the done file's check; its strings are the
 * record's. */
static gboolean
bank_result_fill(BankResultFile *file, const PhRecord *record, PhPayoutResult *out, GError **error)
{
	gint64 serial = 0, amount = 0;
	/* asked in PH-BANK-1's field order, which a record looks up fastest (a million lines) */
	if (!bank_result_serial(file, record, &serial, error) ||
	    !bank_result_no_nul(record, serial, error))
		return FALSE;
	if (serial < 1 || serial > G_MAXINT) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "result serial %" G_GINT64_FORMAT ": %s", serial,
		            serial < 1 ? "not a serial (they count from 1)"
		                       : "larger than any serial");
		return FALSE;
	}
	PhPayoutResult result = {
	        .serial = (gint)serial,
	        /* NULL when the bank does not echo it (a pain.002 may leave it out) */
	        .id_number = ph_record_get(record, "AAC002"),
	        .account = ph_record_get(record, "AAE010"),
	};
	if (!ph_record_get_int(record, "AAE019", &amount, error))
		return FALSE;
	/* every item paid is more than 0 fen; with amounts above 0, the file's total (and the
	 * core's sums of parts of it) cannot overflow once it is checked here: pain.002's
	 * amounts (up to 10^18 fen each) are not summed by its mapping as PH-BANK-1's are */
	if (amount < 1 || file->total > G_MAXINT64 - amount) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "result serial %" G_GINT64_FORMAT ": %s", serial,
		            amount < 1 ? "the amount is not more than 0 fen"
		                       : "the file's amounts add up to more than 64 bits hold "
		                         "(overflow)");
		return FALSE;
	}
	result.amount = amount;
	result.status = ph_record_get(record, "status");
	result.bank_ref = ph_record_get(record, "bank_ref");
	result.message = ph_record_get(record, "message");
	result.reason = bank_result_reason(record, result.status, result.message);
	if (result.account == NULL || result.status == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "result serial %" G_GINT64_FORMAT ": account or status missing",
		            serial);
		return FALSE;
	}
	file->count++;
	file->total += amount;
	*out = result;
	return TRUE;
}

static gboolean
bank_result_batch_no(BankResultFile *file, const PhRecord *record, GError **error)
{
	const gchar *text = ph_record_get(record, "batch_no");
	guint64 number = 0;
	if (text == NULL)
		return TRUE;
	if (!g_ascii_string_to_unsigned(text, 10, 1, 9999999999, &number, NULL)) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "batch_no '%s' is not a batch",
		            text);
		return FALSE;
	}
	/* a pain.002 may hold several payment blocks; a file answers one batch */
	if (file->batch_no != 0 && file->batch_no != (gint64)number) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "batch_no %s: the file answered batch %010" G_GINT64_FORMAT " before",
		            text, file->batch_no);
		return FALSE;
	}
	file->batch_no = (gint64)number;
	return TRUE;
}

/* The records of a file as the reconciliation takes them: one R record may wait, read ahead
 * to learn the batch from the records before it. */
typedef struct {
	BankResultFile *file;
	PhMappingReader *reader;
	const PhRecord *pending;
} BankResultSource;

/* The next R record into @record (NULL after the last), taking the batch number from the
 * records between. */
static gboolean
bank_result_next_record(BankResultSource *source, const PhRecord **record, GError **error)
{
	GError *local = NULL;
	*record = g_steal_pointer(&source->pending);
	while (*record == NULL || !g_str_equal(ph_record_get_kind(*record), "R")) {
		if (*record != NULL && !bank_result_batch_no(source->file, *record, error))
			return FALSE;
		*record = ph_mapping_reader_next(source->reader, &local);
		if (*record == NULL && local != NULL) {
			g_propagate_error(error, local);
			return FALSE;
		}
		if (*record == NULL)
			return TRUE;
	}
	return TRUE;
}

/* PhPayoutResultFunc over the file's R records. */
static gboolean
bank_result_next(PhPayoutResult *result, gboolean *end, gpointer user_data, GError **error)
{
	BankResultSource *source = user_data;
	const PhRecord *record = NULL;
	if (!bank_result_next_record(source, &record, error))
		return FALSE;
	*end = record == NULL;
	return *end || bank_result_fill(source->file, record, result, error);
}

/* The results into @reconcile: streamed beside the batch's items once the records before
 * the first result named the batch, else added one by one (the booking then rejects a file
 * that never names its batch). */
static gboolean
bank_result_lines(BankResultFile *file, PhPayoutReconcile *reconcile, PhMappingReader *reader,
                  GError **error)
{
	BankResultSource source = {file, reader, NULL};
	if (!bank_result_next_record(&source, &source.pending, error))
		return FALSE;
	if (source.pending != NULL && file->batch_no != 0)
		return ph_payout_api_reconcile_stream(reconcile, file->batch_no, bank_result_next,
		                                      &source, error);
	for (;;) {
		PhPayoutResult result;
		gboolean end = FALSE;
		if (!bank_result_next(&result, &end, &source, error))
			return FALSE;
		if (end)
			return TRUE;
		if (!ph_payout_api_reconcile_add(reconcile, &result, error))
			return FALSE;
	}
}

/* Streams the file through its kept copy, its digest and mapping into @reconcile, to its end.
 * A parse error is the file's fault: @refused (INVALID_INPUT), the rest of the file still read
 * for the digest and the kept copy; a transport or database error is not: FALSE. */
static gboolean
bank_result_read(BankResultFile *file, PhPayoutReconcile *reconcile, PhDocumentKeep *keep,
                 GError **refused, GError **error)
{
	g_autoptr(GInputStream) input = ph_sftp_open_read(file->sftp, file->path, error);
	if (input == NULL)
		return FALSE;
	/* one download: the bytes read are kept as they pass */
	g_autoptr(GInputStream) kept = ph_document_api_keep_input(keep, input);
	/* declared before the stream whose thread digests, so that it outlives it */
	g_autoptr(PhDigest) digest = ph_digest_new(file->done.alg);
	/* the digest runs in the stream's own thread, beside the mapping reader */
	g_autoptr(GInputStream) tee = ph_digest_input_stream_new_threaded(kept, digest);
	PhMapping *mapping = file->partner->result;
	g_autoptr(PhMappingReader) reader = ph_mapping_reader_new(mapping, tee, file->name);
	g_autoptr(GError) bad = NULL;
	g_autoptr(GError) local = NULL;
	if (!bank_result_lines(file, reconcile, reader, &bad) &&
	    !g_error_matches(bad, PH_ERROR, PH_ERROR_INVALID_INPUT)) {
		g_propagate_error(error, g_steal_pointer(&bad));
		return FALSE;
	}
	/* whatever the reader left unread still counts for the digest and the kept copy */
	while (local == NULL && g_input_stream_skip(tee, 1 << 16, NULL, &local) > 0)
		;
	/* closing waits for the digest thread: the digest is complete */
	if (local == NULL)
		g_input_stream_close(tee, NULL, &local);
	if (local != NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	file->actual_hex = g_strdup(ph_digest_get_hex(digest));
	if (bad != NULL)
		g_propagate_error(refused, g_steal_pointer(&bad));
	return TRUE;
}

/* Commits the copy kept while the file was read, on the worker thread's connection: in the
 * booking's transaction, so that a booked file is a kept one (the batch's archival package
 * takes it from the close on), or alone for a file refused. */
static gboolean
bank_result_keep(BankResultFile *file, PhDocumentKeep *keep, GError **error)
{
	g_autofree gchar *exchanged =
	        g_strdup_printf("%s %s", ph_digest_alg_get_name(file->done.alg), file->actual_hex);
	return ph_document_api_keep_commit(keep, exchanged, error);
}

/* The file disagrees with its done file: the reason, or NULL when they agree. */
static gchar *
bank_result_check_done(const BankResultFile *file)
{
	if (!g_str_equal(file->actual_hex, file->done.hex))
		return g_strdup_printf("digest %s differs from the done file's %s",
		                       file->actual_hex, file->done.hex);
	if (file->count != file->done.count)
		return g_strdup_printf("%" G_GINT64_FORMAT
		                       " results, the done file says %" G_GINT64_FORMAT,
		                       file->count, file->done.count);
	if (file->total != file->done.total)
		return g_strdup_printf("total %" G_GINT64_FORMAT
		                       " fen, the done file says %" G_GINT64_FORMAT,
		                       file->total, file->done.total);
	if (file->batch_no == 0)
		return g_strdup("no batch number in the file");
	return NULL;
}

/* Moves NAME and NAME.ok into @folder on the bank's side, never over an earlier file. */
static void
bank_result_move(BankResultFile *file, const gchar *folder, const gchar *reason)
{
	const BankPartner *partner = file->partner;
	g_autofree gchar *target_dir = g_build_path("/", partner->outbox, folder, NULL);
	g_autofree gchar *stamp = g_strdup_printf("%" G_GINT64_FORMAT, g_get_real_time());
	for (guint i = 0; i < 2; i++) {
		g_autofree gchar *name =
		        g_strconcat(file->name, i == 0 ? "" : BANK_DONE_SUFFIX, NULL);
		g_autofree gchar *from = g_build_path("/", partner->outbox, name, NULL);
		g_autofree gchar *to = g_build_path("/", target_dir, name, NULL);
		g_autofree gchar *aside = g_strconcat(to, ".", stamp, NULL);
		g_autoptr(GError) error = NULL;
		if (!ph_sftp_rename(file->sftp, from, to, &error) &&
		    !ph_sftp_rename(file->sftp, from, aside, NULL))
			g_warning("bank %s: cannot move %s to %s: %s", partner->name, name, folder,
			          error->message);
	}
	if (reason == NULL)
		return;
	g_autofree gchar *reason_name = g_strconcat(file->name, ".", stamp, ".reason", NULL);
	g_autofree gchar *text = g_strconcat(reason, "\n", NULL);
	g_autoptr(GBytes) bytes = g_bytes_new(text, strlen(text));
	g_autoptr(GError) error = NULL;
	if (!ph_sftp_put_bytes(file->sftp, target_dir, reason_name, bytes, &error))
		g_warning("bank %s: cannot write %s: %s", partner->name, reason_name,
		          error->message);
}

static gboolean
bank_result_reject(BankResultFile *file, const gchar *reason, GError **error)
{
	g_warning("bank %s: result file %s rejected, nothing booked: %s", file->partner->name,
	          file->name, reason);
	if (!ph_payout_api_result_reject(file->bank->plugin, &file->id, file->batch_no, reason,
	                                 error))
		return FALSE;
	bank_result_move(file, "rejected", reason);
	return TRUE;
}

static gboolean
bank_result_book(BankResultFile *file, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(PhDocumentKeep) keep =
	        bank_keep_result_begin(file->bank, file->partner, file->name, error);
	if (keep == NULL)
		return FALSE;
	g_autoptr(PhPayoutReconcile) reconcile =
	        ph_payout_api_reconcile_begin(file->bank->plugin, error);
	if (reconcile == NULL || !bank_result_read(file, reconcile, keep, &local, error))
		return FALSE;
	g_autofree gchar *mismatch =
	        local != NULL ? g_strdup(local->message) : bank_result_check_done(file);
	if (mismatch != NULL) {
		g_clear_pointer(&reconcile, ph_payout_api_reconcile_free);
		return bank_result_keep(file, keep, error) &&
		       bank_result_reject(file, mismatch, error);
	}
	PhPayoutTotals totals = {0};
	/* kept in the booking's commit */
	if (!ph_payout_api_reconcile_finish(reconcile, error) ||
	    !bank_result_keep(file, keep, error))
		return FALSE;
	if (!ph_payout_api_reconcile_book(reconcile, file->batch_no, &file->id, &totals, &local)) {
		if (!g_error_matches(local, PH_ERROR, PH_ERROR_INVALID_INPUT)) {
			g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
		/* the host has rolled back (the kept file's record with it) and recorded the
		 * rejection: the kept file is recorded again, alone */
		if (!bank_result_keep(file, keep, error))
			return FALSE;
		g_warning("bank %s: result file %s rejected, nothing booked: %s",
		          file->partner->name, file->name, local->message);
		bank_result_move(file, "rejected", local->message);
		return TRUE;
	}
	g_message("bank %s: %s booked for batch %010" G_GINT64_FORMAT ": %" G_GINT64_FORMAT
	          " paid (%" G_GINT64_FORMAT " fen), %" G_GINT64_FORMAT " failed (%" G_GINT64_FORMAT
	          " fen), %" G_GINT64_FORMAT " held for review; lines proven by %s",
	          file->partner->name, file->name, file->batch_no, totals.paid_count,
	          totals.paid_total, totals.failed_count, totals.failed_total, totals.holds,
	          totals.proof);
	bank_result_move(file, "processed", NULL);
	return TRUE;
}

/* A file taken before (the bank sent it again, or the hub died after its verdict and before
 * moving it): kept, and moved as its verdict was, booked to processed/ and rejected to
 * rejected/ with its reason again; never booked twice. */
static gboolean
bank_result_taken_before(BankResultFile *file, const gchar *verdict, const gchar *reason,
                         GError **error)
{
	const BankPartner *partner = file->partner;
	gboolean booked = g_str_equal(verdict, "booked");
	g_warning("bank %s: %s (%s) was taken before and %s: not booked again", partner->name,
	          file->name, file->id.digest, verdict);
	/* kept before it leaves the folder (a file the bank sent again, or one refused
	 * before its copy was recorded); the same bytes kept again are one copy */
	if (!bank_keep_result(file->bank, partner, file->sftp, file->path, file->name,
	                      file->done.alg, error))
		return FALSE;
	g_autofree gchar *why = booked ? g_strdup("taken before and booked: not booked again")
	                               : g_strdup_printf("taken before and rejected: %s",
	                                                 reason != NULL ? reason : "(no reason)");
	bank_result_move(file, booked ? "processed" : "rejected", why);
	return TRUE;
}

static gboolean
bank_result_take(Bank *bank, const BankPartner *partner, PhSftp *sftp, const PhSftpEntry *entry,
                 GError **error)
{
	g_auto(BankResultFile) file = {bank, partner, sftp, entry->name};
	file.path = g_build_path("/", partner->outbox, entry->name, NULL);
	g_autofree gchar *done_path = g_strconcat(file.path, BANK_DONE_SUFFIX, NULL);
	g_autoptr(GError) bad_done = NULL;
	g_autoptr(GBytes) done = ph_sftp_get_bytes(sftp, done_path, BANK_DONE_MAX, &bad_done);
	/* a done file too long to be one is the bank's fault (INVALID_INPUT), rejected like an
	 * unreadable one: failing the poll would stop it at this file every time */
	if (done == NULL && !g_error_matches(bad_done, PH_ERROR, PH_ERROR_INVALID_INPUT)) {
		g_propagate_error(error, g_steal_pointer(&bad_done));
		return FALSE;
	}
	gboolean done_ok = done != NULL && bank_file_done_parse(done, &file.done, &bad_done);
	file.id_digest = done_ok ? g_strdup_printf("%s %s", ph_digest_alg_get_name(file.done.alg),
	                                           file.done.hex)
	                         : g_strdup("- unreadable done file");
	file.id = (PhPayoutFileId){partner->name, entry->name, (gint64)entry->size, file.id_digest};
	if (!done_ok)
		return bank_result_reject(&file, bad_done->message, error);
	g_autofree gchar *verdict = NULL;
	g_autofree gchar *reason = NULL;
	if (!ph_payout_api_result_verdict(bank->plugin, &file.id, &verdict, &reason, error))
		return FALSE;
	if (verdict != NULL)
		return bank_result_taken_before(&file, verdict, reason, error);
	return bank_result_book(&file, error);
}

/* Whether @entry is a result file whose done file is there (@entries: name to entry) and
 * written: an empty one is being written (an SFTP put creates the file before its line), and
 * taking the pair now would reject a good file for good; it is left for a later poll. */
static gboolean
bank_result_is_complete(const BankPartner *partner, const PhSftpEntry *entry, GHashTable *entries)
{
	if (!g_str_has_prefix(entry->name, BANK_RESULT_PREFIX) ||
	    g_str_has_suffix(entry->name, BANK_DONE_SUFFIX))
		return FALSE;
	g_autofree gchar *done_name = g_strconcat(entry->name, BANK_DONE_SUFFIX, NULL);
	const PhSftpEntry *done = g_hash_table_lookup(entries, done_name);
	if (done != NULL && done->size == 0)
		g_message("bank %s: %s: its done file is empty (being written): left for a later "
		          "poll",
		          partner->name, entry->name);
	return done != NULL && done->size > 0;
}

gint
bank_result_poll_partner(Bank *bank, const BankPartner *partner, GError **error)
{
	g_autoptr(PhSftp) sftp = ph_sftp_connect(&partner->sftp, error);
	if (sftp == NULL)
		return -1;
	g_autofree gchar *processed = g_build_path("/", partner->outbox, "processed", NULL);
	g_autofree gchar *rejected = g_build_path("/", partner->outbox, "rejected", NULL);
	g_autoptr(GPtrArray) entries = ph_sftp_list(sftp, partner->outbox, error);
	if (entries == NULL || !ph_sftp_mkdir(sftp, processed, error) ||
	    !ph_sftp_mkdir(sftp, rejected, error))
		return -1;
	g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);
	for (guint i = 0; i < entries->len; i++) {
		PhSftpEntry *listed = g_ptr_array_index(entries, i);
		g_hash_table_insert(names, listed->name, listed);
	}
	gint taken = 0;
	for (guint i = 0; i < entries->len; i++) {
		const PhSftpEntry *entry = g_ptr_array_index(entries, i);
		if (!bank_result_is_complete(partner, entry, names))
			continue;
		g_autoptr(GError) local = NULL;
		if (bank_result_take(bank, partner, sftp, entry, &local)) {
			taken++;
			continue;
		}
		/* a file that must wait (its batch not yet recorded as sent; or another hub process
		 * booked it at the same moment) does not hold up the bank's other files; any other
		 * failure, a broken connection first of all, ends this poll */
		if (!g_error_matches(local, PH_ERROR, PH_ERROR_CONFLICT)) {
			g_propagate_error(error, g_steal_pointer(&local));
			return -1;
		}
		g_warning("bank %s: result file %s: %s", partner->name, entry->name,
		          local->message);
	}
	return taken;
}

void
bank_result_poll(gpointer state)
{
	Bank *bank = state;
	for (guint i = 0; i < bank->banks->len; i++) {
		const BankPartner *partner = g_ptr_array_index(bank->banks, i);
		g_autoptr(GError) error = NULL;
		if (bank_result_poll_partner(bank, partner, &error) < 0)
			g_warning("bank %s: result poll: %s", partner->name, error->message);
	}
}
