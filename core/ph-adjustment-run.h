/* The annual adjustment run (RULES §6): applies one dated adjustment of the policy to
 * every pension in payment that started before its cut-off, with ph_adjustment_compute.
 * Streams like the contribution run; one audit entry per run. Core only. */
#pragma once

#include <glib.h>

#include "ph-command.h"

G_BEGIN_DECLS

typedef struct {
	PhPeriod effective; /* the adjustment's effective month: its id */
	gint64 persons;     /* increases written by this call */
	gint64 increase;    /* Σ monthly increases */
	gboolean duplicate; /* run before and nobody was missing */
} PhAdjustmentRunResult;

/* Runs the policy's adjustment effective in @effective; INVALID_INPUT when the policy has
 * none. A repeat adds only pensions still missing. */
gboolean ph_adjustment_run(PhDb *db, const PhCommandContext *context, PhPeriod effective,
                           PhAdjustmentRunResult *out, GError **error);

/* The result as JSON (policy: the effective month, persons, increase, duplicate). */
JsonNode *ph_adjustment_run_result_json(const PhAdjustmentRunResult *result);

G_END_DECLS
