/* Per-event results of personnel batches (<pension-hub/ph-personnel-api.h>, table
 * personnel_result): written with COPY per chunk, read back by seq for receipts, re-sent
 * batches and restarts. Host code. */
#include <string.h>

#include "ph-bulk.h"
#include "ph-field-cipher.h"
#include "ph-personnel-api.h"
#include "ph-txn.h"
#include "ph-worker-db.h"

void
ph_personnel_result_clear(PhPersonnelResult *result)
{
	g_clear_pointer(&result->event_type, g_free);
	g_clear_pointer(&result->subject, g_free);
	g_clear_pointer(&result->status, g_free);
	g_clear_pointer(&result->code, g_free);
	g_clear_pointer(&result->message, g_free);
}

gchar *
ph_personnel_result_subject(const gchar *id_number)
{
	g_return_val_if_fail(id_number != NULL, NULL);
	return ph_field_lookup(id_number);
}

gboolean
ph_personnel_result_add(PhTxn *txn, const gchar *batch, GArray *results, GError **error)
{
	g_return_val_if_fail(txn != NULL && batch != NULL && results != NULL, FALSE);
	if (results->len == 0)
		return TRUE;
	g_autoptr(GString) copy = g_string_sized_new(results->len * 64);
	for (guint i = 0; i < results->len; i++) {
		const PhPersonnelResult *result = &g_array_index(results, PhPersonnelResult, i);
		ph_bulk_append_text(copy, batch, '\t');
		ph_bulk_append_int(copy, result->seq, '\t');
		ph_bulk_append_text(copy, result->event_type, '\t');
		ph_bulk_append_nullable(copy, result->subject, '\t');
		ph_bulk_append_text(copy, result->status, '\t');
		ph_bulk_append_nullable(copy, result->code, '\t');
		ph_bulk_append_nullable(copy, result->message, '\n');
	}
	return ph_bulk_copy_in(ph_txn_get_db(txn),
	                       "COPY personnel_result (batch, seq, event_type, subject, status, "
	                       "code, message) FROM STDIN",
	                       copy->str, copy->len, error);
}

GHashTable *
ph_personnel_result_applied_before(PhTxn *txn, const gchar *batch, const gchar *partner,
                                   const gchar *doc_batch_id, gint64 from, gint64 to,
                                   GError **error)
{
	g_autofree gchar *low = g_strdup_printf("%" G_GINT64_FORMAT, from);
	g_autofree gchar *high = g_strdup_printf("%" G_GINT64_FORMAT, to);
	const gchar *params[] = {batch, partner, doc_batch_id, low, high};
	g_autoptr(PGresult) result = ph_db_query(
	        ph_txn_get_db(txn),
	        "SELECT r.seq FROM personnel_batch b JOIN personnel_result r ON r.batch = b.id "
	        "WHERE b.partner = $2 AND b.doc_batch_id = $3 AND b.id <> $1 "
	        "AND r.status = 'APPLIED' AND r.seq BETWEEN $4::bigint AND $5::bigint",
	        G_N_ELEMENTS(params), params, error);
	if (result == NULL)
		return NULL;
	GHashTable *seqs = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	for (gint row = 0; row < PQntuples(result); row++) {
		gint64 *seq = g_new(gint64, 1);
		*seq = ph_db_get_int64(result, row, 0);
		g_hash_table_add(seqs, seq);
	}
	return seqs;
}

GHashTable *
ph_personnel_result_rejected_subjects(PhTxn *txn, const gchar *batch, GError **error)
{
	const gchar *params[] = {batch};
	g_autoptr(PGresult) result =
	        ph_db_query(ph_txn_get_db(txn),
	                    "SELECT subject, min(seq) FROM personnel_result WHERE batch = $1 "
	                    "AND status = 'REJECTED' AND subject IS NOT NULL GROUP BY subject",
	                    1, params, error);
	if (result == NULL)
		return NULL;
	GHashTable *subjects = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	for (gint row = 0; row < PQntuples(result); row++)
		g_hash_table_insert(subjects, g_strdup(PQgetvalue(result, row, 0)),
		                    g_strdup(PQgetvalue(result, row, 1)));
	return subjects;
}

static gchar *
ph_personnel_result_text(PGresult *result, gint row, gint column)
{
	return PQgetisnull(result, row, column) ? NULL : g_strdup(PQgetvalue(result, row, column));
}

GArray *
ph_personnel_result_page(PhPlugin *plugin, const gchar *batch, gint64 from, guint limit,
                         GError **error)
{
	PhDb *db = ph_worker_db_get(error);
	if (db == NULL)
		return NULL;
	g_autofree gchar *low = g_strdup_printf("%" G_GINT64_FORMAT, from);
	g_autofree gchar *count = g_strdup_printf("%u", limit);
	const gchar *params[] = {batch, low, count};
	g_autoptr(PGresult) result =
	        ph_db_query(db,
	                    "SELECT seq, event_type, subject, status, code, message "
	                    "FROM personnel_result WHERE batch = $1 AND seq >= $2::bigint "
	                    "ORDER BY seq LIMIT $3::integer",
	                    G_N_ELEMENTS(params), params, error);
	if (result == NULL)
		return NULL;
	GArray *page =
	        g_array_sized_new(FALSE, TRUE, sizeof(PhPersonnelResult), (guint)PQntuples(result));
	g_array_set_clear_func(page, (GDestroyNotify)ph_personnel_result_clear);
	for (gint row = 0; row < PQntuples(result); row++) {
		PhPersonnelResult item = {
		        .seq = ph_db_get_int64(result, row, 0),
		        .event_type = ph_personnel_result_text(result, row, 1),
		        .subject = ph_personnel_result_text(result, row, 2),
		        .status = ph_personnel_result_text(result, row, 3),
		        .code = ph_personnel_result_text(result, row, 4),
		        .message = ph_personnel_result_text(result, row, 5),
		};
		g_array_append_val(page, item);
	}
	return page;
}
