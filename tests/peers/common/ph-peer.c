/* Shared parts of the issue 8 partner simulators (see ph-peer.h). Tests only. */
#include "ph-peer.h"

#include <curl/curl.h>
#include <glib-unix.h>
#include <signal.h>
#include <string.h>

static void
ph_peer_add_options(PhPeer *peer, GOptionContext *context, gint port)
{
	peer->port = port;
	GOptionEntry entries[] = {
	        {"port", 0, 0, G_OPTION_ARG_INT, &peer->port, "HTTPS port", "PORT"},
	        {"pki", 0, 0, G_OPTION_ARG_FILENAME, &peer->pki, "dev PKI folder ($PH_PKI)", "DIR"},
	        {"events", 0, 0, G_OPTION_ARG_FILENAME, &peer->events_path, "also log events here",
	         "FILE"},
	        {"down", 0, 0, G_OPTION_ARG_NONE, &peer->down,
	         "start down: answer 503 until SIGUSR2", NULL},
	        {"delay-ms", 0, 0, G_OPTION_ARG_INT, &peer->delay_ms, "answer this much later",
	         "MS"},
	        {"hub-url", 0, 0, G_OPTION_ARG_STRING, &peer->hub_url,
	         "the hub's partner listener (https://127.0.0.1:8443)", "URL"},
	        {NULL},
	};
	g_option_context_add_main_entries(context, entries, NULL);
}

void
ph_peer_event_line(GMutex *lock, FILE *events, const gchar *line)
{
	g_mutex_lock(lock);
	printf("%s\n", line);
	fflush(stdout);
	if (events != NULL) {
		fprintf(events, "%s\n", line);
		fflush(events);
	}
	g_mutex_unlock(lock);
}

void
ph_peer_event(PhPeer *peer, const gchar *format, ...)
{
	va_list args;
	va_start(args, format);
	g_autofree gchar *line = g_strdup_vprintf(format, args);
	va_end(args);
	ph_peer_event_line(&peer->lock, peer->events, line);
}

static gboolean
ph_peer_go_down(gpointer data)
{
	PhPeer *peer = data;
	peer->down = TRUE;
	ph_peer_event(peer, "SWITCH down");
	return G_SOURCE_CONTINUE;
}

static gboolean
ph_peer_come_back(gpointer data)
{
	PhPeer *peer = data;
	peer->down = FALSE;
	ph_peer_event(peer, "SWITCH up");
	return G_SOURCE_CONTINUE;
}

static gboolean
ph_peer_prepare(PhPeer *peer)
{
	if (peer->pki == NULL)
		peer->pki = g_strdup(g_getenv("PH_PKI"));
	if (peer->pki == NULL) {
		g_printerr("%s-sim: --pki or $PH_PKI is required\n", peer->name);
		return FALSE;
	}
	if (peer->hub_url == NULL)
		peer->hub_url = g_strdup("https://127.0.0.1:8443");
	g_mutex_init(&peer->lock);
	peer->events = peer->events_path != NULL ? fopen(peer->events_path, "a") : NULL;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	g_unix_signal_add(SIGUSR1, ph_peer_go_down, peer);
	g_unix_signal_add(SIGUSR2, ph_peer_come_back, peer);
	return TRUE;
}

static gboolean
ph_peer_accept_certificate(SoupServerMessage *message, GTlsCertificate *certificate,
                           GTlsCertificateFlags errors, gpointer user_data)
{
	return errors == 0; /* chains to the dev CA: the hub's client certificate */
}

static void
ph_peer_request_started(SoupServer *server, SoupServerMessage *message, gpointer user_data)
{
	g_signal_connect(message, "accept-certificate", G_CALLBACK(ph_peer_accept_certificate),
	                 NULL);
}

static gboolean
ph_peer_listen(PhPeer *peer, const gchar *path, SoupServerCallback callback, gpointer user_data,
               GError **error)
{
	g_autofree gchar *cert_file = g_strdup_printf("%s/%s.crt", peer->pki, peer->name);
	g_autofree gchar *key_file = g_strdup_printf("%s/%s.key", peer->pki, peer->name);
	g_autofree gchar *ca_relative = g_build_filename(peer->pki, "ca.crt", NULL);
	g_autofree gchar *ca = g_canonicalize_filename(ca_relative, NULL);
	g_autoptr(GTlsCertificate) certificate =
	        g_tls_certificate_new_from_files(cert_file, key_file, error);
	g_autoptr(GTlsDatabase) database =
	        certificate != NULL ? g_tls_file_database_new(ca, error) : NULL;
	if (database == NULL)
		return FALSE;
	peer->server = soup_server_new("server-header", peer->name, NULL);
	g_object_set(peer->server, "tls-certificate", certificate, "tls-database", database,
	             "tls-auth-mode", G_TLS_AUTHENTICATION_REQUIRED, NULL);
	g_signal_connect(peer->server, "request-started", G_CALLBACK(ph_peer_request_started),
	                 NULL);
	soup_server_add_handler(peer->server, path, callback, user_data, NULL);
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) address =
	        g_inet_socket_address_new(loopback, (guint16)peer->port);
	return soup_server_listen(peer->server, address, SOUP_SERVER_LISTEN_HTTPS, error);
}

void
ph_peer_respond(SoupServerMessage *message, guint status, const gchar *content_type,
                const gchar *body)
{
	soup_server_message_set_status(message, status, NULL);
	soup_server_message_set_response(message, content_type, SOUP_MEMORY_COPY, body,
	                                 strlen(body));
}

gboolean
ph_peer_take_post(PhPeer *peer, SoupServerMessage *message, const gchar *what)
{
	return ph_peer_take(peer, message, "POST", what);
}

gboolean
ph_peer_take(PhPeer *peer, SoupServerMessage *message, const gchar *method, const gchar *what)
{
	if (g_strcmp0(soup_server_message_get_method(message), method) != 0) {
		g_autofree gchar *only = g_strdup_printf("%s only\n", method);
		ph_peer_respond(message, 405, "text/plain", only);
		return FALSE;
	}
	if (!peer->down)
		return TRUE;
	ph_peer_event(peer, "DOWN refused %s", what);
	ph_peer_respond(message, 503, "text/plain", "simulated outage\n");
	return FALSE;
}

static gboolean
ph_peer_unpause(gpointer data)
{
	soup_server_message_unpause(data);
	g_object_unref(data);
	return G_SOURCE_REMOVE;
}

void
ph_peer_maybe_delay(PhPeer *peer, SoupServerMessage *message)
{
	if (peer->delay_ms <= 0)
		return;
	soup_server_message_pause(message);
	g_timeout_add((guint)peer->delay_ms, ph_peer_unpause, g_object_ref(message));
}

static size_t
ph_peer_collect(char *data, size_t size, size_t count, void *user_data)
{
	g_string_append_len(user_data, data, (gssize)(size * count));
	return size * count;
}

glong
ph_peer_call_hub(PhPeer *peer, const gchar *method, const gchar *path, const gchar *content_type,
                 const gchar *body, gchar **answer)
{
	g_autofree gchar *url = g_strconcat(peer->hub_url, path, NULL);
	g_autofree gchar *cert = g_strdup_printf("%s/%s.crt", peer->pki, peer->name);
	g_autofree gchar *key = g_strdup_printf("%s/%s.key", peer->pki, peer->name);
	g_autofree gchar *ca = g_build_filename(peer->pki, "ca.crt", NULL);
	g_autofree gchar *type = g_strdup_printf("Content-Type: %s", content_type);
	g_autoptr(GString) received = g_string_new(NULL);
	struct curl_slist *headers = curl_slist_append(NULL, type);
	CURL *curl = curl_easy_init();
	glong status = 0;
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_SSLCERT, cert);
	curl_easy_setopt(curl, CURLOPT_SSLKEY, key);
	curl_easy_setopt(curl, CURLOPT_CAINFO, ca);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	if (body != NULL)
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, ph_peer_collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, received);
	if (curl_easy_perform(curl) == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	*answer = g_strdup(g_strstrip(received->str));
	return status;
}

int
ph_peer_main(PhPeer *peer, const PhPeerSpec *spec, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) options = g_option_context_new(spec->summary);
	ph_peer_add_options(peer, options, spec->default_port);
	g_option_context_add_main_entries(options, spec->entries, NULL);
	if (!g_option_context_parse(options, &argc, &argv, &error)) {
		g_printerr("%s-sim: %s\n", peer->name, error->message);
		return 2;
	}
	if (!ph_peer_prepare(peer))
		return 2;
	if (!ph_peer_listen(peer, spec->path, spec->callback, spec->user_data, &error)) {
		g_printerr("%s-sim: %s\n", peer->name, error->message);
		return 1;
	}
	ph_peer_event(peer, "READY https://127.0.0.1:%d%s", peer->port, spec->path);
	if (spec->at_start != NULL)
		g_idle_add(spec->at_start, spec->user_data);
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
	g_main_loop_run(loop);
	return 0;
}
