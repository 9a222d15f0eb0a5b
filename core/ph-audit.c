/* The hash-chained audit log (docs/core-store.md, "audit"; docs/security.md). Core and hub
 * append inside their open transaction into audit_pending, which never waits; entries are
 * linked into audit_log's chain, in commit order, by whoever holds the chain's advisory
 * lock (the appender itself when the lock is free, the daemon's linker, audit verify). */
#include "ph-audit.h"

#include <string.h>

#include "ph-bulk.h"
#include "ph-sql-value.h"

/* Key of the transaction advisory lock that serialises audit appends ("audt"). */
#define PH_AUDIT_LOCK_KEY "1635083380"

#define PH_AUDIT_LOG_COPY                                                                          \
	"COPY audit_log (at, actor, action, object, payload_digest, prev_hash, hash) FROM STDIN"

gchar *
ph_audit_canonical(const gchar *at, const gchar *actor, const gchar *action, const gchar *object,
                   const gchar *payload_digest_hex)
{
	const gchar *fields[] = {at, actor, action, object, payload_digest_hex};
	GString *record = g_string_new("ph-audit-1\n");

	for (guint i = 0; i < G_N_ELEMENTS(fields); i++)
		g_string_append_printf(record, "%zu:%s\n", strlen(fields[i]), fields[i]);
	return g_string_free(record, FALSE);
}

static GBytes *
ph_audit_sha256(GBytes *prefix, const gchar *text, gsize length)
{
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
	guint8 digest[32];
	gsize digest_length = sizeof(digest);

	if (prefix != NULL) {
		gsize prefix_length = 0;
		const guint8 *data = g_bytes_get_data(prefix, &prefix_length);
		g_checksum_update(checksum, data, prefix_length);
	}
	g_checksum_update(checksum, (const guchar *)text, length);
	g_checksum_get_digest(checksum, digest, &digest_length);
	return g_bytes_new(digest, digest_length);
}

GBytes *
ph_audit_chain_hash(GBytes *prev_hash, const gchar *record)
{
	g_return_val_if_fail(record != NULL, NULL);
	return ph_audit_sha256(prev_hash, record, strlen(record));
}

gchar *
ph_audit_hex(GBytes *bytes)
{
	gsize length = 0;
	const guint8 *data = bytes != NULL ? g_bytes_get_data(bytes, &length) : NULL;
	GString *hex = g_string_sized_new(length * 2);

	for (gsize i = 0; i < length; i++)
		g_string_append_printf(hex, "%02x", data[i]);
	return g_string_free(hex, FALSE);
}

/* The hash of the chain's last entry, NULL before the first. Under the chain's lock. */
static gboolean
ph_audit_head(PhDb *db, GBytes **prev_hash, GError **error)
{
	g_autoptr(PGresult) head = ph_db_query(
	        db, "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1", 0, NULL, error);
	if (head == NULL)
		return FALSE;
	*prev_hash = PQntuples(head) > 0 ? ph_sql_value_bytes(head, 0, 0) : NULL;
	return TRUE;
}

/* @bytes as a bytea field of COPY text (hex form), or NULL; then @end. */
static void
ph_audit_append_bytea(GString *copy, GBytes *bytes, gchar end)
{
	if (bytes == NULL) {
		ph_bulk_append_nullable(copy, NULL, end);
		return;
	}
	g_autofree gchar *hex = ph_audit_hex(bytes);
	g_autofree gchar *field = g_strconcat("\\x", hex, NULL);
	ph_bulk_append_text(copy, field, end);
}

/* Appends pending row @row to @copy as the chain's entry after @prev_hash (replaced by the
 * new hash). */
static void
ph_audit_link_row(PGresult *rows, gint row, GBytes **prev_hash, GString *copy)
{
	const gchar *at = PQgetvalue(rows, row, 1);
	g_autoptr(GBytes) digest = ph_sql_value_bytes(rows, row, 5);
	g_autofree gchar *digest_hex = ph_audit_hex(digest);
	g_autofree gchar *record =
	        ph_audit_canonical(at, PQgetvalue(rows, row, 2), PQgetvalue(rows, row, 3),
	                           PQgetvalue(rows, row, 4), digest_hex);
	g_autoptr(GBytes) hash = ph_audit_chain_hash(*prev_hash, record);
	for (gint column = 1; column <= 4; column++)
		ph_bulk_append_text(copy, PQgetvalue(rows, row, column), '\t');
	ph_audit_append_bytea(copy, digest, '\t');
	ph_audit_append_bytea(copy, *prev_hash, '\t');
	ph_audit_append_bytea(copy, hash, '\n');
	g_bytes_unref(*prev_hash);
	*prev_hash = g_steal_pointer(&hash);
}

static gint
ph_audit_compare_ids(gconstpointer a, gconstpointer b, gpointer rows)
{
	gint64 left = ph_db_get_int64(rows, *(const gint *)a, 0);
	gint64 right = ph_db_get_int64(rows, *(const gint *)b, 0);
	return left < right ? -1 : left > right;
}

/* Moves every pending entry this transaction can see into the chain, oldest first. The
 * caller holds the chain's lock: no two linkers extend the chain at once. */
static gboolean
ph_audit_link_locked(PhDb *db, guint *linked, GError **error)
{
	g_autoptr(GBytes) prev_hash = NULL;
	if (!ph_audit_head(db, &prev_hash, error))
		return FALSE;
	for (;;) {
		g_autoptr(PGresult) rows = ph_db_query(
		        db,
		        "DELETE FROM audit_pending WHERE id IN (SELECT id FROM audit_pending "
		        "ORDER BY id LIMIT 1000) RETURNING id, " PH_SQL_UTC("at") ", actor, "
		        "action, object, payload_digest",
		        0, NULL, error);
		if (rows == NULL)
			return FALSE;
		if (PQntuples(rows) == 0)
			return TRUE;
		/* RETURNING does not keep the subquery's order. */
		g_autofree gint *order = g_new(gint, PQntuples(rows));
		for (gint row = 0; row < PQntuples(rows); row++)
			order[row] = row;
		g_qsort_with_data(order, PQntuples(rows), sizeof(gint), ph_audit_compare_ids, rows);
		/* one COPY a batch, not an INSERT an entry: COPY takes the rows in the order
		 * given, so the ids follow the chain (inserting one by one was two round trips
		 * of every inbound message, each of them its own statement) */
		g_autoptr(GString) copy = g_string_sized_new(256 * (gsize)PQntuples(rows));
		for (gint i = 0; i < PQntuples(rows); i++)
			ph_audit_link_row(rows, order[i], &prev_hash, copy);
		if (!ph_bulk_copy_in(db, PH_AUDIT_LOG_COPY, copy->str, copy->len, error))
			return FALSE;
		if (linked != NULL)
			*linked += (guint)PQntuples(rows);
		if (PQntuples(rows) < 1000)
			return TRUE;
	}
}

/* Writes the entry into audit_pending in the caller's transaction. */
static gboolean
ph_audit_queue(PhDb *db, const gchar *actor, const gchar *action, const gchar *object,
               GBytes *payload, GError **error)
{
	g_autoptr(GBytes) payload_digest = NULL;
	if (payload != NULL) {
		gsize length = 0;
		const gchar *data = g_bytes_get_data(payload, &length);
		payload_digest = ph_audit_sha256(NULL, data, length);
	}
	gint lengths[4] = {0};
	const gint formats[4] = {0, 0, 0, 1};
	const gchar *params[4] = {actor, action, object, NULL};
	if (payload_digest != NULL)
		params[3] = ph_sql_value_bytes_param(payload_digest, &lengths[3]);
	g_autoptr(PGresult) result = ph_db_query_binary(
	        db, PH_AUDIT_PENDING_INSERT "VALUES ($1, $2, $3, $4)",
	        4, params, lengths, formats, error);
	return result != NULL;
}

gboolean
ph_audit_append(PhDb *db, const gchar *actor, const gchar *action, const gchar *object,
                GBytes *payload, GError **error)
{
	g_return_val_if_fail(db != NULL && actor != NULL && action != NULL && object != NULL,
	                     FALSE);
	if (!ph_audit_queue(db, actor, action, object, payload, error))
		return FALSE;
	/* Link now if nobody else is linking: the entry then enters the chain with this
	 * transaction. Otherwise it waits in audit_pending for the next linker; never block
	 * here, or every writer would queue behind one lock until its COMMIT. */
	g_autoptr(PGresult) lock = ph_db_query(
	        db, "SELECT pg_try_advisory_xact_lock(" PH_AUDIT_LOCK_KEY ")", 0, NULL, error);
	if (lock == NULL)
		return FALSE;
	if (g_strcmp0(PQgetvalue(lock, 0, 0), "t") != 0)
		return TRUE;
	return ph_audit_link_locked(db, NULL, error);
}

gboolean
ph_audit_append_queued(PhDb *db, const gchar *actor, const gchar *action, const gchar *object,
                       GBytes *payload, GError **error)
{
	g_return_val_if_fail(db != NULL && actor != NULL && action != NULL && object != NULL,
	                     FALSE);
	return ph_audit_queue(db, actor, action, object, payload, error);
}

gboolean
ph_audit_link(PhDb *db, guint *linked, GError **error)
{
	g_return_val_if_fail(db != NULL && !ph_db_in_transaction(db), FALSE);
	if (linked != NULL)
		*linked = 0;
	if (!ph_db_begin(db, error))
		return FALSE;
	g_autoptr(PGresult) lock = ph_db_query(
	        db, "SELECT pg_advisory_xact_lock(" PH_AUDIT_LOCK_KEY ")", 0, NULL, error);
	if (lock == NULL || !ph_audit_link_locked(db, linked, error)) {
		ph_db_rollback(db);
		return FALSE;
	}
	return ph_db_commit(db, error);
}
