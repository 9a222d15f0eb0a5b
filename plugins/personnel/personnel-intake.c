/* Intake of personnel batches: POST on the partner listener and a watched folder under the
 * done-file rule. Every batch is copied into the host's spool and stored in the inbox
 * before it is acknowledged (202, or the file moved to processed/); the inbox handler then
 * queues it for processing. Plugin-only. */
#include <string.h>

#include "personnel.h"

#define PERSONNEL_DONE_SUFFIX ".ok"
#define PERSONNEL_DONE_MAX    1024

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
static PhAnswer *
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

/* "SHA256 <hex>[ <count>]" or "SM3 <hex>[ <count>]": the algorithm and digest. */
static gboolean
personnel_done_parse(GBytes *done, PhDigestAlg *alg, gchar **digest, GError **error)
{
	g_autofree gchar *text = g_strndup(g_bytes_get_data(done, NULL), g_bytes_get_size(done));
	g_auto(GStrv) parts = g_strsplit_set(g_strstrip(text), " \t", -1);
	if (g_strv_length(parts) < 2 || g_strv_length(parts) > 3) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "done file: expected '<ALG> <hex digest> [<event count>]'");
		return FALSE;
	}
	if (!ph_digest_alg_from_name(parts[0], alg, error))
		return FALSE;
	*digest = g_ascii_strdown(parts[1], -1);
	return TRUE;
}

/* Takes one data file whose done file is there: spool, store, check the done file's
 * digest, move both aside. */
static gboolean
personnel_drop_take(Personnel *personnel, const gchar *name, GError **error)
{
	g_autofree gchar *path = g_build_filename(personnel->drop_dir, name, NULL);
	g_autofree gchar *done_path = g_strconcat(path, PERSONNEL_DONE_SUFFIX, NULL);
	g_autoptr(GBytes) done =
	        ph_drop_get_bytes(personnel->plugin, done_path, PERSONNEL_DONE_MAX, error);
	PhDigestAlg alg = PH_DIGEST_SHA256;
	g_autofree gchar *expected = NULL;
	if (done == NULL || !personnel_done_parse(done, &alg, &expected, error))
		return FALSE;
	g_autoptr(GInputStream) raw = ph_drop_open_read(personnel->plugin, path, error);
	if (raw == NULL)
		return FALSE;
	g_autoptr(PhDigest) digest = ph_digest_new(alg);
	g_autoptr(GInputStream) input = ph_digest_input_stream_new(raw, digest);
	g_autoptr(PhSpoolFile) file = ph_spool_write(personnel->plugin, personnel->spool_dir, input,
	                                             personnel->max_batch_bytes, name, error);
	if (file == NULL)
		return FALSE;
	if (!g_str_equal(ph_digest_get_hex(digest), expected)) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "%s: digest %s differs from the done file's %s", name,
		            ph_digest_get_hex(digest), expected);
		return FALSE;
	}
	gboolean duplicate = FALSE;
	g_autoptr(PhAnswer) stored =
	        personnel_intake_store(personnel, "personnel", file, name, &duplicate, error);
	if (stored == NULL)
		return FALSE;
	g_autofree gchar *processed = g_build_filename(personnel->drop_dir, "processed", NULL);
	return ph_drop_move(personnel->plugin, path, processed, error) &&
	       ph_drop_move(personnel->plugin, done_path, processed, error);
}

/* A file refused at the door goes to rejected/ with a NAME.reason file. */
static void
personnel_drop_refuse(Personnel *personnel, const gchar *name, const GError *why)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = g_build_filename(personnel->drop_dir, name, NULL);
	g_autofree gchar *done_path = g_strconcat(path, PERSONNEL_DONE_SUFFIX, NULL);
	g_autofree gchar *rejected = g_build_filename(personnel->drop_dir, "rejected", NULL);
	g_autofree gchar *reason_path = g_strdup_printf("%s/%s.reason", rejected, name);
	g_autofree gchar *text = g_strdup_printf("%s\n", why->message);
	g_autoptr(GBytes) reason = g_bytes_new(text, strlen(text));
	g_warning("personnel: %s refused: %s", name, why->message);
	if (!ph_drop_move(personnel->plugin, path, rejected, &error) ||
	    !ph_drop_move(personnel->plugin, done_path, rejected, &error) ||
	    !ph_drop_put_bytes(personnel->plugin, reason_path, reason, &error))
		g_warning("personnel: cannot move %s aside: %s", name, error->message);
}

void
personnel_drop_job(gpointer state)
{
	Personnel *personnel = state;
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) names = ph_drop_list(personnel->plugin, personnel->drop_dir, &error);
	if (names == NULL) {
		g_warning("personnel: %s", error->message);
		return;
	}
	guint taken = 0;
	for (guint i = 0; names[i] != NULL; i++) {
		g_autofree gchar *done = g_strconcat(names[i], PERSONNEL_DONE_SUFFIX, NULL);
		g_autoptr(GError) local = NULL;
		/* Nothing is read before its done file is there. */
		if (g_str_has_suffix(names[i], PERSONNEL_DONE_SUFFIX) ||
		    !g_strv_contains((const gchar *const *)names, done))
			continue;
		if (personnel_drop_take(personnel, names[i], &local)) {
			taken++;
			continue;
		}
		if (local->domain == PH_ERROR && local->code == PH_ERROR_INVALID_INPUT)
			personnel_drop_refuse(personnel, names[i], local);
		else
			g_warning("personnel: %s left for the next poll: %s", names[i],
			          local->message);
	}
	/* What was just queued is processed now rather than at the next tick. */
	if (taken > 0)
		personnel_process_job(personnel);
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
