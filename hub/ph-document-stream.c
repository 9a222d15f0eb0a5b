/* Reading the kept-document format (ph-document-stream.h): a GInputStream that opens the data
 * key from the header, then each AES-256-GCM chunk as it is needed, looking one chunk ahead to
 * know the last. Host-only. */
#include "ph-document-stream.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pension-hub/ph-drop.h"
#include "ph-document-store.h"
#include "ph-error.h"

#define PH_DOCUMENT_SEALED_CHUNK (PH_DOCUMENT_NONCE + PH_DOCUMENT_CHUNK + PH_DOCUMENT_TAG)

#define PH_TYPE_DOCUMENT_STREAM (ph_document_stream_get_type())
G_DECLARE_FINAL_TYPE(PhDocumentStream, ph_document_stream, PH, DOCUMENT_STREAM, GInputStream)

struct _PhDocumentStream {
	GInputStream parent;
	gchar *path;
	int fd;
	gint64 size; /* plaintext bytes the file's length implies, -1: none */
	EVP_CIPHER_CTX *cipher;
	guint8 *current; /* the chunk being handed on, opened in place */
	guint8 *ahead;   /* the chunk after it, read ahead */
	gsize ahead_length;
	const guint8 *plain; /* what is left of the current chunk's plaintext */
	gsize plain_left;
	guint64 index; /* of the next chunk to open */
	gboolean done; /* the final chunk is open */
	gboolean failed;
};

G_DEFINE_TYPE(PhDocumentStream, ph_document_stream, G_TYPE_INPUT_STREAM)

/* Opens chunk @length bytes long in self->current in place and points self->plain at it. */
static gboolean
ph_document_stream_open_chunk(PhDocumentStream *self, gsize length, gboolean final, GError **error)
{
	if (length < PH_DOCUMENT_NONCE + PH_DOCUMENT_TAG)
		return ph_document_invalid(error, self->path, "a chunk is cut short");
	gsize plain = length - PH_DOCUMENT_NONCE - PH_DOCUMENT_TAG;
	guint8 aad[9];
	gint written = 0;
	guint8 *data = self->current + PH_DOCUMENT_NONCE;
	ph_document_chunk_aad(self->index, final, aad);
	gboolean ok = EVP_DecryptInit_ex(self->cipher, NULL, NULL, NULL, self->current) == 1 &&
	              EVP_DecryptUpdate(self->cipher, NULL, &written, aad, sizeof aad) == 1 &&
	              EVP_DecryptUpdate(self->cipher, data, &written, data, (gint)plain) == 1 &&
	              EVP_CIPHER_CTX_ctrl(self->cipher, EVP_CTRL_GCM_SET_TAG, PH_DOCUMENT_TAG,
	                                  data + plain) == 1 &&
	              EVP_DecryptFinal_ex(self->cipher, data + written, &written) == 1;
	if (!ok) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "kept document %s: chunk %" G_GUINT64_FORMAT
		            " does not authenticate (changed, cut or reordered)",
		            self->path, self->index);
		return FALSE;
	}
	self->plain = data;
	self->plain_left = plain;
	self->index++;
	self->done = final;
	return TRUE;
}

/* The chunk read ahead becomes the current one; a chunk is the last when nothing follows. */
static gboolean
ph_document_stream_next_chunk(PhDocumentStream *self, GError **error)
{
	guint8 *swap = self->current;
	self->current = self->ahead;
	self->ahead = swap;
	gsize length = self->ahead_length;
	self->ahead_length = 0;
	if (length == PH_DOCUMENT_SEALED_CHUNK) {
		gssize got = ph_document_read_full(self->fd, self->ahead, PH_DOCUMENT_SEALED_CHUNK,
		                                   self->path, error);
		if (got < 0)
			return FALSE;
		self->ahead_length = (gsize)got;
	}
	return ph_document_stream_open_chunk(self, length, self->ahead_length == 0, error);
}

static gssize
ph_document_stream_read(GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable,
                        GError **error)
{
	PhDocumentStream *self = PH_DOCUMENT_STREAM(stream);
	while (self->plain_left == 0 && !self->done) {
		/* nothing after a chunk that failed: its bytes must not be taken for the next */
		if (self->failed) {
			ph_document_invalid(error, self->path, "read on after a chunk failed");
			return -1;
		}
		if (!ph_document_stream_next_chunk(self, error)) {
			self->failed = TRUE;
			return -1;
		}
	}
	gsize n = MIN(count, self->plain_left);
	memcpy(buffer, self->plain, n);
	self->plain += n;
	self->plain_left -= n;
	return (gssize)n;
}

static gboolean
ph_document_stream_close(GInputStream *stream, GCancellable *cancellable, GError **error)
{
	PhDocumentStream *self = PH_DOCUMENT_STREAM(stream);
	if (self->fd >= 0)
		close(self->fd);
	self->fd = -1;
	return TRUE;
}

static void
ph_document_stream_finalize(GObject *object)
{
	PhDocumentStream *self = PH_DOCUMENT_STREAM(object);
	if (self->fd >= 0)
		close(self->fd);
	g_clear_pointer(&self->cipher, EVP_CIPHER_CTX_free);
	g_free(self->current);
	g_free(self->ahead);
	g_free(self->path);
	G_OBJECT_CLASS(ph_document_stream_parent_class)->finalize(object);
}

static void
ph_document_stream_class_init(PhDocumentStreamClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ph_document_stream_finalize;
	G_INPUT_STREAM_CLASS(klass)->read_fn = ph_document_stream_read;
	G_INPUT_STREAM_CLASS(klass)->close_fn = ph_document_stream_close;
}

static void
ph_document_stream_init(PhDocumentStream *self)
{
	self->fd = -1;
	self->size = -1;
}

/* Opens the data key of the header's @envelope with @keys. */
static gboolean
ph_document_stream_open_key(PhDocumentStream *self, PhFieldKeys *keys, const gchar *envelope,
                            GError **error)
{
	if (keys == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
		            "kept document %s is sealed and no [keys] file is configured",
		            self->path);
		return FALSE;
	}
	g_autofree gchar *encoded = ph_field_keys_open(keys, envelope, error);
	if (encoded == NULL) {
		g_prefix_error(error, "kept document %s: ", self->path);
		return FALSE;
	}
	gsize key_length = 0;
	g_autofree guchar *data_key = g_base64_decode(encoded, &key_length);
	self->cipher = EVP_CIPHER_CTX_new();
	gboolean ok = key_length == PH_DOCUMENT_KEY &&
	              EVP_DecryptInit_ex(self->cipher, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
	              EVP_CIPHER_CTX_ctrl(self->cipher, EVP_CTRL_GCM_SET_IVLEN, PH_DOCUMENT_NONCE,
	                                  NULL) == 1 &&
	              EVP_DecryptInit_ex(self->cipher, NULL, NULL, data_key, NULL) == 1;
	memset(data_key, 0, key_length);
	return ok || ph_document_invalid(error, self->path, "the data key is not usable");
}

/* The plaintext size the sealed file's length implies: each chunk adds a nonce and a tag, and
 * every chunk but the last is full. */
static gint64
ph_document_stream_sealed_size(PhDocumentStream *self, GError **error)
{
	struct stat status;
	off_t start = lseek(self->fd, 0, SEEK_CUR);
	if (start < 0 || fstat(self->fd, &status) != 0) {
		ph_document_errno(error, "inspect", self->path);
		return -2;
	}
	guint64 body = (guint64)(status.st_size - start);
	guint64 chunks = MAX(1, (body + PH_DOCUMENT_SEALED_CHUNK - 1) / PH_DOCUMENT_SEALED_CHUNK);
	guint64 overhead = chunks * (PH_DOCUMENT_NONCE + PH_DOCUMENT_TAG);
	return body >= overhead ? (gint64)(body - overhead) : -1;
}

static gboolean
ph_document_stream_start(PhDocumentStream *self, PhFieldKeys *keys, GError **error)
{
	g_autofree gchar *envelope = ph_document_read_head(self->fd, self->path, error);
	if (envelope == NULL || !ph_document_stream_open_key(self, keys, envelope, error))
		return FALSE;
	self->size = ph_document_stream_sealed_size(self, error);
	if (self->size == -2)
		return FALSE;
	self->current = g_malloc(PH_DOCUMENT_SEALED_CHUNK);
	self->ahead = g_malloc(PH_DOCUMENT_SEALED_CHUNK);
	gssize got = ph_document_read_full(self->fd, self->ahead, PH_DOCUMENT_SEALED_CHUNK,
	                                   self->path, error);
	self->ahead_length = got > 0 ? (gsize)got : 0;
	return got >= 0;
}

GInputStream *
ph_document_stream_open(const gchar *path, PhFieldKeys *keys, gboolean sealed, GError **error)
{
	g_return_val_if_fail(path != NULL, NULL);
	if (!sealed)
		return ph_drop_open_read(NULL, path, error);
	g_autoptr(PhDocumentStream) self = g_object_new(PH_TYPE_DOCUMENT_STREAM, NULL);
	self->path = g_strdup(path);
	self->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (self->fd < 0) {
		ph_document_errno(error, "open", path);
		return NULL;
	}
	if (!ph_document_stream_start(self, keys, error))
		return NULL;
	return G_INPUT_STREAM(g_steal_pointer(&self));
}

gint64
ph_document_stream_get_size(GInputStream *stream)
{
	g_return_val_if_fail(G_IS_INPUT_STREAM(stream), -1);
	if (PH_IS_DOCUMENT_STREAM(stream))
		return PH_DOCUMENT_STREAM(stream)->size;
	if (!G_IS_FILE_INPUT_STREAM(stream))
		return -1;
	g_autoptr(GFileInfo) info = g_file_input_stream_query_info(
	        G_FILE_INPUT_STREAM(stream), G_FILE_ATTRIBUTE_STANDARD_SIZE, NULL, NULL);
	return info != NULL ? (gint64)g_file_info_get_size(info) : -1;
}
