/* The amounts of a transfer out (RULES §4). Pure; core and hub call it. */
#include "ph-transfer-amount.h"

#include <string.h>

#include "ph-error.h"

/* pooled_fund = Σ_years round_fen(rate × Σ bases of that year), rate 0.12 nationally. */
gboolean
ph_transfer_amount_pooled(const PhPolicy *policy, const PhMonthTable *bases, gint64 *out,
                          GError **error)
{
	*out = 0;
	for (guint row = 0; row < bases->n_years; row++) {
		gint64 year_sum = ph_month_table_year_sum(bases, bases->first_year + (gint)row);
		gint64 share = 0;
		if (!ph_decimal_mul_fen(year_sum, policy->transfer_pooled_rate, &share, error))
			return FALSE;
		*out += share;
	}
	return TRUE;
}

static gboolean
fail_field(gchar **field, const gchar *path)
{
	if (field != NULL && *field == NULL)
		*field = g_strdup(path);
	return FALSE;
}

/**
 * ph_transfer_amount_compute:
 * @field: (out) (optional): the input path at fault on failure
 *
 * The information sheet's amounts at transfer month X: the pooled fund, the individual
 * account rolled to X, and the annuity balance (given or rolled to X).
 */
gboolean
ph_transfer_amount_compute(const PhPolicy *policy, const PhTransferInput *input,
                           PhTransferAmount *out, gchar **field, GError **error)
{
	PhMonthTable bases;
	PhAccountRoll roll;

	g_return_val_if_fail(policy != NULL && input != NULL && out != NULL, FALSE);
	memset(out, 0, sizeof(*out));
	if (!ph_period_valid(input->month) || input->month < policy->reform_start) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "month: not a month of the scheme (from reform_start)");
		return fail_field(field, "month");
	}
	if (!ph_month_table_from_bases(&bases, policy, input->months, input->n_months, input->month,
	                               field, error))
		return FALSE;
	out->months = (gint)input->n_months;
	if (!ph_transfer_amount_pooled(policy, &bases, &out->pooled_fund, error))
		return fail_field(field, "contributions");
	if (!ph_account_roll_bases(policy, PH_ACCOUNT_INDIVIDUAL, &bases, &input->account_opening,
	                           input->month, &roll, error))
		return fail_field(field, input->account_opening.present ? "account_opening"
		                                                        : "policy.interest_rates");
	out->account_balance = roll.balance;
	out->interest_provisional = roll.provisional;
	out->annuity_balance = input->annuity_balance;
	if (!input->has_annuity_balance) {
		if (!ph_account_roll_bases(policy, PH_ACCOUNT_ANNUITY, &bases, NULL, input->month,
		                           &roll, error))
			return fail_field(field, "policy.annuity_rates");
		out->annuity_balance = roll.balance;
		out->interest_provisional |= roll.provisional;
	}
	out->total = out->pooled_fund + out->account_balance;
	return TRUE;
}
