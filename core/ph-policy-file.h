/* Reading the policy parameter files (core/policy/national.json, regions/<code>.json) into
 * a PhPolicy for a region and month. Reads files; hub and pensionctl call it, the pure
 * rules never do. */
#pragma once

#include <glib.h>

#include "ph-policy.h"

G_BEGIN_DECLS

const gchar *
ph_policy_file_dir(void);
gboolean
ph_policy_file_load_national(const gchar *dir, PhPolicy *out, GError **error);
gboolean
ph_policy_file_load(const gchar *dir, const gchar *region, PhPeriod at, PhPolicy *out,
                    GPtrArray *sources, GError **error);

G_END_DECLS
