/* Outbox store: add, leased batch claims, outcomes, dead letters, operator views.
 * Host-only. Why leases rather than row locks held during delivery: a lease survives a
 * lost database connection, so the outcome of a delivery that happened while the
 * database restarted is still written afterwards (nothing is delivered twice), and no
 * transaction stays open while a partner takes its time. See docs/store.md. */
#include "ph-outbox.h"

#include "ph-audit.h"
#include "ph-backoff.h"
#include "ph-field-body.h"
#include "ph-sql-value.h"

/* A payload whose key is not in the key file is looked at again after this. */
#define PH_OUTBOX_KEY_MISSING_DELAY_MS 60000

gboolean
ph_outbox_add(PhDb *db, const gchar *topic, const gchar *key, GBytes *payload, gint64 *id,
              GError **error)
{
	g_return_val_if_fail(db != NULL && topic != NULL && payload != NULL, FALSE);
	g_autoptr(GBytes) sealed = ph_field_body_seal(payload, PH_FIELD_BODY_OUTBOX, error);
	if (sealed == NULL) {
		g_prefix_error(error, "outbox message for %s: ", topic);
		return FALSE;
	}
	gint lengths[3] = {0};
	const gint formats[] = {0, 0, 1};
	const gchar *params[] = {topic, key, ph_sql_value_bytes_param(sealed, &lengths[2])};
	g_autoptr(PGresult) result = ph_db_query_binary(
	        db, "INSERT INTO outbox (topic, key, payload) VALUES ($1, $2, $3) RETURNING id", 3,
	        params, lengths, formats, error);
	if (result == NULL) {
		g_prefix_error(error, "outbox message for %s: ", topic);
		return FALSE;
	}
	if (id != NULL)
		*id = ph_db_get_int64(result, 0, 0);
	return TRUE;
}

static void
ph_outbox_item_free(PhOutboxItem *item)
{
	g_free((gchar *)item->message.topic);
	g_free((gchar *)item->message.key);
	g_clear_pointer(&item->message.payload, g_bytes_unref);
	g_free(item->error);
	g_free(item);
}

void
ph_outbox_batch_free(PhOutboxBatch *batch)
{
	if (batch == NULL)
		return;
	g_free(batch->token);
	g_ptr_array_unref(batch->items);
	g_free(batch);
}

/* A PostgreSQL array literal of text values, each double-quoted and escaped. */
static gchar *
ph_outbox_text_array(const gchar *const *values)
{
	GString *literal = g_string_new("{");
	for (guint i = 0; values != NULL && values[i] != NULL; i++) {
		if (i > 0)
			g_string_append_c(literal, ',');
		g_string_append_c(literal, '"');
		for (const gchar *c = values[i]; *c != '\0'; c++) {
			if (*c == '"' || *c == '\\')
				g_string_append_c(literal, '\\');
			g_string_append_c(literal, *c);
		}
		g_string_append_c(literal, '"');
	}
	g_string_append_c(literal, '}');
	return g_string_free(literal, FALSE);
}

/* The plaintext of a stored payload, a failure naming message @id: the body's envelope, then
 * the sealed payload of a core event the routing trigger queued (stored in the clear around
 * it, since the database cannot seal). */
static GBytes *
ph_outbox_open(GBytes *stored, gint64 id, GError **error)
{
	g_autoptr(GBytes) body = ph_field_body_open(stored, PH_FIELD_BODY_OUTBOX, error);
	GBytes *payload = body != NULL ? ph_field_body_open_event(body, NULL, error) : NULL;
	if (payload == NULL)
		g_prefix_error(error, "outbox message %" G_GINT64_FORMAT ": ", id);
	return payload;
}

/* A claimed row. A payload that does not open (its body or a routed core event's payload) is
 * never handed to a plugin: the item is settled at once with the reason, dead when it was
 * altered (finish moves it to the dead letters, bytes kept as found), retried a minute later
 * when its key is not loaded (an operator may restore the key file). */
static PhOutboxItem *
ph_outbox_item_from_row(PGresult *result, gint row)
{
	PhOutboxItem *item = g_new0(PhOutboxItem, 1);
	g_autoptr(GBytes) stored = ph_sql_value_bytes(result, row, 3);
	g_autoptr(GError) error = NULL;
	item->message.id = ph_db_get_int64(result, row, 0);
	item->message.topic = ph_sql_value_dup(result, row, 1);
	item->message.key = ph_sql_value_dup(result, row, 2);
	item->message.payload = ph_outbox_open(stored, item->message.id, &error);
	item->message.attempt = (guint)ph_db_get_int64(result, row, 4);
	if (item->message.payload == NULL) {
		g_warning("%s; not handed to the deliverer of %s", error->message,
		          item->message.topic);
		gboolean missing_key = g_error_matches(error, PH_ERROR, PH_ERROR_CONFIG);
		item->outcome = missing_key ? PH_OUTBOX_OUTCOME_RETRY : PH_OUTBOX_OUTCOME_DEAD;
		item->delay_ms = missing_key ? PH_OUTBOX_KEY_MISSING_DELAY_MS : 0;
		item->error = g_strdup(error->message);
	}
	return item;
}

PhOutboxBatch *
ph_outbox_claim(PhDb *db, const gchar *const *topics, guint limit, guint lease_seconds,
                GError **error)
{
	g_return_val_if_fail(db != NULL, NULL);
	g_autoptr(PhOutboxBatch) batch = g_new0(PhOutboxBatch, 1);
	batch->token = g_uuid_string_random();
	batch->lease_ends = g_get_monotonic_time() + (gint64)lease_seconds * G_USEC_PER_SEC;
	batch->lease_seconds = lease_seconds;
	batch->items = g_ptr_array_new_with_free_func((GDestroyNotify)ph_outbox_item_free);
	if (topics == NULL || topics[0] == NULL || limit == 0)
		return g_steal_pointer(&batch);

	g_autofree gchar *topic_array = ph_outbox_text_array(topics);
	g_autofree gchar *limit_text = g_strdup_printf("%u", limit);
	g_autofree gchar *lease_text = g_strdup_printf("%u", lease_seconds);
	const gchar *params[] = {topic_array, limit_text, batch->token, lease_text};
	/* SKIP LOCKED lets concurrent claimers take disjoint rows; the lease (moving
	 * next_attempt_at ahead) keeps the rows theirs after this statement commits. */
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "UPDATE outbox o SET attempts = o.attempts + 1, lease_token = $3, "
	        "next_attempt_at = now() + $4::integer * interval '1 second' "
	        "FROM (SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= now() "
	        "AND topic = ANY($1::text[]) ORDER BY next_attempt_at, id LIMIT $2::integer "
	        "FOR UPDATE SKIP LOCKED) due "
	        "WHERE o.id = due.id RETURNING o.id, o.topic, o.key, o.payload, o.attempts",
	        4, params, error);
	if (result == NULL) {
		g_prefix_error(error, "outbox claim: ");
		return NULL;
	}
	for (gint row = 0; row < PQntuples(result); row++)
		g_ptr_array_add(batch->items, ph_outbox_item_from_row(result, row));
	return g_steal_pointer(&batch);
}

gboolean
ph_outbox_batch_may_deliver(PhOutboxBatch *batch)
{
	gint64 half = (gint64)batch->lease_seconds * G_USEC_PER_SEC / 2;
	return g_get_monotonic_time() < batch->lease_ends - half;
}

void
ph_outbox_item_delivered(PhOutboxItem *item)
{
	item->outcome = PH_OUTBOX_OUTCOME_DELIVERED;
	g_clear_pointer(&item->error, g_free);
}

void
ph_outbox_item_failed(PhOutboxItem *item, const PhRetryPolicy *policy, const GError *delivery_error)
{
	g_free(item->error);
	item->error = g_strdup(delivery_error != NULL ? delivery_error->message
	                                              : "delivery failed without saying why");
	if (g_error_matches(delivery_error, PH_ERROR, PH_ERROR_PERMANENT) ||
	    ph_backoff_exhausted(policy, item->message.attempt)) {
		item->outcome = PH_OUTBOX_OUTCOME_DEAD;
		return;
	}
	item->outcome = PH_OUTBOX_OUTCOME_RETRY;
	item->delay_ms = ph_backoff_delay_ms(policy, item->message.attempt);
}

/* "{1,2,3}" of the items with @outcome; NULL when there are none. */
static gchar *
ph_outbox_id_array(PhOutboxBatch *batch, PhOutboxOutcome outcome)
{
	g_autoptr(GString) literal = g_string_new("{");
	for (guint i = 0; i < batch->items->len; i++) {
		PhOutboxItem *item = g_ptr_array_index(batch->items, i);
		if (item->outcome != outcome)
			continue;
		if (literal->len > 1)
			g_string_append_c(literal, ',');
		g_string_append_printf(literal, "%" G_GINT64_FORMAT, item->message.id);
	}
	if (literal->len == 1)
		return NULL;
	g_string_append_c(literal, '}');
	return g_string_free(g_steal_pointer(&literal), FALSE);
}

/* Runs @sql with (id array, token) for the items of @outcome, if there are any. */
static gboolean
ph_outbox_update_set(PhDb *db, PhOutboxBatch *batch, PhOutboxOutcome outcome, const gchar *sql,
                     GError **error)
{
	g_autofree gchar *ids = ph_outbox_id_array(batch, outcome);
	if (ids == NULL)
		return TRUE;
	const gchar *params[] = {ids, batch->token};
	g_autoptr(PGresult) result = ph_db_query(db, sql, 2, params, error);
	return result != NULL;
}

static gboolean
ph_outbox_settle_failure(PhDb *db, PhOutboxBatch *batch, PhOutboxItem *item, GError **error)
{
	g_autofree gchar *id = g_strdup_printf("%" G_GINT64_FORMAT, item->message.id);
	g_autofree gchar *delay = g_strdup_printf("%" G_GUINT64_FORMAT, item->delay_ms);
	const gchar *params[] = {id, batch->token, item->error, delay};
	const gchar *sql =
	        item->outcome == PH_OUTBOX_OUTCOME_RETRY
	                ? "UPDATE outbox SET lease_token = NULL, last_error = $3, "
	                  "next_attempt_at = now() + $4::bigint * interval '1 millisecond' "
	                  "WHERE id = $1 AND lease_token = $2"
	                : "WITH moved AS (DELETE FROM outbox WHERE id = $1 AND lease_token = $2 "
	                  "RETURNING id, topic, key, payload, created_at, attempts) "
	                  "INSERT INTO dead_letter (id, topic, key, payload, created_at, attempts, "
	                  "last_error) SELECT moved.*, $3 FROM moved";
	g_autoptr(PGresult) result = ph_db_query(
	        db, sql, item->outcome == PH_OUTBOX_OUTCOME_RETRY ? 4 : 3, params, error);
	return result != NULL;
}

/* Audit of outbound messages (issue 9): one entry per delivered message, with the bytes
 * sent, in the transaction that marks it delivered. */
static gboolean
ph_outbox_audit_delivered(PhDb *db, PhOutboxBatch *batch, GError **error)
{
	for (guint i = 0; i < batch->items->len; i++) {
		PhOutboxItem *item = g_ptr_array_index(batch->items, i);
		if (item->outcome != PH_OUTBOX_OUTCOME_DELIVERED)
			continue;
		g_autofree gchar *object = g_strdup_printf(
		        "outbox %" G_GINT64_FORMAT " %s %s", item->message.id, item->message.topic,
		        item->message.key != NULL ? item->message.key : "-");
		if (!ph_audit_append_queued(db, "hub", "outbound", object, item->message.payload,
		                            error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
ph_outbox_finish_in_txn(PhDb *db, PhOutboxBatch *batch, GError **error)
{
	if (!ph_outbox_update_set(db, batch, PH_OUTBOX_OUTCOME_DELIVERED,
	                          "UPDATE outbox SET state = 'delivered', delivered_at = now(), "
	                          "lease_token = NULL, last_error = NULL "
	                          "WHERE id = ANY($1::bigint[]) AND lease_token = $2",
	                          error) ||
	    !ph_outbox_audit_delivered(db, batch, error))
		return FALSE;
	/* Unsettled rows (the dispatcher stopped before delivering them) are handed back
	 * without counting the attempt. */
	if (!ph_outbox_update_set(db, batch, PH_OUTBOX_OUTCOME_NONE,
	                          "UPDATE outbox SET lease_token = NULL, next_attempt_at = now(), "
	                          "attempts = attempts - 1 "
	                          "WHERE id = ANY($1::bigint[]) AND lease_token = $2",
	                          error))
		return FALSE;
	for (guint i = 0; i < batch->items->len; i++) {
		PhOutboxItem *item = g_ptr_array_index(batch->items, i);
		if (item->outcome != PH_OUTBOX_OUTCOME_RETRY &&
		    item->outcome != PH_OUTBOX_OUTCOME_DEAD)
			continue;
		if (!ph_outbox_settle_failure(db, batch, item, error))
			return FALSE;
	}
	return TRUE;
}

gboolean
ph_outbox_finish(PhDb *db, PhOutboxBatch *batch, GError **error)
{
	g_return_val_if_fail(db != NULL && batch != NULL, FALSE);
	if (batch->items->len == 0)
		return TRUE;
	if (!ph_db_begin(db, error))
		return FALSE;
	if (!ph_outbox_finish_in_txn(db, batch, error) || !ph_db_commit(db, error)) {
		ph_db_rollback(db);
		g_prefix_error(error, "outbox outcomes of %u messages: ", batch->items->len);
		return FALSE;
	}
	return TRUE;
}

void
ph_outbox_record_free(PhOutboxRecord *record)
{
	if (record == NULL)
		return;
	g_free(record->topic);
	g_free(record->key);
	g_clear_pointer(&record->payload, g_bytes_unref);
	g_free(record->state);
	g_free(record->created_at);
	g_free(record->next_attempt_at);
	g_free(record->finished_at);
	g_free(record->last_error);
	g_free(record);
}

/* Both tables in one shape, so that list and show see a message wherever it is. */
#define PH_OUTBOX_ALL                                                                              \
	"(SELECT id, topic, key, payload, state, attempts, created_at, "                           \
	"CASE WHEN state = 'pending' THEN next_attempt_at END AS next_attempt_at, "                \
	"delivered_at AS finished_at, last_error FROM outbox "                                     \
	"UNION ALL SELECT id, topic, key, payload, 'dead', attempts, created_at, NULL, "           \
	"dead_at, last_error FROM dead_letter) AS message "

/* clang-format off */
#define PH_OUTBOX_COLUMNS                                                                  \
	"id, topic, key, " PH_FIELD_BODY_SQL_SIZE("payload") ", state, attempts, "         \
	PH_SQL_UTC("created_at") ", " PH_SQL_UTC("next_attempt_at") ", "                   \
	PH_SQL_UTC("finished_at") ", last_error"
/* clang-format on */

static PhOutboxRecord *
ph_outbox_record_from_row(PGresult *result, gint row)
{
	PhOutboxRecord *record = g_new0(PhOutboxRecord, 1);
	record->id = ph_db_get_int64(result, row, 0);
	record->topic = ph_sql_value_dup(result, row, 1);
	record->key = ph_sql_value_dup(result, row, 2);
	record->payload_size = ph_db_get_int64(result, row, 3);
	record->state = ph_sql_value_dup(result, row, 4);
	record->attempts = (guint)ph_db_get_int64(result, row, 5);
	record->created_at = ph_sql_value_dup(result, row, 6);
	record->next_attempt_at = ph_sql_value_dup(result, row, 7);
	record->finished_at = ph_sql_value_dup(result, row, 8);
	record->last_error = ph_sql_value_dup(result, row, 9);
	return record;
}

GPtrArray *
ph_outbox_list(PhDb *db, const gchar *state, const gchar *topic, guint limit, GError **error)
{
	g_return_val_if_fail(db != NULL, NULL);
	g_autofree gchar *limit_text = g_strdup_printf("%u", limit);
	const gchar *params[] = {state, topic, limit_text};
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "SELECT " PH_OUTBOX_COLUMNS " FROM " PH_OUTBOX_ALL
	        "WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR topic = $2) "
	        "ORDER BY id DESC LIMIT $3::integer",
	        3, params, error);
	if (result == NULL)
		return NULL;
	GPtrArray *records = g_ptr_array_new_with_free_func((GDestroyNotify)ph_outbox_record_free);
	for (gint row = 0; row < PQntuples(result); row++)
		g_ptr_array_add(records, ph_outbox_record_from_row(result, row));
	return records;
}

PhOutboxRecord *
ph_outbox_show(PhDb *db, gint64 id, GError **error)
{
	g_return_val_if_fail(db != NULL, NULL);
	g_autofree gchar *id_text = g_strdup_printf("%" G_GINT64_FORMAT, id);
	const gchar *params[] = {id_text};
	g_autoptr(PGresult) result = ph_db_query(
	        db, "SELECT " PH_OUTBOX_COLUMNS ", payload FROM " PH_OUTBOX_ALL "WHERE id = $1", 1,
	        params, error);
	if (result == NULL)
		return NULL;
	if (PQntuples(result) == 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_NOT_FOUND, "outbox message %s does not exist",
		            id_text);
		return NULL;
	}
	g_autoptr(PhOutboxRecord) record = ph_outbox_record_from_row(result, 0);
	g_autoptr(GBytes) stored = ph_sql_value_bytes(result, 0, 10);
	record->payload = ph_outbox_open(stored, id, error);
	if (record->payload == NULL)
		return NULL;
	return g_steal_pointer(&record);
}

/* Moves dead letters back (id and/or topic may be NULL to match any). */
static PGresult *
ph_outbox_revive(PhDb *db, const gchar *id, const gchar *topic, GError **error)
{
	const gchar *params[] = {id, topic};
	return ph_db_query(
	        db,
	        "WITH moved AS (DELETE FROM dead_letter WHERE ($1::bigint IS NULL OR id = $1) "
	        "AND ($2::text IS NULL OR topic = $2) RETURNING *) "
	        "INSERT INTO outbox (id, topic, key, payload, created_at, attempts, last_error) "
	        "SELECT id, topic, key, payload, created_at, 0, last_error FROM moved RETURNING id",
	        2, params, error);
}

gboolean
ph_outbox_retry(PhDb *db, gint64 id, GError **error)
{
	g_return_val_if_fail(db != NULL, FALSE);
	g_autofree gchar *id_text = g_strdup_printf("%" G_GINT64_FORMAT, id);
	const gchar *params[] = {id_text};
	g_autoptr(PGresult) revived = ph_outbox_revive(db, id_text, NULL, error);
	if (revived == NULL)
		return FALSE;
	if (PQntuples(revived) > 0)
		return TRUE;
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "WITH due AS (UPDATE outbox SET next_attempt_at = now() "
	        "WHERE id = $1 AND state = 'pending' "
	        "AND (lease_token IS NULL OR next_attempt_at <= now()) RETURNING id) "
	        "SELECT (SELECT count(*) FROM due), (SELECT CASE WHEN state = 'pending' "
	        "THEN 'being delivered' ELSE state END FROM outbox WHERE id = $1)",
	        1, params, error);
	if (result == NULL)
		return FALSE;
	if (ph_db_get_int64(result, 0, 0) == 1)
		return TRUE;
	if (PQgetisnull(result, 0, 1)) {
		g_set_error(error, PH_ERROR, PH_ERROR_NOT_FOUND, "outbox message %s does not exist",
		            id_text);
		return FALSE;
	}
	g_set_error(error, PH_ERROR, PH_ERROR_CONFLICT,
	            "outbox message %s cannot be retried: it is %s", id_text,
	            PQgetvalue(result, 0, 1));
	return FALSE;
}

gboolean
ph_outbox_retry_dead(PhDb *db, const gchar *topic, guint *count, GError **error)
{
	g_return_val_if_fail(db != NULL, FALSE);
	g_autoptr(PGresult) revived = ph_outbox_revive(db, NULL, topic, error);
	if (revived == NULL)
		return FALSE;
	if (count != NULL)
		*count = (guint)PQntuples(revived);
	return TRUE;
}

GHashTable *
ph_outbox_count_pending(PhDb *db, GError **error)
{
	g_return_val_if_fail(db != NULL, NULL);
	g_autoptr(PGresult) result = ph_db_query(
	        db, "SELECT topic, count(*) FROM outbox WHERE state = 'pending' GROUP BY topic", 0,
	        NULL, error);
	if (result == NULL)
		return NULL;
	GHashTable *counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	for (gint row = 0; row < PQntuples(result); row++) {
		gint64 *count = g_new(gint64, 1);
		*count = ph_db_get_int64(result, row, 1);
		g_hash_table_insert(counts, g_strdup(PQgetvalue(result, row, 0)), count);
	}
	return counts;
}
