/* Admin endpoints for operators and monitoring. Both need the database, so each request
 * is answered from a worker thread like partner requests are. */
#include "ph-admin-listener.h"

#include "ph-build-config.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "ph-http-listen.h"
#include "ph-metrics.h"
#include "ph-worker-db.h"

struct _PhAdminListener {
	SoupServer *server;
	const PhConfig *config;
	PhWorkers *workers;
	PhPluginHost *plugins;
	PhAdminGaugeFunc refresh_gauges;
	gpointer user_data;
	guint port;
};

typedef struct {
	PhAdminListener *listener;
	SoupServerMessage *message;
	gboolean metrics; /* else healthz */
	guint status;
	gchar *content_type;
	gchar *body;
} PhAdminCall;

static void
ph_admin_add_plugins(PhAdminListener *listener, JsonBuilder *builder)
{
	GPtrArray *plugins = ph_plugin_host_get_plugins(listener->plugins);
	json_builder_set_member_name(builder, "plugins");
	json_builder_begin_array(builder);
	for (guint i = 0; i < plugins->len; i++) {
		PhPlugin *plugin = g_ptr_array_index(plugins, i);
		PhPluginState state = ph_plugin_get_state(plugin);
		json_builder_begin_object(builder);
		json_builder_set_member_name(builder, "name");
		json_builder_add_string_value(builder, ph_plugin_get_name(plugin));
		json_builder_set_member_name(builder, "state");
		json_builder_add_string_value(builder, ph_plugin_state_to_string(state));
		if (state == PH_PLUGIN_STATE_FAILED) {
			json_builder_set_member_name(builder, "reason");
			json_builder_add_string_value(builder, ph_plugin_get_reason(plugin));
		}
		json_builder_end_object(builder);
	}
	json_builder_end_array(builder);
}

/* Answers 200 when the database answers, else 503 with the reason. */
static void
ph_admin_healthz(PhAdminCall *call)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonBuilder) builder = json_builder_new();
	PhDb *db = ph_worker_db_get(&error);
	if (db != NULL) {
		g_autoptr(PGresult) result = ph_db_query(db, "SELECT 1", 0, NULL, &error);
	}
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "status");
	json_builder_add_string_value(builder, error == NULL ? "ok" : "degraded");
	json_builder_set_member_name(builder, "database");
	json_builder_add_string_value(builder, error == NULL ? "ok" : "unreachable");
	if (error != NULL) {
		json_builder_set_member_name(builder, "reason");
		json_builder_add_string_value(builder, error->message);
	}
	json_builder_set_member_name(builder, "version");
	json_builder_add_string_value(builder, PH_VERSION);
	ph_admin_add_plugins(call->listener, builder);
	json_builder_end_object(builder);

	g_autoptr(JsonNode) root = json_builder_get_root(builder);
	call->status = error == NULL ? SOUP_STATUS_OK : SOUP_STATUS_SERVICE_UNAVAILABLE;
	call->content_type = g_strdup("application/json");
	call->body = json_to_string(root, FALSE);
}

static void
ph_admin_work(gpointer data)
{
	PhAdminCall *call = data;
	if (!call->metrics) {
		ph_admin_healthz(call);
		return;
	}
	if (call->listener->refresh_gauges != NULL)
		call->listener->refresh_gauges(call->listener->user_data);
	call->status = SOUP_STATUS_OK;
	call->content_type = g_strdup("text/plain; version=0.0.4");
	call->body = ph_metrics_render();
}

static void
ph_admin_done(gpointer data)
{
	PhAdminCall *call = data;
	gsize length = strlen(call->body);
	soup_server_message_set_status(call->message, call->status, NULL);
	soup_server_message_set_response(call->message, call->content_type, SOUP_MEMORY_TAKE,
					 g_steal_pointer(&call->body), length);
	soup_server_message_unpause(call->message);
	g_object_unref(call->message);
	g_free(call->content_type);
	g_free(call);
}

static void
ph_admin_handle(SoupServer *server, SoupServerMessage *message, const char *path,
		GHashTable *query, gpointer user_data)
{
	PhAdminListener *listener = user_data;
	gboolean healthz = g_str_equal(path, "/healthz");
	gboolean metrics = g_str_equal(path, "/metrics");
	if (!healthz && !metrics) {
		soup_server_message_set_status(message, SOUP_STATUS_NOT_FOUND, NULL);
		return;
	}
	if (!g_str_equal(soup_server_message_get_method(message), "GET")) {
		soup_server_message_set_status(message, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
		return;
	}
	PhAdminCall *call = g_new0(PhAdminCall, 1);
	call->listener = listener;
	call->message = g_object_ref(message);
	call->metrics = metrics;
	soup_server_message_pause(message);
	ph_workers_push(listener->workers, ph_admin_work, ph_admin_done, call);
}

PhAdminListener *
ph_admin_listener_new(const PhConfig *config, PhWorkers *workers, PhPluginHost *plugins,
		      PhAdminGaugeFunc refresh_gauges, gpointer user_data)
{
	PhAdminListener *listener = g_new0(PhAdminListener, 1);
	listener->config = config;
	listener->workers = workers;
	listener->plugins = plugins;
	listener->refresh_gauges = refresh_gauges;
	listener->user_data = user_data;
	listener->server = soup_server_new("server-header", "pension-hub-admin", NULL);
	soup_server_add_handler(listener->server, NULL, ph_admin_handle, listener, NULL);
	return listener;
}

gboolean
ph_admin_listener_start(PhAdminListener *listener, GError **error)
{
	listener->port = ph_http_listen(listener->server, listener->config->admin_address,
					listener->config->admin_port, 0, error);
	return listener->port != 0;
}

guint
ph_admin_listener_get_port(PhAdminListener *listener)
{
	return listener->port;
}

void
ph_admin_listener_stop(PhAdminListener *listener)
{
	soup_server_disconnect(listener->server);
}

void
ph_admin_listener_free(PhAdminListener *listener)
{
	if (listener == NULL)
		return;
	g_clear_object(&listener->server);
	g_free(listener);
}
