/* Message digests (SM3, SHA-256) over OpenSSL's EVP, whole or through filter streams. Hub
 * layer, exported to plugins as <pension-hub/ph-digest.h>. */
#include <openssl/evp.h>
#include <string.h>

#include "pension-hub/ph-digest.h"
#include "ph-error.h"
#include "ph-tap-stream.h"

struct _PhDigest {
	EVP_MD_CTX *context;
	guint64 length;
	gchar hex[EVP_MAX_MD_SIZE * 2 + 1];
	gboolean finished;
};

gboolean
ph_digest_alg_from_name(const gchar *name, PhDigestAlg *alg, GError **error)
{
	g_return_val_if_fail(alg != NULL, FALSE);
	if (g_ascii_strcasecmp(name != NULL ? name : "", "SM3") == 0) {
		*alg = PH_DIGEST_SM3;
		return TRUE;
	}
	if (name != NULL &&
	    (g_ascii_strcasecmp(name, "SHA256") == 0 || g_ascii_strcasecmp(name, "SHA-256") == 0)) {
		*alg = PH_DIGEST_SHA256;
		return TRUE;
	}
	g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
	            "digest algorithm '%s': not SM3 or SHA256", name != NULL ? name : "");
	return FALSE;
}

const gchar *
ph_digest_alg_get_name(PhDigestAlg alg)
{
	return alg == PH_DIGEST_SM3 ? "SM3" : "SHA256";
}

PhDigest *
ph_digest_new(PhDigestAlg alg)
{
	PhDigest *digest = g_new0(PhDigest, 1);
	/* OpenSSL 3.0's default provider has both; looked up by name, as SM3 has no shortcut */
	const EVP_MD *md = EVP_get_digestbyname(alg == PH_DIGEST_SM3 ? "SM3" : "SHA256");
	digest->context = EVP_MD_CTX_new();
	if (md == NULL || digest->context == NULL ||
	    EVP_DigestInit_ex(digest->context, md, NULL) != 1)
		g_critical("digest %s is not available in OpenSSL", ph_digest_alg_get_name(alg));
	return digest;
}

void
ph_digest_update(PhDigest *digest, const void *data, gsize length)
{
	g_return_if_fail(digest != NULL && !digest->finished);
	EVP_DigestUpdate(digest->context, data, length);
	digest->length += length;
}

const gchar *
ph_digest_get_hex(PhDigest *digest)
{
	static const gchar hex_digits[] = "0123456789abcdef";
	guchar raw[EVP_MAX_MD_SIZE];
	guint size = 0;
	g_return_val_if_fail(digest != NULL, NULL);
	if (digest->finished)
		return digest->hex;
	EVP_DigestFinal_ex(digest->context, raw, &size);
	for (guint i = 0; i < size; i++) {
		digest->hex[2 * i] = hex_digits[raw[i] >> 4];
		digest->hex[2 * i + 1] = hex_digits[raw[i] & 0xf];
	}
	digest->hex[2 * size] = '\0';
	digest->finished = TRUE;
	return digest->hex;
}

guint64
ph_digest_get_length(const PhDigest *digest)
{
	g_return_val_if_fail(digest != NULL, 0);
	return digest->length;
}

void
ph_digest_free(PhDigest *digest)
{
	if (digest == NULL)
		return;
	EVP_MD_CTX_free(digest->context);
	g_free(digest);
}

gchar *
ph_digest_hex(PhDigestAlg alg, const void *data, gsize length)
{
	g_autoptr(PhDigest) digest = ph_digest_new(alg);
	ph_digest_update(digest, data, length);
	return g_strdup(ph_digest_get_hex(digest));
}

/* ---- filter streams ---- */

#define PH_TYPE_DIGEST_OUTPUT_STREAM (ph_digest_output_stream_get_type())
G_DECLARE_FINAL_TYPE(PhDigestOutputStream, ph_digest_output_stream, PH, DIGEST_OUTPUT_STREAM,
                     GFilterOutputStream)

struct _PhDigestOutputStream {
	GFilterOutputStream parent;
	PhDigest *digest;
};

G_DEFINE_TYPE(PhDigestOutputStream, ph_digest_output_stream, G_TYPE_FILTER_OUTPUT_STREAM)

static gssize
ph_digest_output_stream_write(GOutputStream *stream, const void *buffer, gsize count,
                              GCancellable *cancellable, GError **error)
{
	PhDigestOutputStream *self = PH_DIGEST_OUTPUT_STREAM(stream);
	GOutputStream *base = g_filter_output_stream_get_base_stream(G_FILTER_OUTPUT_STREAM(self));
	gssize n = g_output_stream_write(base, buffer, count, cancellable, error);
	if (n > 0)
		ph_digest_update(self->digest, buffer, (gsize)n);
	return n;
}

static void
ph_digest_output_stream_class_init(PhDigestOutputStreamClass *klass)
{
	G_OUTPUT_STREAM_CLASS(klass)->write_fn = ph_digest_output_stream_write;
}

static void
ph_digest_output_stream_init(PhDigestOutputStream *self)
{
}

GOutputStream *
ph_digest_output_stream_new(GOutputStream *base, PhDigest *digest)
{
	g_return_val_if_fail(G_IS_OUTPUT_STREAM(base) && digest != NULL, NULL);
	PhDigestOutputStream *self = g_object_new(PH_TYPE_DIGEST_OUTPUT_STREAM, "base-stream", base,
	                                          "close-base-stream", FALSE, NULL);
	self->digest = digest;
	return G_OUTPUT_STREAM(self);
}

/* Chunks handed to a digest thread at most: bounds the copies kept to a few reads. */
#define PH_DIGEST_CHUNKS_IN_FLIGHT 8

/* What a digest input stream taps the bytes into (ph-tap-stream.h). */
typedef struct {
	PhDigest *digest;
	GThread *worker;     /* the digest thread, or NULL: digested in the reader's thread */
	GAsyncQueue *chunks; /* GBytes read, to digest; an empty one ends the thread */
	GAsyncQueue *slots;  /* tokens: a chunk may be handed over when one is taken */
} PhDigestTap;

static gpointer
ph_digest_tap_work(gpointer data)
{
	PhDigestTap *tap = data;
	for (;;) {
		g_autoptr(GBytes) chunk = g_async_queue_pop(tap->chunks);
		gsize count = 0;
		const guint8 *bytes = g_bytes_get_data(chunk, &count);
		if (count == 0)
			return NULL;
		ph_digest_update(tap->digest, bytes, count);
		g_async_queue_push(tap->slots, GINT_TO_POINTER(1));
	}
}

static gboolean
ph_digest_tap_take(gpointer data, const guint8 *bytes, gsize count, GError **error)
{
	PhDigestTap *tap = data;
	if (tap->worker == NULL) {
		ph_digest_update(tap->digest, bytes, count);
		return TRUE;
	}
	g_async_queue_pop(tap->slots);
	g_async_queue_push(tap->chunks, g_bytes_new(bytes, count));
	return TRUE;
}

/* At the stream's close: waits for the digest thread to digest everything handed over, so
 * that the digest is complete, and ends it. */
static void
ph_digest_tap_end(gpointer data)
{
	PhDigestTap *tap = data;
	if (tap->worker != NULL) {
		g_async_queue_push(tap->chunks, g_bytes_new(NULL, 0));
		g_thread_join(tap->worker);
		g_async_queue_unref(tap->chunks);
		g_async_queue_unref(tap->slots);
	}
	g_free(tap);
}

GInputStream *
ph_digest_input_stream_new(GInputStream *base, PhDigest *digest)
{
	g_return_val_if_fail(G_IS_INPUT_STREAM(base) && digest != NULL, NULL);
	PhDigestTap *tap = g_new0(PhDigestTap, 1);
	tap->digest = digest;
	return ph_tap_input_stream_new(base, ph_digest_tap_take, tap, ph_digest_tap_end);
}

GInputStream *
ph_digest_input_stream_new_threaded(GInputStream *base, PhDigest *digest)
{
	g_return_val_if_fail(G_IS_INPUT_STREAM(base) && digest != NULL, NULL);
	PhDigestTap *tap = g_new0(PhDigestTap, 1);
	tap->digest = digest;
	tap->chunks = g_async_queue_new_full((GDestroyNotify)g_bytes_unref);
	tap->slots = g_async_queue_new();
	for (guint i = 0; i < PH_DIGEST_CHUNKS_IN_FLIGHT; i++)
		g_async_queue_push(tap->slots, GINT_TO_POINTER(1));
	tap->worker = g_thread_new("ph-digest", ph_digest_tap_work, tap);
	return ph_tap_input_stream_new(base, ph_digest_tap_take, tap, ph_digest_tap_end);
}
