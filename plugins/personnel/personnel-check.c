/* The checks of one event that need no database: the fields its type requires and
 * allows, dates, amounts, codes through the national code tables, and the citizen ID's
 * check character and agreement with birth date and sex. Plugin-only. */
#include <string.h>

#include "personnel.h"

#define F(name) (1u << PERSONNEL_##name)

/* Per type: the fields it requires and the fields it may carry besides. */
static const struct {
	guint32 required;
	guint32 optional;
} personnel_type_fields[] = {
        [PERSONNEL_UNIT] = {F(AAB004), F(BAB010) | F(AAB301) | F(AAB019) | F(FUNDING)},
        [PERSONNEL_HIRE] = {F(AAC002) | F(AAC003) | F(AAC004) | F(AAC006) | F(WAGE),
                            F(AAC005) | F(AAC007) | F(AAE200) | F(DEEMED_INDEX) | F(AAB001)},
        [PERSONNEL_WAGE_CHANGE] = {F(AAC002) | F(WAGE), 0},
        [PERSONNEL_RETIRE] = {F(AAC002), F(AIC161) | F(OLD_METHOD_AMOUNT)},
        [PERSONNEL_DEATH] = {F(AAC002), F(AAE138)},
        [PERSONNEL_MOVE] = {F(AAC002) | F(AAB001), 0},
        [PERSONNEL_LEAVE] = {F(AAC002), F(AAE160)},
};

/* Fields holding a date YYYYMMDD, codes checked against a national table, and amounts. */
static const PersonnelField personnel_date_fields[] = {PERSONNEL_AAC006, PERSONNEL_AAC007,
                                                       PERSONNEL_AAE138};
static const PersonnelField personnel_coded_fields[] = {PERSONNEL_AAC004, PERSONNEL_AAC005,
                                                        PERSONNEL_AIC161};
static const PersonnelField personnel_money_fields[] = {PERSONNEL_WAGE,
                                                        PERSONNEL_OLD_METHOD_AMOUNT};
/* Codes without a table in the mapping folder, with their form C..n (STANDARDS.md). */
static const struct {
	PersonnelField field;
	glong max_chars;
} personnel_sized_fields[] = {{PERSONNEL_AAB019, 2}, {PERSONNEL_AAE160, 4}};

void
personnel_rejection_clear(PersonnelRejection *rejection)
{
	rejection->code = NULL;
	g_clear_pointer(&rejection->message, g_free);
}

static gboolean personnel_reject(PersonnelRejection *rejection, const gchar *code,
                                 const gchar *format, ...) G_GNUC_PRINTF(3, 4);

static gboolean
personnel_reject(PersonnelRejection *rejection, const gchar *code, const gchar *format, ...)
{
	va_list args;
	va_start(args, format);
	personnel_rejection_clear(rejection);
	rejection->code = code;
	rejection->message = g_strdup_vprintf(format, args);
	va_end(args);
	return FALSE;
}

gboolean
personnel_parse_money(const gchar *text, gint64 *fen)
{
	gint64 yuan = 0, cents = 0;
	const gchar *c = text;
	guint digits = 0, decimals = 0;
	for (; g_ascii_isdigit(*c) && digits < 13; c++, digits++)
		yuan = yuan * 10 + (*c - '0');
	if (digits == 0)
		return FALSE;
	if (*c == '.') {
		for (c++; g_ascii_isdigit(*c) && decimals < 2; c++, decimals++)
			cents = cents * 10 + (*c - '0');
		if (decimals == 0)
			return FALSE;
	}
	if (*c != '\0')
		return FALSE;
	*fen = yuan * 100 + (decimals == 1 ? cents * 10 : cents);
	return TRUE;
}

static gboolean
personnel_valid_date(const gchar *text)
{
	guint64 value = 0;
	if (text == NULL || strlen(text) != 8 ||
	    !g_ascii_string_to_unsigned(text, 10, 0, 99999999, &value, NULL))
		return FALSE;
	return g_date_valid_dmy((GDateDay)(value % 100), (GDateMonth)(value / 100 % 100),
	                        (GDateYear)(value / 10000));
}

static gboolean
personnel_check_shape(const PersonnelEvent *event, PersonnelRejection *rejection)
{
	if (event->type == PERSONNEL_UNKNOWN_TYPE)
		return personnel_reject(rejection, "UNKNOWN_TYPE",
		                        "type '%s' is not UNIT, HIRE, WAGE, RETIRE, DEATH, MOVE "
		                        "or LEAVE",
		                        event->type_text);
	if (event->problem != NULL)
		return personnel_reject(rejection, "BAD_FIELD", "%s", event->problem);
	guint32 required = personnel_type_fields[event->type].required;
	guint32 allowed = required | personnel_type_fields[event->type].optional;
	for (guint field = 0; field < PERSONNEL_N_FIELDS; field++) {
		gboolean given = event->fields[field] != NULL && event->fields[field][0] != '\0';
		if ((required & (1u << field)) != 0 && !given)
			return personnel_reject(rejection, "MISSING_FIELD",
			                        "%s is required in a %s event",
			                        personnel_field_name(field), event->type_text);
		if ((allowed & (1u << field)) == 0 && event->fields[field] != NULL)
			return personnel_reject(rejection, "BAD_FIELD",
			                        "%s does not belong in a %s event",
			                        personnel_field_name(field), event->type_text);
	}
	if (!personnel_valid_date(event->effective))
		return personnel_reject(rejection, "BAD_DATE",
		                        "effective '%s' is not a date YYYYMMDD",
		                        event->effective != NULL ? event->effective : "");
	return TRUE;
}

static gboolean
personnel_check_values(Personnel *personnel, const PersonnelEvent *event,
                       PersonnelRejection *rejection, GError **error)
{
	gint64 fen = 0;
	for (guint i = 0; i < G_N_ELEMENTS(personnel_date_fields); i++) {
		const gchar *value = event->fields[personnel_date_fields[i]];
		if (value != NULL && !personnel_valid_date(value))
			return personnel_reject(
			        rejection, "BAD_DATE", "%s '%s' is not a date YYYYMMDD",
			        personnel_field_name(personnel_date_fields[i]), value);
	}
	for (guint i = 0; i < G_N_ELEMENTS(personnel_coded_fields); i++) {
		PersonnelField field = personnel_coded_fields[i];
		g_autoptr(GError) refusal = NULL;
		if (event->fields[field] == NULL ||
		    ph_personnel_check_code(personnel->plugin, personnel_field_name(field),
		                            event->fields[field], &refusal))
			continue;
		/* A table that cannot be loaded is the hub's fault: the chunk waits for it. */
		if (g_error_matches(refusal, PH_ERROR, PH_ERROR_CONFIG)) {
			personnel_rejection_clear(rejection);
			g_propagate_error(error, g_steal_pointer(&refusal));
			return FALSE;
		}
		return personnel_reject(rejection, "UNKNOWN_CODE", "%s", refusal->message);
	}
	for (guint i = 0; i < G_N_ELEMENTS(personnel_money_fields); i++) {
		const gchar *value = event->fields[personnel_money_fields[i]];
		if (value != NULL && !personnel_parse_money(value, &fen))
			return personnel_reject(rejection, "BAD_AMOUNT",
			                        "%s is not yuan with at most two decimals, e.g. "
			                        "7500.00",
			                        personnel_field_name(personnel_money_fields[i]));
	}
	for (guint i = 0; i < G_N_ELEMENTS(personnel_sized_fields); i++) {
		const gchar *value = event->fields[personnel_sized_fields[i].field];
		if (value != NULL && g_utf8_strlen(value, -1) > personnel_sized_fields[i].max_chars)
			return personnel_reject(
			        rejection, "BAD_FIELD", "%s is longer than %ld characters",
			        personnel_field_name(personnel_sized_fields[i].field),
			        personnel_sized_fields[i].max_chars);
	}
	/* I..3: read later as a number, so nothing but digits may reach the conversion (empty
	 * stays "none", as an empty DeemedIndex does). */
	const gchar *deemed = event->fields[PERSONNEL_AAE200];
	if (deemed != NULL && deemed[0] != '\0' &&
	    (strlen(deemed) > 3 || strspn(deemed, "0123456789") != strlen(deemed)))
		return personnel_reject(rejection, "BAD_FIELD",
		                        "AAE200 is not a number of months of 1 to 3 digits");
	if (event->fields[PERSONNEL_FUNDING] != NULL &&
	    !g_strv_contains((const gchar *const[]){"full", "partial", "self", NULL},
	                     event->fields[PERSONNEL_FUNDING]))
		return personnel_reject(rejection, "UNKNOWN_CODE",
		                        "Funding '%s' is not full, partial or self",
		                        event->fields[PERSONNEL_FUNDING]);
	return TRUE;
}

static gboolean
personnel_check_id(const PersonnelEvent *event, PersonnelRejection *rejection)
{
	const gchar *id = event->fields[PERSONNEL_AAC002];
	g_autoptr(GError) error = NULL;
	if (id == NULL)
		return TRUE;
	if (strlen(id) == 15)
		return personnel_reject(rejection, "BAD_ID",
		                        "AAC002 is a 15-digit number: send the 18-character one");
	if (strlen(id) != 18)
		return TRUE; /* another kind of number (AAA029 other than 01): the core checks */
	gboolean hire = event->type == PERSONNEL_HIRE;
	if (ph_personnel_check_citizen_id(id, hire ? event->fields[PERSONNEL_AAC006] : NULL,
	                                  hire ? event->fields[PERSONNEL_AAC004] : NULL, &error))
		return TRUE;
	/* The number itself, or only its agreement with AAC006/AAC004? */
	if (!hire || !ph_personnel_check_citizen_id(id, NULL, NULL, NULL))
		return personnel_reject(rejection, "BAD_ID", "AAC002: %s", error->message);
	return personnel_reject(rejection, "ID_MISMATCH", "AAC002: %s", error->message);
}

gboolean
personnel_check_event(Personnel *personnel, const PersonnelEvent *event,
                      PersonnelRejection *rejection, GError **error)
{
	return personnel_check_shape(event, rejection) &&
	       personnel_check_values(personnel, event, rejection, error) &&
	       personnel_check_id(event, rejection);
}

gchar *
personnel_event_subject(const PersonnelEvent *event, const gchar *batch_unit)
{
	if (event->type == PERSONNEL_UNIT)
		return batch_unit != NULL ? g_strconcat("unit:", batch_unit, NULL) : NULL;
	return g_strdup(event->fields[PERSONNEL_AAC002]);
}
