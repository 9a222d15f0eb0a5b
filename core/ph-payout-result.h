/* Bank result files (issue 5 §4): the results of one file are loaded into a temporary table
 * with COPY, reconciled against the batch as sent (every item exactly once, same ID number,
 * account and amount), and booked in the same transaction, or the whole file is rejected and
 * nothing is booked. Every file taken is recorded by (bank, name, size, digest). Core only;
 * the hub reaches it through hub/ph-payout-api.c. */
#pragma once

#include <glib.h>

#include "ph-command.h"

G_BEGIN_DECLS

/* The ISO 20022 reason "end customer deceased"; PH-BANK-1 status 1001 with a death
 * message is read as it too. A failure with it holds the person for review. */
#define PH_PAYOUT_REASON_DECEASED "MD07"

typedef struct {
	const gchar *bank;
	const gchar *name;
	gint64 size;
	const gchar *digest; /* "ALG hex" */
} PhPayoutResultFile;

typedef struct {
	gint64 paid_count;
	gint64 paid_total;
	gint64 failed_count;
	gint64 failed_total;
	gint64 holds; /* people held for review: the bank reported them dead */
} PhPayoutBooking;

/* TRUE in *@known when this file (bank, name, size, digest) was taken before. */
gboolean ph_payout_result_known(PhDb *db, const PhPayoutResultFile *file, gboolean *known,
                                GError **error);

/* In @db's open transaction: an empty temporary table for one file's results
 * (serial, id_number, account, amount, status, reason, bank_ref, message). */
gboolean ph_payout_result_begin(PhDb *db, GError **error);
/* COPY text lines of that table's columns, as many calls as needed. */
gboolean ph_payout_result_load(PhDb *db, const gchar *copy_text, gsize length, GError **error);

/* Reconciles the loaded results with batch @batch_no and books them, closes the batch and
 * records the file. Fails with PH_ERROR_INVALID_INPUT, having changed nothing, when the
 * batch is unknown, not sent, already closed, or any result differs from what was sent. */
gboolean ph_payout_result_book(PhDb *db, const PhCommandContext *context, gint64 batch_no,
                               const PhPayoutResultFile *file, PhPayoutBooking *out,
                               GError **error);

/* Records a file as rejected with @reason (its own statement; nothing else changes). */
gboolean ph_payout_result_reject(PhDb *db, const PhPayoutResultFile *file, gint64 batch_no,
                                 const gchar *reason, GError **error);

G_END_DECLS
