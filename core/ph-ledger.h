/* The account and annuity ledger of a person (account_ledger view: contribution credits,
 * account_entry rows, paid pensions): rolling it to a closing month with the rules of
 * ph-account.c, appending entries, summing it, reading the month history. Core only. */
#pragma once

#include <glib.h>

#include "ph-db.h"
#include "ph-month-table.h"
#include "ph-policy.h"

G_BEGIN_DECLS

typedef struct {
	gint opening_year;      /* year of the last yearly close; 0 when none */
	gint64 account_balance; /* at the closing month */
	gint64 annuity_balance;
	gint64 account_interest; /* earned since the last yearly close */
	gint64 annuity_interest;
	gboolean provisional;
} PhLedgerRoll;

/* Rolls both accounts from the last yearly close (interest entry of a year) to @close
 * (RULES §2): entries before @close earn interest, entries in or after it are added as
 * they are. */
gboolean ph_ledger_roll(PhDb *db, const PhPolicy *policy, gint64 person_id, PhPeriod close,
                        PhLedgerRoll *out, GError **error);

/* Appends one account_entry (kind interest, transfer_in, transfer_out, inheritance). */
gboolean ph_ledger_append(PhDb *db, gint64 person_id, PhPeriod period, const gchar *kind,
                          const gchar *reference, gint64 account_amount, gint64 annuity_amount,
                          GError **error);

/* Writes the interest since the last close (reference "close-YYYYMM") when there is any. */
gboolean ph_ledger_append_closing_interest(PhDb *db, gint64 person_id, PhPeriod close,
                                           const PhLedgerRoll *roll, GError **error);

/* The ledger balances: the sums of every row of the person. */
gboolean ph_ledger_balance(PhDb *db, gint64 person_id, gint64 *account, gint64 *annuity,
                           GError **error);

/* Before an account closes at @close (retirement, transfer out): the person is active or
 * has left, and no contribution is charged in or after @close; else INVALID_INPUT on
 * @field. */
gboolean ph_ledger_check_closable(PhDb *db, gint64 person_id, const gchar *status, PhPeriod close,
                                  const gchar *field, GError **error);

/* Every contribution month (here or transferred in) before @before, as PhMonthBase, in
 * period order. */
GArray *ph_ledger_months(PhDb *db, gint64 person_id, PhPeriod before, GError **error);

G_END_DECLS
