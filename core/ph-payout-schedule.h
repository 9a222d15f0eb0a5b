/* The payout schedule: what each retiree is owed for each month (benefit total plus the
 * adjustments in force), written when a month's due list is made and streamed to the
 * caller (the bank adapter builds its batches from it). Death stops it (ph-death-cmd.c).
 * Core only; the hub calls it through ph-core-api.c. */
#pragma once

#include <glib.h>

#include "ph-command.h"

G_BEGIN_DECLS

/* One row of a month's due list; strings are valid only during the callback. */
typedef struct {
	gint64 person_id;
	const gchar *id_number; /* AAC002 */
	const gchar *name;      /* AAC003 */
	PhPeriod period;
	gint64 amount;       /* AAE019, fen */
	gint64 account_part; /* individual-account pension in it */
	gint64 annuity_part;
	const gchar *state; /* due, paid */
} PhPayoutDue;

typedef gboolean (*PhPayoutDueFunc)(const PhPayoutDue *due, gpointer user_data, GError **error);

typedef struct {
	PhPeriod period;
	gint64 added;       /* schedule rows written by this call */
	gint64 rows;        /* rows streamed */
	gint64 amount;      /* Σ amount streamed */
	gboolean duplicate; /* the month's list existed and nobody was missing */
} PhPayoutDueResult;

/* Writes the month's schedule rows still missing (pensions started by @period, person
 * alive in it), then streams every due or paid row of @period to @func (may be NULL) in
 * person order. Emits `payout_due` when rows were added. */
gboolean ph_payout_schedule_due(PhDb *db, const PhCommandContext *context, PhPeriod period,
                                PhPayoutDueFunc func, gpointer user_data, PhPayoutDueResult *out,
                                GError **error);

/* Marks (person, period) paid; a repeat is a duplicate; a stopped month is refused. */
gboolean ph_payout_schedule_mark_paid(PhDb *db, const PhCommandContext *context,
                                      const gchar *id_number, PhPeriod period,
                                      PhCommandResult *outcome, GError **error);

G_END_DECLS
