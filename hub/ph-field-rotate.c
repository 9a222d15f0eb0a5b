/* Key rotation (ph-field-rotate.h). Each batch locks the rows it re-seals (FOR UPDATE), so a
 * concurrent writer waits a moment instead of being overwritten; ctid order lets a batch start
 * where the last one stopped without an index. Host-only. */
#include "ph-field-rotate.h"

#include <string.h>

#include "ph-core-event.h"
#include "ph-error.h"
#include "ph-field-body.h"
#include "ph-field-cipher.h"
#include "ph-sql-value.h"

typedef enum {
	PH_FIELD_SEALED, /* an envelope under the current key */
	PH_FIELD_HASHED, /* a keyed hash "h1:..." (the lookup key is not rotated) */
	PH_FIELD_BODY,   /* a bytea message body, a binary envelope under the current key */
	PH_FIELD_EVENT,  /* a jsonb core event payload, a jsonb string of an envelope under it */
	PH_FIELD_MEMBER, /* one string member of a jsonb result, an envelope like PH_FIELD_SEALED */
} PhFieldKind;

typedef struct {
	const gchar *table;
	const gchar *column;
	PhFieldKind kind;
	const gchar *lookup; /* its keyed-hash column, hashed while still plaintext (or NULL) */
	const gchar *aad;    /* PH_FIELD_BODY: the column name its envelopes are sealed with */
	const gchar *member; /* PH_FIELD_MEMBER: the member's name */
	const gchar *only;   /* a condition on the rows that hold a value to hide (or NULL) */
} PhFieldColumn;

/* Every stored AAC002 and AAE010, message body and core event payload (docs/security.md, "What
 * is encrypted"). Bank result lines are append-only but for their echoes becoming hashes (0015). */
static const PhFieldColumn ph_field_columns[] = {
        {"person", "id_number", PH_FIELD_SEALED, "id_lookup"},
        {"payout_item", "id_number", PH_FIELD_SEALED, NULL},
        {"medical_compare_line", "id_number", PH_FIELD_SEALED, NULL},
        {"transfer_exchange", "id_number", PH_FIELD_SEALED, "id_lookup"},
        {"payee_account", "account", PH_FIELD_SEALED, "account_lookup"},
        {"payee_account_override", "account", PH_FIELD_SEALED, NULL},
        {"cardholder_card", "account", PH_FIELD_SEALED, NULL},
        {"cardholder_notice", "account", PH_FIELD_SEALED, NULL},
        {"payout_item", "account", PH_FIELD_SEALED, "account_lookup"},
        {"payout_result_line", "id_number", PH_FIELD_HASHED, NULL},
        {"payout_result_line", "account", PH_FIELD_HASHED, NULL},
        {"transfer_message", "body", PH_FIELD_SEALED, NULL},
        {"transfer_message_version", "body", PH_FIELD_SEALED, NULL},
        {"inbox", "body", PH_FIELD_BODY, NULL, PH_FIELD_BODY_INBOX},
        {"inbox", "answer_body", PH_FIELD_BODY, NULL, PH_FIELD_BODY_INBOX_ANSWER},
        {"inbox_refusal", "body", PH_FIELD_BODY, NULL, PH_FIELD_BODY_REFUSAL},
        {"outbox", "payload", PH_FIELD_BODY, NULL, PH_FIELD_BODY_OUTBOX},
        {"dead_letter", "payload", PH_FIELD_BODY, NULL, PH_FIELD_BODY_OUTBOX},
        {"plugin_state", "value", PH_FIELD_BODY, NULL, PH_FIELD_BODY_STATE},
        {"core_event", "payload", PH_FIELD_EVENT},
        /* the stored results of core commands: their AAC002 (ph-stored-result.h) */
        {"benefit", "result", PH_FIELD_MEMBER, .member = "AAC002"},
        {"death_settlement", "result", PH_FIELD_MEMBER, .member = "AAC002"},
        {"transfer_case", "result", PH_FIELD_MEMBER, .member = "AAC002"},
        /* a rejected personnel event's person, as a keyed hash; a unit's stays "unit:AAB001" */
        {"personnel_result", "subject", PH_FIELD_HASHED,
         .only = "NOT starts_with(subject, 'unit:')"},
};

/* The column's value as text: an event payload's envelope (the jsonb string's text) or the
 * JSON text of a payload stored before a key file. */
static gchar *
ph_field_rotate_value(const PhFieldColumn *column)
{
	if (column->kind == PH_FIELD_MEMBER)
		return g_strdup_printf("(%s ->> '%s')", column->column, column->member);
	return column->kind == PH_FIELD_EVENT ? g_strdup_printf("%s #>> '{}'", column->column)
	                                      : g_strdup(column->column);
}

/* bytea in PostgreSQL's hex text form "\\x…", as a text parameter or array element. */
static gchar *
ph_field_rotate_hex(const guint8 *data, gsize length)
{
	static const gchar hex[] = "0123456789abcdef";
	gchar *text = g_malloc(2 + 2 * length + 1);
	text[0] = '\\';
	text[1] = 'x';
	for (gsize i = 0; i < length; i++) {
		text[2 + 2 * i] = hex[data[i] >> 4];
		text[3 + 2 * i] = hex[data[i] & 15];
	}
	text[2 + 2 * length] = '\0';
	return text;
}

/* The prefix of a value already in its final form. */
static gchar *
ph_field_rotate_done_prefix(const PhFieldColumn *column, const gchar *current)
{
	if (column->kind == PH_FIELD_BODY) {
		g_autofree gchar *prefix = ph_field_key_bytes_prefix(current);
		return ph_field_rotate_hex((const guint8 *)prefix, strlen(prefix));
	}
	return column->kind == PH_FIELD_HASHED
	               ? g_strdup("h1:")
	               : g_strconcat(PH_FIELD_ENVELOPE_PREFIX, current, ":", NULL);
}

/* The condition of a row still to convert: its value is not in its final form (the prefix in
 * parameter @done, "$1" or "$2"), or its lookup is not yet a keyed hash. NULL and empty values
 * hold nothing to hide and stay as they are. */
static gchar *
ph_field_rotate_pending(const PhFieldColumn *column, const gchar *done)
{
	/* every body is sealed, empty ones too; a NULL answer stays NULL. A routed event
	 * (0x89 "phe1:", 0023) whose payload is under the current key ("enc1:ID:" inside, the ID
	 * taken from @done after its 6-byte magic) is done too: its bytes hold nothing else. */
	if (column->kind == PH_FIELD_BODY && g_str_equal(column->aad, PH_FIELD_BODY_OUTBOX))
		return g_strdup_printf("substring(%s for octet_length(%s::bytea)) <> %s::bytea AND "
		                       "NOT (substring(%s "
		                       "for 6) = '\\x89706865313a'::bytea AND "
		                       "position('\\x22656e63313a'::bytea || "
		                       "substring(%s::bytea from 7) in %s) > 0)",
		                       column->column, done, done, column->column, done,
		                       column->column);
	if (column->kind == PH_FIELD_BODY)
		return g_strdup_printf("substring(%s for octet_length(%s::bytea)) <> %s::bytea",
		                       column->column, done, done);
	g_autofree gchar *lookup =
	        column->lookup != NULL
	                ? g_strdup_printf(" OR NOT starts_with(coalesce(%s, ''), 'h1:')",
	                                  column->lookup)
	                : g_strdup("");
	g_autofree gchar *value = ph_field_rotate_value(column);
	return g_strdup_printf("%s <> '' AND (NOT starts_with(%s, %s)%s)%s%s", value, value, done,
	                       lookup, column->only != NULL ? " AND " : "",
	                       column->only != NULL ? column->only : "");
}

/* A PostgreSQL array literal of @n quoted elements (NULL elements as NULL). */
static gchar *
ph_field_rotate_array(GPtrArray *values)
{
	GString *text = g_string_new("{");
	for (guint i = 0; i < values->len; i++) {
		const gchar *value = g_ptr_array_index(values, i);
		if (i > 0)
			g_string_append_c(text, ',');
		if (value == NULL) {
			g_string_append(text, "NULL");
			continue;
		}
		g_string_append_c(text, '"');
		for (const gchar *p = value; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				g_string_append_c(text, '\\');
			g_string_append_c(text, *p);
		}
		g_string_append_c(text, '"');
	}
	g_string_append_c(text, '}');
	return g_string_free(text, FALSE);
}

typedef struct {
	GPtrArray *ids;     /* ctid text */
	GPtrArray *values;  /* the new stored value */
	GPtrArray *lookups; /* the new lookup column's value, or NULL to keep it */
} PhFieldBatch;

static void
ph_field_batch_clear(PhFieldBatch *batch)
{
	g_clear_pointer(&batch->ids, g_ptr_array_unref);
	g_clear_pointer(&batch->values, g_ptr_array_unref);
	g_clear_pointer(&batch->lookups, g_ptr_array_unref);
}

/* A body re-sealed under the current key, in hex text form; NULL with @error naming the row. */
static gchar *
ph_field_rotate_body(PhFieldKeys *keys, const PhFieldColumn *column, PGresult *rows, gint row,
                     GError **error)
{
	g_autoptr(GBytes) stored = ph_sql_value_bytes(rows, row, 1);
	g_autofree gchar *id = ph_field_key_bytes_id(stored);
	g_autoptr(GBytes) body =
	        id != NULL ? ph_field_keys_open_bytes(keys, stored, column->aad, error)
	                   : g_bytes_ref(stored);
	/* an event the trigger routed with its payload sealed inside becomes an outbox body like
	 * any other, its payload opened and the whole sealed */
	g_autoptr(GBytes) plaintext = body != NULL && g_str_equal(column->aad, PH_FIELD_BODY_OUTBOX)
	                                      ? ph_field_body_open_event(body, keys, error)
	                                      : g_steal_pointer(&body);
	g_autoptr(GBytes) sealed =
	        plaintext != NULL ? ph_field_keys_seal_bytes(keys, plaintext, column->aad, error)
	                          : NULL;
	if (sealed == NULL) {
		g_prefix_error(error, "row %s: ", PQgetvalue(rows, row, 0));
		return NULL;
	}
	gsize length = 0;
	const guint8 *data = g_bytes_get_data(sealed, &length);
	return ph_field_rotate_hex(data, length);
}

/* An event payload sealed again under the current key (its plaintext as it was), or sealed for
 * the first time with the core's tag (ph-core-event.h). */
static gchar *
ph_field_rotate_event(PhFieldKeys *keys, const gchar *stored, GError **error)
{
	g_autofree gchar *plaintext = ph_field_is_sealed(stored)
	                                      ? ph_field_keys_open(keys, stored, error)
	                                      : g_strconcat(PH_CORE_EVENT_SEAL_TAG, stored, NULL);
	return plaintext != NULL ? ph_field_keys_seal(keys, plaintext, error) : NULL;
}

/* The new value of row @row of @rows (ctid, value[, lookup]). */
static gboolean
ph_field_rotate_row(PhFieldKeys *keys, const PhFieldColumn *column, PGresult *rows, gint row,
                    PhFieldBatch *batch, PhFieldRotation *out, GError **error)
{
	const gchar *stored = PQgetvalue(rows, row, 1);
	gchar *lookup = NULL;
	gchar *value = NULL;
	if (column->kind == PH_FIELD_BODY) {
		if ((value = ph_field_rotate_body(keys, column, rows, row, error)) == NULL)
			return FALSE;
		out->resealed++;
	} else if (column->kind == PH_FIELD_HASHED) {
		value = ph_field_keys_lookup(keys, stored);
		out->hashed++;
	} else if (column->kind == PH_FIELD_EVENT) {
		if ((value = ph_field_rotate_event(keys, stored, error)) == NULL)
			return FALSE;
		out->resealed++;
	} else {
		g_autofree gchar *plaintext = ph_field_is_sealed(stored)
		                                      ? ph_field_keys_open(keys, stored, error)
		                                      : g_strdup(stored);
		if (plaintext == NULL ||
		    (value = ph_field_keys_seal(keys, plaintext, error)) == NULL)
			return FALSE;
		if (column->lookup != NULL && !g_str_has_prefix(PQgetvalue(rows, row, 2), "h1:")) {
			lookup = ph_field_keys_lookup(keys, plaintext);
			out->hashed++;
		}
		out->resealed++;
	}
	g_ptr_array_add(batch->ids, g_strdup(PQgetvalue(rows, row, 0)));
	g_ptr_array_add(batch->values, value);
	g_ptr_array_add(batch->lookups, lookup);
	return TRUE;
}

static gboolean
ph_field_rotate_write(PhDb *db, const PhFieldColumn *column, PhFieldBatch *batch, GError **error)
{
	g_autofree gchar *set_lookup = column->lookup != NULL
	                                       ? g_strdup_printf(", %s = coalesce(v.lookup, t.%s)",
	                                                         column->lookup, column->lookup)
	                                       : g_strdup("");
	g_autofree gchar *member =
	        column->kind == PH_FIELD_MEMBER
	                ? g_strdup_printf("jsonb_set(t.%s, '{%s}', to_jsonb(v.value))",
	                                  column->column, column->member)
	                : NULL;
	g_autofree gchar *sql = g_strdup_printf(
	        "UPDATE %s t SET %s = %s%s FROM unnest($1::tid[], $2::%s[], $3::text[]) "
	        "AS v(id, value, lookup) WHERE t.ctid = v.id",
	        column->table, column->column,
	        member != NULL                   ? member
	        : column->kind == PH_FIELD_EVENT ? "to_jsonb(v.value)"
	                                         : "v.value",
	        set_lookup, column->kind == PH_FIELD_BODY ? "bytea" : "text");
	g_autofree gchar *ids = ph_field_rotate_array(batch->ids);
	g_autofree gchar *values = ph_field_rotate_array(batch->values);
	g_autofree gchar *lookups = ph_field_rotate_array(batch->lookups);
	const gchar *params[] = {ids, values, lookups};
	g_autoptr(PGresult) result = ph_db_query(db, sql, 3, params, error);
	return result != NULL;
}

/* Where a walk over a column is: the rows after @after and before block @window_end. Windows
 * of blocks keep each batch's scan and sort to its own part of the table (a walk is linear),
 * since a TID range scan comes with no order the planner could use. */
typedef struct {
	gchar *after;       /* ctid text: the last row changed, or "(B,0)" at a window's start */
	gint64 window_end;  /* the block after the current window */
	gint64 blocks;      /* the table's size in blocks when the walk began */
	gint64 window_size; /* blocks per window */
	gboolean cut;       /* the last batch left rows of its window for the next one */
} PhFieldWalk;

/* Bodies read per transaction at most (stored bytes; one body at least), so that a batch of
 * large messages does not become one huge statement. */
#define PH_FIELD_ROTATE_BODY_BYTES (16 * 1024 * 1024)

/* The rows of a body batch: locked and measured first (octet_length reads no body), then as
 * many read as fit in PH_FIELD_ROTATE_BODY_BYTES; @walk->cut when some were left. */
static PGresult *
ph_field_rotate_select_bodies(PhDb *db, const PhFieldColumn *column, const gchar *where,
                              const gchar *const *params, PhFieldWalk *walk, GError **error)
{
	g_autofree gchar *sql = g_strdup_printf(
	        "SELECT ctid::text, octet_length(%s) FROM %s WHERE ctid > $1::tid AND "
	        "ctid < $4::tid AND %s ORDER BY ctid LIMIT $3::integer FOR UPDATE",
	        column->column, column->table, where);
	g_autoptr(PGresult) sizes = ph_db_query(db, sql, 4, params, error);
	if (sizes == NULL)
		return NULL;
	g_autoptr(GPtrArray) ids = g_ptr_array_new();
	gint64 total = 0;
	for (gint row = 0; row < PQntuples(sizes); row++) {
		gint64 size = ph_db_get_int64(sizes, row, 1);
		if (ids->len > 0 && total + size > PH_FIELD_ROTATE_BODY_BYTES) {
			walk->cut = TRUE;
			break;
		}
		total += size;
		g_ptr_array_add(ids, PQgetvalue(sizes, row, 0));
	}
	g_autofree gchar *array = ph_field_rotate_array(ids);
	g_autofree gchar *read = g_strdup_printf(
	        "SELECT ctid::text, %s FROM %s WHERE ctid = ANY($1::tid[]) ORDER BY ctid",
	        column->column, column->table);
	const gchar *read_params[] = {array};
	return ph_db_query(db, read, 1, read_params, error);
}

/* The rows of a batch (ctid, value[, lookup]), locked. */
static PGresult *
ph_field_rotate_select(PhDb *db, const PhFieldColumn *column, const gchar *const *params,
                       PhFieldWalk *walk, GError **error)
{
	g_autofree gchar *where = ph_field_rotate_pending(column, "$2");
	if (column->kind == PH_FIELD_BODY)
		return ph_field_rotate_select_bodies(db, column, where, params, walk, error);
	g_autofree gchar *value = ph_field_rotate_value(column);
	g_autofree gchar *sql = g_strdup_printf(
	        "SELECT ctid::text AS row_id, %s%s%s FROM %s WHERE ctid > $1::tid AND "
	        "ctid < $4::tid AND %s ORDER BY ctid LIMIT $3::integer FOR UPDATE",
	        value, column->lookup != NULL ? ", " : "",
	        column->lookup != NULL ? column->lookup : "", column->table, where);
	return ph_db_query(db, sql, 4, params, error);
}

/* One transaction: up to @limit rows of the walk's window after @walk->after (moved to the
 * last row changed). */
static gboolean
ph_field_rotate_batch(PhDb *db, PhFieldKeys *keys, const PhFieldColumn *column, const gchar *done,
                      guint limit, PhFieldWalk *walk, guint *count, PhFieldRotation *out,
                      GError **error)
{
	g_autofree gchar *limit_text = g_strdup_printf("%u", limit);
	g_autofree gchar *before = g_strdup_printf("(%" G_GINT64_FORMAT ",0)", walk->window_end);
	const gchar *params[] = {walk->after, done, limit_text, before};
	PhFieldBatch batch = {g_ptr_array_new_with_free_func(g_free),
	                      g_ptr_array_new_with_free_func(g_free),
	                      g_ptr_array_new_with_free_func(g_free)};
	g_autoptr(PGresult) rows = ph_field_rotate_select(db, column, params, walk, error);
	gboolean ok = rows != NULL;
	for (gint row = 0; ok && row < PQntuples(rows); row++)
		ok = ph_field_rotate_row(keys, column, rows, row, &batch, out, error);
	if (ok && batch.ids->len > 0)
		ok = ph_field_rotate_write(db, column, &batch, error);
	if (ok) {
		*count = batch.ids->len;
		if (batch.ids->len > 0) {
			g_free(walk->after);
			walk->after = g_strdup(g_ptr_array_index(batch.ids, batch.ids->len - 1));
		}
	}
	ph_field_batch_clear(&batch);
	return ok;
}

/* The walk's start: the first window of @column's table as large as it is now. */
static gboolean
ph_field_rotate_walk_start(PhDb *db, const PhFieldColumn *column, guint limit, PhFieldWalk *walk,
                           GError **error)
{
	g_autofree gchar *sql = g_strdup_printf(
	        "SELECT pg_relation_size('%s') / current_setting('block_size')::bigint",
	        column->table);
	g_autoptr(PGresult) size = ph_db_query(db, sql, 0, NULL, error);
	if (size == NULL)
		return FALSE;
	walk->after = g_strdup("(0,0)");
	walk->blocks = ph_db_get_int64(size, 0, 0);
	/* a block holds some tens of rows: a window holds a few batches at most */
	walk->window_size = MAX(1, limit / 16);
	walk->window_end = walk->window_size;
	return TRUE;
}

/* After a batch of @count rows: the same window again when it was full (or cut), else the
 * next one. */
static gboolean
ph_field_rotate_walk_next(PhFieldWalk *walk, guint count, guint limit)
{
	if (count == limit || walk->cut) {
		walk->cut = FALSE;
		return TRUE;
	}
	if (walk->window_end >= walk->blocks)
		return FALSE;
	g_free(walk->after);
	walk->after = g_strdup_printf("(%" G_GINT64_FORMAT ",0)", walk->window_end);
	walk->window_end += walk->window_size;
	return TRUE;
}

/* One walk over @column; @changed receives how many rows it changed. */
static gboolean
ph_field_rotate_column(PhDb *db, PhFieldKeys *keys, const PhFieldColumn *column, guint limit,
                       PhFieldRotateProgress progress, gpointer user_data, gint64 *changed,
                       PhFieldRotation *out, GError **error)
{
	g_autofree gchar *current = ph_field_keys_current(keys);
	g_autofree gchar *done = ph_field_rotate_done_prefix(column, current);
	PhFieldWalk walk = {0};
	guint count = 0;
	gboolean ok = ph_field_rotate_walk_start(db, column, limit, &walk, error);
	while (ok && (ok = ph_db_begin(db, error))) {
		ok = ph_field_rotate_batch(db, keys, column, done, limit, &walk, &count, out,
		                           error) &&
		     ph_db_commit(db, error);
		if (!ok) {
			ph_db_rollback(db);
			g_prefix_error(error, "rotating %s.%s: ", column->table, column->column);
			break;
		}
		*changed += count;
		if (count > 0) {
			out->batches++;
			if (progress != NULL)
				progress(column->table, out, user_data);
		}
		if (!ph_field_rotate_walk_next(&walk, count, limit))
			break;
	}
	g_free(walk.after);
	return ok;
}

gboolean
ph_field_rotate(PhDb *db, PhFieldKeys *keys, guint batch, PhFieldRotateProgress progress,
                gpointer user_data, PhFieldRotation *out, GError **error)
{
	g_return_val_if_fail(db != NULL && keys != NULL && batch > 0 && out != NULL, FALSE);
	gint64 changed = 0;
	memset(out, 0, sizeof(*out));
	/* A row written under an older key while a pass ran (a writer that has not yet seen
	 * the new current key) is caught by the next pass; the last pass finds nothing. */
	do {
		changed = 0;
		out->passes++;
		for (guint i = 0; i < G_N_ELEMENTS(ph_field_columns); i++) {
			if (!ph_field_rotate_column(db, keys, &ph_field_columns[i], batch, progress,
			                            user_data, &changed, out, error))
				return FALSE;
		}
	} while (changed > 0);
	return TRUE;
}

gboolean
ph_field_rotate_wait_older(PhDb *db, const gchar *since, guint wait_seconds, gchar **still_open,
                           GError **error)
{
	g_return_val_if_fail(db != NULL && since != NULL && still_open != NULL, FALSE);
	const gchar *params[] = {since};
	gint64 deadline = g_get_monotonic_time() + (gint64)wait_seconds * G_USEC_PER_SEC;
	*still_open = NULL;
	for (;;) {
		g_autoptr(PGresult) oldest = ph_db_query(
		        db,
		        "SELECT pid, xact_start, application_name FROM pg_stat_activity "
		        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
		        "AND backend_type = 'client backend' AND xact_start < $1::timestamptz "
		        "ORDER BY xact_start LIMIT 1",
		        1, params, error);
		if (oldest == NULL)
			return FALSE;
		if (PQntuples(oldest) == 0)
			return TRUE;
		if (g_get_monotonic_time() >= deadline) {
			*still_open =
			        g_strdup_printf("database backend %s (%s), in a transaction "
			                        "since %s",
			                        PQgetvalue(oldest, 0, 0), PQgetvalue(oldest, 0, 2),
			                        PQgetvalue(oldest, 0, 1));
			return TRUE;
		}
		g_usleep(G_USEC_PER_SEC / 5);
	}
}

gboolean
ph_field_rotate_foreach_stale(PhDb *db, PhFieldKeys *keys, PhFieldStaleFunc func,
                              gpointer user_data, gint64 *stale, GError **error)
{
	g_return_val_if_fail(db != NULL && keys != NULL && stale != NULL, FALSE);
	g_autofree gchar *current = ph_field_keys_current(keys);
	*stale = 0;
	for (guint i = 0; i < G_N_ELEMENTS(ph_field_columns); i++) {
		const PhFieldColumn *column = &ph_field_columns[i];
		g_autofree gchar *done = ph_field_rotate_done_prefix(column, current);
		g_autofree gchar *where = ph_field_rotate_pending(column, "$1");
		g_autofree gchar *sql =
		        g_strdup_printf("SELECT count(*) FROM %s WHERE %s", column->table, where);
		const gchar *params[] = {done};
		g_autoptr(PGresult) result = ph_db_query(db, sql, 1, params, error);
		if (result == NULL)
			return FALSE;
		gint64 count = ph_db_get_int64(result, 0, 0);
		*stale += count;
		if (func != NULL)
			func(column->table, column->column, count, user_data);
	}
	return TRUE;
}

gboolean
ph_field_rotate_count_stale(PhDb *db, PhFieldKeys *keys, gint64 *stale, GError **error)
{
	return ph_field_rotate_foreach_stale(db, keys, NULL, NULL, stale, error);
}

gboolean
ph_field_rotate_count_events(PhDb *db, PhFieldKeyCountFunc func, gpointer user_data, GError **error)
{
	g_return_val_if_fail(db != NULL && func != NULL, FALSE);
	/* a routed row is a body envelope (after a rotation: its key id follows the magic), a
	 * marked row (0023: the key id is the event envelope's) or plaintext */
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "SELECT 'core events', CASE WHEN jsonb_typeof(payload) = 'string' AND "
	        "starts_with(payload #>> '{}', 'enc1:') THEN split_part(payload #>> '{}', ':', 2) "
	        "END AS key_id, count(*) FROM core_event GROUP BY 2 "
	        "UNION ALL SELECT 'routed notifications', key_id, count(*) FROM (SELECT CASE "
	        "substring(payload for 6) WHEN '\\x89706862313a' THEN substring(encode(substring("
	        "payload from 7 for 256), 'escape') from '^([^:]*):') WHEN '\\x89706865313a' THEN "
	        "substring(encode(substring(payload from 7), 'escape') from '\"enc1:([^:\"]*):') "
	        "END AS key_id FROM (SELECT topic, payload FROM outbox UNION ALL SELECT topic, "
	        "payload FROM dead_letter) AS message WHERE topic IN (SELECT topic FROM "
	        "event_subscription)) AS routed GROUP BY 2 ORDER BY 1, 2 NULLS FIRST",
	        0, NULL, error);
	if (result == NULL)
		return FALSE;
	for (gint row = 0; row < PQntuples(result); row++)
		func(PQgetvalue(result, row, 0),
		     PQgetisnull(result, row, 1) ? NULL : PQgetvalue(result, row, 1),
		     ph_db_get_int64(result, row, 2), user_data);
	return TRUE;
}
