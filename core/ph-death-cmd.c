/* Death (see ph-death-cmd.h). Core only. */
#include "ph-death-cmd.h"

#include <string.h>

#include "ph-core-event.h"
#include "ph-death.h"
#include "ph-enrolment.h"
#include "ph-ledger.h"
#include "ph-person.h"
#include "ph-stored-result.h"

static gboolean
ph_death_cmd_stored(PhDb *db, gint64 person_id, JsonNode **result, GError **error)
{
	gchar id[24];

	return ph_command_find_stored(
	               db, "SELECT result FROM death_settlement WHERE person_id = $1::bigint",
	               PH_COMMAND_INT_TEXT(id, person_id), result, error) &&
	       ph_stored_result_open(result, error);
}

/* A retiree: the balances at retirement and what was paid up to the death month. */
static gboolean
ph_death_cmd_retiree_input(PhDb *db, gint64 person_id, PhDeathInput *input, GError **error)
{
	gchar id[24], month[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(id, person_id),
	                         PH_COMMAND_INT_TEXT(month, input->death)};
	g_autoptr(PGresult) rows = ph_db_query(
	        db,
	        "SELECT b.account_balance, b.annuity_balance, "
	        "(SELECT coalesce(sum(account_part), 0) FROM payout_schedule_state s WHERE "
	        " s.person_id = b.person_id AND s.state = 'paid' AND s.period <= $2::integer), "
	        "(SELECT coalesce(sum(annuity_part), 0) FROM payout_schedule_state s WHERE "
	        " s.person_id = b.person_id AND s.state = 'paid' AND s.period <= $2::integer), "
	        "(SELECT coalesce(max(period), 0) FROM payout_schedule_state s WHERE "
	        " s.person_id = b.person_id AND s.state = 'paid'), "
	        "(SELECT amount FROM payout_schedule_state s WHERE s.person_id = b.person_id "
	        " AND s.state = 'paid' ORDER BY period DESC LIMIT 1) "
	        "FROM benefit b WHERE b.person_id = $1::bigint",
	        2, params, error);

	if (rows == NULL)
		return FALSE;
	if (PQntuples(rows) == 0)
		return ph_command_invalid(error, "AAC002", "retired without a stored benefit");
	input->retired = TRUE;
	input->account_balance = ph_db_get_int64(rows, 0, 0);
	input->account_pension_paid = ph_db_get_int64(rows, 0, 2);
	input->annuity_balance = MAX(0, ph_db_get_int64(rows, 0, 1) - ph_db_get_int64(rows, 0, 3));
	input->paid_through = (PhPeriod)ph_db_get_int64(rows, 0, 4);
	input->monthly_amount = ph_db_get_int64(rows, 0, 5);
	return TRUE;
}

static gboolean
ph_death_cmd_input(PhDb *db, const PhPolicy *policy, const PhPerson *person, PhDeathInput *input,
                   PhLedgerRoll *roll, GError **error)
{
	if (g_str_equal(person->status, "retired"))
		return ph_death_cmd_retiree_input(db, person->person_id, input, error);
	if (g_str_equal(person->status, "transferred"))
		return TRUE; /* the accounts left with the transfer */
	if (!ph_ledger_roll(db, policy, person->person_id, input->death, roll, error))
		return FALSE;
	input->account_balance = roll->account_balance;
	input->annuity_balance = roll->annuity_balance;
	return TRUE;
}

/* Stops the schedule after the death month: due rows are cancelled, paid rows (marked paid,
 * or paid by a bank batch: payout_schedule_state) become overpaid (to recover). */
static gboolean
ph_death_cmd_stop_payments(PhDb *db, gint64 person_id, PhPeriod death, GError **error)
{
	gchar id[24], month[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(id, person_id),
	                         PH_COMMAND_INT_TEXT(month, death)};
	g_autoptr(PGresult) rows = ph_db_query(
	        db,
	        "UPDATE payout_schedule s SET state = CASE v.state WHEN 'paid' THEN 'overpaid' "
	        "ELSE 'cancelled' END FROM payout_schedule_state v WHERE v.person_id = s.person_id "
	        "AND v.period = s.period AND s.person_id = $1::bigint AND s.period > $2::integer "
	        "AND v.state IN ('due', 'paid')",
	        2, params, error);
	return rows != NULL;
}

static JsonNode *
ph_death_cmd_json(const PhPerson *person, const gchar *death_date,
                  const PhDeathSettlement *settlement, gboolean retired)
{
	JsonObject *object = json_object_new();
	JsonNode *node = json_node_new(JSON_NODE_OBJECT);

	json_object_set_int_member(object, "person_id", person->person_id);
	json_object_set_string_member(object, "AAC002", person->id_number);
	json_object_set_string_member(object, "AAE138", death_date);
	json_object_set_boolean_member(object, "retired", retired);
	json_object_set_int_member(object, "inheritable_account", settlement->inheritable_account);
	json_object_set_int_member(object, "inheritable_annuity", settlement->inheritable_annuity);
	json_object_set_int_member(object, "overpaid_months", settlement->overpaid_months);
	json_object_set_int_member(object, "overpayment", settlement->overpayment);
	json_object_set_int_member(object, "AIC249", settlement->funeral_grant);
	json_object_set_int_member(object, "AIC250", settlement->survivor_benefit);
	json_node_take_object(node, object);
	return node;
}

static gboolean
ph_death_cmd_store(PhDb *db, const PhPerson *person, const gchar *death_date, PhPeriod death,
                   const PhDeathSettlement *settlement, gboolean retired, JsonNode *result,
                   GError **error)
{
	gchar id[24], month[24], values[6][24];
	g_autofree gchar *text = ph_stored_result_text(result, error);
	if (text == NULL)
		return FALSE;
	const gchar *params[] = {PH_COMMAND_INT_TEXT(id, person->person_id),
	                         death_date,
	                         PH_COMMAND_INT_TEXT(month, death),
	                         retired ? "t" : "f",
	                         PH_COMMAND_INT_TEXT(values[0], settlement->inheritable_account),
	                         PH_COMMAND_INT_TEXT(values[1], settlement->inheritable_annuity),
	                         PH_COMMAND_INT_TEXT(values[2], settlement->overpaid_months),
	                         PH_COMMAND_INT_TEXT(values[3], settlement->overpayment),
	                         PH_COMMAND_INT_TEXT(values[4], settlement->funeral_grant),
	                         PH_COMMAND_INT_TEXT(values[5], settlement->survivor_benefit),
	                         text};
	g_autoptr(PGresult) rows = ph_db_query(
	        db,
	        "INSERT INTO death_settlement (person_id, death_date, death_period, retired, "
	        "inheritable_account, inheritable_annuity, overpaid_months, overpayment, "
	        "funeral_grant, survivor_benefit, result) VALUES ($1::bigint, $2, $3::integer, "
	        "$4::boolean, $5::bigint, $6::bigint, $7::integer, $8::bigint, $9::bigint, "
	        "$10::bigint, $11::jsonb)",
	        G_N_ELEMENTS(params), params, error);
	if (rows == NULL)
		return FALSE;
	g_autoptr(PGresult) dead =
	        ph_db_query(db, "UPDATE person SET death_date = $2 WHERE person_id = $1::bigint", 2,
	                    params, error);
	return dead != NULL;
}

/* Closes enrolment, ledger and person at the death month. */
static gboolean
ph_death_cmd_close(PhDb *db, const PhPerson *person, PhPeriod death,
                   const PhDeathSettlement *settlement, const PhLedgerRoll *roll, GError **error)
{
	g_autofree gchar *reference = g_strdup_printf("death-%d", death);
	PhEnrolmentOpen open;
	gboolean has_open = FALSE;

	if (!ph_enrolment_get_open(db, person->person_id, &open, &has_open, error))
		return FALSE;
	if (has_open &&
	    !ph_enrolment_close(db, person->person_id, death, "3", "death", NULL, error))
		return FALSE;
	if (!ph_ledger_append_closing_interest(db, person->person_id, death, roll, error) ||
	    !ph_death_cmd_stop_payments(db, person->person_id, death, error))
		return FALSE;
	if ((settlement->inheritable_account != 0 || settlement->inheritable_annuity != 0) &&
	    !ph_ledger_append(db, person->person_id, death, "inheritance", reference,
	                      -settlement->inheritable_account, -settlement->inheritable_annuity,
	                      error))
		return FALSE;
	return ph_person_set_status(db, person->person_id, "dead", "3",
	                            person->account_closed != 0 ? person->account_closed : death,
	                            error);
}

gboolean
ph_death_cmd_record(PhDb *db, const PhCommandContext *context, const PhDeathCmdInput *input,
                    PhCommandResult *outcome, GError **error)
{
	PhPerson person;
	PhDeathInput death = {0};
	PhDeathSettlement settlement = {0};
	PhLedgerRoll roll = {0};
	JsonNode *stored = NULL;

	g_return_val_if_fail(db != NULL && context != NULL && input != NULL && outcome != NULL,
	                     FALSE);
	ph_command_result_clear(outcome);
	if (!ph_command_parse_date("AAE138", input->death_date, &death.death, error) ||
	    !ph_command_check_period(context->policy, "AAE138", death.death, error) ||
	    !ph_person_find(db, input->id_number, &person, error) ||
	    !ph_death_cmd_stored(db, person.person_id, &stored, error))
		return FALSE;
	if (ph_command_result_take_stored(outcome, person.person_id, stored))
		return TRUE;
	if (strcmp(input->death_date, person.birth_date) < 0)
		return ph_command_invalid(error, "AAE138", "before the birth date %s",
		                          person.birth_date);
	if (!ph_death_cmd_input(db, context->policy, &person, &death, &roll, error) ||
	    !ph_death_settle(context->policy, &death, &settlement, error))
		return FALSE;
	outcome->result = ph_death_cmd_json(&person, input->death_date, &settlement, death.retired);
	if (!ph_death_cmd_store(db, &person, input->death_date, death.death, &settlement,
	                        death.retired, outcome->result, error) ||
	    !ph_death_cmd_close(db, &person, death.death, &settlement, &roll, error))
		return FALSE;
	g_autofree gchar *object = g_strdup_printf("person:%" G_GINT64_FORMAT, person.person_id);
	return ph_command_record(db, context, "death", object, PH_CORE_EVENT_DIED, person.person_id,
	                         object, outcome->result, error);
}
