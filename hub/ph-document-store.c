/* Kept documents on disk (ph-document-store.h). A sealed file is envelope-encrypted: a random
 * data key per file, itself sealed under the key file's current key as a field envelope in the
 * header (so the raw field keys never leave ph-field-key.c, and a rotation re-wraps headers,
 * not files), then the plaintext in AES-256-GCM chunks. Host-only. */
#include "ph-document-store.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>
#include <unistd.h>

#include "pension-hub/ph-digest.h"
#include "pension-hub/ph-spool.h"
#include "ph-document-stream.h"
#include "ph-error.h"
#include "ph-tap-stream.h"

struct _PhDocumentWriter {
	gchar *dir;
	gchar *part_path;
	gchar *file_name;
	int fd;
	gboolean committed;
	PhDigest *sha256;
	GByteArray *buffer; /* plaintext not yet written */
	guint8 *sealed;     /* one sealed chunk */
	EVP_CIPHER_CTX *cipher;
	gchar *key_id; /* NULL: plaintext */
	guint64 chunk_index;
	const gchar *plain_suffix;
	gboolean existed;   /* the file was there before the commit */
	off_t written_back; /* the file's bytes already handed to the kernel's writeback */
};

gboolean
ph_document_errno(GError **error, const gchar *what, const gchar *path)
{
	int saved = errno;
	g_set_error(error, PH_ERROR, saved == ENOENT ? PH_ERROR_NOT_FOUND : PH_ERROR_FAILED,
	            "kept document: cannot %s %s: %s", what, path, g_strerror(saved));
	return FALSE;
}

gboolean
ph_document_invalid(GError **error, const gchar *path, const gchar *why)
{
	g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "kept document %s: %s", path, why);
	return FALSE;
}

gssize
ph_document_read_full(int fd, guint8 *buffer, gsize length, const gchar *path, GError **error)
{
	gsize have = 0;
	while (have < length) {
		gssize got = read(fd, buffer + have, length - have);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			ph_document_errno(error, "read", path);
			return -1;
		}
		if (got == 0)
			break;
		have += (gsize)got;
	}
	return (gssize)have;
}

/* Reads @length bytes of the header. */
static gboolean
ph_document_read_head_field(int fd, guint8 *buffer, gsize length, const gchar *path, GError **error)
{
	gssize got = ph_document_read_full(fd, buffer, length, path, error);
	if (got < 0)
		return FALSE;
	return (gsize)got == length || ph_document_invalid(error, path, "the header is cut short");
}

gchar *
ph_document_read_head(int fd, const gchar *path, GError **error)
{
	guint8 magic[PH_DOCUMENT_MAGIC_LEN];
	gssize got = ph_document_read_full(fd, magic, sizeof magic, path, error);
	if (got < 0)
		return NULL;
	if (got != sizeof magic || memcmp(magic, PH_DOCUMENT_MAGIC, sizeof magic) != 0) {
		ph_document_invalid(error, path, "not a sealed kept document");
		return NULL;
	}
	guint8 field[4];
	if (!ph_document_read_head_field(fd, field, sizeof field, path, error))
		return NULL;
	guint32 length = ph_document_get_u32(field);
	if (length == 0 || length > PH_DOCUMENT_HEAD_MAX) {
		ph_document_invalid(error, path, "the header is not a key envelope");
		return NULL;
	}
	g_autofree gchar *envelope = g_malloc0(length + 1);
	if (!ph_document_read_head_field(fd, (guint8 *)envelope, length, path, error) ||
	    !ph_document_read_head_field(fd, field, sizeof field, path, error))
		return NULL;
	if (ph_document_get_u32(field) != PH_DOCUMENT_CHUNK) {
		ph_document_invalid(error, path, "the chunk size is not ours");
		return NULL;
	}
	return g_steal_pointer(&envelope);
}

gchar *
ph_document_store_dir(const PhConfig *config)
{
	g_return_val_if_fail(config != NULL, NULL);
	g_autofree gchar *value =
	        g_key_file_get_string(config->keyfile, "hub", "documents_dir", NULL);
	return ph_config_resolve_path(config, value != NULL ? g_strstrip(value) : "documents");
}

gchar *
ph_document_spool_dir(const PhConfig *config)
{
	g_autofree gchar *value = NULL;
	if (config != NULL && config->keyfile != NULL)
		value = g_key_file_get_string(config->keyfile, "plugin personnel", "spool_dir",
		                              NULL);
	const gchar *dir = value != NULL ? g_strstrip(value) : PH_SPOOL_PERSONNEL_DEFAULT;
	return config == NULL ? g_strdup(dir) : ph_config_resolve_path(config, dir);
}

gboolean
ph_document_write_all(int fd, const guint8 *data, gsize length, const gchar *path, GError **error)
{
	while (length > 0) {
		gssize written = write(fd, data, length);
		if (written < 0 && errno == EINTR)
			continue;
		if (written < 0)
			return ph_document_errno(error, "write", path);
		data += written;
		length -= (gsize)written;
	}
	return TRUE;
}

void
ph_document_put_u32(guint8 *at, guint32 value)
{
	at[0] = (guint8)(value >> 24);
	at[1] = (guint8)(value >> 16);
	at[2] = (guint8)(value >> 8);
	at[3] = (guint8)value;
}

guint32
ph_document_get_u32(const guint8 *at)
{
	return (guint32)at[0] << 24 | (guint32)at[1] << 16 | (guint32)at[2] << 8 | at[3];
}

/* Its place and whether it is the last, so that chunks cannot be reordered, dropped or the
 * file cut at a chunk boundary unnoticed. */
void
ph_document_chunk_aad(guint64 index, gboolean final, guint8 aad[9])
{
	for (guint i = 0; i < 8; i++)
		aad[i] = (guint8)(index >> (56 - 8 * i));
	aad[8] = final ? 1 : 0;
}

gboolean
ph_document_write_head(int fd, const gchar *envelope, const gchar *path, GError **error)
{
	gsize length = strlen(envelope);
	guint8 head[PH_DOCUMENT_MAGIC_LEN + 4];
	guint8 tail[4];
	memcpy(head, PH_DOCUMENT_MAGIC, PH_DOCUMENT_MAGIC_LEN);
	ph_document_put_u32(head + PH_DOCUMENT_MAGIC_LEN, (guint32)length);
	ph_document_put_u32(tail, PH_DOCUMENT_CHUNK);
	return ph_document_write_all(fd, head, sizeof head, path, error) &&
	       ph_document_write_all(fd, (const guint8 *)envelope, length, path, error) &&
	       ph_document_write_all(fd, tail, sizeof tail, path, error);
}

/* A fresh data key, sealed under the current field key into the header. */
static gboolean
ph_document_writer_seal_head(PhDocumentWriter *writer, PhFieldKeys *keys, GError **error)
{
	guint8 data_key[PH_DOCUMENT_KEY];
	if (RAND_bytes(data_key, sizeof data_key) != 1) {
		g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "kept document: no random bytes");
		return FALSE;
	}
	g_autofree gchar *encoded = g_base64_encode(data_key, sizeof data_key);
	g_autofree gchar *envelope = ph_field_keys_seal(keys, encoded, error);
	memset(encoded, 0, strlen(encoded));
	writer->cipher = EVP_CIPHER_CTX_new();
	gboolean keyed =
	        envelope != NULL &&
	        EVP_EncryptInit_ex(writer->cipher, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
	        EVP_CIPHER_CTX_ctrl(writer->cipher, EVP_CTRL_GCM_SET_IVLEN, PH_DOCUMENT_NONCE,
	                            NULL) == 1 &&
	        EVP_EncryptInit_ex(writer->cipher, NULL, NULL, data_key, NULL) == 1;
	memset(data_key, 0, sizeof data_key);
	if (envelope == NULL)
		return FALSE;
	if (!keyed) {
		g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "kept document: AES-256-GCM failed");
		return FALSE;
	}
	writer->key_id = ph_field_key_id(envelope);
	return ph_document_write_head(writer->fd, envelope, writer->part_path, error);
}

PhDocumentWriter *
ph_document_writer_new(const gchar *dir, const gchar *part_name, PhFieldKeys *keys, GError **error)
{
	g_return_val_if_fail(dir != NULL && part_name != NULL, NULL);
	if (g_mkdir_with_parents(dir, 0700) != 0) {
		ph_document_errno(error, "create folder", dir);
		return NULL;
	}
	g_autoptr(PhDocumentWriter) writer = g_new0(PhDocumentWriter, 1);
	writer->dir = g_strdup(dir);
	writer->part_path = g_strdup_printf("%s/%s.part", dir, part_name);
	writer->fd = open(writer->part_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (writer->fd < 0) {
		ph_document_errno(error, "create", writer->part_path);
		return NULL;
	}
	writer->sha256 = ph_digest_new(PH_DIGEST_SHA256);
	writer->buffer = g_byte_array_sized_new(PH_DOCUMENT_CHUNK);
	writer->plain_suffix = PH_DOCUMENT_PLAIN_SUFFIX;
	if (keys != NULL) {
		writer->sealed = g_malloc(PH_DOCUMENT_NONCE + PH_DOCUMENT_CHUNK + PH_DOCUMENT_TAG);
		if (!ph_document_writer_seal_head(writer, keys, error))
			return NULL;
	}
	return g_steal_pointer(&writer);
}

/* Starts the kernel writing what was written since the last call, so that the fsync at the
 * commit finds little left to do: a 150 MB file is then not flushed all at once at the end. */
static void
ph_document_writer_start_writeback(PhDocumentWriter *writer)
{
	off_t end = lseek(writer->fd, 0, SEEK_CUR);
	if (end > writer->written_back)
		sync_file_range(writer->fd, writer->written_back, end - writer->written_back,
		                SYNC_FILE_RANGE_WRITE);
	writer->written_back = MAX(end, writer->written_back);
}

/* Writes the buffered plaintext: as it is, or as sealed chunk number chunk_index. */

static gboolean
ph_document_writer_flush(PhDocumentWriter *writer, gboolean final, GError **error)
{
	GByteArray *buffer = writer->buffer;
	if (writer->cipher == NULL) {
		gboolean ok = ph_document_write_all(writer->fd, buffer->data, buffer->len,
		                                    writer->part_path, error);
		g_byte_array_set_size(buffer, 0);
		ph_document_writer_start_writeback(writer);
		return ok;
	}
	guint8 aad[9];
	gint length = 0;
	guint8 *nonce = writer->sealed;
	guint8 *out = writer->sealed + PH_DOCUMENT_NONCE;
	ph_document_chunk_aad(writer->chunk_index++, final, aad);
	gboolean ok = RAND_bytes(nonce, PH_DOCUMENT_NONCE) == 1 &&
	              EVP_EncryptInit_ex(writer->cipher, NULL, NULL, NULL, nonce) == 1 &&
	              EVP_EncryptUpdate(writer->cipher, NULL, &length, aad, sizeof aad) == 1 &&
	              EVP_EncryptUpdate(writer->cipher, out, &length, buffer->data,
	                                (gint)buffer->len) == 1 &&
	              EVP_EncryptFinal_ex(writer->cipher, out + length, &length) == 1 &&
	              EVP_CIPHER_CTX_ctrl(writer->cipher, EVP_CTRL_GCM_GET_TAG, PH_DOCUMENT_TAG,
	                                  out + buffer->len) == 1;
	if (!ok) {
		g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "kept document: AES-256-GCM failed");
		return FALSE;
	}
	gsize sealed_length = PH_DOCUMENT_NONCE + buffer->len + PH_DOCUMENT_TAG;
	g_byte_array_set_size(buffer, 0);
	if (!ph_document_write_all(writer->fd, writer->sealed, sealed_length, writer->part_path,
	                           error))
		return FALSE;
	ph_document_writer_start_writeback(writer);
	return TRUE;
}

gboolean
ph_document_writer_write(PhDocumentWriter *writer, const void *data, gsize length, GError **error)
{
	g_return_val_if_fail(writer != NULL && !writer->committed, FALSE);
	const guint8 *at = data;
	ph_digest_update(writer->sha256, data, length);
	while (length > 0) {
		/* a full chunk is written only once more bytes follow: the last one is final */
		if (writer->buffer->len == PH_DOCUMENT_CHUNK &&
		    !ph_document_writer_flush(writer, FALSE, error))
			return FALSE;
		gsize take = MIN(length, PH_DOCUMENT_CHUNK - writer->buffer->len);
		g_byte_array_append(writer->buffer, at, (guint)take);
		at += take;
		length -= take;
	}
	return TRUE;
}

gboolean
ph_document_sync_dir(const gchar *dir, GError **error)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return ph_document_errno(error, "open folder", dir);
	int status = fsync(fd);
	close(fd);
	return status == 0 || ph_document_errno(error, "sync folder", dir);
}

gboolean
ph_document_writer_commit(PhDocumentWriter *writer, GError **error)
{
	g_return_val_if_fail(writer != NULL && !writer->committed, FALSE);
	if (!ph_document_writer_flush(writer, TRUE, error))
		return FALSE;
	if (fsync(writer->fd) != 0)
		return ph_document_errno(error, "sync", writer->part_path);
	close(writer->fd);
	writer->fd = -1;
	writer->file_name = g_strconcat(
	        ph_digest_get_hex(writer->sha256),
	        writer->cipher != NULL ? PH_DOCUMENT_SEALED_SUFFIX : writer->plain_suffix, NULL);
	g_autofree gchar *path = g_build_filename(writer->dir, writer->file_name, NULL);
	/* named by the plaintext's digest: a file of that name holds these bytes already. Ours
	 * goes in under the name if there is none (link: one call that also tells); else ours,
	 * just written, takes the old one's place (rename: atomic). Either way the file under the
	 * name is new (inode) and young (time), so that `pensionctl documents orphans` and a
	 * spooled arrival that failed, which set a file aside before judging it, never remove a
	 * file a keep is naming (ph-document-orphan.h). */
	writer->existed = link(writer->part_path, path) != 0;
	if (writer->existed && errno != EEXIST)
		return ph_document_errno(error, "link", writer->part_path);
	if (writer->existed ? g_rename(writer->part_path, path) != 0
	                    : g_unlink(writer->part_path) != 0)
		return ph_document_errno(error, "put in place", writer->part_path);
	writer->committed = TRUE;
	return ph_document_sync_dir(writer->dir, error);
}

const gchar *
ph_document_writer_get_file_name(PhDocumentWriter *writer)
{
	return writer->file_name;
}

const gchar *
ph_document_writer_get_sha256(PhDocumentWriter *writer)
{
	return ph_digest_get_hex(writer->sha256);
}

guint64
ph_document_writer_get_size(PhDocumentWriter *writer)
{
	return ph_digest_get_length(writer->sha256);
}

const gchar *
ph_document_writer_get_key_id(PhDocumentWriter *writer)
{
	return writer->key_id;
}

gboolean
ph_document_writer_get_existed(PhDocumentWriter *writer)
{
	return writer->existed;
}

void
ph_document_writer_set_plain_suffix(PhDocumentWriter *writer, const gchar *suffix)
{
	g_return_if_fail(writer != NULL && suffix != NULL && !writer->committed);
	writer->plain_suffix = suffix;
}

void
ph_document_writer_free(PhDocumentWriter *writer)
{
	if (writer == NULL)
		return;
	if (writer->fd >= 0)
		close(writer->fd);
	if (!writer->committed && writer->part_path != NULL)
		g_unlink(writer->part_path);
	g_clear_pointer(&writer->cipher, EVP_CIPHER_CTX_free);
	g_clear_pointer(&writer->sha256, ph_digest_free);
	g_clear_pointer(&writer->buffer, g_byte_array_unref);
	g_free(writer->sealed);
	g_free(writer->key_id);
	g_free(writer->file_name);
	g_free(writer->part_path);
	g_free(writer->dir);
	g_free(writer);
}

/* ---- the tee stream ---- */

#define PH_TYPE_DOCUMENT_TEE (ph_document_tee_get_type())
G_DECLARE_FINAL_TYPE(PhDocumentTee, ph_document_tee, PH, DOCUMENT_TEE, GFilterOutputStream)

struct _PhDocumentTee {
	GFilterOutputStream parent;
	PhDocumentWriter *writer; /* outlives the stream */
};

G_DEFINE_TYPE(PhDocumentTee, ph_document_tee, G_TYPE_FILTER_OUTPUT_STREAM)

static gssize
ph_document_tee_write(GOutputStream *stream, const void *buffer, gsize count,
                      GCancellable *cancellable, GError **error)
{
	PhDocumentTee *self = PH_DOCUMENT_TEE(stream);
	GOutputStream *next = g_filter_output_stream_get_base_stream(G_FILTER_OUTPUT_STREAM(self));
	gssize n = g_output_stream_write(next, buffer, count, cancellable, error);
	if (n > 0 && !ph_document_writer_write(self->writer, buffer, (gsize)n, error))
		return -1;
	return n;
}

static void
ph_document_tee_class_init(PhDocumentTeeClass *klass)
{
	G_OUTPUT_STREAM_CLASS(klass)->write_fn = ph_document_tee_write;
}

static void
ph_document_tee_init(PhDocumentTee *self)
{
}

GOutputStream *
ph_document_writer_tee_new(PhDocumentWriter *writer, GOutputStream *next)
{
	g_return_val_if_fail(writer != NULL && G_IS_OUTPUT_STREAM(next), NULL);
	PhDocumentTee *self = g_object_new(PH_TYPE_DOCUMENT_TEE, "base-stream", next,
	                                   "close-base-stream", FALSE, NULL);
	self->writer = writer;
	return G_OUTPUT_STREAM(self);
}

/* ---- the input tee: keeps what is read ---- */

static gboolean
ph_document_writer_take(gpointer writer, const guint8 *bytes, gsize count, GError **error)
{
	return ph_document_writer_write(writer, bytes, count, error);
}

GInputStream *
ph_document_writer_input_tee_new(PhDocumentWriter *writer, GInputStream *base)
{
	g_return_val_if_fail(writer != NULL && G_IS_INPUT_STREAM(base), NULL);
	return ph_tap_input_stream_new(base, ph_document_writer_take, writer, NULL);
}

/* ---- reading ---- */

gboolean
ph_document_store_read(const gchar *path, PhFieldKeys *keys, const gchar *sha256,
                       PhDocumentSink sink, gpointer user_data, GError **error)
{
	g_return_val_if_fail(path != NULL && sink != NULL, FALSE);
	gboolean sealed = g_str_has_suffix(path, PH_DOCUMENT_SEALED_SUFFIX);
	g_autoptr(GInputStream) input = ph_document_stream_open(path, keys, sealed, error);
	if (input == NULL)
		return FALSE;
	g_autoptr(PhDigest) digest = ph_digest_new(PH_DIGEST_SHA256);
	g_autofree guint8 *buffer = g_malloc(PH_DOCUMENT_CHUNK);
	gssize got;
	while ((got = g_input_stream_read(input, buffer, PH_DOCUMENT_CHUNK, NULL, error)) > 0) {
		ph_digest_update(digest, buffer, (gsize)got);
		if (!sink(buffer, (gsize)got, user_data, error))
			return FALSE;
	}
	if (got < 0)
		return FALSE;
	if (sha256 != NULL && !g_str_equal(ph_digest_get_hex(digest), sha256)) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "kept document %s: SHA-256 %s differs from the recorded %s", path,
		            ph_digest_get_hex(digest), sha256);
		return FALSE;
	}
	return TRUE;
}
