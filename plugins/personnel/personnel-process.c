/* Processing a stored batch: the whole document is checked first (nothing of a document
 * that is not well-formed is applied), then its events are applied in seq order in chunks,
 * each chunk's effects, results and cursor committed together, so that a crash resumes
 * after the last committed chunk with the same receipt. Plugin-only. */
#include <string.h>

#include "personnel.h"

/* Batches taken per job run at most, so that a run ends now and then. */
#define PERSONNEL_BATCHES_PER_RUN 16

/* One chunk on its way to a commit. */
struct _PersonnelChunk {
	Personnel *personnel;
	PhPersonnelBatch *batch;
	PhTxn *txn;
	GArray *results;            /* PhPersonnelResult, in seq order */
	GHashTable *applied_before; /* seqs a re-sent batch applied already */
	GHashTable *rejected;       /* subject key → first rejected seq (text), whole batch */
	GMutex *rejected_lock;      /* rejected is shared with the other lane */
	/* HIREs waiting for one ph_personnel_enrol_many call */
	GArray *hires;             /* PhEnrolRequest */
	GArray *hire_slots;        /* guint: index into results */
	GHashTable *hire_subjects; /* AAC002 of the waiting HIREs */
	gint64 applied, duplicate, rejected_count;
	gint64 last_seq; /* of the events applied, -1 for none */
	gint64 spent[PERSONNEL_PHASES];
};

static void
personnel_chunk_clear(PersonnelChunk *chunk)
{
	g_clear_pointer(&chunk->results, g_array_unref);
	g_clear_pointer(&chunk->applied_before, g_hash_table_unref);
	g_clear_pointer(&chunk->hires, g_array_unref);
	g_clear_pointer(&chunk->hire_slots, g_array_unref);
	g_clear_pointer(&chunk->hire_subjects, g_hash_table_unref);
	g_clear_pointer(&chunk->txn, ph_plugin_txn_free);
}

static void
personnel_chunk_reset(PersonnelChunk *chunk)
{
	personnel_chunk_clear(chunk);
	chunk->results = g_array_new(FALSE, TRUE, sizeof(PhPersonnelResult));
	g_array_set_clear_func(chunk->results, (GDestroyNotify)ph_personnel_result_clear);
	chunk->hires = g_array_new(FALSE, TRUE, sizeof(PhEnrolRequest));
	chunk->hire_slots = g_array_new(FALSE, TRUE, sizeof(guint));
	chunk->hire_subjects = g_hash_table_new(g_str_hash, g_str_equal);
	chunk->applied = chunk->duplicate = chunk->rejected_count = 0;
}

static guint
personnel_chunk_add(PersonnelChunk *chunk, const PersonnelEvent *event, gchar *subject)
{
	PhPersonnelResult result = {
	        .seq = event->seq,
	        .event_type = g_strdup(event->type_text),
	        .subject = subject,
	};
	g_array_append_val(chunk->results, result);
	return chunk->results->len - 1;
}

/* The key of a subject in the rejected set and in stored results: a person's AAC002 as its
 * keyed hash (ph_personnel_result_subject), a unit's "unit:AAB001" as it is. Computed only
 * for a rejection or a look-up among rejections, which are rare. */
static gchar *
personnel_subject_key(const gchar *subject)
{
	if (subject == NULL || g_str_has_prefix(subject, "unit:"))
		return g_strdup(subject);
	return ph_personnel_result_subject(subject);
}

static void
personnel_chunk_set(PersonnelChunk *chunk, guint slot, const gchar *status,
                    PersonnelRejection *rejection)
{
	PhPersonnelResult *result = &g_array_index(chunk->results, PhPersonnelResult, slot);
	result->status = g_strdup(status);
	if (rejection != NULL) {
		result->code = g_strdup(rejection->code);
		/* Stored and answered as UTF-8 whatever a check's words quote: the core's own
		 * checks mask and quote whole characters, but a refusal that cut one in two would
		 * otherwise stop the batch for good (its results could not be stored). */
		result->message = g_utf8_make_valid(rejection->message, -1);
		chunk->rejected_count++;
		/* stored, so the person is named by keyed hash from here on */
		gchar *key = personnel_subject_key(result->subject);
		g_free(result->subject);
		result->subject = key;
		g_mutex_lock(chunk->rejected_lock);
		if (result->subject != NULL &&
		    !g_hash_table_contains(chunk->rejected, result->subject))
			g_hash_table_insert(chunk->rejected, g_strdup(result->subject),
			                    g_strdup_printf("%" G_GINT64_FORMAT, result->seq));
		g_mutex_unlock(chunk->rejected_lock);
		return;
	}
	/* The subject serves only to find what depends on a rejection: the ID number of a
	 * person whose event was applied is not stored again. */
	g_clear_pointer(&result->subject, g_free);
	if (g_str_equal(status, "APPLIED"))
		chunk->applied++;
	else
		chunk->duplicate++;
}

/* Applies the waiting HIREs (new persons go in with COPY). */
static gboolean
personnel_chunk_flush(PersonnelChunk *chunk, GError **error)
{
	guint n = chunk->hires->len;
	if (n == 0)
		return TRUE;
	g_autofree GError **errors = g_new0(GError *, n);
	g_autofree gboolean *duplicates = g_new0(gboolean, n);
	gint64 start = g_get_monotonic_time();
	if (!ph_personnel_enrol_many(chunk->txn, (PhEnrolRequest *)chunk->hires->data, n, errors,
	                             duplicates, error))
		return FALSE;
	personnel_chunk_spent(chunk, PERSONNEL_PHASE_HIRES, start);
	gboolean ok = TRUE;
	for (guint i = 0; i < n; i++) {
		guint slot = g_array_index(chunk->hire_slots, guint, i);
		PersonnelRejection rejection = {0};
		if (errors[i] == NULL)
			personnel_chunk_set(chunk, slot, duplicates[i] ? "DUPLICATE" : "APPLIED",
			                    NULL);
		else if (personnel_apply_classify(errors[i], &rejection))
			personnel_chunk_set(chunk, slot, "REJECTED", &rejection);
		else if (ok) {
			ok = FALSE;
			g_propagate_error(error, g_steal_pointer(&errors[i]));
		}
		personnel_rejection_clear(&rejection);
		g_clear_error(&errors[i]);
	}
	g_array_set_size(chunk->hires, 0);
	g_array_set_size(chunk->hire_slots, 0);
	g_hash_table_remove_all(chunk->hire_subjects);
	return ok;
}

/* The rejected event this one depends on (same person, or the unit it joins), or NULL. */
static gchar *
personnel_chunk_dependency(PersonnelChunk *chunk, const PersonnelEvent *event, const gchar *subject,
                           const gchar **what)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(chunk->rejected_lock);
	if (g_hash_table_size(chunk->rejected) == 0)
		return NULL;
	g_autofree gchar *key = personnel_subject_key(subject);
	const gchar *seq = key != NULL ? g_hash_table_lookup(chunk->rejected, key) : NULL;
	*what = "the same person";
	if (seq == NULL && (event->type == PERSONNEL_HIRE || event->type == PERSONNEL_MOVE)) {
		const gchar *unit = event->fields[PERSONNEL_AAB001] != NULL
		                            ? event->fields[PERSONNEL_AAB001]
		                            : chunk->batch->unit_code;
		g_autofree gchar *unit_key = g_strconcat("unit:", unit != NULL ? unit : "", NULL);
		seq = g_hash_table_lookup(chunk->rejected, unit_key);
		*what = "its unit";
	}
	return g_strdup(seq);
}

static gboolean
personnel_chunk_event(PersonnelChunk *chunk, const PersonnelEvent *event, GError **error)
{
	gchar *subject = personnel_event_subject(event, chunk->batch->unit_code);
	guint slot = personnel_chunk_add(chunk, event, subject);
	PersonnelRejection rejection = {0};
	const gchar *what = NULL;
	gboolean duplicate = FALSE;

	if (g_hash_table_contains(chunk->applied_before, &event->seq)) {
		personnel_chunk_set(chunk, slot, "DUPLICATE", NULL);
		return TRUE;
	}
	/* A person's later event waits for the HIREs before it, whose refusals it depends on;
	 * a UNIT event too, since the HIREs before it must not see its unit. */
	if (((subject != NULL && g_hash_table_contains(chunk->hire_subjects, subject)) ||
	     event->type == PERSONNEL_UNIT) &&
	    !personnel_chunk_flush(chunk, error))
		return FALSE;
	g_autofree gchar *depends = personnel_chunk_dependency(chunk, event, subject, &what);
	if (depends != NULL) {
		rejection.code = "DEPENDS_ON_REJECTED";
		rejection.message = g_strdup_printf("event %s of %s was rejected: correct it and "
		                                    "send both again",
		                                    depends, what);
	} else if (personnel_check_event(chunk->personnel, event, &rejection, error)) {
		if (event->type == PERSONNEL_HIRE) {
			PhEnrolRequest request;
			personnel_apply_hire_request(event, chunk->batch->unit_code, &request);
			g_array_append_val(chunk->hires, request);
			g_array_append_val(chunk->hire_slots, slot);
			g_hash_table_add(chunk->hire_subjects, (gpointer)request.id_number);
			return TRUE;
		}
		if (personnel_apply_event(chunk->personnel, chunk->txn, event,
		                          chunk->batch->unit_code, &duplicate, &rejection, error)) {
			personnel_chunk_set(chunk, slot, duplicate ? "DUPLICATE" : "APPLIED", NULL);
			return TRUE;
		}
		if (rejection.code == NULL)
			return FALSE; /* a failure of the chunk, in @error */
	} else if (rejection.code == NULL) {
		return FALSE; /* the event could not be checked, in @error */
	}
	personnel_chunk_set(chunk, slot, "REJECTED", &rejection);
	personnel_rejection_clear(&rejection);
	return TRUE;
}

PersonnelChunk *
personnel_chunk_new(Personnel *personnel, PhPersonnelBatch *batch, GHashTable *rejected,
                    GMutex *rejected_lock)
{
	PersonnelChunk *chunk = g_new0(PersonnelChunk, 1);
	chunk->personnel = personnel;
	chunk->batch = batch;
	chunk->rejected = rejected;
	chunk->rejected_lock = rejected_lock;
	return chunk;
}

void
personnel_chunk_free(PersonnelChunk *chunk)
{
	if (chunk == NULL)
		return;
	personnel_chunk_clear(chunk); /* rolls back what was not committed */
	g_free(chunk);
}

/* Applies @events (read, not yet applied) and writes their results in a transaction left
 * open for personnel_chunk_commit. */
gboolean
personnel_chunk_apply(PersonnelChunk *chunk, GArray *events, GError **error)
{
	PhPersonnelBatch *batch = chunk->batch;
	gint64 first = events->len > 0 ? g_array_index(events, PersonnelEvent, 0).seq : 0;
	gint64 last =
	        events->len > 0 ? g_array_index(events, PersonnelEvent, events->len - 1).seq : 0;
	personnel_chunk_reset(chunk);
	chunk->last_seq = events->len > 0 ? last : -1;
	chunk->txn = ph_plugin_txn_begin(chunk->personnel->plugin, error);
	/* A chunk lost in a crash is applied again from the spooled batch and its cursor. */
	if (chunk->txn == NULL || !ph_plugin_txn_set_replayable(chunk->txn, error))
		return FALSE;
	chunk->applied_before = ph_personnel_result_applied_before(
	        chunk->txn, batch->id, batch->partner, batch->doc_batch_id, first, last, error);
	if (chunk->applied_before == NULL)
		return FALSE;
	gint64 start = g_get_monotonic_time();
	for (guint i = 0; i < events->len; i++) {
		if (!personnel_chunk_event(chunk, &g_array_index(events, PersonnelEvent, i), error))
			return FALSE;
	}
	if (!personnel_chunk_flush(chunk, error))
		return FALSE;
	/* The loop's time less the bulk HIREs it flushed on the way. */
	chunk->spent[PERSONNEL_PHASE_EVENTS] +=
	        g_get_monotonic_time() - start - chunk->spent[PERSONNEL_PHASE_HIRES];
	start = g_get_monotonic_time();
	gboolean ok = ph_personnel_result_add(chunk->txn, batch->id, chunk->results, error);
	personnel_chunk_spent(chunk, PERSONNEL_PHASE_RESULTS, start);
	return ok;
}

void
personnel_chunk_spent(PersonnelChunk *chunk, PersonnelPhase phase, gint64 since)
{
	chunk->spent[phase] += g_get_monotonic_time() - since;
}

void
personnel_chunk_add_spent(const PersonnelChunk *chunk, gint64 spent[PERSONNEL_PHASES])
{
	for (guint i = 0; i < PERSONNEL_PHASES; i++)
		spent[i] += chunk->spent[i];
}

/* Commits the applied chunk with the batch's cursor (@done: the batch's last chunk). */
gboolean
personnel_chunk_commit(PersonnelChunk *chunk, gboolean done, GError **error)
{
	PhPersonnelBatch *batch = chunk->batch;
	gint64 start = g_get_monotonic_time();
	if (!ph_personnel_batch_advance(chunk->txn, batch->id, chunk->last_seq, chunk->applied,
	                                chunk->duplicate, chunk->rejected_count, done, error) ||
	    !ph_plugin_txn_commit(chunk->txn, error))
		return FALSE;
	personnel_chunk_spent(chunk, PERSONNEL_PHASE_COMMIT, start);
	if (chunk->last_seq >= 0)
		batch->cursor_seq = chunk->last_seq;
	return TRUE;
}

static GInputStream *
personnel_process_open(Personnel *personnel, PhPersonnelBatch *batch, GError **error)
{
	return ph_spool_open(personnel->plugin, personnel->spool_dir, batch->source, error);
}

static GHashTable *
personnel_process_rejected(Personnel *personnel, PhPersonnelBatch *batch, GError **error)
{
	g_autoptr(PhPluginTxn) txn = ph_plugin_txn_begin(personnel->plugin, error);
	return txn != NULL ? ph_personnel_result_rejected_subjects(txn, batch->id, error) : NULL;
}

/* The events after the cursor, chunk by chunk: read ahead in a thread of their own and
 * applied by two lanes (personnel-lane.c). */
static gboolean
personnel_process_events(Personnel *personnel, PhPersonnelBatch *batch, GError **error)
{
	g_autoptr(GInputStream) input = personnel_process_open(personnel, batch, error);
	if (input == NULL)
		return FALSE;
	/* Rejections of chunks committed before a restart still count for dependencies. */
	GHashTable *rejected = personnel_process_rejected(personnel, batch, error);
	if (rejected == NULL)
		return FALSE;
	PersonnelFeed *feed =
	        personnel_feed_start(input, batch->id, batch->cursor_seq, personnel->chunk_events);
	PersonnelLanes *lanes = personnel_lanes_start(personnel, batch, rejected);
	GError *stopped = NULL;
	gint64 reading = 0, handing = 0; /* waiting for the reader, for a lane */
	for (gboolean last = FALSE; !last;) {
		gint64 start = g_get_monotonic_time();
		PersonnelFeedChunk *next = personnel_feed_next(feed);
		reading += g_get_monotonic_time() - start;
		last = next->last;
		if (next->error != NULL) {
			/* The document changed since its check: the spool was touched. */
			stopped = g_steal_pointer(&next->error);
			personnel_feed_chunk_free(next);
			break;
		}
		start = g_get_monotonic_time();
		gboolean pushed = personnel_lanes_push(lanes, next);
		handing += g_get_monotonic_time() - start;
		if (!pushed)
			break;
	}
	g_message("personnel batch %s: waited %.2f s for the reader, %.2f s for a lane", batch->id,
	          reading / 1e6, handing / 1e6);
	personnel_feed_stop(feed);
	gboolean ok = personnel_lanes_finish(lanes, error);
	g_hash_table_unref(rejected);
	if (stopped != NULL) {
		if (ok)
			g_propagate_error(error, stopped);
		else
			g_error_free(stopped);
		return FALSE;
	}
	return ok;
}

static gboolean
personnel_process_finish_rejected(Personnel *personnel, PhPersonnelBatch *batch,
                                  const gchar *message, GError **error)
{
	g_autoptr(PhPluginTxn) txn = ph_plugin_txn_begin(personnel->plugin, error);
	g_message("personnel batch %s rejected whole: %s", batch->id, message);
	return txn != NULL && ph_personnel_batch_reject(txn, batch->id, message, error) &&
	       ph_plugin_txn_commit(txn, error);
}

/* The whole document's check; a batch that fails it is rejected, nothing applied. */
static gboolean
personnel_process_check(Personnel *personnel, PhPersonnelBatch *batch, gboolean *rejected,
                        GError **error)
{
	g_autoptr(GError) local = NULL;
	PersonnelHeader header = {0};
	g_autoptr(GInputStream) input = personnel_process_open(personnel, batch, &local);
	g_autoptr(PersonnelReader) reader =
	        input != NULL ? personnel_reader_new(input, "batch", personnel->max_batch_bytes)
	                      : NULL;
	*rejected = FALSE;
	if (reader == NULL || !personnel_reader_check(reader, &header, &local)) {
		personnel_header_clear(&header);
		/* A document error, or raw bytes gone from the spool: rejected for good. */
		if (local->domain != PH_ERROR ||
		    (local->code != PH_ERROR_INVALID_INPUT && local->code != PH_ERROR_NOT_FOUND)) {
			g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
		*rejected = TRUE;
		return personnel_process_finish_rejected(personnel, batch, local->message, error);
	}
	g_autoptr(PhPluginTxn) txn = ph_plugin_txn_begin(personnel->plugin, error);
	gboolean ok = txn != NULL &&
	              ph_personnel_batch_start(txn, batch->id, header.batch_id, header.unit_code,
	                                       header.events, error) &&
	              ph_plugin_txn_commit(txn, error);
	if (ok) {
		g_free(batch->doc_batch_id);
		g_free(batch->unit_code);
		batch->doc_batch_id = g_steal_pointer(&header.batch_id);
		batch->unit_code = g_steal_pointer(&header.unit_code);
		batch->events = header.events;
	}
	personnel_header_clear(&header);
	return ok;
}

static gboolean
personnel_process_batch(Personnel *personnel, PhPersonnelBatch *batch, GError **error)
{
	gboolean rejected = FALSE;
	gint64 start = g_get_monotonic_time();
	if (g_str_equal(batch->state, "queued")) {
		if (!personnel_process_check(personnel, batch, &rejected, error))
			return FALSE;
		if (rejected)
			return TRUE;
		g_message("personnel batch %s: %" G_GINT64_FORMAT " events checked in %.2f s",
		          batch->id, batch->events, (g_get_monotonic_time() - start) / 1e6);
		start = g_get_monotonic_time();
	}
	if (!personnel_process_events(personnel, batch, error))
		return FALSE;
	g_message("personnel batch %s: applied after seq %" G_GINT64_FORMAT " in %.2f s", batch->id,
	          batch->cursor_seq, (g_get_monotonic_time() - start) / 1e6);
	return TRUE;
}

void
personnel_process_job(gpointer state)
{
	Personnel *personnel = state;
	for (guint run = 0; run < PERSONNEL_BATCHES_PER_RUN; run++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(PhPersonnelBatch) batch =
		        ph_personnel_batch_claim(personnel->plugin, &error);
		if (batch == NULL) {
			if (error != NULL)
				g_warning("personnel: cannot claim a batch: %s", error->message);
			return;
		}
		gboolean ok = personnel_process_batch(personnel, batch, &error);
		ph_personnel_batch_release(personnel->plugin, batch->id);
		if (!ok) {
			g_warning("personnel batch %s: stopped, will resume: %s", batch->id,
			          error->message);
			return;
		}
	}
}
