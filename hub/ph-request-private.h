/* Host side of PhRequest: the listener builds one from a libsoup message (copying what a
 * worker thread may read, since libsoup objects stay in the main thread) and reads the
 * response back after the plugin's handler ran. Host-only. */
#pragma once

#include <libsoup/soup.h>

#include "pension-hub.h"

G_BEGIN_DECLS

PhRequest *
ph_request_new(const gchar *method, const gchar *path, const gchar *partner,
	       SoupMessageHeaders *headers, GBytes *body);
void
ph_request_free(PhRequest *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhRequest, ph_request_free)

/* The status the handler set, 0 if it set none. */
guint
ph_request_get_status(PhRequest *request);
const gchar *
ph_request_get_response_type(PhRequest *request);
GBytes *
ph_request_get_response_body(PhRequest *request);

/* @callback (void (*)(gpointer)) runs in the worker after ph_request_store_inbox stored a
 * message, so that the inbox processor starts on it at once instead of at its next poll. */
void
ph_request_set_on_stored(PhRequest *request, GCallback callback, gpointer user_data);

G_END_DECLS
