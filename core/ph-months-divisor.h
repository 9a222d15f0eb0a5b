/* The months divisor D (计发月数) for an age in years and months, exact to 0.1 month
 * (RULES §3). Pure; core and hub call it. */
#pragma once

#include <glib.h>

#include "ph-policy.h"

G_BEGIN_DECLS

gboolean
ph_months_divisor_tenths(const PhPolicy *policy, gint years, gint months, gint32 *tenths,
                         GError **error);
gchar *
ph_months_divisor_to_string(gint32 tenths);

G_END_DECLS
