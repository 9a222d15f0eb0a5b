/* core_event rows (see ph-core-event.h). Core only. */
#include "ph-core-event.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "ph-error.h"
#include "ph-field-cipher.h"

/* The envelope to store for @payload_json. The JSON is checked here, since the database sees
 * only the envelope (a plaintext payload is checked by its ::jsonb cast). */
static gchar *
ph_core_event_seal(const gchar *payload_json, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) local = NULL;
	if (!json_parser_load_from_data(parser, payload_json, -1, &local)) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "payload is not JSON: %s",
		            local->message);
		return NULL;
	}
	g_autofree gchar *tagged = g_strconcat(PH_CORE_EVENT_SEAL_TAG, payload_json, NULL);
	return ph_field_seal(tagged, error);
}

gboolean
ph_core_event_append(PhDb *db, const gchar *type, gint64 person_id, const gchar *business_key,
                     const gchar *payload_json, GError **error)
{
	g_return_val_if_fail(type != NULL && business_key != NULL && payload_json != NULL, FALSE);
	g_autofree gchar *person =
	        person_id > 0 ? g_strdup_printf("%" G_GINT64_FORMAT, person_id) : NULL;
	gboolean sealing = ph_field_cipher_is_installed();
	g_autofree gchar *sealed = sealing ? ph_core_event_seal(payload_json, error) : NULL;
	if (sealing && sealed == NULL) {
		g_prefix_error(error, "core event %s %s: ", type, business_key);
		return FALSE;
	}
	const gchar *params[] = {type, person, business_key, sealing ? sealed : payload_json};
	/* a sealed payload is a jsonb string, so the column and the routing trigger (0023) keep
	 * reading JSON */
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        sealing ? "INSERT INTO core_event (type, person_id, business_key, payload) "
	                  "VALUES ($1, $2::bigint, $3, to_jsonb($4::text))"
	                : "INSERT INTO core_event (type, person_id, business_key, payload) "
	                  "VALUES ($1, $2::bigint, $3, $4::jsonb)",
	        4, params, error);
	return result != NULL;
}

gchar *
ph_core_event_payload_unwrap(const gchar *plaintext, GError **error)
{
	g_return_val_if_fail(plaintext != NULL, NULL);
	if (!g_str_has_prefix(plaintext, PH_CORE_EVENT_SEAL_TAG)) {
		g_set_error(error, PH_ERROR, PH_ERROR_PERMANENT,
		            "the envelope holds no event payload (moved from another column)");
		return NULL;
	}
	return g_strdup(plaintext + strlen(PH_CORE_EVENT_SEAL_TAG));
}

gchar *
ph_core_event_payload_open(const gchar *stored, GError **error)
{
	g_return_val_if_fail(stored != NULL, NULL);
	if (!ph_field_is_sealed(stored))
		return g_strdup(stored);
	g_autofree gchar *plaintext = ph_field_open(stored, error);
	return plaintext != NULL ? ph_core_event_payload_unwrap(plaintext, error) : NULL;
}
