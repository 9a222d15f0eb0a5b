/* Transfers out and in (see ph-transfer-cmd.h). Core only. */
#include "ph-transfer-cmd.h"

#include <string.h>

#include "ph-bulk.h"
#include "ph-core-event.h"
#include "ph-enrolment.h"
#include "ph-error.h"
#include "ph-ledger.h"
#include "ph-person.h"
#include "ph-stored-result.h"
#include "ph-transfer-amount.h"

typedef struct {
	const gchar *case_id;
	const gchar *direction;
	PhPeriod month;
	const gchar *other_region;
	gint months;
	gint64 pooled_fund;
	gint64 account_balance;
	gint64 annuity_balance;
} PhTransferCase;

static gboolean
ph_transfer_cmd_check(const PhPolicy *policy, const gchar *case_id, const gchar *date,
                      const gchar *other_region, PhPeriod *month, GError **error)
{
	if (!ph_command_check_text("case_id", case_id, 64, error) ||
	    !ph_command_parse_date("transfer_date", date, month, error) ||
	    !ph_command_check_period(policy, "transfer_date", *month, error))
		return FALSE;
	if (other_region != NULL && other_region[0] != '\0' &&
	    (strlen(other_region) != 6 || strspn(other_region, "0123456789") != 6))
		return ph_command_invalid(error, "OAA027", "'%s' is not a six-digit region code",
		                          other_region);
	return TRUE;
}

/* A repeat of a case: the stored result, or CONFLICT when the case id is another's. */
static gboolean
ph_transfer_cmd_stored(PhDb *db, const gchar *case_id, gint64 person_id, const gchar *direction,
                       JsonNode **result, GError **error)
{
	const gchar *params[] = {case_id};
	g_autoptr(PGresult) rows = ph_db_query(
	        db, "SELECT person_id, direction, result FROM transfer_case WHERE case_id = $1", 1,
	        params, error);

	*result = NULL;
	if (rows == NULL)
		return FALSE;
	if (PQntuples(rows) == 0)
		return TRUE;
	if (ph_db_get_int64(rows, 0, 0) != person_id ||
	    !g_str_equal(PQgetvalue(rows, 0, 1), direction)) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFLICT,
		            "case_id: %s is already a transfer %s of another person", case_id,
		            PQgetvalue(rows, 0, 1));
		return FALSE;
	}
	*result = ph_command_json_parse(PQgetvalue(rows, 0, 2));
	return ph_stored_result_open(result, error);
}

static gboolean
ph_transfer_cmd_store_case(PhDb *db, gint64 person_id, const PhTransferCase *transfer,
                           JsonNode *result, GError **error)
{
	gchar id[24], month[24], months[24], pooled[24], account[24], annuity[24];
	g_autofree gchar *text = ph_stored_result_text(result, error);
	if (text == NULL)
		return FALSE;
	const gchar *params[] = {transfer->case_id,
	                         PH_COMMAND_INT_TEXT(id, person_id),
	                         transfer->direction,
	                         PH_COMMAND_INT_TEXT(month, transfer->month),
	                         transfer->other_region,
	                         PH_COMMAND_INT_TEXT(months, transfer->months),
	                         PH_COMMAND_INT_TEXT(pooled, transfer->pooled_fund),
	                         PH_COMMAND_INT_TEXT(account, transfer->account_balance),
	                         PH_COMMAND_INT_TEXT(annuity, transfer->annuity_balance),
	                         text};
	g_autoptr(PGresult) rows = ph_db_query(
	        db,
	        "INSERT INTO transfer_case (case_id, person_id, direction, transfer_period, "
	        "other_region, months, pooled_fund, account_balance, annuity_balance, result) "
	        "VALUES ($1, $2::bigint, $3, $4::integer, $5, $6::integer, $7::bigint, $8::bigint, "
	        "$9::bigint, $10::jsonb)",
	        G_N_ELEMENTS(params), params, error);
	return rows != NULL;
}

/* What both directions do first: check the case, find the person, answer a repeat.
 * *@repeat is TRUE when @outcome already holds the stored result. */
static gboolean
ph_transfer_cmd_begin(PhDb *db, const PhCommandContext *context, const gchar *case_id,
                      const gchar *id_number, const gchar *date, const gchar *other_region,
                      const gchar *direction, PhTransferCase *transfer, PhPerson *person,
                      PhCommandResult *outcome, gboolean *repeat, GError **error)
{
	JsonNode *stored = NULL;

	ph_command_result_clear(outcome);
	if (!ph_transfer_cmd_check(context->policy, case_id, date, other_region, &transfer->month,
	                           error) ||
	    !ph_person_find(db, id_number, person, error) ||
	    !ph_transfer_cmd_stored(db, case_id, person->person_id, direction, &stored, error))
		return FALSE;
	*repeat = ph_command_result_take_stored(outcome, person->person_id, stored);
	return TRUE;
}

/* ---- out ---- */

static void
ph_transfer_cmd_add_months(JsonObject *sheet, GArray *months)
{
	JsonArray *list = json_array_new();

	for (guint i = 0; i < months->len; i++) {
		const PhMonthBase *month = &g_array_index(months, PhMonthBase, i);
		JsonArray *pair = json_array_new();
		json_array_add_int_element(pair, month->period);
		json_array_add_int_element(pair, month->base);
		json_array_add_array_element(list, pair);
	}
	json_object_set_array_member(sheet, "contributions", list);
}

/* The information sheet (信息表): months, bases and balances for the receiving side. */
static JsonNode *
ph_transfer_cmd_sheet(const PhPerson *person, const PhTransferCase *transfer, GArray *months,
                      gboolean provisional)
{
	JsonObject *sheet = json_object_new();
	JsonNode *node = json_node_new(JSON_NODE_OBJECT);
	g_autofree gchar *month = ph_period_to_string(transfer->month);

	json_object_set_string_member(sheet, "case_id", transfer->case_id);
	json_object_set_int_member(sheet, "person_id", person->person_id);
	json_object_set_string_member(sheet, "AAC002", person->id_number);
	json_object_set_string_member(sheet, "AAC006", person->birth_date);
	json_object_set_string_member(sheet, "EAC071", "1");
	json_object_set_string_member(sheet, "OAA027",
	                              transfer->other_region != NULL ? transfer->other_region : "");
	json_object_set_string_member(sheet, "month", month);
	json_object_set_int_member(sheet, "AAE200", person->deemed_months);
	json_object_set_int_member(sheet, "deemed_index", person->deemed_index);
	json_object_set_int_member(sheet, "AAE201", transfer->months);
	json_object_set_int_member(sheet, "AIC103", transfer->pooled_fund);
	json_object_set_int_member(sheet, "AIC099", transfer->account_balance);
	json_object_set_int_member(sheet, "AIC102",
	                           transfer->pooled_fund + transfer->account_balance);
	json_object_set_int_member(sheet, "annuity_balance", transfer->annuity_balance);
	json_object_set_boolean_member(sheet, "interest_provisional", provisional);
	ph_transfer_cmd_add_months(sheet, months);
	json_node_take_object(node, sheet);
	return node;
}

/* Pooled fund (rules) and balances (ledger roll) at the transfer month. */
static gboolean
ph_transfer_cmd_amounts(PhDb *db, const PhPolicy *policy, const PhPerson *person, GArray *months,
                        PhTransferCase *transfer, PhLedgerRoll *roll, GError **error)
{
	g_autofree PhMonthTable *bases = g_new0(PhMonthTable, 1);
	g_autofree gchar *field = NULL;

	if (!ph_month_table_from_bases(bases, policy, (const PhMonthBase *)(gpointer)months->data,
	                               months->len, transfer->month, &field, error) ||
	    !ph_transfer_amount_pooled(policy, bases, &transfer->pooled_fund, error) ||
	    !ph_ledger_roll(db, policy, person->person_id, transfer->month, roll, error))
		return FALSE;
	transfer->months = (gint)months->len;
	transfer->account_balance = roll->account_balance;
	transfer->annuity_balance = roll->annuity_balance;
	return TRUE;
}

/* The sheet is computed: contributions stop (enrolment and person AAC031 = 2, which the
 * monthly run skips) so that nothing changes the sheet while the other side decides. */
static gboolean
ph_transfer_cmd_suspend(PhDb *db, gint64 person_id, const gchar *from, const gchar *to,
                        GError **error)
{
	gchar id[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(id, person_id), from, to};
	g_autoptr(PGresult) enrolment =
	        ph_db_query(db,
	                    "UPDATE enrolment SET status = $3 WHERE person_id = $1::bigint "
	                    "AND end_period IS NULL AND status = $2",
	                    3, params, error);
	if (enrolment == NULL)
		return FALSE;
	g_autoptr(PGresult) person = ph_db_query(
	        db,
	        "UPDATE person SET contribution_status = $3, updated_at = now() "
	        "WHERE person_id = $1::bigint AND status = 'active' AND contribution_status = $2",
	        3, params, error);
	return person != NULL;
}

/* One pending transfer out at a time: its cancellation must not resume a member that
 * another case still holds. */
static gboolean
ph_transfer_cmd_check_pending(PhDb *db, gint64 person_id, GError **error)
{
	gchar id[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(id, person_id)};
	g_autoptr(PGresult) rows = ph_db_query(
	        db,
	        "SELECT 1 FROM enrolment WHERE person_id = $1::bigint AND end_period IS NULL "
	        "AND status = '2'",
	        1, params, error);

	if (rows == NULL)
		return FALSE;
	if (PQntuples(rows) > 0)
		return ph_command_invalid(error, "AAC002",
		                          "contributions are suspended by a pending transfer out");
	return TRUE;
}

gboolean
ph_transfer_cmd_out(PhDb *db, const PhCommandContext *context, const PhTransferOutInput *input,
                    PhCommandResult *outcome, GError **error)
{
	PhPerson person;
	PhTransferCase transfer = {input->case_id, "out", 0, input->other_region};
	PhLedgerRoll roll;
	gboolean repeat = FALSE;

	g_return_val_if_fail(db != NULL && context != NULL && input != NULL && outcome != NULL,
	                     FALSE);
	if (!ph_transfer_cmd_begin(db, context, input->case_id, input->id_number,
	                           input->transfer_date, input->other_region, "out", &transfer,
	                           &person, outcome, &repeat, error))
		return FALSE;
	if (repeat)
		return TRUE;
	g_autoptr(GArray) months = NULL;
	if (!ph_ledger_check_closable(db, person.person_id, person.status, transfer.month,
	                              "transfer_date", error) ||
	    !ph_transfer_cmd_check_pending(db, person.person_id, error) ||
	    (months = ph_ledger_months(db, person.person_id, transfer.month, error)) == NULL ||
	    !ph_transfer_cmd_amounts(db, context->policy, &person, months, &transfer, &roll, error))
		return FALSE;
	outcome->result = ph_transfer_cmd_sheet(&person, &transfer, months, roll.provisional);
	if (!ph_transfer_cmd_store_case(db, person.person_id, &transfer, outcome->result, error) ||
	    !ph_transfer_cmd_suspend(db, person.person_id, "1", "2", error))
		return FALSE;
	g_autofree gchar *object = g_strdup_printf("transfer:%s", input->case_id);
	return ph_command_record(db, context, "transfer-out", object,
	                         PH_CORE_EVENT_TRANSFER_AMOUNTS, person.person_id, input->case_id,
	                         outcome->result, error);
}

/* ---- the other side's answer on a transfer out ---- */

/* The stored transfer out @case_id: its person, month and sent balances; *@settled is TRUE
 * when its transfer_out ledger entry exists (the case was completed). */
static gboolean
ph_transfer_cmd_find_out(PhDb *db, const gchar *case_id, PhTransferCase *transfer,
                         gint64 *person_id, gboolean *settled, JsonNode **result, GError **error)
{
	const gchar *params[] = {case_id};
	g_autoptr(PGresult) rows = ph_db_query(
	        db,
	        "SELECT t.person_id, t.transfer_period, t.account_balance, t.annuity_balance, "
	        "t.result, EXISTS (SELECT 1 FROM account_entry a WHERE a.person_id = t.person_id "
	        "AND a.kind = 'transfer_out' AND a.reference = t.case_id) "
	        "FROM transfer_case t WHERE t.case_id = $1 AND t.direction = 'out'",
	        1, params, error);

	if (rows == NULL)
		return FALSE;
	if (PQntuples(rows) == 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_NOT_FOUND, "case_id: %s is no transfer out",
		            case_id);
		return FALSE;
	}
	*person_id = ph_db_get_int64(rows, 0, 0);
	transfer->case_id = case_id;
	transfer->direction = "out";
	transfer->month = (PhPeriod)ph_db_get_int64(rows, 0, 1);
	transfer->account_balance = ph_db_get_int64(rows, 0, 2);
	transfer->annuity_balance = ph_db_get_int64(rows, 0, 3);
	*result = ph_command_json_parse(PQgetvalue(rows, 0, 4));
	*settled = g_str_equal(PQgetvalue(rows, 0, 5), "t");
	return ph_stored_result_open(result, error);
}

/* Ends the enrolment (AAC031 = 3, last month the one before the transfer month) and settles
 * the account: interest to the transfer month, then the balances sent go out. */
static gboolean
ph_transfer_cmd_close_out(PhDb *db, const PhPolicy *policy, gint64 person_id,
                          const PhTransferCase *transfer, GError **error)
{
	PhLedgerRoll roll;

	return ph_ledger_roll(db, policy, person_id, transfer->month, &roll, error) &&
	       ph_enrolment_close(db, person_id, ph_period_add(transfer->month, -1), "3",
	                          "transfer", NULL, error) &&
	       ph_ledger_append_closing_interest(db, person_id, transfer->month, &roll, error) &&
	       ph_ledger_append(db, person_id, transfer->month, "transfer_out", transfer->case_id,
	                        -transfer->account_balance, -transfer->annuity_balance, error) &&
	       ph_person_set_status(db, person_id, "transferred", "3", transfer->month, error);
}

/* The transfer out ended: completed (the other side's RECEIPT OK) or not (rejected). */
static gboolean
ph_transfer_cmd_end_out(PhDb *db, const PhCommandContext *context, const gchar *case_id,
                        gboolean completed, PhCommandResult *outcome, GError **error)
{
	PhTransferCase transfer = {0};
	gint64 person_id = 0;
	gboolean settled = FALSE;
	JsonNode *result = NULL;

	g_return_val_if_fail(db != NULL && context != NULL && case_id != NULL && outcome != NULL,
	                     FALSE);
	ph_command_result_clear(outcome);
	if (!ph_transfer_cmd_find_out(db, case_id, &transfer, &person_id, &settled, &result, error))
		return FALSE;
	outcome->person_id = person_id;
	outcome->result = result;
	if (settled && !completed) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFLICT,
		            "case_id: transfer out %s is already completed", case_id);
		return FALSE;
	}
	outcome->duplicate = settled;
	if (settled)
		return TRUE;
	/* A cancellation puts back to paying only a member still suspended by this case (not
	 * one who left otherwise meanwhile). */
	if (!(completed
	              ? ph_transfer_cmd_close_out(db, context->policy, person_id, &transfer, error)
	              : ph_transfer_cmd_suspend(db, person_id, "2", "1", error)))
		return FALSE;
	g_autofree gchar *object = g_strdup_printf("transfer:%s", case_id);
	return ph_command_record(db, context,
	                         completed ? "transfer-out-complete" : "transfer-out-cancel",
	                         object, NULL, person_id, case_id, outcome->result, error);
}

gboolean
ph_transfer_cmd_complete_out(PhDb *db, const PhCommandContext *context, const gchar *case_id,
                             PhCommandResult *outcome, GError **error)
{
	return ph_transfer_cmd_end_out(db, context, case_id, TRUE, outcome, error);
}

gboolean
ph_transfer_cmd_cancel_out(PhDb *db, const PhCommandContext *context, const gchar *case_id,
                           PhCommandResult *outcome, GError **error)
{
	return ph_transfer_cmd_end_out(db, context, case_id, FALSE, outcome, error);
}

/* ---- in ---- */

static gboolean
ph_transfer_cmd_check_in(const PhPolicy *policy, const PhTransferInInput *input, PhPeriod month,
                         GError **error)
{
	g_autofree PhMonthTable *bases = g_new0(PhMonthTable, 1);
	g_autofree gchar *field = NULL;

	if (input->n_months > 0 &&
	    !ph_month_table_from_bases(bases, policy, input->months, input->n_months, month, &field,
	                               error))
		return FALSE;
	if (input->pooled_fund < 0 || input->pooled_fund > PH_MONEY_MAX_BALANCE)
		return ph_command_invalid(error, "AIC103", "must be 0 … 10^12 fen");
	if (input->account_balance < 0 || input->account_balance > PH_MONEY_MAX_BALANCE)
		return ph_command_invalid(error, "AIC099", "must be 0 … 10^12 fen");
	if (input->annuity_balance < 0 || input->annuity_balance > PH_MONEY_MAX_BALANCE)
		return ph_command_invalid(error, "annuity_balance", "must be 0 … 10^12 fen");
	if (input->has_deemed && (input->deemed_months < 0 || input->deemed_months > 600 ||
	                          input->deemed_index < 0 || input->deemed_index > 30000 ||
	                          (input->deemed_months > 0 && input->deemed_index < 6000)))
		return ph_command_invalid(error, "AAE200",
		                          "deemed months 0 … 600 with an index 0.6000 … 3.0000");
	return TRUE;
}

/* Refuses a received month the person already has here, before anything is written: a
 * failed COPY would abort the caller's transaction, so the refusal could not be recorded. */
static gboolean
ph_transfer_cmd_check_months_free(PhDb *db, gint64 person_id, const PhTransferInInput *input,
                                  GError **error)
{
	gchar id[24];
	g_autoptr(GString) periods = g_string_new("{");

	for (guint i = 0; i < input->n_months; i++)
		g_string_append_printf(periods, "%s%d", i > 0 ? "," : "", input->months[i].period);
	g_string_append_c(periods, '}');
	const gchar *params[] = {PH_COMMAND_INT_TEXT(id, person_id), periods->str};
	g_autoptr(PGresult) rows =
	        ph_db_query(db,
	                    "SELECT min(period) FROM contribution WHERE person_id = $1::bigint "
	                    "AND period = ANY ($2::integer[])",
	                    2, params, error);

	if (rows == NULL)
		return FALSE;
	if (!PQgetisnull(rows, 0, 0))
		return ph_command_invalid(error, "contributions",
		                          "month %s is already contributed here",
		                          PQgetvalue(rows, 0, 0));
	return TRUE;
}

/* The received months as contribution rows of source 'T' (no money credited here). */
static gboolean
ph_transfer_cmd_insert_months(PhDb *db, gint64 person_id, const PhTransferInInput *input,
                              GError **error)
{
	g_autoptr(GString) copy = g_string_new(NULL);

	if (!ph_transfer_cmd_check_months_free(db, person_id, input, error))
		return FALSE;
	for (guint i = 0; i < input->n_months; i++) {
		ph_bulk_append_int(copy, person_id, '\t');
		ph_bulk_append_int(copy, input->months[i].period, '\t');
		g_string_append(copy, "T\t\t");
		ph_bulk_append_int(copy, input->months[i].base, '\t');
		ph_bulk_append_int(copy, input->months[i].base, '\t');
		g_string_append(copy, "0\t0\t0\t0\t0\t0\n");
	}
	if (copy->len == 0)
		return TRUE;
	if (!ph_bulk_copy_in(db,
	                     "COPY contribution (person_id, period, source, unit_code, wage, base, "
	                     "employer, individual, annuity_employer, annuity_individual, "
	                     "account_credit, annuity_credit) FROM STDIN",
	                     copy->str, copy->len, error)) {
		if (g_error_matches(*error, PH_ERROR, PH_ERROR_CONFLICT)) {
			g_clear_error(error);
			return ph_command_invalid(error, "contributions",
			                          "a month is already contributed here");
		}
		return FALSE;
	}
	return TRUE;
}

static gboolean
ph_transfer_cmd_apply_in(PhDb *db, const PhPerson *person, const PhTransferInInput *input,
                         PhPeriod month, GError **error)
{
	gchar id[24], months[24], index[24];
	const gchar *params[] = {
	        PH_COMMAND_INT_TEXT(id, person->person_id),
	        input->has_deemed ? PH_COMMAND_INT_TEXT(months, input->deemed_months) : "-1",
	        PH_COMMAND_INT_TEXT(index, input->deemed_index)};

	if (!ph_transfer_cmd_insert_months(db, person->person_id, input, error) ||
	    !ph_ledger_append(db, person->person_id, month, "transfer_in", input->case_id,
	                      input->account_balance, input->annuity_balance, error))
		return FALSE;
	g_autoptr(PGresult) rows = ph_db_query(
	        db,
	        "UPDATE person SET account_closed_period = NULL, updated_at = now(), "
	        "deemed_months = CASE WHEN $2::integer >= 0 THEN $2::integer ELSE deemed_months "
	        "END, "
	        "deemed_index = CASE WHEN $2::integer >= 0 THEN $3::integer ELSE deemed_index END "
	        "WHERE person_id = $1::bigint",
	        3, params, error);
	return rows != NULL;
}

gboolean
ph_transfer_cmd_in(PhDb *db, const PhCommandContext *context, const PhTransferInInput *input,
                   PhCommandResult *outcome, GError **error)
{
	PhPerson person;
	PhTransferCase transfer = {input->case_id,
	                           "in",
	                           0,
	                           input->other_region,
	                           (gint)input->n_months,
	                           input->pooled_fund,
	                           input->account_balance,
	                           input->annuity_balance};
	gboolean repeat = FALSE;

	g_return_val_if_fail(db != NULL && context != NULL && input != NULL && outcome != NULL,
	                     FALSE);
	if (!ph_transfer_cmd_begin(db, context, input->case_id, input->id_number,
	                           input->transfer_date, input->other_region, "in", &transfer,
	                           &person, outcome, &repeat, error))
		return FALSE;
	if (repeat)
		return TRUE;
	if (!g_str_equal(person.status, "active"))
		return ph_command_invalid(error, "AAC002", "the person is %s, not enrolled here",
		                          person.status);
	if (!ph_transfer_cmd_check_in(context->policy, input, transfer.month, error) ||
	    !ph_transfer_cmd_apply_in(db, &person, input, transfer.month, error))
		return FALSE;
	JsonObject *result = json_object_new();
	json_object_set_string_member(result, "case_id", input->case_id);
	json_object_set_int_member(result, "person_id", person.person_id);
	json_object_set_int_member(result, "AAE201", input->n_months);
	json_object_set_int_member(result, "AIC099", input->account_balance);
	json_object_set_int_member(result, "annuity_balance", input->annuity_balance);
	outcome->result = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(outcome->result, result);
	if (!ph_transfer_cmd_store_case(db, person.person_id, &transfer, outcome->result, error))
		return FALSE;
	g_autofree gchar *object = g_strdup_printf("transfer:%s", input->case_id);
	return ph_command_record(db, context, "transfer-in", object, NULL, person.person_id,
	                         input->case_id, outcome->result, error);
}
