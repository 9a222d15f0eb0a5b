/* Bank result files (see ph-payout-result.h): every check runs before the first change,
 * so a rejected file leaves the transaction as it found it. Core only. */
#include "ph-payout-result.h"

#include <string.h>

#include "ph-bulk.h"
#include "ph-error.h"
#include "ph-payout-batch.h"

/* A result matches the item sent with its serial, ID number (when the profile echoes it),
 * account and amount; $1 is the batch. */
#define PH_PAYOUT_RESULT_MATCH                                                                     \
	"i.batch_no = $1::bigint AND i.serial = l.serial AND (l.id_number IS NULL "                \
	"OR i.id_number = l.id_number) AND i.account = l.account AND i.amount = l.amount"

#define PH_PAYOUT_RESULT_COPY                                                                      \
	"COPY payout_result_load (serial, id_number, account, amount, status, reason, bank_ref, "  \
	"message) FROM STDIN"

gboolean
ph_payout_result_known(PhDb *db, const PhPayoutResultFile *file, gboolean *known, GError **error)
{
	gchar size[24];
	const gchar *params[] = {file->bank, file->name, PH_COMMAND_INT_TEXT(size, file->size),
	                         file->digest};
	g_autoptr(PGresult) result =
	        ph_db_query(db,
	                    "SELECT 1 FROM payout_result_file WHERE bank = $1 AND name = $2 "
	                    "AND size = $3::bigint AND digest = $4",
	                    4, params, error);
	if (result == NULL)
		return FALSE;
	*known = PQntuples(result) > 0;
	return TRUE;
}

gboolean
ph_payout_result_begin(PhDb *db, GError **error)
{
	return ph_db_exec(db,
	                  "DROP TABLE IF EXISTS payout_result_load; "
	                  "CREATE TEMPORARY TABLE payout_result_load (serial integer NOT NULL, "
	                  "id_number text, account text NOT NULL, amount bigint NOT NULL, "
	                  "status text NOT NULL, reason text, bank_ref text, message text) "
	                  "ON COMMIT DROP",
	                  error);
}

gboolean
ph_payout_result_load(PhDb *db, const gchar *copy_text, gsize length, GError **error)
{
	if (length == 0)
		return TRUE;
	return ph_bulk_copy_in(db, PH_PAYOUT_RESULT_COPY, copy_text, length, error);
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

/* The first loaded result that matches no item exactly, described; NULL when all match. */
static gboolean
ph_payout_result_check_items(PhDb *db, const PhPayoutBatch *batch, GError **error)
{
	gchar number[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(number, batch->batch_no)};
	g_autoptr(PGresult) counts =
	        ph_db_query(db,
	                    "SELECT count(*), count(DISTINCT l.serial), count(i.serial) FROM "
	                    "payout_result_load l "
	                    "LEFT JOIN payout_item i ON " PH_PAYOUT_RESULT_MATCH,
	                    1, params, error);
	if (counts == NULL)
		return FALSE;
	gint64 results = ph_db_get_int64(counts, 0, 0);
	gint64 serials = ph_db_get_int64(counts, 0, 1);
	gint64 matched = ph_db_get_int64(counts, 0, 2);
	if (serials != results)
		return ph_payout_result_invalid(error, batch->batch_no,
		                                "%" G_GINT64_FORMAT " results for %" G_GINT64_FORMAT
		                                " serials: a serial is answered twice",
		                                results, serials);
	if (matched != results) {
		g_autoptr(PGresult) first = ph_db_query(
		        db,
		        "SELECT l.serial FROM payout_result_load l LEFT JOIN payout_item i "
		        "ON " PH_PAYOUT_RESULT_MATCH
		        " WHERE i.serial IS NULL ORDER BY l.serial LIMIT 1",
		        1, params, error);
		if (first == NULL)
			return FALSE;
		return ph_payout_result_invalid(
		        error, batch->batch_no,
		        "result serial %s: no item with that serial, ID number, account and amount "
		        "was sent",
		        PQgetvalue(first, 0, 0));
	}
	if (results != batch->item_count)
		return ph_payout_result_invalid(error, batch->batch_no,
		                                "%" G_GINT64_FORMAT " results for %" G_GINT64_FORMAT
		                                " items sent",
		                                results, batch->item_count);
	return TRUE;
}

static gboolean
ph_payout_result_check_batch(PhDb *db, gint64 batch_no, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(PhPayoutBatch) batch = ph_payout_batch_get(db, batch_no, TRUE, &local);
	if (batch == NULL) {
		if (!g_error_matches(local, PH_ERROR, PH_ERROR_NOT_FOUND)) {
			g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
		return ph_payout_result_invalid(error, batch_no, "unknown batch");
	}
	if (g_str_equal(batch->state, "closed"))
		return ph_payout_result_invalid(error, batch_no,
		                                "already closed by an earlier result file");
	if (!g_str_equal(batch->state, "sent"))
		return ph_payout_result_invalid(error, batch_no, "was never sent");
	return ph_payout_result_check_items(db, batch, error);
}

/* The changes, in order: items, the schedule of paid months, holds, the batch; $1 is the
 * batch, $2 the file's name. */
static const struct {
	const gchar *sql;
	gint n_params;
} ph_payout_result_bookings[] = {
        {"UPDATE payout_item i SET state = CASE WHEN l.status = '0000' THEN 'paid' ELSE 'failed' "
         "END, status = l.status, reason = l.reason, bank_ref = l.bank_ref, message = l.message, "
         "booked_at = now() FROM payout_result_load l WHERE i.batch_no = $1::bigint "
         "AND i.serial = l.serial",
         1},
        /* driven by the analysed results, not by payout_item's statistics, which the
         * update above has just made stale (that plan took minutes for 300,000 rows) */
        {"UPDATE payout_schedule s SET state = 'paid' FROM payout_result_load l "
         "JOIN payout_item i ON i.batch_no = $1::bigint AND i.serial = l.serial "
         "WHERE l.status = '0000' AND s.person_id = i.person_id AND s.period = i.period "
         "AND s.state = 'due'",
         1},
        {"INSERT INTO payout_hold (person_id, reason, source) SELECT person_id, "
         "'the bank reported the account holder dead (' || status || ' ' || reason || ')', $2 "
         "FROM payout_item WHERE batch_no = $1::bigint AND state = 'failed' "
         "AND reason = '" PH_PAYOUT_REASON_DECEASED "' ON CONFLICT (person_id) DO NOTHING",
         2},
        {"UPDATE payout_batch SET state = 'closed', closed_at = now() WHERE batch_no = $1::bigint",
         1},
};

static gboolean
ph_payout_result_sum(PhDb *db, gint64 batch_no, PhPayoutBooking *out, GError **error)
{
	gchar number[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(number, batch_no)};
	g_autoptr(PGresult) sums = ph_db_query(
	        db,
	        "SELECT count(*) FILTER (WHERE state = 'paid'), "
	        "coalesce(sum(amount) FILTER (WHERE state = 'paid'), 0), "
	        "count(*) FILTER (WHERE state = 'failed'), "
	        "coalesce(sum(amount) FILTER (WHERE state = 'failed'), 0), "
	        "count(*) FILTER (WHERE state = 'failed' AND reason = '" PH_PAYOUT_REASON_DECEASED
	        "') FROM payout_item WHERE batch_no = $1::bigint",
	        1, params, error);
	if (sums == NULL)
		return FALSE;
	out->paid_count = ph_db_get_int64(sums, 0, 0);
	out->paid_total = ph_db_get_int64(sums, 0, 1);
	out->failed_count = ph_db_get_int64(sums, 0, 2);
	out->failed_total = ph_db_get_int64(sums, 0, 3);
	out->holds = ph_db_get_int64(sums, 0, 4);
	return TRUE;
}

static gboolean
ph_payout_result_record(PhDb *db, const PhCommandContext *context, gint64 batch_no,
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
	                         PH_COMMAND_INT_TEXT(failed_total, booking->failed_total)};
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "INSERT INTO payout_result_file (bank, name, size, digest, batch_no, verdict, "
	        "paid_count, paid_total, failed_count, failed_total) VALUES ($1, $2, $3::bigint, "
	        "$4, "
	        "$5::bigint, 'booked', $6::bigint, $7::bigint, $8::bigint, $9::bigint)",
	        9, params, error);
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
	return ph_command_record(db, context, "payout-book", name, NULL, 0, NULL, payload, error);
}

gboolean
ph_payout_result_book(PhDb *db, const PhCommandContext *context, gint64 batch_no,
                      const PhPayoutResultFile *file, PhPayoutBooking *out, GError **error)
{
	gchar number[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(number, batch_no), file->name};
	g_return_val_if_fail(db != NULL && context != NULL && file != NULL && out != NULL, FALSE);
	memset(out, 0, sizeof(*out));
	if (!ph_db_exec(db, "ANALYZE payout_result_load", error) ||
	    !ph_payout_result_check_batch(db, batch_no, error))
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS(ph_payout_result_bookings); i++) {
		g_autoptr(PGresult) result =
		        ph_db_query(db, ph_payout_result_bookings[i].sql,
		                    ph_payout_result_bookings[i].n_params, params, error);
		if (result == NULL)
			return FALSE;
	}
	return ph_payout_result_sum(db, batch_no, out, error) &&
	       ph_payout_result_record(db, context, batch_no, file, out, error);
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
