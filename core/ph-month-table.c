/* Amounts by year and month for one person, and its construction from contribution
 * months with the input checks of RULES §8. Pure; core and hub may call it. */
#include "ph-month-table.h"

#include <string.h>

#include "ph-error.h"

gboolean
ph_month_table_init(PhMonthTable *table, gint first_year, gint last_year, GError **error)
{
	if (last_year < first_year || last_year - first_year >= PH_MONTH_TABLE_MAX_YEARS) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "years %d … %d span more than %d years", first_year, last_year,
		            PH_MONTH_TABLE_MAX_YEARS);
		return FALSE;
	}
	table->first_year = first_year;
	table->n_years = last_year - first_year + 1;
	table->n_entries = 0;
	memset(table->amount, 0, sizeof(table->amount[0]) * table->n_years);
	return TRUE;
}

gint64
ph_month_table_get(const PhMonthTable *table, gint year, gint month)
{
	if (year < table->first_year || year >= table->first_year + (gint)table->n_years)
		return 0;
	return table->amount[year - table->first_year][month - 1];
}

gint64
ph_month_table_year_sum(const PhMonthTable *table, gint year)
{
	gint64 sum = 0;

	for (gint month = 1; month <= 12; month++)
		sum += ph_month_table_get(table, year, month);
	return sum;
}

static gboolean
fail_month(gchar **field, guint index, const gchar *member, GError **error, const gchar *why,
           PhPeriod period)
{
	gchar text[8];

	ph_period_format(period, text);
	if (field != NULL)
		*field = g_strdup_printf("contributions[%u].%s", index, member);
	g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "contributions[%u] (%s): %s", index,
	            text, why);
	return FALSE;
}

static gboolean
check_month(const PhPolicy *policy, const PhMonthBase *month, guint index, PhPeriod before,
            gchar **field, GError **error)
{
	if (!ph_period_valid(month->period))
		return fail_month(field, index, "period", error, "not a valid month",
		                  month->period);
	if (month->period < policy->reform_start)
		return fail_month(field, index, "period", error,
		                  "before the start of the scheme (reform_start)", month->period);
	if (month->period >= before)
		return fail_month(field, index, "period", error, "not before the closing month",
		                  month->period);
	if (month->base <= 0 || month->base > PH_MONEY_MAX_BASE)
		return fail_month(field, index, "base", error, "base must be 1 … 100000000 fen",
		                  month->period);
	return TRUE;
}

/**
 * ph_month_table_from_bases:
 * @before: the closing month (benefit start, transfer, death): every period must be
 *   earlier; the table covers the first contribution year to the year of @before
 * @field: (out) (optional): "contributions[i].period" or ".base" on failure
 *
 * Checks every month (valid, from the scheme's start, before @before, base 1 … 10^8
 * fen, no duplicate period) and files its base.
 */
gboolean
ph_month_table_from_bases(PhMonthTable *table, const PhPolicy *policy, const PhMonthBase *months,
                          guint n_months, PhPeriod before, gchar **field, GError **error)
{
	gint first_year = ph_period_year(before);

	for (guint i = 0; i < n_months; i++) {
		if (!check_month(policy, &months[i], i, before, field, error))
			return FALSE;
		first_year = MIN(first_year, ph_period_year(months[i].period));
	}
	if (!ph_month_table_init(table, first_year, ph_period_year(before), error))
		return FALSE;
	for (guint i = 0; i < n_months; i++) {
		gint64 *cell = &table->amount[ph_period_year(months[i].period) - first_year]
		                             [ph_period_month(months[i].period) - 1];
		if (*cell != 0)
			return fail_month(field, i, "period", error, "duplicate period",
			                  months[i].period);
		*cell = months[i].base;
	}
	table->n_entries = n_months;
	return TRUE;
}
