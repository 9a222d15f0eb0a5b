/* Dispatcher threads over the inbox and the outbox. Host-only.
 * A batch's delivery outcomes are kept in memory until they are written; when the
 * database is away (restart, failover) the thread keeps retrying the write, so a message
 * delivered meanwhile is not delivered again once the database is back. */
#include "ph-dispatcher.h"

#include "ph-inbox.h"
#include "ph-outbox.h"
#include "ph-plugin-private.h"
#include "ph-worker-db.h"

/* How often pending rows of topics nobody delivers are reported. */
#define PH_DISPATCHER_UNROUTED_REPORT_US (60 * G_USEC_PER_SEC)
/* Ceiling of the pause between attempts to reach the database. */
#define PH_DISPATCHER_DB_RETRY_MAX_MS 2000
/* On stop, how long a thread keeps trying to write a batch's outcomes. */
#define PH_DISPATCHER_DRAIN_US (15 * G_USEC_PER_SEC)

struct _PhDispatcher {
	PhRegistry *registry;
	guint n_threads;
	guint batch_size;
	guint lease_seconds;
	guint poll_interval_ms;

	GMutex lock; /* guards everything below */
	GCond wake_cond;
	guint64 wake_generation;
	gboolean stopping;
	GPtrArray *threads;
	PhDispatcherCounts counts;
	GHashTable *topic_counts; /* topic → PhTopicCounts */
	gint64 unrouted_reported_at;
};

PhDispatcher *
ph_dispatcher_new(PhRegistry *registry, guint threads)
{
	g_return_val_if_fail(registry != NULL, NULL);
	PhDispatcher *dispatcher = g_new0(PhDispatcher, 1);
	dispatcher->registry = registry;
	dispatcher->n_threads = MAX(threads, 1);
	dispatcher->batch_size = 200;
	dispatcher->lease_seconds = 300;
	dispatcher->poll_interval_ms = 500;
	g_mutex_init(&dispatcher->lock);
	g_cond_init(&dispatcher->wake_cond);
	dispatcher->threads = g_ptr_array_new();
	dispatcher->topic_counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	return dispatcher;
}

void
ph_dispatcher_free(PhDispatcher *dispatcher)
{
	if (dispatcher == NULL)
		return;
	ph_dispatcher_stop(dispatcher);
	g_ptr_array_unref(dispatcher->threads);
	g_hash_table_unref(dispatcher->topic_counts);
	g_cond_clear(&dispatcher->wake_cond);
	g_mutex_clear(&dispatcher->lock);
	g_free(dispatcher);
}

void
ph_dispatcher_set_batch_size(PhDispatcher *dispatcher, guint batch_size)
{
	dispatcher->batch_size = MAX(batch_size, 1);
}

void
ph_dispatcher_set_lease_seconds(PhDispatcher *dispatcher, guint lease_seconds)
{
	dispatcher->lease_seconds = MAX(lease_seconds, 1);
}

void
ph_dispatcher_set_poll_interval(PhDispatcher *dispatcher, guint poll_interval_ms)
{
	dispatcher->poll_interval_ms = MAX(poll_interval_ms, 1);
}

static PhTopicCounts *
ph_dispatcher_topic_counts_locked(PhDispatcher *dispatcher, const gchar *topic)
{
	PhTopicCounts *counts = g_hash_table_lookup(dispatcher->topic_counts, topic);
	if (counts == NULL) {
		counts = g_new0(PhTopicCounts, 1);
		g_hash_table_insert(dispatcher->topic_counts, g_strdup(topic), counts);
	}
	return counts;
}

/* Adds a written batch's outcomes to the counters. */
static void
ph_dispatcher_count_batch(PhDispatcher *dispatcher, PhOutboxBatch *batch)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&dispatcher->lock);
	for (guint i = 0; i < batch->items->len; i++) {
		PhOutboxItem *item = g_ptr_array_index(batch->items, i);
		PhTopicCounts *topic =
		        ph_dispatcher_topic_counts_locked(dispatcher, item->message.topic);
		PhTopicCounts *all = &dispatcher->counts.outbox;
		switch (item->outcome) {
		case PH_OUTBOX_OUTCOME_DELIVERED:
			topic->delivered++;
			all->delivered++;
			break;
		case PH_OUTBOX_OUTCOME_RETRY:
			topic->retried++;
			all->retried++;
			break;
		case PH_OUTBOX_OUTCOME_DEAD:
			topic->dead_lettered++;
			all->dead_lettered++;
			break;
		case PH_OUTBOX_OUTCOME_NONE:
			break;
		}
	}
}

static void
ph_dispatcher_count_inbox(PhDispatcher *dispatcher, const PhInboxCounts *inbox)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&dispatcher->lock);
	dispatcher->counts.inbox_processed += inbox->processed;
	dispatcher->counts.inbox_failed += inbox->failed;
	dispatcher->counts.inbox_retried += inbox->retried;
}

static gboolean
ph_dispatcher_is_stopping(PhDispatcher *dispatcher)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&dispatcher->lock);
	return dispatcher->stopping;
}

static void
ph_dispatcher_deliver_item(PhDispatcher *dispatcher, PhOutboxItem *item)
{
	const PhTopic *topic = ph_registry_find_topic(dispatcher->registry, item->message.topic);
	g_autoptr(GError) error = NULL;
	if (topic == NULL)
		return; /* its plugin went away after the claim: released by finish */
	if (item->outcome != PH_OUTBOX_OUTCOME_NONE)
		return; /* settled by the claim: its stored payload did not open */
	gpointer state = topic->plugin != NULL ? ph_plugin_get_data(topic->plugin) : NULL;
	if (topic->deliver(&item->message, state, &error)) {
		ph_outbox_item_delivered(item);
		return;
	}
	ph_outbox_item_failed(item, &topic->policy, error);
	g_info("outbox message %" G_GINT64_FORMAT " (%s) attempt %u failed: %s", item->message.id,
	       item->message.topic, item->message.attempt, item->error);
}

/* Writes the outcomes; in a running thread it keeps trying through a database outage,
 * reconnecting, until it succeeds or (when stopping) the drain time is over. */
static gboolean
ph_dispatcher_finish(PhDispatcher *dispatcher, PhDb *db, PhOutboxBatch *batch, gboolean persist,
                     GError **error)
{
	gint64 give_up_at = 0;
	guint pause_ms = 50;
	while (!ph_outbox_finish(db, batch, error)) {
		if (!persist)
			return FALSE;
		if (ph_dispatcher_is_stopping(dispatcher) && give_up_at == 0)
			give_up_at = g_get_monotonic_time() + PH_DISPATCHER_DRAIN_US;
		if (give_up_at != 0 && g_get_monotonic_time() > give_up_at)
			return FALSE;
		g_warning("%s; retrying", (*error)->message);
		g_clear_error(error);
		g_usleep(pause_ms * 1000);
		pause_ms = MIN(pause_ms * 2, PH_DISPATCHER_DB_RETRY_MAX_MS);
		/* A failed ensure is fine here: the next finish reports it. */
		(void)ph_db_ensure(db, NULL);
	}
	ph_dispatcher_count_batch(dispatcher, batch);
	return TRUE;
}

/* One outbox batch: claim, deliver, record. @handled receives the batch size. */
static gboolean
ph_dispatcher_outbox_step(PhDispatcher *dispatcher, PhDb *db, gboolean persist, guint *handled,
                          GError **error)
{
	g_auto(GStrv) topics = ph_registry_list_topics(dispatcher->registry);
	g_autoptr(PhOutboxBatch) batch =
	        ph_outbox_claim(db, (const gchar *const *)topics, dispatcher->batch_size,
	                        dispatcher->lease_seconds, error);
	*handled = 0;
	if (batch == NULL)
		return FALSE;
	for (guint i = 0; i < batch->items->len; i++) {
		if (!ph_outbox_batch_may_deliver(batch)) {
			g_info("outbox: half the lease used after %u of %u messages; handing the "
			       "rest back",
			       i, batch->items->len);
			break;
		}
		ph_dispatcher_deliver_item(dispatcher, g_ptr_array_index(batch->items, i));
	}
	*handled = batch->items->len;
	return ph_dispatcher_finish(dispatcher, db, batch, persist, error);
}

/* Logs pending rows of topics no loaded plugin delivers, at most once a minute. */
static void
ph_dispatcher_report_unrouted(PhDispatcher *dispatcher, PhDb *db)
{
	gint64 now = g_get_monotonic_time();
	{
		g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&dispatcher->lock);
		if (dispatcher->unrouted_reported_at != 0 &&
		    now - dispatcher->unrouted_reported_at < PH_DISPATCHER_UNROUTED_REPORT_US)
			return;
		dispatcher->unrouted_reported_at = now;
	}
	g_autoptr(GHashTable) pending = ph_outbox_count_pending(db, NULL);
	GHashTableIter iter;
	gpointer topic, count;
	if (pending == NULL)
		return;
	g_hash_table_iter_init(&iter, pending);
	while (g_hash_table_iter_next(&iter, &topic, &count)) {
		if (ph_registry_find_topic(dispatcher->registry, topic) == NULL)
			g_warning("outbox: %" G_GINT64_FORMAT " messages of topic %s wait: "
			          "no loaded plugin delivers that topic",
			          *(gint64 *)count, (const gchar *)topic);
	}
}

/* One round: a batch of inbox messages, then a batch of outbox messages. */
static gboolean
ph_dispatcher_step(PhDispatcher *dispatcher, PhDb *db, gboolean persist, guint *handled,
                   GError **error)
{
	PhInboxCounts inbox = {0};
	guint inbox_handled = 0;
	guint outbox_handled = 0;
	gboolean ok = ph_inbox_process(db, dispatcher->registry, dispatcher->batch_size, &inbox,
	                               &inbox_handled, error);
	ph_dispatcher_count_inbox(dispatcher, &inbox);
	if (ok)
		ok = ph_dispatcher_outbox_step(dispatcher, db, persist, &outbox_handled, error);
	*handled = inbox_handled + outbox_handled;
	return ok;
}

gboolean
ph_dispatcher_run_once(PhDispatcher *dispatcher, PhDb *db, guint *handled, GError **error)
{
	g_return_val_if_fail(dispatcher != NULL && db != NULL, FALSE);
	guint total = 0;
	guint step = 0;
	do {
		if (!ph_dispatcher_step(dispatcher, db, FALSE, &step, error))
			return FALSE;
		total += step;
	} while (step > 0);
	if (handled != NULL)
		*handled = total;
	return TRUE;
}

/* Sleeps @timeout_ms unless woken (or stopping) since @generation. */
static void
ph_dispatcher_wait(PhDispatcher *dispatcher, guint64 generation, guint timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&dispatcher->lock);
	while (!dispatcher->stopping && dispatcher->wake_generation == generation) {
		if (!g_cond_wait_until(&dispatcher->wake_cond, &dispatcher->lock, deadline))
			break;
	}
}

static guint64
ph_dispatcher_generation(PhDispatcher *dispatcher)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&dispatcher->lock);
	return dispatcher->wake_generation;
}

static gpointer
ph_dispatcher_thread(gpointer data)
{
	PhDispatcher *dispatcher = data;
	guint db_pause_ms = dispatcher->poll_interval_ms;

	while (!ph_dispatcher_is_stopping(dispatcher)) {
		g_autoptr(GError) error = NULL;
		guint64 generation = ph_dispatcher_generation(dispatcher);
		guint handled = 0;
		PhDb *db = ph_worker_db_get(&error);
		if (db != NULL && ph_dispatcher_step(dispatcher, db, TRUE, &handled, &error)) {
			db_pause_ms = dispatcher->poll_interval_ms;
			ph_dispatcher_report_unrouted(dispatcher, db);
			if (handled == 0)
				ph_dispatcher_wait(dispatcher, generation,
				                   dispatcher->poll_interval_ms);
			continue;
		}
		g_warning("dispatcher: %s", error->message);
		ph_dispatcher_wait(dispatcher, generation, db_pause_ms);
		db_pause_ms = MIN(db_pause_ms * 2, PH_DISPATCHER_DB_RETRY_MAX_MS);
	}
	return NULL;
}

void
ph_dispatcher_start(PhDispatcher *dispatcher)
{
	g_return_if_fail(dispatcher != NULL);
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&dispatcher->lock);
	g_return_if_fail(dispatcher->threads->len == 0);
	dispatcher->stopping = FALSE;
	for (guint i = 0; i < dispatcher->n_threads; i++) {
		g_autofree gchar *name = g_strdup_printf("ph-dispatch-%u", i);
		g_ptr_array_add(dispatcher->threads,
		                g_thread_new(name, ph_dispatcher_thread, dispatcher));
	}
}

void
ph_dispatcher_stop(PhDispatcher *dispatcher)
{
	g_return_if_fail(dispatcher != NULL);
	g_autoptr(GPtrArray) threads = NULL;
	{
		g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&dispatcher->lock);
		dispatcher->stopping = TRUE;
		g_cond_broadcast(&dispatcher->wake_cond);
		threads = g_steal_pointer(&dispatcher->threads);
		dispatcher->threads = g_ptr_array_new();
	}
	for (guint i = 0; i < threads->len; i++)
		g_thread_join(g_ptr_array_index(threads, i));
}

void
ph_dispatcher_wake(PhDispatcher *dispatcher)
{
	g_return_if_fail(dispatcher != NULL);
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&dispatcher->lock);
	dispatcher->wake_generation++;
	g_cond_broadcast(&dispatcher->wake_cond);
}

void
ph_dispatcher_get_counts(PhDispatcher *dispatcher, PhDispatcherCounts *counts)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&dispatcher->lock);
	*counts = dispatcher->counts;
}

gboolean
ph_dispatcher_get_topic_counts(PhDispatcher *dispatcher, const gchar *topic, PhTopicCounts *counts)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&dispatcher->lock);
	PhTopicCounts *found = g_hash_table_lookup(dispatcher->topic_counts, topic);
	*counts = found != NULL ? *found : (PhTopicCounts){0};
	return found != NULL;
}
