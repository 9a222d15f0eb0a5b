/* The partner listener: HTTPS with a required client certificate that chains to the
 * partner CA and maps to a partner of the config. Each request is routed to the plugin
 * route with the longest matching prefix, authorised against the route's partner list,
 * and handled in a worker thread; the main loop only moves bytes. */
#include "ph-partner-listener.h"

#include <string.h>

#include "ph-http-listen.h"
#include "ph-metrics.h"
#include "ph-plugin-private.h"
#include "ph-request-private.h"
#include "ph-tls.h"

struct _PhPartnerListener {
	SoupServer *server;
	const PhConfig *config;
	PhRegistry *registry;
	PhWorkers *workers;
	guint port;
	void (*on_stored)(gpointer user_data);
	gpointer on_stored_data;
};

typedef struct {
	PhPartnerListener *listener;
	SoupServerMessage *message;
	const PhRoute *route;
	PhRequest *request;
	gint64 started;
} PhPartnerCall;

/* What the partner mapping needs of a client certificate, read from it once. */
typedef struct {
	gchar *subject;
	gchar *pin;
} PhPeerIdentity;

static void
ph_peer_identity_free(gpointer data)
{
	PhPeerIdentity *identity = data;
	g_free(identity->subject);
	g_free(identity->pin);
	g_free(identity);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhPeerIdentity, ph_peer_identity_free)

static PhPeerIdentity *
ph_peer_identity_new(GTlsCertificate *certificate)
{
	PhPeerIdentity *identity = g_new0(PhPeerIdentity, 1);
	identity->subject = ph_tls_certificate_subject(certificate);
	identity->pin = ph_tls_certificate_pin(certificate);
	return identity;
}

/* libsoup gives the peer certificate only to the first message of a connection; its
 * identity is kept on the socket for the connection's later messages, which also spares
 * parsing the certificate again for each request of a keep-alive connection. */
static const PhPeerIdentity *
ph_partner_listener_peer(SoupServerMessage *message)
{
	GSocket *socket = soup_server_message_get_socket(message);
	GObject *holder = socket != NULL ? G_OBJECT(socket) : G_OBJECT(message);
	PhPeerIdentity *identity = g_object_get_data(holder, "ph-peer-identity");
	if (identity != NULL)
		return identity;
	GTlsCertificate *certificate = soup_server_message_get_tls_peer_certificate(message);
	if (certificate == NULL)
		return NULL;
	identity = ph_peer_identity_new(certificate);
	g_object_set_data_full(holder, "ph-peer-identity", identity, ph_peer_identity_free);
	return identity;
}

static const PhPartnerConfig *
ph_partner_listener_identify(PhPartnerListener *listener, const PhPeerIdentity *identity)
{
	if (identity == NULL)
		return NULL;
	return ph_config_match_certificate(listener->config, identity->subject, identity->pin);
}

/* GnuTLS asks here whether to accept the client's certificate: only when it verified
 * against the partner CA (no error flags) and belongs to a configured partner. */
static gboolean
ph_partner_listener_accept_certificate(SoupServerMessage *message, GTlsCertificate *certificate,
                                       GTlsCertificateFlags errors, gpointer user_data)
{
	PhPartnerListener *listener = user_data;
	g_autoptr(PhPeerIdentity) identity = ph_peer_identity_new(certificate);
	if (errors != 0) {
		g_message("refused client certificate '%s': verification flags 0x%x",
		          identity->subject, (guint)errors);
		ph_metrics_count("ph_tls_refused_total", "reason=\"untrusted\"", 1);
		return FALSE;
	}
	if (ph_partner_listener_identify(listener, identity) == NULL) {
		g_message("refused client certificate '%s': no configured partner has it",
		          identity->subject);
		ph_metrics_count("ph_tls_refused_total", "reason=\"unknown_partner\"", 1);
		return FALSE;
	}
	return TRUE;
}

static void
ph_partner_listener_request_started(SoupServer *server, SoupServerMessage *message,
                                    gpointer user_data)
{
	g_signal_connect(message, "accept-certificate",
	                 G_CALLBACK(ph_partner_listener_accept_certificate), user_data);
}

static void
ph_partner_listener_reply(SoupServerMessage *message, guint status, const gchar *text)
{
	soup_server_message_set_status(message, status, NULL);
	soup_server_message_set_response(message, "text/plain; charset=utf-8", SOUP_MEMORY_COPY,
	                                 text, strlen(text));
}

static void
ph_partner_listener_count(const gchar *route, guint status)
{
	g_autofree gchar *labels = g_strdup_printf("route=\"%s\",status=\"%u\"", route, status);
	ph_metrics_count("ph_http_requests_total", labels, 1);
}

/* A chunked body has no length up front: it is collected here chunk by chunk instead of
 * by libsoup, and dropped once it passes the limit, so that a partner cannot make the hub
 * hold more than the limit in memory. The rest is still read (and discarded) so that the
 * 413 answer reaches the partner. */
typedef struct {
	GByteArray *bytes; /* NULL once over the limit */
	guint64 limit;
} PhChunkedBody;

static void
ph_chunked_body_free(gpointer data)
{
	PhChunkedBody *body = data;
	if (body->bytes != NULL)
		g_byte_array_unref(body->bytes);
	g_free(body);
}

static void
ph_chunked_body_got_chunk(SoupServerMessage *message, GBytes *chunk, gpointer user_data)
{
	PhChunkedBody *body = user_data;
	gsize size = 0;
	const guint8 *data = g_bytes_get_data(chunk, &size);
	if (body->bytes == NULL)
		return;
	if (body->bytes->len + (guint64)size > body->limit) {
		g_clear_pointer(&body->bytes, g_byte_array_unref);
		return;
	}
	g_byte_array_append(body->bytes, data, (guint)size);
}

static void
ph_chunked_body_collect(SoupServerMessage *message, guint64 limit)
{
	PhChunkedBody *body = g_new0(PhChunkedBody, 1);
	body->bytes = g_byte_array_new();
	body->limit = limit;
	soup_message_body_set_accumulate(soup_server_message_get_request_body(message), FALSE);
	g_object_set_data_full(G_OBJECT(message), "ph-chunked-body", body, ph_chunked_body_free);
	g_signal_connect(message, "got-chunk", G_CALLBACK(ph_chunked_body_got_chunk), body);
}

/* The request body, or NULL when it passed the limit. */
static GBytes *
ph_partner_listener_body(PhPartnerListener *listener, SoupServerMessage *message)
{
	PhChunkedBody *chunked = g_object_get_data(G_OBJECT(message), "ph-chunked-body");
	if (chunked != NULL)
		return chunked->bytes != NULL
		               ? g_byte_array_free_to_bytes(g_steal_pointer(&chunked->bytes))
		               : NULL;
	GBytes *body = soup_message_body_flatten(soup_server_message_get_request_body(message));
	if (g_bytes_get_size(body) <= listener->config->body_limit)
		return body;
	g_bytes_unref(body);
	return NULL;
}

/* Refuses a body over the limit from its Content-Length, before it is read; a chunked body
 * is counted as it arrives. */
static void
ph_partner_listener_early(SoupServer *server, SoupServerMessage *message, const char *path,
                          GHashTable *query, gpointer user_data)
{
	PhPartnerListener *listener = user_data;
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(message);
	SoupEncoding encoding = soup_message_headers_get_encoding(headers);
	if (encoding == SOUP_ENCODING_CHUNKED) {
		ph_chunked_body_collect(message, listener->config->body_limit);
		return;
	}
	if (encoding != SOUP_ENCODING_CONTENT_LENGTH)
		return;
	if ((guint64)soup_message_headers_get_content_length(headers) <=
	    listener->config->body_limit)
		return;
	ph_partner_listener_reply(message, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
	                          "request body over the size limit\n");
	soup_message_headers_replace(soup_server_message_get_response_headers(message),
	                             "Connection", "close");
	ph_partner_listener_count("-", SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE);
}

static void
ph_partner_call_work(gpointer data)
{
	PhPartnerCall *call = data;
	call->route->handler(call->request, ph_plugin_get_data(call->route->plugin));
}

static void
ph_partner_call_done(gpointer data)
{
	PhPartnerCall *call = data;
	guint status = ph_request_get_status(call->request);
	GBytes *body = ph_request_get_response_body(call->request);
	if (status == 0) {
		g_warning("route %s of plugin %s set no status; answering 500",
		          call->route->path_prefix, ph_plugin_get_name(call->route->plugin));
		ph_partner_listener_reply(call->message, SOUP_STATUS_INTERNAL_SERVER_ERROR,
		                          "internal error\n");
		status = SOUP_STATUS_INTERNAL_SERVER_ERROR;
	} else {
		gsize size = 0;
		const gchar *data_ptr = body != NULL ? g_bytes_get_data(body, &size) : "";
		soup_server_message_set_status(call->message, status, NULL);
		soup_server_message_set_response(call->message,
		                                 ph_request_get_response_type(call->request),
		                                 SOUP_MEMORY_COPY, data_ptr, size);
	}
	ph_partner_listener_count(call->route->path_prefix, status);
	soup_server_message_unpause(call->message);
	g_object_unref(call->message);
	ph_request_free(call->request);
	g_free(call);
}

static gboolean
ph_partner_route_allows(const PhRoute *route, const gchar *partner)
{
	return route->partners != NULL &&
	       g_strv_contains((const gchar *const *)route->partners, partner);
}

static void
ph_partner_listener_handle(SoupServer *server, SoupServerMessage *message, const char *path,
                           GHashTable *query, gpointer user_data)
{
	PhPartnerListener *listener = user_data;
	const char *method = soup_server_message_get_method(message);
	const PhPeerIdentity *peer = ph_partner_listener_peer(message);
	const PhPartnerConfig *partner = ph_partner_listener_identify(listener, peer);

	/* The handshake already refused unknown partners; this re-check guards a config
	 * reload that removed the partner from a live keep-alive connection. */
	if (partner == NULL) {
		ph_partner_listener_reply(message, SOUP_STATUS_FORBIDDEN, "unknown partner\n");
		ph_partner_listener_count("-", SOUP_STATUS_FORBIDDEN);
		return;
	}
	const PhRoute *route = ph_registry_find_route(listener->registry, method, path);
	if (route == NULL) {
		ph_partner_listener_reply(message, SOUP_STATUS_NOT_FOUND, "no such route\n");
		ph_partner_listener_count("-", SOUP_STATUS_NOT_FOUND);
		return;
	}
	if (!ph_partner_route_allows(route, partner->name)) {
		g_message("403: partner %s (certificate '%s') may not call %s %s", partner->name,
		          peer->subject, method, path);
		ph_partner_listener_reply(message, SOUP_STATUS_FORBIDDEN,
		                          "this partner may not call this route\n");
		ph_partner_listener_count(route->path_prefix, SOUP_STATUS_FORBIDDEN);
		return;
	}
	g_autoptr(GBytes) body = ph_partner_listener_body(listener, message);
	if (body == NULL) {
		ph_partner_listener_reply(message, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
		                          "request body over the size limit\n");
		ph_partner_listener_count(route->path_prefix, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE);
		return;
	}
	PhPartnerCall *call = g_new0(PhPartnerCall, 1);
	call->listener = listener;
	call->message = g_object_ref(message);
	call->route = route;
	call->request = ph_request_new(method, path, partner->name,
	                               soup_server_message_get_request_headers(message), body);
	if (listener->on_stored != NULL)
		ph_request_set_on_stored(call->request, G_CALLBACK(listener->on_stored),
		                         listener->on_stored_data);
	soup_server_message_pause(message);
	ph_workers_push(listener->workers, ph_partner_call_work, ph_partner_call_done, call);
}

static gboolean
ph_partner_listener_apply_tls(PhPartnerListener *listener, const PhConfig *config, GError **error)
{
	g_autoptr(GTlsCertificate) certificate =
	        ph_tls_load_certificate(config->tls_certificate, config->tls_key, error);
	if (certificate == NULL)
		return FALSE;
	g_autoptr(GTlsDatabase) database = ph_tls_load_ca(config->tls_ca, error);
	if (database == NULL)
		return FALSE;
	g_object_set(listener->server, "tls-certificate", certificate, "tls-database", database,
	             "tls-auth-mode", G_TLS_AUTHENTICATION_REQUIRED, NULL);
	return TRUE;
}

PhPartnerListener *
ph_partner_listener_new(const PhConfig *config, PhRegistry *registry, PhWorkers *workers,
                        GError **error)
{
	g_autoptr(PhPartnerListener) listener = g_new0(PhPartnerListener, 1);
	listener->config = config;
	listener->registry = registry;
	listener->workers = workers;
	listener->server = soup_server_new("server-header", "pension-hub", NULL);
	if (!ph_partner_listener_apply_tls(listener, config, error))
		return NULL;
	g_signal_connect(listener->server, "request-started",
	                 G_CALLBACK(ph_partner_listener_request_started), listener);
	soup_server_add_early_handler(listener->server, NULL, ph_partner_listener_early, listener,
	                              NULL);
	soup_server_add_handler(listener->server, NULL, ph_partner_listener_handle, listener, NULL);
	return g_steal_pointer(&listener);
}

gboolean
ph_partner_listener_start(PhPartnerListener *listener, GError **error)
{
	listener->port =
	        ph_http_listen(listener->server, listener->config->partner_address,
	                       listener->config->partner_port, SOUP_SERVER_LISTEN_HTTPS, error);
	return listener->port != 0;
}

void
ph_partner_listener_set_on_stored(PhPartnerListener *listener, void (*on_stored)(gpointer),
                                  gpointer user_data)
{
	listener->on_stored = on_stored;
	listener->on_stored_data = user_data;
}

guint
ph_partner_listener_get_port(PhPartnerListener *listener)
{
	return listener->port;
}

gboolean
ph_partner_listener_reload(PhPartnerListener *listener, const PhConfig *config, GError **error)
{
	if (!ph_partner_listener_apply_tls(listener, config, error))
		return FALSE;
	listener->config = config;
	return TRUE;
}

void
ph_partner_listener_stop(PhPartnerListener *listener)
{
	soup_server_disconnect(listener->server);
}

void
ph_partner_listener_free(PhPartnerListener *listener)
{
	if (listener == NULL)
		return;
	g_clear_object(&listener->server);
	g_free(listener);
}
