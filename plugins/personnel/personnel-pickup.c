/* Batches picked up under the done-file rule from a watched folder (ph-drop.h) or the
 * personnel system's SFTP outbox (ph-sftp.h): a file NAME is taken only when NAME.ok is
 * there, copied to the spool while its digest is computed, checked against the done file,
 * stored in the inbox, and then, from the watched folder, deleted (the spool keeps it, sealed
 * with a key file: no plaintext copy of citizens' ID numbers stays on the hub's disk), or, on
 * the personnel system's SFTP server, moved to processed/ as the done-file rule says; its done
 * file moves to processed/ as the record that it was taken (or, refused, both to rejected/
 * with NAME.reason). Both places are reached through one small table of operations.
 * Plugin-only. */
#include <string.h>

#include "personnel.h"

#define PERSONNEL_DONE_SUFFIX ".ok"
#define PERSONNEL_DONE_MAX    1024

typedef struct _PersonnelSource PersonnelSource;

struct _PersonnelSource {
	Personnel *personnel;
	const gchar *folder;
	PhSftp *sftp; /* NULL for the watched folder */
	gchar **(*list)(PersonnelSource *source, GError **error);
	GBytes *(*get_bytes)(PersonnelSource *source, const gchar *path, GError **error);
	GInputStream *(*open_read)(PersonnelSource *source, const gchar *path, GError **error);
	gboolean (*move)(PersonnelSource *source, const gchar *path, const gchar *folder,
	                 GError **error);
	gboolean (*put_bytes)(PersonnelSource *source, const gchar *path, GBytes *data,
	                      GError **error);
	/* What becomes of a data file once taken: see personnel_source_take() */
	gboolean (*put_away)(PersonnelSource *source, const gchar *path, const gchar *processed,
	                     GError **error);
};

/* ---- the watched folder ---- */

static gchar **
personnel_drop_list(PersonnelSource *source, GError **error)
{
	return ph_drop_list(source->personnel->plugin, source->folder, error);
}

static GBytes *
personnel_drop_get_bytes(PersonnelSource *source, const gchar *path, GError **error)
{
	return ph_drop_get_bytes(source->personnel->plugin, path, PERSONNEL_DONE_MAX, error);
}

static GInputStream *
personnel_drop_open_read(PersonnelSource *source, const gchar *path, GError **error)
{
	return ph_drop_open_read(source->personnel->plugin, path, error);
}

static gboolean
personnel_drop_move(PersonnelSource *source, const gchar *path, const gchar *folder, GError **error)
{
	return ph_drop_move(source->personnel->plugin, path, folder, error);
}

static gboolean
personnel_drop_put_bytes(PersonnelSource *source, const gchar *path, GBytes *data, GError **error)
{
	return ph_drop_put_bytes(source->personnel->plugin, path, data, error);
}

/* The hub's own folder keeps no plaintext copy: the spool has the batch (sealed with a key
 * file). */
static gboolean
personnel_drop_put_away(PersonnelSource *source, const gchar *path, const gchar *processed,
                        GError **error)
{
	(void)processed;
	return ph_drop_remove(source->personnel->plugin, path, error);
}

/* ---- the personnel system's SFTP outbox ---- */

static gchar **
personnel_sftp_list(PersonnelSource *source, GError **error)
{
	g_autoptr(GPtrArray) entries = ph_sftp_list(source->sftp, source->folder, error);
	if (entries == NULL)
		return NULL;
	GStrvBuilder *builder = g_strv_builder_new();
	for (guint i = 0; i < entries->len; i++)
		g_strv_builder_add(builder, ((PhSftpEntry *)g_ptr_array_index(entries, i))->name);
	gchar **names = g_strv_builder_end(builder);
	g_strv_builder_unref(builder);
	return names;
}

static GBytes *
personnel_sftp_get_bytes(PersonnelSource *source, const gchar *path, GError **error)
{
	return ph_sftp_get_bytes(source->sftp, path, PERSONNEL_DONE_MAX, error);
}

static GInputStream *
personnel_sftp_open_read(PersonnelSource *source, const gchar *path, GError **error)
{
	return ph_sftp_open_read(source->sftp, path, error);
}

/* Renames into @folder, never over a file there: NAME, NAME.1, NAME.2 … */
static gboolean
personnel_sftp_move(PersonnelSource *source, const gchar *path, const gchar *folder, GError **error)
{
	g_autofree gchar *base = g_path_get_basename(path);
	if (!ph_sftp_mkdir(source->sftp, folder, error))
		return FALSE;
	for (guint attempt = 0; attempt < 100; attempt++) {
		g_autoptr(GError) local = NULL;
		g_autofree gchar *target =
		        attempt == 0 ? g_strdup_printf("%s/%s", folder, base)
		                     : g_strdup_printf("%s/%s.%u", folder, base, attempt);
		if (ph_sftp_rename(source->sftp, path, target, &local))
			return TRUE;
		if (!g_error_matches(local, PH_ERROR, PH_ERROR_CONFLICT)) {
			g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
	}
	g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "cannot move %s: %s holds 100 of its name",
	            path, folder);
	return FALSE;
}

static gboolean
personnel_sftp_put_bytes(PersonnelSource *source, const gchar *path, GBytes *data, GError **error)
{
	g_autofree gchar *folder = g_path_get_dirname(path);
	g_autofree gchar *name = g_path_get_basename(path);
	return ph_sftp_put_bytes(source->sftp, folder, name, data, error);
}

/* The personnel system's server is the sender's: the pair moves to processed/ there, as the
 * done-file rule says (shared/formats/bank-payout.md, which PH-PERS-1 refers to). */
static gboolean
personnel_sftp_put_away(PersonnelSource *source, const gchar *path, const gchar *processed,
                        GError **error)
{
	return personnel_sftp_move(source, path, processed, error);
}

/* ---- taking files ---- */

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

static gchar *
personnel_source_path(PersonnelSource *source, const gchar *name)
{
	return g_strdup_printf("%s/%s", source->folder, name);
}

/* Spools one data file whose done file is there, checks the digest, stores it, puts it away
 * (deleted from the watched folder, kept in the spool; moved to processed/ on the SFTP
 * server) and moves its done file to processed/. */
static gboolean
personnel_source_take(PersonnelSource *source, const gchar *name, GError **error)
{
	Personnel *personnel = source->personnel;
	g_autofree gchar *path = personnel_source_path(source, name);
	g_autofree gchar *done_path = g_strconcat(path, PERSONNEL_DONE_SUFFIX, NULL);
	g_autoptr(GBytes) done = source->get_bytes(source, done_path, error);
	PhDigestAlg alg = PH_DIGEST_SHA256;
	g_autofree gchar *expected = NULL;
	if (done == NULL)
		return FALSE;
	/* Created and not yet written (an upload opens the file before writing its line): not
	 * a done file that disagrees, one to read at a later poll. */
	if (g_bytes_get_size(done) == 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_TRANSIENT, "%s: its done file is still empty",
		            name);
		return FALSE;
	}
	if (!personnel_done_parse(done, &alg, &expected, error))
		return FALSE;
	g_autoptr(GInputStream) raw = source->open_read(source, path, error);
	if (raw == NULL)
		return FALSE;
	/* The spool computes SHA-256 anyway; only SM3 needs a digest of its own. */
	g_autoptr(PhDigest) digest = alg != PH_DIGEST_SHA256 ? ph_digest_new(alg) : NULL;
	g_autoptr(GInputStream) input =
	        digest != NULL ? ph_digest_input_stream_new(raw, digest) : g_object_ref(raw);
	g_autoptr(PhSpoolFile) file = ph_spool_write(personnel->plugin, personnel->spool_dir, input,
	                                             personnel->max_batch_bytes, name, error);
	if (file == NULL)
		return FALSE;
	const gchar *actual =
	        digest != NULL ? ph_digest_get_hex(digest) : ph_spool_file_get_sha256(file);
	if (!g_str_equal(actual, expected)) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "%s: digest %s differs from the done file's %s", name, actual,
		            expected);
		return FALSE;
	}
	gboolean duplicate = FALSE;
	g_autoptr(PhAnswer) stored =
	        personnel_intake_store(personnel, "personnel", file, name, &duplicate, error);
	if (stored == NULL)
		return FALSE;
	/* The data file goes before its done file: a crash between the two leaves a done file
	 * alone, which is never taken (the next poll stores a file left behind as a duplicate). */
	g_autofree gchar *processed = personnel_source_path(source, "processed");
	return source->put_away(source, path, processed, error) &&
	       source->move(source, done_path, processed, error);
}

/* A file refused at the door goes to rejected/ with a NAME.reason file. */
static void
personnel_source_refuse(PersonnelSource *source, const gchar *name, const GError *why)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = personnel_source_path(source, name);
	g_autofree gchar *done_path = g_strconcat(path, PERSONNEL_DONE_SUFFIX, NULL);
	g_autofree gchar *rejected = personnel_source_path(source, "rejected");
	g_autofree gchar *reason_path = g_strdup_printf("%s/%s.reason", rejected, name);
	g_autofree gchar *text = g_strdup_printf("%s\n", why->message);
	g_autoptr(GBytes) reason = g_bytes_new(text, strlen(text));
	g_warning("personnel: %s refused: %s", name, why->message);
	if (!source->move(source, path, rejected, &error) ||
	    !source->move(source, done_path, rejected, &error) ||
	    !source->put_bytes(source, reason_path, reason, &error))
		g_warning("personnel: cannot move %s aside: %s", name, error->message);
}

/* Every data file with its done file; returns how many were stored. */
static guint
personnel_source_poll(PersonnelSource *source)
{
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) names = source->list(source, &error);
	guint taken = 0;
	if (names == NULL) {
		g_warning("personnel: %s", error->message);
		return 0;
	}
	for (guint i = 0; names[i] != NULL; i++) {
		g_autofree gchar *done = g_strconcat(names[i], PERSONNEL_DONE_SUFFIX, NULL);
		g_autoptr(GError) local = NULL;
		/* Nothing is read before its done file is there. */
		if (g_str_has_suffix(names[i], PERSONNEL_DONE_SUFFIX) ||
		    !g_strv_contains((const gchar *const *)names, done))
			continue;
		if (personnel_source_take(source, names[i], &local)) {
			taken++;
			continue;
		}
		if (local->domain == PH_ERROR && local->code == PH_ERROR_INVALID_INPUT)
			personnel_source_refuse(source, names[i], local);
		else
			g_warning("personnel: %s left for the next poll: %s", names[i],
			          local->message);
	}
	return taken;
}

void
personnel_pickup_drop_job(gpointer state)
{
	Personnel *personnel = state;
	PersonnelSource source = {
	        personnel,           personnel->drop_dir,      NULL,
	        personnel_drop_list, personnel_drop_get_bytes, personnel_drop_open_read,
	        personnel_drop_move, personnel_drop_put_bytes, personnel_drop_put_away};
	/* What was just queued is processed now rather than at the next tick. */
	if (personnel_source_poll(&source) > 0)
		personnel_process_job(personnel);
}

void
personnel_pickup_sftp_job(gpointer state)
{
	Personnel *personnel = state;
	g_autoptr(GError) error = NULL;
	g_autoptr(PhSftp) sftp = ph_sftp_connect(&personnel->sftp, &error);
	if (sftp == NULL) {
		g_warning("personnel: SFTP pickup from %s: %s", personnel->sftp.host,
		          error->message);
		return;
	}
	PersonnelSource source = {
	        personnel,           personnel->sftp_folder,   sftp,
	        personnel_sftp_list, personnel_sftp_get_bytes, personnel_sftp_open_read,
	        personnel_sftp_move, personnel_sftp_put_bytes, personnel_sftp_put_away};
	if (personnel_source_poll(&source) > 0)
		personnel_process_job(personnel);
}
