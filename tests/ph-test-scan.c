/* Whole-database plaintext scan (ph-test-scan.h). Test code only. */
#include "ph-test-scan.h"

#include <string.h>

#include "ph-test-db.h"

/* A PostgreSQL text[] literal of @values and of the hex of their bytes (bytea as text is
 * "\x" and lowercase hex), so that one strpos() test finds them in text and bytea alike. */
static gchar *
ph_test_scan_needles(const gchar *const *values)
{
	GString *array = g_string_new("{");
	for (guint i = 0; values[i] != NULL; i++) {
		g_autofree gchar *hex = NULL;
		GString *bytes = g_string_new(NULL);
		for (const guchar *p = (const guchar *)values[i]; *p != '\0'; p++)
			g_string_append_printf(bytes, "%02x", *p);
		hex = g_string_free(bytes, FALSE);
		g_string_append_printf(array, "%s\"%s\",\"%s\"", i > 0 ? "," : "", values[i], hex);
	}
	g_string_append_c(array, '}');
	return g_string_free(array, FALSE);
}

/* Rows of @table where @what (a row or a column, as text) holds a needle of $1. */
static gint64
ph_test_scan_count(PhDb *db, const gchar *table, const gchar *what, const gchar *needles)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *sql = g_strdup_printf(
	        "SELECT count(*) FROM \"%s\" t WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) n "
	        "WHERE strpos((%s)::text, n) > 0)",
	        table, what);
	const gchar *params[] = {needles};
	g_autoptr(PGresult) result = ph_db_query(db, sql, 1, params, &error);
	g_assert_no_error(error);
	return ph_db_get_int64(result, 0, 0);
}

GPtrArray *
ph_test_scan_plaintext(PhDb *db, const gchar *const *values)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *needles = ph_test_scan_needles(values);
	GPtrArray *found = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(PGresult) columns = ph_db_query(
	        db,
	        "SELECT c.table_name, c.column_name FROM information_schema.columns c JOIN "
	        "information_schema.tables t USING (table_schema, table_name) WHERE "
	        "c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' "
	        "ORDER BY c.table_name, c.ordinal_position",
	        0, NULL, &error);
	g_assert_no_error(error);
	const gchar *table = NULL;
	gboolean row_hit = FALSE;
	for (gint row = 0; row < PQntuples(columns); row++) {
		const gchar *name = PQgetvalue(columns, row, 0);
		/* the whole row first: columns are looked at only in a table that holds one */
		if (table == NULL || !g_str_equal(table, name)) {
			table = name;
			row_hit = ph_test_scan_count(db, table, "t", needles) > 0;
		}
		if (!row_hit)
			continue;
		g_autofree gchar *column = g_strdup_printf("t.\"%s\"", PQgetvalue(columns, row, 1));
		gint64 rows = ph_test_scan_count(db, table, column, needles);
		if (rows == 0)
			continue;
		gchar *where = g_strdup_printf("%s.%s: %" G_GINT64_FORMAT " rows", table,
		                               PQgetvalue(columns, row, 1), rows);
		g_test_message("in the clear: %s", where);
		g_ptr_array_add(found, where);
	}
	return found;
}
