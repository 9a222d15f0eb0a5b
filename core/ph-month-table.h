/* Amounts by year and month (bases or account credits) for one person, the input of the
 * account roll and the index sum; built from a list of (period, base) with every check of
 * RULES §8. Pure; core and hub may call it. */
#pragma once

#include <glib.h>

#include "ph-period.h"
#include "ph-policy.h"

G_BEGIN_DECLS

#define PH_MONTH_TABLE_MAX_YEARS 100

/* One contribution month as the rules see it: the period and its base (AAE180). */
typedef struct {
	PhPeriod period;
	gint64 base;
} PhMonthBase;

/**
 * PhMonthTable:
 * @first_year: the year of row 0
 * @n_years: rows in use; rows past it are not initialised
 * @amount: fen by [year − @first_year][month − 1]; 0 means no entry
 *
 * Lives on the stack of a calculation: building one allocates nothing.
 */
typedef struct {
	gint first_year;
	guint n_years;
	guint n_entries;
	gint64 amount[PH_MONTH_TABLE_MAX_YEARS][12];
} PhMonthTable;

gboolean
ph_month_table_init(PhMonthTable *table, gint first_year, gint last_year, GError **error);
gint64
ph_month_table_get(const PhMonthTable *table, gint year, gint month);
gint64
ph_month_table_year_sum(const PhMonthTable *table, gint year);
gboolean
ph_month_table_from_bases(PhMonthTable *table, const PhPolicy *policy, const PhMonthBase *months,
                          guint n_months, PhPeriod before, gchar **field, GError **error);

G_END_DECLS
