/* SDK: message digests from the host (OpenSSL in hub/ph-digest.c): SM3 and SHA-256, whole or
 * streamed, as lowercase hex. For done files and file identities; a plugin links no
 * crypto library itself. GLib/GIO only. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
	PH_DIGEST_SM3,
	PH_DIGEST_SHA256,
} PhDigestAlg;

/* "SM3" or "SHA256" (as written in done files; also "sha-256", any case) to the
 * algorithm; PH_ERROR_INVALID_INPUT naming the value otherwise. */
gboolean ph_digest_alg_from_name(const gchar *name, PhDigestAlg *alg, GError **error);
/* "SM3" or "SHA256". */
const gchar *ph_digest_alg_get_name(PhDigestAlg alg);

typedef struct _PhDigest PhDigest;

PhDigest *ph_digest_new(PhDigestAlg alg);
void ph_digest_update(PhDigest *digest, const void *data, gsize length);
/* The hex digest of everything given so far; the digest can take no more data. */
const gchar *ph_digest_get_hex(PhDigest *digest);
/* Bytes given so far. */
guint64 ph_digest_get_length(const PhDigest *digest);
void ph_digest_free(PhDigest *digest);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhDigest, ph_digest_free)

/* The hex digest of @length bytes. */
gchar *ph_digest_hex(PhDigestAlg alg, const void *data, gsize length);

/* Streams that feed @digest with every byte passing through to or from @base (not owned;
 * it must outlive the stream). Closing them does not close @base. */
GOutputStream *ph_digest_output_stream_new(GOutputStream *base, PhDigest *digest);
GInputStream *ph_digest_input_stream_new(GInputStream *base, PhDigest *digest);
/* As ph_digest_input_stream_new, but a thread of the stream digests a copy of each chunk
 * read, beside the reader (a parser) instead of in its time. @digest is complete only once
 * the stream is closed (g_input_stream_close) or freed. */
GInputStream *ph_digest_input_stream_new_threaded(GInputStream *base, PhDigest *digest);

G_END_DECLS
