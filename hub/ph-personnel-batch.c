/* The store of personnel batches (<pension-hub/ph-personnel-api.h>, table personnel_batch):
 * queued by the inbox handler, claimed by one worker at a time with a session advisory
 * lock, advanced chunk by chunk in the chunk's own transaction. Host code. */
#include <string.h>

#include "ph-personnel-api.h"
#include "ph-txn.h"
#include "ph-worker-db.h"

#define PH_PERSONNEL_BATCH_COLUMNS                                                                 \
	"id, partner, inbox_id, source::text, doc_batch_id, unit_code, state, message, "           \
	"coalesce(cursor_seq, -1), coalesce(events, -1), applied, duplicate, rejected"

/* The lock key of a batch: (class, object) so that no other user of advisory locks meets it. */
#define PH_PERSONNEL_BATCH_LOCK "hashtext('personnel_batch'), hashtext($1)"

void
ph_personnel_batch_free(PhPersonnelBatch *batch)
{
	if (batch == NULL)
		return;
	g_free(batch->id);
	g_free(batch->partner);
	g_clear_pointer(&batch->source, g_bytes_unref);
	g_free(batch->doc_batch_id);
	g_free(batch->unit_code);
	g_free(batch->state);
	g_free(batch->message);
	g_free(batch);
}

static gchar *
ph_personnel_batch_text(PGresult *result, gint row, gint column)
{
	if (PQgetisnull(result, row, column))
		return NULL;
	return g_strdup(PQgetvalue(result, row, column));
}

static PhPersonnelBatch *
ph_personnel_batch_from_row(PGresult *result, gint row)
{
	PhPersonnelBatch *batch = g_new0(PhPersonnelBatch, 1);
	const gchar *source = PQgetvalue(result, row, 3);
	batch->id = ph_personnel_batch_text(result, row, 0);
	batch->partner = ph_personnel_batch_text(result, row, 1);
	batch->inbox_id = ph_db_get_int64(result, row, 2);
	batch->source = g_bytes_new(source, strlen(source));
	batch->doc_batch_id = ph_personnel_batch_text(result, row, 4);
	batch->unit_code = ph_personnel_batch_text(result, row, 5);
	batch->state = ph_personnel_batch_text(result, row, 6);
	batch->message = ph_personnel_batch_text(result, row, 7);
	batch->cursor_seq = ph_db_get_int64(result, row, 8);
	batch->events = ph_db_get_int64(result, row, 9);
	batch->applied = ph_db_get_int64(result, row, 10);
	batch->duplicate = ph_db_get_int64(result, row, 11);
	batch->rejected = ph_db_get_int64(result, row, 12);
	return batch;
}

gboolean
ph_personnel_batch_register(PhTxn *txn, const gchar *id, const gchar *partner, gint64 inbox_id,
                            GBytes *source, GError **error)
{
	g_return_val_if_fail(txn != NULL && id != NULL && partner != NULL && source != NULL, FALSE);
	g_autofree gchar *inbox = g_strdup_printf("%" G_GINT64_FORMAT, inbox_id);
	g_autofree gchar *text =
	        g_strndup(g_bytes_get_data(source, NULL), g_bytes_get_size(source));
	const gchar *params[] = {id, partner, inbox, text};
	g_autoptr(PGresult) result =
	        ph_db_query(ph_txn_get_db(txn),
	                    "INSERT INTO personnel_batch (id, partner, inbox_id, source) "
	                    "VALUES ($1, $2, $3::bigint, $4::jsonb) ON CONFLICT DO NOTHING",
	                    G_N_ELEMENTS(params), params, error);
	return result != NULL;
}

static PhPersonnelBatch *
ph_personnel_batch_select(PhDb *db, const gchar *id, const gchar *condition, GError **error)
{
	g_autofree gchar *sql = g_strdup_printf("SELECT " PH_PERSONNEL_BATCH_COLUMNS
	                                        " FROM personnel_batch WHERE id = $1 %s",
	                                        condition);
	const gchar *params[] = {id};
	g_autoptr(PGresult) result = ph_db_query(db, sql, 1, params, error);
	if (result == NULL)
		return NULL;
	if (PQntuples(result) == 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_NOT_FOUND, "personnel batch %s: not found",
		            id);
		return NULL;
	}
	return ph_personnel_batch_from_row(result, 0);
}

static gboolean
ph_personnel_batch_try_lock(PhDb *db, const gchar *id, gboolean *locked, GError **error)
{
	const gchar *params[] = {id};
	g_autoptr(PGresult) result = ph_db_query(
	        db, "SELECT pg_try_advisory_lock(" PH_PERSONNEL_BATCH_LOCK ")", 1, params, error);
	if (result == NULL)
		return FALSE;
	*locked = g_str_equal(PQgetvalue(result, 0, 0), "t");
	if (*locked)
		ph_db_hold_session(db);
	return TRUE;
}

PhPersonnelBatch *
ph_personnel_batch_claim(PhPlugin *plugin, GError **error)
{
	PhDb *db = ph_worker_db_get(error);
	if (db == NULL)
		return NULL;
	g_autoptr(PGresult) due = ph_db_query(db,
	                                      "SELECT id FROM personnel_batch "
	                                      "WHERE state IN ('queued', 'processing') "
	                                      "ORDER BY received_at, id LIMIT 20",
	                                      0, NULL, error);
	if (due == NULL)
		return NULL;
	for (gint row = 0; row < PQntuples(due); row++) {
		const gchar *id = PQgetvalue(due, row, 0);
		gboolean locked = FALSE;
		if (!ph_personnel_batch_try_lock(db, id, &locked, error))
			return NULL;
		if (!locked)
			continue;
		/* Another worker may have finished it between the list and the lock. */
		g_autoptr(GError) local = NULL;
		PhPersonnelBatch *batch = ph_personnel_batch_select(
		        db, id, "AND state IN ('queued', 'processing')", &local);
		if (batch != NULL)
			return batch;
		ph_personnel_batch_release(plugin, id);
		if (!g_error_matches(local, PH_ERROR, PH_ERROR_NOT_FOUND)) {
			g_propagate_error(error, g_steal_pointer(&local));
			return NULL;
		}
	}
	return NULL;
}

void
ph_personnel_batch_release(PhPlugin *plugin, const gchar *id)
{
	g_autoptr(GError) error = NULL;
	PhDb *db = ph_worker_db_get(&error);
	const gchar *params[] = {id};
	if (db == NULL) {
		/* the connection, and with it the lock, is gone already */
		g_warning("personnel batch %s: its lock went with its connection: %s", id,
		          error->message);
		return;
	}
	g_autoptr(PGresult) result = ph_db_query(
	        db, "SELECT pg_advisory_unlock(" PH_PERSONNEL_BATCH_LOCK ")", 1, params, &error);
	ph_db_release_session(db);
	if (result == NULL)
		g_warning("personnel batch %s: cannot release its lock: %s", id, error->message);
}

PhPersonnelBatch *
ph_personnel_batch_get(PhPlugin *plugin, const gchar *id, GError **error)
{
	g_return_val_if_fail(id != NULL, NULL);
	PhDb *db = ph_worker_db_get(error);
	if (db == NULL)
		return NULL;
	return ph_personnel_batch_select(db, id, "", error);
}

gboolean
ph_personnel_batch_start(PhTxn *txn, const gchar *id, const gchar *doc_batch_id,
                         const gchar *unit_code, gint64 events, GError **error)
{
	g_autofree gchar *count = g_strdup_printf("%" G_GINT64_FORMAT, events);
	const gchar *params[] = {id, doc_batch_id, unit_code, count};
	g_autoptr(PGresult) result = ph_db_query(
	        ph_txn_get_db(txn),
	        "UPDATE personnel_batch SET state = 'processing', doc_batch_id = $2, "
	        "unit_code = $3, events = $4::bigint WHERE id = $1 AND state = 'queued'",
	        G_N_ELEMENTS(params), params, error);
	return result != NULL;
}

gboolean
ph_personnel_batch_reject(PhTxn *txn, const gchar *id, const gchar *message, GError **error)
{
	const gchar *params[] = {id, message};
	g_autoptr(PGresult) result = ph_db_query(
	        ph_txn_get_db(txn),
	        "UPDATE personnel_batch SET state = 'rejected', message = $2, finished_at = now() "
	        "WHERE id = $1 AND state IN ('queued', 'processing')",
	        G_N_ELEMENTS(params), params, error);
	return result != NULL;
}

gboolean
ph_personnel_batch_advance(PhTxn *txn, const gchar *id, gint64 cursor_seq, gint64 applied,
                           gint64 duplicate, gint64 rejected, gboolean done, GError **error)
{
	g_autofree gchar *cursor = g_strdup_printf("%" G_GINT64_FORMAT, cursor_seq);
	g_autofree gchar *applied_text = g_strdup_printf("%" G_GINT64_FORMAT, applied);
	g_autofree gchar *duplicate_text = g_strdup_printf("%" G_GINT64_FORMAT, duplicate);
	g_autofree gchar *rejected_text = g_strdup_printf("%" G_GINT64_FORMAT, rejected);
	const gchar *params[] = {
	        id, cursor, applied_text, duplicate_text, rejected_text, done ? "t" : "f"};
	g_autoptr(PGresult) result = ph_db_query(
	        ph_txn_get_db(txn),
	        "UPDATE personnel_batch SET cursor_seq = CASE WHEN $2::bigint < 0 THEN cursor_seq "
	        "ELSE $2::bigint END, applied = applied + $3::bigint, "
	        "duplicate = duplicate + $4::bigint, rejected = rejected + $5::bigint, "
	        "state = CASE WHEN $6::boolean THEN 'done' ELSE state END, "
	        "finished_at = CASE WHEN $6::boolean THEN now() END "
	        "WHERE id = $1 AND state = 'processing'",
	        G_N_ELEMENTS(params), params, error);
	return result != NULL;
}
