/* The SDK's spool for large raw batches (<pension-hub/ph-spool.h>): bytes copied to a file
 * named by their SHA-256 under a folder the host writes, sealed like a kept document when a key
 * file is installed, the inbox row holding a reference. Host code. */
#include "ph-spool.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "ph-document-orphan.h"
#include "ph-document-store.h"
#include "ph-document-stream.h"
#include "ph-inbox.h"
#include "ph-worker-db.h"

#define PH_SPOOL_CHUNK (256 * 1024)

struct _PhSpoolFile {
	gchar *path;
	gchar *sha256;
	guint64 size;
	gboolean keep; /* referenced by an inbox row, or there before us */
	GStatBuf own;  /* the file we wrote (its device and inode) */
};

static gboolean
ph_spool_errno(GError **error, const gchar *what, const gchar *path)
{
	int saved = errno;
	g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "spool: cannot %s %s: %s", what, path,
	            g_strerror(saved));
	return FALSE;
}

/* Copies @input into @writer; fails past @max_bytes. */
static gboolean
ph_spool_copy(GInputStream *input, PhDocumentWriter *writer, guint64 max_bytes, GError **error)
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
		if (max_bytes > 0 &&
		    ph_document_writer_get_size(writer) + (guint64)got > max_bytes) {
			g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
			            "larger than the limit of %" G_GUINT64_FORMAT " bytes",
			            max_bytes);
			return FALSE;
		}
		if (!ph_document_writer_write(writer, buffer, (gsize)got, error))
			return FALSE;
	}
}

/* Writes the file through the kept-document store's writer (sealed when a key file is
 * installed, as NAME.gcm; plaintext under the bare NAME as before), NAME being the plaintext's
 * SHA-256; a file of that name is those bytes already, and ours is dropped. */
static gboolean
ph_spool_fill(PhSpoolFile *file, const gchar *spool_dir, GInputStream *input, guint64 max_bytes,
              GError **error)
{
	g_autofree gchar *uuid = g_uuid_string_random();
	g_autofree gchar *part = g_strconcat(".incoming-", uuid, NULL);
	g_autoptr(PhDocumentWriter) writer =
	        ph_document_writer_new(spool_dir, part, ph_field_keys_installed(), error);
	if (writer == NULL)
		return FALSE;
	ph_document_writer_set_plain_suffix(writer, "");
	if (!ph_spool_copy(input, writer, max_bytes, error) ||
	    !ph_document_writer_commit(writer, error))
		return FALSE;
	file->sha256 = g_strdup(ph_document_writer_get_sha256(writer));
	file->size = ph_document_writer_get_size(writer);
	file->path = g_build_filename(spool_dir, ph_document_writer_get_file_name(writer), NULL);
	file->keep = ph_document_writer_get_existed(writer);
	if (!file->keep && g_stat(file->path, &file->own) != 0)
		file->keep = TRUE; /* not known which file is ours: never removed by us */
	return TRUE;
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
	/* ours and named by no inbox row: removed, unless the same bytes arrived again meanwhile
	 * and that arrival put its own file in place (its row is to name it); judged set aside,
	 * so that the two cannot cross (ph-document-orphan.h) */
	if (file->path != NULL && !file->keep) {
		g_autofree gchar *dir = g_path_get_dirname(file->path);
		g_autofree gchar *name = g_path_get_basename(file->path);
		gboolean removed = FALSE;
		g_autoptr(GError) error = NULL;
		if (!ph_document_orphan_remove_own(dir, name, &file->own, &removed, &error))
			g_warning("spool: %s", error->message);
	}
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

/* The sealed file NAME.gcm when there is one, else the plaintext NAME (no key file, or
 * spooled before files were sealed). */
static GInputStream *
ph_spool_open_file(const gchar *spool_dir, const gchar *name, gchar **path, GError **error)
{
	g_autofree gchar *sealed_name = g_strconcat(name, PH_DOCUMENT_SEALED_SUFFIX, NULL);
	*path = g_build_filename(spool_dir, sealed_name, NULL);
	if (g_file_test(*path, G_FILE_TEST_EXISTS))
		return ph_document_stream_open(*path, ph_field_keys_installed(), TRUE, error);
	g_free(*path);
	*path = g_build_filename(spool_dir, name, NULL);
	return ph_document_stream_open(*path, NULL, FALSE, error);
}

GInputStream *
ph_spool_open(PhPlugin *plugin, const gchar *spool_dir, GBytes *reference, GError **error)
{
	g_autofree gchar *name = NULL;
	g_autofree gchar *path = NULL;
	gint64 size = -1;
	g_return_val_if_fail(spool_dir != NULL && reference != NULL, NULL);
	if (!ph_spool_parse_reference(reference, &name, &size, error))
		return NULL;
	g_autoptr(GInputStream) stream = ph_spool_open_file(spool_dir, name, &path, error);
	if (stream == NULL) {
		g_prefix_error(error, "spool: ");
		return NULL;
	}
	gint64 stored = ph_document_stream_get_size(stream);
	if (size >= 0 && stored != size) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "spool: %s has %" G_GINT64_FORMAT
		            " bytes, the reference says %" G_GINT64_FORMAT,
		            path, stored, size);
		return NULL;
	}
	return g_steal_pointer(&stream);
}
