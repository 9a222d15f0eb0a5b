/* A batch's items streamed for its bank file (the upload's walk): read with one COPY … TO
 * STDOUT (binary) by a thread of its own that also opens the sealed AAC002 and AAE010, and
 * handed to the caller's thread in blocks, so that the server producing rows, the opening and
 * the caller writing the file overlap. Core only; the hub reaches it through
 * ph_payout_api_foreach_line. `payout show` and the tests read through
 * ph_payout_batch_foreach_item (ph-payout-batch.h), which also gives each item's state. */
#pragma once

#include <glib.h>

#include "ph-db.h"
#include "ph-payout-batch.h"

G_BEGIN_DECLS

/* Items per block handed over, and blocks in flight: they bound the memory (a few MB). */
#define PH_PAYOUT_STREAM_ITEMS  1024
#define PH_PAYOUT_STREAM_BLOCKS 8

/* Calls @func for each item of batch @batch_no in serial order with serial, person_id,
 * id_number and account (opened), name and amount set; state, status and message are NULL.
 * Reads on @db's connection inside its open transaction (so the caller sees the same
 * snapshot before and after); @func runs on the calling thread and must not use @db, which
 * the reading thread holds until the return. @ahead (may be NULL) gets each
 * item first, in the same order, on the reading thread as soon as it is opened: work that
 * needs nothing but the items (their digest) runs there beside @func; what @ahead changes in
 * @user_data is the caller's to read after the return, and @func must not touch it. When
 * either fails the rest of the rows are read and dropped, so that the connection is usable
 * (for the rollback). */
gboolean ph_payout_stream_items(PhDb *db, gint64 batch_no, PhPayoutItemFunc ahead,
                                PhPayoutItemFunc func, gpointer user_data, GError **error);

G_END_DECLS
