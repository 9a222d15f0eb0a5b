/* Tests of the COPY text field writers (core/ph-bulk.c) that every bulk path (HIREs, personnel
 * results, runs) writes its rows with: escapes as PostgreSQL's COPY text format reads them. */
#include <glib.h>

#include "ph-bulk.h"

typedef struct {
	const gchar *text; /* NULL: SQL NULL */
	const gchar *line;
	const gchar *source; /* where the expected line comes from */
} Case;

static void
test_text(void)
{
	static const Case cases[] = {
	        {"U0001", "U0001\t", "no character to escape"},
	        {"", "\t", "an empty string is not NULL"},
	        {NULL, "\\N\t", "PostgreSQL COPY text format: \\N is NULL"},
	        {"a\\b", "a\\\\b\t", "COPY text: a backslash is doubled"},
	        {"a\tb\nc\rd", "a\\tb\\nc\\rd\t", "COPY text: \\t, \\n, \\r for tab, newline, CR"},
	        {"\\\t\n\r", "\\\\\\t\\n\\r\t", "only escapes, back to back"},
	        {"张三 𠮷", "张三 𠮷\t", "UTF-8 bytes pass unchanged (none is < 0x80)"},
	        {"x\\", "x\\\\\t", "an escape at the very end"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GString) copy = g_string_new("");
		ph_bulk_append_nullable(copy, cases[i].text, '\t');
		g_test_message("%s", cases[i].source);
		g_assert_cmpstr(copy->str, ==, cases[i].line);
	}
}

/* ph_bulk_append_text_len: the text of a binary COPY field, which has no NUL of its own. */
static void
test_text_len(void)
{
	static const struct {
		const gchar *bytes;
		gsize length;
		const gchar *line;
		const gchar *source;
	} cases[] = {
	        {"U0001xyz", 5, "U0001\t", "only the given bytes, nothing after them"},
	        {"a\tb", 2, "a\\t\t", "an escape (tab: \\t) as the last byte given"},
	        {"\tU", 2, "\\tU\t", "an escape as the first byte"},
	        {"", 0, "\t", "no bytes: an empty string, not NULL"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GString) copy = g_string_new("");
		ph_bulk_append_text_len(copy, cases[i].bytes, cases[i].length, '\t');
		g_test_message("%s", cases[i].source);
		g_assert_cmpstr(copy->str, ==, cases[i].line);
	}
}

static void
test_row(void)
{
	g_autoptr(GString) copy = g_string_new("");
	ph_bulk_append_int(copy, -42, '\t');
	ph_bulk_append_text(copy, "7500.00", '\t');
	ph_bulk_append_nullable(copy, NULL, '\n');
	/* One row of three fields, as COPY reads it: tab-separated, newline-ended. */
	g_assert_cmpstr(copy->str, ==, "-42\t7500.00\t\\N\n");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/bulk-text/fields", test_text);
	g_test_add_func("/bulk-text/text-len", test_text_len);
	g_test_add_func("/bulk-text/row", test_row);
	return g_test_run();
}
