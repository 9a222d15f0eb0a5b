/* Binding a libsoup server to a configured address and port, shared by the partner and
 * admin listeners. Host-only. */
#pragma once

#include <libsoup/soup.h>

#include "ph-error.h"

G_BEGIN_DECLS

/* Listens on @address:@port (@port 0: any free port) and returns the port bound, or 0 with
 * PH_ERROR_CONFIG naming the address. */
guint ph_http_listen(SoupServer *server, const gchar *address, guint port,
                     SoupServerListenOptions options, GError **error);

G_END_DECLS
