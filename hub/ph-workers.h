/* The daemon's worker threads: blocking work (libpq, libssh2, libcurl, plugin handlers)
 * runs here, off the main loop; a completion callback then runs back in the main context,
 * where libsoup objects may be touched. Host-only. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _PhWorkers PhWorkers;

typedef void (*PhWorkFunc)(gpointer data);     /* in a worker thread */
typedef void (*PhWorkDoneFunc)(gpointer data); /* then in the main context */

PhWorkers *
ph_workers_new(guint threads, GMainContext *main_context);
void
ph_workers_push(PhWorkers *workers, PhWorkFunc work, PhWorkDoneFunc done, gpointer data);
/* Work pushed and not yet completed (done callback included). */
guint
ph_workers_in_flight(PhWorkers *workers);
/* Waits, iterating the main context, until no work is in flight or @timeout_seconds pass;
 * returns FALSE on time-out. */
gboolean
ph_workers_drain(PhWorkers *workers, guint timeout_seconds);
void
ph_workers_free(PhWorkers *workers);

G_END_DECLS
