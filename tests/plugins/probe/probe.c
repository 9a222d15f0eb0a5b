/* probe: a test plugin that exercises every path of the host end to end, used by the
 * integration tests of the daemon. Built against the SDK only, like a partner adapter.
 *
 * POST /probe/v1/messages   (partners transfer-platform, personnel; header X-Message-Id)
 *     stores the body in the inbox as kind "probe" and answers 202 "ACCEPTED <id>"; a
 *     repeat answers the first answer again, other bytes under the same id 409.
 * inbox kind "probe"         waits `apply_delay_ms` (so a test can kill the daemon between
 *     store and process), counts the message in state "applied:<id>" and, unless
 *     `forward = false`, queues it on topic "probe.deliver".
 * topic "probe.deliver"      a payload "fail:N ..." fails its first N attempts; "never ..."
 *     always fails; anything else is delivered at once. Deliveries are counted in state
 *     "delivered:<key>".
 * core events "probe_event"  subscribed to topic "probe.deliver" (key "probe_event:<key>").
 */
#include <pension-hub/pension-hub.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	PhPlugin *plugin;
	gint64 apply_delay_ms;
	gboolean forward;
} Probe;

static const gchar *const probe_partners[] = {"transfer-platform", "personnel", NULL};

static gint64
probe_bytes_to_int(GBytes *bytes)
{
	if (bytes == NULL)
		return 0;
	g_autofree gchar *text = g_strndup(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes));
	return g_ascii_strtoll(text, NULL, 10);
}

static GBytes *
probe_int_to_bytes(gint64 value)
{
	gchar *text = g_strdup_printf("%" G_GINT64_FORMAT, value);
	return g_bytes_new_take(text, strlen(text));
}

static void
probe_respond_text(PhRequest *request, guint status, const gchar *text)
{
	g_autoptr(GBytes) body = g_bytes_new(text, strlen(text));
	ph_request_respond(request, status, "text/plain", body);
}

static void
probe_post_message(PhRequest *request, gpointer state)
{
	g_autoptr(GError) error = NULL;
	const gchar *message_id = ph_request_get_header(request, "X-Message-Id");
	gboolean duplicate = FALSE;
	if (message_id == NULL || message_id[0] == '\0') {
		probe_respond_text(request, 400, "missing X-Message-Id\n");
		return;
	}
	g_autofree gchar *text = g_strdup_printf("ACCEPTED %s\n", message_id);
	g_autoptr(GBytes) body = g_bytes_new(text, strlen(text));
	PhAnswer answer = {202, (gchar *)"text/plain", body};
	g_autoptr(PhAnswer) stored =
	    ph_request_store_inbox(request, "probe", message_id, &answer, &duplicate, &error);
	if (stored == NULL) {
		gboolean conflict = g_error_matches(error, PH_ERROR, PH_ERROR_CONFLICT);
		probe_respond_text(request, conflict ? 409 : 503, error->message);
		return;
	}
	ph_request_respond(request, stored->status, stored->content_type, stored->body);
}

static gboolean
probe_count(PhTxn *txn, const gchar *key, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(GBytes) old = ph_txn_state_get(txn, key, &local);
	if (old == NULL && !g_error_matches(local, PH_ERROR, PH_ERROR_NOT_FOUND)) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	g_autoptr(GBytes) value = probe_int_to_bytes(probe_bytes_to_int(old) + 1);
	return ph_txn_state_set(txn, key, value, error);
}

static gboolean
probe_apply(PhTxn *txn, const PhInboxMessage *message, gpointer state, GError **error)
{
	Probe *probe = state;
	g_autofree gchar *key = g_strdup_printf("applied:%s", message->message_id);
	if (probe->apply_delay_ms > 0)
		g_usleep((gulong)probe->apply_delay_ms * 1000);
	if (!probe_count(txn, key, error))
		return FALSE;
	if (!probe->forward)
		return TRUE;
	return ph_txn_outbox_add(txn, "probe.deliver", message->message_id, message->body, error);
}

static gboolean
probe_deliver(const PhOutboxMessage *message, gpointer state, GError **error)
{
	g_autofree gchar *payload =
	    g_strndup(g_bytes_get_data(message->payload, NULL), g_bytes_get_size(message->payload));
	if (g_str_has_prefix(payload, "never")) {
		g_set_error(error, PH_ERROR, PH_ERROR_TRANSIENT, "probe partner is down (attempt %u)",
			    message->attempt);
		return FALSE;
	}
	if (g_str_has_prefix(payload, "fail:")) {
		guint failures = (guint)g_ascii_strtoull(payload + 5, NULL, 10);
		if (message->attempt <= failures) {
			g_set_error(error, PH_ERROR, PH_ERROR_TRANSIENT,
				    "probe partner refused attempt %u of %u", message->attempt,
				    failures);
			return FALSE;
		}
	}
	/* Count the delivery outside any transaction, as a partner on the far side would. */
	Probe *probe = state;
	g_autofree gchar *key = g_strdup_printf("delivered:%s", message->key);
	g_autoptr(GError) local = NULL;
	g_autoptr(GBytes) old = ph_plugin_state_get(probe->plugin, key, &local);
	if (old == NULL && !g_error_matches(local, PH_ERROR, PH_ERROR_NOT_FOUND)) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	g_autoptr(GBytes) value = probe_int_to_bytes(probe_bytes_to_int(old) + 1);
	return ph_plugin_state_set(probe->plugin, key, value, error);
}

static gpointer
probe_init(PhPlugin *plugin, GError **error)
{
	g_autofree Probe *probe = g_new0(Probe, 1);
	const PhRetryPolicy policy = {50, 400, 5};
	g_autoptr(GError) local = NULL;
	probe->plugin = plugin;
	probe->apply_delay_ms = ph_plugin_config_get_int(plugin, "apply_delay_ms", 0, &local);
	if (local == NULL)
		probe->forward = ph_plugin_config_get_boolean(plugin, "forward", TRUE, &local);
	if (local != NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return NULL;
	}
	if (!ph_plugin_add_route(plugin, "POST", "/probe/v1/messages", probe_partners,
				 probe_post_message, error) ||
	    !ph_plugin_add_inbox_handler(plugin, "probe", probe_apply, error) ||
	    !ph_plugin_add_topic(plugin, "probe.deliver", &policy, probe_deliver, error) ||
	    !ph_plugin_subscribe(plugin, "probe_event", "probe.deliver", error))
		return NULL;
	return g_steal_pointer(&probe);
}

static void
probe_shutdown(gpointer state)
{
	g_free(state);
}

PH_PLUGIN_DEFINE(probe, "1.0.0", "test plugin exercising routes, inbox, outbox", probe_init,
		 probe_shutdown)
