/* Wiring of the daemon. Start-up order: config → worker database → plugins (their init
 * registers routes, topics, jobs) → workers → listeners → dispatcher → scheduler.
 * Shutdown runs the other way round and drains before plugins shut down. */
#include "ph-daemon.h"

#include "ph-build-config.h"

#include <glib-unix.h>
#include <signal.h>

#include "ph-admin-listener.h"
#include "ph-audit-linker.h"
#include "ph-audit-seal.h"
#include "ph-config.h"
#include "ph-dispatcher.h"
#include "ph-event-routing.h"
#include "ph-field-key.h"
#include "ph-metrics.h"
#include "ph-partner-listener.h"
#include "ph-plugin-host.h"
#include "ph-registry.h"
#include "ph-scheduler.h"
#include "ph-worker-db.h"
#include "ph-xml-private.h"
#include "ph-workers.h"

struct _PhDaemon {
	PhConfig *config;
	GPtrArray *retired_configs; /* replaced by SIGHUP; plugins may still point into them */
	GMainLoop *loop;
	PhRegistry *registry;
	PhPluginHost *plugins;
	PhWorkers *workers;
	PhPartnerListener *partner_listener;
	PhAdminListener *admin_listener;
	PhScheduler *scheduler;
	PhAuditSealer *sealer; /* NULL without a signing key */
	PhAuditLinker *audit_linker;
	PhDispatcher *dispatcher;
	guint signal_sources[3];
};

static void
ph_daemon_describe_metrics(void)
{
	ph_metrics_describe("ph_http_requests_total", "counter",
	                    "Partner requests by route prefix and HTTP status");
	ph_metrics_describe("ph_tls_refused_total", "counter",
	                    "Client certificates refused in the TLS handshake");
	ph_metrics_describe("ph_job_runs_total", "counter", "Scheduled job runs by job");
	ph_metrics_describe("ph_inbox_depth", "gauge", "Inbox messages waiting to be processed");
	ph_metrics_describe("ph_outbox_depth", "gauge", "Outbox messages waiting for delivery");
	ph_metrics_describe("ph_dead_letters", "gauge", "Outbox messages in dead letters");
	ph_metrics_describe("ph_inbox_processed_total", "counter", "Inbox messages processed");
	ph_metrics_describe("ph_inbox_failed_total", "counter",
	                    "Inbox messages refused for good by their handler");
	ph_metrics_describe("ph_outbox_delivered_total", "counter",
	                    "Outbox deliveries by topic and plugin");
	ph_metrics_describe("ph_outbox_retries_total", "counter",
	                    "Failed deliveries rescheduled, by topic and plugin");
	ph_metrics_describe("ph_outbox_dead_lettered_total", "counter",
	                    "Messages moved to dead letters, by topic and plugin");
}

static void
ph_daemon_refresh_depths(PhDb *db)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PGresult) result =
	        ph_db_query(db,
	                    "SELECT (SELECT count(*) FROM inbox WHERE state = 'pending'), "
	                    "(SELECT count(*) FROM outbox WHERE state = 'pending'), "
	                    "(SELECT count(*) FROM dead_letter)",
	                    0, NULL, &error);
	if (result == NULL) {
		g_debug("metrics: queue depths unavailable: %s", error->message);
		return;
	}
	ph_metrics_set_gauge("ph_inbox_depth", NULL, ph_db_get_int64(result, 0, 0));
	ph_metrics_set_gauge("ph_outbox_depth", NULL, ph_db_get_int64(result, 0, 1));
	ph_metrics_set_gauge("ph_dead_letters", NULL, ph_db_get_int64(result, 0, 2));
}

/* Before each /metrics scrape (in a worker thread): queue depths from the database and
 * the dispatcher's counters, per topic and owning plugin. */
static void
ph_daemon_refresh_gauges(gpointer data)
{
	PhDaemon *daemon = data;
	g_autoptr(GError) error = NULL;
	PhDispatcherCounts counts = {0};
	PhDb *db = ph_worker_db_get(&error);
	if (db != NULL)
		ph_daemon_refresh_depths(db);
	ph_dispatcher_get_counts(daemon->dispatcher, &counts);
	ph_metrics_set_gauge("ph_inbox_processed_total", NULL, (gint64)counts.inbox_processed);
	ph_metrics_set_gauge("ph_inbox_failed_total", NULL, (gint64)counts.inbox_failed);
	g_auto(GStrv) topics = ph_registry_list_topics(daemon->registry);
	for (guint i = 0; topics[i] != NULL; i++) {
		PhTopicCounts topic_counts = {0};
		const PhTopic *topic = ph_registry_find_topic(daemon->registry, topics[i]);
		ph_dispatcher_get_topic_counts(daemon->dispatcher, topics[i], &topic_counts);
		g_autofree gchar *labels = g_strdup_printf("topic=\"%s\",plugin=\"%s\"", topics[i],
		                                           ph_plugin_get_name(topic->plugin));
		ph_metrics_set_gauge("ph_outbox_delivered_total", labels,
		                     (gint64)topic_counts.delivered);
		ph_metrics_set_gauge("ph_outbox_retries_total", labels,
		                     (gint64)topic_counts.retried);
		ph_metrics_set_gauge("ph_outbox_dead_lettered_total", labels,
		                     (gint64)topic_counts.dead_lettered);
	}
}

static void
ph_daemon_wake_dispatcher(gpointer data)
{
	ph_dispatcher_wake(data);
}

static gboolean
ph_daemon_on_terminate(gpointer data)
{
	PhDaemon *daemon = data;
	g_message("termination signal: draining in-flight work");
	g_main_loop_quit(daemon->loop);
	return G_SOURCE_CONTINUE;
}

/* SIGHUP: re-read the file; partners and certificates take effect for new connections.
 * A file that no longer loads is refused and the running config stays. */
static gboolean
ph_daemon_on_reload(gpointer data)
{
	PhDaemon *daemon = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(PhConfig) config = ph_config_load(daemon->config->path, &error);
	if (config == NULL) {
		g_warning("reload refused, keeping the running configuration: %s", error->message);
		return G_SOURCE_CONTINUE;
	}
	if (!ph_partner_listener_reload(daemon->partner_listener, config, &error)) {
		g_warning("reload refused, keeping the running configuration: %s", error->message);
		return G_SOURCE_CONTINUE;
	}
	g_ptr_array_add(daemon->retired_configs, daemon->config);
	daemon->config = g_steal_pointer(&config);
	g_message("reloaded %s: %u partners", daemon->config->path, daemon->config->partners->len);
	return G_SOURCE_CONTINUE;
}

/* The database may be down at start; subscriptions are then written at the next start,
 * and the hub reports the database in /healthz meanwhile. */
static void
ph_daemon_sync_subscriptions(PhDaemon *daemon)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhDb) db = ph_db_connect(daemon->config->database_url, &error);
	if (db == NULL || !ph_event_routing_sync(db, daemon->registry, &error))
		g_warning("event subscriptions not recorded: %s", error->message);
}

static gboolean
ph_daemon_start_listeners(PhDaemon *daemon, GError **error)
{
	daemon->partner_listener =
	        ph_partner_listener_new(daemon->config, daemon->registry, daemon->workers, error);
	if (daemon->partner_listener == NULL)
		return FALSE;
	ph_partner_listener_set_on_stored(daemon->partner_listener, ph_daemon_wake_dispatcher,
	                                  daemon->dispatcher);
	if (!ph_partner_listener_start(daemon->partner_listener, error))
		return FALSE;
	daemon->admin_listener = ph_admin_listener_new(
	        daemon->config, daemon->workers, daemon->plugins, ph_daemon_refresh_gauges, daemon);
	if (!ph_admin_listener_start(daemon->admin_listener, error))
		return FALSE;
	g_message("partner listener on https://%s:%u, admin listener on http://%s:%u",
	          daemon->config->partner_address,
	          ph_partner_listener_get_port(daemon->partner_listener),
	          daemon->config->admin_address,
	          ph_admin_listener_get_port(daemon->admin_listener));
	return TRUE;
}

PhDaemon *
ph_daemon_new(const gchar *config_path, GError **error)
{
	g_autoptr(PhDaemon) daemon = g_new0(PhDaemon, 1);
	daemon->retired_configs = g_ptr_array_new_with_free_func((GDestroyNotify)ph_config_free);
	daemon->config = ph_config_load(config_path, error);
	if (daemon->config == NULL)
		return NULL;
	/* encryption at rest, before any worker reads a sealed field (docs/security.md) */
	if (!ph_field_keys_install(daemon->config, error))
		return NULL;
	ph_daemon_describe_metrics();
	/* libxml2 must be initialised in the main thread before workers parse. */
	ph_xml_init();
	ph_worker_db_init(daemon->config->database_url);
	daemon->loop = g_main_loop_new(NULL, FALSE);
	daemon->registry = ph_registry_new();
	daemon->plugins = ph_plugin_host_new(daemon->config, daemon->registry);
	if (!ph_plugin_host_load_dir(daemon->plugins, daemon->config->plugin_dir, error))
		return NULL;
	ph_daemon_sync_subscriptions(daemon);
	daemon->workers = ph_workers_new(daemon->config->workers, g_main_context_default());
	daemon->dispatcher = ph_dispatcher_new(daemon->registry, daemon->config->dispatchers);
	if (!ph_daemon_start_listeners(daemon, error))
		return NULL;
	ph_dispatcher_start(daemon->dispatcher);
	daemon->scheduler = ph_scheduler_start(daemon->registry, daemon->workers);
	daemon->sealer = ph_audit_sealer_start(daemon->config, daemon->workers);
	daemon->audit_linker = ph_audit_linker_start(daemon->workers);
	daemon->signal_sources[0] = g_unix_signal_add(SIGTERM, ph_daemon_on_terminate, daemon);
	daemon->signal_sources[1] = g_unix_signal_add(SIGINT, ph_daemon_on_terminate, daemon);
	daemon->signal_sources[2] = g_unix_signal_add(SIGHUP, ph_daemon_on_reload, daemon);
	return g_steal_pointer(&daemon);
}

int
ph_daemon_run(PhDaemon *daemon)
{
	g_message("pension-hub %s running", PH_VERSION);
	g_main_loop_run(daemon->loop);

	ph_partner_listener_stop(daemon->partner_listener);
	ph_admin_listener_stop(daemon->admin_listener);
	ph_scheduler_stop(daemon->scheduler);
	ph_audit_sealer_stop(daemon->sealer);
	ph_audit_linker_stop(daemon->audit_linker);
	gboolean drained = ph_workers_drain(daemon->workers, daemon->config->drain_seconds);
	/* The dispatcher finishes the batch in hand and records its outcomes. */
	ph_dispatcher_stop(daemon->dispatcher);
	if (!drained) {
		g_warning("%u requests still running after %u s; stopping anyway (what they stored "
		          "is processed after restart)",
		          ph_workers_in_flight(daemon->workers), daemon->config->drain_seconds);
		return 1;
	}
	g_message("drained; exiting");
	return 0;
}

void
ph_daemon_free(PhDaemon *daemon)
{
	if (daemon == NULL)
		return;
	for (guint i = 0; i < G_N_ELEMENTS(daemon->signal_sources); i++)
		g_clear_handle_id(&daemon->signal_sources[i], g_source_remove);
	g_clear_pointer(&daemon->partner_listener, ph_partner_listener_free);
	g_clear_pointer(&daemon->admin_listener, ph_admin_listener_free);
	g_clear_pointer(&daemon->workers, ph_workers_free);
	g_clear_pointer(&daemon->scheduler, ph_scheduler_free);
	g_clear_pointer(&daemon->sealer, ph_audit_sealer_free);
	g_clear_pointer(&daemon->audit_linker, ph_audit_linker_free);
	g_clear_pointer(&daemon->dispatcher, ph_dispatcher_free);
	if (daemon->plugins != NULL)
		ph_plugin_host_shutdown(daemon->plugins);
	g_clear_pointer(&daemon->plugins, ph_plugin_host_free);
	g_clear_pointer(&daemon->registry, ph_registry_free);
	g_clear_pointer(&daemon->loop, g_main_loop_unref);
	g_clear_pointer(&daemon->config, ph_config_free);
	g_clear_pointer(&daemon->retired_configs, g_ptr_array_unref);
	g_free(daemon);
}
