/* The SDK's enrolment of many HIREs at once (<pension-hub/ph-personnel-api.h>): requests
 * become the core's inputs and go to ph_enrolment_bulk_enrol (new persons by COPY); a
 * request with a deemed index that does not parse goes through ph_core_enrol, which
 * refuses it in its own words. Host code. */
#include "ph-core-api-private.h"
#include "ph-enrolment-bulk.h"
#include "ph-personnel-api.h"
#include "ph-txn.h"

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
	if (!ph_core_load_policy(txn, &policy, error))
		return FALSE;
	PhCommandContext context = {&policy, ph_txn_get_plugin_name(txn)};
	g_autofree PhEnrolInput *inputs = g_new0(PhEnrolInput, n);
	g_autofree guint *map = g_new0(guint, n); /* bulk position → request index */
	g_autofree gboolean *odd = g_new0(gboolean, n);
	guint count = 0;
	for (guint i = 0; i < n; i++) {
		gint32 index = 0;
		odd[i] = !ph_core_parse_index("DeemedIndex", requests[i].deemed_index, &index,
		                              NULL);
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
