/* A GThreadPool with a main-context completion step and an in-flight count for draining
 * on SIGTERM. */
#include "ph-workers.h"

struct _PhWorkers {
	GThreadPool *pool;
	GMainContext *main_context;
	gint in_flight;
};

typedef struct {
	PhWorkers *workers;
	PhWorkFunc work;
	PhWorkDoneFunc done;
	gpointer data;
} PhWorkItem;

static gboolean
ph_workers_complete(gpointer user_data)
{
	PhWorkItem *item = user_data;
	if (item->done != NULL)
		item->done(item->data);
	g_atomic_int_dec_and_test(&item->workers->in_flight);
	g_free(item);
	return G_SOURCE_REMOVE;
}

static void
ph_workers_run(gpointer user_data, gpointer pool_data)
{
	PhWorkItem *item = user_data;
	item->work(item->data);
	g_main_context_invoke(item->workers->main_context, ph_workers_complete, item);
}

PhWorkers *
ph_workers_new(guint threads, GMainContext *main_context)
{
	PhWorkers *workers = g_new0(PhWorkers, 1);
	workers->main_context = g_main_context_ref(main_context);
	/* exclusive: the threads live as long as the pool, so each keeps its own database
	 * connection (ph-worker-db) instead of reconnecting per task. */
	workers->pool = g_thread_pool_new(ph_workers_run, workers, (gint)threads, TRUE, NULL);
	return workers;
}

void
ph_workers_push(PhWorkers *workers, PhWorkFunc work, PhWorkDoneFunc done, gpointer data)
{
	PhWorkItem *item = g_new0(PhWorkItem, 1);
	item->workers = workers;
	item->work = work;
	item->done = done;
	item->data = data;
	g_atomic_int_inc(&workers->in_flight);
	g_thread_pool_push(workers->pool, item, NULL);
}

guint
ph_workers_in_flight(PhWorkers *workers)
{
	return (guint)g_atomic_int_get(&workers->in_flight);
}

gboolean
ph_workers_drain(PhWorkers *workers, guint timeout_seconds)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_seconds * G_USEC_PER_SEC;
	while (ph_workers_in_flight(workers) > 0) {
		if (g_get_monotonic_time() >= deadline)
			return FALSE;
		/* Completions arrive as idle sources in the main context. */
		g_main_context_iteration(workers->main_context, FALSE);
		g_usleep(1000);
	}
	return TRUE;
}

void
ph_workers_free(PhWorkers *workers)
{
	if (workers == NULL)
		return;
	g_thread_pool_free(workers->pool, FALSE, TRUE);
	/* Run the completions of work that finished while the pool shut down. */
	while (g_main_context_iteration(workers->main_context, FALSE))
		;
	g_main_context_unref(workers->main_context);
	g_free(workers);
}
