/* A batch's chunks applied by two lanes, threads with database connections of their own, so
 * that the database works on one chunk's rows while the next chunk is checked, sent and
 * indexed: the keys of person, enrolment, wages and results, not parsing, bound the ingest.
 * Commits stay in seq order (a chunk commits only after the one before it, never after a
 * failure), so the cursor and crash-resume are as with one lane. A chunk starts before the
 * ones ahead of it have committed only when it shares no person with them and none holds a
 * UNIT event: otherwise it would miss their effects. Plugin-only. */
#include "personnel.h"

/* Measured: three lanes were no faster on two cores (the reader and the daemon's sealing
 * then compete with the backends) and held one chunk more in memory (114 MB peak). */
#define PERSONNEL_LANES 2

typedef struct {
	PersonnelFeedChunk *feed;
	guint64 index;        /* the chunk's position in this run */
	gboolean independent; /* may start before the chunk ahead has committed */
} PersonnelLaneWork;

typedef struct {
	PersonnelLanes *lanes;
	GAsyncQueue *queue; /* PersonnelLaneWork, then the stop marker */
	GThread *thread;
} PersonnelLane;

struct _PersonnelLanes {
	Personnel *personnel;
	PhPersonnelBatch *batch;
	GHashTable *rejected; /* the batch's rejected subjects, under rejected_lock */
	GMutex rejected_lock;
	GMutex lock; /* guards what follows */
	GCond changed;
	guint64 committed; /* chunks committed, in order */
	GError *failure;   /* the first failure: nothing commits after it */
	guint64 pushed;
	/* persons of the chunks pushed last, [0] the latest; NULL: a UNIT, or no chunk yet */
	GHashTable *previous[PERSONNEL_LANES - 1];
	gint64 spent[PERSONNEL_PHASES]; /* the chunks' time, summed */
	PersonnelLane lane[PERSONNEL_LANES];
};

static PersonnelLaneWork personnel_lane_stop;

/* Waits until @count chunks have committed; FALSE when a chunk failed meanwhile. */
static gboolean
personnel_lanes_wait(PersonnelLanes *lanes, guint64 count)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lanes->lock);
	while (lanes->committed < count && lanes->failure == NULL)
		g_cond_wait(&lanes->changed, &lanes->lock);
	return lanes->failure == NULL;
}

static void
personnel_lanes_done(PersonnelLanes *lanes, gboolean committed, GError *error)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lanes->lock);
	if (committed)
		lanes->committed++;
	else if (error != NULL && lanes->failure == NULL)
		lanes->failure = g_error_copy(error);
	g_cond_broadcast(&lanes->changed);
}

static void
personnel_lanes_apply(PersonnelLanes *lanes, PersonnelLaneWork *work)
{
	g_autoptr(GError) error = NULL;
	gint64 start = g_get_monotonic_time();
	if (!work->independent && !personnel_lanes_wait(lanes, work->index))
		return;
	PersonnelChunk *chunk = personnel_chunk_new(lanes->personnel, lanes->batch, lanes->rejected,
	                                            &lanes->rejected_lock);
	personnel_chunk_spent(chunk, PERSONNEL_PHASE_WAIT_START, start);
	gboolean ok = personnel_chunk_apply(chunk, work->feed->events, &error);
	/* A chunk that stops after a failure of another is rolled back without an error of
	 * its own: it is applied again when the batch resumes. */
	start = g_get_monotonic_time();
	ok = ok && personnel_lanes_wait(lanes, work->index);
	personnel_chunk_spent(chunk, PERSONNEL_PHASE_WAIT_COMMIT, start);
	gboolean committed = ok && personnel_chunk_commit(chunk, work->feed->last, &error);
	g_mutex_lock(&lanes->lock);
	personnel_chunk_add_spent(chunk, lanes->spent);
	g_mutex_unlock(&lanes->lock);
	personnel_chunk_free(chunk);
	personnel_lanes_done(lanes, committed, error);
}

static gpointer
personnel_lane_run(gpointer data)
{
	PersonnelLane *lane = data;
	PersonnelLaneWork *work;
	while ((work = g_async_queue_pop(lane->queue)) != &personnel_lane_stop) {
		personnel_lanes_apply(lane->lanes, work);
		personnel_feed_chunk_free(work->feed);
		g_free(work);
	}
	return NULL;
}

PersonnelLanes *
personnel_lanes_start(Personnel *personnel, PhPersonnelBatch *batch, GHashTable *rejected)
{
	PersonnelLanes *lanes = g_new0(PersonnelLanes, 1);
	lanes->personnel = personnel;
	lanes->batch = batch;
	lanes->rejected = g_hash_table_ref(rejected);
	g_mutex_init(&lanes->rejected_lock);
	g_mutex_init(&lanes->lock);
	g_cond_init(&lanes->changed);
	for (guint i = 0; i < PERSONNEL_LANES; i++) {
		lanes->lane[i].lanes = lanes;
		lanes->lane[i].queue = g_async_queue_new();
		lanes->lane[i].thread =
		        g_thread_new("personnel-lane", personnel_lane_run, &lanes->lane[i]);
	}
	return lanes;
}

/* The persons (AAC002, upper case) of @events, or NULL when one of them is a UNIT. */
static GHashTable *
personnel_lanes_persons(GArray *events)
{
	GHashTable *persons = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (guint i = 0; i < events->len; i++) {
		const PersonnelEvent *event = &g_array_index(events, PersonnelEvent, i);
		if (event->type == PERSONNEL_UNIT) {
			g_hash_table_unref(persons);
			return NULL;
		}
		if (event->fields[PERSONNEL_AAC002] != NULL)
			g_hash_table_add(persons,
			                 g_ascii_strup(event->fields[PERSONNEL_AAC002], -1));
	}
	return persons;
}

/* Whether @persons shares no one with any chunk that may not have committed yet. */
static gboolean
personnel_lanes_disjoint(GHashTable *persons, GHashTable *const *previous)
{
	if (persons == NULL)
		return FALSE;
	for (guint i = 0; i < PERSONNEL_LANES - 1; i++) {
		GHashTableIter iter;
		gpointer person;
		if (previous[i] == NULL)
			return FALSE;
		g_hash_table_iter_init(&iter, persons);
		while (g_hash_table_iter_next(&iter, &person, NULL)) {
			if (g_hash_table_contains(previous[i], person))
				return FALSE;
		}
	}
	return TRUE;
}

/* Remembers @persons as the latest chunk's, forgetting the oldest. */
static void
personnel_lanes_remember(PersonnelLanes *lanes, GHashTable *persons)
{
	g_clear_pointer(&lanes->previous[PERSONNEL_LANES - 2], g_hash_table_unref);
	for (guint i = PERSONNEL_LANES - 2; i > 0; i--)
		lanes->previous[i] = lanes->previous[i - 1];
	lanes->previous[0] = persons;
}

gboolean
personnel_lanes_push(PersonnelLanes *lanes, PersonnelFeedChunk *chunk)
{
	PersonnelLaneWork *work = g_new0(PersonnelLaneWork, 1);
	work->feed = chunk;
	work->index = lanes->pushed++;
	GHashTable *persons = personnel_lanes_persons(chunk->events);
	work->independent = personnel_lanes_disjoint(persons, lanes->previous);
	personnel_lanes_remember(lanes, persons);
	/* PERSONNEL_LANES chunks in the lanes at most: the ones before have committed. */
	if (work->index >= PERSONNEL_LANES &&
	    !personnel_lanes_wait(lanes, work->index - PERSONNEL_LANES + 1)) {
		personnel_feed_chunk_free(chunk);
		g_free(work);
		return FALSE;
	}
	g_async_queue_push(lanes->lane[work->index % PERSONNEL_LANES].queue, work);
	return TRUE;
}

/* Where the chunks' time went, summed over both lanes (so up to twice the wall time). */
static void
personnel_lanes_log(PersonnelLanes *lanes)
{
	const gint64 *spent = lanes->spent;
	g_message("personnel batch %s: %" G_GUINT64_FORMAT " chunks, lane time: waiting to start "
	          "%.2f s, events %.2f s, bulk HIREs %.2f s, results %.2f s, waiting to commit "
	          "%.2f s, commit %.2f s",
	          lanes->batch->id, lanes->committed, spent[PERSONNEL_PHASE_WAIT_START] / 1e6,
	          spent[PERSONNEL_PHASE_EVENTS] / 1e6, spent[PERSONNEL_PHASE_HIRES] / 1e6,
	          spent[PERSONNEL_PHASE_RESULTS] / 1e6, spent[PERSONNEL_PHASE_WAIT_COMMIT] / 1e6,
	          spent[PERSONNEL_PHASE_COMMIT] / 1e6);
}

gboolean
personnel_lanes_finish(PersonnelLanes *lanes, GError **error)
{
	for (guint i = 0; i < PERSONNEL_LANES; i++) {
		g_async_queue_push(lanes->lane[i].queue, &personnel_lane_stop);
		g_thread_join(lanes->lane[i].thread);
		g_async_queue_unref(lanes->lane[i].queue);
	}
	gboolean ok = lanes->failure == NULL;
	if (!ok)
		g_propagate_error(error, g_steal_pointer(&lanes->failure));
	personnel_lanes_log(lanes);
	for (guint i = 0; i < PERSONNEL_LANES - 1; i++)
		g_clear_pointer(&lanes->previous[i], g_hash_table_unref);
	g_hash_table_unref(lanes->rejected);
	g_mutex_clear(&lanes->rejected_lock);
	g_mutex_clear(&lanes->lock);
	g_cond_clear(&lanes->changed);
	g_free(lanes);
	return ok;
}
