/* Periods (months) as YYYYMM integers: parsing "YYYY-MM", formatting and month arithmetic.
 * Pure; any layer may call it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A month as the integer YYYYMM (202410 for October 2024). */
typedef gint32 PhPeriod;

/* The scheme began in October 2014; the rules accept periods up to the end of 2100. */
#define PH_PERIOD_FIRST_YEAR 1900
#define PH_PERIOD_LAST_YEAR  2100

gboolean
ph_period_parse(const gchar *text, PhPeriod *out, GError **error);
gboolean
ph_period_valid(PhPeriod period);
void
ph_period_format(PhPeriod period, gchar buffer[8]);
gchar *
ph_period_to_string(PhPeriod period);
gint
ph_period_year(PhPeriod period);
gint
ph_period_month(PhPeriod period);
PhPeriod
ph_period_make(gint year, gint month);
gint
ph_period_ordinal(PhPeriod period);
PhPeriod
ph_period_add(PhPeriod period, gint months);
gint
ph_period_diff(PhPeriod later, PhPeriod earlier);

G_END_DECLS
