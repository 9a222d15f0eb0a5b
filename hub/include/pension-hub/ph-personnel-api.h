/* What the personnel adapter (plugins/personnel) asks of the host beyond the core commands
 * of <pension-hub/ph-core-api.h>: transactions of its own (a batch of a million events
 * commits in chunks), the store of batches, per-event results and receipts
 * (core/migrations/0007_personnel.sql), enrolment of many new members at once (COPY), and
 * the citizen ID check. Implemented in hub/ph-plugin-txn.c, hub/ph-personnel-batch.c,
 * hub/ph-personnel-result.c and hub/ph-personnel-enrol.c. GLib only. */
#pragma once

#include <glib.h>

#include "ph-core-api.h"
#include "ph-error.h"
#include "ph-plugin.h"

G_BEGIN_DECLS

/* ---- transactions of the plugin's own (from a job or a route handler: a worker) ----
 * BEGINs on the worker thread's connection; commit, or free to roll back. */
PhTxn *ph_plugin_txn_begin(PhPlugin *plugin, GError **error);
gboolean ph_plugin_txn_commit(PhTxn *txn, GError **error);
void ph_plugin_txn_free(PhTxn *txn);
/* For g_autoptr(PhPluginTxn) in plugins (the host has its own cleanup for PhTxn). */
typedef PhTxn PhPluginTxn;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhPluginTxn, ph_plugin_txn_free)
/* A savepoint around one command whose failure must not spoil the rest of the chunk:
 * set it, then release it after success or roll back to it after a failure. */
/* Marks @txn replayable: its work is redone from durable input when it is lost (a chunk
 * of a stored batch, with its cursor), so COMMIT need not wait for the WAL flush. A crash
 * just after such a COMMIT may lose the whole transaction, never part of it. */
gboolean ph_plugin_txn_set_replayable(PhTxn *txn, GError **error);
gboolean ph_plugin_txn_savepoint(PhTxn *txn, GError **error);
gboolean ph_plugin_txn_release(PhTxn *txn, GError **error);
gboolean ph_plugin_txn_rollback_to(PhTxn *txn, GError **error);

/* ---- batches ---- */
typedef struct {
	gchar *id; /* the hub's batch id */
	gchar *partner;
	gint64 inbox_id;
	GBytes *source;      /* the spool reference of the raw bytes */
	gchar *doc_batch_id; /* batchId of the document, NULL until checked */
	gchar *unit_code;    /* AAB001 of the document, NULL until checked */
	gchar *state;        /* "queued", "processing", "done", "rejected" */
	gchar *message;      /* why it was rejected whole, else NULL */
	gint64 cursor_seq;   /* last seq with a committed result, -1 when none */
	gint64 events;       /* events in the document, -1 until checked */
	gint64 applied;
	gint64 duplicate;
	gint64 rejected;
} PhPersonnelBatch;

void ph_personnel_batch_free(PhPersonnelBatch *batch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhPersonnelBatch, ph_personnel_batch_free)

/* Queues a batch (in the inbox handler's transaction); a repeat of @id changes nothing. */
gboolean ph_personnel_batch_register(PhTxn *txn, const gchar *id, const gchar *partner,
                                     gint64 inbox_id, GBytes *source, GError **error);
/* The oldest queued or processing batch that no other worker holds, held by this worker
 * (a session lock that dies with the connection, so a killed process frees it at once);
 * NULL without error when none is due. Release it when done. */
PhPersonnelBatch *ph_personnel_batch_claim(PhPlugin *plugin, GError **error);
void ph_personnel_batch_release(PhPlugin *plugin, const gchar *id);
/* One batch (for receipts); PH_ERROR_NOT_FOUND when unknown. */
PhPersonnelBatch *ph_personnel_batch_get(PhPlugin *plugin, const gchar *id, GError **error);
/* The document passed its check: processing starts with these header values. */
gboolean ph_personnel_batch_start(PhTxn *txn, const gchar *id, const gchar *doc_batch_id,
                                  const gchar *unit_code, gint64 events, GError **error);
/* Rejected whole (not well-formed, not a batch): nothing of it is applied. */
gboolean ph_personnel_batch_reject(PhTxn *txn, const gchar *id, const gchar *message,
                                   GError **error);
/* Moves the cursor to @cursor_seq and adds the chunk's counts; @done finishes the batch. */
gboolean ph_personnel_batch_advance(PhTxn *txn, const gchar *id, gint64 cursor_seq, gint64 applied,
                                    gint64 duplicate, gint64 rejected, gboolean done,
                                    GError **error);

/* ---- per-event results ---- */
typedef struct {
	gint64 seq;
	gchar *event_type; /* UNIT, HIRE, … as in the document */
	gchar *subject;    /* ph_personnel_result_subject() of the person's AAC002, or
	                      "unit:AAB001" for UNIT, of a rejected event (for "depends on a
	                      rejected event"); else NULL */
	gchar *status;     /* APPLIED, DUPLICATE, REJECTED */
	gchar *code;       /* NULL unless rejected */
	gchar *message;    /* NULL unless rejected */
} PhPersonnelResult;

void ph_personnel_result_clear(PhPersonnelResult *result);

/* The subject of a person's event: the keyed hash of @id_number ("h1:…") with a key file, the
 * number itself without one. It only has to match the same person's other events, so the
 * stored results hold no ID number in the clear (docs/security.md). */
gchar *ph_personnel_result_subject(const gchar *id_number);

/* Stores the results of a chunk (element type PhPersonnelResult) with COPY. */
gboolean ph_personnel_result_add(PhTxn *txn, const gchar *batch, GArray *results, GError **error);
/* Seqs in [@from, @to] that an earlier batch of the same partner and document batchId
 * applied (a re-sent batch); a set of gint64 pointers (g_int64_hash). */
GHashTable *ph_personnel_result_applied_before(PhTxn *txn, const gchar *batch, const gchar *partner,
                                               const gchar *doc_batch_id, gint64 from, gint64 to,
                                               GError **error);
/* Subjects with a rejected event in @batch, each with the first such seq (string → gint64
 * text), to carry "depends on a rejected event" across a restart. */
GHashTable *ph_personnel_result_rejected_subjects(PhTxn *txn, const gchar *batch, GError **error);
/* Up to @limit results of @batch from seq @from on, in seq order (PhPersonnelResult). */
GArray *ph_personnel_result_page(PhPlugin *plugin, const gchar *batch, gint64 from, guint limit,
                                 GError **error);

/* ---- many HIREs at once ----
 * Enrols @n members as ph_core_enrol would, one after another, but new persons (the
 * usual case) are written with COPY and one audit entry for them all. @errors receives
 * one GError per request (NULL: applied; PH_ERROR_INVALID_INPUT/CONFLICT/NOT_FOUND as
 * ph_core_enrol would fail) and @duplicates whether each was a repeat. Fails as a whole
 * only when the database fails. The requests must be of distinct persons. */
gboolean ph_personnel_enrol_many(PhTxn *txn, const PhEnrolRequest *requests, guint n,
                                 GError **errors, gboolean *duplicates, GError **error);

/* ---- identity ----
 * GB 11643 check of an 18-character citizen ID (check character, birth date, address), and
 * agreement with AAC006 and AAC004 when given (may be NULL). PH_ERROR_INVALID_INPUT. */
gboolean ph_personnel_check_citizen_id(const gchar *id_number, const gchar *birth_date,
                                       const gchar *sex, GError **error);
/* Whether @value is a code of the national table @table (e.g. "AAC004") of the hub's
 * mapping folder (standard/@table.xml, loaded once); PH_ERROR_INVALID_INPUT naming value,
 * table and standard when not, PH_ERROR_CONFIG when the table cannot be loaded. */
gboolean ph_personnel_check_code(PhPlugin *plugin, const gchar *table, const gchar *value,
                                 GError **error);

G_END_DECLS
