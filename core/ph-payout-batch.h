/* Bank payout batches (委托银行发放, issue 5): building a month's batches from the payout
 * schedule (one per bank, people who must not be paid left out with the reason), re-issue
 * batches for failed items whose account was corrected, and the batch's life (sent, closed).
 * Core only; the hub reaches it through hub/ph-payout-api.c and pensionctl payout. */
#pragma once

#include <glib.h>

#include "ph-command.h"

G_BEGIN_DECLS

typedef struct {
	gint64 batch_no;
	gchar *bank;
	PhPeriod period;
	gchar *kind;      /* regular, reissue */
	gchar *profile;   /* NULL until sent */
	gchar *file_name; /* NULL until sent */
	gchar *created;   /* YYYYMMDDhhmmss written in the file */
	gint64 item_count;
	gint64 total;
	gchar *state; /* built, sent, closed */
	gchar *digest;
	gchar *items_digest; /* of the items as generated (0024), NULL before */
} PhPayoutBatch;

void ph_payout_batch_free(PhPayoutBatch *batch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhPayoutBatch, ph_payout_batch_free)

typedef enum {
	PH_PAYOUT_REGULAR,
	PH_PAYOUT_REISSUE,
} PhPayoutKind;

/* What a run did. */
typedef struct {
	GPtrArray *batches;  /* PhPayoutBatch built now */
	GPtrArray *existing; /* PhPayoutBatch of (bank, period) built before (regular runs) */
	gint64 excluded;     /* people left out, listed in payout_excluded */
} PhPayoutRun;

void ph_payout_run_clear(PhPayoutRun *run);

/* In @db's open transaction: makes sure the month's schedule exists (regular runs), notes
 * who is left out and why, and builds one batch per bank (@bank NULL: every bank with
 * someone to pay) with a reserved batch number. Re-issue batches take the month's failed
 * items whose account was corrected after the failure. Nobody is in two live items for one
 * month (payout_item_once). */
gboolean ph_payout_batch_build(PhDb *db, const PhCommandContext *context, PhPayoutKind kind,
                               PhPeriod period, const gchar *bank, PhPayoutRun *run,
                               GError **error);

/* One batch; PH_ERROR_NOT_FOUND when there is none. @lock: FOR UPDATE. */
PhPayoutBatch *ph_payout_batch_get(PhDb *db, gint64 batch_no, gboolean lock, GError **error);
/* Batches of @period (0: all), newest first. */
GPtrArray *ph_payout_batch_list(PhDb *db, PhPeriod period, GError **error);

/* One item as sent; strings valid during the callback only. */
typedef struct {
	gint serial;
	gint64 person_id;
	const gchar *id_number;
	const gchar *name;
	const gchar *account;
	gint64 amount;
	const gchar *state;
	const gchar *status;
	const gchar *message;
} PhPayoutItem;

typedef gboolean (*PhPayoutItemFunc)(const PhPayoutItem *item, gpointer user_data, GError **error);

/* Streams the items of a batch in serial order through a cursor (bounded memory), with each
 * item's state as booked; needs an open transaction. The bank file's upload reads through
 * ph_payout_stream_items (ph-payout-stream.h) instead, which overlaps reading with writing. */
gboolean ph_payout_batch_foreach_item(PhDb *db, gint64 batch_no, PhPayoutItemFunc func,
                                      gpointer user_data, GError **error);

/* Records the file a batch went out as (built → sent); a repeat with the same file is
 * accepted, another file name or digest for a sent batch is PH_ERROR_CONFLICT. */
/* Stores @hex, the digest of the items of built batch @batch_no as they are written into its
 * file (hub/ph-payout-digest.c); a batch sent already keeps the one it was sent with. */
gboolean ph_payout_batch_set_items_digest(PhDb *db, gint64 batch_no, const gchar *hex,
                                          GError **error);
gboolean ph_payout_batch_mark_sent(PhDb *db, gint64 batch_no, const gchar *profile,
                                   const gchar *file_name, const gchar *digest, GError **error);

G_END_DECLS
