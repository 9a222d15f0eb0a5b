/* SDK: the core's bank payout batches for the bank adapter (plugins/bank): read a batch and
 * its lines to write the payout file, record the file sent, and reconcile a bank's result
 * file in one transaction (booked whole, or rejected whole). Implemented in
 * hub/ph-payout-api.c over core/ph-payout-batch.c and core/ph-payout-result.c. Each call
 * uses the calling worker thread's own database connection. GLib only. */
#pragma once

#include <glib.h>

#include "ph-error.h"
#include "ph-plugin.h"

G_BEGIN_DECLS

/* A batch as built by `pensionctl payout run|reissue`. */
typedef struct {
	gint64 batch_no;
	gchar *bank;    /* the bank's name in [plugin bank] banks */
	gint period;    /* YYYYMM (AAE002) */
	gchar *kind;    /* regular, reissue */
	gchar *created; /* YYYYMMDDhhmmss, fixed at build so a retried file is the same */
	gint64 item_count;
	gint64 total;     /* fen */
	gchar *state;     /* built, sent, closed */
	gchar *file_name; /* NULL until sent */
	gchar *digest;    /* "ALG hex" of the file sent, NULL until sent */
} PhPayoutHeader;

void ph_payout_api_header_free(PhPayoutHeader *header);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhPayoutHeader, ph_payout_api_header_free)

/* PH_ERROR_NOT_FOUND when there is no such batch. */
PhPayoutHeader *ph_payout_api_get_batch(PhPlugin *plugin, gint64 batch_no, GError **error);

/* What `pensionctl payout run|reissue --period` does, for a plugin's schedule: builds the
 * month's batches (one per bank, or only @bank) and queues their uploads on bank.upload in
 * one transaction. *@built receives the number of new batches (0 when the month's were
 * built before or nobody is due). */
gboolean ph_payout_api_run(PhPlugin *plugin, gint period, const gchar *bank, gboolean reissue,
                           guint *built, GError **error);

/* One person to pay; strings valid during the callback only. */
typedef struct {
	gint serial;            /* from 1 within the batch */
	const gchar *id_number; /* AAC002 */
	const gchar *name;      /* AAC003 */
	const gchar *account;   /* AAE010 */
	gint64 amount;          /* AAE019, fen */
} PhPayoutLine;

typedef gboolean (*PhPayoutLineFunc)(const PhPayoutLine *line, gpointer user_data, GError **error);

/* Streams the batch's lines in serial order (bounded memory), for writing its file: once all
 * are through, a built batch stores their digest (migration 0024), which proves a result
 * file that echoes them all (ph_payout_api_reconcile_stream). A thread of the host reads and
 * opens the lines ahead on the calling thread's database connection while @func runs on the
 * calling thread, so @func must not call anything that uses that connection (other SDK calls
 * that read or write the database) until the walk returns. */
gboolean ph_payout_api_foreach_line(PhPlugin *plugin, gint64 batch_no, PhPayoutLineFunc func,
                                    gpointer user_data, GError **error);

/* Records that the batch went out as @file_name with @digest ("ALG hex"); a repeat with the
 * same file is accepted, another file for a sent batch fails with PH_ERROR_CONFLICT. */
gboolean ph_payout_api_mark_sent(PhPlugin *plugin, gint64 batch_no, const gchar *profile,
                                 const gchar *file_name, const gchar *digest, GError **error);

/* A result file's identity: nothing with the same one is processed twice. */
typedef struct {
	const gchar *bank;
	const gchar *name;
	gint64 size;
	const gchar *digest; /* "ALG hex" */
} PhPayoutFileId;

/* When @file was taken before: how it ended, "booked" or "rejected", in *@verdict and a
 * rejection's reason in *@reason (NULL when booked), both to g_free; else both NULL. A file
 * the bank sends again is answered the same way, never booked twice. */
gboolean ph_payout_api_result_verdict(PhPlugin *plugin, const PhPayoutFileId *file,
                                      gchar **verdict, gchar **reason, GError **error);
/* Records a file as rejected with @reason (@batch_no 0 when unknown); books nothing. */
gboolean ph_payout_api_result_reject(PhPlugin *plugin, const PhPayoutFileId *file, gint64 batch_no,
                                     const gchar *reason, GError **error);

/* One result line of the bank; status "0000" is paid, anything else failed. */
typedef struct {
	gint serial;
	const gchar *id_number; /* NULL when the bank did not echo it (optional in pain.002) */
	const gchar *account;
	gint64 amount;
	const gchar *status;   /* 0000, 1001, 1002, 1003, 9999 */
	const gchar *reason;   /* ISO reason code or NULL; "MD07": account holder deceased */
	const gchar *bank_ref; /* may be NULL */
	const gchar *message;  /* may be NULL */
} PhPayoutResult;

typedef struct {
	gint64 paid_count;
	gint64 paid_total;
	gint64 failed_count;
	gint64 failed_total;
	gint64 holds; /* people held for review because the bank reported them dead */
	/* how the lines were proven equal to the items sent ("the items' digest", "line by
	 * line", "the matching query"; static), for the plugin's log */
	const gchar *proof;
} PhPayoutTotals;

/* A reconciliation: one open transaction of the calling thread from begin to book/free;
 * the results are sent to the database (one COPY) while they are added. */
typedef struct _PhPayoutReconcile PhPayoutReconcile;

PhPayoutReconcile *ph_payout_api_reconcile_begin(PhPlugin *plugin, GError **error);
gboolean ph_payout_api_reconcile_add(PhPayoutReconcile *reconcile, const PhPayoutResult *result,
                                     GError **error);
/* Fills @result with the file's next result (its strings valid until the next call), or sets
 * *@end after the last one. */
typedef gboolean (*PhPayoutResultFunc)(PhPayoutResult *result, gboolean *end, gpointer user_data,
                                       GError **error);
/* Adds every result @next gives, before any was added, once the file is known to answer
 * batch @batch_no (its header), so that a file in serial order that matches needs no
 * matching query when it is booked: for a batch whose items' digest was stored while its
 * file was generated (ph_payout_api_foreach_line), results that echo the ID number are
 * digested the same way as they are stored and no item is read (a file in another order, or
 * that differs, is compared with the items by each result's keyed fingerprint at the
 * booking), and their echoes of AAC002 and AAE010 are not stored: the plugin keeps the file
 * itself (ph-document-api.h). Otherwise the batch's items are read beside the results in
 * serial order and compared with them. The booking still names the batch and decides; an
 * error of @next is returned as it is. */
gboolean ph_payout_api_reconcile_stream(PhPayoutReconcile *reconcile, gint64 batch_no,
                                        PhPayoutResultFunc next, gpointer user_data,
                                        GError **error);
/* Ends the adding of results, so that the plugin's own statements on the worker thread's
 * connection (a kept document's record) join the booking's transaction before it. */
gboolean ph_payout_api_reconcile_finish(PhPayoutReconcile *reconcile, GError **error);
/* Reconciles every result added with batch @batch_no and, when each item of the batch is
 * answered exactly once with the ID number, account and amount sent, keeps the results as
 * received, books the failed items, holds people reported dead, closes the batch (every item
 * that did not fail is then paid) and records @file, all in one commit. Otherwise books nothing,
 * records @file as rejected with the reason, and fails with PH_ERROR_INVALID_INPUT naming it. */
gboolean ph_payout_api_reconcile_book(PhPayoutReconcile *reconcile, gint64 batch_no,
                                      const PhPayoutFileId *file, PhPayoutTotals *out,
                                      GError **error);
/* Rolls back unless booked. */
void ph_payout_api_reconcile_free(PhPayoutReconcile *reconcile);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhPayoutReconcile, ph_payout_api_reconcile_free)

G_END_DECLS
