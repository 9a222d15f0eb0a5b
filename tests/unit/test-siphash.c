/* SipHash-2-4 (core/ph-siphash.c): the paper's test vector, and the same value as OpenSSL's
 * SIPHASH MAC (an implementation written apart from ours) for every length 0-200 and for
 * random keys and inputs. */
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "ph-siphash.h"

/* OpenSSL's SipHash-2-4 of @data under @key: 8 bytes, the 64-bit value little-endian. */
static guint64
openssl_siphash(const guint8 *key, const guint8 *data, gsize length)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
	EVP_MAC_CTX *context = EVP_MAC_CTX_new(mac);
	gsize size = 8;
	OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
	                       OSSL_PARAM_construct_end()};
	guint8 out[8];
	gsize written = 0;
	g_assert_cmpint(EVP_MAC_init(context, key, PH_SIPHASH_KEY_BYTES, params), ==, 1);
	g_assert_cmpint(EVP_MAC_update(context, data, length), ==, 1);
	g_assert_cmpint(EVP_MAC_final(context, out, &written, sizeof out), ==, 1);
	g_assert_cmpuint(written, ==, 8);
	EVP_MAC_CTX_free(context);
	EVP_MAC_free(mac);
	guint64 value = 0;
	for (guint i = 0; i < 8; i++)
		value |= (guint64)out[i] << (8 * i);
	return value;
}

/* Bytes @step * i + @first, as the paper's key (00 01 … 0f) and message (00 01 … 0e) are. */
static void
fill_bytes(guint8 *bytes, gsize length, guint step, guint first)
{
	for (gsize i = 0; i < length; i++)
		bytes[i] = (guint8)(i * step + first);
}

/* The paper's Appendix A: key 00 01 … 0f, message 00 01 … 0e (15 bytes). */
static void
test_paper_vector(void)
{
	guint8 key[PH_SIPHASH_KEY_BYTES], message[15];
	fill_bytes(key, sizeof key, 1, 0);
	fill_bytes(message, sizeof message, 1, 0);
	g_assert_cmphex(ph_siphash24(key, message, sizeof message), ==, 0xa129ca6149be45e5ULL);
}

/* Every tail length (0-7 bytes after whole words) and several whole words. */
static void
test_every_length(void)
{
	guint8 key[PH_SIPHASH_KEY_BYTES], message[200];
	fill_bytes(key, sizeof key, 1, 0);
	fill_bytes(message, sizeof message, 7, 3);
	for (gsize length = 0; length <= sizeof message; length++)
		g_assert_cmphex(ph_siphash24(key, message, length), ==,
		                openssl_siphash(key, message, length));
}

static void
test_random_keys(void)
{
	g_autoptr(GRand) rand = g_rand_new_with_seed(20261127);
	for (guint run = 0; run < 2000; run++) {
		guint8 key[PH_SIPHASH_KEY_BYTES], message[96];
		for (guint i = 0; i < sizeof key; i++)
			key[i] = (guint8)g_rand_int(rand);
		gsize length = g_rand_int_range(rand, 0, sizeof message + 1);
		for (gsize i = 0; i < length; i++)
			message[i] = (guint8)g_rand_int(rand);
		g_assert_cmphex(ph_siphash24(key, message, length), ==,
		                openssl_siphash(key, message, length));
	}
}

/* Another key gives another value for the same input: the key is used. */
static void
test_key_matters(void)
{
	guint8 a[PH_SIPHASH_KEY_BYTES] = {0}, b[PH_SIPHASH_KEY_BYTES] = {0};
	b[15] = 1;
	const guint8 line[] = "00000001110105195001010012";
	g_assert_cmphex(ph_siphash24(a, line, sizeof line - 1), !=,
	                ph_siphash24(b, line, sizeof line - 1));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/siphash/paper-vector", test_paper_vector);
	g_test_add_func("/siphash/every-length", test_every_length);
	g_test_add_func("/siphash/random-keys", test_random_keys);
	g_test_add_func("/siphash/key-matters", test_key_matters);
	return g_test_run();
}
