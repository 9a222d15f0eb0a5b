/* Retirement and death notices to the medical system: every core event retired or died is
 * queued on the outbox topic medical.notice in the event's own transaction (a
 * subscription), and delivered here as JSON over mTLS with the host's HTTPS client,
 * retried by the outbox. The notice id is the outbox key (TYPE:person:ID), stable across
 * retries, so the medical system drops repeats; the bytes sent are kept as the plugin's state
 * sent:TOPIC:KEY for the case's archival package. Plugin: SDK only. */
#include <string.h>

#include "medical-private.h"

/* "retired:person:12" → "retired" and 12. */
static gboolean
medical_notice_parse_key(const gchar *key, gchar **type, gint64 *person_id, GError **error)
{
	g_auto(GStrv) parts = g_strsplit(key, ":", 3);
	guint64 number = 0;
	if (g_strv_length(parts) != 3 || g_strcmp0(parts[1], "person") != 0 ||
	    !g_ascii_string_to_unsigned(parts[2], 10, 1, G_MAXINT64, &number, NULL)) {
		g_set_error(error, PH_ERROR, PH_ERROR_PERMANENT,
		            "notice %s: not an event key TYPE:person:ID", key);
		return FALSE;
	}
	*type = g_strdup(parts[0]);
	*person_id = (gint64)number;
	return TRUE;
}

static GBytes *
medical_notice_body(const gchar *key, const gchar *type, const PhMedicalStatus *status)
{
	GString *json = g_string_new("{");
	medical_json_member(json, "notice_id", key);
	medical_json_member(json, "notice_type", type);
	medical_status_append_json(json, status);
	g_string_append(json, "}\n");
	gsize length = json->len;
	return g_bytes_new_take(g_string_free(json, FALSE), length);
}

gboolean
medical_notice_deliver(const PhOutboxMessage *message, gpointer state, GError **error)
{
	Medical *medical = state;
	g_autofree gchar *type = NULL;
	gint64 person_id = 0;
	if (!medical_notice_parse_key(message->key, &type, &person_id, error))
		return FALSE;
	if (g_strcmp0(type, "retired") != 0 && g_strcmp0(type, "died") != 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_PERMANENT,
		            "notice %s: event type '%s' is not a medical notice", message->key,
		            type);
		return FALSE;
	}
	PhMedicalStatus status = {0};
	gboolean found = FALSE;
	if (!ph_medical_api_get_status(medical->plugin, NULL, person_id, &status, &found, error))
		return FALSE;
	if (!found) {
		g_set_error(error, PH_ERROR, PH_ERROR_PERMANENT,
		            "notice %s: no person %" G_GINT64_FORMAT, message->key, person_id);
		return FALSE;
	}
	g_autoptr(GBytes) body = medical_notice_body(message->key, type, &status);
	ph_medical_api_status_clear(&status);
	PhHttpRequest request = {medical->notice_url,         "application/json", body, medical->ca,
	                         medical->connect_timeout_ms, medical->timeout_ms};
	g_autoptr(PhHttpResponse) response = ph_http_post(medical->plugin, &request, error);
	if (response == NULL) {
		g_prefix_error(error, "notice %s (attempt %u): ", message->key, message->attempt);
		return FALSE;
	}
	g_message("notice %s delivered (HTTP %u)", message->key, response->status);
	/* the bytes sent, for the case's archival package (docs/formats/archive.md); the notice
	 * is delivered either way, so a failure here is only logged */
	g_autoptr(GError) local = NULL;
	g_autofree gchar *sent = g_strdup_printf("sent:%s:%s", message->topic, message->key);
	if (!ph_plugin_state_set(medical->plugin, sent, body, &local))
		g_warning("notice %s: the bytes sent are not kept: %s", message->key,
		          local->message);
	return TRUE;
}
