/* The calculators behind `pensionctl calc`: one JSON case in, one JSON result out, for
 * operators' what-if questions and public-service estimates. Pure (no files); the CLI and
 * later the admin API call it. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "ph-policy.h"

G_BEGIN_DECLS

typedef enum {
	PH_CALC_BENEFIT,
	PH_CALC_CONTRIBUTION,
	PH_CALC_ACCOUNT,
	PH_CALC_TRANSFER,
} PhCalcKind;

gboolean
ph_calc_kind_parse(const gchar *name, PhCalcKind *out);
JsonNode *
ph_calc_run(PhCalcKind kind, const PhPolicy *defaults, JsonNode *input, gchar **field,
            GError **error);
JsonNode *
ph_calc_error_json(const gchar *code, const gchar *field, const gchar *message);

G_END_DECLS
