/* Inbox store, refusals, processing and listing. Host-only.
 * Processing holds the claimed row locked (FOR UPDATE SKIP LOCKED) in the very transaction
 * that applies the handler's effects, so effects and "processed" commit together or not
 * at all, and a second hub process skips the row meanwhile. */
#include "ph-inbox.h"

#include "pension-hub/ph-digest.h"
#include "ph-answer.h"
#include "ph-audit.h"
#include "ph-backoff.h"
#include "ph-field-body.h"
#include "ph-plugin-private.h"
#include "ph-sql-value.h"
#include "ph-txn.h"

/* Handler failures other than invalid input are retried without limit: an inbound
 * message that was acknowledged must never be dropped silently. */
static const PhRetryPolicy ph_inbox_retry_policy = {1000, 300000, 0};

/* A kind nobody handles (plugin not loaded) is looked at again after this. */
#define PH_INBOX_UNHANDLED_DELAY_MS 60000

void
ph_inbox_record_free(PhInboxRecord *record)
{
	if (record == NULL)
		return;
	g_free(record->partner);
	g_free(record->kind);
	g_free(record->message_id);
	g_clear_pointer(&record->body, g_bytes_unref);
	g_free(record->digest);
	g_free(record->received_at);
	g_free(record->state);
	g_free(record->last_error);
	g_free(record->processed_at);
	g_free(record->answer_content_type);
	g_clear_pointer(&record->answer_body, g_bytes_unref);
	g_free(record);
}

/* The plaintext of a stored body (NULL stays NULL), a failure naming row @id: a tampered
 * envelope is never handed on. */
static GBytes *
ph_inbox_open(GBytes *stored, const gchar *column, gint64 id, GError **error)
{
	if (stored == NULL)
		return NULL;
	GBytes *plaintext = ph_field_body_open(stored, column, error);
	if (plaintext == NULL)
		g_prefix_error(error, "inbox message %" G_GINT64_FORMAT ": ", id);
	return plaintext;
}

/* The hex SHA-256 of the plaintext body, for the digest column (dedup and audit compare it;
 * OpenSSL's, several times faster than GChecksum's on a partner's batch). */
static gchar *
ph_inbox_digest(GBytes *body)
{
	gsize length = 0;
	const guchar *data = g_bytes_get_data(body, &length);
	return ph_digest_hex(PH_DIGEST_SHA256, data, length);
}

/* The row of an earlier arrival: same kind and bytes give its answer, else a conflict. */
static PhAnswer *
ph_inbox_repeat(PhDb *db, const gchar *partner, const gchar *kind, const gchar *message_id,
                const gchar *const *params, const gint *lengths, const gint *formats, gint64 *id,
                GError **error)
{
	g_autoptr(PGresult) result = ph_db_query_binary(
	        db,
	        "SELECT id, kind = $3 AND digest = decode($4, 'hex'), answer_status, "
	        "answer_content_type, answer_body "
	        "FROM inbox WHERE partner = $1 AND message_id = $2",
	        4, params, lengths, formats, error);
	if (result == NULL)
		return NULL;
	if (PQntuples(result) == 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_DATABASE,
		            "inbox message %s from %s: stored row vanished", message_id, partner);
		return NULL;
	}
	if (g_strcmp0(PQgetvalue(result, 0, 1), "t") != 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFLICT,
		            "inbox message %s from %s was already received with other content "
		            "(%s)",
		            message_id, partner, kind);
		return NULL;
	}
	if (id != NULL)
		*id = ph_db_get_int64(result, 0, 0);
	g_autoptr(GBytes) stored = ph_sql_value_bytes(result, 0, 4);
	g_autoptr(GBytes) body = ph_inbox_open(stored, PH_FIELD_BODY_INBOX_ANSWER,
	                                       ph_db_get_int64(result, 0, 0), error);
	if (stored != NULL && body == NULL)
		return NULL;
	return ph_answer_new((guint)ph_db_get_int64(result, 0, 2),
	                     PQgetisnull(result, 0, 3) ? NULL : PQgetvalue(result, 0, 3), body);
}

/* ---- audit of inbound messages (issue 9): one entry per first arrival, refusal and
 * outcome, in the transaction of the inbox row ---- */

static gchar *
ph_inbox_actor(const gchar *partner)
{
	return g_strdup_printf("partner:%s", partner != NULL ? partner : "unknown");
}

static gboolean
ph_inbox_audit(PhDb *db, const gchar *partner, const gchar *action, const gchar *object,
               GBytes *body, GError **error)
{
	g_autofree gchar *actor = ph_inbox_actor(partner);
	return ph_audit_append_queued(db, actor, action, object, body, error);
}

/* BEGINs when the caller has no transaction open, so the audit entry commits with the row. */
static gboolean
ph_inbox_own_begin(PhDb *db, gboolean *own, GError **error)
{
	*own = !ph_db_in_transaction(db);
	return !*own || ph_db_begin(db, error);
}

static gboolean
ph_inbox_own_end(PhDb *db, gboolean own, gboolean ok, GError **error)
{
	if (!own)
		return ok;
	if (ok && ph_db_commit(db, error))
		return TRUE;
	ph_db_rollback(db);
	return FALSE;
}

PhAnswer *
ph_inbox_store(PhDb *db, const gchar *partner, const gchar *kind, const gchar *message_id,
               GBytes *body, const PhAnswer *answer, gboolean *duplicate, gint64 *id,
               GError **error)
{
	g_return_val_if_fail(db != NULL && partner != NULL && kind != NULL, NULL);
	g_return_val_if_fail(message_id != NULL && body != NULL && answer != NULL, NULL);
	g_autofree gchar *status = g_strdup_printf("%u", answer->status);
	g_autofree gchar *digest = ph_inbox_digest(body);
	g_autoptr(GBytes) sealed = ph_field_body_seal(body, PH_FIELD_BODY_INBOX, error);
	g_autoptr(GBytes) sealed_answer =
	        sealed != NULL && answer->body != NULL
	                ? ph_field_body_seal(answer->body, PH_FIELD_BODY_INBOX_ANSWER, error)
	                : NULL;
	if (sealed == NULL || (answer->body != NULL && sealed_answer == NULL))
		return NULL;
	g_autofree gchar *actor = ph_inbox_actor(partner);
	gint lengths[9] = {0};
	const gint formats[] = {0, 0, 0, 0, 1, 0, 0, 1, 0};
	const gchar *params[] = {
	        partner,
	        message_id,
	        kind,
	        digest,
	        ph_sql_value_bytes_param(sealed, &lengths[4]),
	        status,
	        answer->content_type,
	        sealed_answer != NULL ? ph_sql_value_bytes_param(sealed_answer, &lengths[7]) : NULL,
	        actor};
	/* ON CONFLICT DO NOTHING waits for a concurrent first arrival to commit, so the
	 * repeat below always finds the row. The row and its audit entry (as ph_inbox_audit()
	 * writes it: the payload's SHA-256 is the digest column) are one statement: the
	 * receipt of a message is one round trip, atomic and durable on its own. */
	g_autoptr(PGresult) result = ph_db_query_binary(
	        db,
	        "WITH stored AS (INSERT INTO inbox (partner, message_id, kind, digest, body, "
	        "answer_status, answer_content_type, answer_body) VALUES ($1, $2, $3, "
	        "decode($4, 'hex'), $5, $6, $7, $8) ON CONFLICT (partner, message_id) DO NOTHING "
	        "RETURNING id, digest), audited AS (" PH_AUDIT_PENDING_INSERT
	        "SELECT $9, 'inbound', 'inbox ' || id || ' ' || $3 || ' ' || $2, digest FROM "
	        "stored) SELECT id FROM stored",
	        9, params, lengths, formats, error);
	if (result == NULL)
		return NULL;
	if (duplicate != NULL)
		*duplicate = PQntuples(result) == 0;
	if (PQntuples(result) == 0)
		return ph_inbox_repeat(db, partner, kind, message_id, params, lengths, formats, id,
		                       error);
	if (id != NULL)
		*id = ph_db_get_int64(result, 0, 0);
	return ph_answer_copy(answer);
}

gboolean
ph_inbox_record_refusal(PhDb *db, const gchar *partner, const gchar *kind, GBytes *body,
                        const gchar *reason, GError **error)
{
	g_return_val_if_fail(db != NULL && body != NULL && reason != NULL, FALSE);
	g_autofree gchar *digest = ph_inbox_digest(body);
	g_autoptr(GBytes) sealed = ph_field_body_seal(body, PH_FIELD_BODY_REFUSAL, error);
	if (sealed == NULL)
		return FALSE;
	gint lengths[5] = {0};
	const gint formats[] = {0, 0, 1, 0, 0};
	const gchar *params[] = {partner, kind, ph_sql_value_bytes_param(sealed, &lengths[2]),
	                         digest, reason};
	gboolean own = FALSE;
	if (!ph_inbox_own_begin(db, &own, error))
		return FALSE;
	g_autoptr(PGresult) result = ph_db_query_binary(
	        db,
	        "INSERT INTO inbox_refusal (partner, kind, body, digest, reason) "
	        "VALUES ($1, $2, $3, decode($4, 'hex'), $5) RETURNING id",
	        5, params, lengths, formats, error);
	g_autofree gchar *object =
	        result != NULL
	                ? g_strdup_printf("inbox_refusal %s %s: %s", PQgetvalue(result, 0, 0),
	                                  kind != NULL ? kind : "-", reason)
	                : NULL;
	gboolean ok = object != NULL &&
	              ph_inbox_audit(db, partner, "inbound-refused", object, body, error);
	return ph_inbox_own_end(db, own, ok, error);
}

/* Marks the claimed row; @state NULL means "still pending, retry after @delay_ms". An
 * outcome (processed, failed) queues its audit entry ("hub", "inbound-STATE", "inbox ID",
 * no payload) in the same statement: one round trip a message. */
static gboolean
ph_inbox_mark(PhDb *db, gint64 id, const gchar *state, guint64 delay_ms, const gchar *reason,
              GError **error)
{
	g_autofree gchar *id_text = g_strdup_printf("%" G_GINT64_FORMAT, id);
	g_autofree gchar *delay = g_strdup_printf("%" G_GUINT64_FORMAT, delay_ms);
	const gchar *params[] = {id_text, state, delay, reason};
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "WITH marked AS (UPDATE inbox SET attempts = attempts + 1, last_error = $4, "
	        "state = coalesce($2, state), "
	        "processed_at = CASE WHEN $2 IS NULL THEN NULL ELSE now() END, "
	        "next_attempt_at = CASE WHEN $2 IS NULL "
	        "THEN now() + $3::bigint * interval '1 millisecond' ELSE next_attempt_at END "
	        "WHERE id = $1 RETURNING id) " PH_AUDIT_PENDING_INSERT
	        "SELECT 'hub', 'inbound-' || $2, 'inbox ' || id, NULL::bytea FROM marked "
	        "WHERE $2 IS NOT NULL",
	        4, params, error);
	return result != NULL;
}

static gboolean
ph_inbox_postpone_unhandled(PhDb *db, gint64 id, const gchar *kind, GError **error)
{
	g_autofree gchar *id_text = g_strdup_printf("%" G_GINT64_FORMAT, id);
	g_autofree gchar *reason = g_strdup_printf("no handler is registered for kind %s", kind);
	const gchar *params[] = {id_text, reason};
	g_warning("inbox message %s: %s; it stays pending", id_text, reason);
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "UPDATE inbox SET last_error = $2, next_attempt_at = now() + interval "
	        "'" G_STRINGIFY(PH_INBOX_UNHANDLED_DELAY_MS) " milliseconds' WHERE id = $1",
	        2, params, error);
	return result != NULL;
}

static gboolean
ph_inbox_is_refusal(const GError *error)
{
	return g_error_matches(error, PH_ERROR, PH_ERROR_INVALID_INPUT) ||
	       g_error_matches(error, PH_ERROR, PH_ERROR_PERMANENT);
}

/* After the handler ran inside the savepoint: keep its effects and mark the row processed,
 * or undo them and record why. */
static gboolean
ph_inbox_settle(PhDb *db, gint64 id, guint attempt, GError *handler_error, PhInboxCounts *counts,
                GError **error)
{
	g_autoptr(GError) mark_error = NULL;
	if (handler_error == NULL) {
		if (ph_inbox_mark(db, id, "processed", 0, NULL, &mark_error)) {
			counts->processed++;
			return TRUE;
		}
		/* A handler that swallowed a database error left the transaction aborted:
		 * undo it and retry the message later like any other failure. */
		handler_error = mark_error;
	}
	if (!ph_db_exec(db, "ROLLBACK TO SAVEPOINT handler", error))
		return FALSE;
	if (ph_inbox_is_refusal(handler_error)) {
		counts->failed++;
		g_info("inbox message %" G_GINT64_FORMAT " failed: %s", id, handler_error->message);
		return ph_inbox_mark(db, id, "failed", 0, handler_error->message, error);
	}
	counts->retried++;
	g_info("inbox message %" G_GINT64_FORMAT " will be retried: %s", id,
	       handler_error->message);
	return ph_inbox_mark(db, id, NULL, ph_backoff_delay_ms(&ph_inbox_retry_policy, attempt),
	                     handler_error->message, error);
}

/* Runs the handler for row @row of the claimed @rows inside a savepoint of @txn. */
static gboolean
ph_inbox_run_handler(PhTxn *txn, const PhInboxBinding *binding, PGresult *rows, gint row,
                     PhInboxCounts *counts, GError **error)
{
	PhDb *db = ph_txn_get_db(txn);
	g_autoptr(GBytes) stored = ph_sql_value_bytes(rows, row, 4);
	g_autoptr(GError) handler_error = NULL;
	g_autoptr(GBytes) body = ph_inbox_open(stored, PH_FIELD_BODY_INBOX,
	                                       ph_db_get_int64(rows, row, 0), &handler_error);
	PhInboxMessage message = {
	        .id = ph_db_get_int64(rows, row, 0),
	        .partner = PQgetvalue(rows, row, 1),
	        .kind = PQgetvalue(rows, row, 2),
	        .message_id = PQgetvalue(rows, row, 3),
	        .body = body,
	        .received_at = ph_db_get_int64(rows, row, 5),
	};
	guint attempt = (guint)ph_db_get_int64(rows, row, 6) + 1;
	gpointer state = binding->plugin != NULL ? ph_plugin_get_data(binding->plugin) : NULL;

	ph_txn_set_plugin(txn, binding->plugin);
	if (!ph_db_exec(db, "SAVEPOINT handler", error))
		return FALSE;
	if (body == NULL)
		g_warning("%s; not handed to %s", handler_error->message, message.kind);
	else if (!binding->handler(txn, &message, state, &handler_error) && handler_error == NULL)
		g_set_error(&handler_error, PH_ERROR, PH_ERROR_FAILED,
		            "handler for %s failed without saying why", message.kind);
	if (!ph_inbox_settle(db, message.id, attempt, handler_error, counts, error))
		return FALSE;
	/* Keeps the savepoint stack flat across the batch. */
	return ph_db_exec(db, "RELEASE SAVEPOINT handler", error);
}

static gboolean
ph_inbox_process_row(PhTxn *txn, PhRegistry *registry, PGresult *rows, gint row,
                     PhInboxCounts *counts, GError **error)
{
	const gchar *kind = PQgetvalue(rows, row, 2);
	const PhInboxBinding *binding = ph_registry_find_inbox_handler(registry, kind);
	if (binding == NULL)
		return ph_inbox_postpone_unhandled(ph_txn_get_db(txn),
		                                   ph_db_get_int64(rows, row, 0), kind, error);
	return ph_inbox_run_handler(txn, binding, rows, row, counts, error);
}

/* Claims up to @limit due messages and processes them in one transaction, each inside
 * its own savepoint, so one commit covers the batch and a failing message undoes only its
 * own effects. @counts is added to only when the batch committed. */
static gboolean
ph_inbox_process_batch(PhDb *db, PhRegistry *registry, guint limit, PhInboxCounts *counts,
                       guint *claimed, GError **error)
{
	g_autofree gchar *limit_text = g_strdup_printf("%u", limit);
	const gchar *params[] = {limit_text};
	PhInboxCounts batch = {0};
	*claimed = 0;
	g_autoptr(PhTxn) txn = ph_txn_begin(db, NULL, error);
	if (txn == NULL)
		return FALSE;
	g_autoptr(PGresult) rows = ph_db_query(
	        db,
	        "SELECT id, partner, kind, message_id, body, "
	        "(extract(epoch FROM received_at) * 1000000)::bigint, attempts FROM inbox "
	        "WHERE state = 'pending' AND next_attempt_at <= now() "
	        "ORDER BY next_attempt_at, id LIMIT $1::integer FOR UPDATE SKIP LOCKED",
	        1, params, error);
	if (rows == NULL)
		return FALSE;
	for (gint row = 0; row < PQntuples(rows); row++) {
		if (!ph_inbox_process_row(txn, registry, rows, row, &batch, error))
			return FALSE;
	}
	if (PQntuples(rows) > 0 && !ph_txn_commit(txn, error))
		return FALSE;
	*claimed = (guint)PQntuples(rows);
	counts->processed += batch.processed;
	counts->failed += batch.failed;
	counts->retried += batch.retried;
	return TRUE;
}

gboolean
ph_inbox_process(PhDb *db, PhRegistry *registry, guint limit, PhInboxCounts *counts, guint *handled,
                 GError **error)
{
	g_return_val_if_fail(db != NULL && registry != NULL, FALSE);
	PhInboxCounts ignored = {0};
	guint claimed = 0;
	gboolean ok = ph_inbox_process_batch(db, registry, MAX(limit, 1),
	                                     counts != NULL ? counts : &ignored, &claimed, error);
	if (handled != NULL)
		*handled = claimed;
	return ok;
}

/* clang-format off */
#define PH_INBOX_COLUMNS                                                                   \
	"id, partner, kind, message_id, " PH_FIELD_BODY_SQL_SIZE("body") ", "              \
	"encode(digest, 'hex'), "                                                          \
	PH_SQL_UTC("received_at") ", state, attempts, last_error, "                        \
	PH_SQL_UTC("processed_at") ", answer_status, answer_content_type"
/* clang-format on */

static PhInboxRecord *
ph_inbox_record_from_row(PGresult *result, gint row)
{
	PhInboxRecord *record = g_new0(PhInboxRecord, 1);
	record->id = ph_db_get_int64(result, row, 0);
	record->partner = ph_sql_value_dup(result, row, 1);
	record->kind = ph_sql_value_dup(result, row, 2);
	record->message_id = ph_sql_value_dup(result, row, 3);
	record->body_size = ph_db_get_int64(result, row, 4);
	record->digest = ph_sql_value_dup(result, row, 5);
	record->received_at = ph_sql_value_dup(result, row, 6);
	record->state = ph_sql_value_dup(result, row, 7);
	record->attempts = (guint)ph_db_get_int64(result, row, 8);
	record->last_error = ph_sql_value_dup(result, row, 9);
	record->processed_at = ph_sql_value_dup(result, row, 10);
	record->answer_status = (guint)ph_db_get_int64(result, row, 11);
	record->answer_content_type = ph_sql_value_dup(result, row, 12);
	return record;
}

GPtrArray *
ph_inbox_list(PhDb *db, const gchar *state, guint limit, GError **error)
{
	g_return_val_if_fail(db != NULL, NULL);
	g_autofree gchar *limit_text = g_strdup_printf("%u", limit);
	const gchar *params[] = {state, limit_text};
	g_autoptr(PGresult) result =
	        ph_db_query(db,
	                    "SELECT " PH_INBOX_COLUMNS " FROM inbox "
	                    "WHERE $1::text IS NULL OR state = $1 ORDER BY id DESC LIMIT $2",
	                    2, params, error);
	if (result == NULL)
		return NULL;
	GPtrArray *records = g_ptr_array_new_with_free_func((GDestroyNotify)ph_inbox_record_free);
	for (gint row = 0; row < PQntuples(result); row++)
		g_ptr_array_add(records, ph_inbox_record_from_row(result, row));
	return records;
}

PhInboxRecord *
ph_inbox_show(PhDb *db, gint64 id, GError **error)
{
	g_return_val_if_fail(db != NULL, NULL);
	g_autofree gchar *id_text = g_strdup_printf("%" G_GINT64_FORMAT, id);
	const gchar *params[] = {id_text};
	g_autoptr(PGresult) result = ph_db_query(
	        db, "SELECT " PH_INBOX_COLUMNS ", body, answer_body FROM inbox WHERE id = $1", 1,
	        params, error);
	if (result == NULL)
		return NULL;
	if (PQntuples(result) == 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_NOT_FOUND, "inbox message %s does not exist",
		            id_text);
		return NULL;
	}
	g_autoptr(PhInboxRecord) record = ph_inbox_record_from_row(result, 0);
	g_autoptr(GBytes) body = ph_sql_value_bytes(result, 0, 13);
	g_autoptr(GBytes) answer_body = ph_sql_value_bytes(result, 0, 14);
	record->body = ph_inbox_open(body, PH_FIELD_BODY_INBOX, id, error);
	if (record->body == NULL)
		return NULL;
	record->answer_body = ph_inbox_open(answer_body, PH_FIELD_BODY_INBOX_ANSWER, id, error);
	if (answer_body != NULL && record->answer_body == NULL)
		return NULL;
	return g_steal_pointer(&record);
}
