/* The medical system's pension-status query: GET /medical/v1/persons/<AAC002>/pension-status
 * answered with the core's view of the person as JSON with national element names.
 * Plugin: SDK only. */
#include <string.h>

#include "medical-private.h"

#define MEDICAL_STATUS_PREFIX "/medical/v1/persons/"
#define MEDICAL_STATUS_SUFFIX "/pension-status"

void
medical_json_member(GString *json, const gchar *key, const gchar *value)
{
	if (json->len > 0 && json->str[json->len - 1] != '{')
		g_string_append_c(json, ',');
	g_string_append_printf(json, "\"%s\":", key);
	if (value == NULL) {
		g_string_append(json, "null");
		return;
	}
	g_string_append_c(json, '"');
	for (const guchar *c = (const guchar *)value; *c != '\0'; c++) {
		if (*c == '"' || *c == '\\')
			g_string_append_printf(json, "\\%c", *c);
		else if (*c < 0x20)
			g_string_append_printf(json, "\\u%04x", *c);
		else
			g_string_append_c(json, (gchar)*c);
	}
	g_string_append_c(json, '"');
}

void
medical_status_append_json(GString *json, const PhMedicalStatus *status)
{
	g_autofree gchar *start =
	        status->benefit_start != 0 ? g_strdup_printf("%06d", status->benefit_start) : NULL;
	medical_json_member(json, "AAC002", status->id_number);
	medical_json_member(json, "AAC003", status->name);
	medical_json_member(json, "AAC004", status->sex);
	medical_json_member(json, "AAC006", status->birth_date);
	medical_json_member(json, "AAE140", "120");
	medical_json_member(json, "AAC008", status->enrolment_state);
	medical_json_member(json, "AAC031", status->contribution_state);
	medical_json_member(json, "AAC084", status->retired);
	medical_json_member(json, "AIC160", start);
	medical_json_member(json, "AAE116", status->benefit_status);
	medical_json_member(json, "AAE138", status->death_date);
}

static void
medical_respond_json(PhRequest *request, guint status, GString *json)
{
	gsize length = json->len;
	g_autoptr(GBytes) body = g_bytes_new_take(g_string_free(json, FALSE), length);
	ph_request_respond(request, status, "application/json", body);
}

static void
medical_respond_error(PhRequest *request, guint status, const gchar *code, const gchar *message)
{
	GString *json = g_string_new("{");
	medical_json_member(json, "error", code);
	medical_json_member(json, "message", message);
	g_string_append(json, "}\n");
	medical_respond_json(request, status, json);
}

/* AAC002 from the path, or NULL when the path is not a status query. */
static gchar *
medical_status_id(const gchar *path)
{
	if (!g_str_has_prefix(path, MEDICAL_STATUS_PREFIX) ||
	    !g_str_has_suffix(path, MEDICAL_STATUS_SUFFIX))
		return NULL;
	const gchar *start = path + strlen(MEDICAL_STATUS_PREFIX);
	gsize length = strlen(start) - strlen(MEDICAL_STATUS_SUFFIX);
	if (strlen(start) < strlen(MEDICAL_STATUS_SUFFIX) || length == 0 || length > 32)
		return NULL;
	for (gsize i = 0; i < length; i++)
		if (!g_ascii_isdigit(start[i]) && start[i] != 'X')
			return NULL;
	return g_strndup(start, length);
}

void
medical_status_get(PhRequest *request, gpointer state)
{
	Medical *medical = state;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *id_number = medical_status_id(ph_request_get_path(request));
	if (id_number == NULL) {
		medical_respond_error(request, 404, "NOT_FOUND",
		                      "expected /medical/v1/persons/<AAC002>/pension-status");
		return;
	}
	PhMedicalStatus status = {0};
	gboolean found = FALSE;
	if (!ph_medical_api_get_status(medical->plugin, id_number, 0, &status, &found, &error)) {
		g_warning("pension status: %s", error->message);
		medical_respond_error(request, 503, "UNAVAILABLE", "try again later");
		return;
	}
	if (!found) {
		medical_respond_error(request, 404, "UNKNOWN_PERSON",
		                      "AAC002 is not a member of 险种 120 here");
		return;
	}
	GString *json = g_string_new("{");
	medical_status_append_json(json, &status);
	g_string_append(json, "}\n");
	ph_medical_api_status_clear(&status);
	medical_respond_json(request, 200, json);
}
