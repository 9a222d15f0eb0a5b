/* Retirement (personnel RETIRE): closes the enrolment and the account at the benefit start,
 * computes the benefit with ph_benefit_compute from stored data and stores it with its
 * inputs. Core only; the hub calls it through ph-core-api.c. */
#pragma once

#include <glib.h>

#include "ph-benefit.h"
#include "ph-command.h"

G_BEGIN_DECLS

typedef struct {
	const gchar *id_number;   /* AAC002 */
	const gchar *effective;   /* YYYYMMDD; its month is the benefit start S (AIC160) */
	const gchar *retire_kind; /* AIC161; NULL means "2" (normal) */
	gboolean has_old_method_amount;
	gint64 old_method_amount; /* O in fen, required for a start in the transition period */
} PhRetireInput;

/* Business key: the person (one benefit each). Emits `retired`. */
gboolean ph_retirement_retire(PhDb *db, const PhCommandContext *context, const PhRetireInput *input,
                              PhCommandResult *outcome, GError **error);

/* The benefit as JSON (components, indexes, balances, transition figures). */
JsonNode *ph_retirement_benefit_json(const PhBenefit *benefit);

G_END_DECLS
