/* Process-wide counters and gauges rendered as Prometheus text on the admin listener's
 * /metrics. Thread-safe; any host layer may count. Host-only. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* @labels is the inside of the braces, e.g. `route="/transfer/v1/messages",status="202"`,
 * or NULL for none. */
void
ph_metrics_count(const gchar *name, const gchar *labels, gint64 delta);
void
ph_metrics_set_gauge(const gchar *name, const gchar *labels, gint64 value);

/* HELP and TYPE lines; TYPE is "counter" or "gauge". */
void
ph_metrics_describe(const gchar *name, const gchar *type, const gchar *help);

gchar *
ph_metrics_render(void);

G_END_DECLS
