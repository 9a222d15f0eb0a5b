/* Test fixture: a real pension-hub daemon started from the build tree with its own config,
 * plugin folder and database, on free loopback ports, plus an HTTPS client (libcurl) that
 * presents the dev PKI's partner certificates. Used by the integration tests. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
	gchar *dir; /* temporary folder: config, plugins/, log */
	gchar *config_path;
	gchar *log_path;
	gchar *database_url;
	gchar *pki; /* $PH_PKI */
	guint partner_port;
	guint admin_port;
	guint64 body_limit; /* of the partner listener; change, then write the config again */
	gchar *extra;       /* the config's extra text, kept to rewrite it with other ports */
	gchar *mapping_dir; /* [hub] mapping_dir: NULL, the source tree's; change, then restart */
	GPid pid;           /* 0 when not running */
} PhTestHub;

/* Makes the folder and config. @plugins lists test plugin names (modules NAME.so in the
 * build tree's tests/plugins, e.g. "probe") to link into the plugin folder; @extra is appended to
 * the config verbatim (plugin groups, overrides). Fails the test when PH_PKI is not set. */
PhTestHub *ph_test_hub_new(const gchar *database_url, const gchar *const *plugins,
                           const gchar *extra);
void ph_test_hub_free(PhTestHub *hub);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhTestHub, ph_test_hub_free)

/* Rewrites the config with new @extra text (for a restart with other settings). */
void ph_test_hub_write_config(PhTestHub *hub, const gchar *extra);

/* Writes a field key file (mode 0600, key "bench1" current, a lookup key) as deploy/dev makes
 * one, in @hub's folder, and returns the config text "[keys]\nfile = PATH\n\n" that turns
 * encryption at rest on, as in production; "" when PH_BENCH_PLAINTEXT=1 (before encryption). */
gchar *ph_test_hub_keys_config(PhTestHub *hub);

/* Spawns the daemon and waits until /healthz answers (fails the test after 20 s). A port
 * taken between choosing it and the daemon binding it (other tests run in parallel) is not a
 * failure: the daemon is started again on fresh ports. */
void ph_test_hub_start(PhTestHub *hub);
/* Sends @signal and waits for the exit; returns the exit status (or 128 + signal). */
gint ph_test_hub_signal(PhTestHub *hub, gint signal_number);
/* Whether the daemon's log holds @text now. */
gboolean ph_test_hub_log_has(PhTestHub *hub, const gchar *text);
/* Waits up to 30 s until the daemon's log holds @text; whether it came. */
gboolean ph_test_hub_wait_log(PhTestHub *hub, const gchar *text);

/* An HTTPS or HTTP request. @partner names the dev PKI certificate to present (NULL for
 * none); @ca the CA file name in the PKI to trust (NULL: ca.crt). Returns the HTTP status,
 * or 0 when the connection or handshake failed; @body_out receives the response body. */
typedef struct {
	const gchar *method;
	const gchar *url;
	const gchar *partner;
	const gchar *client_pki;     /* folder of the client certificate, NULL: hub->pki */
	const gchar *const *headers; /* "Name: value" */
	GBytes *body;
} PhTestRequest;

glong ph_test_http(PhTestHub *hub, const PhTestRequest *request, gchar **body_out);

/* Convenience for the partner listener: POST @body to @path as @partner. */
glong ph_test_hub_post(PhTestHub *hub, const gchar *partner, const gchar *path,
                       const gchar *const *headers, const gchar *body, gchar **body_out);
/* GET on the admin listener. */
glong ph_test_hub_admin_get(PhTestHub *hub, const gchar *path, gchar **body_out);

/* Runs the built pensionctl with --config of @hub and @args (NULL-terminated); returns its
 * exit status (-1 when killed by a signal); @out and @err (may be NULL) receive its output. */
gint ph_test_hub_ctl(PhTestHub *hub, const gchar *const *args, gchar **out, gchar **err);
/* The same with the arguments as a NULL-terminated list, stdout and stderr together in
 * @output (also logged with g_test_message). */
gint ph_test_hub_run_ctl(PhTestHub *hub, gchar **output, const gchar *first,
                         ...) G_GNUC_NULL_TERMINATED;

/* A memory figure in KiB of process @pid (0: this process) from /proc/PID/status: @field
 * "VmRSS" (now) or "VmHWM" (peak). Fails the test when it cannot be read. */
gint64 ph_test_proc_kib(GPid pid, const gchar *field);

/* A free TCP port on 127.0.0.1 at the time of the call. */
guint ph_test_free_port(void);

/* Polls @sql (one value) on @database_url until it equals @expected or @timeout_ms passes;
 * returns the last value seen. */
gchar *ph_test_wait_for_value(const gchar *database_url, const gchar *sql, const gchar *expected,
                              guint timeout_ms);
/* One value of @sql, NULL for SQL NULL or no row. */
gchar *ph_test_query_value(const gchar *database_url, const gchar *sql);

/* Removes the directory @path with everything in it (symbolic links, not what they name). */
void ph_test_remove_tree(const gchar *path);

G_END_DECLS
