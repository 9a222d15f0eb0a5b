/* Tests of the mapping engine (hub/ph-mapping*.c, hub/ph-layout-*.c) through its public
 * API: code tables, value maps, the PH-BANK-1 round trip, widths in bytes, bad input with
 * file/line/field/reason, computed fields, delimited, XML with namespaces, ISO 20022. */
#include <glib.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ph-codetable.h"
#include "ph-error.h"
#include "ph-mapping.h"

static gchar *
data_path(const gchar *name)
{
	return g_test_build_filename(G_TEST_DIST, "data", "mappings", name, NULL);
}

static PhMapping *
load_test_mapping(const gchar *name)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *file = g_strconcat(name, ".xml", NULL);
	g_autofree gchar *path = data_path(file);
	PhMapping *mapping = ph_mapping_load_file(NULL, path, &error);

	g_assert_no_error(error);
	return mapping;
}

/* Partner bytes -> canonical JSON lines joined by '\n'; NULL with @error on failure. */
static gchar *
to_canonical(PhMapping *mapping, const gchar *bytes, gssize len, GError **error)
{
	g_autoptr(GInputStream) input = g_memory_input_stream_new_from_data(
	        bytes, len < 0 ? (gssize)strlen(bytes) : len, NULL);
	g_autoptr(PhMappingReader) reader = ph_mapping_reader_new(mapping, input, "test-input");
	g_autoptr(GString) out = g_string_new(NULL);
	const PhRecord *record;

	while ((record = ph_mapping_reader_next(reader, error)) != NULL) {
		ph_record_append_json(record, out);
		g_string_append_c(out, '\n');
	}
	if (error != NULL && *error != NULL)
		return NULL;
	return g_string_free(g_steal_pointer(&out), FALSE);
}

/* Canonical JSON lines -> partner bytes; NULL with @error on failure. */
static GBytes *
to_partner(PhMapping *mapping, const gchar *lines, GError **error)
{
	g_autoptr(GOutputStream) output = g_memory_output_stream_new_resizable();
	g_autoptr(PhMappingWriter) writer = ph_mapping_writer_new(mapping, output, "test-output");
	g_autoptr(PhRecord) record = ph_record_new();
	g_auto(GStrv) split = g_strsplit(lines, "\n", -1);

	for (guint i = 0; split[i] != NULL; i++) {
		if (split[i][0] == '\0')
			continue;
		if (!ph_record_parse_json(record, split[i], strlen(split[i]), error) ||
		    !ph_mapping_writer_write(writer, record, error))
			return NULL;
	}
	if (!ph_mapping_writer_finish(writer, error) || !g_output_stream_close(output, NULL, error))
		return NULL;
	return g_memory_output_stream_steal_as_bytes(G_MEMORY_OUTPUT_STREAM(output));
}

static void
assert_error_contains(const GError *error, const gchar *part)
{
	g_assert_nonnull(error);
	g_test_message("error: %s", error->message);
	/* On a mismatch, compare whole strings so that both are printed. */
	if (strstr(error->message, part) == NULL)
		g_assert_cmpstr(error->message, ==, part);
}

/* Input that the mapping must refuse whole, with the message part that names why. */
typedef struct {
	const gchar *input;
	const gchar *error;
} BadInput;

static void
assert_refused(const gchar *mapping_name, const BadInput *cases, gsize n_cases)
{
	for (gsize i = 0; i < n_cases; i++) {
		g_autoptr(PhMapping) mapping = load_test_mapping(mapping_name);
		g_autoptr(GError) error = NULL;
		g_autofree gchar *canonical = to_canonical(mapping, cases[i].input, -1, &error);

		g_assert_null(canonical);
		g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
		assert_error_contains(error, cases[i].error);
	}
}

static void
test_code_tables(void)
{
	/* Sizes from STANDARDS.md: AAC004 six codes, AAC005 the 56 groups, 34 provinces … */
	static const struct {
		const gchar *code;
		guint size;
		const gchar *value;
		const gchar *label;
	} tables[] = {
	        {"AAC004", 6, "2", "女性"},
	        {"AAC005", 56, "56", "基诺族"},
	        {"AAA029", 9, "01", "居民身份证（户口簿）"},
	        {"AAE140", 7, "120", "机关事业单位养老保险"},
	        {"AAC031", 3, "2", "暂停缴费（中断）"},
	        {"AAE145", 1, "11", "委托银行发放"},
	        {"AIC161", 1, "2", "正常退休"},
	        {"EAC071", 2, "2", "转入"},
	        {"AAB301", 376, "330100", "杭州市"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(tables); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(PhCodeTable) table = ph_codetable_load(NULL, tables[i].code, &error);

		g_assert_no_error(error);
		g_assert_cmpstr(ph_codetable_get_code(table), ==, tables[i].code);
		g_assert_nonnull(ph_codetable_get_standard(table));
		g_assert_nonnull(ph_codetable_get_version(table));
		g_assert_cmpuint(ph_codetable_get_size(table), ==, tables[i].size);
		g_assert_cmpstr(ph_codetable_lookup(table, tables[i].value), ==, tables[i].label);
	}
}

static void
test_region_table(void)
{
	g_autoptr(PhCodeTable) regions = ph_codetable_load(NULL, "AAB301", NULL);
	g_autoptr(GError) error = NULL;

	/* 110105 is a county of Beijing's 110100; 330106 of Hangzhou 330100. */
	g_assert_cmpstr(ph_codetable_lookup(regions, "110105"), ==, "市辖区");
	g_assert_cmpstr(ph_codetable_lookup(regions, "330106"), ==, "杭州市");
	g_assert_cmpstr(ph_codetable_lookup(regions, "650000"), ==, "新疆维吾尔自治区");
	g_assert_null(ph_codetable_lookup(regions, "339906"));
	g_assert_false(ph_codetable_check(regions, "339906", &error));
	g_assert_cmpstr(
	        error->message, ==,
	        "value '339906' is not in code table AAB301 (行政区划代码, GB/T 2260—2007)");
}

static void
test_unknown_code(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhCodeTable) table = ph_codetable_load(NULL, "AAC004", NULL);
	g_autoptr(PhCodeTable) missing = ph_codetable_load(NULL, "ZZZ999", &error);

	g_assert_null(missing);
	g_assert_error(error, PH_ERROR, PH_ERROR_NOT_FOUND);
	g_clear_error(&error);
	g_assert_false(ph_codetable_check(table, "3", &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
	g_assert_cmpstr(error->message, ==,
	                "value '3' is not in code table AAC004 (性别, GB/T 2261.1—2003)");
}

static void
test_value_map(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhValueMap) map = ph_valuemap_load(NULL, "ph-bank-1-status", &error);

	g_assert_no_error(error);
	g_assert_cmpstr(ph_valuemap_to_national(map, "1002", &error), ==, "1002");
	g_assert_null(ph_valuemap_to_national(map, "8888", &error));
	g_assert_cmpstr(error->message, ==,
	                "partner value '8888' is not in value map ph-bank-1-status");
}

static void
read_file_or_fail(const gchar *name, gchar **contents, gsize *len)
{
	g_autofree gchar *path = data_path(name);
	g_autoptr(GError) error = NULL;

	g_file_get_contents(path, contents, len, &error);
	g_assert_no_error(error);
}

/* The reference layout: partner -> canonical -> partner is byte-identical (GB18030, CRLF,
 * 𠮷 as four bytes in a name). */
static void
assert_round_trip(const gchar *mapping_name, const gchar *file)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhMapping) mapping = ph_mapping_load(mapping_name, &error);
	g_autofree gchar *original = NULL;
	gsize len = 0;
	g_autofree gchar *canonical = NULL;
	g_autoptr(GBytes) again = NULL;

	g_assert_no_error(error);
	read_file_or_fail(file, &original, &len);
	canonical = to_canonical(mapping, original, (gssize)len, &error);
	g_assert_no_error(error);
	again = to_partner(mapping, canonical, &error);
	g_assert_no_error(error);
	g_assert_cmpmem(g_bytes_get_data(again, NULL), g_bytes_get_size(again), original, len);
}

static void
test_bank_payout_round_trip(void)
{
	g_autoptr(PhMapping) mapping = ph_mapping_load("ph-bank-1-payout", NULL);
	g_autofree gchar *original = NULL;
	gsize len = 0;
	g_autofree gchar *canonical = NULL;

	assert_round_trip("ph-bank-1-payout", "ph-bank-1-payout.txt");
	read_file_or_fail("ph-bank-1-payout.txt", &original, &len);
	/* The sample holds 𠮷 as the four GB18030 bytes 95 34 B2 35. */
	g_assert_nonnull(memmem(original, len, "\x95\x34\xb2\x35", 4));
	canonical = to_canonical(mapping, original, (gssize)len, NULL);
	/* Amounts in fen as integers, names in UTF-8, padding gone. */
	g_assert_nonnull(strstr(canonical,
	                        "{\"kind\":\"D\",\"serial\":2,"
	                        "\"AAC002\":\"11010519491231002X\","
	                        "\"AAC003\":\"𠮷田花子\",\"AAE010\":\"6222020200112233446\","
	                        "\"AAE019\":412345,"));
	g_assert_nonnull(strstr(canonical, "{\"kind\":\"T\",\"count\":3,\"total\":1062344}"));
}

static void
test_bank_result_round_trip(void)
{
	assert_round_trip("ph-bank-1-result", "ph-bank-1-result.txt");
}

/* Changes @count bytes at the first occurrence of @from in the payout sample. */
static gchar *
payout_with(const gchar *from, const gchar *to, gsize *len)
{
	gchar *contents = NULL;
	gchar *at;

	read_file_or_fail("ph-bank-1-payout.txt", &contents, len);
	at = memmem(contents, *len, from, strlen(from));
	g_assert_nonnull(at);
	memcpy(at, to, strlen(to));
	return contents;
}

static void
test_invalid_byte_sequence(void)
{
	g_autoptr(PhMapping) mapping = ph_mapping_load("ph-bank-1-payout", NULL);
	g_autoptr(GError) error = NULL;
	gsize len = 0;
	/* 张 (D5 C5) starts byte 28 of line 2; line 1 is 110 bytes with its CRLF. */
	g_autofree gchar *bytes = payout_with("\xd5\xc5", "\xff\xc5", &len);
	g_autofree gchar *canonical = to_canonical(mapping, bytes, (gssize)len, &error);

	g_assert_null(canonical);
	g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
	g_assert_cmpstr(error->message, ==,
	                "test-input line 2, byte 28 (file offset 137): record D field AAC003: "
	                "invalid byte sequence");
}

static void
test_cut_character_on_input(void)
{
	g_autoptr(PhMapping) mapping = load_test_mapping("test-narrow");
	g_autoptr(GError) error = NULL;
	/* AAC003 is 5 bytes: "张张" + the lead byte of a third 张 runs into memo. */
	const gchar *line = "\xd5\xc5\xd5\xc5\xd5\xc5    "
	                    "   12.34"
	                    "4111111111111111\n";
	g_autofree gchar *canonical = to_canonical(mapping, line, -1, &error);

	g_assert_null(canonical);
	assert_error_contains(error, "line 1, byte 5 (file offset 4): record N field AAC003: "
	                             "a multi-byte character crosses the field's end");
}

static void
test_widths_never_cut(void)
{
	g_autoptr(PhMapping) mapping = load_test_mapping("test-narrow");
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes = NULL;

	/* memo truncates at a character boundary: 张张 (4 bytes) + one space, not 2.5 张. */
	bytes = to_partner(mapping,
	                   "{\"kind\":\"N\",\"AAC003\":\"𠮷\",\"memo\":\"张张张\",\"AAE019\":1234,"
	                   "\"AAE010\":\"4111111111111111\"}",
	                   &error);
	g_assert_no_error(error);
	g_assert_cmpmem(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes),
	                "\x95\x34\xb2\x35 \xd5\xc5\xd5\xc5    12.344111111111111111\n", 35);
	g_clear_pointer(&bytes, g_bytes_unref);
	/* AAC003 refuses a value that does not fit, naming it. */
	bytes = to_partner(mapping,
	                   "{\"kind\":\"N\",\"AAC003\":\"张张张\",\"AAE019\":1,"
	                   "\"AAE010\":\"4111111111111111\"}",
	                   &error);
	g_assert_null(bytes);
	g_assert_cmpstr(error->message, ==,
	                "test-output record 1: record N field AAC003: '张张张' is 6 bytes in "
	                "GB18030, the field has 5");
}

static void
test_luhn_on_output(void)
{
	g_autoptr(PhMapping) mapping = load_test_mapping("test-narrow");
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes = to_partner(mapping,
	                                     "{\"kind\":\"N\",\"AAC003\":\"a\",\"AAE019\":1,"
	                                     "\"AAE010\":\"4111111111111112\"}",
	                                     &error);

	g_assert_null(bytes);
	/* the account masked: only its last four shown (docs/security.md) */
	assert_error_contains(error, "record N field AAE010: card number '************1112' "
	                             "fails the Luhn check");
}

static void
test_computed_mismatch(void)
{
	g_autoptr(PhMapping) mapping = ph_mapping_load("ph-bank-1-payout", NULL);
	g_autoptr(GError) error = NULL;
	gsize len = 0;
	/* The trailer's total says one fen more than the details (the header is right). */
	g_autofree gchar *bytes =
	        payout_with("T00000003000000000001062344", "T00000003000000000001062345", &len);
	g_autofree gchar *canonical = to_canonical(mapping, bytes, (gssize)len, &error);

	g_assert_null(canonical);
	g_assert_cmpstr(error->message, ==,
	                "test-input line 5: record T field total: says 1062345 but the D records "
	                "add up to 1062344");
}

static void
test_sequence_and_order(void)
{
	g_autoptr(PhMapping) mapping = ph_mapping_load("ph-bank-1-payout", NULL);
	g_autoptr(GError) error = NULL;
	gsize len = 0;
	g_autofree gchar *bytes = payout_with("D00000002", "D00000009", &len);
	g_autofree gchar *canonical = to_canonical(mapping, bytes, (gssize)len, &error);
	g_autofree gchar *no_trailer = NULL;

	g_assert_null(canonical);
	g_assert_cmpstr(error->message, ==,
	                "test-input line 3: record D field serial: is 9, expected 2 (the "
	                "sequence)");
	g_clear_error(&error);
	g_free(bytes);
	read_file_or_fail("ph-bank-1-payout.txt", &bytes, &len);
	no_trailer = to_canonical(mapping, bytes, (gssize)len - 29, &error);
	g_assert_null(no_trailer);
	assert_error_contains(error, "ends without the last record T");
}

static void
test_writer_fills_trailer(void)
{
	g_autoptr(PhMapping) mapping = ph_mapping_load("ph-bank-1-payout", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes = NULL;
	const gchar *head =
	        "{\"kind\":\"H\",\"batch_no\":\"0000000007\",\"AAB034\":\"330100000001\","
	        "\"payer_account\":\"1\",\"AAE002\":\"202611\",\"count\":1,\"total\":5,"
	        "\"created\":\"20261127090000\"}\n";
	const gchar *detail = "{\"kind\":\"D\",\"AAC002\":\"110105196410150037\","
	                      "\"AAC003\":\"张三\",\"AAE010\":\"6222\",\"AAE019\":5,"
	                      "\"purpose\":\"P001\"}\n{\"kind\":\"T\"}\n";
	g_autofree gchar *lines = g_strconcat(head, detail, NULL);
	gsize size = 0;
	const gchar *data;

	/* Serial, trailer count and total are filled from the details. */
	bytes = to_partner(mapping, lines, &error);
	g_assert_no_error(error);
	data = g_bytes_get_data(bytes, &size);
	g_assert_cmpuint(size, ==, 110 + 150 + 29);
	g_assert_cmpmem(data + 110, 9, "D00000001", 9);
	g_assert_cmpmem(data + 260, 27, "T00000001000000000000000005", 27);
}

static const gchar header_without_totals[] =
        "{\"kind\":\"H\",\"batch_no\":\"0000000007\",\"AAB034\":\"330100000001\","
        "\"payer_account\":\"1\",\"AAE002\":\"202611\",\"created\":\"20261127090000\"}\n"
        "{\"kind\":\"D\",\"AAC002\":\"110105196410150037\",\"AAC003\":\"张三\","
        "\"AAE010\":\"6222\",\"AAE019\":5,\"purpose\":\"P001\"}\n"
        "{\"kind\":\"D\",\"AAC002\":\"11010519491231002X\",\"AAC003\":\"𠮷\","
        "\"AAE010\":\"6223\",\"AAE019\":7,\"purpose\":\"P001\"}\n{\"kind\":\"T\"}\n";

/* A header's count and total left out are filled in at the end on a seekable output. */
static void
test_header_filled_when_seekable(void)
{
	g_autoptr(PhMapping) mapping = ph_mapping_load("ph-bank-1-payout", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes = to_partner(mapping, header_without_totals, &error);
	gsize size = 0;
	const gchar *data;

	g_assert_no_error(error);
	data = g_bytes_get_data(bytes, &size);
	/* H: count at byte 65 (1+10+16+32+6), total after it; two details of 5 and 7 fen. */
	g_assert_cmpuint(size, ==, 110 + 2 * 150 + 29);
	g_assert_cmpmem(data + 65, 26, "00000002000000000000000012", 26);
	g_assert_cmpmem(data + 410, 27, "T00000002000000000000000012", 27);
}

static void
test_header_refused_when_not_seekable(void)
{
	g_autoptr(PhMapping) mapping = ph_mapping_load("ph-bank-1-payout", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GOutputStream) memory = g_memory_output_stream_new_resizable();
	g_autoptr(GZlibCompressor) gzip = g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP, -1);
	/* A converter stream cannot seek, like an SFTP upload. */
	g_autoptr(GOutputStream) output = g_converter_output_stream_new(memory, G_CONVERTER(gzip));
	g_autoptr(PhMappingWriter) writer = ph_mapping_writer_new(mapping, output, "upload");
	g_autoptr(PhRecord) record = ph_record_new();
	g_auto(GStrv) lines = g_strsplit(header_without_totals, "\n", -1);

	/* Refused at the header, before anything reaches the stream. */
	g_assert_true(ph_record_parse_json(record, lines[0], strlen(lines[0]), &error));
	g_assert_false(ph_mapping_writer_write(writer, record, &error));
	g_assert_cmpstr(
	        error->message, ==,
	        "upload record 1: record H field count: not given, and the output cannot be "
	        "rewritten to fill it in at the end");
}

static void
test_header_mismatch_on_output(void)
{
	g_autoptr(PhMapping) mapping = ph_mapping_load("ph-bank-1-payout", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes = to_partner(
	        mapping,
	        "{\"kind\":\"H\",\"batch_no\":\"1\",\"AAB034\":\"A\",\"payer_account\":\"1\","
	        "\"AAE002\":\"202611\",\"count\":2,\"total\":5,\"created\":\"20261127090000\"}\n"
	        "{\"kind\":\"D\",\"AAC002\":\"X\",\"AAC003\":\"Y\",\"AAE010\":\"1\",\"AAE019\":5,"
	        "\"purpose\":\"P001\"}\n{\"kind\":\"T\"}\n",
	        &error);

	g_assert_null(bytes);
	g_assert_cmpstr(error->message, ==,
	                "test-output: record 1: record H field count: says 2 but the D records "
	                "number 1");
}

static void
test_unknown_key_on_output(void)
{
	g_autoptr(PhMapping) mapping = load_test_mapping("test-narrow");
	g_autoptr(GError) error = NULL;
	/* A misspelt key (AAE19) would otherwise vanish from the file without a word. */
	g_autoptr(GBytes) bytes = to_partner(mapping,
	                                     "{\"kind\":\"N\",\"AAC003\":\"a\",\"AAE019\":1,"
	                                     "\"AAE19\":2,\"AAE010\":\"4111111111111111\"}",
	                                     &error);

	g_assert_null(bytes);
	g_assert_cmpstr(error->message, ==,
	                "test-output record 1: record N: the layout has no field AAE19");
}

/* A GB18030 file that starts with a UTF-8 byte order mark (EF BB BF is also GB18030 text) is
 * refused saying so, not as a line no record kind starts like. */
static void
test_bom_on_gb18030(void)
{
	g_autoptr(PhMapping) mapping = ph_mapping_load("ph-bank-1-payout", NULL);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *contents = NULL;
	gsize len = 0;
	read_file_or_fail("ph-bank-1-payout.txt", &contents, &len);
	g_autofree gchar *with_bom = g_strconcat("\xef\xbb\xbf", contents, NULL);
	g_autofree gchar *canonical = to_canonical(mapping, with_bom, (gssize)len + 3, &error);

	g_assert_null(canonical);
	g_assert_cmpstr(error->message, ==,
	                "test-input line 1: starts with a UTF-8 byte order mark, but mapping "
	                "ph-bank-1-payout reads GB18030: is the file in another encoding?");
}

/* A canonical line that is not UTF-8 is named as such, with the byte, not as bad JSON. */
static void
test_canonical_not_utf8(void)
{
	g_autoptr(PhMapping) mapping = load_test_mapping("test-narrow");
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes =
	        to_partner(mapping, "{\"kind\":\"N\",\"AAC003\":\"a\xff\"}", &error);

	g_assert_null(bytes);
	/* {"kind":"N","AAC003":"a is 23 bytes: the bad one is the 24th. */
	g_assert_cmpstr(error->message, ==, "byte 24: invalid UTF-8 byte sequence");
}

static const gchar csv_input[] =
        "身份证号,姓名,性别,民族,缴费基数,备注\n"
        "11010519491231002X,𠮷田花子,F,01,7500.5,\"说 \"\"备注\"\", 含逗号\"\n"
        "110105196410150037,张三,M,01,8200,\"两行\n备注\"\n";

static void
test_delimited(void)
{
	g_autoptr(PhMapping) mapping = load_test_mapping("test-csv");
	g_autoptr(GError) error = NULL;
	g_autofree gchar *canonical = to_canonical(mapping, csv_input, -1, &error);
	g_autoptr(GBytes) again = NULL;
	const gchar *expected =
	        "{\"kind\":\"P\",\"AAC002\":\"11010519491231002X\",\"AAC003\":\"𠮷田花子\","
	        "\"AAC004\":\"2\",\"AAC005\":\"01\",\"AAE180\":750050,"
	        "\"memo\":\"说 \\\"备注\\\", 含逗号\"}\n"
	        "{\"kind\":\"P\",\"AAC002\":\"110105196410150037\",\"AAC003\":\"张三\","
	        "\"AAC004\":\"1\",\"AAC005\":\"01\",\"AAE180\":820000,\"memo\":\"两行\\n备注\"}\n";

	g_assert_no_error(error);
	g_assert_cmpstr(canonical, ==, expected);
	/* Back: yuan always with two decimals, quoting only where needed. */
	again = to_partner(mapping, canonical, &error);
	g_assert_no_error(error);
	g_assert_cmpmem(g_bytes_get_data(again, NULL), g_bytes_get_size(again),
	                "身份证号,姓名,性别,民族,缴费基数,备注\n"
	                "11010519491231002X,𠮷田花子,F,01,7500.50,\"说 \"\"备注\"\", 含逗号\"\n"
	                "110105196410150037,张三,M,01,8200.00,\"两行\n备注\"\n",
	                strlen("身份证号,姓名,性别,民族,缴费基数,备注\n"
	                       "11010519491231002X,𠮷田花子,F,01,7500.50,\"说 \"\"备注\"\", "
	                       "含逗号\"\n"
	                       "110105196410150037,张三,M,01,8200.00,\"两行\n备注\"\n"));
}

static void
test_byte_order_mark(void)
{
	g_autoptr(PhMapping) mapping = load_test_mapping("test-csv");
	g_autoptr(GError) error = NULL;
	g_autofree gchar *input = g_strconcat("\xef\xbb\xbf", csv_input, NULL);
	g_autofree gchar *canonical = to_canonical(mapping, input, -1, &error);

	/* test-csv says nothing of a BOM: a file with one is refused, not misread as a
	 * header column named "\ufeff身份证号". */
	g_assert_null(canonical);
	g_assert_cmpstr(error->message, ==,
	                "test-input line 1: starts with a UTF-8 byte order mark, which mapping "
	                "test-csv does not expect (bom=\"true\")");
}

/* The same layout with bom="true": read with the mark, written back with it. */
static void
test_byte_order_mark_kept(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *original = NULL;
	g_autofree gchar *path = data_path("test-csv.xml");
	g_autofree gchar *dir = g_dir_make_tmp("ph-mapping-bom-XXXXXX", &error);
	g_autofree gchar *copy = g_build_filename(dir, "test-csv-bom.xml", NULL);
	g_autofree gchar *input = g_strconcat("\xef\xbb\xbf", csv_input, NULL);
	g_autoptr(GString) text = NULL;
	g_autoptr(PhMapping) mapping = NULL;
	g_autofree gchar *canonical = NULL;
	g_autoptr(GBytes) again = NULL;

	g_file_get_contents(path, &original, NULL, &error);
	g_assert_no_error(error);
	text = g_string_new(original);
	g_string_replace(text, "header=\"true\"", "header=\"true\" bom=\"true\"", 1);
	g_file_set_contents(copy, text->str, -1, &error);
	g_assert_no_error(error);
	mapping = ph_mapping_load_file(NULL, copy, &error);
	g_assert_no_error(error);
	canonical = to_canonical(mapping, input, -1, &error);
	g_assert_no_error(error);
	again = to_partner(mapping, canonical, &error);
	g_assert_no_error(error);
	g_assert_cmpmem(g_bytes_get_data(again, NULL), 3, "\xef\xbb\xbf", 3);
	g_unlink(copy);
	g_rmdir(dir);
}

static void
test_delimited_errors(void)
{
	static const BadInput cases[] = {
	        {"身份证号,姓名,性别,民族,缴费基数,备注\n11010519491231002X,a,X,01,1,\n",
	         "test-input line 2: record P field AAC004: partner value 'X' is not in value map "
	         "test-sex for table AAC004"},
	        {"身份证号,姓名,性别,民族,缴费基数,备注\n11010519491231002X,a,F,57,1,\n",
	         "test-input line 2: record P field AAC005: value '57' is not in code table "
	         "AAC005"},
	        {"身份证号,姓名,性别,民族,缴费基数,备注\n110105194912310021,a,F,01,1,\n",
	         "test-input line 2: record P field AAC002: citizen id '110105********0021' has "
	         "a wrong check character"},
	        {"身份证号,姓名,性别,民族,缴费基数,备注\n11010519491231002X,a,F,01,1.234,\n",
	         "test-input line 2: record P field AAE180: '1.234' is not an amount in yuan"},
	        {"身份证号,姓名,性别,民族,基数,备注\n",
	         "test-input line 1: header column 5 is '基数', expected '缴费基数'"},
	        {"身份证号,姓名,性别,民族,缴费基数,备注\n11010519491231002X,a,F,01,1\n",
	         "test-input line 2: record P: 5 columns, expected 6"},
	        {"身份证号,姓名,性别,民族,缴费基数,备注\n11010519491231002X,\"a\"b,F,01,1,\n",
	         "test-input line 2: byte 23: text after a closing quote"},
	        /* Line 1 is 54 bytes with its LF; the bad byte is the 21st of line 2. */
	        {"身份证号,姓名,性别,民族,缴费基数,备注\n11010519491231002X,a\xff,F,01,1,\n",
	         "test-input line 2: byte 21 (file offset 74): record P field AAC003: invalid "
	         "byte sequence"},
	        /* Inside a quoted value that began on line 2: still field memo. */
	        {"身份证号,姓名,性别,民族,缴费基数,备注\n11010519491231002X,a,F,01,1,"
	         "\"x\nb\xff\"\n",
	         "test-input line 3: byte 2 (file offset 86): record P field memo: invalid byte "
	         "sequence"},
	        /* More columns than the record kind has: only the column can be named. */
	        {"身份证号,姓名,性别,民族,缴费基数,备注\n11010519491231002X,a,F,01,1,,\xff\n",
	         "test-input line 2: byte 30 (file offset 83): column 7: invalid byte sequence"},
	};

	assert_refused("test-csv", cases, G_N_ELEMENTS(cases));
}

/* 億 is 83 7C in GB18030: its trail byte is the delimiter '|', and must not split. */
static void
test_delimiter_in_trail_byte(void)
{
	g_autoptr(PhMapping) mapping = load_test_mapping("test-pipe");
	g_autoptr(GError) error = NULL;
	const gchar line[] = "\xd5\xc5\x83\x7c|12.30\r\n"; /* 张億|12.30 */
	g_autofree gchar *canonical = to_canonical(mapping, line, -1, &error);
	g_autoptr(GBytes) again = NULL;

	g_assert_no_error(error);
	g_assert_cmpstr(canonical, ==, "{\"kind\":\"P\",\"AAC003\":\"张億\",\"AAE019\":1230}\n");
	again = to_partner(mapping, canonical, &error);
	g_assert_no_error(error);
	g_assert_cmpmem(g_bytes_get_data(again, NULL), g_bytes_get_size(again), line,
	                sizeof line - 1);
}

/* A quoted value spanning lines in a CRLF file keeps its CRLF, so that it is written back
 * byte for byte (it was once joined with a bare LF, a file the reader then refused). */
static void
test_quoted_line_end_kept(void)
{
	g_autoptr(PhMapping) mapping = load_test_mapping("test-pipe");
	g_autoptr(GError) error = NULL;
	const gchar lines[] = "\"\xd5\xc5\r\n\x83\x7c\"|12.30\r\n"; /* "张<CRLF>億"|12.30 */
	g_autofree gchar *canonical = to_canonical(mapping, lines, -1, &error);
	g_autoptr(GBytes) again = NULL;

	g_assert_no_error(error);
	g_assert_cmpstr(canonical, ==,
	                "{\"kind\":\"P\",\"AAC003\":\"张\\r\\n億\",\"AAE019\":1230}\n");
	again = to_partner(mapping, canonical, &error);
	g_assert_no_error(error);
	g_assert_cmpmem(g_bytes_get_data(again, NULL), g_bytes_get_size(again), lines,
	                sizeof lines - 1);
}

/* An XML layout written in GB18030: the declaration says so and 𠮷 survives. */
static void
test_xml_gb18030(void)
{
	g_autoptr(PhMapping) mapping = load_test_mapping("test-personnel-gb");
	g_autoptr(GError) error = NULL;
	const gchar *lines = "{\"kind\":\"B\",\"batch_id\":\"B1\"}\n"
	                     "{\"kind\":\"E\",\"seq\":1,\"AAC003\":\"𠮷田花子\"}\n";
	g_autoptr(GBytes) bytes = to_partner(mapping, lines, &error);
	g_autofree gchar *again = NULL;
	gsize size = 0;
	const gchar *data;

	g_assert_no_error(error);
	data = g_bytes_get_data(bytes, &size);
	g_assert_nonnull(g_strstr_len(data, (gssize)size, "encoding=\"GB18030\""));
	g_assert_nonnull(memmem(data, size, "\x95\x34\xb2\x35", 4));
	again = to_canonical(mapping, data, (gssize)size, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(again, ==, lines);
}

static const gchar personnel_input[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<PersonnelBatch xmlns=\"urn:pension-hub:personnel:1\" batchId=\"B20261127001\"\n"
        "                AAB001=\"U0001\" sentAt=\"2026-11-27T09:00:00+08:00\">\n"
        "  <Event seq=\"0\" type=\"UNIT\" effective=\"20141001\">\n"
        "    <AAB004>某市财政局</AAB004><BAB010>91350100M000100Y43</BAB010>\n"
        "    <AAB301>110105</AAB301><Funding>full</Funding>\n"
        "  </Event>\n"
        "  <Event seq=\"1\" type=\"HIRE\" effective=\"20141001\">\n"
        "    <AAC002>110105196410150037</AAC002><AAC003>张三</AAC003><AAC004>1</AAC004>\n"
        "    <AAC005>01</AAC005><Wage>7500.00</Wage><x:Wage xmlns:x=\"urn:other\">1</x:Wage>\n"
        "  </Event>\n"
        "</PersonnelBatch>\n";

static void
test_xml_namespaces(void)
{
	g_autoptr(PhMapping) mapping = load_test_mapping("test-personnel");
	g_autoptr(GError) error = NULL;
	g_autofree gchar *canonical = to_canonical(mapping, personnel_input, -1, &error);
	g_autoptr(GBytes) again = NULL;
	g_autofree gchar *twice = NULL;

	g_assert_no_error(error);
	/* Elements of another namespace (x:Wage) are not the mapped Wage. */
	g_assert_cmpstr(canonical, ==,
	                "{\"kind\":\"B\",\"batch_id\":\"B20261127001\",\"AAB001\":\"U0001\","
	                "\"sent_at\":\"2026-11-27T09:00:00+08:00\"}\n"
	                "{\"kind\":\"E\",\"seq\":0,\"type\":\"UNIT\",\"effective\":\"20141001\","
	                "\"AAB301\":\"110105\",\"BAB010\":\"91350100M000100Y43\"}\n"
	                "{\"kind\":\"E\",\"seq\":1,\"type\":\"HIRE\",\"effective\":\"20141001\","
	                "\"AAC002\":\"110105196410150037\",\"AAC003\":\"张三\",\"AAC004\":\"1\","
	                "\"AAC005\":\"01\",\"wage\":750000}\n");
	again = to_partner(mapping, canonical, &error);
	g_assert_no_error(error);
	twice = to_canonical(mapping, g_bytes_get_data(again, NULL),
	                     (gssize)g_bytes_get_size(again), &error);
	g_assert_no_error(error);
	g_assert_cmpstr(twice, ==, canonical);
}

static void
test_xml_hostile(void)
{
	static const BadInput cases[] = {
	        {"<?xml version=\"1.0\"?>\n<!DOCTYPE PersonnelBatch [<!ENTITY x SYSTEM "
	         "\"file:///etc/passwd\">]>\n<PersonnelBatch "
	         "xmlns=\"urn:pension-hub:personnel:1\">&x;</PersonnelBatch>",
	         "a DTD is not allowed"},
	        {"<PersonnelBatch xmlns=\"urn:pension-hub:personnel:1\" batchId=\"1\" AAB001=\"U\">"
	         "<Event seq=\"1\" type=\"HIRE\"><a><b><c><d><e><f><g><h>1</h></g></f></e></d></c>"
	         "</b></a></Event></PersonnelBatch>",
	         "nested deeper than 8"},
	        {"<PersonnelBatch xmlns=\"urn:other\"/>", "root element {urn:other}PersonnelBatch"},
	        {"<PersonnelBatch xmlns=\"urn:pension-hub:personnel:1\" batchId=\"1\" AAB001=\"U\">"
	         "<Event seq=\"1\" type=\"HIRE\"></Evnt></PersonnelBatch>",
	         "test-input line 1:"},
	        {"<PersonnelBatch xmlns=\"urn:pension-hub:personnel:1\" batchId=\"1\" AAB001=\"U\">"
	         "<Event seq=\"x\" type=\"HIRE\"/></PersonnelBatch>",
	         "record E field seq: 'x' is not an integer"},
	};

	assert_refused("test-personnel", cases, G_N_ELEMENTS(cases));
}

/* A stream that hands over the first @length bytes of @data, then fails as a dropped
 * connection does. */
G_DECLARE_FINAL_TYPE(CutStream, cut_stream, CUT, STREAM, GInputStream)
struct _CutStream {
	GInputStream parent;
	const gchar *data;
	gsize length;
	gsize at;
	gboolean ours; /* fails with PH_ERROR_INVALID_INPUT (a kept copy that does not open) */
};
G_DEFINE_TYPE(CutStream, cut_stream, G_TYPE_INPUT_STREAM)

static gssize
cut_stream_read(GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable,
                GError **error)
{
	CutStream *cut = CUT_STREAM(stream);
	gsize n = MIN(count, cut->length - cut->at);

	if (n == 0 && cut->ours) {
		g_set_error_literal(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "chunk 3 is altered");
		return -1;
	}
	if (n == 0) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
		                    "connection lost");
		return -1;
	}
	memcpy(buffer, cut->data + cut->at, n);
	cut->at += n;
	return (gssize)n;
}

static void
cut_stream_class_init(CutStreamClass *klass)
{
	G_INPUT_STREAM_CLASS(klass)->read_fn = cut_stream_read;
}

static void
cut_stream_init(CutStream *cut)
{
}

/* The input failing part-way through a pain.002 file is the input's fault, not the file's
 * (PH_ERROR_TRANSIENT, with the input's own words): a bank's result rejected for it could
 * never be taken again. Cut in the header, in a record, and right after one. */
static void
test_xml_read_error(void)
{
	g_autofree gchar *input = NULL;
	gsize len = 0;

	read_file_or_fail("pain002-small.xml", &input, &len);
	const gsize cuts[] = {40, len / 2, len - 30};
	for (guint i = 0; i < G_N_ELEMENTS(cuts); i++) {
		g_autoptr(PhMapping) mapping = ph_mapping_load("iso20022-pain002", NULL);
		g_autoptr(GError) error = NULL;
		g_autoptr(CutStream) cut = g_object_new(cut_stream_get_type(), NULL);
		cut->data = input;
		cut->length = cuts[i];
		g_autoptr(PhMappingReader) reader =
		        ph_mapping_reader_new(mapping, G_INPUT_STREAM(cut), "test-input");
		while (ph_mapping_reader_next(reader, &error) != NULL)
			;
		g_test_message("cut at %" G_GSIZE_FORMAT ": %s", cuts[i], error->message);
		g_assert_error(error, PH_ERROR, PH_ERROR_TRANSIENT);
		g_assert_nonnull(strstr(error->message, "cannot read the input: connection lost"));
	}
	/* an error of ours from the input keeps its code */
	g_autoptr(PhMapping) mapping = ph_mapping_load("iso20022-pain002", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(CutStream) cut = g_object_new(cut_stream_get_type(), NULL);
	cut->data = input;
	cut->length = len / 2;
	cut->ours = TRUE;
	g_autoptr(PhMappingReader) reader =
	        ph_mapping_reader_new(mapping, G_INPUT_STREAM(cut), "test-input");
	while (ph_mapping_reader_next(reader, &error) != NULL)
		;
	g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
	g_assert_nonnull(strstr(error->message, "chunk 3 is altered"));
}

/* A record is built in memory whole: one that spans more than 1 MiB of input (here 2 MiB of
 * empty elements, which libxml2 would hold at some 60 MB) is refused, naming its line. */
static void
test_xml_record_too_large(void)
{
	g_autoptr(GString) input =
	        g_string_new("<PersonnelBatch xmlns=\"urn:pension-hub:personnel:1\" batchId=\"1\" "
	                     "AAB001=\"U\">\n"
	                     "<Event seq=\"1\" type=\"HIRE\">");
	while (input->len < 2 * 1024 * 1024)
		g_string_append(input, "<a/>");
	g_string_append(input, "</Event></PersonnelBatch>");
	const BadInput cases[] = {{input->str, "line 2: a record larger than 1048576 bytes"}};

	assert_refused("test-personnel", cases, G_N_ELEMENTS(cases));
}

static void
test_pain001_output(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhMapping) mapping = ph_mapping_load("iso20022-pain001", &error);
	g_autofree gchar *expected = NULL;
	gsize expected_len = 0;
	g_autoptr(GBytes) bytes = NULL;
	const gchar *batch =
	        "{\"kind\":\"GH\",\"msg_id\":\"PAYOUT-330100000001-202611-0000000001\","
	        "\"created\":\"2026-11-27T09:00:00\",\"count\":2,\"total\":762345,"
	        "\"initiator\":\"杭州市社会保险经办机构\"}\n"
	        "{\"kind\":\"PI\",\"batch_no\":\"0000000001\",\"count\":2,\"total\":762345,"
	        "\"execution_date\":\"2026-11-30\",\"payer_name\":\"杭州市社会保险经办机构\","
	        "\"payer_account\":\"33010000001234567890\",\"payer_bank\":\"ICBKCNBJZJP\"}\n"
	        "{\"kind\":\"D\",\"end_to_end_id\":\"0000000001-00000001\",\"AAE019\":350000,"
	        "\"AAC003\":\"张三\","
	        "\"AAC002\":\"110105196410150037\",\"AAE010\":\"6222020200112233445\","
	        "\"purpose\":\"PENS\",\"memo\":\"2026年11月养老金\"}\n"
	        "{\"kind\":\"D\",\"end_to_end_id\":\"0000000001-00000002\",\"AAE019\":412345,"
	        "\"AAC003\":\"𠮷田花子\","
	        "\"AAC002\":\"11010519491231002X\",\"AAE010\":\"6222020200112233446\","
	        "\"purpose\":\"PENS\"}\n";

	g_assert_no_error(error);
	bytes = to_partner(mapping, batch, &error);
	g_assert_no_error(error);
	read_file_or_fail("pain001-small.xml", &expected, &expected_len);
	g_assert_cmpmem(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes), expected,
	                expected_len);
}

static void
test_pain002_input(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhMapping) mapping = ph_mapping_load("iso20022-pain002", &error);
	g_autofree gchar *input = NULL;
	gsize len = 0;
	g_autofree gchar *canonical = NULL;

	g_assert_no_error(error);
	read_file_or_fail("pain002-small.xml", &input, &len);
	canonical = to_canonical(mapping, input, (gssize)len, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(
	        canonical, ==,
	        "{\"kind\":\"GH\",\"msg_id\":\"STS-0001\",\"created\":\"2026-11-30T18:00:00\"}\n"
	        "{\"kind\":\"OG\",\"original_msg_id\":\"PAYOUT-330100000001-202611-0000000001\","
	        "\"original_count\":2,\"original_total\":762345,\"group_status\":\"PART\"}\n"
	        "{\"kind\":\"PI\",\"batch_no\":\"0000000001\",\"batch_status\":\"PART\"}\n"
	        "{\"kind\":\"R\",\"end_to_end_id\":\"0000000001-00000001\",\"status\":\"0000\","
	        "\"bank_ref\":\"BR0000000000000001\","
	        "\"AAE019\":350000,\"AAC003\":\"张三\",\"AAC002\":\"110105196410150037\","
	        "\"AAE010\":\"6222020200112233445\"}\n"
	        "{\"kind\":\"R\",\"end_to_end_id\":\"0000000001-00000002\",\"status\":\"9999\","
	        "\"reason\":\"AC04\","
	        "\"message\":\"账户已销户\",\"AAE019\":412345,\"AAE010\":\"6222020200112233446\"}"
	        "\n");
}

static void
test_failed_conversion_leaves_nothing(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhMapping) mapping = ph_mapping_load("ph-bank-1-payout", NULL);
	g_autofree gchar *dir = g_dir_make_tmp("ph-mapping-XXXXXX", &error);
	g_autofree gchar *input = g_build_filename(dir, "in.txt", NULL);
	g_autofree gchar *output = g_build_filename(dir, "out.jsonl", NULL);
	gsize len = 0;
	g_autofree gchar *bytes = payout_with("T000000030", "T000000040", &len);
	g_autoptr(GDir) listing = NULL;

	g_assert_no_error(error);
	g_file_set_contents(input, bytes, (gssize)len, &error);
	g_assert_no_error(error);
	g_assert_false(ph_mapping_convert_to_canonical(mapping, input, output, &error));
	assert_error_contains(error, "in.txt line 5: record T field count: says 4");
	/* Only the input is left: no output, no temporary file. */
	listing = g_dir_open(dir, 0, NULL);
	g_assert_cmpstr(g_dir_read_name(listing), ==, "in.txt");
	g_assert_null(g_dir_read_name(listing));
	g_clear_error(&error);
	g_free(bytes);
	read_file_or_fail("ph-bank-1-payout.txt", &bytes, &len);
	g_file_set_contents(input, bytes, (gssize)len, &error);
	g_assert_true(ph_mapping_convert_to_canonical(mapping, input, output, &error));
	g_assert_no_error(error);
	g_assert_true(g_file_test(output, G_FILE_TEST_IS_REGULAR));
	g_unlink(output);
	g_unlink(input);
	g_rmdir(dir);
}

static void
test_broken_mappings(void)
{
	static const struct {
		const gchar *file;
		const gchar *error;
	} cases[] = {
	        {"broken-schema.xml", "broken-schema.xml:8: Element "},
	        {"broken-meaning.xml",
	         "broken-meaning.xml:11: field total: sum-of must name an amount of record D"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *path = data_path(cases[i].file);
		g_autoptr(PhMapping) mapping = ph_mapping_load_file(NULL, path, &error);

		g_assert_null(mapping);
		g_assert_error(error, PH_ERROR, PH_ERROR_CONFIG);
		assert_error_contains(error, cases[i].error);
	}
}

static void
test_mapping_dir(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhMapping) missing = ph_mapping_load("no-such-bank", &error);
	g_autoptr(PhMapping) escape = NULL;

	g_assert_null(missing);
	g_assert_error(error, PH_ERROR, PH_ERROR_NOT_FOUND);
	g_clear_error(&error);
	escape = ph_mapping_load("../schema/mapping", &error);
	g_assert_null(escape);
	g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/mapping/code-tables", test_code_tables);
	g_test_add_func("/mapping/region-table", test_region_table);
	g_test_add_func("/mapping/unknown-code", test_unknown_code);
	g_test_add_func("/mapping/value-map", test_value_map);
	g_test_add_func("/mapping/bank-payout-round-trip", test_bank_payout_round_trip);
	g_test_add_func("/mapping/bank-result-round-trip", test_bank_result_round_trip);
	g_test_add_func("/mapping/invalid-byte-sequence", test_invalid_byte_sequence);
	g_test_add_func("/mapping/cut-character-on-input", test_cut_character_on_input);
	g_test_add_func("/mapping/widths-never-cut", test_widths_never_cut);
	g_test_add_func("/mapping/luhn-on-output", test_luhn_on_output);
	g_test_add_func("/mapping/unknown-key-on-output", test_unknown_key_on_output);
	g_test_add_func("/mapping/computed-mismatch", test_computed_mismatch);
	g_test_add_func("/mapping/sequence-and-order", test_sequence_and_order);
	g_test_add_func("/mapping/writer-fills-trailer", test_writer_fills_trailer);
	g_test_add_func("/mapping/header-mismatch-on-output", test_header_mismatch_on_output);
	g_test_add_func("/mapping/header-filled-when-seekable", test_header_filled_when_seekable);
	g_test_add_func("/mapping/header-refused-when-not-seekable",
	                test_header_refused_when_not_seekable);
	g_test_add_func("/mapping/delimited", test_delimited);
	g_test_add_func("/mapping/delimited-errors", test_delimited_errors);
	g_test_add_func("/mapping/quoted-line-end-kept", test_quoted_line_end_kept);
	g_test_add_func("/mapping/canonical-not-utf8", test_canonical_not_utf8);
	g_test_add_func("/mapping/bom-on-gb18030", test_bom_on_gb18030);
	g_test_add_func("/mapping/byte-order-mark", test_byte_order_mark);
	g_test_add_func("/mapping/byte-order-mark-kept", test_byte_order_mark_kept);
	g_test_add_func("/mapping/delimiter-in-trail-byte", test_delimiter_in_trail_byte);
	g_test_add_func("/mapping/xml-namespaces", test_xml_namespaces);
	g_test_add_func("/mapping/xml-gb18030", test_xml_gb18030);
	g_test_add_func("/mapping/xml-hostile", test_xml_hostile);
	g_test_add_func("/mapping/xml-read-error", test_xml_read_error);
	g_test_add_func("/mapping/xml-record-too-large", test_xml_record_too_large);
	g_test_add_func("/mapping/pain001-output", test_pain001_output);
	g_test_add_func("/mapping/pain002-input", test_pain002_input);
	g_test_add_func("/mapping/failed-conversion", test_failed_conversion_leaves_nothing);
	g_test_add_func("/mapping/broken-mappings", test_broken_mappings);
	g_test_add_func("/mapping/mapping-dir", test_mapping_dir);
	return g_test_run();
}
