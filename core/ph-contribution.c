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
ph_contribution_credit(const PhPolicy *policy, PhAccountKind kind, gint64 base, gint64 *credit,
                       GError **error)
{
	gint64 employer = 0;
	gint64 individual = 0;

	if (kind == PH_ACCOUNT_INDIVIDUAL)
		return ph_decimal_mul_fen(base, policy->individual_rate, credit, error);
	if (!ph_decimal_mul_fen(base, policy->annuity_employer_rate, &employer, error) ||
	    !ph_decimal_mul_fen(base, policy->annuity_individual_rate, &individual, error))
		return FALSE;
	*credit = employer + individual;
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
	                        &out->annuity_individual, error))
		return FALSE;
	out->account_credit = out->individual;
	return TRUE;
}

/* Turns a table of bases into the table of one account's credits, same shape. */
gboolean
ph_contribution_credit_table(const PhPolicy *policy, PhAccountKind kind, const PhMonthTable *bases,
                             PhMonthTable *credits, GError **error)
{
	gint last_year = bases->first_year + (gint)bases->n_years - 1;

	if (!ph_month_table_init(credits, bases->first_year, last_year, error))
		return FALSE;
	for (guint row = 0; row < bases->n_years; row++) {
		for (guint month = 0; month < 12; month++) {
			if (bases->amount[row][month] != 0 &&
			    !ph_contribution_credit(policy, kind, bases->amount[row][month],
			                            &credits->amount[row][month], error))
				return FALSE;
		}
	}
	credits->n_entries = bases->n_entries;
	return TRUE;
}
