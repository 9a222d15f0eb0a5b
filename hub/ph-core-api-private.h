/* The host's side of the SDK's core commands (hub/ph-core-api.c) that other host code
 * shares (hub/ph-personnel-enrol.c): the policy in force, the index parser. Host-only. */
#pragma once

#include <glib.h>

#include "pension-hub.h"
#include "ph-policy.h"

G_BEGIN_DECLS

/* A copy of the policy in force this month for the hub's region (national plus regional
 * parameters from [hub] policy_dir), loaded once per folder, region and month. */
gboolean ph_core_load_policy(PhTxn *txn, PhPolicy *out, GError **error);
/* An index "1.2000" (4 decimals at most) as 10^4 units; NULL or "" is 0. Fails with
 * PH_ERROR_INVALID_INPUT naming @field. */
gboolean ph_core_parse_index(const gchar *field, const gchar *text, gint32 *out,
                             GError **error);

G_END_DECLS
