/* The payout schedule (see ph-payout-schedule.h). Core only. */
#include "ph-payout-schedule.h"

#include <string.h>

#include "ph-bulk.h"
#include "ph-core-event.h"
#include "ph-error.h"
#include "ph-person.h"

/* Pensions owed for $1 without a schedule row yet, with the adjustments in force. */
#define PH_PAYOUT_SCHEDULE_MISSING                                                                 \
	"SELECT b.person_id, b.monthly_total, b.individual_account, b.annuity, "                   \
	"(SELECT coalesce(sum(a.increase), 0) FROM benefit_adjustment a "                          \
	" WHERE a.person_id = b.person_id AND a.effective_period <= $1::integer) "                 \
	"FROM benefit b LEFT JOIN death_settlement d ON d.person_id = b.person_id "                \
	"WHERE b.eligible AND b.start_period <= $1::integer "                                      \
	"AND (d.death_period IS NULL OR d.death_period >= $1::integer) "                           \
	"AND NOT EXISTS (SELECT 1 FROM payout_schedule s WHERE s.person_id = b.person_id "         \
	"AND s.period = $1::integer)"
#define PH_PAYOUT_SCHEDULE_COPY                                                                    \
	"COPY payout_schedule (person_id, period, amount, account_part, annuity_part) "            \
	"FROM STDIN"
#define PH_PAYOUT_SCHEDULE_LIST                                                                    \
	"SELECT s.person_id, p.id_number, p.name, s.period, s.amount, s.account_part, "            \
	"s.annuity_part, s.state FROM payout_schedule_state s JOIN person p "                      \
	"ON p.person_id = s.person_id WHERE s.period = $1::integer "                               \
	"AND s.state IN ('due', 'paid') ORDER BY s.person_id"

typedef struct {
	PhPayoutDueFunc func;
	gpointer user_data;
	PhPayoutDueResult *result;
} PhPayoutScheduleState;

static gboolean
ph_payout_schedule_add_row(PGresult *rows, gint row, GString *copy, gpointer user_data,
                           GError **error)
{
	PhPayoutScheduleState *state = user_data;
	gint64 amount = ph_db_get_int64(rows, row, 1) + ph_db_get_int64(rows, row, 4);

	g_string_append(copy, PQgetvalue(rows, row, 0));
	g_string_append_c(copy, '\t');
	ph_bulk_append_int(copy, state->result->period, '\t');
	ph_bulk_append_int(copy, amount, '\t');
	g_string_append(copy, PQgetvalue(rows, row, 2));
	g_string_append_c(copy, '\t');
	g_string_append(copy, PQgetvalue(rows, row, 3));
	g_string_append_c(copy, '\n');
	return TRUE;
}

static gboolean
ph_payout_schedule_list_row(PGresult *rows, gint row, GString *copy, gpointer user_data,
                            GError **error)
{
	PhPayoutScheduleState *state = user_data;
	g_autofree gchar *id_number = ph_person_open_id(PQgetvalue(rows, row, 1), error);
	if (id_number == NULL)
		return FALSE;
	PhPayoutDue due = {
	        .person_id = ph_db_get_int64(rows, row, 0),
	        .id_number = id_number,
	        .name = PQgetvalue(rows, row, 2),
	        .period = (PhPeriod)ph_db_get_int64(rows, row, 3),
	        .amount = ph_db_get_int64(rows, row, 4),
	        .account_part = ph_db_get_int64(rows, row, 5),
	        .annuity_part = ph_db_get_int64(rows, row, 6),
	        .state = PQgetvalue(rows, row, 7),
	};

	state->result->rows++;
	state->result->amount += due.amount;
	return state->func == NULL || state->func(&due, state->user_data, error);
}

static gboolean
ph_payout_schedule_record(PhDb *db, const PhCommandContext *context, const PhPayoutDueResult *out,
                          GError **error)
{
	g_autofree gchar *month = ph_period_to_string(out->period);
	g_autofree gchar *prefix = g_strdup_printf("%s#", month);
	const gchar *params[] = {prefix};
	/* The n-th list of a month that added rows (late retirees) is "YYYY-MM#n": the period
	 * lock makes n unique. */
	g_autoptr(PGresult) earlier =
	        ph_db_query(db,
	                    "SELECT count(*) + 1 FROM core_event WHERE type = 'payout_due' "
	                    "AND starts_with(business_key, $1)",
	                    1, params, error);
	if (earlier == NULL)
		return FALSE;
	g_autofree gchar *key = g_strdup_printf("%s%s", prefix, PQgetvalue(earlier, 0, 0));
	g_autoptr(JsonNode) payload = json_node_new(JSON_NODE_OBJECT);
	JsonObject *object = json_object_new();

	json_object_set_string_member(object, "period", month);
	json_object_set_int_member(object, "added", out->added);
	json_object_set_int_member(object, "rows", out->rows);
	json_object_set_int_member(object, "amount", out->amount);
	json_node_take_object(payload, object);
	g_autofree gchar *name = g_strdup_printf("payout-due:%s", month);
	return ph_command_record(db, context, "payout-due", name, PH_CORE_EVENT_PAYOUT_DUE, 0, key,
	                         payload, error);
}

gboolean
ph_payout_schedule_due(PhDb *db, const PhCommandContext *context, PhPeriod period,
                       PhPayoutDueFunc func, gpointer user_data, PhPayoutDueResult *out,
                       GError **error)
{
	PhPayoutScheduleState state = {func, user_data, out};
	gchar month[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(month, period)};

	g_return_val_if_fail(db != NULL && context != NULL && out != NULL, FALSE);
	memset(out, 0, sizeof(*out));
	out->period = period;
	if (!ph_command_check_period(context->policy, "period", period, error))
		return FALSE;
	g_autoptr(PGresult) lock = ph_db_query(
	        db, "SELECT pg_advisory_xact_lock(1886745972, $1::integer)", 1, params, error);
	if (lock == NULL ||
	    !ph_bulk_run(db, PH_PAYOUT_SCHEDULE_MISSING, 1, params, PH_PAYOUT_SCHEDULE_COPY,
	                 ph_payout_schedule_add_row, &state, &out->added, error) ||
	    !ph_bulk_run(db, PH_PAYOUT_SCHEDULE_LIST, 1, params, NULL, ph_payout_schedule_list_row,
	                 &state, NULL, error))
		return FALSE;
	out->duplicate = out->added == 0;
	if (out->duplicate)
		return TRUE;
	return ph_payout_schedule_record(db, context, out, error);
}

gboolean
ph_payout_schedule_mark_paid(PhDb *db, const PhCommandContext *context, const gchar *id_number,
                             PhPeriod period, PhCommandResult *outcome, GError **error)
{
	PhPerson person;
	gchar id[24], month[24];

	g_return_val_if_fail(db != NULL && context != NULL && outcome != NULL, FALSE);
	ph_command_result_clear(outcome);
	if (!ph_command_check_period(context->policy, "period", period, error) ||
	    !ph_person_find(db, id_number, &person, error))
		return FALSE;
	const gchar *params[] = {PH_COMMAND_INT_TEXT(id, person.person_id),
	                         PH_COMMAND_INT_TEXT(month, period)};
	g_autoptr(PGresult) rows = ph_db_query(
	        db,
	        "SELECT v.state, v.amount FROM payout_schedule s JOIN payout_schedule_state v "
	        "USING (person_id, period) WHERE s.person_id = $1::bigint "
	        "AND s.period = $2::integer FOR UPDATE OF s",
	        2, params, error);
	if (rows == NULL)
		return FALSE;
	g_autofree gchar *text = ph_period_to_string(period);
	if (PQntuples(rows) == 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_NOT_FOUND, "period: no payout due for %s",
		            text);
		return FALSE;
	}
	const gchar *state = PQgetvalue(rows, 0, 0);
	if (!g_str_equal(state, "due") && !g_str_equal(state, "paid"))
		return ph_command_invalid(error, "period", "the payout for %s was stopped (%s)",
		                          text, state);
	outcome->person_id = person.person_id;
	outcome->duplicate = g_str_equal(state, "paid");
	outcome->result = json_node_new(JSON_NODE_OBJECT);
	JsonObject *object = json_object_new();
	json_object_set_int_member(object, "person_id", person.person_id);
	json_object_set_string_member(object, "period", text);
	json_object_set_int_member(object, "amount", ph_db_get_int64(rows, 0, 1));
	json_node_take_object(outcome->result, object);
	if (outcome->duplicate)
		return TRUE;
	g_autoptr(PGresult) update = ph_db_query(
	        db,
	        "UPDATE payout_schedule SET state = 'paid' WHERE person_id = $1::bigint "
	        "AND period = $2::integer",
	        2, params, error);
	if (update == NULL)
		return FALSE;
	g_autofree gchar *object_name =
	        g_strdup_printf("payout:%" G_GINT64_FORMAT ":%d", person.person_id, period);
	return ph_command_record(db, context, "payout-paid", object_name, NULL, person.person_id,
	                         object_name, outcome->result, error);
}
