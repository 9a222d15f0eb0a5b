/* The annual adjustment of pensions in payment (RULES §6). Pure; core and hub call it. */
#include "ph-adjustment.h"

#include "ph-error.h"

/* The latest rule in force at @at, or %NULL. */
const PhAdjustmentRule *
ph_adjustment_find(const PhPolicy *policy, PhPeriod at)
{
	const PhAdjustmentRule *found = NULL;

	for (guint i = 0; i < policy->n_adjustments; i++) {
		const PhAdjustmentRule *rule = &policy->adjustment[i];
		if (rule->effective <= at && (found == NULL || rule->effective > found->effective))
			found = rule;
	}
	return found;
}

/* The amount of the highest band whose age the person has reached at the rule's date. */
static gint64
band_amount(const PhAdjustmentRule *rule, gint age)
{
	gint64 amount = 0;
	gint best = -1;

	for (guint i = 0; i < rule->n_bands; i++) {
		if (rule->band[i].min_age <= age && rule->band[i].min_age > best) {
			best = rule->band[i].min_age;
			amount = rule->band[i].amount;
		}
	}
	return amount;
}

/**
 * ph_adjustment_compute:
 * @increase: (out): the monthly increase in fen; 0 when the benefit started on or after
 *   the rule's cut-off
 *
 * fixed + round_fen(basic × share) + per_year × whole years of M + the age band's amount
 * (age in whole years at the rule's effective month).
 */
gboolean
ph_adjustment_compute(const PhAdjustmentRule *rule, const PhAdjustmentInput *input,
                      gint64 *increase, GError **error)
{
	gint64 share = 0;
	gint age = 0;

	g_return_val_if_fail(rule != NULL && input != NULL && increase != NULL, FALSE);
	*increase = 0;
	if (!ph_period_valid(input->birth) || !ph_period_valid(input->start) ||
	    input->contribution_months < 0 || input->basic < 0 ||
	    input->basic > PH_MONEY_MAX_BASE) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "adjustment input out of range (birth, start, months or basic)");
		return FALSE;
	}
	if (input->start >= rule->started_before)
		return TRUE;
	if (!ph_decimal_mul_fen(input->basic, rule->basic_share, &share, error))
		return FALSE;
	age = ph_period_diff(rule->effective, input->birth) / 12;
	*increase = rule->fixed + share + rule->per_year * (input->contribution_months / 12) +
	            band_amount(rule, age);
	return TRUE;
}
