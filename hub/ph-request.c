/* PhRequest: one partner request as a plugin's route handler sees it, in a worker thread. */
#include "ph-request-private.h"

#include "ph-inbox.h"
#include "ph-worker-db.h"

struct _PhRequest {
	gchar *method;
	gchar *path;
	gchar *partner;
	GHashTable *headers; /* lowercased name → value */
	GBytes *body;

	guint status;
	gchar *response_type;
	GBytes *response_body;

	/* Called (in the worker) after a message was stored: wakes the inbox processor. */
	void (*on_stored)(gpointer user_data);
	gpointer on_stored_data;
};

static void
ph_request_copy_header(const char *name, const char *value, gpointer user_data)
{
	GHashTable *headers = user_data;
	g_hash_table_replace(headers, g_ascii_strdown(name, -1), g_strdup(value));
}

PhRequest *
ph_request_new(const gchar *method, const gchar *path, const gchar *partner,
	       SoupMessageHeaders *headers, GBytes *body)
{
	PhRequest *request = g_new0(PhRequest, 1);
	request->method = g_strdup(method);
	request->path = g_strdup(path);
	request->partner = g_strdup(partner);
	request->headers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	if (headers != NULL)
		soup_message_headers_foreach(headers, ph_request_copy_header, request->headers);
	request->body = body != NULL ? g_bytes_ref(body) : g_bytes_new_static("", 0);
	return request;
}

void
ph_request_free(PhRequest *request)
{
	if (request == NULL)
		return;
	g_free(request->method);
	g_free(request->path);
	g_free(request->partner);
	g_hash_table_unref(request->headers);
	g_bytes_unref(request->body);
	g_free(request->response_type);
	g_clear_pointer(&request->response_body, g_bytes_unref);
	g_free(request);
}

const gchar *
ph_request_get_method(PhRequest *request)
{
	return request->method;
}

const gchar *
ph_request_get_path(PhRequest *request)
{
	return request->path;
}

const gchar *
ph_request_get_partner(PhRequest *request)
{
	return request->partner;
}

const gchar *
ph_request_get_header(PhRequest *request, const gchar *name)
{
	g_autofree gchar *lower = g_ascii_strdown(name, -1);
	return g_hash_table_lookup(request->headers, lower);
}

GBytes *
ph_request_get_body(PhRequest *request)
{
	return request->body;
}

void
ph_request_respond(PhRequest *request, guint status, const gchar *content_type, GBytes *body)
{
	g_return_if_fail(status >= 100 && status < 600);
	request->status = status;
	g_free(request->response_type);
	request->response_type = g_strdup(content_type);
	g_clear_pointer(&request->response_body, g_bytes_unref);
	request->response_body = body != NULL ? g_bytes_ref(body) : NULL;
}

guint
ph_request_get_status(PhRequest *request)
{
	return request->status;
}

const gchar *
ph_request_get_response_type(PhRequest *request)
{
	return request->response_type;
}

GBytes *
ph_request_get_response_body(PhRequest *request)
{
	return request->response_body;
}

PhAnswer *
ph_request_store_inbox(PhRequest *request, const gchar *kind, const gchar *message_id,
		       const PhAnswer *answer, gboolean *duplicate, GError **error)
{
	g_return_val_if_fail(kind != NULL && message_id != NULL && answer != NULL, NULL);
	PhDb *db = ph_worker_db_get(error);
	if (db == NULL)
		return NULL;
	PhAnswer *stored = ph_inbox_store(db, request->partner, kind, message_id, request->body,
					  answer, duplicate, NULL, error);
	if (stored != NULL && request->on_stored != NULL)
		request->on_stored(request->on_stored_data);
	return stored;
}

void
ph_request_set_on_stored(PhRequest *request, GCallback callback, gpointer user_data)
{
	request->on_stored = (void (*)(gpointer))callback;
	request->on_stored_data = user_data;
}

gboolean
ph_request_record_refusal(PhRequest *request, const gchar *kind, const gchar *reason,
                          GError **error)
{
	g_return_val_if_fail(request != NULL && reason != NULL, FALSE);
	PhDb *db = ph_worker_db_get(error);
	if (db == NULL)
		return FALSE;
	return ph_inbox_record_refusal(db, request->partner, kind, request->body, reason, error);
}
