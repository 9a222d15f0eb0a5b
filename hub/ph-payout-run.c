/* One payout run (see ph-payout-run.h). Host-only. */
#include "ph-payout-run.h"

#include <string.h>

#include "ph-outbox.h"
#include "ph-policy-file.h"

static gboolean
ph_payout_run_queue(PhDb *db, GPtrArray *batches, GError **error)
{
	for (guint i = 0; i < batches->len; i++) {
		PhPayoutBatch *batch = g_ptr_array_index(batches, i);
		g_autofree gchar *key = g_strdup_printf("%010" G_GINT64_FORMAT, batch->batch_no);
		g_autoptr(GBytes) payload = g_bytes_new(key, strlen(key));
		if (!ph_outbox_add(db, PH_PAYOUT_RUN_TOPIC, key, payload, NULL, error))
			return FALSE;
	}
	return TRUE;
}

gboolean
ph_payout_run_execute(PhDb *db, const gchar *actor, PhPayoutKind kind, PhPeriod period,
                      const gchar *bank, PhPayoutRun *run, GError **error)
{
	g_autofree PhPolicy *policy = g_new0(PhPolicy, 1);
	g_return_val_if_fail(db != NULL && run != NULL, FALSE);
	memset(run, 0, sizeof(*run));
	if (!ph_policy_file_load_national(ph_policy_file_dir(), policy, error))
		return FALSE;
	const PhCommandContext context = {policy, actor};
	if (!ph_db_begin(db, error))
		return FALSE;
	if (!ph_payout_batch_build(db, &context, kind, period, bank, run, error) ||
	    !ph_payout_run_queue(db, run->batches, error)) {
		ph_db_rollback(db);
		return FALSE;
	}
	return ph_db_commit(db, error);
}
