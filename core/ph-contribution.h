/* The contribution for one month (RULES §1): base clamping, employer and individual
 * amounts, the occupational annuity and the account credits. Pure; core and hub call it. */
#pragma once

#include <glib.h>

#include "ph-account.h"
#include "ph-month-table.h"
#include "ph-policy.h"

G_BEGIN_DECLS

typedef struct {
	PhPeriod period;
	gint64 base;       /* AAE180 */
	gint64 base_lower; /* round_fen(A × 0.6) */
	gint64 base_upper; /* round_fen(A × 3) */
	gint64 employer;   /* AAE020 */
	gint64 individual; /* AAE022 */
	gint64 annuity_employer;
	gint64 annuity_individual;
	gint64 account_credit;
} PhContribution;

gboolean
ph_contribution_limits(const PhPolicy *policy, PhPeriod period, gint64 *lower, gint64 *upper,
                       GError **error);
gboolean
ph_contribution_compute(const PhPolicy *policy, PhPeriod period, gint64 declared_wage,
                        PhContribution *out, GError **error);
gboolean
ph_contribution_credit(const PhPolicy *policy, PhAccountKind kind, gint64 base, gint64 *credit,
                       GError **error);
gboolean
ph_contribution_credit_table(const PhPolicy *policy, PhAccountKind kind, const PhMonthTable *bases,
                             PhMonthTable *credits, GError **error);

G_END_DECLS
