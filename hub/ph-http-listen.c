/* One place that turns a configured address into a listening libsoup server. */
#include "ph-http-listen.h"

guint
ph_http_listen(SoupServer *server, const gchar *address, guint port,
               SoupServerListenOptions options, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(GSocketAddress) socket_address =
	        g_inet_socket_address_new_from_string(address, port);
	if (socket_address == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "bad listener address %s", address);
		return 0;
	}
	if (!soup_server_listen(server, socket_address, options, &local)) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "cannot listen on %s:%u: %s", address,
		            port, local->message);
		return 0;
	}
	GSList *uris = soup_server_get_uris(server);
	guint bound = uris != NULL ? (guint)g_uri_get_port(uris->data) : 0;
	g_slist_free_full(uris, (GDestroyNotify)g_uri_unref);
	return bound;
}
