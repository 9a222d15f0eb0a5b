/* The host's HTTPS client for plugins: one blocking POST or PUT with the hub's client certificate
 * ([client-tls]), the partner's CA pinned, connect and total time-outs, and partners'
 * answers sorted into retry-worthy and final failures for the outbox. Implemented with
 * libcurl in hub/ph-http-client.c; call it from a worker thread (a deliver function or a
 * job). GLib only. */
#pragma once

#include <glib.h>

#include "ph-error.h"
#include "ph-plugin.h"

G_BEGIN_DECLS

typedef struct {
	const gchar *url;          /* https://… */
	const gchar *content_type; /* e.g. "application/xml" */
	GBytes *body;
	const gchar *ca_path;     /* the only CA trusted for the partner's server certificate */
	guint connect_timeout_ms; /* 0: 10 s */
	guint timeout_ms;         /* 0: 60 s for the whole exchange */
} PhHttpRequest;

typedef struct {
	guint status;
	gchar *content_type; /* may be NULL */
	GBytes *body;
} PhHttpResponse;

void ph_http_response_free(PhHttpResponse *response);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhHttpResponse, ph_http_response_free)

/* POSTs @request presenting the hub's [client-tls] certificate (none when the config has
 * none). A 2xx or 3xx answer is returned. A transport failure (refused, time-out, TLS) or a
 * 5xx answer fails with PH_ERROR_TRANSIENT; a 4xx answer fails with PH_ERROR_PERMANENT and
 * the partner's status and body in the message. Connections are kept alive per thread. */
PhHttpResponse *ph_http_post(PhPlugin *plugin, const PhHttpRequest *request, GError **error);
/* The same, but every HTTP answer is returned, a 4xx or 5xx one too (its whole body, for a
 * partner whose refusals say what to do next); only a transport failure fails, with
 * PH_ERROR_TRANSIENT. */
PhHttpResponse *ph_http_post_answer(PhPlugin *plugin, const PhHttpRequest *request,
                                    GError **error);
/* FALSE for a 4xx or 5xx @response, with the error ph_http_post gives for it (@request names
 * the URL); TRUE otherwise. */
gboolean ph_http_response_check(const PhHttpRequest *request, const PhHttpResponse *response,
                                GError **error);
/* The same as a PUT of @request's body (e.g. an archival package to its resource URL). */
PhHttpResponse *ph_http_put(PhPlugin *plugin, const PhHttpRequest *request, GError **error);

G_END_DECLS
