/* The yearly interest close (RULES §2): every open account and annuity account earns the
 * year's interest; one interest entry per person carries the closing balances. Reads the
 * accounts on a second connection while it writes the entries (ph-bulk-stream.h), so it
 * needs a direct connection, not a pooled one; one audit entry per run. Core only;
 * pensionctl calls it. */
#pragma once

#include <glib.h>

#include "ph-command.h"

G_BEGIN_DECLS

typedef struct {
	gint year;
	gint64 accounts;         /* interest entries written by this call */
	gint64 interest;         /* Σ individual-account interest */
	gint64 annuity_interest; /* Σ annuity interest */
	gboolean provisional;    /* some rate was missing and an earlier one used */
	gboolean duplicate;      /* closed before and no account was missing */
} PhInterestCloseResult;

/* Closes @year for every open account that has a balance or credits in it. The year must
 * be over, and the previous year closed unless the ledger starts in @year. */
gboolean ph_interest_close(PhDb *db, const PhCommandContext *context, gint year,
                           PhInterestCloseResult *out, GError **error);

/* The result as JSON (year, accounts, interest, annuity_interest, interest_provisional,
 * duplicate). */
JsonNode *ph_interest_close_result_json(const PhInterestCloseResult *result);

G_END_DECLS
