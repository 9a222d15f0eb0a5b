/* Step deadlines of transfer cases: 15 working days (Monday to Friday) by default. Public
 * holidays and the weekend days worked in their place are not modelled yet. */
#include "transfer-private.h"

gint64
transfer_days_deadline(gint64 from, gint64 days)
{
	g_autoptr(GDateTime) start = g_date_time_new_from_unix_utc(from);
	g_autoptr(GDateTime) day = g_date_time_ref(start);
	/* Working days are counted in China Standard Time (UTC+8), as the offices keep them. */
	gint64 counted = 0;
	while (counted < days) {
		GDateTime *next = g_date_time_add_days(day, 1);
		g_date_time_unref(day);
		day = next;
		g_autoptr(GDateTime) local = g_date_time_add_hours(day, 8);
		if (g_date_time_get_day_of_week(local) <= 5)
			counted++;
	}
	return g_date_time_to_unix(day);
}
