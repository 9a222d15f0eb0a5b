/* The admin listener (plain HTTP on loopback by default): GET /healthz and GET /metrics.
 * Host-only. */
#pragma once

#include <glib.h>

#include "ph-config.h"
#include "ph-plugin-host.h"
#include "ph-workers.h"

G_BEGIN_DECLS

typedef struct _PhAdminListener PhAdminListener;

/* Refreshes gauges that need the database (queue depths) before /metrics renders; runs
 * in a worker thread. May be NULL. */
typedef void (*PhAdminGaugeFunc)(gpointer user_data);

PhAdminListener *
ph_admin_listener_new(const PhConfig *config, PhWorkers *workers, PhPluginHost *plugins,
		      PhAdminGaugeFunc refresh_gauges, gpointer user_data);
gboolean
ph_admin_listener_start(PhAdminListener *listener, GError **error);
guint
ph_admin_listener_get_port(PhAdminListener *listener);
void
ph_admin_listener_stop(PhAdminListener *listener);
void
ph_admin_listener_free(PhAdminListener *listener);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhAdminListener, ph_admin_listener_free)

G_END_DECLS
