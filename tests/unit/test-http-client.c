/* The host's HTTPS client (SDK ph-http.h) sorting answers for the outbox: 2xx returned,
 * 4xx PH_ERROR_PERMANENT with the partner's body, 5xx, refused connections and time-outs
 * PH_ERROR_TRANSIENT. A plain-HTTP libsoup server in a thread plays the partner (TLS, the
 * client certificate and the pinned CA are covered by tests/integration/test-transfer). */
#include <libsoup/soup.h>
#include <string.h>

#include "pension-hub.h"

typedef struct {
	GMainContext *context;
	GMainLoop *loop;
	SoupServer *server;
	guint port;
	GMutex lock;
	GCond ready;
	gboolean started;
} Partner;

/* The path says what to answer: /status/NNN, or /slow (after 2 s). */
static gboolean
partner_unpause(gpointer data)
{
	SoupServerMessage *message = data;
	soup_server_message_set_status(message, 200, NULL);
	soup_server_message_unpause(message);
	g_object_unref(message);
	return G_SOURCE_REMOVE;
}

static void
partner_handle(SoupServer *server, SoupServerMessage *message, const char *path, GHashTable *query,
               gpointer user_data)
{
	Partner *partner = user_data;
	if (g_str_equal(path, "/empty/404")) { /* a proxy's answer: a status, no body */
		soup_server_message_set_status(message, 404, NULL);
		return;
	}
	if (g_str_equal(path, "/slow")) {
		soup_server_message_pause(message);
		GSource *source = g_timeout_source_new(2000);
		g_source_set_callback(source, partner_unpause, g_object_ref(message), NULL);
		g_source_attach(source, partner->context);
		g_source_unref(source);
		return;
	}
	guint status = (guint)g_ascii_strtoull(path + strlen("/status/"), NULL, 10);
	SoupMessageBody *request = soup_server_message_get_request_body(message);
	g_autofree gchar *body =
	        g_strdup_printf("<Ack><Status>%u</Status><Got>%" G_GINT64_FORMAT "</Got></Ack>",
	                        status, (gint64)request->length);
	soup_server_message_set_status(message, status, NULL);
	soup_server_message_set_response(message, "application/xml", SOUP_MEMORY_COPY, body,
	                                 strlen(body));
}

static gpointer
partner_run(gpointer data)
{
	Partner *partner = data;
	g_autoptr(GError) error = NULL;
	g_main_context_push_thread_default(partner->context);
	partner->server = soup_server_new(NULL, NULL);
	soup_server_add_handler(partner->server, NULL, partner_handle, partner, NULL);
	soup_server_listen_local(partner->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
	g_assert_no_error(error);
	GSList *uris = soup_server_get_uris(partner->server);
	partner->port = (guint)g_uri_get_port(uris->data);
	g_slist_free_full(uris, (GDestroyNotify)g_uri_unref);
	g_mutex_lock(&partner->lock);
	partner->started = TRUE;
	g_cond_signal(&partner->ready);
	g_mutex_unlock(&partner->lock);
	g_main_loop_run(partner->loop);
	g_object_unref(partner->server);
	g_main_context_pop_thread_default(partner->context);
	return NULL;
}

static Partner partner;

static PhHttpResponse *
post(const gchar *path, guint timeout_ms, GError **error)
{
	g_autofree gchar *url = g_strdup_printf("http://127.0.0.1:%u%s", partner.port, path);
	g_autoptr(GBytes) body = g_bytes_new_static("<Doc/>", 6);
	PhHttpRequest request = {url, "application/xml", body, NULL, 1000, timeout_ms};
	return ph_http_post(NULL, &request, error);
}

static void
test_success(void)
{
	g_autoptr(GError) error = NULL;
	for (guint status = 200; status <= 202; status += 2) {
		g_autofree gchar *path = g_strdup_printf("/status/%u", status);
		g_autoptr(PhHttpResponse) response = post(path, 0, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(response->status, ==, status);
		g_assert_cmpstr(response->content_type, ==, "application/xml");
		g_autofree gchar *text = g_strndup(g_bytes_get_data(response->body, NULL),
		                                   g_bytes_get_size(response->body));
		g_autofree gchar *expected =
		        g_strdup_printf("<Ack><Status>%u</Status><Got>6</Got></Ack>", status);
		g_assert_cmpstr(text, ==, expected);
	}
}

typedef struct {
	const gchar *path;
	gint code;
	const gchar *in_message;
} Failure;

static void
test_failures(void)
{
	g_autofree gchar *closed = g_strdup_printf("http://127.0.0.1:%u/", 1);
	const Failure failures[] = {
	        {"/status/400", PH_ERROR_PERMANENT, "answered 400: <Ack><Status>400"},
	        {"/status/409", PH_ERROR_PERMANENT, "answered 409"},
	        {"/status/500", PH_ERROR_TRANSIENT, "answered 500"},
	        {"/status/503", PH_ERROR_TRANSIENT, "answered 503"},
	        {"/empty/404", PH_ERROR_PERMANENT, "answered 404: "},
	        {"/slow", PH_ERROR_TRANSIENT, "imeout"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(failures); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(PhHttpResponse) response = post(failures[i].path, 300, &error);
		g_assert_null(response);
		g_assert_error(error, PH_ERROR, failures[i].code);
		if (strstr(error->message, failures[i].in_message) == NULL)
			g_error("%s: '%s' not in '%s'", failures[i].path, failures[i].in_message,
			        error->message);
	}
	/* Nobody listens on port 1: refused, worth retrying. */
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) body = g_bytes_new_static("x", 1);
	PhHttpRequest request = {closed, NULL, body, NULL, 500, 500};
	g_autoptr(PhHttpResponse) response = ph_http_post(NULL, &request, &error);
	g_assert_null(response);
	g_assert_error(error, PH_ERROR, PH_ERROR_TRANSIENT);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	partner.context = g_main_context_new();
	partner.loop = g_main_loop_new(partner.context, FALSE);
	GThread *thread = g_thread_new("partner", partner_run, &partner);
	g_mutex_lock(&partner.lock);
	while (!partner.started)
		g_cond_wait(&partner.ready, &partner.lock);
	g_mutex_unlock(&partner.lock);
	g_test_add_func("/http-client/success", test_success);
	g_test_add_func("/http-client/failures", test_failures);
	int result = g_test_run();
	g_main_loop_quit(partner.loop);
	g_thread_join(thread);
	return result;
}
