/* The SDK's payout calls (pension-hub/ph-payout-api.h) over the core's batches and results,
 * on the calling worker thread's connection. Hub layer. */
#include "pension-hub/ph-payout-api.h"

#include "ph-payout-batch.h"
#include "ph-payout-digest.h"
#include "ph-payout-result.h"
#include "ph-payout-run.h"
#include "ph-payout-stream.h"
#include "ph-worker-db.h"

struct _PhPayoutReconcile {
	PhPlugin *plugin;
	PhDb *db;
	PhPayoutResultLoad *load;
	gboolean open;
};

void
ph_payout_api_header_free(PhPayoutHeader *header)
{
	if (header == NULL)
		return;
	g_free(header->bank);
	g_free(header->kind);
	g_free(header->created);
	g_free(header->state);
	g_free(header->file_name);
	g_free(header->digest);
	g_free(header);
}

PhPayoutHeader *
ph_payout_api_get_batch(PhPlugin *plugin, gint64 batch_no, GError **error)
{
	PhDb *db = ph_worker_db_get(error);
	if (db == NULL)
		return NULL;
	g_autoptr(PhPayoutBatch) batch = ph_payout_batch_get(db, batch_no, FALSE, error);
	if (batch == NULL)
		return NULL;
	PhPayoutHeader *header = g_new0(PhPayoutHeader, 1);
	header->batch_no = batch->batch_no;
	header->bank = g_steal_pointer(&batch->bank);
	header->period = batch->period;
	header->kind = g_steal_pointer(&batch->kind);
	header->created = g_steal_pointer(&batch->created);
	header->item_count = batch->item_count;
	header->total = batch->total;
	header->state = g_steal_pointer(&batch->state);
	header->file_name = g_steal_pointer(&batch->file_name);
	header->digest = g_steal_pointer(&batch->digest);
	return header;
}

gboolean
ph_payout_api_run(PhPlugin *plugin, gint period, const gchar *bank, gboolean reissue, guint *built,
                  GError **error)
{
	PhPayoutRun run = {0};
	PhDb *db = ph_worker_db_get(error);
	if (db == NULL)
		return FALSE;
	gboolean ok = ph_payout_run_execute(db, plugin != NULL ? ph_plugin_get_name(plugin) : "hub",
	                                    reissue ? PH_PAYOUT_REISSUE : PH_PAYOUT_REGULAR,
	                                    (PhPeriod)period, bank, &run, error);
	if (ok && built != NULL)
		*built = run.batches->len;
	ph_payout_run_clear(&run);
	return ok;
}

typedef struct {
	PhPayoutLineFunc func;
	gpointer user_data;
	PhPayoutDigest *digest;
} PhPayoutApiWalk;

/* On the reading thread (ph_payout_stream_items): the digest is its alone until the end. */
static gboolean
ph_payout_api_digest(const PhPayoutItem *item, gpointer user_data, GError **error)
{
	PhPayoutApiWalk *walk = user_data;
	ph_payout_digest_add(walk->digest, item->serial, item->id_number, item->account,
	                     item->amount);
	return TRUE;
}

static gboolean
ph_payout_api_line(const PhPayoutItem *item, gpointer user_data, GError **error)
{
	PhPayoutApiWalk *walk = user_data;
	PhPayoutLine line = {item->serial, item->id_number, item->name, item->account,
	                     item->amount};
	return walk->func(&line, walk->user_data, error);
}

gboolean
ph_payout_api_foreach_line(PhPlugin *plugin, gint64 batch_no, PhPayoutLineFunc func,
                           gpointer user_data, GError **error)
{
	g_autoptr(PhPayoutDigest) digest = ph_payout_digest_new();
	PhPayoutApiWalk walk = {func, user_data, digest};
	g_return_val_if_fail(func != NULL, FALSE);
	PhDb *db = ph_worker_db_get(error);
	if (db == NULL || !ph_db_begin(db, error))
		return FALSE;
	/* the items as written into the file: their digest proves a result file that echoes
	 * them all in order without reading them back (ph_payout_api_reconcile_stream); read
	 * opened and digested by a thread of their own while this one writes the file */
	if (!ph_payout_stream_items(db, batch_no, ph_payout_api_digest, ph_payout_api_line, &walk,
	                            error) ||
	    !ph_payout_batch_set_items_digest(db, batch_no, ph_payout_digest_get_hex(digest),
	                                      error)) {
		ph_db_rollback(db);
		return FALSE;
	}
	return ph_db_commit(db, error);
}

gboolean
ph_payout_api_mark_sent(PhPlugin *plugin, gint64 batch_no, const gchar *profile,
                        const gchar *file_name, const gchar *digest, GError **error)
{
	PhDb *db = ph_worker_db_get(error);
	if (db == NULL || !ph_db_begin(db, error))
		return FALSE;
	if (!ph_payout_batch_mark_sent(db, batch_no, profile, file_name, digest, error)) {
		ph_db_rollback(db);
		return FALSE;
	}
	return ph_db_commit(db, error);
}

static void
ph_payout_api_file(const PhPayoutFileId *id, PhPayoutResultFile *file)
{
	file->bank = id->bank;
	file->name = id->name;
	file->size = id->size;
	file->digest = id->digest;
}

gboolean
ph_payout_api_result_verdict(PhPlugin *plugin, const PhPayoutFileId *id, gchar **verdict,
                             gchar **reason, GError **error)
{
	PhPayoutResultFile file;
	g_return_val_if_fail(id != NULL && verdict != NULL && reason != NULL, FALSE);
	ph_payout_api_file(id, &file);
	PhDb *db = ph_worker_db_get(error);
	return db != NULL && ph_payout_result_known(db, &file, verdict, reason, error);
}

gboolean
ph_payout_api_result_reject(PhPlugin *plugin, const PhPayoutFileId *id, gint64 batch_no,
                            const gchar *reason, GError **error)
{
	PhPayoutResultFile file;
	g_return_val_if_fail(id != NULL && reason != NULL, FALSE);
	ph_payout_api_file(id, &file);
	PhDb *db = ph_worker_db_get(error);
	return db != NULL && ph_payout_result_reject(db, &file, batch_no, reason, error);
}

PhPayoutReconcile *
ph_payout_api_reconcile_begin(PhPlugin *plugin, GError **error)
{
	PhDb *db = ph_worker_db_get(error);
	if (db == NULL || !ph_db_begin(db, error))
		return NULL;
	PhPayoutReconcile *reconcile = g_new0(PhPayoutReconcile, 1);
	reconcile->plugin = plugin;
	reconcile->db = db;
	reconcile->open = TRUE;
	reconcile->load = ph_payout_result_begin(db, error);
	if (reconcile->load == NULL) {
		ph_payout_api_reconcile_free(reconcile);
		return NULL;
	}
	return reconcile;
}

/* The SDK's result is the core's line, field by field. */
static PhPayoutResultLine
ph_payout_api_line_of(const PhPayoutResult *result)
{
	return (PhPayoutResultLine){result->serial,   result->id_number, result->account,
	                            result->amount,   result->status,    result->reason,
	                            result->bank_ref, result->message};
}

gboolean
ph_payout_api_reconcile_add(PhPayoutReconcile *reconcile, const PhPayoutResult *result,
                            GError **error)
{
	g_return_val_if_fail(reconcile != NULL && reconcile->open && result != NULL, FALSE);
	const PhPayoutResultLine line = ph_payout_api_line_of(result);
	return ph_payout_result_add(reconcile->load, &line, error);
}

typedef struct {
	PhPayoutResultFunc func;
	gpointer user_data;
	PhPayoutResult first; /* read ahead to choose how the lines are proven */
	gboolean first_end;
	gboolean first_pending;
	PhPayoutDigest *digest; /* of the lines, when proven by the items' digest */
} PhPayoutApiResults;

static gboolean
ph_payout_api_next_line(PhPayoutResultLine *line, gboolean *end, gpointer user_data, GError **error)
{
	PhPayoutApiResults *results = user_data;
	PhPayoutResult result = {0};
	if (results->first_pending) {
		results->first_pending = FALSE;
		result = results->first;
		*end = results->first_end;
	} else if (!results->func(&result, end, results->user_data, error)) {
		return FALSE;
	}
	*line = ph_payout_api_line_of(&result);
	if (!*end && results->digest != NULL && result.account != NULL)
		ph_payout_digest_add(results->digest, result.serial, result.id_number,
		                     result.account, result.amount);
	return TRUE;
}

/* Whether to prove the lines by the items' digest: for a batch generated with it, answered
 * by a file whose first line echoes the ID number (PH-BANK-1 always does, pain.002 may not).
 * Otherwise (and when the digests differ) each line is compared with the item read beside
 * it, or left to the matching query. An unknown batch is the booking's to refuse. */
static gboolean
ph_payout_api_by_digest(PhPayoutReconcile *reconcile, gint64 batch_no,
                        const PhPayoutApiResults *results, gboolean *by_digest, GError **error)
{
	g_autoptr(GError) local = NULL;
	*by_digest = FALSE;
	if (results->first_end || results->first.id_number == NULL)
		return TRUE;
	g_autoptr(PhPayoutBatch) batch =
	        ph_payout_batch_get(reconcile->db, batch_no, FALSE, &local);
	if (batch == NULL && !g_error_matches(local, PH_ERROR, PH_ERROR_NOT_FOUND)) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	*by_digest = batch != NULL && batch->items_digest != NULL;
	return TRUE;
}

gboolean
ph_payout_api_reconcile_stream(PhPayoutReconcile *reconcile, gint64 batch_no,
                               PhPayoutResultFunc next, gpointer user_data, GError **error)
{
	PhPayoutApiResults results = {next, user_data};
	gboolean by_digest = FALSE;
	g_return_val_if_fail(reconcile != NULL && reconcile->open && next != NULL, FALSE);
	if (!next(&results.first, &results.first_end, user_data, error) ||
	    !ph_payout_api_by_digest(reconcile, batch_no, &results, &by_digest, error))
		return FALSE;
	results.first_pending = TRUE;
	if (!by_digest)
		return ph_payout_result_stream(reconcile->load, batch_no, ph_payout_api_next_line,
		                               &results, error);
	g_autoptr(PhPayoutDigest) digest = ph_payout_digest_new();
	results.digest = digest;
	if (!ph_payout_result_stream_lines(reconcile->load, batch_no, ph_payout_api_next_line,
	                                   &results, error))
		return FALSE;
	ph_payout_result_prove_digest(reconcile->load, ph_payout_digest_get_hex(digest));
	return TRUE;
}

gboolean
ph_payout_api_reconcile_finish(PhPayoutReconcile *reconcile, GError **error)
{
	g_return_val_if_fail(reconcile != NULL && reconcile->open, FALSE);
	return ph_payout_result_finish_lines(reconcile->load, error);
}

/* Rolls the booking back and records the file as rejected in a transaction of its own. */
static gboolean
ph_payout_api_reject_file(PhPayoutReconcile *reconcile, gint64 batch_no,
                          const PhPayoutResultFile *file, GError *reason, GError **error)
{
	g_clear_pointer(&reconcile->load, ph_payout_result_load_free);
	ph_db_rollback(reconcile->db);
	reconcile->open = FALSE;
	if (!ph_payout_result_reject(reconcile->db, file, batch_no, reason->message, error))
		return FALSE;
	g_propagate_error(error, reason);
	return FALSE;
}

gboolean
ph_payout_api_reconcile_book(PhPayoutReconcile *reconcile, gint64 batch_no,
                             const PhPayoutFileId *id, PhPayoutTotals *out, GError **error)
{
	PhPayoutResultFile file;
	PhPayoutBooking booking;
	GError *local = NULL;
	g_return_val_if_fail(reconcile != NULL && reconcile->open && id != NULL, FALSE);
	ph_payout_api_file(id, &file);
	/* the audit actor: the plugin, or the host itself (benchmarks, tools) */
	const PhCommandContext context = {
	        NULL, reconcile->plugin != NULL ? ph_plugin_get_name(reconcile->plugin) : "hub"};
	if (!ph_payout_result_book(reconcile->load, &context, batch_no, &file, &booking, &local)) {
		if (g_error_matches(local, PH_ERROR, PH_ERROR_INVALID_INPUT))
			return ph_payout_api_reject_file(reconcile, batch_no, &file, local, error);
		g_propagate_error(error, local);
		return FALSE;
	}
	reconcile->open = FALSE;
	if (!ph_db_commit(reconcile->db, error))
		return FALSE;
	if (out != NULL) {
		out->paid_count = booking.paid_count;
		out->paid_total = booking.paid_total;
		out->failed_count = booking.failed_count;
		out->failed_total = booking.failed_total;
		out->holds = booking.holds;
		out->proof = booking.proof;
	}
	return TRUE;
}

void
ph_payout_api_reconcile_free(PhPayoutReconcile *reconcile)
{
	if (reconcile == NULL)
		return;
	/* the COPY ends before the transaction can roll back */
	g_clear_pointer(&reconcile->load, ph_payout_result_load_free);
	if (reconcile->open)
		ph_db_rollback(reconcile->db);
	g_free(reconcile);
}
