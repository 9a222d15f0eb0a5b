/* Key rotation of kept documents (ph-document-rewrap.h). Only the header holds the key id
 * (the data key's field envelope, ph-document-store.c); the chunks' additional data names
 * only their index, so they are copied as they are. Host-only. */
#include "ph-document-rewrap.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "ph-document-store.h"
#include "ph-error.h"

/* The kept files sealed under another key than $1 (plaintext ones have no key id). */
#define PH_DOCUMENT_STALE "FROM kept_document WHERE key_id IS NOT NULL AND key_id <> $1"

/* The data key's envelope opened with its key and sealed again under the current one. */
static gchar *
ph_document_envelope_rewrap(const gchar *old, PhFieldKeys *keys, const gchar *path, GError **error)
{
	g_autofree gchar *data_key = ph_field_keys_open(keys, old, error);
	if (data_key == NULL) {
		g_prefix_error(error, "kept document %s: ", path);
		return NULL;
	}
	gchar *envelope = ph_field_keys_seal(keys, data_key, error);
	memset(data_key, 0, strlen(data_key));
	return envelope;
}

/* The new header, then the chunks of @fd from @chunks_at on, into @part. */
static gboolean
ph_document_write_rewrapped(int fd, goffset chunks_at, const gchar *envelope, const gchar *part,
                            GError **error)
{
	int out = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0)
		return ph_document_errno(error, "create", part);
	gboolean ok = ph_document_write_head(out, envelope, part, error);
	g_autofree guint8 *buffer = g_malloc(PH_DOCUMENT_CHUNK);
	goffset at = chunks_at;
	gssize n = 0;
	while (ok && (n = pread(fd, buffer, PH_DOCUMENT_CHUNK, at)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		ok = n > 0 ? ph_document_write_all(out, buffer, (gsize)n, part, error)
		           : ph_document_errno(error, "read", part);
		at += MAX(n, 0);
	}
	ok = ok && (fsync(out) == 0 || ph_document_errno(error, "sync", part));
	close(out);
	return ok;
}

gboolean
ph_document_rewrap(const gchar *path, PhFieldKeys *keys, gchar **key_id, GError **error)
{
	g_return_val_if_fail(path != NULL && keys != NULL, FALSE);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ph_document_errno(error, "open", path);
	g_autofree gchar *current = ph_field_keys_current(keys);
	g_autofree gchar *part = g_strconcat(path, ".rewrap.part", NULL);
	g_autofree gchar *old = ph_document_read_head(fd, path, error);
	goffset chunks_at = old != NULL ? lseek(fd, 0, SEEK_CUR) : -1;
	g_autofree gchar *old_id = old != NULL ? ph_field_key_id(old) : NULL;
	gboolean ok = old != NULL && (chunks_at >= 0 || ph_document_errno(error, "seek", path));
	if (ok && g_strcmp0(old_id, current) != 0) {
		g_autofree gchar *envelope = ph_document_envelope_rewrap(old, keys, path, error);
		ok = envelope != NULL &&
		     ph_document_write_rewrapped(fd, chunks_at, envelope, part, error);
		/* the rename replaces the file whole: a reader holding it reads it to its end */
		ok = ok && (g_rename(part, path) == 0 || ph_document_errno(error, "rename", part));
		g_autofree gchar *dir = g_path_get_dirname(path);
		ok = ok && ph_document_sync_dir(dir, error);
		if (!ok)
			g_unlink(part);
	}
	close(fd);
	if (ok && key_id != NULL)
		*key_id = g_strdup(current);
	return ok;
}

gboolean
ph_document_rotate(PhDb *db, const gchar *dir, PhFieldKeys *keys, gint64 *rewrapped, GError **error)
{
	g_return_val_if_fail(db != NULL && dir != NULL && keys != NULL && rewrapped != NULL, FALSE);
	g_autofree gchar *current = ph_field_keys_current(keys);
	const gchar *params[] = {current};
	g_autoptr(PGresult) files = ph_db_query(
	        db, "SELECT DISTINCT store_file " PH_DOCUMENT_STALE " ORDER BY store_file", 1,
	        params, error);
	*rewrapped = 0;
	if (files == NULL)
		return FALSE;
	for (gint row = 0; row < PQntuples(files); row++) {
		const gchar *name = PQgetvalue(files, row, 0);
		g_autofree gchar *path = g_build_filename(dir, name, NULL);
		g_autofree gchar *key_id = NULL;
		if (!ph_document_rewrap(path, keys, &key_id, error))
			return FALSE;
		/* after the rename: a crash between leaves a row naming the old key, and the
		 * next rotation finds the header current and only records it */
		const gchar *update_params[] = {name, key_id};
		g_autoptr(PGresult) updated =
		        ph_db_query(db,
		                    "UPDATE kept_document SET key_id = $2 WHERE store_file = $1 "
		                    "AND key_id IS NOT NULL",
		                    2, update_params, error);
		if (updated == NULL)
			return FALSE;
		(*rewrapped)++;
	}
	return TRUE;
}

gboolean
ph_document_count_stale(PhDb *db, PhFieldKeys *keys, gint64 *stale, GError **error)
{
	g_return_val_if_fail(db != NULL && keys != NULL && stale != NULL, FALSE);
	g_autofree gchar *current = ph_field_keys_current(keys);
	const gchar *params[] = {current};
	g_autoptr(PGresult) result = ph_db_query(
	        db, "SELECT count(DISTINCT store_file) " PH_DOCUMENT_STALE, 1, params, error);
	if (result == NULL)
		return FALSE;
	*stale = ph_db_get_int64(result, 0, 0);
	return TRUE;
}

/* The key id in the header of the sealed file @path, or NULL (with @error). */
static gchar *
ph_document_head_key_id(const gchar *path, GError **error)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ph_document_errno(error, "open", path);
		return NULL;
	}
	g_autofree gchar *envelope = ph_document_read_head(fd, path, error);
	close(fd);
	return envelope != NULL ? ph_field_key_id(envelope) : NULL;
}

gboolean
ph_document_rotate_folder(const gchar *dir, PhFieldKeys *keys, gboolean count_only, gint64 *count,
                          GError **error)
{
	g_return_val_if_fail(dir != NULL && keys != NULL && count != NULL, FALSE);
	*count = 0;
	g_autoptr(GDir) folder = g_dir_open(dir, 0, NULL);
	if (folder == NULL)
		return TRUE; /* no folder yet: nothing kept in it */
	g_autofree gchar *current = ph_field_keys_current(keys);
	const gchar *name;
	while ((name = g_dir_read_name(folder)) != NULL) {
		if (!g_str_has_suffix(name, PH_DOCUMENT_SEALED_SUFFIX))
			continue;
		g_autofree gchar *path = g_build_filename(dir, name, NULL);
		g_autofree gchar *key_id = ph_document_head_key_id(path, error);
		if (key_id == NULL)
			return FALSE;
		if (g_str_equal(key_id, current))
			continue;
		if (!count_only && !ph_document_rewrap(path, keys, NULL, error))
			return FALSE;
		(*count)++;
	}
	return TRUE;
}
