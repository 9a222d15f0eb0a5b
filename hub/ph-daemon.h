/* The pension-hub daemon as an object: loads the config, plugins, listeners, dispatcher
 * and scheduler, runs the main loop until SIGTERM/SIGINT, reloads on SIGHUP, then drains
 * in-flight work and shuts down. Used by pension-hub's main(). Host-only. */
#pragma once

#include <glib.h>

#include "ph-error.h"

G_BEGIN_DECLS

typedef struct _PhDaemon PhDaemon;

PhDaemon *
ph_daemon_new(const gchar *config_path, GError **error);
/* Runs until a termination signal; returns the process exit status. */
int
ph_daemon_run(PhDaemon *daemon);
void
ph_daemon_free(PhDaemon *daemon);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhDaemon, ph_daemon_free)

G_END_DECLS
