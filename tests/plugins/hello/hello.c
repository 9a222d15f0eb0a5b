/* hello: the smallest complete plugin, used by the plugin host's tests and as the worked
 * example of docs/plugin-guide.md. It includes only the SDK umbrella header, so that it
 * builds out of tree with `pkg-config --cflags pension-hub-sdk`. */
#include <pension-hub/pension-hub.h>

typedef struct {
	gchar *greeting;
	gint64 repeat;
} HelloState;

static void
hello_state_free(HelloState *state)
{
	g_free(state->greeting);
	g_free(state);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HelloState, hello_state_free)

/* GET /hello/… from partner "bank": answers the configured greeting. */
static void
hello_answer(PhRequest *request, gpointer data)
{
	HelloState *state = data;
	g_autoptr(GString) text = g_string_new(NULL);
	for (gint64 i = 0; i < state->repeat; i++)
		g_string_append_printf(text, "%s\n", state->greeting);
	g_autoptr(GBytes) body = g_string_free_to_bytes(g_steal_pointer(&text));
	ph_request_respond(request, 200, "text/plain; charset=utf-8", body);
}

/* Delivers an outbox message of topic hello.greeting: nothing to send in a test. */
static gboolean
hello_deliver(const PhOutboxMessage *message, gpointer data, GError **error)
{
	g_debug("delivered %s attempt %u", message->key, message->attempt);
	return TRUE;
}

static void
hello_poll(gpointer data)
{
	g_debug("poll");
}

static gpointer
hello_init(PhPlugin *plugin, GError **error)
{
	static const gchar *const partners[] = {"bank", NULL};
	static const PhRetryPolicy policy = {
	        .initial_delay_ms = 1000, .max_delay_ms = 60000, .max_attempts = 5};
	g_autoptr(HelloState) state = g_new0(HelloState, 1);
	g_autoptr(GError) local = NULL;

	state->greeting = ph_plugin_config_get_string(plugin, "greeting", "hello", error);
	if (state->greeting == NULL)
		return NULL;
	state->repeat = ph_plugin_config_get_int(plugin, "repeat", 1, &local);
	if (local != NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return NULL;
	}
	if (!ph_plugin_add_route(plugin, "GET", "/hello/", partners, hello_answer, error) ||
	    !ph_plugin_add_topic(plugin, "hello.greeting", &policy, hello_deliver, error) ||
	    !ph_plugin_add_job(plugin, "hello.poll", 60, hello_poll, error) ||
	    !ph_plugin_use_mapping(plugin, "hello", error))
		return NULL;
	return g_steal_pointer(&state);
}

static void
hello_shutdown(gpointer data)
{
	hello_state_free(data);
}

PH_PLUGIN_DEFINE(hello, "1.0.0", "greets partner bank (SDK example)", hello_init, hello_shutdown)
