/* Contribution indexes (RULES §3): the average actual index Za, exact until its one
 * rounding to 4 places, and the combined index Z. Pure; core and hub call it. */
#pragma once

#include <glib.h>

#include "ph-month-table.h"
#include "ph-policy.h"

G_BEGIN_DECLS

/* Indexes are gint32 in units of 0.0001 ("1.3000" is 13000). */
#define PH_INDEX_SCALE 4

gboolean
ph_index_actual(const PhPolicy *policy, const PhMonthTable *bases, gint32 *out, gchar **field,
                GError **error);
gint32
ph_index_average(gint32 deemed_index, gint deemed_months, gint32 actual_index, gint actual_months);

G_END_DECLS
