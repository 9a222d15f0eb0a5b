/* Stored command results with a sealed AAC002 (ph-stored-result.h). Core only. */
#include "ph-stored-result.h"

#include "ph-command.h"
#include "ph-field-cipher.h"

/* The AAC002 string member of @result's object, or NULL. */
static const gchar *
ph_stored_result_id(JsonNode *result)
{
	if (result == NULL || !JSON_NODE_HOLDS_OBJECT(result))
		return NULL;
	JsonNode *member =
	        json_object_get_member(json_node_get_object(result), PH_STORED_RESULT_ID);
	return member != NULL && JSON_NODE_HOLDS_VALUE(member) &&
	                       json_node_get_value_type(member) == G_TYPE_STRING
	               ? json_node_get_string(member)
	               : NULL;
}

static void
ph_stored_result_add_member(JsonObject *from, const gchar *name, JsonNode *member,
                            gpointer user_data)
{
	(void)from;
	json_object_set_member(user_data, name, json_node_ref(member));
}

gchar *
ph_stored_result_text(JsonNode *result, GError **error)
{
	g_return_val_if_fail(result != NULL, NULL);
	const gchar *id = ph_stored_result_id(result);
	if (id == NULL || id[0] == '\0')
		return ph_command_json_text(result);
	g_autofree gchar *sealed = ph_field_seal(id, error);
	if (sealed == NULL)
		return NULL;
	/* a new object sharing the other members: json_node_copy() would share the object */
	g_autoptr(JsonNode) copy = json_node_new(JSON_NODE_OBJECT);
	JsonObject *object = json_object_new();
	json_object_foreach_member(json_node_get_object(result), ph_stored_result_add_member,
	                           object);
	json_object_set_string_member(object, PH_STORED_RESULT_ID, sealed);
	json_node_take_object(copy, object);
	return ph_command_json_text(copy);
}

gboolean
ph_stored_result_open(JsonNode **result, GError **error)
{
	g_return_val_if_fail(result != NULL, FALSE);
	const gchar *stored = ph_stored_result_id(*result);
	if (!ph_field_is_sealed(stored))
		return TRUE;
	g_autofree gchar *id = ph_field_open_named(stored, PH_STORED_RESULT_ID, error);
	if (id == NULL) {
		g_clear_pointer(result, json_node_unref);
		return FALSE;
	}
	json_object_set_string_member(json_node_get_object(*result), PH_STORED_RESULT_ID, id);
	return TRUE;
}
