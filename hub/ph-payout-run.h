/* One payout run as a unit of work: the core builds the month's batches and their uploads
 * are queued on the bank adapter's outbox topic, in one transaction. Used by pensionctl
 * payout and by the SDK's ph_payout_api_run (the bank adapter's schedule). Host-only. */
#pragma once

#include <glib.h>

#include "ph-payout-batch.h"

G_BEGIN_DECLS

/* The topic the bank adapter delivers; the payload is the 10-digit batch number. */
#define PH_PAYOUT_RUN_TOPIC "bank.upload"

/* BEGIN, build (regular or re-issue) with the national policy, queue one upload per new
 * batch, COMMIT; @run receives what was built (clear it with ph_payout_run_clear). */
gboolean ph_payout_run_execute(PhDb *db, const gchar *actor, PhPayoutKind kind, PhPeriod period,
                               const gchar *bank, PhPayoutRun *run, GError **error);

G_END_DECLS
