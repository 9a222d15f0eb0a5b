/* Intake of personnel batches: POST on the partner listener (the watched folder and SFTP
 * pickup are personnel-pickup.c). Every batch is copied into the host's spool and stored
 * in the inbox before it is acknowledged; the inbox handler then queues it for
 * processing. Plugin-only. */
#include <string.h>

#include "personnel.h"

static const gchar *const personnel_partners[] = {"personnel", NULL};

gchar *
personnel_batch_id(const gchar *partner, const gchar *sha256)
{
	/* Same bytes from the same partner: the same batch (and an inbox duplicate). */
	g_autofree gchar *key = g_strdup_printf("%s\n%s", partner, sha256);
	g_autofree gchar *digest = ph_digest_hex(PH_DIGEST_SHA256, key, strlen(key));
	return g_strndup(digest, 24);
}

void
personnel_respond_json(PhRequest *request, guint status, const gchar *json)
{
	g_autoptr(GBytes) body = g_bytes_new(json, strlen(json));
	ph_request_respond(request, status, "application/json", body);
}

void
personnel_respond_error(PhRequest *request, guint status, const gchar *message)
{
	g_autoptr(GString) json = g_string_new("{\"error\": ");
	personnel_json_string(json, message);
	g_string_append(json, "}\n");
	personnel_respond_json(request, status, json->str);
}

/* Queues the stored batch at once (the inbox handler does it too, for a crash in
 * between), so that processing need not wait for the dispatcher. */
static void
personnel_intake_queue(Personnel *personnel, const gchar *id, const gchar *partner, gint64 inbox_id,
                       PhSpoolFile *file)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) reference = ph_spool_file_get_reference(file);
	g_autoptr(PhPluginTxn) txn = ph_plugin_txn_begin(personnel->plugin, &error);
	if (txn == NULL ||
	    !ph_personnel_batch_register(txn, id, partner, inbox_id, reference, &error) ||
	    !ph_plugin_txn_commit(txn, &error))
		g_message("personnel batch %s: queued by the inbox handler instead: %s", id,
		          error->message);
}

/* Stores a spooled batch in the inbox; the answer names the batch and its receipt. */
PhAnswer *
personnel_intake_store(Personnel *personnel, const gchar *partner, PhSpoolFile *file,
                       const gchar *name, gboolean *duplicate, GError **error)
{
	gint64 inbox_id = 0;
	g_autofree gchar *id = personnel_batch_id(partner, ph_spool_file_get_sha256(file));
	g_autofree gchar *json = g_strdup_printf(
	        "{\"batch\": \"%s\", \"receipt\": \"/personnel/v1/batches/%s/receipt\"}\n", id, id);
	g_autoptr(GBytes) body = g_bytes_new(json, strlen(json));
	PhAnswer accepted = {202, (gchar *)"application/json", body};
	PhAnswer *stored = ph_spool_store_inbox(personnel->plugin, file, partner, PERSONNEL_KIND,
	                                        id, &accepted, duplicate, &inbox_id, error);
	if (stored != NULL) {
		g_message("personnel: %s (%" G_GUINT64_FORMAT " bytes) stored as batch %s%s", name,
		          ph_spool_file_get_size(file), id, *duplicate ? " (a repeat)" : "");
		personnel_intake_queue(personnel, id, partner, inbox_id, file);
	}
	return stored;
}

static void
personnel_post_batch(PhRequest *request, gpointer state)
{
	Personnel *personnel = state;
	g_autoptr(GError) error = NULL;
	gboolean duplicate = FALSE;
	g_autoptr(GInputStream) input =
	        g_memory_input_stream_new_from_bytes(ph_request_get_body(request));
	g_autoptr(PhSpoolFile) file = ph_spool_write(personnel->plugin, personnel->spool_dir, input,
	                                             personnel->max_batch_bytes, "request", &error);
	g_autoptr(PhAnswer) stored =
	        file != NULL ? personnel_intake_store(personnel, ph_request_get_partner(request),
	                                              file, "request", &duplicate, &error)
	                     : NULL;
	if (stored == NULL) {
		gboolean refused = g_error_matches(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
		g_warning("personnel: batch not stored: %s", error->message);
		personnel_respond_error(request, refused ? 413 : 503, error->message);
		return;
	}
	ph_request_respond(request, stored->status, stored->content_type, stored->body);
}

/* Queues the stored batch; its id is the message id the intake gave it. */
static gboolean
personnel_inbox_batch(PhTxn *txn, const PhInboxMessage *message, gpointer state, GError **error)
{
	return ph_personnel_batch_register(txn, message->message_id, message->partner, message->id,
	                                   message->body, error);
}

gboolean
personnel_intake_register(Personnel *personnel, GError **error)
{
	PhPlugin *plugin = personnel->plugin;
	return ph_plugin_add_route(plugin, "POST", "/personnel/v1/batches", personnel_partners,
	                           personnel_post_batch, error) &&
	       ph_plugin_add_route(plugin, "GET", "/personnel/v1/batches/", personnel_partners,
	                           personnel_receipt_get, error) &&
	       ph_plugin_add_inbox_handler(plugin, PERSONNEL_KIND, personnel_inbox_batch, error);
}
