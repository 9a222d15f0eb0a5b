/* The mapping writer's record path remembers, per record kind, the keys of the last record
 * and where each field's value is: records whose keys come in another order, with one left
 * out, or changed in a buffer reused as a static key, are written or refused as if looked up
 * by name each time; the serial and the trailer's totals, computed by the writer, and
 * non-ASCII memos, repeated or not, as the layout writes them. Suite unit. */
#include <glib.h>
#include <string.h>

#include "ph-error.h"
#include "ph-mapping.h"

/* A D record's values, and the order its keys are appended in (indexes into KEYS). */
static const gchar *const KEYS[] = {"AAC002", "AAC003", "AAE010", "AAE019", "purpose", "memo"};
static const gchar *const VALUES[] = {
        "110105196401010016", "ZHANG SAN", "6222020200112233445", "350000", "P001", "PENSION"};

static void
append_d(PhRecord *record, const guint *order, guint n)
{
	ph_record_reset(record, "D");
	for (guint i = 0; i < n; i++)
		ph_record_append_static(record, KEYS[order[i]], VALUES[order[i]],
		                        strlen(VALUES[order[i]]));
}

static void
append_h(PhRecord *record, gint64 count)
{
	ph_record_reset(record, "H");
	ph_record_set(record, "batch_no", "1");
	ph_record_set(record, "AAB034", "330100000001");
	ph_record_set(record, "payer_account", "33010000001234567890");
	ph_record_set(record, "AAE002", "202611");
	ph_record_set_int(record, "count", count);
	ph_record_set_int(record, "total", count * 350000);
	ph_record_set(record, "created", "20261127090000");
}

/* The D line of mappings/partners/ph-bank-1-payout.xml for VALUES: tag, serial (8, zeros),
 * AAC002 (18), AAC003 (40), AAE010 (32) left-aligned in spaces, AAE019 (15 fen, zeros),
 * purpose (4), memo (30; spaces when left out). */
static gchar *
expected_d(guint serial, gboolean memo)
{
	return g_strdup_printf("D%08u%-18s%-40s%-32s%015d%-4s%-30s", serial, VALUES[0], VALUES[1],
	                       VALUES[2], 350000, VALUES[4], memo ? VALUES[5] : "");
}

/* One PH-BANK-1 file being written from records, its header (@count D records) written. */
typedef struct {
	PhMapping *mapping;
	GOutputStream *output;
	PhMappingWriter *writer;
	PhRecord *record;
} Writing;

static void
writing_start(Writing *writing, gint64 count)
{
	g_autoptr(GError) error = NULL;
	writing->mapping = ph_mapping_load("ph-bank-1-payout", &error);
	g_assert_no_error(error);
	writing->output = g_memory_output_stream_new_resizable();
	writing->writer = ph_mapping_writer_new(writing->mapping, writing->output, "test-output");
	writing->record = ph_record_new();
	append_h(writing->record, count);
	g_assert_true(ph_mapping_writer_write(writing->writer, writing->record, &error));
	g_assert_no_error(error);
}

/* The trailer written, the file finished: its lines (an empty string after the last). */
static GStrv
writing_finish(Writing *writing)
{
	g_autoptr(GError) error = NULL;
	ph_record_reset(writing->record, "T");
	g_assert_true(ph_mapping_writer_write(writing->writer, writing->record, &error));
	g_assert_true(ph_mapping_writer_finish(writing->writer, &error));
	g_assert_true(g_output_stream_close(writing->output, NULL, &error));
	g_assert_no_error(error);
	GMemoryOutputStream *memory = G_MEMORY_OUTPUT_STREAM(writing->output);
	g_autofree gchar *text = g_strndup(g_memory_output_stream_get_data(memory),
	                                   g_memory_output_stream_get_data_size(memory));
	return g_strsplit(text, "\r\n", -1);
}

static void
writing_clear(Writing *writing)
{
	ph_mapping_writer_free(writing->writer);
	g_object_unref(writing->output);
	ph_record_free(writing->record);
	ph_mapping_unref(writing->mapping);
}

static void
test_key_orders(void)
{
	g_autoptr(GError) error = NULL;
	Writing writing;
	static const guint in_order[] = {0, 1, 2, 3, 4, 5};
	static const guint reversed[] = {5, 4, 3, 2, 1, 0};
	static const guint without_memo[] = {0, 1, 2, 3, 4};
	const struct {
		const guint *order;
		guint n;
	} details[] = {
	        {in_order, 6}, {in_order, 6}, {reversed, 6}, {without_memo, 5}, {in_order, 6},
	};

	writing_start(&writing, G_N_ELEMENTS(details));
	for (guint i = 0; i < G_N_ELEMENTS(details); i++) {
		append_d(writing.record, details[i].order, details[i].n);
		g_assert_true(ph_mapping_writer_write(writing.writer, writing.record, &error));
		g_assert_no_error(error);
	}
	g_auto(GStrv) lines = writing_finish(&writing);
	writing_clear(&writing);
	g_assert_cmpuint(g_strv_length(lines), ==, G_N_ELEMENTS(details) + 3);
	for (guint i = 0; i < G_N_ELEMENTS(details); i++) {
		g_autofree gchar *expected = expected_d(i + 1, details[i].n == 6);
		g_assert_cmpstr(lines[i + 1], ==, expected);
	}
	/* the trailer's count (8) and total in fen (18), zero-padded, computed by the writer */
	g_autofree gchar *trailer = g_strdup_printf("T%08u%018u", (guint)G_N_ELEMENTS(details),
	                                            (guint)G_N_ELEMENTS(details) * 350000);
	g_assert_cmpstr(lines[G_N_ELEMENTS(details) + 1], ==, trailer);
}

/* A key given as a static string is compared by its bytes, not by where it lies: the same
 * buffer holding another key is refused as any unknown key is. */
static void
test_reused_key_buffer(void)
{
	g_autoptr(GError) error = NULL;
	Writing writing;
	static const guint without_memo[] = {0, 1, 2, 3, 4};
	gchar key[] = "memo";

	writing_start(&writing, 2);
	for (guint i = 0; i < 2; i++) {
		append_d(writing.record, without_memo, G_N_ELEMENTS(without_memo));
		ph_record_append_static(writing.record, key, "X", 1);
		gboolean ok = ph_mapping_writer_write(writing.writer, writing.record, &error);
		if (i == 0) {
			g_assert_true(ok);
			g_assert_no_error(error);
			key[3] = 'x'; /* "memx" for the second record */
		} else {
			g_assert_false(ok);
			/* as test-mapping's unknown key: record 3 counts the header */
			g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
			g_assert_cmpstr(
			        error->message, ==,
			        "test-output record 3: record D: the layout has no field memx");
		}
	}
	writing_clear(&writing);
}

/* The D line for VALUES with @memo (UTF-8) in the memo field: its GB18030 bytes (iconv, not
 * ours) padded with spaces to the field's 30 bytes. */
static gchar *
expected_d_memo(guint serial, const gchar *memo)
{
	g_autoptr(GError) error = NULL;
	gsize len = 0;
	g_autofree gchar *gb = g_convert(memo, -1, "GB18030", "UTF-8", NULL, &len, &error);
	g_assert_no_error(error);
	g_autofree gchar *head = expected_d(serial, FALSE);
	head[strlen(head) - 30] = '\0';
	return g_strdup_printf("%s%s%*s", head, gb, (gint)(30 - len), "");
}

/* Memos not in ASCII, the same on consecutive lines and then another of the same length,
 * each in its own GB18030 bytes; one too long for the field refused naming it. */
static void
test_repeated_memo(void)
{
	g_autoptr(GError) error = NULL;
	static const guint without_memo[] = {0, 1, 2, 3, 4};
	/* 养老金 and 抚恤金: nine bytes of UTF-8 each, six of GB18030 */
	const gchar *memos[] = {"2026年11月养老金", "2026年11月养老金", "2026年11月抚恤金",
	                        "2026年11月养老金", "2026年11月养老金养老金养老金养老金"};
	const guint n = G_N_ELEMENTS(memos) - 1; /* the last is too long */

	for (guint run = 0; run < 2; run++) {
		Writing writing;
		/* first the lines that fit, then the one before the last and the last */
		guint from = run == 0 ? 0 : n - 1;
		guint to = run == 0 ? n : n + 1;

		writing_start(&writing, to - from);
		for (guint i = from; i < to; i++) {
			append_d(writing.record, without_memo, G_N_ELEMENTS(without_memo));
			ph_record_append_static(writing.record, "memo", memos[i], strlen(memos[i]));
			gboolean ok =
			        ph_mapping_writer_write(writing.writer, writing.record, &error);
			g_assert_cmpint(ok, ==, i < n);
		}
		if (run == 1) {
			/* 4 + 2 + 2 + 2 + 12 × 2 = 34 bytes in GB18030 */
			g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
			g_assert_cmpstr(
			        error->message, ==,
			        "test-output record 3: record D field memo: "
			        "'2026年11月养老金养老金养老金养老金' is 34 bytes in GB18030, "
			        "the field has 30");
			writing_clear(&writing);
			break;
		}
		g_auto(GStrv) lines = writing_finish(&writing);
		writing_clear(&writing);
		g_assert_cmpuint(g_strv_length(lines), ==, n + 3);
		for (guint i = 0; i < n; i++) {
			g_autofree gchar *expected = expected_d_memo(i + 1, memos[i]);
			g_assert_cmpstr(lines[i + 1], ==, expected);
		}
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/mapping-writer/key-orders", test_key_orders);
	g_test_add_func("/mapping-writer/reused-key-buffer", test_reused_key_buffer);
	g_test_add_func("/mapping-writer/repeated-memo", test_repeated_memo);
	return g_test_run();
}
