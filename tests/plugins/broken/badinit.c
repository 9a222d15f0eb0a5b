/* A plugin whose init registers a route, an inbox kind, a topic and a job and then fails:
 * the host must remove all four and record the failure with init's own message. */
#include <pension-hub/pension-hub.h>

static void
badinit_answer(PhRequest *request, gpointer data)
{
}

static gboolean
badinit_store(PhTxn *txn, const PhInboxMessage *message, gpointer data, GError **error)
{
	return TRUE;
}

static gboolean
badinit_deliver(const PhOutboxMessage *message, gpointer data, GError **error)
{
	return TRUE;
}

static void
badinit_poll(gpointer data)
{
}

static gpointer
badinit_init(PhPlugin *plugin, GError **error)
{
	static const gchar *const partners[] = {"bank", NULL};
	static const PhRetryPolicy policy = {
	        .initial_delay_ms = 10, .max_delay_ms = 100, .max_attempts = 3};

	if (!ph_plugin_add_route(plugin, "POST", "/badinit/", partners, badinit_answer, error) ||
	    !ph_plugin_add_inbox_handler(plugin, "badinit.message", badinit_store, error) ||
	    !ph_plugin_add_topic(plugin, "badinit.topic", &policy, badinit_deliver, error) ||
	    !ph_plugin_add_job(plugin, "badinit.poll", 5, badinit_poll, error))
		return NULL;
	g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "no partner endpoint configured");
	return NULL;
}

PH_PLUGIN_DEFINE(badinit, "1.0.0", "fails in init after registering", badinit_init, NULL)
