/* Contribution indexes (RULES §3). Pure; core and hub call it.
 *
 * Za = round4(Σ_months base / A / Ma) with A the average wage of the month's year − 1.
 * The sum is kept exact: grouped by year it is Σ_y B_y / A_y (B_y the year's bases), and
 * with T = 2·10^4 · Σ_y B_y / A_y = Q + F (Q the sum of the integer quotients, F the sum
 * of the proper fractions r_y / A_y),
 *
 *   10^4 · Za = floor((T + Ma) / (2 · Ma)) = floor((Q + floor(F) + Ma) / (2 · Ma)),
 *
 * because floor((N + f) / d) = floor(N / d) for integers N, d > 0 and 0 ≤ f < 1. Only
 * floor(F) needs the exact fraction sum; F has a denominator up to the product of all
 * distinct A_y (up to 100 values below 2^27), which a small fixed-size natural number
 * holds. Nothing is allocated. */
#include "ph-index.h"

#include <string.h>

#include "ph-error.h"

/* 100 denominators below 2^27 need 2700 bits; the numerator a few more. */
#define BIG_LIMBS 96

typedef struct {
	guint used;
	guint32 limb[BIG_LIMBS];
} Big;

static void
big_set(Big *x, guint32 value)
{
	x->used = value != 0 ? 1 : 0;
	x->limb[0] = value;
}

/* x = x × factor + addend */
static void
big_mul_add(Big *x, guint32 factor, guint32 addend)
{
	guint64 carry = addend;

	for (guint i = 0; i < x->used; i++) {
		guint64 product = (guint64)x->limb[i] * factor + carry;
		x->limb[i] = (guint32)product;
		carry = product >> 32;
	}
	if (carry != 0 && x->used < BIG_LIMBS)
		x->limb[x->used++] = (guint32)carry;
	while (x->used > 0 && x->limb[x->used - 1] == 0)
		x->used--;
}

static void
big_add(Big *x, const Big *y)
{
	guint64 carry = 0;
	guint used = MAX(x->used, y->used);

	for (guint i = 0; i < used; i++) {
		guint64 sum =
		        carry + (i < x->used ? x->limb[i] : 0) + (i < y->used ? y->limb[i] : 0);
		x->limb[i] = (guint32)sum;
		carry = sum >> 32;
	}
	x->used = used;
	if (carry != 0 && x->used < BIG_LIMBS)
		x->limb[x->used++] = (guint32)carry;
}

static gint
big_compare(const Big *x, const Big *y)
{
	if (x->used != y->used)
		return x->used < y->used ? -1 : 1;
	for (guint i = x->used; i > 0; i--) {
		if (x->limb[i - 1] != y->limb[i - 1])
			return x->limb[i - 1] < y->limb[i - 1] ? -1 : 1;
	}
	return 0;
}

/* One proper fraction r / A per distinct average wage A. */
typedef struct {
	guint n;
	guint32 numerator[PH_MONTH_TABLE_MAX_YEARS];
	guint32 denominator[PH_MONTH_TABLE_MAX_YEARS];
} FractionSet;

/* Adds r / A (0 ≤ r < A), folding equal denominators; a whole unit moves to *whole. */
static void
fractions_add(FractionSet *set, guint32 r, guint32 a, gint64 *whole)
{
	for (guint i = 0; i < set->n; i++) {
		if (set->denominator[i] == a) {
			guint64 sum = (guint64)set->numerator[i] + r;
			*whole += (gint64)(sum / a);
			set->numerator[i] = (guint32)(sum % a);
			return;
		}
	}
	set->numerator[set->n] = r;
	set->denominator[set->n] = a;
	set->n++;
}

/* floor(Σ r_i / A_i), exactly: N / D accumulated as N·A + r·D over D·A. */
static gint64
fractions_floor(const FractionSet *set)
{
	Big numerator;
	Big denominator;
	Big scaled;
	Big multiple;
	gint64 result = 0;
	guint nonzero = 0;

	for (guint i = 0; i < set->n; i++)
		nonzero += set->numerator[i] != 0;
	if (nonzero < 2)
		return 0; /* one proper fraction alone is below 1 */
	big_set(&numerator, 0);
	big_set(&denominator, 1);
	for (guint i = 0; i < set->n; i++) {
		if (set->numerator[i] == 0)
			continue;
		scaled = denominator;
		big_mul_add(&scaled, set->numerator[i], 0);
		big_mul_add(&numerator, set->denominator[i], 0);
		big_add(&numerator, &scaled);
		big_mul_add(&denominator, set->denominator[i], 0);
	}
	/* the sum of n proper fractions is below n: count multiples of D up to N */
	multiple = denominator;
	while (big_compare(&multiple, &numerator) <= 0) {
		result++;
		big_add(&multiple, &denominator);
	}
	return result;
}

static gboolean
year_average(const PhPolicy *policy, gint year, gint64 *average, gchar **field, GError **error)
{
	if (ph_policy_avg_wage(policy, year - 1, average, error))
		return TRUE;
	g_prefix_error(error, "contributions in %d: ", year);
	if (field != NULL)
		*field = g_strdup_printf("policy.avg_wage_monthly.%d", year - 1);
	return FALSE;
}

/**
 * ph_index_actual:
 * @bases: the contribution bases by month (ph_month_table_from_bases())
 * @out: (out): 10^4 × Za; 0 when there are no months
 * @field: (out) (optional): "policy.avg_wage_monthly.YYYY" when that year is missing
 */
gboolean
ph_index_actual(const PhPolicy *policy, const PhMonthTable *bases, gint32 *out, gchar **field,
                GError **error)
{
	FractionSet fractions = {0};
	gint64 whole = 0;
	gint64 months = 0;
	gint64 result = 0;

	*out = 0;
	for (guint row = 0; row < bases->n_years; row++) {
		gint year = bases->first_year + (gint)row;
		gint64 sum = ph_month_table_year_sum(bases, year);
		gint64 average = 0;
		if (sum == 0)
			continue;
		for (guint month = 0; month < 12; month++)
			months += bases->amount[row][month] != 0;
		if (!year_average(policy, year, &average, field, error))
			return FALSE;
		if (sum > 12 * PH_MONEY_MAX_BASE || average > PH_MONEY_MAX_BASE) {
			g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
			            "bases or average wage of %d out of range", year);
			return FALSE;
		}
		/* sum ≤ 12 × 10^8 and average ≤ 10^8 < 2^27: all of this fits in 64 bits */
		whole += 2 * 10000 * sum / average;
		fractions_add(&fractions, (guint32)(2 * 10000 * sum % average), (guint32)average,
		              &whole);
	}
	if (months == 0)
		return TRUE;
	whole += fractions_floor(&fractions);
	result = (whole + months) / (2 * months);
	if (result > G_MAXINT32) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "average contribution index out of range");
		return FALSE;
	}
	*out = (gint32)result;
	return TRUE;
}

/* Z = round4((Zd × Md + Za × Ma) / M); 0 when M = 0. */
gint32
ph_index_average(gint32 deemed_index, gint deemed_months, gint32 actual_index, gint actual_months)
{
	gint64 months = (gint64)deemed_months + actual_months;
	gint64 result = 0;

	if (months == 0)
		return 0;
	ph_decimal_div_round((PhWide)deemed_index * deemed_months +
	                             (PhWide)actual_index * actual_months,
	                     months, &result);
	return (gint32)result;
}
