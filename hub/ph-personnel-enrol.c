/* The SDK's enrolment of many HIREs at once (<pension-hub/ph-personnel-api.h>). Host code. */
#include "ph-personnel-api.h"

gboolean
ph_personnel_enrol_many(PhTxn *txn, const PhEnrolRequest *requests, guint n, GError **errors,
                        gboolean *duplicates, GError **error)
{
	for (guint i = 0; i < n; i++) {
		PhCommandOutcome outcome = {0};
		if (!ph_plugin_txn_savepoint(txn, error))
			return FALSE;
		gboolean ok = ph_core_enrol(txn, &requests[i], &outcome, &errors[i]);
		duplicates[i] = outcome.duplicate;
		ph_core_outcome_clear(&outcome);
		if (!(ok ? ph_plugin_txn_release(txn, error) : ph_plugin_txn_rollback_to(txn, error)))
			return FALSE;
	}
	return TRUE;
}
