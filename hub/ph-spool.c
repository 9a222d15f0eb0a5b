/* The SDK's spool for large raw batches (<pension-hub/ph-spool.h>): bytes copied to a file
 * named by their SHA-256 under a folder the host writes, the inbox row holding a reference.
 * Host code. */
#include "ph-spool.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "ph-digest.h"
#include "ph-inbox.h"
#include "ph-worker-db.h"

#define PH_SPOOL_CHUNK (256 * 1024)

struct _PhSpoolFile {
	gchar *path;
	gchar *sha256;
	guint64 size;
	gboolean keep; /* referenced by an inbox row, or there before us */
};

static gboolean
ph_spool_errno(GError **error, const gchar *what, const gchar *path)
{
	int saved = errno;
	g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "spool: cannot %s %s: %s", what, path,
	            g_strerror(saved));
	return FALSE;
}

static gboolean
ph_spool_write_all(int fd, const gchar *data, gsize length, const gchar *path, GError **error)
{
	while (length > 0) {
		gssize written = write(fd, data, length);
		if (written < 0 && errno == EINTR)
			continue;
		if (written < 0)
			return ph_spool_errno(error, "write", path);
		data += written;
		length -= (gsize)written;
	}
	return TRUE;
}

/* Copies @input to @fd, feeding @digest; fails past @max_bytes. */
static gboolean
ph_spool_copy(GInputStream *input, int fd, const gchar *path, guint64 max_bytes, PhDigest *digest,
              GError **error)
{
	g_autofree gchar *buffer = g_malloc(PH_SPOOL_CHUNK);
	for (;;) {
		gssize got = g_input_stream_read(input, buffer, PH_SPOOL_CHUNK, NULL, error);
		if (got < 0) {
			g_prefix_error(error, "spool: cannot read the input: ");
			return FALSE;
		}
		if (got == 0)
			return TRUE;
		ph_digest_update(digest, buffer, (gsize)got);
		if (max_bytes > 0 && ph_digest_get_length(digest) > max_bytes) {
			g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
			            "larger than the limit of %" G_GUINT64_FORMAT " bytes",
			            max_bytes);
			return FALSE;
		}
		if (!ph_spool_write_all(fd, buffer, (gsize)got, path, error))
			return FALSE;
	}
}

static gboolean
ph_spool_sync_dir(const gchar *dir, GError **error)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return ph_spool_errno(error, "open folder", dir);
	int status = fsync(fd);
	close(fd);
	if (status != 0)
		return ph_spool_errno(error, "sync folder", dir);
	return TRUE;
}

/* Writes the temporary file, then renames it to its digest (or drops it when a file of
 * that digest, hence those bytes, is there already). */
static gboolean
ph_spool_fill(PhSpoolFile *file, const gchar *spool_dir, GInputStream *input, guint64 max_bytes,
              GError **error)
{
	g_autofree gchar *temporary = g_build_filename(spool_dir, ".incoming-XXXXXX", NULL);
	g_autoptr(PhDigest) digest = ph_digest_new(PH_DIGEST_SHA256);
	int fd = g_mkstemp_full(temporary, O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		return ph_spool_errno(error, "create a file in", spool_dir);
	gboolean ok = ph_spool_copy(input, fd, temporary, max_bytes, digest, error) &&
	              (fsync(fd) == 0 || ph_spool_errno(error, "sync", temporary));
	close(fd);
	if (ok) {
		file->sha256 = g_strdup(ph_digest_get_hex(digest));
		file->size = ph_digest_get_length(digest);
		file->path = g_build_filename(spool_dir, file->sha256, NULL);
		file->keep = g_file_test(file->path, G_FILE_TEST_EXISTS);
		ok = file->keep || g_rename(temporary, file->path) == 0 ||
		     ph_spool_errno(error, "rename", temporary);
	}
	g_unlink(temporary); /* gone already after a rename */
	return ok && ph_spool_sync_dir(spool_dir, error);
}

PhSpoolFile *
ph_spool_write(PhPlugin *plugin, const gchar *spool_dir, GInputStream *input, guint64 max_bytes,
               const gchar *name, GError **error)
{
	g_return_val_if_fail(spool_dir != NULL && G_IS_INPUT_STREAM(input), NULL);
	if (g_mkdir_with_parents(spool_dir, 0700) != 0) {
		ph_spool_errno(error, "create folder", spool_dir);
		return NULL;
	}
	g_autoptr(PhSpoolFile) file = g_new0(PhSpoolFile, 1);
	if (!ph_spool_fill(file, spool_dir, input, max_bytes, error)) {
		if (name != NULL)
			g_prefix_error(error, "%s: ", name);
		return NULL;
	}
	return g_steal_pointer(&file);
}

const gchar *
ph_spool_file_get_sha256(PhSpoolFile *file)
{
	return file->sha256;
}

guint64
ph_spool_file_get_size(PhSpoolFile *file)
{
	return file->size;
}

GBytes *
ph_spool_file_get_reference(PhSpoolFile *file)
{
	/* Only what the bytes determine, so that the same bytes give the same reference
	 * (and a re-sent file is a duplicate in the inbox). */
	gchar *text = g_strdup_printf("{\"spool\": \"%s\", \"sha256\": \"%s\", "
	                              "\"size\": %" G_GUINT64_FORMAT "}",
	                              file->sha256, file->sha256, file->size);
	return g_bytes_new_take(text, strlen(text));
}

void
ph_spool_file_free(PhSpoolFile *file)
{
	if (file == NULL)
		return;
	if (file->path != NULL && !file->keep)
		g_unlink(file->path);
	g_free(file->path);
	g_free(file->sha256);
	g_free(file);
}

PhAnswer *
ph_spool_store_inbox(PhPlugin *plugin, PhSpoolFile *file, const gchar *partner, const gchar *kind,
                     const gchar *message_id, const PhAnswer *answer, gboolean *duplicate,
                     gint64 *inbox_id, GError **error)
{
	g_return_val_if_fail(file != NULL && partner != NULL && kind != NULL, NULL);
	g_return_val_if_fail(message_id != NULL && answer != NULL, NULL);
	PhDb *db = ph_worker_db_get(error);
	if (db == NULL)
		return NULL;
	g_autoptr(GBytes) reference = ph_spool_file_get_reference(file);
	PhAnswer *stored = ph_inbox_store(db, partner, kind, message_id, reference, answer,
	                                  duplicate, inbox_id, error);
	if (stored != NULL)
		file->keep = TRUE;
	return stored;
}

static gboolean
ph_spool_parse_reference(GBytes *reference, gchar **name, gint64 *size, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	gsize length = 0;
	const gchar *data = g_bytes_get_data(reference, &length);
	JsonObject *object = NULL;
	if (json_parser_load_from_data(parser, data, (gssize)length, NULL) &&
	    JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
		object = json_node_get_object(json_parser_get_root(parser));
	const gchar *spool =
	        object != NULL ? json_object_get_string_member_with_default(object, "spool", NULL)
	                       : NULL;
	/* The name is a digest: hex only, so that it cannot leave the folder. */
	if (spool == NULL || strlen(spool) != 64 || strspn(spool, "0123456789abcdef") != 64) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "spool: the inbox body is not a spool reference");
		return FALSE;
	}
	*name = g_strdup(spool);
	*size = json_object_get_int_member_with_default(object, "size", -1);
	return TRUE;
}

GInputStream *
ph_spool_open(PhPlugin *plugin, const gchar *spool_dir, GBytes *reference, GError **error)
{
	g_autofree gchar *name = NULL;
	gint64 size = -1;
	g_return_val_if_fail(spool_dir != NULL && reference != NULL, NULL);
	if (!ph_spool_parse_reference(reference, &name, &size, error))
		return NULL;
	g_autofree gchar *path = g_build_filename(spool_dir, name, NULL);
	g_autoptr(GFile) gfile = g_file_new_for_path(path);
	g_autoptr(GError) local = NULL;
	g_autoptr(GFileInputStream) stream = g_file_read(gfile, NULL, &local);
	if (stream == NULL) {
		gboolean missing = g_error_matches(local, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
		g_set_error(error, PH_ERROR, missing ? PH_ERROR_NOT_FOUND : PH_ERROR_FAILED,
		            "spool: cannot open %s: %s", path, local->message);
		return NULL;
	}
	g_autoptr(GFileInfo) info =
	        g_file_input_stream_query_info(stream, G_FILE_ATTRIBUTE_STANDARD_SIZE, NULL, error);
	if (info == NULL)
		return NULL;
	if (size >= 0 && g_file_info_get_size(info) != size) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "spool: %s has %" G_GINT64_FORMAT
		            " bytes, the reference says %" G_GINT64_FORMAT,
		            path, (gint64)g_file_info_get_size(info), size);
		return NULL;
	}
	return G_INPUT_STREAM(g_steal_pointer(&stream));
}
