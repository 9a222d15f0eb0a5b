/* Tests of hub/ph-encoding.c: GB18030 and UTF-8 conversion, the four-byte 𠮷, character
 * boundaries, byte-width fitting that never cuts a character, invalid sequences. */
#include <glib.h>
#include <string.h>

#include "ph-encoding.h"
#include "ph-error.h"

/* 𠮷 U+20BB7 in GB18030 is the four-byte 95 34 B2 35 (iconv -t GB18030); 张 is D5 C5. */
#define JI_GB18030    "\x95\x34\xb2\x35"
#define ZHANG_GB18030 "\xd5\xc5"

static void
test_round_trip(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhEncoding) gb = ph_encoding_new("gb18030", &error);
	g_autoptr(GString) encoded = g_string_new(NULL);
	g_autoptr(GString) decoded = g_string_new(NULL);
	const gchar *text = "𠮷张a";

	g_assert_no_error(error);
	g_assert_cmpstr(ph_encoding_get_name(gb), ==, "GB18030");
	g_assert_true(ph_encoding_from_utf8(gb, text, strlen(text), encoded, &error));
	g_assert_no_error(error);
	g_assert_cmpmem(encoded->str, encoded->len, JI_GB18030 ZHANG_GB18030 "a", 7);
	g_assert_true(ph_encoding_to_utf8(gb, encoded->str, encoded->len, decoded, &error));
	g_assert_cmpstr(decoded->str, ==, text);
}

static void
test_char_len(void)
{
	g_autoptr(PhEncoding) gb = ph_encoding_new("GB18030", NULL);
	g_autoptr(PhEncoding) gbk = ph_encoding_new("GBK", NULL);
	g_autoptr(PhEncoding) utf8 = ph_encoding_new("UTF-8", NULL);
	const guchar *ji = (const guchar *)JI_GB18030;

	g_assert_cmpint(ph_encoding_char_len(gb, ji, 4), ==, 4);
	g_assert_cmpint(ph_encoding_char_len(gb, ji, 3), ==, 0);   /* cut short */
	g_assert_cmpint(ph_encoding_char_len(gbk, ji, 4), ==, -1); /* GBK has no 4-byte form */
	g_assert_cmpint(ph_encoding_char_len(gb, (const guchar *)"\xff", 1), ==, -1);
	g_assert_cmpint(ph_encoding_char_len(utf8, (const guchar *)"𠮷", 4), ==, 4);
	g_assert_cmpint(ph_encoding_char_len(utf8, (const guchar *)"\xe5\xbc", 2), ==, 0);
}

static void
test_fit_never_cuts(void)
{
	g_autoptr(PhEncoding) gb = ph_encoding_new("GB18030", NULL);
	const gchar *bytes = "a" ZHANG_GB18030 JI_GB18030; /* 1 + 2 + 4 bytes */

	/* Widths 1..7: the longest prefix of whole characters. */
	static const gsize expected[] = {0, 1, 1, 3, 3, 3, 3, 7};

	for (gsize width = 0; width < G_N_ELEMENTS(expected); width++)
		g_assert_cmpuint(ph_encoding_fit(gb, bytes, 7, width), ==, expected[width]);
}

static void
test_invalid_sequence(void)
{
	g_autoptr(PhEncoding) gb = ph_encoding_new("GB18030", NULL);
	g_autoptr(PhEncoding) utf8 = ph_encoding_new("UTF-8", NULL);
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GError) error = NULL;
	gsize bad = 0;
	gboolean cut = FALSE;

	g_assert_false(ph_encoding_to_utf8(gb,
	                                   "ab\xff"
	                                   "c",
	                                   4, out, &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
	g_assert_cmpstr(error->message, ==, "invalid byte sequence at byte 2 (0xff)");
	g_clear_error(&error);
	g_assert_false(ph_encoding_scan(gb, "a" ZHANG_GB18030 "\x95\x34", 5, &bad, &cut));
	g_assert_cmpuint(bad, ==, 3);
	g_assert_true(cut);
	g_assert_false(ph_encoding_to_utf8(utf8, "x\xc3", 2, out, &error));
	g_assert_cmpstr(error->message, ==, "incomplete byte sequence at byte 1 (0xc3)");
}

static void
test_unrepresentable(void)
{
	g_autoptr(PhEncoding) gbk = ph_encoding_new("GBK", NULL);
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GError) error = NULL;

	/* 𠮷 is outside GBK: refused, naming the character. */
	g_assert_false(ph_encoding_from_utf8(gbk, "a𠮷", strlen("a𠮷"), out, &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
	g_assert_nonnull(strstr(error->message, "U+20BB7"));
}

/* UTF-8 that g_utf8_validate() refuses is refused when written in GB18030, at the byte it
 * names (the converter checks the UTF-8 in the same pass as it converts). */
static void
test_invalid_utf8(void)
{
	static const struct {
		const gchar *text;
		gsize len;
		const gchar *message;
	} cases[] = {
	        {"a\xc0\x80", 3, "invalid UTF-8 at byte 1"},            /* overlong NUL */
	        {"\xe0\x80\x80", 3, "invalid UTF-8 at byte 0"},         /* overlong 3-byte */
	        {"\xed\xa0\x80", 3, "invalid UTF-8 at byte 0"},         /* surrogate U+D800 */
	        {"\xf4\x90\x80\x80", 4, "invalid UTF-8 at byte 0"},     /* above U+10FFFF */
	        {"\xe4\xb8\xad\0x", 5, "invalid UTF-8 at byte 3"},      /* 中, then a NUL */
	        {"\xe4\xb8\xad\xe4\xb8", 5, "invalid UTF-8 at byte 3"}, /* 中, then cut */
	        {"\xe4\xb8\xad\x80", 4, "invalid UTF-8 at byte 3"},     /* stray continuation */
	};
	g_autoptr(PhEncoding) gb = ph_encoding_new("GB18030", NULL);

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GString) out = g_string_new("kept");
		g_autoptr(GError) error = NULL;

		g_assert_false(ph_encoding_from_utf8(gb, cases[i].text, cases[i].len, out, &error));
		g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
		g_assert_cmpstr(error->message, ==, cases[i].message);
		g_assert_cmpstr(out->str, ==, "kept");
	}
}

static void
test_unknown_encoding(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhEncoding) big5 = ph_encoding_new("BIG5", &error);

	g_assert_null(big5);
	g_assert_error(error, PH_ERROR, PH_ERROR_CONFIG);
}

/* Codes the fast decoder converted (test_tables_agree_with_iconv() wants most of them). */
static guint fast_decoded;

/* The tables that decode and encode two-byte characters must agree with iconv, which the
 * mapping engine trusted before them: every two-byte code, both ways, and the four-byte
 * supplementary range by sample. */
static void
compare_with_iconv(PhEncoding *encoding, const gchar *iconv_name, const gchar *bytes, gsize len)
{
	g_autoptr(GString) ours = g_string_new(NULL);
	g_autoptr(GError) our_error = NULL;
	g_autoptr(GError) their_error = NULL;
	gboolean ours_ok = ph_encoding_to_utf8(encoding, bytes, len, ours, &our_error);
	g_autofree gchar *theirs =
	        g_convert(bytes, (gssize)len, "UTF-8", iconv_name, NULL, NULL, &their_error);
	if (ours_ok != (theirs != NULL))
		g_error("%s %02x%02x%02x%02x: ours %s, iconv %s", iconv_name, (guchar)bytes[0],
		        len > 1 ? (guchar)bytes[1] : 0, len > 2 ? (guchar)bytes[2] : 0,
		        len > 3 ? (guchar)bytes[3] : 0, ours_ok ? ours->str : our_error->message,
		        theirs != NULL ? theirs : their_error->message);
	if (!ours_ok)
		return;
	g_assert_cmpstr(ours->str, ==, theirs);
	/* And back: the same bytes. */
	g_autoptr(GString) back = g_string_new(NULL);
	g_autoptr(GError) back_error = NULL;
	g_assert_true(ph_encoding_from_utf8(encoding, ours->str, ours->len, back, &back_error));
	g_assert_no_error(back_error);
	g_assert_cmpmem(back->str, back->len, bytes, len);
	/* The fast forms, where they convert at all, give the same bytes both ways. */
	gchar fast[16];
	gssize n = ph_encoding_to_utf8_fast(encoding, bytes, len, fast);
	if (n >= 0) {
		g_assert_cmpmem(fast, (gsize)n, ours->str, ours->len);
		fast_decoded++;
	}
	n = ph_encoding_from_utf8_fast(encoding, ours->str, ours->len, fast);
	if (n >= 0)
		g_assert_cmpmem(fast, (gsize)n, bytes, len);
}

static void
test_tables_agree_with_iconv(void)
{
	const gchar *names[] = {"GB18030", "GBK"};
	for (guint n = 0; n < G_N_ELEMENTS(names); n++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(PhEncoding) encoding = ph_encoding_new(names[n], &error);
		g_assert_no_error(error);
		for (guint lead = 0x81; lead <= 0xfe; lead++) {
			for (guint trail = 0x40; trail <= 0xfe; trail++) {
				if (trail == 0x7f)
					continue;
				const gchar pair[] = {(gchar)lead, (gchar)trail};
				compare_with_iconv(encoding, names[n], pair, 2);
			}
		}
	}
	/* Of the 2 × 23,940 two-byte codes, 45,725 converted fast when this was written (the
	 * rest iconv refuses or maps outside the tables): most must. */
	g_assert_cmpuint(fast_decoded, >, 40000);
	g_autoptr(GError) error = NULL;
	g_autoptr(PhEncoding) gb18030 = ph_encoding_new("GB18030", &error);
	g_assert_no_error(error);
	/* Four-byte sequences: the first byte's range by steps, the rest in full for the
	 * supplementary planes (0x90..0xe3) where 𠮷 lives, and for the BMP part. */
	for (guint b1 = 0x81; b1 <= 0xfe; b1 += (b1 >= 0x90 && b1 <= 0x93) ? 1 : 7) {
		for (guint b2 = 0x30; b2 <= 0x39; b2++) {
			for (guint b3 = 0x81; b3 <= 0xfe; b3 += 5) {
				for (guint b4 = 0x30; b4 <= 0x39; b4++) {
					const gchar quad[] = {(gchar)b1, (gchar)b2, (gchar)b3,
					                      (gchar)b4};
					compare_with_iconv(gb18030, "GB18030", quad, 4);
				}
			}
		}
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/encoding/round-trip", test_round_trip);
	g_test_add_func("/encoding/char-len", test_char_len);
	g_test_add_func("/encoding/fit", test_fit_never_cuts);
	g_test_add_func("/encoding/invalid", test_invalid_sequence);
	g_test_add_func("/encoding/unrepresentable", test_unrepresentable);
	g_test_add_func("/encoding/invalid-utf8", test_invalid_utf8);
	g_test_add_func("/encoding/unknown", test_unknown_encoding);
	g_test_add_func("/encoding/tables-agree-with-iconv", test_tables_agree_with_iconv);
	return g_test_run();
}
