/* Payout items' and result lines' digest (see ph-payout-digest.h): each one as its serial
 * (4 bytes) and amount (8 bytes) in network order, then AAC002 and AAE010 each as a 4-byte
 * length (all ones for none) and its bytes, so that no two different sequences give the same
 * bytes; SHA-256 over a buffer of them, not a call per line. Hub layer. */
#include "ph-payout-digest.h"

#include <string.h>

#include "pension-hub/ph-digest.h"

#define PH_PAYOUT_DIGEST_BUFFER (64 * 1024)

struct _PhPayoutDigest {
	PhDigest *sha256;
	GByteArray *buffer;
};

PhPayoutDigest *
ph_payout_digest_new(void)
{
	PhPayoutDigest *digest = g_new0(PhPayoutDigest, 1);
	digest->sha256 = ph_digest_new(PH_DIGEST_SHA256);
	digest->buffer = g_byte_array_sized_new(PH_PAYOUT_DIGEST_BUFFER + 256);
	return digest;
}

static void
ph_payout_digest_flush(PhPayoutDigest *digest)
{
	ph_digest_update(digest->sha256, digest->buffer->data, digest->buffer->len);
	g_byte_array_set_size(digest->buffer, 0);
}

static void
ph_payout_digest_text(GByteArray *buffer, const gchar *text)
{
	gsize size = text != NULL ? strlen(text) : 0;
	guint32 length = GUINT32_TO_BE(text != NULL ? (guint32)size : G_MAXUINT32);
	g_byte_array_append(buffer, (const guint8 *)&length, sizeof(length));
	g_byte_array_append(buffer, (const guint8 *)text, (guint)size);
}

void
ph_payout_digest_add(PhPayoutDigest *digest, gint serial, const gchar *id_number,
                     const gchar *account, gint64 amount)
{
	g_return_if_fail(digest != NULL && account != NULL);
	guint32 number = GUINT32_TO_BE((guint32)serial);
	guint64 fen = GUINT64_TO_BE((guint64)amount);
	g_byte_array_append(digest->buffer, (const guint8 *)&number, sizeof(number));
	g_byte_array_append(digest->buffer, (const guint8 *)&fen, sizeof(fen));
	ph_payout_digest_text(digest->buffer, id_number);
	ph_payout_digest_text(digest->buffer, account);
	if (digest->buffer->len >= PH_PAYOUT_DIGEST_BUFFER)
		ph_payout_digest_flush(digest);
}

const gchar *
ph_payout_digest_get_hex(PhPayoutDigest *digest)
{
	g_return_val_if_fail(digest != NULL, NULL);
	if (digest->buffer->len > 0)
		ph_payout_digest_flush(digest);
	return ph_digest_get_hex(digest->sha256);
}

void
ph_payout_digest_free(PhPayoutDigest *digest)
{
	if (digest == NULL)
		return;
	ph_digest_free(digest->sha256);
	g_byte_array_unref(digest->buffer);
	g_free(digest);
}
