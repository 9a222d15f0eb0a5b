/* Cursor in, COPY out (see ph-bulk.h). Core only. */
#include "ph-bulk.h"

#include <string.h>

#include "ph-error.h"

/* Rows added by one statement from which ph_bulk_analyze_after() analyzes. */
#define PH_BULK_ANALYZE_ROWS 10000
/* Statistics target of ph_bulk_analyze_after() for named columns: a 3,000-row sample. */
#define PH_BULK_ANALYZE_TARGET 10

#define PH_BULK_CURSOR "ph_bulk_cursor"

void
ph_bulk_append_int(GString *copy, gint64 value, gchar end)
{
	gchar digits[24];
	gint length = 0;
	guint64 magnitude = value < 0 ? (guint64)0 - (guint64)value : (guint64)value;

	do {
		digits[length++] = (gchar)('0' + magnitude % 10);
		magnitude /= 10;
	} while (magnitude > 0);
	if (value < 0)
		g_string_append_c(copy, '-');
	while (length > 0)
		g_string_append_c(copy, digits[--length]);
	g_string_append_c(copy, end);
}

void
ph_bulk_append_text_len(GString *copy, const gchar *text, gsize length, gchar end)
{
	const gchar *stop = text + length;

	/* Runs without a character to escape go in at once: most values have none (character
	 * by character, this was the personnel ingest's largest own cost in a profile). */
	for (const gchar *c = text;; c++) {
		const gchar *plain = c;
		while (plain < stop && *plain != '\\' && *plain != '\t' && *plain != '\n' &&
		       *plain != '\r')
			plain++;
		g_string_append_len(copy, c, plain - c);
		c = plain;
		if (c == stop)
			break;
		g_string_append_c(copy, '\\');
		g_string_append_c(copy, *c == '\t'   ? 't'
		                        : *c == '\n' ? 'n'
		                        : *c == '\r' ? 'r'
		                                     : '\\');
	}
	g_string_append_c(copy, end);
}

void
ph_bulk_append_text(GString *copy, const gchar *text, gchar end)
{
	ph_bulk_append_text_len(copy, text, strlen(text), end);
}

void
ph_bulk_append_nullable(GString *copy, const gchar *text, gchar end)
{
	if (text != NULL) {
		ph_bulk_append_text(copy, text, end);
		return;
	}
	g_string_append(copy, "\\N");
	g_string_append_c(copy, end);
}

void
ph_bulk_append_int_array(GString *copy, const gint64 *values, guint n, gchar end)
{
	g_string_append_c(copy, '{');
	for (guint i = 0; i < n; i++)
		ph_bulk_append_int(copy, values[i], i + 1 < n ? ',' : '}');
	g_string_append_c(copy, end);
}

void
ph_bulk_binary_header(GString *copy)
{
	/* signature, flags (none: no OIDs), length of the header extension (none) */
	static const gchar header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
	g_string_append_len(copy, header, sizeof(header));
}

void
ph_bulk_binary_row(GString *copy, guint n_fields)
{
	guint16 count = GUINT16_TO_BE((guint16)n_fields);
	g_string_append_len(copy, (const gchar *)&count, sizeof(count));
}

void
ph_bulk_binary_int32(GString *copy, gint32 value)
{
	guint32 field[2] = {GUINT32_TO_BE(4), GUINT32_TO_BE((guint32)value)};
	g_string_append_len(copy, (const gchar *)field, sizeof(field));
}

void
ph_bulk_binary_int64(GString *copy, gint64 value)
{
	guint32 length = GUINT32_TO_BE(8);
	guint64 field = GUINT64_TO_BE((guint64)value);
	g_string_append_len(copy, (const gchar *)&length, sizeof(length));
	g_string_append_len(copy, (const gchar *)&field, sizeof(field));
}

void
ph_bulk_binary_text(GString *copy, const gchar *text)
{
	gsize size = text != NULL ? strlen(text) : 0;
	guint32 length = GUINT32_TO_BE(text != NULL ? (guint32)size : G_MAXUINT32);
	g_string_append_len(copy, (const gchar *)&length, sizeof(length));
	g_string_append_len(copy, text, (gssize)size);
}

gboolean
ph_bulk_fail(PGconn *conn, const gchar *what, GError **error)
{
	g_autofree gchar *why = g_strchomp(g_strdup(PQerrorMessage(conn)));
	g_set_error(error, PH_ERROR, PH_ERROR_DATABASE, "%s failed: %s", what, why);
	return FALSE;
}

gboolean
ph_bulk_copy_result(PGconn *conn, const gchar *what, GError **error)
{
	gboolean ok = TRUE;
	PGresult *result;

	while ((result = PQgetResult(conn)) != NULL) {
		if (ok && PQresultStatus(result) != PGRES_COMMAND_OK) {
			const gchar *state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
			g_autofree gchar *why = g_strchomp(g_strdup(PQresultErrorMessage(result)));
			g_set_error(error, PH_ERROR,
			            g_strcmp0(state, "23505") == 0 ? PH_ERROR_CONFLICT
			                                           : PH_ERROR_DATABASE,
			            "%s failed: %s", what, why);
			ok = FALSE;
		}
		PQclear(result);
	}
	return ok;
}

gboolean
ph_bulk_copy_in(PhDb *db, const gchar *copy_sql, const gchar *data, gsize length, GError **error)
{
	PGconn *conn = ph_db_get_conn(db);
	g_autoptr(PGresult) start = PQexec(conn, copy_sql);

	if (PQresultStatus(start) != PGRES_COPY_IN) {
		g_set_error(error, PH_ERROR, PH_ERROR_DATABASE, "copy failed: %s",
		            PQresultErrorMessage(start));
		return FALSE;
	}
	if (length > 0 && PQputCopyData(conn, data, (int)length) != 1) {
		PQputCopyEnd(conn, "client failed");
		ph_bulk_copy_result(conn, "copy", NULL);
		return ph_bulk_fail(conn, "copy", error);
	}
	if (PQputCopyEnd(conn, NULL) != 1)
		return ph_bulk_fail(conn, "copy end", error);
	return ph_bulk_copy_result(conn, "copy", error);
}

static gboolean
ph_bulk_batch(PGresult *rows, PhBulkRowFunc func, gpointer user_data, GString *copy, gint64 *lines,
              GError **error)
{
	for (gint row = 0; row < PQntuples(rows); row++) {
		gsize before = copy->len;
		if (!func(rows, row, copy, user_data, error))
			return FALSE;
		for (gsize i = before; i < copy->len; i++)
			*lines += copy->str[i] == '\n';
	}
	return TRUE;
}

gboolean
ph_bulk_analyze(PhDb *db, const gchar *table, GError **error)
{
	g_autofree gchar *sql = g_strdup_printf("ANALYZE %s", table);
	return ph_db_exec(db, sql, error);
}

gboolean
ph_bulk_analyze_after(PhDb *db, const gchar *table, const gchar *columns, gint64 rows,
                      GError **error)
{
	if (rows < PH_BULK_ANALYZE_ROWS)
		return TRUE;
	if (columns == NULL)
		return ph_bulk_analyze(db, table, error);
	/* the sample is 300 rows per unit of target; the setting ends with the transaction */
	g_autofree gchar *sql = g_strdup_printf("SET LOCAL default_statistics_target = %d; "
	                                        "ANALYZE %s (%s); "
	                                        "SET LOCAL default_statistics_target TO DEFAULT",
	                                        PH_BULK_ANALYZE_TARGET, table, columns);
	return ph_db_exec(db, sql, error);
}

gboolean
ph_bulk_run(PhDb *db, const gchar *select_sql, gint n_params, const gchar *const *params,
            const gchar *copy_sql, PhBulkRowFunc func, gpointer user_data, gint64 *written,
            GError **error)
{
	g_autofree gchar *declare =
	        g_strdup_printf("DECLARE " PH_BULK_CURSOR " NO SCROLL CURSOR FOR %s", select_sql);
	g_autoptr(GString) copy = g_string_sized_new(PH_BULK_BATCH * 128);
	gint64 lines = 0;

	g_return_val_if_fail(ph_db_in_transaction(db), FALSE);
	/* The whole result is read: plan for total time (hash joins), not the first rows;
	 * JIT compiling costs more than it saves on these plans (measured: 0.4 s). */
	if (!ph_db_exec(db, "SET LOCAL cursor_tuple_fraction = 1.0; SET LOCAL jit = off", error))
		return FALSE;
	g_autoptr(PGresult) declared = ph_db_query(db, declare, n_params, params, error);
	if (declared == NULL)
		return FALSE;
	for (;;) {
		g_autoptr(PGresult) rows =
		        ph_db_query(db, "FETCH " G_STRINGIFY(PH_BULK_BATCH) " FROM " PH_BULK_CURSOR,
		                    0, NULL, error);
		if (rows == NULL)
			return FALSE;
		if (PQntuples(rows) == 0)
			break;
		g_string_truncate(copy, 0);
		if (!ph_bulk_batch(rows, func, user_data, copy, &lines, error))
			return FALSE;
		if (copy_sql != NULL && copy->len > 0 &&
		    !ph_bulk_copy_in(db, copy_sql, copy->str, copy->len, error))
			return FALSE;
	}
	if (!ph_db_exec(db, "CLOSE " PH_BULK_CURSOR, error))
		return FALSE;
	if (written != NULL)
		*written = lines;
	return TRUE;
}
