/* Bank result files (issue 5 §4): the lines of one file are stored as received with one COPY
 * (payout_result_line), reconciled against the batch as sent (every item exactly once, same
 * ID number, account and amount), and booked in the same transaction, or the whole file is
 * rejected and nothing is booked. Every file taken is recorded by (bank, name, size, digest).
 * Core only; the hub reaches it through hub/ph-payout-api.c. */
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
	/* how the lines were proven equal to the items: PH_PAYOUT_PROOF_* (static) */
	const gchar *proof;
} PhPayoutBooking;

#define PH_PAYOUT_PROOF_DIGEST       "the items' digest"
#define PH_PAYOUT_PROOF_LINES        "line by line"
#define PH_PAYOUT_PROOF_QUERY        "the matching query"
#define PH_PAYOUT_PROOF_FINGERPRINTS "each line's fingerprint"

/* When this file (bank, name, size, digest) was taken before: its verdict ("booked" or
 * "rejected") in *@verdict and the rejection's reason in *@reason (NULL when booked), both
 * newly allocated; else both NULL. */
gboolean ph_payout_result_known(PhDb *db, const PhPayoutResultFile *file, gchar **verdict,
                                gchar **reason, GError **error);

/* One result line of the bank; status "0000" is paid, anything else failed. */
typedef struct {
	gint serial;
	const gchar *id_number; /* NULL when the profile does not echo it */
	const gchar *account;
	gint64 amount;
	const gchar *status;
	const gchar *reason; /* ISO reason code or NULL */
	const gchar *bank_ref;
	const gchar *message;
} PhPayoutResultLine;

/* One file's results on their way into payout_result_line: a single COPY kept open while the
 * file is read, so that the server stores lines while the caller parses the next ones. */
typedef struct _PhPayoutResultLoad PhPayoutResultLoad;

/* In @db's open transaction: reserves the file's id; the COPY starts with the first line. */
PhPayoutResultLoad *ph_payout_result_begin(PhDb *db, GError **error);
/* Adds one line; a serial answered twice or outside 1 … 99,999,999 is noted for the
 * booking to reject. */
gboolean ph_payout_result_add(PhPayoutResultLoad *load, const PhPayoutResultLine *line,
                              GError **error);

/* Fills @line with the file's next line (its strings valid until the next call), or sets
 * *@end after the last one. */
typedef gboolean (*PhPayoutResultNextFunc)(PhPayoutResultLine *line, gboolean *end,
                                           gpointer user_data, GError **error);

/* Adds every line @next gives, as ph_payout_result_add() would, before any line was added,
 * for a file that answers batch @batch_no: the batch's items are read in serial order on a
 * second connection (ph-bulk-stream.h) and each line is compared in C with the item read
 * beside it, while the lines are stored. A file answering every item in serial order, each
 * with its ID number, account and amount, then needs no matching query at the booking;
 * any other file (out of order, short, long, different) is left to that query, which names
 * the first line that does not match. */
gboolean ph_payout_result_stream(PhPayoutResultLoad *load, gint64 batch_no,
                                 PhPayoutResultNextFunc next, gpointer user_data, GError **error);
/* Instead of ph_payout_result_stream(), for batch @batch_no whose items' digest was stored
 * when its file was generated (payout_batch.items_digest, 0024): the lines are stored without
 * their echoes of AAC002 and AAE010 (NULL; the file's kept copy holds them), and no item is
 * read. The caller digests the lines as it hands them on (hub/ph-payout-digest.c) and gives
 * that digest to ph_payout_result_prove_digest(). Each line's keyed fingerprint (SipHash-2-4
 * under a key drawn for this file, 8 bytes per item of the batch in memory) is kept too: a
 * file the digest does not prove (another order, or a line that differs) is checked line by
 * line against the items, read and opened once, at the booking. */
gboolean ph_payout_result_stream_lines(PhPayoutResultLoad *load, gint64 batch_no,
                                       PhPayoutResultNextFunc next, gpointer user_data,
                                       GError **error);
/* After ph_payout_result_stream_lines(): @lines_digest, of the lines in the order they came,
 * equal to the batch's items' digest proves every item answered once, in serial order, with
 * its ID number, account and amount; any other file is left to the fingerprints. */
void ph_payout_result_prove_digest(PhPayoutResultLoad *load, const gchar *lines_digest);
/* Ends the storing of lines (a COPY still open after ph_payout_result_add), so that the
 * transaction's connection can run other statements before the booking. */
gboolean ph_payout_result_finish_lines(PhPayoutResultLoad *load, GError **error);

/* Ends the COPY, reconciles the lines with batch @batch_no and books them: failed items (with
 * the bank's answer, for re-issue), holds for people reported dead, the batch closed, the
 * file recorded. Paid items and their schedule rows are not rewritten: an item not failed in
 * a closed batch is paid (views payout_item_state, payout_schedule_state). Fails with
 * PH_ERROR_INVALID_INPUT when the batch is unknown, not sent, sent to a bank other than
 * @file's, already closed, or the lines are not each item exactly once with its ID number,
 * account and amount; with PH_ERROR_CONFLICT when the batch is not yet recorded as sent
 * (the answer came before the upload's retry recorded it: to be taken again later). The
 * caller then rolls back, and nothing was booked. */
gboolean ph_payout_result_book(PhPayoutResultLoad *load, const PhCommandContext *context,
                               gint64 batch_no, const PhPayoutResultFile *file,
                               PhPayoutBooking *out, GError **error);

/* Ends a COPY still open (the caller rolls back) and frees. */
void ph_payout_result_load_free(PhPayoutResultLoad *load);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhPayoutResultLoad, ph_payout_result_load_free)

/* Records a file as rejected with @reason (its own statement; nothing else changes). */
gboolean ph_payout_result_reject(PhDb *db, const PhPayoutResultFile *file, gint64 batch_no,
                                 const gchar *reason, GError **error);

G_END_DECLS
