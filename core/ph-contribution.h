/* The contribution for one month (RULES §1): base clamping, employer and individual
 * amounts, the occupational annuity and the account credits. Pure; core and hub call it. */
#pragma once

#include <glib.h>

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

gboolean ph_contribution_limits(const PhPolicy *policy, PhPeriod period, gint64 *lower,
                                gint64 *upper, GError **error);
gboolean ph_contribution_compute(const PhPolicy *policy, PhPeriod period, gint64 declared_wage,
                                 PhContribution *out, GError **error);
gboolean ph_contribution_credits(const PhPolicy *policy, gint64 base, gint64 *account_credit,
                                 gint64 *annuity_credit, GError **error);
gboolean ph_contribution_credit_tables(const PhPolicy *policy, const PhMonthTable *bases,
                                       PhMonthTable *account, PhMonthTable *annuity,
                                       GError **error);

G_END_DECLS
