/* The host's HTTPS client (the SDK's <pension-hub/ph-http.h>): libcurl easy handles, one
 * kept per thread so that connections to a partner stay alive between messages. Host code;
 * the only user of libcurl in the hub. */
#include <curl/curl.h>
#include <string.h>

#include "ph-http.h"
#include "ph-plugin-private.h"
#include "ph-xml-autocleanup.h"

#define PH_HTTP_ANSWER_LIMIT     (4 * 1024 * 1024)
#define PH_HTTP_ERROR_BODY_SHOWN 512

static void
ph_http_client_free_handle(gpointer handle)
{
	curl_easy_cleanup(handle);
}

static GPrivate ph_http_client_handle = G_PRIVATE_INIT(ph_http_client_free_handle);

static CURL *
ph_http_client_get_handle(void)
{
	static gsize initialised = 0;
	if (g_once_init_enter(&initialised)) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		g_once_init_leave(&initialised, 1);
	}
	CURL *handle = g_private_get(&ph_http_client_handle);
	if (handle == NULL) {
		handle = curl_easy_init();
		g_private_set(&ph_http_client_handle, handle);
	} else {
		curl_easy_reset(handle); /* options go, the connection cache stays */
	}
	return handle;
}

void
ph_http_response_free(PhHttpResponse *response)
{
	if (response == NULL)
		return;
	g_free(response->content_type);
	g_clear_pointer(&response->body, g_bytes_unref);
	g_free(response);
}

static size_t
ph_http_client_collect(char *data, size_t size, size_t count, void *user_data)
{
	GByteArray *received = user_data;
	if (received->len + size * count > PH_HTTP_ANSWER_LIMIT)
		return 0; /* makes curl fail with a write error */
	g_byte_array_append(received, (const guint8 *)data, (guint)(size * count));
	return size * count;
}

static void
ph_http_client_set_tls(CURL *handle, PhPlugin *plugin, const PhHttpRequest *request)
{
	curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(handle, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (request->ca_path != NULL) {
		curl_easy_setopt(handle, CURLOPT_CAINFO, request->ca_path);
		curl_easy_setopt(handle, CURLOPT_CAPATH, NULL);
	}
	const PhConfig *config = plugin != NULL ? plugin->config : NULL;
	if (config != NULL && config->client_certificate != NULL && config->client_key != NULL) {
		curl_easy_setopt(handle, CURLOPT_SSLCERT, config->client_certificate);
		curl_easy_setopt(handle, CURLOPT_SSLKEY, config->client_key);
	}
}

static gchar *
ph_http_client_excerpt(GBytes *body)
{
	gsize length = 0;
	const gchar *data = g_bytes_get_data(body, &length);
	/* an empty body has no data at all (NULL) */
	return g_strstrip(g_utf8_make_valid(data != NULL ? data : "",
	                                    (gssize)MIN(length, PH_HTTP_ERROR_BODY_SHOWN)));
}

gboolean
ph_http_response_check(const PhHttpRequest *request, const PhHttpResponse *response,
                       GError **error)
{
	g_return_val_if_fail(request != NULL && response != NULL, FALSE);
	if (response->status < 400)
		return TRUE;
	g_autofree gchar *excerpt = ph_http_client_excerpt(response->body);
	g_set_error(error, PH_ERROR, response->status >= 500 ? PH_ERROR_TRANSIENT : PH_ERROR_PERMANENT,
	            "%s answered %u: %s", request->url, response->status, excerpt);
	return FALSE;
}

/* @method "POST" or "PUT": both send the body as it is (curl's POST fields, the method
 * renamed for PUT), so one path serves both. Any HTTP answer is returned; only a transport
 * failure fails. */
static PhHttpResponse *
ph_http_client_exchange(PhPlugin *plugin, const gchar *method, const PhHttpRequest *request,
                        GError **error)
{
	g_return_val_if_fail(request != NULL && request->url != NULL && request->body != NULL,
	                     NULL);
	CURL *handle = ph_http_client_get_handle();
	g_autoptr(GByteArray) received = g_byte_array_new();
	g_autofree gchar *type_header = g_strdup_printf(
	        "Content-Type: %s",
	        request->content_type != NULL ? request->content_type : "application/octet-stream");
	struct curl_slist *headers = curl_slist_append(NULL, type_header);
	headers = curl_slist_append(headers, "Expect:");
	gsize size = 0;
	const gchar *data = g_bytes_get_data(request->body, &size);

	curl_easy_setopt(handle, CURLOPT_URL, request->url);
	curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(handle, CURLOPT_POST, 1L);
	if (!g_str_equal(method, "POST"))
		curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(handle, CURLOPT_POSTFIELDS, data);
	curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)size);
	curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(
	        handle, CURLOPT_CONNECTTIMEOUT_MS,
	        (long)(request->connect_timeout_ms > 0 ? request->connect_timeout_ms : 10000));
	curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS,
	                 (long)(request->timeout_ms > 0 ? request->timeout_ms : 60000));
	curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, ph_http_client_collect);
	curl_easy_setopt(handle, CURLOPT_WRITEDATA, received);
	ph_http_client_set_tls(handle, plugin, request);

	CURLcode code = curl_easy_perform(handle);
	curl_slist_free_all(headers);
	if (code != CURLE_OK) {
		g_set_error(error, PH_ERROR, PH_ERROR_TRANSIENT, "%s: %s", request->url,
		            curl_easy_strerror(code));
		return NULL;
	}
	glong status = 0;
	const char *content_type = NULL;
	curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(handle, CURLINFO_CONTENT_TYPE, &content_type);
	PhHttpResponse *response = g_new0(PhHttpResponse, 1);
	response->status = (guint)status;
	response->content_type = g_strdup(content_type);
	response->body = g_bytes_new(received->data, received->len);
	return response;
}

/* The exchange, with a 4xx or 5xx answer as its error. */
static PhHttpResponse *
ph_http_client_send(PhPlugin *plugin, const gchar *method, const PhHttpRequest *request,
                    GError **error)
{
	g_autoptr(PhHttpResponse) response = ph_http_client_exchange(plugin, method, request, error);
	if (response == NULL || !ph_http_response_check(request, response, error))
		return NULL;
	return g_steal_pointer(&response);
}

PhHttpResponse *
ph_http_post(PhPlugin *plugin, const PhHttpRequest *request, GError **error)
{
	return ph_http_client_send(plugin, "POST", request, error);
}

PhHttpResponse *
ph_http_post_answer(PhPlugin *plugin, const PhHttpRequest *request, GError **error)
{
	return ph_http_client_exchange(plugin, "POST", request, error);
}

PhHttpResponse *
ph_http_put(PhPlugin *plugin, const PhHttpRequest *request, GError **error)
{
	return ph_http_client_send(plugin, "PUT", request, error);
}
