/* The benefit at retirement (RULES §3). Pure; core and hub call it. Each component is one
 * exact fraction of integers (money in fen, indexes in 10^-4, D in tenths, rates as
 * decimals) rounded once with round_fen. */
#include "ph-benefit.h"

#include <string.h>

#include "ph-error.h"
#include "ph-index.h"
#include "ph-months-divisor.h"

/* Sanity limits of the person's inputs (RULES §8: impossible input is refused). */
#define MAX_DEEMED_MONTHS 600
#define MIN_AGE_YEARS     16
#define DEEMED_INDEX_LOW  6000  /* 0.6, the lower base limit */
#define DEEMED_INDEX_HIGH 30000 /* 3.0, the upper base limit */

static gboolean
fail(gchar **field, const gchar *path, GError **error, const gchar *message)
{
	if (field != NULL) {
		g_free(*field);
		*field = g_strdup(path);
	}
	g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "%s: %s", path, message);
	return FALSE;
}

/* Re-labels an error from a policy lookup with the policy key to fix. */
static gboolean
fail_policy(gchar **field, const gchar *path, GError **error)
{
	if (field != NULL && *field == NULL)
		*field = g_strdup(path);
	return FALSE;
}

static gboolean
check_person(const PhPolicy *policy, const PhBenefitInput *input, gchar **field, GError **error)
{
	if (!ph_period_valid(input->birth))
		return fail(field, "birth", error, "not a valid month");
	if (!ph_period_valid(input->start) || input->start < policy->reform_start)
		return fail(field, "retire", error,
		            "not a month of the scheme (from reform_start)");
	if (ph_period_diff(input->start, input->birth) < MIN_AGE_YEARS * 12)
		return fail(field, "retire", error, "less than 16 years after birth");
	if (input->deemed_months < 0 || input->deemed_months > MAX_DEEMED_MONTHS)
		return fail(field, "deemed_months", error, "must be 0 … 600");
	if (input->deemed_index < 0 || input->deemed_index > DEEMED_INDEX_HIGH ||
	    (input->deemed_months > 0 && input->deemed_index < DEEMED_INDEX_LOW))
		return fail(field, "deemed_index", error,
		            "must be 0.6000 … 3.0000 (0 allowed only without deemed months)");
	if (input->has_account_balance &&
	    (input->account_balance < 0 || input->account_balance > PH_MONEY_MAX_BALANCE))
		return fail(field, "account_balance", error, "must be 0 … 10^12 fen");
	if (input->has_annuity_balance &&
	    (input->annuity_balance < 0 || input->annuity_balance > PH_MONEY_MAX_BALANCE))
		return fail(field, "annuity_balance", error, "must be 0 … 10^12 fen");
	if (input->has_old_method_amount &&
	    (input->old_method_amount < 0 || input->old_method_amount > PH_MONEY_MAX_BASE))
		return fail(field, "old_method_amount", error, "must be 0 … 10^8 fen");
	if (!input->has_old_method_amount && ph_policy_in_transition(policy, input->start))
		return fail(field, "old_method_amount", error,
		            "required when the benefit starts in the transition period");
	return TRUE;
}

/* Account and annuity balances: given, or rolled from the credits to S. */
static gboolean
balances(const PhPolicy *policy, const PhBenefitInput *input, const PhMonthTable *bases,
         PhBenefit *out, gchar **field, GError **error)
{
	PhAccountRoll roll;

	out->account_balance = input->account_balance;
	out->annuity_balance = input->annuity_balance;
	if (!input->has_account_balance) {
		if (!ph_account_roll_bases(policy, PH_ACCOUNT_INDIVIDUAL, bases,
		                           &input->account_opening, input->start, &roll, error))
			return fail_policy(field,
			                   input->account_opening.present ? "account_opening"
			                                                  : "policy.interest_rates",
			                   error);
		out->account_balance = roll.balance;
		out->interest_provisional |= roll.provisional;
	}
	if (!input->has_annuity_balance) {
		if (!ph_account_roll_bases(policy, PH_ACCOUNT_ANNUITY, bases, NULL, input->start,
		                           &roll, error))
			return fail_policy(field, "policy.annuity_rates", error);
		out->annuity_balance = roll.balance;
		out->interest_provisional |= roll.provisional;
	}
	return TRUE;
}

static gboolean
round_fraction(PhWide numerator, PhWide denominator, gint64 *out, GError **error)
{
	if (ph_decimal_div_round(numerator, denominator, out))
		return TRUE;
	g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "benefit amount out of range");
	return FALSE;
}

/* transitional = round_fen(C × Zd × Nd × k) (A) or round_fen(C × (1 + Z)/2 × Nd × k) (B). */
static gboolean
transitional(const PhPolicy *policy, gint64 base, const PhBenefit *out, gint64 *amount,
             gchar **field, GError **error)
{
	PhDecimal k = policy->transition_coefficient;
	PhWide numerator;
	PhWide denominator = 10000 * 12 * ph_decimal_pow10(k.scale);

	*amount = 0;
	if (out->deemed_months == 0)
		return TRUE;
	if (!policy->has_transition_coefficient)
		return fail(field, "policy.transition_coefficient", error,
		            "required for deemed months (a provincial parameter)");
	if (policy->transition_pattern == PH_TRANSITION_PATTERN_A) {
		numerator = (PhWide)base * out->index_deemed * out->deemed_months * k.units;
	} else if (policy->transition_pattern == PH_TRANSITION_PATTERN_B) {
		numerator =
		        (PhWide)base * (10000 + out->index_average) * out->deemed_months * k.units;
		denominator *= 2;
	} else {
		return fail(field, "policy.transition_pattern", error,
		            "required for deemed months (a provincial parameter)");
	}
	return round_fraction(numerator, denominator, amount, error);
}

/* basic = round_fen(C × (1 + Z)/2 × M/12 × 1%), individual and annuity = round_fen(x / D). */
static gboolean
components(const PhPolicy *policy, const PhBenefitInput *input, PhBenefit *out, gchar **field,
           GError **error)
{
	gint64 base = 0;

	if (!ph_policy_pension_base(policy, ph_period_year(input->start), &base, error)) {
		g_autofree gchar *path = g_strdup_printf("policy.pension_base_monthly.%d",
		                                         ph_period_year(input->start));
		return fail_policy(field, path, error);
	}
	if (!ph_months_divisor_tenths(policy, out->age_years, out->age_months, &out->months_divisor,
	                              error))
		return fail_policy(field, "policy.months_divisor", error);
	if (!round_fraction((PhWide)base * (10000 + out->index_average) * out->total_months,
	                    (PhWide)2 * 10000 * 12 * 100, &out->basic, error) ||
	    !round_fraction((PhWide)out->account_balance * 10, out->months_divisor,
	                    &out->individual_account, error) ||
	    !round_fraction((PhWide)out->annuity_balance * 10, out->months_divisor, &out->annuity,
	                    error) ||
	    !transitional(policy, base, out, &out->transitional, field, error))
		return FALSE;
	out->new_method_total =
	        out->basic + out->individual_account + out->transitional + out->annuity;
	return TRUE;
}

/**
 * ph_benefit_transition:
 *
 * The comparison of the transition period (新老办法对比): outside it the new method is
 * paid; inside it O when the new method is not higher (保低), else
 * O + round_fen((new − O) × s) (限高). Fills the transition fields and monthly_total.
 */
gboolean
ph_benefit_transition(const PhPolicy *policy, PhPeriod start, gint64 new_method_total,
                      gint64 old_method_amount, PhBenefit *out, GError **error)
{
	gboolean provisional = FALSE;
	gint64 raise = 0;

	out->transition_applies = ph_policy_in_transition(policy, start);
	out->monthly_total = new_method_total;
	out->adjustment = 0;
	if (!out->transition_applies)
		return TRUE;
	out->old_method_amount = old_method_amount;
	if (!ph_policy_year_rate(&policy->transition_shares, ph_period_year(start), &out->share,
	                         &provisional) ||
	    provisional) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "no transition share (transition_shares) for %d",
		            ph_period_year(start));
		return FALSE;
	}
	if (new_method_total <= old_method_amount) {
		out->monthly_total = old_method_amount;
	} else {
		if (!ph_decimal_mul_fen(new_method_total - old_method_amount, out->share, &raise,
		                        error))
			return FALSE;
		out->monthly_total = old_method_amount + raise;
	}
	out->adjustment = out->monthly_total - new_method_total;
	return TRUE;
}

static void
not_eligible(PhBenefit *out, gint minimum)
{
	g_snprintf(out->reason, sizeof(out->reason),
	           "%d contribution months (deemed and actual) are fewer than the %d required",
	           out->total_months, minimum);
	out->eligible = FALSE;
}

/**
 * ph_benefit_compute:
 * @field: (out) (optional): the input path at fault on failure ("contributions[3].base",
 *   "policy.avg_wage_monthly.2018", "retire", …)
 *
 * Computes the benefit of RULES §3. A person with fewer than the minimum months gets
 * %TRUE with @out->eligible %FALSE, a reason, and zero amounts.
 *
 * Returns: %FALSE with %PH_ERROR_INVALID_INPUT on impossible input or a missing parameter.
 */
gboolean
ph_benefit_compute(const PhPolicy *policy, const PhBenefitInput *input, PhBenefit *out,
                   gchar **field, GError **error)
{
	PhMonthTable bases;
	gint age = 0;

	g_return_val_if_fail(policy != NULL && input != NULL && out != NULL, FALSE);
	memset(out, 0, sizeof(*out));
	if (!check_person(policy, input, field, error) ||
	    !ph_month_table_from_bases(&bases, policy, input->months, input->n_months, input->start,
	                               field, error))
		return FALSE;
	age = ph_period_diff(input->start, input->birth);
	out->age_years = age / 12;
	out->age_months = age % 12;
	out->deemed_months = input->deemed_months;
	out->actual_months = (gint)input->n_months;
	out->total_months = out->deemed_months + out->actual_months;
	out->index_deemed = input->deemed_index;
	if (!ph_index_actual(policy, &bases, &out->index_actual, field, error))
		return FALSE;
	out->index_average = ph_index_average(out->index_deemed, out->deemed_months,
	                                      out->index_actual, out->actual_months);
	if (!balances(policy, input, &bases, out, field, error))
		return FALSE;
	out->eligible = out->total_months >= policy->minimum_months;
	if (!out->eligible) {
		not_eligible(out, policy->minimum_months);
		return TRUE;
	}
	if (!components(policy, input, out, field, error))
		return FALSE;
	if (!ph_benefit_transition(policy, input->start, out->new_method_total,
	                           input->old_method_amount, out, error))
		return fail_policy(field, "policy.transition_shares", error);
	return TRUE;
}
