/* Shared parts of the core commands (see ph-command.h). Core only. */
#include "ph-command.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ph-audit.h"
#include "ph-core-event.h"
#include "ph-error.h"

void
ph_command_result_clear(PhCommandResult *outcome)
{
	if (outcome == NULL)
		return;
	g_clear_pointer(&outcome->result, json_node_unref);
	outcome->duplicate = FALSE;
	outcome->person_id = 0;
}

gboolean
ph_command_result_take_stored(PhCommandResult *result, gint64 person_id, JsonNode *stored)
{
	result->person_id = person_id;
	if (stored == NULL)
		return FALSE;
	result->duplicate = TRUE;
	g_clear_pointer(&result->result, json_node_unref);
	result->result = stored;
	return TRUE;
}

gboolean
ph_command_find_stored(PhDb *db, const gchar *sql, const gchar *key, JsonNode **stored,
                       GError **error)
{
	const gchar *params[] = {key};
	g_autoptr(PGresult) rows = ph_db_query(db, sql, 1, params, error);

	*stored = NULL;
	if (rows == NULL)
		return FALSE;
	if (PQntuples(rows) > 0)
		*stored = ph_command_json_parse(PQgetvalue(rows, 0, 0));
	return TRUE;
}

gboolean
ph_command_invalid(GError **error, const gchar *field, const gchar *format, ...)
{
	va_list args;

	va_start(args, format);
	g_autofree gchar *reason = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "%s: %s", field, reason);
	return FALSE;
}

gboolean
ph_command_parse_date(const gchar *field, const gchar *text, PhPeriod *period, GError **error)
{
	guint year = 0, month = 0, day = 0;

	if (text == NULL || strlen(text) != 8 || strspn(text, "0123456789") != 8)
		return ph_command_invalid(error, field, "'%s' is not a date YYYYMMDD",
		                          text != NULL ? text : "");
	if (sscanf(text, "%4u%2u%2u", &year, &month, &day) != 3 ||
	    !g_date_valid_dmy(day, month, year) || year < PH_PERIOD_FIRST_YEAR ||
	    year > PH_PERIOD_LAST_YEAR)
		return ph_command_invalid(error, field, "'%s' is not a calendar date", text);
	*period = ph_period_make((gint)year, (gint)month);
	return TRUE;
}

gboolean
ph_command_check_period(const PhPolicy *policy, const gchar *field, PhPeriod period, GError **error)
{
	gchar text[8];
	gchar start[8];

	if (!ph_period_valid(period))
		return ph_command_invalid(error, field, "%d is not a month", period);
	if (period < policy->reform_start) {
		ph_period_format(period, text);
		ph_period_format(policy->reform_start, start);
		return ph_command_invalid(error, field, "%s is before the scheme began (%s)", text,
		                          start);
	}
	return TRUE;
}

gboolean
ph_command_check_wage(const gchar *field, gint64 wage, GError **error)
{
	if (wage < 0 || wage > PH_MONEY_MAX_BASE)
		return ph_command_invalid(
		        error, field, "%" G_GINT64_FORMAT " fen is outside 0 … 100000000", wage);
	return TRUE;
}

gboolean
ph_command_check_text(const gchar *field, const gchar *text, gsize max_length, GError **error)
{
	if (text == NULL || text[0] == '\0')
		return ph_command_invalid(error, field, "missing");
	if (strlen(text) > max_length || !g_utf8_validate(text, -1, NULL))
		return ph_command_invalid(error, field, "longer than %zu bytes or not UTF-8",
		                          max_length);
	return TRUE;
}

gchar *
ph_command_json_text(JsonNode *node)
{
	return json_to_string(node, FALSE);
}

JsonNode *
ph_command_json_parse(const gchar *text)
{
	return text != NULL ? json_from_string(text, NULL) : NULL;
}

gboolean
ph_command_record(PhDb *db, const PhCommandContext *context, const gchar *action,
                  const gchar *object, const gchar *event_type, gint64 person_id,
                  const gchar *business_key, JsonNode *payload, GError **error)
{
	g_autofree gchar *text = ph_command_json_text(payload);
	g_autoptr(GBytes) bytes = g_bytes_new(text, strlen(text));

	if (event_type != NULL &&
	    !ph_core_event_append(db, event_type, person_id, business_key, text, error))
		return FALSE;
	return ph_audit_append(db, context->actor != NULL ? context->actor : "core", action, object,
	                       bytes, error);
}
