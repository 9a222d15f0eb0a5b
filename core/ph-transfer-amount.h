/* The amounts of a transfer out to another pooling area (RULES §4): pooled fund, account
 * balance rolled to the transfer month, annuity balance. Pure; core and hub call it. */
#pragma once

#include <glib.h>

#include "ph-account.h"
#include "ph-month-table.h"
#include "ph-policy.h"

G_BEGIN_DECLS

typedef struct {
	PhPeriod month;            /* X, the transfer month */
	const PhMonthBase *months; /* actual contribution months, all before X */
	guint n_months;
	PhAccountOpening account_opening;
	gboolean has_annuity_balance;
	gint64 annuity_balance; /* else rolled from the months to X */
} PhTransferInput;

typedef struct {
	gint months;
	gint64 pooled_fund; /* Σ_years round_fen(0.12 × Σ bases of the year) */
	gint64 account_balance;
	gint64 total;           /* pooled_fund + account_balance */
	gint64 annuity_balance; /* moves with the person, outside the total */
	gboolean interest_provisional;
} PhTransferAmount;

gboolean
ph_transfer_amount_compute(const PhPolicy *policy, const PhTransferInput *input,
                           PhTransferAmount *out, gchar **field, GError **error);
gboolean
ph_transfer_amount_pooled(const PhPolicy *policy, const PhMonthTable *bases, gint64 *out,
                          GError **error);

G_END_DECLS
