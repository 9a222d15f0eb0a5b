/* The SDK's digests (hub/ph-digest.c): SM3 and SHA-256 against published test vectors, whole
 * and streamed in both directions, and the algorithm names of done files. Suite unit. */
#include <string.h>

#include "pension-hub/ph-digest.h"
#include "ph-error.h"

/* GB/T 32905-2016 appendix A (SM3) and FIPS 180-2 appendix B.1 (SHA-256): "abc". */
static const struct {
	PhDigestAlg alg;
	const gchar *input;
	const gchar *hex;
} digest_cases[] = {
        {PH_DIGEST_SM3, "abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"},
        {PH_DIGEST_SHA256, "abc",
         "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        /* GB/T 32905-2016 appendix A.2: "abcd" sixteen times */
        {PH_DIGEST_SM3, "abcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcd",
         "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"},
};

static void
test_vectors(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(digest_cases); i++) {
		g_autofree gchar *hex = ph_digest_hex(digest_cases[i].alg, digest_cases[i].input,
		                                      strlen(digest_cases[i].input));
		g_assert_cmpstr(hex, ==, digest_cases[i].hex);
	}
}

/* A digest stream sees every byte that passes, written or read, in pieces or skipped. */
static void
test_streams(void)
{
	g_autoptr(GError) error = NULL;
	const gchar *text = digest_cases[2].input;
	gsize length = strlen(text);
	g_autoptr(PhDigest) out_digest = ph_digest_new(PH_DIGEST_SM3);
	g_autoptr(GOutputStream) sink = g_memory_output_stream_new_resizable();
	g_autoptr(GOutputStream) tee = ph_digest_output_stream_new(sink, out_digest);
	for (gsize done = 0; done < length; done += 5)
		g_output_stream_write_all(tee, text + done, MIN(5, length - done), NULL, NULL,
		                          &error);
	g_assert_no_error(error);
	g_assert_cmpstr(ph_digest_get_hex(out_digest), ==, digest_cases[2].hex);
	g_assert_cmpuint(ph_digest_get_length(out_digest), ==, length);

	g_autoptr(PhDigest) in_digest = ph_digest_new(PH_DIGEST_SM3);
	g_autoptr(GInputStream) source = g_memory_input_stream_new_from_data(text, length, NULL);
	g_autoptr(GInputStream) reader = ph_digest_input_stream_new(source, in_digest);
	gchar buffer[7];
	g_assert_cmpint(g_input_stream_read(reader, buffer, sizeof buffer, NULL, &error), ==, 7);
	/* skipping must still feed the digest */
	while (g_input_stream_skip(reader, 1000, NULL, &error) > 0)
		;
	g_assert_no_error(error);
	g_assert_cmpstr(ph_digest_get_hex(in_digest), ==, digest_cases[2].hex);
}

/* The threaded reader digests every byte read or skipped, in more chunks than it keeps in
 * flight, and its digest is complete once the stream is closed. */
static void
test_threaded_reader(void)
{
	g_autoptr(GError) error = NULL;
	/* 1 MB of a repeating pattern; the reference is one ph_digest_hex of it */
	gsize length = 1 << 20;
	g_autofree guint8 *data = g_malloc(length);
	for (gsize i = 0; i < length; i++)
		data[i] = (guint8)(i * 7 + i / 251);
	g_autofree gchar *expected = ph_digest_hex(PH_DIGEST_SM3, data, length);
	g_autoptr(PhDigest) digest = ph_digest_new(PH_DIGEST_SM3);
	g_autoptr(GInputStream) source = g_memory_input_stream_new_from_data(data, length, NULL);
	g_autoptr(GInputStream) reader = ph_digest_input_stream_new_threaded(source, digest);
	guint8 buffer[1000];
	gsize total = 0;
	gssize n;
	while ((n = g_input_stream_read(reader, buffer, sizeof buffer, NULL, &error)) > 0) {
		total += (gsize)n;
		if (total > length / 2)
			break;
	}
	while ((n = g_input_stream_skip(reader, 4096, NULL, &error)) > 0)
		;
	g_assert_no_error(error);
	g_assert_true(g_input_stream_close(reader, NULL, &error));
	g_assert_cmpuint(ph_digest_get_length(digest), ==, length);
	g_assert_cmpstr(ph_digest_get_hex(digest), ==, expected);
}

static void
test_names(void)
{
	g_autoptr(GError) error = NULL;
	PhDigestAlg alg = PH_DIGEST_SHA256;
	g_assert_true(ph_digest_alg_from_name("sm3", &alg, &error));
	g_assert_cmpint(alg, ==, PH_DIGEST_SM3);
	g_assert_true(ph_digest_alg_from_name("SHA-256", &alg, &error));
	g_assert_cmpint(alg, ==, PH_DIGEST_SHA256);
	g_assert_cmpstr(ph_digest_alg_get_name(alg), ==, "SHA256");
	g_assert_false(ph_digest_alg_from_name("MD5", &alg, &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/digest/vectors", test_vectors);
	g_test_add_func("/digest/streams", test_streams);
	g_test_add_func("/digest/threaded-reader", test_threaded_reader);
	g_test_add_func("/digest/names", test_names);
	return g_test_run();
}
