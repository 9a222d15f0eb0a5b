/* Enrolment commands (see ph-enrolment.h). Core only. */
#include "ph-enrolment.h"

#include <string.h>

#include "ph-core-event.h"
#include "ph-error.h"
#include "ph-identity.h"

/* AAC004 codes of GB/T 2261.1. */
static const gchar *const ph_enrolment_sex_codes[] = {"0", "1", "2", "5", "6", "9", NULL};

#define PH_ENROLMENT_MIN_AGE_MONTHS (16 * 12)
#define PH_ENROLMENT_MAX_DEEMED     600
#define PH_ENROLMENT_INDEX_LOW      6000
#define PH_ENROLMENT_INDEX_HIGH     30000

static JsonNode *
ph_enrolment_result(gint64 person_id, const gchar *what, PhPeriod period, const gchar *extra_key,
                    const gchar *extra_value)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autofree gchar *month = ph_period_to_string(period);

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "person_id");
	json_builder_add_int_value(builder, person_id);
	json_builder_set_member_name(builder, what);
	json_builder_add_string_value(builder, month);
	if (extra_key != NULL) {
		json_builder_set_member_name(builder, extra_key);
		json_builder_add_string_value(builder, extra_value);
	}
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

static void
ph_enrolment_finish(PhCommandResult *outcome, gboolean duplicate, gint64 person_id,
                    JsonNode *result)
{
	outcome->duplicate = duplicate;
	outcome->person_id = person_id;
	g_clear_pointer(&outcome->result, json_node_unref);
	outcome->result = result;
}

static gchar *
ph_enrolment_object(gint64 person_id)
{
	return g_strdup_printf("person:%" G_GINT64_FORMAT, person_id);
}

/* ---- units ---- */

static gboolean
ph_enrolment_check_unit_input(const PhUnitInput *input, GError **error)
{
	if (!ph_command_check_text("AAB001", input->unit_code, 16, error) ||
	    !ph_command_check_text("AAB004", input->name, 128, error))
		return FALSE;
	if (input->credit_code != NULL && input->credit_code[0] != '\0' &&
	    !ph_identity_check_uscc(input->credit_code, error)) {
		g_prefix_error(error, "BAB010: ");
		return FALSE;
	}
	if (input->region != NULL && input->region[0] != '\0' &&
	    (strlen(input->region) != 6 || strspn(input->region, "0123456789") != 6))
		return ph_command_invalid(error, "AAB301", "'%s' is not a six-digit region code",
		                          input->region);
	if (input->funding != NULL &&
	    !g_strv_contains((const gchar *const[]){"full", "partial", "self", NULL},
	                     input->funding))
		return ph_command_invalid(error, "Funding", "'%s' is not full, partial or self",
		                          input->funding);
	return TRUE;
}

gboolean
ph_enrolment_register_unit(PhDb *db, const PhCommandContext *context, const PhUnitInput *input,
                           PhCommandResult *outcome, GError **error)
{
	g_return_val_if_fail(db != NULL && context != NULL && input != NULL && outcome != NULL,
	                     FALSE);
	if (!ph_enrolment_check_unit_input(input, error))
		return FALSE;
	const gchar *params[] = {input->unit_code, input->name,   input->credit_code,
	                         input->unit_type, input->region, input->funding};
	/* A new unit without funding is fully funded. An update changes what it gives and keeps
	 * what it leaves out: an update naming the unit only must not make a partly funded unit
	 * fully funded (its annuity employer part book-entry) nor clear its credit code. */
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "INSERT INTO unit AS u (unit_code, name, credit_code, unit_type, region, funding) "
	        "VALUES ($1, $2, $3, $4, $5, coalesce($6, 'full')) ON CONFLICT (unit_code) DO "
	        "UPDATE SET name = EXCLUDED.name, credit_code = coalesce($3, u.credit_code), "
	        "unit_type = coalesce($4, u.unit_type), region = coalesce($5, u.region), "
	        "funding = coalesce($6, u.funding), updated_at = now() "
	        "WHERE (u.name, u.credit_code, u.unit_type, u.region, u.funding) IS DISTINCT FROM "
	        "($2, coalesce($3, u.credit_code), coalesce($4, u.unit_type), "
	        "coalesce($5, u.region), coalesce($6, u.funding)) RETURNING unit_code",
	        G_N_ELEMENTS(params), params, error);
	if (result == NULL)
		return FALSE;

	g_autoptr(JsonBuilder) builder = json_builder_new();
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "AAB001");
	json_builder_add_string_value(builder, input->unit_code);
	json_builder_end_object(builder);
	ph_enrolment_finish(outcome, PQntuples(result) == 0, 0, json_builder_get_root(builder));
	if (outcome->duplicate)
		return TRUE;
	g_autofree gchar *object = g_strdup_printf("unit:%s", input->unit_code);
	return ph_command_record(db, context, "unit", object, NULL, 0, input->unit_code,
	                         outcome->result, error);
}

static gboolean
ph_enrolment_check_unit(PhDb *db, const gchar *unit_code, GError **error)
{
	if (!ph_command_check_text("AAB001", unit_code, 16, error))
		return FALSE;
	const gchar *params[] = {unit_code};
	g_autoptr(PGresult) result =
	        ph_db_query(db, "SELECT 1 FROM unit WHERE unit_code = $1", 1, params, error);
	if (result == NULL)
		return FALSE;
	if (PQntuples(result) == 0)
		return ph_command_invalid(error, "AAB001",
		                          "unknown unit '%s' (send its UNIT event first)",
		                          unit_code);
	return TRUE;
}

/* ---- open enrolment ---- */

gboolean
ph_enrolment_get_open(PhDb *db, gint64 person_id, PhEnrolmentOpen *out, gboolean *found,
                      GError **error)
{
	gchar id[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(id, person_id)};
	g_autoptr(PGresult) result =
	        ph_db_query(db,
	                    "SELECT start_period, unit_code FROM enrolment "
	                    "WHERE person_id = $1::bigint AND end_period IS NULL",
	                    1, params, error);

	if (result == NULL)
		return FALSE;
	*found = PQntuples(result) > 0;
	memset(out, 0, sizeof(*out));
	if (*found) {
		out->start = (PhPeriod)ph_db_get_int64(result, 0, 0);
		g_strlcpy(out->unit_code, PQgetvalue(result, 0, 1), sizeof(out->unit_code));
	}
	return TRUE;
}

gboolean
ph_enrolment_close(PhDb *db, gint64 person_id, PhPeriod end, const gchar *status,
                   const gchar *reason, const gchar *change_code, GError **error)
{
	gchar id[24];
	gchar last[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(id, person_id), PH_COMMAND_INT_TEXT(last, end),
	                         status, reason, change_code};
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "UPDATE enrolment SET end_period = greatest($2::integer, start_period), "
	        "status = $3, end_reason = $4, change_code = $5 "
	        "WHERE person_id = $1::bigint AND end_period IS NULL",
	        G_N_ELEMENTS(params), params, error);
	return result != NULL;
}

/* ---- HIRE ---- */

gboolean
ph_enrolment_check_identity(const PhPolicy *policy, const PhEnrolInput *input, PhPeriod *birth,
                            PhPeriod *start, GError **error)
{
	const PhPersonIdentity *person = &input->person;
	PhPeriod work = 0;

	if (!ph_command_check_text("AAC002", person->id_number, 32, error) ||
	    !ph_command_check_text("AAC003", person->name, 64, error) ||
	    !ph_command_parse_date("AAC006", person->birth_date, birth, error))
		return FALSE;
	if (person->sex == NULL || !g_strv_contains(ph_enrolment_sex_codes, person->sex))
		return ph_command_invalid(error, "AAC004", "'%s' is not a GB/T 2261.1 code",
		                          person->sex != NULL ? person->sex : "");
	if (strlen(person->id_number) == 18 &&
	    !ph_identity_check_citizen_id_person(person->id_number, person->birth_date, person->sex,
	                                         error)) {
		g_prefix_error(error, "AAC002: ");
		return FALSE;
	}
	if (person->work_start != NULL && person->work_start[0] != '\0' &&
	    !ph_command_parse_date("AAC007", person->work_start, &work, error))
		return FALSE;
	if (!ph_command_parse_date("effective", input->effective, start, error) ||
	    !ph_command_check_period(policy, "effective", *start, error) ||
	    !ph_command_check_wage("Wage", input->wage, error))
		return FALSE;
	if (ph_period_diff(*start, *birth) < PH_ENROLMENT_MIN_AGE_MONTHS)
		return ph_command_invalid(error, "effective", "less than 16 years after birth");
	if (person->deemed_months < 0 || person->deemed_months > PH_ENROLMENT_MAX_DEEMED)
		return ph_command_invalid(error, "AAE200", "%d is outside 0 … 600",
		                          person->deemed_months);
	if (person->deemed_index < 0 || person->deemed_index > PH_ENROLMENT_INDEX_HIGH ||
	    (person->deemed_months > 0 && person->deemed_index < PH_ENROLMENT_INDEX_LOW))
		return ph_command_invalid(error, "DeemedIndex",
		                          "must be 0.6000 … 3.0000 (0 only without deemed months)");
	return TRUE;
}

/* A repeat of HIRE: an enrolment row (person, start) exists. */
static gboolean
ph_enrolment_find_start(PhDb *db, gint64 person_id, PhPeriod start, gboolean *exists,
                        PhPeriod *last_end, GError **error)
{
	gchar id[24];
	gchar month[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(id, person_id),
	                         PH_COMMAND_INT_TEXT(month, start)};
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "SELECT bool_or(start_period = $2::integer), coalesce(max(end_period), 0) "
	        "FROM enrolment WHERE person_id = $1::bigint",
	        2, params, error);

	if (result == NULL)
		return FALSE;
	*exists = g_str_equal(PQgetvalue(result, 0, 0), "t");
	*last_end = (PhPeriod)ph_db_get_int64(result, 0, 1);
	return TRUE;
}

static gboolean
ph_enrolment_check_existing(PhDb *db, const PhPerson *person, const PhEnrolInput *input,
                            PhPeriod start, gboolean *duplicate, GError **error)
{
	PhEnrolmentOpen open;
	gboolean has_open = FALSE;
	PhPeriod last_end = 0;

	if (!ph_enrolment_find_start(db, person->person_id, start, duplicate, &last_end, error))
		return FALSE;
	if (*duplicate)
		return TRUE;
	if (!g_str_equal(person->birth_date, input->person.birth_date)) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFLICT,
		            "AAC006: %s differs from the stored birth date %s",
		            input->person.birth_date, person->birth_date);
		return FALSE;
	}
	if (g_str_equal(person->status, "retired") || g_str_equal(person->status, "dead"))
		return ph_command_invalid(error, "AAC002", "the person is %s", person->status);
	if (!ph_enrolment_get_open(db, person->person_id, &open, &has_open, error))
		return FALSE;
	if (has_open) {
		g_autofree gchar *from = ph_period_to_string(open.start);
		g_set_error(error, PH_ERROR, PH_ERROR_CONFLICT,
		            "AAC002: already enrolled from %s in unit %s", from, open.unit_code);
		return FALSE;
	}
	if (last_end >= start) {
		g_autofree gchar *end = ph_period_to_string(last_end);
		return ph_command_invalid(error, "effective",
		                          "not after the end of an earlier enrolment (%s)", end);
	}
	return TRUE;
}

static gboolean
ph_enrolment_insert_wage(PhDb *db, gint64 person_id, PhPeriod effective, gint64 wage,
                         gboolean *duplicate, GError **error)
{
	gchar id[24], month[24], amount[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(id, person_id),
	                         PH_COMMAND_INT_TEXT(month, effective),
	                         PH_COMMAND_INT_TEXT(amount, wage)};
	g_autoptr(PGresult) existing =
	        ph_db_query(db,
	                    "SELECT wage FROM declared_wage WHERE person_id = $1::bigint "
	                    "AND effective_period = $2::integer",
	                    2, params, error);

	if (existing == NULL)
		return FALSE;
	if (PQntuples(existing) > 0) {
		gint64 stored = ph_db_get_int64(existing, 0, 0);
		g_autofree gchar *from = ph_period_to_string(effective);
		*duplicate = TRUE;
		if (stored == wage)
			return TRUE;
		g_set_error(error, PH_ERROR, PH_ERROR_CONFLICT,
		            "Wage: a wage of %" G_GINT64_FORMAT " fen is already declared from %s",
		            stored, from);
		return FALSE;
	}
	*duplicate = FALSE;
	g_autoptr(PGresult) result =
	        ph_db_query(db,
	                    "INSERT INTO declared_wage (person_id, effective_period, wage) "
	                    "VALUES ($1::bigint, $2::integer, $3::bigint)",
	                    3, params, error);
	return result != NULL;
}

static gboolean
ph_enrolment_insert(PhDb *db, gint64 person_id, PhPeriod start, const gchar *unit_code,
                    GError **error)
{
	gchar id[24], month[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(id, person_id),
	                         PH_COMMAND_INT_TEXT(month, start), unit_code};
	g_autoptr(PGresult) result =
	        ph_db_query(db,
	                    "INSERT INTO enrolment (person_id, start_period, unit_code) "
	                    "VALUES ($1::bigint, $2::integer, $3)",
	                    3, params, error);
	return result != NULL;
}

gboolean
ph_enrolment_enrol(PhDb *db, const PhCommandContext *context, const PhEnrolInput *input,
                   PhCommandResult *outcome, GError **error)
{
	PhPerson person;
	gboolean found = FALSE;
	gboolean duplicate = FALSE;
	gboolean wage_duplicate = FALSE;
	PhPeriod birth = 0, start = 0;
	gint64 person_id = 0;

	g_return_val_if_fail(db != NULL && context != NULL && input != NULL && outcome != NULL,
	                     FALSE);
	if (!ph_enrolment_check_identity(context->policy, input, &birth, &start, error) ||
	    !ph_enrolment_check_unit(db, input->unit_code, error) ||
	    !ph_person_lookup(db, input->person.id_number, &person, &found, error))
		return FALSE;
	if (found && !ph_enrolment_check_existing(db, &person, input, start, &duplicate, error))
		return FALSE;
	if (duplicate) {
		ph_enrolment_finish(outcome, TRUE, person.person_id,
		                    ph_enrolment_result(person.person_id, "AAE030", start, "AAB001",
		                                        input->unit_code));
		return TRUE;
	}
	if (!ph_person_store(db, &input->person, input->unit_code, &person_id, error) ||
	    !ph_enrolment_insert(db, person_id, start, input->unit_code, error) ||
	    !ph_enrolment_insert_wage(db, person_id, start, input->wage, &wage_duplicate, error))
		return FALSE;
	ph_enrolment_finish(
	        outcome, FALSE, person_id,
	        ph_enrolment_result(person_id, "AAE030", start, "AAB001", input->unit_code));
	g_autofree gchar *object = ph_enrolment_object(person_id);
	return ph_command_record(db, context, "enrol", object, NULL, person_id, object,
	                         outcome->result, error);
}

/* ---- WAGE ---- */

static gboolean
ph_enrolment_find_enrolled(PhDb *db, const gchar *id_number, PhPerson *person,
                           PhEnrolmentOpen *open, GError **error)
{
	gboolean has_open = FALSE;

	if (!ph_person_find(db, id_number, person, error) ||
	    !ph_enrolment_get_open(db, person->person_id, open, &has_open, error))
		return FALSE;
	if (!has_open)
		return ph_command_invalid(error, "AAC002", "the person is not enrolled (%s)",
		                          person->status);
	return TRUE;
}

gboolean
ph_enrolment_set_wage(PhDb *db, const PhCommandContext *context, const PhWageInput *input,
                      PhCommandResult *outcome, GError **error)
{
	PhPerson person;
	PhEnrolmentOpen open;
	PhPeriod effective = 0;
	gboolean duplicate = FALSE;

	g_return_val_if_fail(db != NULL && context != NULL && input != NULL && outcome != NULL,
	                     FALSE);
	if (!ph_command_parse_date("effective", input->effective, &effective, error) ||
	    !ph_command_check_period(context->policy, "effective", effective, error) ||
	    !ph_command_check_wage("Wage", input->wage, error) ||
	    !ph_person_find(db, input->id_number, &person, error))
		return FALSE;
	if (!ph_enrolment_insert_wage(db, person.person_id, effective, input->wage, &duplicate,
	                              error))
		return FALSE;
	g_autofree gchar *wage = g_strdup_printf("%" G_GINT64_FORMAT, input->wage);
	ph_enrolment_finish(
	        outcome, duplicate, person.person_id,
	        ph_enrolment_result(person.person_id, "effective", effective, "wage", wage));
	if (duplicate)
		return TRUE;
	/* A new wage needs an enrolment; checked after the duplicate test so that a
	 * re-sent batch still answers DUPLICATE after the person has left. */
	if (!ph_enrolment_find_enrolled(db, input->id_number, &person, &open, error))
		return FALSE;
	if (effective < open.start) {
		g_autofree gchar *from = ph_period_to_string(open.start);
		return ph_command_invalid(error, "effective", "before the enrolment start %s",
		                          from);
	}
	g_autofree gchar *object = ph_enrolment_object(person.person_id);
	g_autofree gchar *key = g_strdup_printf("%s:%d", object, effective);
	return ph_command_record(db, context, "wage", object, NULL, person.person_id, key,
	                         outcome->result, error);
}

/* ---- MOVE ---- */

static gboolean
ph_enrolment_apply_move(PhDb *db, gint64 person_id, const PhEnrolmentOpen *open, PhPeriod effective,
                        const gchar *unit_code, GError **error)
{
	gchar id[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(id, person_id), unit_code};

	if (effective < open->start) {
		g_autofree gchar *from = ph_period_to_string(open->start);
		return ph_command_invalid(error, "effective", "before the enrolment start %s",
		                          from);
	}
	if (effective == open->start) {
		g_autoptr(PGresult) result =
		        ph_db_query(db,
		                    "UPDATE enrolment SET unit_code = $2 "
		                    "WHERE person_id = $1::bigint AND end_period IS NULL",
		                    2, params, error);
		if (result == NULL)
			return FALSE;
	} else if (!ph_enrolment_close(db, person_id, ph_period_add(effective, -1), "1", "move",
	                               NULL, error) ||
	           !ph_enrolment_insert(db, person_id, effective, unit_code, error)) {
		return FALSE;
	}
	g_autoptr(PGresult) person = ph_db_query(
	        db,
	        "UPDATE person SET unit_code = $2, updated_at = now() WHERE person_id = $1::bigint",
	        2, params, error);
	return person != NULL;
}

gboolean
ph_enrolment_move(PhDb *db, const PhCommandContext *context, const PhMoveInput *input,
                  PhCommandResult *outcome, GError **error)
{
	PhPerson person;
	PhEnrolmentOpen open;
	PhPeriod effective = 0;

	g_return_val_if_fail(db != NULL && context != NULL && input != NULL && outcome != NULL,
	                     FALSE);
	if (!ph_command_parse_date("effective", input->effective, &effective, error) ||
	    !ph_command_check_period(context->policy, "effective", effective, error) ||
	    !ph_enrolment_check_unit(db, input->unit_code, error) ||
	    !ph_enrolment_find_enrolled(db, input->id_number, &person, &open, error))
		return FALSE;
	if (g_str_equal(open.unit_code, input->unit_code)) {
		ph_enrolment_finish(outcome, TRUE, person.person_id,
		                    ph_enrolment_result(person.person_id, "AAE030", open.start,
		                                        "AAB001", input->unit_code));
		return TRUE;
	}
	if (!ph_enrolment_apply_move(db, person.person_id, &open, effective, input->unit_code,
	                             error))
		return FALSE;
	ph_enrolment_finish(outcome, FALSE, person.person_id,
	                    ph_enrolment_result(person.person_id, "AAE030", effective, "AAB001",
	                                        input->unit_code));
	g_autofree gchar *object = ph_enrolment_object(person.person_id);
	return ph_command_record(db, context, "move", object, NULL, person.person_id, object,
	                         outcome->result, error);
}

/* ---- LEAVE ---- */

/* A repeat of LEAVE: the latest enrolment already ended by a leave at @end. */
static gboolean
ph_enrolment_left_at(PhDb *db, gint64 person_id, PhPeriod end, gboolean *left, GError **error)
{
	gchar id[24], month[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(id, person_id),
	                         PH_COMMAND_INT_TEXT(month, end)};
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "SELECT 1 FROM enrolment WHERE person_id = $1::bigint AND end_period = $2::integer "
	        "AND end_reason = 'leave'",
	        2, params, error);

	if (result == NULL)
		return FALSE;
	*left = PQntuples(result) > 0;
	return TRUE;
}

static JsonNode *
ph_enrolment_leave_payload(const PhPerson *person, PhPeriod end, const gchar *change_code)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autofree gchar *last = ph_period_to_string(end);

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "person_id");
	json_builder_add_int_value(builder, person->person_id);
	json_builder_set_member_name(builder, "AAC002");
	json_builder_add_string_value(builder, person->id_number);
	json_builder_set_member_name(builder, "AAE031");
	json_builder_add_string_value(builder, last);
	json_builder_set_member_name(builder, "AAC031");
	json_builder_add_string_value(builder, "3");
	json_builder_set_member_name(builder, "AAE160");
	json_builder_add_string_value(builder, change_code != NULL ? change_code : "");
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

gboolean
ph_enrolment_leave(PhDb *db, const PhCommandContext *context, const PhLeaveInput *input,
                   PhCommandResult *outcome, GError **error)
{
	PhPerson person;
	PhEnrolmentOpen open;
	gboolean has_open = FALSE;
	gboolean left = FALSE;
	PhPeriod effective = 0;

	g_return_val_if_fail(db != NULL && context != NULL && input != NULL && outcome != NULL,
	                     FALSE);
	if (!ph_command_parse_date("effective", input->effective, &effective, error) ||
	    !ph_command_check_period(context->policy, "effective", effective, error) ||
	    !ph_person_find(db, input->id_number, &person, error) ||
	    !ph_enrolment_get_open(db, person.person_id, &open, &has_open, error))
		return FALSE;
	PhPeriod end = ph_period_add(effective, -1);
	if (!has_open) {
		if (!ph_enrolment_left_at(db, person.person_id, end, &left, error))
			return FALSE;
		if (!left)
			return ph_command_invalid(error, "AAC002",
			                          "the person is not enrolled (%s)", person.status);
		ph_enrolment_finish(outcome, TRUE, person.person_id,
		                    ph_enrolment_leave_payload(&person, end, input->change_code));
		return TRUE;
	}
	if (effective <= open.start) {
		g_autofree gchar *from = ph_period_to_string(open.start);
		return ph_command_invalid(error, "effective", "not after the enrolment start %s",
		                          from);
	}
	if (!ph_enrolment_close(db, person.person_id, end, "3", "leave", input->change_code,
	                        error) ||
	    !ph_person_set_status(db, person.person_id, "left", "3", 0, error))
		return FALSE;
	ph_enrolment_finish(outcome, FALSE, person.person_id,
	                    ph_enrolment_leave_payload(&person, end, input->change_code));
	g_autofree gchar *object = ph_enrolment_object(person.person_id);
	g_autofree gchar *key = g_strdup_printf("%s:%d", object, end);
	return ph_command_record(db, context, "leave", object, PH_CORE_EVENT_ENROLMENT_ENDED,
	                         person.person_id, key, outcome->result, error);
}
