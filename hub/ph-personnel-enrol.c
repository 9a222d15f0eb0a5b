/* The SDK's enrolment of many HIREs at once (<pension-hub/ph-personnel-api.h>): requests
 * become the core's inputs and go to ph_enrolment_bulk_enrol (new persons by COPY); a
 * request the bulk path cannot take as given (a deemed index to parse with its error)
 * goes through ph_core_enrol. Host code. */
#include "ph-enrolment-bulk.h"
#include "ph-personnel-api.h"
#include "ph-plugin-private.h"
#include "ph-policy-file.h"
#include "ph-txn.h"

/* The policy in force this month for the plugin's region, loaded once per month. */
static GMutex ph_personnel_enrol_lock;
static PhPolicy *ph_personnel_enrol_policy;
static gchar *ph_personnel_enrol_policy_key;

static gboolean
ph_personnel_enrol_load_policy(PhTxn *txn, PhPolicy *out, GError **error)
{
	const PhConfig *config = txn->plugin != NULL ? txn->plugin->config : NULL;
	const gchar *dir = config != NULL && config->policy_dir != NULL ? config->policy_dir
	                                                                : ph_policy_file_dir();
	const gchar *region = config != NULL ? config->region : NULL;
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	PhPeriod month = ph_period_make(g_date_time_get_year(now), g_date_time_get_month(now));
	g_autofree gchar *key = g_strdup_printf("%s|%s|%d", dir, region != NULL ? region : "",
	                                        month);
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&ph_personnel_enrol_lock);
	if (ph_personnel_enrol_policy == NULL || g_strcmp0(key, ph_personnel_enrol_policy_key) != 0) {
		g_autofree PhPolicy *policy = g_new0(PhPolicy, 1);
		if (!ph_policy_file_load(dir, region, month, policy, NULL, error))
			return FALSE;
		g_free(ph_personnel_enrol_policy);
		g_free(ph_personnel_enrol_policy_key);
		ph_personnel_enrol_policy = g_steal_pointer(&policy);
		ph_personnel_enrol_policy_key = g_steal_pointer(&key);
	}
	*out = *ph_personnel_enrol_policy;
	return TRUE;
}

/* "1.2000" as 10^4 units; FALSE when the text is not such an index (ph_core_enrol then
 * gives the refusal in its own words). */
static gboolean
ph_personnel_enrol_index(const gchar *text, gint32 *out)
{
	PhDecimal value;
	*out = 0;
	if (text == NULL || text[0] == '\0')
		return TRUE;
	if (!ph_decimal_parse(text, &value, NULL) || value.scale > 4 || value.units < 0 ||
	    value.units > 100000)
		return FALSE;
	*out = (gint32)(value.units * (gint64)ph_decimal_pow10(4 - value.scale));
	return TRUE;
}

static void
ph_personnel_enrol_input(const PhEnrolRequest *request, gint32 deemed_index, PhEnrolInput *input)
{
	*input = (PhEnrolInput){
	        .person = {request->id_number, request->name, request->sex, request->ethnicity,
	                   request->birth_date, request->work_start, request->deemed_months,
	                   deemed_index},
	        .unit_code = request->unit_code,
	        .effective = request->effective,
	        .wage = request->wage,
	};
}

/* Requests with an index the bulk path cannot read, one by one through the SDK call. */
static gboolean
ph_personnel_enrol_one(PhTxn *txn, const PhEnrolRequest *request, GError **refusal,
                       gboolean *duplicate, GError **error)
{
	PhCommandOutcome outcome = {0};
	if (!ph_plugin_txn_savepoint(txn, error))
		return FALSE;
	gboolean ok = ph_core_enrol(txn, request, &outcome, refusal);
	*duplicate = outcome.duplicate;
	ph_core_outcome_clear(&outcome);
	return ok ? ph_plugin_txn_release(txn, error) : ph_plugin_txn_rollback_to(txn, error);
}

gboolean
ph_personnel_enrol_many(PhTxn *txn, const PhEnrolRequest *requests, guint n, GError **errors,
                        gboolean *duplicates, GError **error)
{
	g_return_val_if_fail(txn != NULL && txn->open && errors != NULL, FALSE);
	PhPolicy policy;
	if (!ph_personnel_enrol_load_policy(txn, &policy, error))
		return FALSE;
	PhCommandContext context = {&policy, ph_txn_get_plugin_name(txn)};
	g_autofree PhEnrolInput *inputs = g_new0(PhEnrolInput, n);
	g_autofree guint *map = g_new0(guint, n); /* bulk position → request index */
	g_autofree gboolean *odd = g_new0(gboolean, n);
	guint count = 0;
	for (guint i = 0; i < n; i++) {
		gint32 index = 0;
		odd[i] = !ph_personnel_enrol_index(requests[i].deemed_index, &index);
		if (odd[i])
			continue;
		ph_personnel_enrol_input(&requests[i], index, &inputs[count]);
		map[count++] = i;
	}
	g_autofree GError **bulk_errors = g_new0(GError *, MAX(count, 1));
	g_autofree gboolean *bulk_duplicates = g_new0(gboolean, MAX(count, 1));
	gboolean ok = ph_enrolment_bulk_enrol(ph_txn_get_db(txn), &context, inputs, count,
	                                      bulk_errors, bulk_duplicates, error);
	for (guint j = 0; j < count; j++) {
		errors[map[j]] = bulk_errors[j];
		duplicates[map[j]] = bulk_duplicates[j];
	}
	for (guint i = 0; ok && i < n; i++) {
		if (odd[i])
			ok = ph_personnel_enrol_one(txn, &requests[i], &errors[i], &duplicates[i],
			                            error);
	}
	return ok;
}
