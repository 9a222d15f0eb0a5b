/* The annual adjustment of pensions in payment (RULES §6): fixed amount, share of the
 * person's basic pension, amount per whole contribution year, age band. Pure. */
#pragma once

#include <glib.h>

#include "ph-policy.h"

G_BEGIN_DECLS

typedef struct {
	PhPeriod birth;
	PhPeriod start;           /* benefit start month */
	gint contribution_months; /* M, deemed and actual */
	gint64 basic;             /* the person's basic pension */
} PhAdjustmentInput;

const PhAdjustmentRule *
ph_adjustment_find(const PhPolicy *policy, PhPeriod at);
gboolean
ph_adjustment_compute(const PhAdjustmentRule *rule, const PhAdjustmentInput *input,
                      gint64 *increase, GError **error);

G_END_DECLS
