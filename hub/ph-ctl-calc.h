/* Helpers of `pensionctl calc` that other pensionctl groups share (JSON on stdout).
 * pensionctl only. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

void
ph_ctl_calc_print_json(JsonNode *node);

G_END_DECLS
