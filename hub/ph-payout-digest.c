/* Payout items' and result lines' digest (see ph-payout-digest.h): each one as the bytes
 * core/ph-payout-line.h gives it (serial, amount, AAC002 and AAE010, so that no two different
 * sequences give the same bytes); SHA-256 over a buffer of them, not a call per line. Hub
 * layer. */
#include "ph-payout-digest.h"

#include "pension-hub/ph-digest.h"
#include "ph-payout-line.h"

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

void
ph_payout_digest_add(PhPayoutDigest *digest, gint serial, const gchar *id_number,
                     const gchar *account, gint64 amount)
{
	g_return_if_fail(digest != NULL && account != NULL);
	ph_payout_line_encode(digest->buffer, serial, id_number, account, amount);
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
