/* plugin_state reads and upserts, values sealed at rest (a plugin may keep the bytes it sent,
 * docs/security.md). Host-only. */
#include "ph-state.h"

#include "ph-field-body.h"
#include "ph-sql-value.h"

GBytes *
ph_state_get(PhDb *db, const gchar *plugin, const gchar *key, GError **error)
{
	g_return_val_if_fail(db != NULL && plugin != NULL && key != NULL, NULL);
	const gchar *params[] = {plugin, key};
	g_autoptr(PGresult) result =
	        ph_db_query(db, "SELECT value FROM plugin_state WHERE plugin = $1 AND key = $2", 2,
	                    params, error);
	if (result == NULL)
		return NULL;
	if (PQntuples(result) == 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_NOT_FOUND,
		            "plugin %s has no state named '%s'", plugin, key);
		return NULL;
	}
	g_autoptr(GBytes) stored = ph_sql_value_bytes(result, 0, 0);
	GBytes *value = ph_field_body_open(stored, PH_FIELD_BODY_STATE, error);
	if (value == NULL)
		g_prefix_error(error, "plugin %s state '%s': ", plugin, key);
	return value;
}

gboolean
ph_state_set(PhDb *db, const gchar *plugin, const gchar *key, GBytes *value, GError **error)
{
	g_return_val_if_fail(db != NULL && plugin != NULL && key != NULL && value != NULL, FALSE);
	g_autoptr(GBytes) sealed = ph_field_body_seal(value, PH_FIELD_BODY_STATE, error);
	if (sealed == NULL)
		return FALSE;
	gint lengths[3] = {0, 0, 0};
	const gint formats[] = {0, 0, 1};
	const gchar *params[] = {plugin, key, ph_sql_value_bytes_param(sealed, &lengths[2])};
	g_autoptr(PGresult) result = ph_db_query_binary(
	        db,
	        "INSERT INTO plugin_state (plugin, key, value) VALUES ($1, $2, $3) "
	        "ON CONFLICT (plugin, key) "
	        "DO UPDATE SET value = EXCLUDED.value, updated_at = now()",
	        3, params, lengths, formats, error);
	return result != NULL;
}
