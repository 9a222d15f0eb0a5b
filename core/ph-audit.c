/* The hash-chained audit log (docs/core-store.md, "audit"). Core and hub call it inside
 * an open transaction; the advisory lock serialises appends until COMMIT. */
#include "ph-audit.h"

#include <string.h>

#include "ph-sql-value.h"

/* Key of the transaction advisory lock that serialises audit appends ("audt"). */
#define PH_AUDIT_LOCK_KEY "1635083380"

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

/* Takes the lock and reads the time and the previous hash (NULL for the first entry). */
static gboolean
ph_audit_head(PhDb *db, gchar **at, GBytes **prev_hash, GError **error)
{
	g_autoptr(PGresult) lock = ph_db_query(db,
	                                       "SELECT pg_advisory_xact_lock(" PH_AUDIT_LOCK_KEY
	                                       "), " PH_SQL_UTC("clock_timestamp()"),
	                                       0, NULL, error);
	if (lock == NULL)
		return FALSE;
	g_autoptr(PGresult) head = ph_db_query(
	        db, "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1", 0, NULL, error);
	if (head == NULL)
		return FALSE;
	*at = ph_sql_value_dup(lock, 0, 1);
	*prev_hash = PQntuples(head) > 0 ? ph_sql_value_bytes(head, 0, 0) : NULL;
	return TRUE;
}

gboolean
ph_audit_append(PhDb *db, const gchar *actor, const gchar *action, const gchar *object,
                GBytes *payload, GError **error)
{
	g_autofree gchar *at = NULL;
	g_autoptr(GBytes) prev_hash = NULL;
	g_autoptr(GBytes) payload_digest = NULL;

	g_return_val_if_fail(db != NULL && actor != NULL && action != NULL && object != NULL,
	                     FALSE);
	if (!ph_audit_head(db, &at, &prev_hash, error))
		return FALSE;
	if (payload != NULL) {
		gsize length = 0;
		const gchar *data = g_bytes_get_data(payload, &length);
		payload_digest = ph_audit_sha256(NULL, data, length);
	}
	g_autofree gchar *digest_hex = ph_audit_hex(payload_digest);
	g_autofree gchar *record = ph_audit_canonical(at, actor, action, object, digest_hex);
	g_autoptr(GBytes) hash = ph_audit_chain_hash(prev_hash, record);

	gint lengths[7] = {0};
	const gint formats[7] = {0, 0, 0, 0, 1, 1, 1};
	const gchar *params[7] = {at, actor, action, object, NULL, NULL, NULL};
	if (payload_digest != NULL)
		params[4] = ph_sql_value_bytes_param(payload_digest, &lengths[4]);
	if (prev_hash != NULL)
		params[5] = ph_sql_value_bytes_param(prev_hash, &lengths[5]);
	params[6] = ph_sql_value_bytes_param(hash, &lengths[6]);
	g_autoptr(PGresult) result =
	        ph_db_query_binary(db,
	                           "INSERT INTO audit_log (at, actor, action, object, "
	                           "payload_digest, prev_hash, hash) "
	                           "VALUES ($1::timestamptz, $2, $3, $4, $5, $6, $7)",
	                           7, params, lengths, formats, error);
	return result != NULL;
}
