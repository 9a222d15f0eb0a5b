/* Retirement (see ph-retirement.h). Core only. */
#include "ph-retirement.h"

#include <string.h>

#include "ph-core-event.h"
#include "ph-enrolment.h"
#include "ph-ledger.h"
#include "ph-person.h"
#include "ph-stored-result.h"

static void
ph_retirement_add_int(JsonBuilder *builder, const gchar *name, gint64 value)
{
	json_builder_set_member_name(builder, name);
	json_builder_add_int_value(builder, value);
}

static void
ph_retirement_add_scaled(JsonBuilder *builder, const gchar *name, gint64 units, gint scale)
{
	g_autofree gchar *text = ph_decimal_format_scaled(units, scale);
	json_builder_set_member_name(builder, name);
	json_builder_add_string_value(builder, text);
}

JsonNode *
ph_retirement_benefit_json(const PhBenefit *benefit)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "eligible");
	json_builder_add_boolean_value(builder, benefit->eligible);
	json_builder_set_member_name(builder, "reason");
	json_builder_add_string_value(builder, benefit->reason);
	ph_retirement_add_int(builder, "age_years", benefit->age_years);
	ph_retirement_add_int(builder, "age_months", benefit->age_months);
	ph_retirement_add_int(builder, "deemed_months", benefit->deemed_months);
	ph_retirement_add_int(builder, "actual_months", benefit->actual_months);
	ph_retirement_add_int(builder, "total_months", benefit->total_months);
	ph_retirement_add_scaled(builder, "index_deemed", benefit->index_deemed, 4);
	ph_retirement_add_scaled(builder, "index_actual", benefit->index_actual, 4);
	ph_retirement_add_scaled(builder, "index_average", benefit->index_average, 4);
	ph_retirement_add_scaled(builder, "months_divisor", benefit->months_divisor, 1);
	ph_retirement_add_int(builder, "account_balance", benefit->account_balance);
	ph_retirement_add_int(builder, "annuity_balance", benefit->annuity_balance);
	json_builder_set_member_name(builder, "interest_provisional");
	json_builder_add_boolean_value(builder, benefit->interest_provisional);
	ph_retirement_add_int(builder, "basic", benefit->basic);
	ph_retirement_add_int(builder, "individual_account", benefit->individual_account);
	ph_retirement_add_int(builder, "transitional", benefit->transitional);
	ph_retirement_add_int(builder, "annuity", benefit->annuity);
	ph_retirement_add_int(builder, "new_method_total", benefit->new_method_total);
	json_builder_set_member_name(builder, "transition_applies");
	json_builder_add_boolean_value(builder, benefit->transition_applies);
	if (benefit->transition_applies) {
		g_autofree gchar *share = ph_decimal_to_string(benefit->share);
		ph_retirement_add_int(builder, "old_method_amount", benefit->old_method_amount);
		json_builder_set_member_name(builder, "share");
		json_builder_add_string_value(builder, share);
	}
	ph_retirement_add_int(builder, "adjustment", benefit->adjustment);
	ph_retirement_add_int(builder, "monthly_total", benefit->monthly_total);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

static JsonNode *
ph_retirement_inputs_json(const PhBenefitInput *input, const PhLedgerRoll *roll)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autofree gchar *birth = ph_period_to_string(input->birth);
	g_autofree gchar *start = ph_period_to_string(input->start);

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "birth");
	json_builder_add_string_value(builder, birth);
	json_builder_set_member_name(builder, "start");
	json_builder_add_string_value(builder, start);
	ph_retirement_add_int(builder, "deemed_months", input->deemed_months);
	ph_retirement_add_scaled(builder, "deemed_index", input->deemed_index, 4);
	ph_retirement_add_int(builder, "account_balance", input->account_balance);
	ph_retirement_add_int(builder, "annuity_balance", input->annuity_balance);
	ph_retirement_add_int(builder, "ledger_opening_year", roll->opening_year);
	if (input->has_old_method_amount)
		ph_retirement_add_int(builder, "old_method_amount", input->old_method_amount);
	json_builder_set_member_name(builder, "contributions");
	json_builder_begin_array(builder);
	for (guint i = 0; i < input->n_months; i++) {
		json_builder_begin_array(builder);
		json_builder_add_int_value(builder, input->months[i].period);
		json_builder_add_int_value(builder, input->months[i].base);
		json_builder_end_array(builder);
	}
	json_builder_end_array(builder);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

/* A stored benefit for a repeat: @found FALSE when the person has none. */
static gboolean
ph_retirement_stored(PhDb *db, gint64 person_id, JsonNode **result, GError **error)
{
	gchar id[24];

	return ph_command_find_stored(db, "SELECT result FROM benefit WHERE person_id = $1::bigint",
	                              PH_COMMAND_INT_TEXT(id, person_id), result, error) &&
	       ph_stored_result_open(result, error);
}

static gboolean
ph_retirement_store(PhDb *db, gint64 person_id, const PhRetireInput *input, PhPeriod start,
                    const PhBenefit *benefit, JsonNode *inputs, JsonNode *result, GError **error)
{
	gchar id[24], month[24], values[9][24];
	g_autofree gchar *inputs_text = ph_command_json_text(inputs);
	g_autofree gchar *result_text = ph_stored_result_text(result, error);
	const gchar *params[] = {
	        PH_COMMAND_INT_TEXT(id, person_id),
	        PH_COMMAND_INT_TEXT(month, start),
	        input->retire_kind != NULL ? input->retire_kind : "2",
	        benefit->eligible ? "t" : "f",
	        benefit->reason,
	        PH_COMMAND_INT_TEXT(values[0], benefit->basic),
	        PH_COMMAND_INT_TEXT(values[1], benefit->individual_account),
	        PH_COMMAND_INT_TEXT(values[2], benefit->transitional),
	        PH_COMMAND_INT_TEXT(values[3], benefit->annuity),
	        PH_COMMAND_INT_TEXT(values[4], benefit->new_method_total),
	        PH_COMMAND_INT_TEXT(values[5], benefit->adjustment),
	        PH_COMMAND_INT_TEXT(values[6], benefit->monthly_total),
	        PH_COMMAND_INT_TEXT(values[7], benefit->account_balance),
	        PH_COMMAND_INT_TEXT(values[8], benefit->annuity_balance),
	        NULL,
	        inputs_text,
	        result_text,
	};
	gchar months[24];
	if (result_text == NULL)
		return FALSE;
	params[14] = PH_COMMAND_INT_TEXT(months, benefit->total_months);
	g_autoptr(PGresult) rows = ph_db_query(
	        db,
	        "INSERT INTO benefit (person_id, start_period, retire_kind, eligible, reason, "
	        "basic, "
	        "individual_account, transitional, annuity, new_method_total, adjustment, "
	        "monthly_total, account_balance, annuity_balance, total_months, inputs, result) "
	        "VALUES ($1::bigint, $2::integer, $3, $4::boolean, nullif($5, ''), $6::bigint, "
	        "$7::bigint, $8::bigint, $9::bigint, $10::bigint, $11::bigint, $12::bigint, "
	        "$13::bigint, $14::bigint, $15::integer, $16::jsonb, $17::jsonb)",
	        G_N_ELEMENTS(params), params, error);
	return rows != NULL;
}

/* Computes the benefit from the person's stored months and ledger. */
static gboolean
ph_retirement_compute(PhDb *db, const PhPolicy *policy, const PhPerson *person,
                      const PhRetireInput *input, PhPeriod start, PhBenefit *benefit,
                      PhLedgerRoll *roll, JsonNode **inputs, GError **error)
{
	g_autofree gchar *field = NULL;
	g_autoptr(GArray) months = ph_ledger_months(db, person->person_id, start, error);

	if (months == NULL || !ph_ledger_roll(db, policy, person->person_id, start, roll, error))
		return FALSE;
	PhBenefitInput benefit_input = {
	        .birth = person->birth,
	        .start = start,
	        .deemed_months = person->deemed_months,
	        .deemed_index = person->deemed_index,
	        .months = (const PhMonthBase *)(gpointer)months->data,
	        .n_months = months->len,
	        .has_account_balance = TRUE,
	        .account_balance = roll->account_balance,
	        .has_annuity_balance = TRUE,
	        .annuity_balance = roll->annuity_balance,
	        .has_old_method_amount = input->has_old_method_amount,
	        .old_method_amount = input->old_method_amount,
	};
	if (!ph_benefit_compute(policy, &benefit_input, benefit, &field, error))
		return FALSE;
	benefit->interest_provisional |= roll->provisional;
	*inputs = ph_retirement_inputs_json(&benefit_input, roll);
	return TRUE;
}

static gboolean
ph_retirement_close(PhDb *db, gint64 person_id, PhPeriod start, const PhLedgerRoll *roll,
                    GError **error)
{
	PhEnrolmentOpen open;
	gboolean has_open = FALSE;

	if (!ph_enrolment_get_open(db, person_id, &open, &has_open, error))
		return FALSE;
	if (has_open && open.start >= start)
		return ph_command_invalid(error, "effective", "not after the enrolment start");
	if (has_open && !ph_enrolment_close(db, person_id, ph_period_add(start, -1), "3", "retire",
	                                    NULL, error))
		return FALSE;
	return ph_ledger_append_closing_interest(db, person_id, start, roll, error) &&
	       ph_person_set_status(db, person_id, "retired", "3", start, error);
}

gboolean
ph_retirement_retire(PhDb *db, const PhCommandContext *context, const PhRetireInput *input,
                     PhCommandResult *outcome, GError **error)
{
	PhPerson person;
	PhPeriod start = 0;
	PhBenefit benefit;
	PhLedgerRoll roll;
	JsonNode *stored = NULL;
	g_autoptr(JsonNode) inputs = NULL;

	g_return_val_if_fail(db != NULL && context != NULL && input != NULL && outcome != NULL,
	                     FALSE);
	ph_command_result_clear(outcome);
	if (!ph_command_parse_date("effective", input->effective, &start, error) ||
	    !ph_command_check_period(context->policy, "effective", start, error) ||
	    !ph_person_find(db, input->id_number, &person, error) ||
	    !ph_retirement_stored(db, person.person_id, &stored, error))
		return FALSE;
	if (ph_command_result_take_stored(outcome, person.person_id, stored))
		return TRUE;
	if (!ph_ledger_check_closable(db, person.person_id, person.status, start, "effective",
	                              error) ||
	    !ph_retirement_compute(db, context->policy, &person, input, start, &benefit, &roll,
	                           &inputs, error))
		return FALSE;
	outcome->result = ph_retirement_benefit_json(&benefit);
	JsonObject *result = json_node_get_object(outcome->result);
	json_object_set_int_member(result, "person_id", person.person_id);
	json_object_set_string_member(result, "AAC002", person.id_number);
	json_object_set_string_member(
	        result, "AIC160",
	        json_object_get_string_member(json_node_get_object(inputs), "start"));
	if (!ph_retirement_store(db, person.person_id, input, start, &benefit, inputs,
	                         outcome->result, error) ||
	    !ph_retirement_close(db, person.person_id, start, &roll, error))
		return FALSE;
	g_autofree gchar *object = g_strdup_printf("person:%" G_GINT64_FORMAT, person.person_id);
	return ph_command_record(db, context, "retire", object, PH_CORE_EVENT_RETIRED,
	                         person.person_id, object, outcome->result, error);
}
