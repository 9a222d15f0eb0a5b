/* The dispatcher: worker threads that process due inbox messages and deliver due outbox
 * messages through their plugins, each thread with its own database connection
 * (ph-worker-db). Run by the daemon; ph_dispatcher_run_once serves tests and pensionctl.
 * Host-only. */
#pragma once

#include <glib.h>

#include "ph-db.h"
#include "ph-registry.h"

G_BEGIN_DECLS

typedef struct _PhDispatcher PhDispatcher;

typedef struct {
	guint64 delivered;
	guint64 retried; /* a delivery failed and was rescheduled */
	guint64 dead_lettered;
} PhTopicCounts;

typedef struct {
	PhTopicCounts outbox; /* all topics */
	guint64 inbox_processed;
	guint64 inbox_failed;
	guint64 inbox_retried;
} PhDispatcherCounts;

/* @threads worker threads (at least 1) once started; @registry must outlive it. */
PhDispatcher *
ph_dispatcher_new(PhRegistry *registry, guint threads);
/* Stops (draining) if running, then frees. */
void
ph_dispatcher_free(PhDispatcher *dispatcher);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhDispatcher, ph_dispatcher_free)

/* Tuning; call before start. Defaults: 200 messages a batch, 300 s lease (a deliver
 * function must return well within it), 500 ms poll interval. */
void
ph_dispatcher_set_batch_size(PhDispatcher *dispatcher, guint batch_size);
void
ph_dispatcher_set_lease_seconds(PhDispatcher *dispatcher, guint lease_seconds);
void
ph_dispatcher_set_poll_interval(PhDispatcher *dispatcher, guint poll_interval_ms);

/* Starts the threads; they connect with ph_worker_db_get(), so ph_worker_db_init() must
 * have been called. A database that is down is retried, not fatal. */
void
ph_dispatcher_start(PhDispatcher *dispatcher);
/* Lets each thread finish the batch in hand (its outcomes written), then joins them. */
void
ph_dispatcher_stop(PhDispatcher *dispatcher);
/* Something was just queued: poll now rather than at the next interval. Any thread. */
void
ph_dispatcher_wake(PhDispatcher *dispatcher);

/* In the calling thread on @db: processes and delivers until nothing is due. @handled
 * (may be NULL) receives how many messages were handled. */
gboolean
ph_dispatcher_run_once(PhDispatcher *dispatcher, PhDb *db, guint *handled, GError **error);

/* Counters since creation, for metrics. */
void
ph_dispatcher_get_counts(PhDispatcher *dispatcher, PhDispatcherCounts *counts);
/* FALSE (and zeros) when nothing happened on @topic yet. */
gboolean
ph_dispatcher_get_topic_counts(PhDispatcher *dispatcher, const gchar *topic, PhTopicCounts *counts);

G_END_DECLS
