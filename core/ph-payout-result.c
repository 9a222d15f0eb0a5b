/* Bank result files (see ph-payout-result.h): every check runs before the first change,
 * so a rejected file leaves the transaction as it found it. Core only. */
#include "ph-payout-result.h"

#include <string.h>
#include <sys/random.h>

#include "ph-bulk-stream.h"
#include "ph-bulk.h"
#include "ph-error.h"
#include "ph-field-cipher.h"
#include "ph-payout-batch.h"
#include "ph-payout-line.h"
#include "ph-payout-stream.h"
#include "ph-sql-value.h"
#include "ph-person.h"
#include "ph-siphash.h"

/* The serials of the file's lines that match the item sent with their serial, ID number
 * (when the profile echoes it), account and amount; $1 is the batch, $2 the file's id. The
 * echoed numbers are stored as their keyed hashes (payout_item holds them sealed;
 * docs/security.md): the ID number equal to the item's plaintext copy without a key file,
 * else to the person's id_lookup, joined (a hash join) rather than looked up per line, which
 * cost a million index probes per million lines; the account equal to the item's
 * account_lookup, or to its plaintext account in an item built before migration 0015. */
#define PH_PAYOUT_RESULT_MATCHED                                                                   \
	"SELECT l.serial FROM payout_result_line l JOIN payout_item i ON i.batch_no = $1::bigint " \
	"AND i.serial = l.serial AND coalesce(i.account_lookup, i.account) = l.account AND "       \
	"i.amount = l.amount LEFT JOIN person p ON p.person_id = i.person_id AND l.id_number IS "  \
	"NOT NULL AND i.id_number <> l.id_number WHERE l.file_id = $2::bigint AND (l.id_number "   \
	"IS NULL OR i.id_number = l.id_number OR l.id_number = p.id_lookup)"

/* The batch's items in serial order, as the stream compares them with the lines: serial, ID
 * number (sealed, or plaintext before a key file), account lookup, amount; with a key file
 * also the person's id_lookup, which a sealed item's AAC002 echo is compared with. */
#define PH_PAYOUT_RESULT_ITEMS                                                                     \
	"SELECT i.serial::bigint, i.id_number, coalesce(i.account_lookup, i.account), i.amount%s " \
	"FROM payout_item i %s WHERE i.batch_no = %" G_GINT64_FORMAT " ORDER BY i.serial"
#define PH_PAYOUT_RESULT_ITEMS_PERSON "LEFT JOIN person p ON p.person_id = i.person_id"
#define PH_PAYOUT_RESULT_ITEMS_PLAN                                                                \
	"SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off"

/* Binary: the server parses no text (about a tenth of its COPY's cost, measured with perf). */
#define PH_PAYOUT_RESULT_COPY                                                                      \
	"COPY payout_result_line (file_id, serial, id_number, account, amount, status, reason, "   \
	"bank_ref, message) FROM STDIN (FORMAT binary)"
#define PH_PAYOUT_RESULT_COPY_FIELDS 9

/* The failed lines' answers (file id, serial, status, reason, bank_ref, message) are kept
 * aside as COPY text for the booking, up to this size (a hundred thousand lines or so); a
 * file with more is booked from its stored lines instead, a scan of all of them. */
#define PH_PAYOUT_RESULT_FAILED_MAX (16 * 1024 * 1024)
#define PH_PAYOUT_RESULT_FAILED_TABLE                                                              \
	"CREATE TEMPORARY TABLE payout_result_failed (file_id bigint NOT NULL, "                   \
	"serial integer NOT NULL, status text NOT NULL, reason text, bank_ref text, "              \
	"message text) ON COMMIT DROP"

/* COPY text sent per call: small enough that the server stores lines while the caller
 * parses the next ones. */
#define PH_PAYOUT_RESULT_CHUNK (256 * 1024)
/* Serials are N 8 in PH-BANK-1: a bitmap of 10^8 bits (12.5 MB at most) finds repeats. */
#define PH_PAYOUT_RESULT_MAX_SERIAL 99999999

struct _PhPayoutResultLoad {
	PhDb *db;
	gint64 file_id;
	gchar file_text[24];
	GString *copy;
	gboolean copying;
	guint8 *seen; /* bitmap of the serials added */
	gsize seen_size;
	gint64 lines;
	gint64 repeated;      /* the first serial added twice, or 0 */
	gint64 out_of_range;  /* the first serial outside 1 … 99,999,999, or 0 */
	PhPayoutBooking sums; /* of the lines as added; equal to the items once all match */
	GString *failed;      /* the failed lines' answers, or NULL once too many */
	/* ph_payout_result_stream(): the batch streamed, the lines found equal to the item
	 * read beside them, and where the lines come from */
	gint64 stream_batch;
	gint64 proven;
	gboolean by_digest; /* proven by the items' digest, not line by line */
	PhPayoutResultNextFunc next;
	gpointer next_data;
	gboolean next_end;
	/* ph_payout_result_stream_lines(): the batch's items' digest, to prove the lines by */
	gchar *items_digest;
	/* ph_payout_result_stream_lines() stores no echoes (each line is proven by the items'
	 * digest, or else by its fingerprint): each line's keyed fingerprint by serial, 1 …
	 * item_count, which lines echo no ID number, and the first serial beyond the items */
	guint64 *fingerprints;
	guint8 *no_id;
	guint8 *compared; /* bitmap by serial: the item of that serial was read (the check) */
	gint64 item_count;
	gsize item_bytes; /* of @no_id and @compared */
	gint64 beyond;
	gint64 unmatched; /* the first line whose fingerprint is not its item's, or 0 */
	guint8 fingerprint_key[PH_SIPHASH_KEY_BYTES];
	GByteArray *fingerprint_input;
};

gboolean
ph_payout_result_known(PhDb *db, const PhPayoutResultFile *file, gchar **verdict, gchar **reason,
                       GError **error)
{
	gchar size[24];
	const gchar *params[] = {file->bank, file->name, PH_COMMAND_INT_TEXT(size, file->size),
	                         file->digest};
	*verdict = NULL;
	*reason = NULL;
	g_autoptr(PGresult) result =
	        ph_db_query(db,
	                    "SELECT verdict, reason FROM payout_result_file WHERE bank = $1 AND "
	                    "name = $2 AND size = $3::bigint AND digest = $4",
	                    4, params, error);
	if (result == NULL)
		return FALSE;
	if (PQntuples(result) > 0) {
		*verdict = ph_sql_value_dup(result, 0, 0);
		*reason = ph_sql_value_dup(result, 0, 1);
	}
	return TRUE;
}

static gboolean
ph_payout_result_copy_failed(PhPayoutResultLoad *load, GError **error)
{
	g_set_error(error, PH_ERROR, PH_ERROR_DATABASE, "payout result lines: copy failed: %s",
	            PQerrorMessage(ph_db_get_conn(load->db)));
	return FALSE;
}

PhPayoutResultLoad *
ph_payout_result_begin(PhDb *db, GError **error)
{
	g_return_val_if_fail(db != NULL, NULL);
	g_autoptr(PGresult) id =
	        ph_db_query(db, "SELECT nextval('payout_result_file_id')", 0, NULL, error);
	if (id == NULL)
		return NULL;
	g_autoptr(PhPayoutResultLoad) load = g_new0(PhPayoutResultLoad, 1);
	load->db = db;
	load->file_id = ph_db_get_int64(id, 0, 0);
	PH_COMMAND_INT_TEXT(load->file_text, load->file_id);
	load->copy = g_string_sized_new(PH_PAYOUT_RESULT_CHUNK + 1024);
	load->failed = g_string_new(NULL);
	return g_steal_pointer(&load);
}

/* Starts the COPY of ph_payout_result_add() at its first line. */
static gboolean
ph_payout_result_start_copy(PhPayoutResultLoad *load, GError **error)
{
	g_autoptr(PGresult) start = PQexec(ph_db_get_conn(load->db), PH_PAYOUT_RESULT_COPY);
	if (PQresultStatus(start) != PGRES_COPY_IN) {
		g_set_error(error, PH_ERROR, PH_ERROR_DATABASE, "payout result lines: %s",
		            PQresultErrorMessage(start));
		return FALSE;
	}
	load->copying = TRUE;
	ph_bulk_binary_header(load->copy);
	return TRUE;
}

/* Whether bit @serial of @bits (serials from 1, within its @size bytes) is set. */
static gboolean
ph_payout_result_bit(const guint8 *bits, gsize size, gint64 serial)
{
	gsize byte = (gsize)serial / 8;
	return serial >= 1 && byte < size && (bits[byte] & (1u << (serial % 8))) != 0;
}

/* Sets bit @serial of @bits, which holds it. */
static void
ph_payout_result_set_bit(guint8 *bits, gint64 serial)
{
	bits[serial / 8] |= (guint8)(1u << (serial % 8));
}

/* Notes a serial; the booking rejects a file with a repeated or impossible serial. */
static void
ph_payout_result_see(PhPayoutResultLoad *load, gint serial)
{
	if (serial < 1 || serial > PH_PAYOUT_RESULT_MAX_SERIAL) {
		if (load->out_of_range == 0)
			load->out_of_range = serial == 0 ? -1 : serial;
		return;
	}
	gsize byte = (gsize)serial / 8;
	if (byte >= load->seen_size) {
		gsize size = MAX(byte + 1, load->seen_size * 2);
		load->seen = g_realloc(load->seen, size);
		memset(load->seen + load->seen_size, 0, size - load->seen_size);
		load->seen_size = size;
	}
	if (ph_payout_result_bit(load->seen, load->seen_size, serial) && load->repeated == 0)
		load->repeated = serial;
	ph_payout_result_set_bit(load->seen, serial);
}

/* The fingerprint of a line, or of an item, under this file's key: the bytes the items'
 * digest takes of it (ph-payout-line.h), through SipHash-2-4. The bank never learns the key,
 * so it cannot write a line that looks like another. */
static guint64
ph_payout_result_fingerprint(PhPayoutResultLoad *load, gint serial, const gchar *id_number,
                             const gchar *account, gint64 amount)
{
	GByteArray *input = load->fingerprint_input;
	g_byte_array_set_size(input, 0);
	ph_payout_line_encode(input, serial, id_number, account, amount);
	return ph_siphash24(load->fingerprint_key, input->data, input->len);
}

/* Notes a line stored without its echoes: its fingerprint by serial, or the first serial
 * beyond the batch's items (a serial below 1 is out of range: ph_payout_result_see). */
static void
ph_payout_result_note(PhPayoutResultLoad *load, const PhPayoutResultLine *line)
{
	if (line->serial < 1)
		return;
	if (line->serial > load->item_count) {
		if (load->beyond == 0 || line->serial < load->beyond)
			load->beyond = line->serial;
		return;
	}
	load->fingerprints[line->serial] = ph_payout_result_fingerprint(
	        load, line->serial, line->id_number, line->account, line->amount);
	if (line->id_number == NULL)
		ph_payout_result_set_bit(load->no_id, line->serial);
}

static gboolean
ph_payout_result_send(PhPayoutResultLoad *load, GError **error)
{
	if (load->copy->len > 0 &&
	    PQputCopyData(ph_db_get_conn(load->db), load->copy->str, (int)load->copy->len) != 1)
		return ph_payout_result_copy_failed(load, error);
	g_string_truncate(load->copy, 0);
	return TRUE;
}

/* TRUE when field @field of @row is the text @text. */
static gboolean
ph_payout_result_field_is(const PhBulkStreamRow *row, guint field, const gchar *text)
{
	if (text == NULL || field >= row->n_fields || ph_bulk_stream_is_null(row, field))
		return FALSE;
	gsize length = strlen(text);
	return (gsize)row->length[field] == length && memcmp(row->data[field], text, length) == 0;
}

/* What the matching query would find for this line and item (PH_PAYOUT_RESULT_MATCHED), in
 * C: the same serial, account lookup and amount, and no ID number echoed, or the item's, or
 * the person's lookup of it. */
static gboolean
ph_payout_result_matches(const PhBulkStreamRow *row, const PhPayoutResultLine *line,
                         const gchar *id_key, const gchar *account_key)
{
	gint64 serial = 0, amount = 0;
	if (!ph_bulk_stream_int64(row, 0, &serial) || serial != line->serial ||
	    !ph_bulk_stream_int64(row, 3, &amount) || amount != line->amount ||
	    !ph_payout_result_field_is(row, 2, account_key))
		return FALSE;
	return id_key == NULL || ph_payout_result_field_is(row, 1, id_key) ||
	       ph_payout_result_field_is(row, 4, id_key);
}

/* Keeps a failed line's answer aside for the booking, while there is room. */
static void
ph_payout_result_put_failed(PhPayoutResultLoad *load, const PhPayoutResultLine *line)
{
	GString *failed = load->failed;
	if (failed == NULL)
		return;
	g_string_append(failed, load->file_text);
	g_string_append_c(failed, '\t');
	ph_bulk_append_int(failed, line->serial, '\t');
	ph_bulk_append_text(failed, line->status, '\t');
	ph_bulk_append_nullable(failed, line->reason, '\t');
	ph_bulk_append_nullable(failed, line->bank_ref, '\t');
	ph_bulk_append_nullable(failed, line->message, '\n');
	if (failed->len > PH_PAYOUT_RESULT_FAILED_MAX) {
		g_string_free(failed, TRUE);
		load->failed = NULL;
	}
}

/* Notes @line in the sums and appends its COPY text; with @item (the item read beside it),
 * counts it proven when they match. */
static void
ph_payout_result_put(PhPayoutResultLoad *load, const PhPayoutResultLine *line,
                     const PhBulkStreamRow *item, GString *copy)
{
	gboolean paid = g_str_equal(line->status, "0000");
	ph_payout_result_see(load, line->serial);
	load->lines++;
	load->sums.paid_count += paid;
	load->sums.paid_total += paid ? line->amount : 0;
	load->sums.failed_count += !paid;
	load->sums.failed_total += paid ? 0 : line->amount;
	load->sums.holds += !paid && g_strcmp0(line->reason, PH_PAYOUT_REASON_DECEASED) == 0;
	if (!paid)
		ph_payout_result_put_failed(load, line);
	/* Encryption at rest (docs/security.md): the echoed AAC002 and AAE010 are kept as their
	 * keyed hashes and matched against the person's and the item's, held sealed; a file
	 * proven without them keeps them only in its kept copy (ph_payout_result_stream_lines). */
	g_autofree gchar *id_key = NULL;
	g_autofree gchar *account_key = NULL;
	if (load->fingerprints != NULL) {
		ph_payout_result_note(load, line);
	} else {
		id_key = line->id_number != NULL ? ph_person_lookup_key(line->id_number) : NULL;
		account_key = ph_field_lookup(line->account);
	}
	if (item != NULL && ph_payout_result_matches(item, line, id_key, account_key))
		load->proven++;
	ph_bulk_binary_row(copy, PH_PAYOUT_RESULT_COPY_FIELDS);
	ph_bulk_binary_int64(copy, load->file_id);
	ph_bulk_binary_int32(copy, line->serial);
	ph_bulk_binary_text(copy, id_key);
	ph_bulk_binary_text(copy, account_key);
	ph_bulk_binary_int64(copy, line->amount);
	ph_bulk_binary_text(copy, line->status);
	ph_bulk_binary_text(copy, line->reason);
	ph_bulk_binary_text(copy, line->bank_ref);
	ph_bulk_binary_text(copy, line->message);
}

gboolean
ph_payout_result_add(PhPayoutResultLoad *load, const PhPayoutResultLine *line, GError **error)
{
	g_return_val_if_fail(load != NULL && line != NULL, FALSE);
	g_return_val_if_fail(line->account != NULL && line->status != NULL, FALSE);
	if (!load->copying && !ph_payout_result_start_copy(load, error))
		return FALSE;
	ph_payout_result_put(load, line, NULL, load->copy);
	return load->copy->len < PH_PAYOUT_RESULT_CHUNK || ph_payout_result_send(load, error);
}

/* Takes the next line from the caller; FALSE with @error unset after the last. */
static gboolean
ph_payout_result_next(PhPayoutResultLoad *load, PhPayoutResultLine *line, GError **error)
{
	memset(line, 0, sizeof(*line));
	if (load->next_end || !load->next(line, &load->next_end, load->next_data, error))
		return FALSE;
	if (load->next_end)
		return FALSE;
	if (line->account == NULL || line->status == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "result serial %d: account or status missing", line->serial);
		return FALSE;
	}
	return TRUE;
}

/* One item of the batch, in serial order: the caller's next line goes beside it. Items left
 * when the lines have ended are read to the end, so that the stream ends cleanly. */
static gboolean
ph_payout_result_pair(const PhBulkStreamRow *item, GString *copy, gpointer user_data,
                      GError **error)
{
	PhPayoutResultLoad *load = user_data;
	PhPayoutResultLine line;
	GError *local = NULL;
	if (ph_payout_result_next(load, &line, &local))
		ph_payout_result_put(load, &line, item, copy);
	if (local != NULL) {
		g_propagate_error(error, local);
		return FALSE;
	}
	return TRUE;
}

/* Whether every line was proven equal to its item as it streamed (or all by the items'
 * digest), so that the booking runs no matching query; PhPayoutBooking.proof says which. */
static gboolean
ph_payout_result_proven(const PhPayoutResultLoad *load)
{
	return load->stream_batch != 0 && load->proven == load->lines;
}

/* Stores every line the caller has left with ph_payout_result_add(). */
static gboolean
ph_payout_result_add_rest(PhPayoutResultLoad *load, GError **error)
{
	PhPayoutResultLine line;
	g_autoptr(GError) local = NULL;
	while (ph_payout_result_next(load, &line, &local))
		if (!ph_payout_result_add(load, &line, &local))
			break;
	if (local != NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	return TRUE;
}

gboolean
ph_payout_result_stream(PhPayoutResultLoad *load, gint64 batch_no, PhPayoutResultNextFunc next,
                        gpointer user_data, GError **error)
{
	g_return_val_if_fail(load != NULL && !load->copying && load->lines == 0, FALSE);
	g_return_val_if_fail(next != NULL && batch_no > 0, FALSE);
	gboolean keyed = ph_field_cipher_is_installed();
	g_autofree gchar *items =
	        g_strdup_printf(PH_PAYOUT_RESULT_ITEMS, keyed ? ", p.id_lookup" : "",
	                        keyed ? PH_PAYOUT_RESULT_ITEMS_PERSON : "", batch_no);
	load->stream_batch = batch_no;
	load->next = next;
	load->next_data = user_data;
	/* with a key file each item's person is found by its primary key, so that the items stay
	 * in serial order: with a hash join and a sort of the rows, 500,000 sealed lines took
	 * 4.23 s to book, with these probes 1.85 s (through the SQL match 2.73-2.89 s) */
	g_autoptr(GString) header = g_string_new(NULL);
	ph_bulk_binary_header(header);
	if (!ph_bulk_stream_run_full(load->db, keyed ? PH_PAYOUT_RESULT_ITEMS_PLAN : NULL, items,
	                             PH_PAYOUT_RESULT_COPY, header, ph_payout_result_pair, load,
	                             NULL, error))
		return FALSE;
	/* more lines than items: the rest are stored unmatched, for the query to name */
	return ph_payout_result_add_rest(load, error);
}

/* PhBulkStreamFillFunc over the caller's lines. */
static gboolean
ph_payout_result_fill(GString *copy, gboolean *end, gpointer user_data, GError **error)
{
	PhPayoutResultLoad *load = user_data;
	PhPayoutResultLine line;
	GError *local = NULL;
	if (ph_payout_result_next(load, &line, &local)) {
		ph_payout_result_put(load, &line, NULL, copy);
		return TRUE;
	}
	if (local != NULL) {
		g_propagate_error(error, local);
		return FALSE;
	}
	*end = TRUE;
	return TRUE;
}

/* The lines to come are stored without their echoes: room for a fingerprint per item of the
 * batch (8 bytes each), and the file's own key, drawn from the kernel. */
static gboolean
ph_payout_result_fingerprints_begin(PhPayoutResultLoad *load, gint64 item_count, GError **error)
{
	if (getrandom(load->fingerprint_key, sizeof load->fingerprint_key, 0) !=
	    (gssize)sizeof load->fingerprint_key) {
		g_set_error(error, PH_ERROR, PH_ERROR_FAILED,
		            "payout result lines: no random key for their fingerprints");
		return FALSE;
	}
	load->item_count = MAX(item_count, 0);
	load->fingerprints = g_new0(guint64, load->item_count + 1);
	load->item_bytes = (gsize)load->item_count / 8 + 1;
	load->no_id = g_new0(guint8, load->item_bytes);
	load->compared = g_new0(guint8, load->item_bytes);
	load->fingerprint_input = g_byte_array_sized_new(128);
	return TRUE;
}

gboolean
ph_payout_result_stream_lines(PhPayoutResultLoad *load, gint64 batch_no,
                              PhPayoutResultNextFunc next, gpointer user_data, GError **error)
{
	gchar number[24];
	g_return_val_if_fail(load != NULL && !load->copying && load->lines == 0, FALSE);
	g_return_val_if_fail(next != NULL && batch_no > 0, FALSE);
	const gchar *params[] = {PH_COMMAND_INT_TEXT(number, batch_no)};
	/* read before the COPY takes the connection */
	g_autoptr(PGresult) batch = ph_db_query(
	        load->db,
	        "SELECT items_digest, item_count FROM payout_batch WHERE batch_no = $1::bigint", 1,
	        params, error);
	if (batch == NULL)
		return FALSE;
	if (PQntuples(batch) > 0 && !PQgetisnull(batch, 0, 0))
		load->items_digest = g_strdup(PQgetvalue(batch, 0, 0));
	if (!ph_payout_result_fingerprints_begin(
	            load, PQntuples(batch) > 0 ? ph_db_get_int64(batch, 0, 1) : 0, error))
		return FALSE;
	load->stream_batch = batch_no;
	load->next = next;
	load->next_data = user_data;
	g_autoptr(GString) header = g_string_new(NULL);
	ph_bulk_binary_header(header);
	return ph_bulk_stream_copy(load->db, PH_PAYOUT_RESULT_COPY, header, ph_payout_result_fill,
	                           load, error);
}

void
ph_payout_result_prove_digest(PhPayoutResultLoad *load, const gchar *lines_digest)
{
	g_return_if_fail(load != NULL && lines_digest != NULL);
	if (load->items_digest != NULL && g_str_equal(load->items_digest, lines_digest)) {
		load->proven = load->lines;
		load->by_digest = TRUE;
	}
}

/* Sends the rest and ends the COPY; with @abandon, ends it as failed. */
static gboolean
ph_payout_result_end_copy(PhPayoutResultLoad *load, const gchar *abandon, GError **error)
{
	PGconn *conn = ph_db_get_conn(load->db);
	gboolean ok = abandon != NULL || ph_payout_result_send(load, error);
	load->copying = FALSE;
	if (PQputCopyEnd(conn, ok ? abandon : "client failed") != 1)
		return abandon == NULL && ph_payout_result_copy_failed(load, error);
	PGresult *result;
	while ((result = PQgetResult(conn)) != NULL) {
		if (ok && abandon == NULL && PQresultStatus(result) != PGRES_COMMAND_OK) {
			g_set_error(error, PH_ERROR, PH_ERROR_DATABASE,
			            "payout result lines: copy failed: %s",
			            PQresultErrorMessage(result));
			ok = FALSE;
		}
		PQclear(result);
	}
	return ok && abandon == NULL;
}

gboolean
ph_payout_result_finish_lines(PhPayoutResultLoad *load, GError **error)
{
	g_return_val_if_fail(load != NULL, FALSE);
	return !load->copying || ph_payout_result_end_copy(load, NULL, error);
}

void
ph_payout_result_load_free(PhPayoutResultLoad *load)
{
	if (load == NULL)
		return;
	if (load->copying)
		ph_payout_result_end_copy(load, "reconciliation abandoned", NULL);
	if (load->copy != NULL)
		g_string_free(load->copy, TRUE);
	if (load->failed != NULL)
		g_string_free(load->failed, TRUE);
	g_free(load->seen);
	g_free(load->items_digest);
	g_free(load->fingerprints);
	g_free(load->no_id);
	g_free(load->compared);
	if (load->fingerprint_input != NULL)
		g_byte_array_unref(load->fingerprint_input);
	g_free(load);
}

static gboolean ph_payout_result_invalid(GError **error, gint64 batch_no, const gchar *format, ...)
        G_GNUC_PRINTF(3, 4);

static gboolean
ph_payout_result_invalid(GError **error, gint64 batch_no, const gchar *format, ...)
{
	va_list args;
	va_start(args, format);
	g_autofree gchar *reason = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
	            "payout batch %010" G_GINT64_FORMAT ": %s", batch_no, reason);
	return FALSE;
}

static gboolean
ph_payout_result_unmatched(GError **error, gint64 batch_no, const gchar *serial)
{
	return ph_payout_result_invalid(error, batch_no,
	                                "result serial %s: no item with that serial, ID number, "
	                                "account and amount was sent",
	                                serial);
}

/* ph_payout_stream_items' function over the batch's items, opened: the first line,
 * in serial order, whose fingerprint is not its item's. An item no line answered is not a
 * line: the count and the first serial beyond the items name that file. */
static gboolean
ph_payout_result_compare_item(const PhPayoutItem *item, gpointer user_data, GError **error)
{
	PhPayoutResultLoad *load = user_data;
	gint64 serial = item->serial;
	if (load->unmatched != 0 || serial > load->item_count ||
	    !ph_payout_result_bit(load->seen, load->seen_size, serial))
		return TRUE;
	gboolean no_id = ph_payout_result_bit(load->no_id, load->item_bytes, serial);
	guint64 fingerprint = ph_payout_result_fingerprint(
	        load, item->serial, no_id ? NULL : item->id_number, item->account, item->amount);
	if (fingerprint != load->fingerprints[serial])
		load->unmatched = serial;
	ph_payout_result_set_bit(load->compared, serial);
	return TRUE;
}

/* The first line whose serial no item of the batch has (the batch's serials are 1 … its
 * count by construction; this does not take that on trust), or 0. */
static gint64
ph_payout_result_first_without_item(const PhPayoutResultLoad *load)
{
	for (gint64 serial = 1; serial <= load->item_count; serial++) {
		if (ph_payout_result_bit(load->seen, load->seen_size, serial) &&
		    !ph_payout_result_bit(load->compared, load->item_bytes, serial))
			return serial;
	}
	return 0;
}

/* Lines stored without their echoes and not proven by the items' digest (another order, or
 * different): each line's fingerprint is compared with its item's, the items read and
 * opened once. A line without an ID number is compared without the item's, as the matching
 * query would. */
static gboolean
ph_payout_result_check_fingerprints(PhPayoutResultLoad *load, const PhPayoutBatch *batch,
                                    GError **error)
{
	gchar serial[24];
	if (load->stream_batch != batch->batch_no)
		return ph_payout_result_invalid(
		        error, batch->batch_no,
		        "the lines were read for batch %010" G_GINT64_FORMAT, load->stream_batch);
	if (!ph_payout_stream_items(load->db, batch->batch_no, NULL, ph_payout_result_compare_item,
	                            load, error))
		return FALSE;
	gint64 without = ph_payout_result_first_without_item(load);
	if (load->unmatched == 0 && without == 0 && load->beyond == 0) {
		load->sums.proof = PH_PAYOUT_PROOF_FINGERPRINTS;
		return TRUE;
	}
	/* the first in serial order: lines beyond the count come after all the others */
	gint64 first = load->unmatched;
	if (without != 0 && (first == 0 || without < first))
		first = without;
	if (first == 0)
		first = load->beyond;
	return ph_payout_result_unmatched(error, batch->batch_no,
	                                  PH_COMMAND_INT_TEXT(serial, first));
}

/* Every line matches one item exactly: no serial twice or out of range (seen while
 * adding), as many lines as items, and each line matches the item of its serial. A line
 * matches at most one item (the serial is the key), so with as many lines as items and no
 * serial twice, all lines matching means every item is answered exactly once. */
static gboolean
ph_payout_result_check_lines(PhPayoutResultLoad *load, const PhPayoutBatch *batch,
                             const gchar *const *params, GError **error)
{
	if (load->repeated != 0)
		return ph_payout_result_invalid(
		        error, batch->batch_no,
		        "result serial %" G_GINT64_FORMAT " is answered twice", load->repeated);
	if (load->out_of_range != 0)
		return ph_payout_result_invalid(error, batch->batch_no,
		                                "result serial %" G_GINT64_FORMAT
		                                ": no item with that serial was sent",
		                                MAX(load->out_of_range, 0));
	if (load->lines != batch->item_count)
		return ph_payout_result_invalid(error, batch->batch_no,
		                                "%" G_GINT64_FORMAT " results for %" G_GINT64_FORMAT
		                                " items sent",
		                                load->lines, batch->item_count);
	/* each line was found equal to a distinct item of this batch as it was streamed */
	if (load->stream_batch == batch->batch_no && ph_payout_result_proven(load)) {
		load->sums.proof = load->by_digest ? PH_PAYOUT_PROOF_DIGEST : PH_PAYOUT_PROOF_LINES;
		return TRUE;
	}
	if (load->fingerprints != NULL)
		return ph_payout_result_check_fingerprints(load, batch, error);
	load->sums.proof = PH_PAYOUT_PROOF_QUERY;
	g_autoptr(PGresult) matched =
	        ph_db_query(load->db, "SELECT count(*) FROM (" PH_PAYOUT_RESULT_MATCHED ") m", 2,
	                    params, error);
	if (matched == NULL)
		return FALSE;
	if (ph_db_get_int64(matched, 0, 0) == load->lines)
		return TRUE;
	g_autoptr(PGresult) first = ph_db_query(
	        load->db,
	        "SELECT l.serial FROM payout_result_line l LEFT JOIN (" PH_PAYOUT_RESULT_MATCHED
	        ") m ON m.serial = l.serial WHERE l.file_id = $2::bigint AND m.serial IS NULL "
	        "ORDER BY l.serial LIMIT 1",
	        2, params, error);
	if (first == NULL)
		return FALSE;
	return ph_payout_result_unmatched(error, batch->batch_no,
	                                  PQntuples(first) > 0 ? PQgetvalue(first, 0, 0) : "?");
}

static gboolean
ph_payout_result_check(PhPayoutResultLoad *load, gint64 batch_no, const gchar *bank,
                       const gchar *const *params, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(PhPayoutBatch) batch = ph_payout_batch_get(load->db, batch_no, TRUE, &local);
	if (batch == NULL) {
		if (!g_error_matches(local, PH_ERROR, PH_ERROR_NOT_FOUND)) {
			g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
		return ph_payout_result_invalid(error, batch_no, "unknown batch");
	}
	/* batch numbers are the hub's, not a bank's: one bank's answer must not close (and
	 * mark paid) a batch another bank was asked to pay, nor wait for one */
	if (!g_str_equal(batch->bank, bank))
		return ph_payout_result_invalid(error, batch_no, "sent to bank %s, not to %s",
		                                batch->bank, bank);
	if (g_str_equal(batch->state, "closed"))
		return ph_payout_result_invalid(error, batch_no,
		                                "already closed by an earlier result file");
	/* built, not yet recorded as sent: the hub died between the upload and that record, and
	 * the bank answered first; the upload's retry records it (finding its files there), so
	 * the answer waits for a later poll instead of being rejected for good */
	if (g_str_equal(batch->state, "built")) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFLICT,
		            "payout batch %010" G_GINT64_FORMAT
		            ": not recorded as sent yet (its upload is being completed); "
		            "the result file is taken again at a later poll",
		            batch_no);
		return FALSE;
	}
	if (!g_str_equal(batch->state, "sent"))
		return ph_payout_result_invalid(error, batch_no, "was never sent");
	return ph_payout_result_check_lines(load, batch, params, error);
}

/* The failed items booked from @source, "FROM … WHERE" the failed lines l. */
#define PH_PAYOUT_RESULT_FAIL(source)                                                              \
	"WITH failed AS (UPDATE payout_item i SET state = 'failed', status = l.status, "           \
	"reason = l.reason, bank_ref = l.bank_ref, message = l.message, booked_at = now() "        \
	"FROM " source " AND i.batch_no = $1::bigint AND i.serial = l.serial "                     \
	"RETURNING i.person_id, i.status, i.reason) "                                              \
	"INSERT INTO payout_hold (person_id, reason, source) SELECT person_id, "                   \
	"'the bank reported the account holder dead (' || status || ' ' || reason || ')', $3 "     \
	"FROM failed WHERE reason = '" PH_PAYOUT_REASON_DECEASED "' "                              \
	"ON CONFLICT (person_id) DO NOTHING"

/* The failed items' statement: from the answers kept aside, staged with one COPY (a probe
 * per failed item), or else from the stored lines (a scan of the file's lines). NULL when
 * nothing failed. */
static const gchar *
ph_payout_result_fail_sql(PhPayoutResultLoad *load, GError **error)
{
	if (load->failed == NULL)
		return PH_PAYOUT_RESULT_FAIL(
		        "payout_result_line l WHERE l.file_id = $2::bigint AND "
		        "l.status <> '0000'");
	if (load->sums.failed_count == 0)
		return NULL;
	if (!ph_db_exec(load->db, PH_PAYOUT_RESULT_FAILED_TABLE, error) ||
	    !ph_bulk_copy_in(load->db, "COPY payout_result_failed FROM STDIN", load->failed->str,
	                     load->failed->len, error))
		return NULL;
	return PH_PAYOUT_RESULT_FAIL("payout_result_failed l WHERE l.file_id = $2::bigint");
}

/* The changes, in order; $1 is the batch, $2 the file's id, $3 its name. Paid items are
 * not rewritten: closing the batch makes every item that did not fail paid. Failed items
 * (few) are found through the primary key, one probe each, and a person the bank reported
 * dead is held from the same rows. */
static const struct {
	const gchar *sql;
	gint n_params;
} ph_payout_result_bookings[] = {
        {"SET LOCAL enable_nestloop = on", 0},
        {"SET LOCAL enable_hashjoin = off", 0},
        {"SET LOCAL enable_mergejoin = off", 0},
        {NULL, 3}, /* the failed items: ph_payout_result_fail_sql() */
        {"SET LOCAL enable_hashjoin = on", 0},
        {"SET LOCAL enable_mergejoin = on", 0},
        {"UPDATE payout_batch SET state = 'closed', closed_at = now() "
         "WHERE batch_no = $1::bigint",
         1},
};

static gboolean
ph_payout_result_record(PhPayoutResultLoad *load, const PhCommandContext *context, gint64 batch_no,
                        const PhPayoutResultFile *file, const PhPayoutBooking *booking,
                        GError **error)
{
	gchar number[24], size[24], paid[24], paid_total[24], failed[24], failed_total[24];
	const gchar *params[] = {file->bank,
	                         file->name,
	                         PH_COMMAND_INT_TEXT(size, file->size),
	                         file->digest,
	                         PH_COMMAND_INT_TEXT(number, batch_no),
	                         PH_COMMAND_INT_TEXT(paid, booking->paid_count),
	                         PH_COMMAND_INT_TEXT(paid_total, booking->paid_total),
	                         PH_COMMAND_INT_TEXT(failed, booking->failed_count),
	                         PH_COMMAND_INT_TEXT(failed_total, booking->failed_total),
	                         load->file_text};
	g_autoptr(PGresult) result = ph_db_query(
	        load->db,
	        "INSERT INTO payout_result_file (bank, name, size, digest, batch_no, verdict, "
	        "paid_count, paid_total, failed_count, failed_total, file_id) VALUES ($1, $2, "
	        "$3::bigint, $4, $5::bigint, 'booked', $6::bigint, $7::bigint, $8::bigint, "
	        "$9::bigint, $10::bigint)",
	        10, params, error);
	if (result == NULL)
		return FALSE;
	g_autoptr(JsonNode) payload = json_node_new(JSON_NODE_OBJECT);
	JsonObject *object = json_object_new();
	json_object_set_string_member(object, "file", file->name);
	json_object_set_string_member(object, "digest", file->digest);
	json_object_set_int_member(object, "paid_count", booking->paid_count);
	json_object_set_int_member(object, "paid_total", booking->paid_total);
	json_object_set_int_member(object, "failed_count", booking->failed_count);
	json_object_set_int_member(object, "failed_total", booking->failed_total);
	json_node_take_object(payload, object);
	g_autofree gchar *name = g_strdup_printf("payout-batch:%010" G_GINT64_FORMAT, batch_no);
	return ph_command_record(load->db, context, "payout-book", name, NULL, 0, NULL, payload,
	                         error);
}

gboolean
ph_payout_result_book(PhPayoutResultLoad *load, const PhCommandContext *context, gint64 batch_no,
                      const PhPayoutResultFile *file, PhPayoutBooking *out, GError **error)
{
	gchar number[24];
	g_return_val_if_fail(load != NULL, FALSE);
	g_return_val_if_fail(context != NULL && file != NULL && out != NULL, FALSE);
	const gchar *params[] = {PH_COMMAND_INT_TEXT(number, batch_no), load->file_text,
	                         file->name};
	memset(out, 0, sizeof(*out));
	/* the lines just stored have no statistics yet: the check is a hash join (in memory)
	 * whatever the planner would guess, not a nested loop over a million rows */
	if ((load->copying && !ph_payout_result_end_copy(load, NULL, error)) ||
	    !ph_db_exec(load->db, "SET LOCAL enable_nestloop = off", error) ||
	    !ph_db_exec(load->db, "SET LOCAL work_mem = '128MB'", error) ||
	    !ph_payout_result_check(load, batch_no, file->bank, params, error))
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS(ph_payout_result_bookings); i++) {
		const gchar *sql = ph_payout_result_bookings[i].sql;
		GError *local = NULL;
		if (sql == NULL && (sql = ph_payout_result_fail_sql(load, &local)) == NULL) {
			if (local == NULL)
				continue; /* nothing failed */
			g_propagate_error(error, local);
			return FALSE;
		}
		g_autoptr(PGresult) result = ph_db_query(
		        load->db, sql, ph_payout_result_bookings[i].n_params, params, error);
		if (result == NULL)
			return FALSE;
	}
	/* every line matched its item, so the sums of the lines are the items' */
	*out = load->sums;
	/* a month's file adds up to a million lines at once; payout_item_state joins them by
	 * file and serial, so those columns' statistics (and the row count) are what count */
	return ph_payout_result_record(load, context, batch_no, file, out, error) &&
	       ph_bulk_analyze_after(load->db, "payout_result_line", "file_id, serial", load->lines,
	                             error);
}

gboolean
ph_payout_result_reject(PhDb *db, const PhPayoutResultFile *file, gint64 batch_no,
                        const gchar *reason, GError **error)
{
	gchar number[24], size[24];
	const gchar *params[] = {file->bank,
	                         file->name,
	                         PH_COMMAND_INT_TEXT(size, file->size),
	                         file->digest,
	                         batch_no > 0 ? PH_COMMAND_INT_TEXT(number, batch_no) : NULL,
	                         reason};
	g_autoptr(PGresult) result =
	        ph_db_query(db,
	                    "INSERT INTO payout_result_file (bank, name, size, digest, batch_no, "
	                    "verdict, reason) "
	                    "VALUES ($1, $2, $3::bigint, $4, $5::bigint, 'rejected', $6) "
	                    "ON CONFLICT (bank, name, size, digest) DO NOTHING",
	                    6, params, error);
	return result != NULL;
}
