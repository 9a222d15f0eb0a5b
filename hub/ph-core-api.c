/* The SDK's core commands (ph-core-api.h): request strings become the core's canonical
 * inputs, the command runs on the PhTxn's connection with the policy in force for the
 * hub's region, and the core's result becomes JSON text. Host side of the plugin SDK. */
#include "pension-hub.h"
#include "ph-core-api.h"
#include "ph-core-api-private.h"

#include "ph-death-cmd.h"
#include "ph-enrolment.h"
#include "ph-payout-schedule.h"
#include "ph-plugin-private.h"
#include "ph-policy-file.h"
#include "ph-retirement.h"
#include "ph-transfer-cmd.h"
#include "ph-txn.h"

/* The policy in force (national + the hub's region) for the current month, loaded once
 * per folder, region and month and copied to each command. */
static GMutex ph_core_policy_lock;
static PhPolicy *ph_core_policy_cache;
static gchar *ph_core_policy_key;

gboolean
ph_core_load_policy(PhTxn *txn, PhPolicy *out, GError **error)
{
	const PhConfig *config = txn->plugin != NULL ? txn->plugin->config : NULL;
	const gchar *dir = config != NULL && config->policy_dir != NULL ? config->policy_dir
	                                                                : ph_policy_file_dir();
	const gchar *region = config != NULL ? config->region : NULL;
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	PhPeriod month = ph_period_make(g_date_time_get_year(now), g_date_time_get_month(now));
	g_autofree gchar *key =
	        g_strdup_printf("%s|%s|%d", dir, region != NULL ? region : "", month);
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&ph_core_policy_lock);

	if (ph_core_policy_cache == NULL || g_strcmp0(key, ph_core_policy_key) != 0) {
		g_autofree PhPolicy *policy = g_new0(PhPolicy, 1);
		if (!ph_policy_file_load(dir, region, month, policy, NULL, error))
			return FALSE;
		g_free(ph_core_policy_cache);
		g_free(ph_core_policy_key);
		ph_core_policy_cache = g_steal_pointer(&policy);
		ph_core_policy_key = g_steal_pointer(&key);
	}
	*out = *ph_core_policy_cache;
	return TRUE;
}

/* Everything one SDK call needs: the connection, the policy copy, the context. */
typedef struct {
	PhDb *db;
	PhPolicy *policy;
	PhCommandContext context;
	PhCommandResult result;
} PhCoreCall;

static void
ph_core_call_clear(PhCoreCall *call)
{
	ph_command_result_clear(&call->result);
	g_clear_pointer(&call->policy, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(PhCoreCall, ph_core_call_clear)

static gboolean
ph_core_call_init(PhCoreCall *call, PhTxn *txn, GError **error)
{
	g_return_val_if_fail(txn != NULL && txn->open, FALSE);
	call->db = ph_txn_get_db(txn);
	call->policy = g_new0(PhPolicy, 1);
	call->context.policy = call->policy;
	call->context.actor = ph_txn_get_plugin_name(txn);
	return ph_core_load_policy(txn, call->policy, error);
}

/* Hands the core's result to the SDK outcome. */
static gboolean
ph_core_call_finish(PhCoreCall *call, gboolean ok, PhCommandOutcome *outcome)
{
	if (!ok)
		return FALSE;
	ph_core_outcome_clear(outcome);
	outcome->duplicate = call->result.duplicate;
	outcome->person_id = call->result.person_id;
	outcome->result_json = call->result.result != NULL
	                               ? ph_command_json_text(call->result.result)
	                               : g_strdup("{}");
	return TRUE;
}

void
ph_core_outcome_clear(PhCommandOutcome *outcome)
{
	if (outcome == NULL)
		return;
	g_clear_pointer(&outcome->result_json, g_free);
	outcome->duplicate = FALSE;
	outcome->person_id = 0;
}

/* "1.2000" to 10^4 units; NULL or "" is 0. */
gboolean
ph_core_parse_index(const gchar *field, const gchar *text, gint32 *out, GError **error)
{
	PhDecimal value;

	*out = 0;
	if (text == NULL || text[0] == '\0')
		return TRUE;
	if (!ph_decimal_parse(text, &value, NULL) || value.scale > 4 || value.units < 0 ||
	    value.units > 100000)
		return ph_command_invalid(error, field, "'%s' is not an index with 4 decimals",
		                          text);
	*out = (gint32)(value.units * (gint64)ph_decimal_pow10(4 - value.scale));
	return TRUE;
}

static gboolean
ph_core_parse_month(const gchar *field, const gchar *text, PhPeriod *out, GError **error)
{
	if (text == NULL || !ph_period_parse(text, out, NULL))
		return ph_command_invalid(error, field, "'%s' is not a month YYYY-MM",
		                          text != NULL ? text : "");
	return TRUE;
}

gboolean
ph_core_register_unit(PhTxn *txn, const PhUnitRequest *request, PhCommandOutcome *outcome,
                      GError **error)
{
	g_auto(PhCoreCall) call = {0};
	PhUnitInput input = {request->unit_code, request->name,   request->credit_code,
	                     request->unit_type, request->region, request->funding};

	return ph_core_call_init(&call, txn, error) &&
	       ph_core_call_finish(&call,
	                           ph_enrolment_register_unit(call.db, &call.context, &input,
	                                                      &call.result, error),
	                           outcome);
}

gboolean
ph_core_enrol(PhTxn *txn, const PhEnrolRequest *request, PhCommandOutcome *outcome, GError **error)
{
	g_auto(PhCoreCall) call = {0};
	PhEnrolInput input = {
	        .person = {request->id_number, request->name, request->sex, request->ethnicity,
	                   request->birth_date, request->work_start, request->deemed_months, 0},
	        .unit_code = request->unit_code,
	        .effective = request->effective,
	        .wage = request->wage,
	};

	if (!ph_core_parse_index("DeemedIndex", request->deemed_index, &input.person.deemed_index,
	                         error) ||
	    !ph_core_call_init(&call, txn, error))
		return FALSE;
	return ph_core_call_finish(
	        &call, ph_enrolment_enrol(call.db, &call.context, &input, &call.result, error),
	        outcome);
}

gboolean
ph_core_set_wage(PhTxn *txn, const PhWageRequest *request, PhCommandOutcome *outcome,
                 GError **error)
{
	g_auto(PhCoreCall) call = {0};
	PhWageInput input = {request->id_number, request->effective, request->wage};

	return ph_core_call_init(&call, txn, error) &&
	       ph_core_call_finish(
	               &call,
	               ph_enrolment_set_wage(call.db, &call.context, &input, &call.result, error),
	               outcome);
}

gboolean
ph_core_move(PhTxn *txn, const PhMoveRequest *request, PhCommandOutcome *outcome, GError **error)
{
	g_auto(PhCoreCall) call = {0};
	PhMoveInput input = {request->id_number, request->effective, request->unit_code};

	return ph_core_call_init(&call, txn, error) &&
	       ph_core_call_finish(
	               &call,
	               ph_enrolment_move(call.db, &call.context, &input, &call.result, error),
	               outcome);
}

gboolean
ph_core_leave(PhTxn *txn, const PhLeaveRequest *request, PhCommandOutcome *outcome, GError **error)
{
	g_auto(PhCoreCall) call = {0};
	PhLeaveInput input = {request->id_number, request->effective, request->change_code};

	return ph_core_call_init(&call, txn, error) &&
	       ph_core_call_finish(
	               &call,
	               ph_enrolment_leave(call.db, &call.context, &input, &call.result, error),
	               outcome);
}

gboolean
ph_core_retire(PhTxn *txn, const PhRetireRequest *request, PhCommandOutcome *outcome,
               GError **error)
{
	g_auto(PhCoreCall) call = {0};
	PhRetireInput input = {request->id_number, request->effective, request->retire_kind,
	                       request->has_old_method_amount, request->old_method_amount};

	return ph_core_call_init(&call, txn, error) &&
	       ph_core_call_finish(
	               &call,
	               ph_retirement_retire(call.db, &call.context, &input, &call.result, error),
	               outcome);
}

gboolean
ph_core_death(PhTxn *txn, const PhDeathRequest *request, PhCommandOutcome *outcome, GError **error)
{
	g_auto(PhCoreCall) call = {0};
	PhDeathCmdInput input = {request->id_number, request->death_date};

	return ph_core_call_init(&call, txn, error) &&
	       ph_core_call_finish(
	               &call,
	               ph_death_cmd_record(call.db, &call.context, &input, &call.result, error),
	               outcome);
}

gboolean
ph_core_transfer_out(PhTxn *txn, const PhTransferOutRequest *request, PhCommandOutcome *outcome,
                     GError **error)
{
	g_auto(PhCoreCall) call = {0};
	PhTransferOutInput input = {request->case_id, request->id_number, request->transfer_date,
	                            request->other_region};

	return ph_core_call_init(&call, txn, error) &&
	       ph_core_call_finish(
	               &call,
	               ph_transfer_cmd_out(call.db, &call.context, &input, &call.result, error),
	               outcome);
}

gboolean
ph_core_transfer_out_complete(PhTxn *txn, const gchar *case_id, PhCommandOutcome *outcome,
                              GError **error)
{
	g_auto(PhCoreCall) call = {0};

	return ph_core_call_init(&call, txn, error) &&
	       ph_core_call_finish(&call,
	                           ph_transfer_cmd_complete_out(call.db, &call.context, case_id,
	                                                        &call.result, error),
	                           outcome);
}

gboolean
ph_core_transfer_out_cancel(PhTxn *txn, const gchar *case_id, PhCommandOutcome *outcome,
                            GError **error)
{
	g_auto(PhCoreCall) call = {0};

	return ph_core_call_init(&call, txn, error) &&
	       ph_core_call_finish(&call,
	                           ph_transfer_cmd_cancel_out(call.db, &call.context, case_id,
	                                                      &call.result, error),
	                           outcome);
}

gboolean
ph_core_transfer_in(PhTxn *txn, const PhTransferInRequest *request, PhCommandOutcome *outcome,
                    GError **error)
{
	g_auto(PhCoreCall) call = {0};
	g_autofree PhMonthBase *months = g_new0(PhMonthBase, MAX(request->n_months, 1));
	PhTransferInInput input = {
	        .case_id = request->case_id,
	        .id_number = request->id_number,
	        .transfer_date = request->transfer_date,
	        .other_region = request->other_region,
	        .has_deemed = request->has_deemed,
	        .deemed_months = request->deemed_months,
	        .months = months,
	        .n_months = request->n_months,
	        .pooled_fund = request->pooled_fund,
	        .account_balance = request->account_balance,
	        .annuity_balance = request->annuity_balance,
	};

	for (guint i = 0; i < request->n_months; i++) {
		g_autofree gchar *field = g_strdup_printf("contributions[%u].period", i);
		if (!ph_core_parse_month(field, request->months[i], &months[i].period, error))
			return FALSE;
		months[i].base = request->bases[i];
	}
	if (!ph_core_parse_index("DeemedIndex", request->deemed_index, &input.deemed_index,
	                         error) ||
	    !ph_core_call_init(&call, txn, error))
		return FALSE;
	return ph_core_call_finish(
	        &call, ph_transfer_cmd_in(call.db, &call.context, &input, &call.result, error),
	        outcome);
}

typedef struct {
	PhPayoutRowFunc func;
	gpointer user_data;
} PhCorePayoutRelay;

static gboolean
ph_core_payout_relay(const PhPayoutDue *due, gpointer user_data, GError **error)
{
	PhCorePayoutRelay *relay = user_data;
	gchar period[8];
	PhPayoutDueRow row = {due->person_id, due->id_number,    due->name,         period,
	                      due->amount,    due->account_part, due->annuity_part, due->state};

	ph_period_format(due->period, period);
	return relay->func(&row, relay->user_data, error);
}

gboolean
ph_core_payout_due(PhTxn *txn, const gchar *period, PhPayoutRowFunc func, gpointer user_data,
                   gint64 *rows, GError **error)
{
	g_auto(PhCoreCall) call = {0};
	PhCorePayoutRelay relay = {func, user_data};
	PhPayoutDueResult result;
	PhPeriod month = 0;

	if (!ph_core_parse_month("period", period, &month, error) ||
	    !ph_core_call_init(&call, txn, error) ||
	    !ph_payout_schedule_due(call.db, &call.context, month,
	                            func != NULL ? ph_core_payout_relay : NULL, &relay, &result,
	                            error))
		return FALSE;
	if (rows != NULL)
		*rows = result.rows;
	return TRUE;
}

gboolean
ph_core_payout_mark_paid(PhTxn *txn, const gchar *id_number, const gchar *period,
                         PhCommandOutcome *outcome, GError **error)
{
	g_auto(PhCoreCall) call = {0};
	PhPeriod month = 0;

	if (!ph_core_parse_month("period", period, &month, error) ||
	    !ph_core_call_init(&call, txn, error))
		return FALSE;
	return ph_core_call_finish(&call,
	                           ph_payout_schedule_mark_paid(call.db, &call.context, id_number,
	                                                        month, &call.result, error),
	                           outcome);
}
