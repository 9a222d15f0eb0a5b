/* Job timers: one GSource per job; a tick while the previous run is still going is
 * skipped, so a slow poll never piles up behind itself. */
#include "ph-scheduler.h"

#include "ph-metrics.h"
#include "ph-plugin-private.h"

typedef struct {
	const PhJob *job;
	PhWorkers *workers;
	gboolean running;
	guint source;
} PhScheduledJob;

struct _PhScheduler {
	GPtrArray *jobs; /* PhScheduledJob */
};

static void
ph_scheduler_run_job(gpointer data)
{
	PhScheduledJob *scheduled = data;
	g_debug("job %s of plugin %s starts", scheduled->job->name,
		ph_plugin_get_name(scheduled->job->plugin));
	scheduled->job->job(ph_plugin_get_data(scheduled->job->plugin));
}

static void
ph_scheduler_job_done(gpointer data)
{
	PhScheduledJob *scheduled = data;
	g_autofree gchar *labels = g_strdup_printf("job=\"%s\"", scheduled->job->name);
	ph_metrics_count("ph_job_runs_total", labels, 1);
	scheduled->running = FALSE;
}

static gboolean
ph_scheduler_tick(gpointer data)
{
	PhScheduledJob *scheduled = data;
	if (!scheduled->running) {
		scheduled->running = TRUE;
		ph_workers_push(scheduled->workers, ph_scheduler_run_job, ph_scheduler_job_done,
				scheduled);
	}
	return G_SOURCE_CONTINUE;
}

static void
ph_scheduled_job_free(PhScheduledJob *scheduled)
{
	if (scheduled->source != 0)
		g_source_remove(scheduled->source);
	g_free(scheduled);
}

PhScheduler *
ph_scheduler_start(PhRegistry *registry, PhWorkers *workers)
{
	PhScheduler *scheduler = g_new0(PhScheduler, 1);
	g_autoptr(GPtrArray) jobs = ph_registry_list_jobs(registry);
	scheduler->jobs = g_ptr_array_new_with_free_func((GDestroyNotify)ph_scheduled_job_free);
	for (guint i = 0; i < jobs->len; i++) {
		PhScheduledJob *scheduled = g_new0(PhScheduledJob, 1);
		scheduled->job = g_ptr_array_index(jobs, i);
		scheduled->workers = workers;
		scheduled->source = g_timeout_add_seconds(MAX(scheduled->job->interval_seconds, 1),
							  ph_scheduler_tick, scheduled);
		g_ptr_array_add(scheduler->jobs, scheduled);
	}
	return scheduler;
}

void
ph_scheduler_stop(PhScheduler *scheduler)
{
	for (guint i = 0; i < scheduler->jobs->len; i++) {
		PhScheduledJob *scheduled = g_ptr_array_index(scheduler->jobs, i);
		g_clear_handle_id(&scheduled->source, g_source_remove);
	}
}

void
ph_scheduler_free(PhScheduler *scheduler)
{
	if (scheduler == NULL)
		return;
	g_ptr_array_unref(scheduler->jobs);
	g_free(scheduler);
}
