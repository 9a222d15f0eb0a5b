/* Rolling an account to a closing month with interest (RULES §2). Pure; core and hub call
 * it. Every year's interest is two products formed in 128 bits and rounded once each. */
#include "ph-account.h"

#include "ph-contribution.h"
#include "ph-error.h"

static gboolean
overflow(GError **error)
{
	g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
	            "account interest overflows: balance or rate out of range");
	return FALSE;
}

/* Monthly method (月积数法): i1 = round_fen(B × r × k / 12),
 * i2 = round_fen(r / 12 × Σ_{m≤k} credit[m] × (k − m + 1)). */
static gboolean
monthly_interest(PhDecimal rate, gint64 balance, const gint64 credit[12], gint k, gint64 *interest)
{
	PhWide denominator = 12 * ph_decimal_pow10(rate.scale);
	PhWide product = 0;
	PhWide weighted = 0;
	gint64 i1 = 0;
	gint64 i2 = 0;

	for (gint m = 1; m <= k; m++)
		weighted += (PhWide)credit[m - 1] * (k - m + 1);
	if (!ph_decimal_mul((PhWide)balance * k, rate.units, &product) ||
	    !ph_decimal_div_round(product, denominator, &i1) ||
	    !ph_decimal_mul(weighted, rate.units, &product) ||
	    !ph_decimal_div_round(product, denominator, &i2))
		return FALSE;
	*interest = i1 + i2;
	return TRUE;
}

/* Annual method (年度计算法), whole years only: i1 = round_fen(B × r),
 * i2 = round_fen(S × r × 1.083 / 2). */
static gboolean
annual_interest(PhDecimal rate, PhDecimal factor, gint64 balance, const gint64 credit[12],
                gint64 *interest)
{
	PhWide sum = 0;
	PhWide product = 0;
	gint64 i1 = 0;
	gint64 i2 = 0;

	for (gint m = 0; m < 12; m++)
		sum += credit[m];
	if (!ph_decimal_mul(balance, rate.units, &product) ||
	    !ph_decimal_div_round(product, ph_decimal_pow10(rate.scale), &i1) ||
	    !ph_decimal_mul(sum * rate.units, factor.units, &product) ||
	    !ph_decimal_div_round(product,
	                          2 * ph_decimal_pow10(rate.scale) * ph_decimal_pow10(factor.scale),
	                          &i2))
		return FALSE;
	*interest = i1 + i2;
	return TRUE;
}

/**
 * ph_account_year_interest:
 * @balance: B, the balance at the end of the previous year
 * @credit: the credits of months 1 … 12 of the year
 * @k: months of the year that earn interest (12, or the closing month − 1)
 *
 * The interest i1 + i2 of one year by the policy's method; a year with @k < 12 always
 * uses the monthly method.
 */
gboolean
ph_account_year_interest(const PhPolicy *policy, PhDecimal rate, gint64 balance,
                         const gint64 credit[12], gint k, gint64 *interest, GError **error)
{
	gboolean ok;

	g_return_val_if_fail(k >= 0 && k <= 12, FALSE);
	if (k == 12 && policy->interest_method == PH_INTEREST_ANNUAL)
		ok = annual_interest(rate, policy->annual_method_factor, balance, credit, interest);
	else
		ok = monthly_interest(rate, balance, credit, k, interest);
	return ok ? TRUE : overflow(error);
}

static void
year_credits(const PhMonthTable *credits, gint year, gint64 credit[12])
{
	for (gint month = 1; month <= 12; month++)
		credit[month - 1] = ph_month_table_get(credits, year, month);
}

static gboolean
check_opening(const PhAccountOpening *opening, PhPeriod close, GError **error)
{
	if (opening->year >= ph_period_year(close) || opening->year < PH_POLICY_FIRST_YEAR) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "account_opening.year %d must be before the closing year %d",
		            opening->year, ph_period_year(close));
		return FALSE;
	}
	if (opening->balance < 0 || opening->balance > PH_MONEY_MAX_BALANCE) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "account_opening.balance %" G_GINT64_FORMAT " is outside 0 … 10^12 fen",
		            opening->balance);
		return FALSE;
	}
	return TRUE;
}

static gboolean
roll_year(const PhPolicy *policy, const PhYearRates *rates, gint year, gint k,
          const gint64 credit[12], PhAccountRoll *out, GError **error)
{
	PhDecimal rate;
	gboolean provisional = FALSE;
	gint64 interest = 0;
	gint64 credited = 0;

	if (!ph_policy_year_rate(rates, year, &rate, &provisional)) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "no interest rate for %d nor any earlier year", year);
		return FALSE;
	}
	if (!ph_account_year_interest(policy, rate, out->balance, credit, k, &interest, error))
		return FALSE;
	for (gint m = 0; m < k; m++)
		credited += credit[m];
	out->balance += credited + interest;
	out->credited += credited;
	out->interest += interest;
	out->provisional |= provisional;
	if (out->balance > PH_MONEY_MAX_BALANCE)
		return overflow(error);
	return TRUE;
}

/**
 * ph_account_roll:
 * @credits: credits by month; every one must be before @close (the table of
 *   ph_month_table_from_bases() guarantees it)
 * @opening: (nullable): a balance at the end of a year before @close's year
 * @close: the closing month X (benefit start, transfer or death month)
 *
 * Rolls year by year from the first credited year (or the year after the opening) to
 * @close: k = 12 before X's year, k = month(X) − 1 in it (RULES §2).
 */
gboolean
ph_account_roll(const PhPolicy *policy, PhAccountKind kind, const PhMonthTable *credits,
                const PhAccountOpening *opening, PhPeriod close, PhAccountRoll *out, GError **error)
{
	const PhYearRates *rates = kind == PH_ACCOUNT_ANNUITY ? ph_policy_annuity_rates(policy)
	                                                      : &policy->interest_rates;
	gint close_year = ph_period_year(close);
	gint year = credits->first_year;

	g_return_val_if_fail(policy != NULL && credits != NULL && out != NULL, FALSE);
	out->balance = out->credited = out->interest = 0;
	out->provisional = FALSE;
	if (opening != NULL && opening->present) {
		if (!check_opening(opening, close, error))
			return FALSE;
		out->balance = opening->balance;
		year = opening->year + 1;
	}
	for (; year <= close_year; year++) {
		gint k = year < close_year ? 12 : ph_period_month(close) - 1;
		gint64 credit[12];
		if (k == 0)
			continue;
		year_credits(credits, year, credit);
		if ((out->balance == 0 && ph_month_table_year_sum(credits, year) == 0))
			continue;
		if (!roll_year(policy, rates, year, k, credit, out, error))
			return FALSE;
	}
	return TRUE;
}

/**
 * ph_account_roll_bases:
 * @bases: contribution bases by month (ph_month_table_from_bases())
 *
 * Credits each base to the @kind account (8%, or 8% + 4% for the annuity) and rolls the
 * account to @close with ph_account_roll().
 */
gboolean
ph_account_roll_bases(const PhPolicy *policy, PhAccountKind kind, const PhMonthTable *bases,
                      const PhAccountOpening *opening, PhPeriod close, PhAccountRoll *out,
                      GError **error)
{
	PhMonthTable credits;

	return ph_contribution_credit_table(policy, kind, bases, &credits, error) &&
	       ph_account_roll(policy, kind, &credits, opening, close, out, error);
}
