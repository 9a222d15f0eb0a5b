/* The contribution for one month (RULES §1). Pure; core and hub call it. */
#include "ph-contribution.h"

#include "ph-error.h"

/* lower = round_fen(A × 0.6), upper = round_fen(A × 3), A = avg_wage_monthly[Y − 1]. */
gboolean
ph_contribution_limits(const PhPolicy *policy, PhPeriod period, gint64 *lower, gint64 *upper,
                       GError **error)
{
	gint64 average = 0;

	if (!ph_policy_avg_wage(policy, ph_period_year(period) - 1, &average, error))
		return FALSE;
	return ph_decimal_mul_fen(average, policy->base_lower_ratio, lower, error) &&
	       ph_decimal_mul_fen(average, policy->base_upper_ratio, upper, error);
}

/* The account credit is the individual 8%; the annuity credit is 8% + 4%, each rounded. */
gboolean
ph_contribution_credits(const PhPolicy *policy, gint64 base, gint64 *account_credit,
                        gint64 *annuity_credit, GError **error)
{
	gint64 annuity_employer = 0;
	gint64 annuity_individual = 0;

	if (!ph_decimal_mul_fen(base, policy->individual_rate, account_credit, error) ||
	    !ph_decimal_mul_fen(base, policy->annuity_employer_rate, &annuity_employer, error) ||
	    !ph_decimal_mul_fen(base, policy->annuity_individual_rate, &annuity_individual, error))
		return FALSE;
	*annuity_credit = annuity_employer + annuity_individual;
	return TRUE;
}

/**
 * ph_contribution_compute:
 * @declared_wage: the declared monthly wage W in fen, 0 … 10^8
 *
 * Returns: %FALSE with %PH_ERROR_INVALID_INPUT when the period is before the scheme, the
 * wage is out of range, or a parameter (average wage of Y − 1, employer rate) is missing.
 */
gboolean
ph_contribution_compute(const PhPolicy *policy, PhPeriod period, gint64 declared_wage,
                        PhContribution *out, GError **error)
{
	PhDecimal employer_rate;
	gint64 annuity_credit = 0;

	g_return_val_if_fail(policy != NULL && out != NULL, FALSE);
	if (!ph_period_valid(period) || period < policy->reform_start) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "period %d is not a month of the scheme", period);
		return FALSE;
	}
	if (declared_wage < 0 || declared_wage > PH_MONEY_MAX_BASE) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "declared wage %" G_GINT64_FORMAT " is outside 0 … 100000000 fen",
		            declared_wage);
		return FALSE;
	}
	out->period = period;
	if (!ph_contribution_limits(policy, period, &out->base_lower, &out->base_upper, error) ||
	    !ph_policy_employer_rate(policy, period, &employer_rate, error))
		return FALSE;
	out->base = CLAMP(declared_wage, out->base_lower, out->base_upper);
	if (!ph_decimal_mul_fen(out->base, employer_rate, &out->employer, error) ||
	    !ph_decimal_mul_fen(out->base, policy->individual_rate, &out->individual, error) ||
	    !ph_decimal_mul_fen(out->base, policy->annuity_employer_rate, &out->annuity_employer,
	                        error) ||
	    !ph_decimal_mul_fen(out->base, policy->annuity_individual_rate,
	                        &out->annuity_individual, error) ||
	    !ph_contribution_credits(policy, out->base, &out->account_credit, &annuity_credit,
	                             error))
		return FALSE;
	return TRUE;
}

/* Turns a table of bases into the tables of account and annuity credits, same shape. */
gboolean
ph_contribution_credit_tables(const PhPolicy *policy, const PhMonthTable *bases,
                              PhMonthTable *account, PhMonthTable *annuity, GError **error)
{
	gint last_year = bases->first_year + (gint)bases->n_years - 1;

	if (!ph_month_table_init(account, bases->first_year, last_year, error) ||
	    !ph_month_table_init(annuity, bases->first_year, last_year, error))
		return FALSE;
	for (guint row = 0; row < bases->n_years; row++) {
		for (guint month = 0; month < 12; month++) {
			if (bases->amount[row][month] == 0)
				continue;
			if (!ph_contribution_credits(policy, bases->amount[row][month],
			                             &account->amount[row][month],
			                             &annuity->amount[row][month], error))
				return FALSE;
		}
	}
	account->n_entries = annuity->n_entries = bases->n_entries;
	return TRUE;
}
