/* Sealing and opening message bodies with the installed keys (ph-field-body.h). Host-only. */
#include "ph-field-body.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "ph-core-event.h"
#include "ph-error.h"
#include "ph-field-cipher.h"

/* The keys bodies are sealed with: those of the installed field cipher (a process that
 * uninstalled it, as tests do, stores plaintext like the core). */
static PhFieldKeys *
ph_field_body_keys(void)
{
	return ph_field_cipher_is_installed() ? ph_field_keys_installed() : NULL;
}

GBytes *
ph_field_body_seal(GBytes *plaintext, const gchar *column, GError **error)
{
	g_return_val_if_fail(plaintext != NULL && column != NULL, NULL);
	PhFieldKeys *keys = ph_field_body_keys();
	if (keys == NULL)
		return g_bytes_ref(plaintext);
	return ph_field_keys_seal_bytes(keys, plaintext, column, error);
}

GBytes *
ph_field_body_open(GBytes *stored, const gchar *column, GError **error)
{
	g_return_val_if_fail(stored != NULL && column != NULL, NULL);
	g_autofree gchar *id = ph_field_key_bytes_id(stored);
	if (id == NULL)
		return g_bytes_ref(stored);
	PhFieldKeys *keys = ph_field_body_keys();
	if (keys == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
		            "%s is sealed under key %s but no [keys] file is configured", column,
		            id);
		return NULL;
	}
	return ph_field_keys_open_bytes(keys, stored, column, error);
}

/* The JSON of an event's stored payload (@stored, the envelope), with @keys or the installed
 * cipher. */
static gchar *
ph_field_body_event_payload(const gchar *stored, PhFieldKeys *keys, GError **error)
{
	if (keys == NULL || !ph_field_is_sealed(stored))
		return ph_core_event_payload_open(stored, error);
	g_autofree gchar *plaintext = ph_field_keys_open(keys, stored, error);
	return plaintext != NULL ? ph_core_event_payload_unwrap(plaintext, error) : NULL;
}

/* Replaces the "payload" member of the trigger's @event object by its opened JSON. */
static gboolean
ph_field_body_event_replace(JsonObject *event, PhFieldKeys *keys, GError **error)
{
	JsonNode *member = json_object_get_member(event, "payload");
	const gchar *stored = member != NULL && JSON_NODE_HOLDS_VALUE(member) &&
	                                      json_node_get_value_type(member) == G_TYPE_STRING
	                              ? json_node_get_string(member)
	                              : NULL;
	if (stored == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_PERMANENT, "payload is not a sealed value");
		return FALSE;
	}
	g_autofree gchar *json = ph_field_body_event_payload(stored, keys, error);
	if (json == NULL)
		return FALSE;
	g_autoptr(GError) local = NULL;
	JsonNode *payload = json_from_string(json, &local);
	if (payload == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_PERMANENT, "payload opens to no JSON: %s",
		            local != NULL ? local->message : "empty");
		return FALSE;
	}
	json_object_set_member(event, "payload", payload);
	return TRUE;
}

GBytes *
ph_field_body_open_event(GBytes *plaintext, PhFieldKeys *keys, GError **error)
{
	g_return_val_if_fail(plaintext != NULL, NULL);
	gsize length = 0;
	const gchar *data = g_bytes_get_data(plaintext, &length);
	gsize magic = strlen(PH_FIELD_BODY_EVENT_MAGIC);
	if (length < magic || memcmp(data, PH_FIELD_BODY_EVENT_MAGIC, magic) != 0)
		return g_bytes_ref(plaintext);
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonNode *root =
	        json_parser_load_from_data(parser, data + magic, (gssize)(length - magic), NULL)
	                ? json_parser_get_root(parser)
	                : NULL;
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(error, PH_ERROR, PH_ERROR_PERMANENT,
		            "routed core event: not the routing trigger's JSON object");
		return NULL;
	}
	JsonObject *event = json_node_get_object(root);
	if (!ph_field_body_event_replace(event, keys, error)) {
		g_prefix_error(error, "core event %" G_GINT64_FORMAT " (%s) payload: ",
		               json_object_get_int_member_with_default(event, "event_id", 0),
		               json_object_get_string_member_with_default(event, "type", "?"));
		return NULL;
	}
	gchar *text = json_to_string(root, FALSE);
	return g_bytes_new_take(text, strlen(text));
}
