/* Runs the plugins' scheduled jobs (polls) in worker threads at their intervals, never two
 * runs of one job at once. Host-only. */
#pragma once

#include <glib.h>

#include "ph-registry.h"
#include "ph-workers.h"

G_BEGIN_DECLS

typedef struct _PhScheduler PhScheduler;

/* Starts a timer per job registered in @registry, in the thread-default main context. */
PhScheduler *
ph_scheduler_start(PhRegistry *registry, PhWorkers *workers);
/* Stops the timers; runs already pushed finish under the workers' drain. */
void
ph_scheduler_stop(PhScheduler *scheduler);
/* Only after the workers drained: a finishing run still points into the scheduler. */
void
ph_scheduler_free(PhScheduler *scheduler);

G_END_DECLS
