/* core_event rows (see ph-core-event.h). Core only. */
#include "ph-core-event.h"

gboolean
ph_core_event_append(PhDb *db, const gchar *type, gint64 person_id, const gchar *business_key,
                     const gchar *payload_json, GError **error)
{
	g_autofree gchar *person =
	        person_id > 0 ? g_strdup_printf("%" G_GINT64_FORMAT, person_id) : NULL;
	const gchar *params[] = {type, person, business_key, payload_json};

	g_return_val_if_fail(type != NULL && business_key != NULL && payload_json != NULL, FALSE);
	g_autoptr(PGresult) result =
	        ph_db_query(db,
	                    "INSERT INTO core_event (type, person_id, business_key, payload) "
	                    "VALUES ($1, $2::bigint, $3, $4::jsonb)",
	                    4, params, error);
	return result != NULL;
}
