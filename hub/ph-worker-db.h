/* One database connection per worker thread, made on first use from the URL set at
 * start-up and closed when the thread exits. Host-only (daemon, dispatcher, SDK glue). */
#pragma once

#include <glib.h>

#include "ph-db.h"

G_BEGIN_DECLS

/* Sets the URL every worker connects to; call once at start-up (a later call replaces it,
 * and threads reconnect to the new URL on their next ph_worker_db_get()). */
void
ph_worker_db_init(const gchar *url);

/* This thread's connection, connected or reconnected as needed (borrowed: do not free).
 * Fails with PH_ERROR_DATABASE when the server is unreachable, PH_ERROR_CONFIG when
 * ph_worker_db_init() was never called. */
PhDb *
ph_worker_db_get(GError **error);

G_END_DECLS
