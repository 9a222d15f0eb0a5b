/* The pension core's commands for plugins (personnel, transfer, bank adapters): each runs
 * inside the plugin's open transaction (PhTxn), takes canonical values named by their
 * national element codes, and is idempotent by its business key — a repeat sets
 * @duplicate and returns the stored result. Errors: PH_ERROR_INVALID_INPUT naming the
 * field, PH_ERROR_NOT_FOUND for an unknown person, PH_ERROR_CONFLICT for a business key
 * already used with other content. Implemented in hub/ph-core-api.c. GLib only. */
#pragma once

#include <glib.h>

#include "ph-error.h"
#include "ph-plugin.h"

G_BEGIN_DECLS

/* What a command did. Dates are "YYYYMMDD", months "YYYY-MM", money gint64 fen. */
typedef struct {
	gboolean duplicate; /* the business key was seen before; nothing applied now */
	gint64 person_id;   /* AAC001, 0 when the command is about no one person */
	gchar *result_json; /* the command's result as stored (JSON text), owned */
} PhCommandOutcome;

void ph_core_outcome_clear(PhCommandOutcome *outcome);

/* UNIT: register or update a unit. */
typedef struct {
	const gchar *unit_code;   /* AAB001 */
	const gchar *name;        /* AAB004 */
	const gchar *credit_code; /* BAB010, may be NULL */
	const gchar *unit_type;   /* AAB019, may be NULL */
	const gchar *region;      /* AAB301, may be NULL */
	const gchar *funding;     /* "full", "partial", "self"; NULL means full */
} PhUnitRequest;

/* HIRE: enrol (or re-enrol) in 险种 120 from @effective. */
typedef struct {
	const gchar *id_number;    /* AAC002 */
	const gchar *name;         /* AAC003 */
	const gchar *sex;          /* AAC004 */
	const gchar *ethnicity;    /* AAC005, may be NULL */
	const gchar *birth_date;   /* AAC006 YYYYMMDD */
	const gchar *work_start;   /* AAC007 YYYYMMDD, may be NULL */
	const gchar *unit_code;    /* AAB001 */
	const gchar *effective;    /* YYYYMMDD */
	gint64 wage;               /* declared monthly wage, fen */
	gint deemed_months;        /* AAE200 */
	const gchar *deemed_index; /* "1.2000"; NULL or "" when there are no deemed months */
} PhEnrolRequest;

/* WAGE: a new declared wage from @effective. */
typedef struct {
	const gchar *id_number; /* AAC002 */
	const gchar *effective; /* YYYYMMDD */
	gint64 wage;            /* fen */
} PhWageRequest;

/* MOVE: another unit within the pooling area from @effective. */
typedef struct {
	const gchar *id_number; /* AAC002 */
	const gchar *effective; /* YYYYMMDD */
	const gchar *unit_code; /* AAB001 */
} PhMoveRequest;

/* LEAVE: end the enrolment (AAC031 = 3); the last month is the one before @effective. */
typedef struct {
	const gchar *id_number;   /* AAC002 */
	const gchar *effective;   /* YYYYMMDD */
	const gchar *change_code; /* AAE160, may be NULL */
} PhLeaveRequest;

/* RETIRE: the benefit starts in the month of @effective. */
typedef struct {
	const gchar *id_number;   /* AAC002 */
	const gchar *effective;   /* YYYYMMDD */
	const gchar *retire_kind; /* AIC161, NULL means "2" */
	gboolean has_old_method_amount;
	gint64 old_method_amount; /* fen, required in the transition period (to 2024-09) */
} PhRetireRequest;

/* DEATH */
typedef struct {
	const gchar *id_number;  /* AAC002 */
	const gchar *death_date; /* AAE138 YYYYMMDD */
} PhDeathRequest;

/* Transfer out: compute the amounts and the information sheet (result_json); the member's
 * contributions stop (AAC031 = 2) until ph_core_transfer_out_complete() ends the enrolment
 * (AAC031 = 3) or ph_core_transfer_out_cancel() resumes them (AAC031 = 1). */
typedef struct {
	const gchar *case_id;
	const gchar *id_number;     /* AAC002 */
	const gchar *transfer_date; /* YYYYMMDD */
	const gchar *other_region;  /* OAA027, may be NULL */
} PhTransferOutRequest;

/* Transfer in: apply a received information sheet to a person enrolled here. */
typedef struct {
	const gchar *case_id;
	const gchar *id_number;     /* AAC002 */
	const gchar *transfer_date; /* YYYYMMDD */
	const gchar *other_region;  /* OAA027, may be NULL */
	gboolean has_deemed;
	gint deemed_months;         /* AAE200 */
	const gchar *deemed_index;  /* "1.2000" */
	const gchar *const *months; /* "YYYY-MM" of every month received */
	const gint64 *bases;        /* AAE180 of each month, fen */
	guint n_months;
	gint64 pooled_fund;     /* AIC103 */
	gint64 account_balance; /* AIC099 */
	gint64 annuity_balance;
} PhTransferInRequest;

/* One row of a month's payout due list; strings valid during the callback only. */
typedef struct {
	gint64 person_id;
	const gchar *id_number; /* AAC002 */
	const gchar *name;      /* AAC003 */
	const gchar *period;    /* "YYYY-MM" */
	gint64 amount;          /* AAE019 */
	gint64 account_part;
	gint64 annuity_part;
	const gchar *state; /* "due" or "paid" */
} PhPayoutDueRow;

typedef gboolean (*PhPayoutRowFunc)(const PhPayoutDueRow *row, gpointer user_data, GError **error);

gboolean ph_core_register_unit(PhTxn *txn, const PhUnitRequest *request, PhCommandOutcome *outcome,
                               GError **error);
gboolean ph_core_enrol(PhTxn *txn, const PhEnrolRequest *request, PhCommandOutcome *outcome,
                       GError **error);
gboolean ph_core_set_wage(PhTxn *txn, const PhWageRequest *request, PhCommandOutcome *outcome,
                          GError **error);
gboolean ph_core_move(PhTxn *txn, const PhMoveRequest *request, PhCommandOutcome *outcome,
                      GError **error);
gboolean ph_core_leave(PhTxn *txn, const PhLeaveRequest *request, PhCommandOutcome *outcome,
                       GError **error);
gboolean ph_core_retire(PhTxn *txn, const PhRetireRequest *request, PhCommandOutcome *outcome,
                        GError **error);
gboolean ph_core_death(PhTxn *txn, const PhDeathRequest *request, PhCommandOutcome *outcome,
                       GError **error);
gboolean ph_core_transfer_out(PhTxn *txn, const PhTransferOutRequest *request,
                              PhCommandOutcome *outcome, GError **error);
/* The other side's RECEIPT OK on transfer out @case_id: the enrolment ends (AAC031 = 3) and
 * the sent balances leave the account; a repeat is a duplicate. */
gboolean ph_core_transfer_out_complete(PhTxn *txn, const gchar *case_id, PhCommandOutcome *outcome,
                                       GError **error);
/* Transfer out @case_id was rejected or failed: a member it suspended pays again
 * (AAC031 = 1); PH_ERROR_CONFLICT when it was completed. */
gboolean ph_core_transfer_out_cancel(PhTxn *txn, const gchar *case_id, PhCommandOutcome *outcome,
                                     GError **error);
gboolean ph_core_transfer_in(PhTxn *txn, const PhTransferInRequest *request,
                             PhCommandOutcome *outcome, GError **error);

/* Makes the month's payout schedule rows still missing and streams every due or paid row
 * of @period ("YYYY-MM") to @func in person order; @rows (may be NULL) gets the count. */
gboolean ph_core_payout_due(PhTxn *txn, const gchar *period, PhPayoutRowFunc func,
                            gpointer user_data, gint64 *rows, GError **error);
/* Records that the bank paid (person, period); a repeat is a duplicate. */
gboolean ph_core_payout_mark_paid(PhTxn *txn, const gchar *id_number, const gchar *period,
                                  PhCommandOutcome *outcome, GError **error);

G_END_DECLS
