/* Reading on a second connection while writing on the caller's (see ph-bulk-stream.h).
 * Core only. */
#include "ph-bulk-stream.h"
#include "ph-bulk.h"

#include <string.h>

#include "ph-error.h"

/* The type of bigint (pg_type.oid), fixed since PostgreSQL 6. */
#define PH_BULK_STREAM_INT8_OID 20

/* The start of a binary COPY: signature, then flags and the length of an extension. */
static const guint8 ph_bulk_stream_signature[11] = "PGCOPY\n\377\r\n\0";
#define PH_BULK_STREAM_HEADER 19

static gboolean
ph_bulk_stream_start(PGconn *conn, const gchar *sql, ExecStatusType expected, GError **error)
{
	g_autoptr(PGresult) result = PQexec(conn, sql);

	if (PQresultStatus(result) != expected) {
		g_autofree gchar *why = g_strchomp(g_strdup(PQresultErrorMessage(result)));
		g_set_error(error, PH_ERROR, PH_ERROR_DATABASE, "copy failed: %s", why);
		return FALSE;
	}
	return TRUE;
}

/* The reader: a new connection in a read-only transaction that sees exactly what @db's
 * transaction sees now (its own uncommitted rows excepted, and it has written none). */
static PhDb *
ph_bulk_stream_reader(PhDb *db, const gchar *settings, GError **error)
{
	g_autoptr(PGresult) exported =
	        ph_db_query(db, "SELECT pg_export_snapshot()", 0, NULL, error);
	if (exported == NULL)
		return NULL;
	const gchar *snapshot = PQgetvalue(exported, 0, 0);
	if (strspn(snapshot, "0123456789ABCDEF-") != strlen(snapshot)) {
		g_set_error(error, PH_ERROR, PH_ERROR_DATABASE, "snapshot id %s is unexpected",
		            snapshot);
		return NULL;
	}
	g_autoptr(PhDb) reader = ph_db_connect(ph_db_get_url(db), error);
	g_autofree gchar *adopt = g_strdup_printf("SET TRANSACTION SNAPSHOT '%s'", snapshot);
	if (reader == NULL ||
	    !ph_db_exec(reader, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", error) ||
	    !ph_db_exec(reader, adopt, error) ||
	    (settings != NULL && !ph_db_exec(reader, settings, error))) {
		g_prefix_error(error, "reading connection: ");
		return NULL;
	}
	return g_steal_pointer(&reader);
}

/* The unsigned integer of @size (2, 4 or 8) bytes at @bytes, in network order as COPY
 * sends it. */
static inline guint64
ph_bulk_stream_be(const guint8 *bytes, guint size)
{
	guint64 value = 0;

	memcpy((guint8 *)&value + sizeof(value) - size, bytes, size);
	return GUINT64_FROM_BE(value);
}

static gboolean
ph_bulk_stream_malformed(GError **error)
{
	g_set_error(error, PH_ERROR, PH_ERROR_DATABASE, "reading rows failed: malformed row");
	return FALSE;
}

gboolean
ph_bulk_stream_parse(const guint8 *data, gsize length, gboolean *header, PhBulkStreamRow *row,
                     gboolean *end, GError **error)
{
	gsize at = 0;

	if (*header) {
		if (length < PH_BULK_STREAM_HEADER ||
		    memcmp(data, ph_bulk_stream_signature, sizeof(ph_bulk_stream_signature)) != 0)
			return ph_bulk_stream_malformed(error);
		at = PH_BULK_STREAM_HEADER + ph_bulk_stream_be(data + 15, 4);
		*header = FALSE;
	}
	if (at > length || length - at < 2)
		return ph_bulk_stream_malformed(error);
	gint16 count = (gint16)ph_bulk_stream_be(data + at, 2);
	at += 2;
	*end = count == -1;
	if (*end)
		return at == length || ph_bulk_stream_malformed(error);
	if (count < 0 || count > PH_BULK_STREAM_MAX_FIELDS)
		return ph_bulk_stream_malformed(error);
	row->n_fields = (guint)count;
	for (guint i = 0; i < row->n_fields; i++) {
		if (length - at < 4)
			return ph_bulk_stream_malformed(error);
		row->length[i] = (gint32)ph_bulk_stream_be(data + at, 4);
		row->data[i] = data + at + 4;
		at += 4;
		if (row->length[i] < -1 ||
		    (row->length[i] > 0 && (gsize)row->length[i] > length - at))
			return ph_bulk_stream_malformed(error);
		at += row->length[i] > 0 ? (gsize)row->length[i] : 0;
	}
	return at == length || ph_bulk_stream_malformed(error);
}

static void
ph_bulk_stream_free(GString *chunk)
{
	g_string_free(chunk, TRUE);
}

/* The writing side runs in a thread of its own, so that waiting for the writing server never
 * keeps the reading one waiting, and the other way round. Chunks go to it in order through
 * @full and come back through @spare: PH_BULK_STREAM_CHUNKS of them bound the memory. */
typedef struct {
	PGconn *conn;
	GAsyncQueue *full;  /* GString chunks to send, in order; an empty one ends */
	GAsyncQueue *spare; /* sent chunks, to be filled again */
	gint failed;        /* atomic: sending failed, the rows may stop */
	GError *error;      /* why; read once the thread has ended */
} PhBulkStreamWriter;

static gpointer
ph_bulk_stream_write(gpointer user_data)
{
	PhBulkStreamWriter *writer = user_data;
	gboolean end = FALSE;

	while (!end) {
		GString *chunk = g_async_queue_pop(writer->full);
		end = chunk->len == 0;
		/* after a failure the chunks still come back, so that the rows side never waits */
		if (!end && writer->error == NULL &&
		    PQputCopyData(writer->conn, chunk->str, (int)chunk->len) != 1) {
			ph_bulk_fail(writer->conn, "copy", &writer->error);
			g_atomic_int_set(&writer->failed, 1);
		}
		g_string_truncate(chunk, 0);
		g_async_queue_push(writer->spare, chunk);
	}
	return NULL;
}

/* Hands @chunk to the writer and takes a spare one; FALSE once the writer has failed. */
static gboolean
ph_bulk_stream_send(PhBulkStreamWriter *writer, GString **chunk)
{
	g_async_queue_push(writer->full, *chunk);
	*chunk = g_async_queue_pop(writer->spare);
	return !g_atomic_int_get(&writer->failed);
}

static gboolean
ph_bulk_stream_one(const guint8 *data, gsize length, gboolean *header, gboolean *end,
                   PhBulkStreamFunc func, gpointer user_data, GString *copy, gint64 *lines,
                   GError **error)
{
	PhBulkStreamRow row;
	gsize before = copy->len;

	if (!ph_bulk_stream_parse(data, length, header, &row, end, error))
		return FALSE;
	if (*end)
		return TRUE;
	if (!func(&row, copy, user_data, error))
		return FALSE;
	for (const gchar *c = copy->str + before; (c = strchr(c, '\n')) != NULL; c++)
		(*lines)++;
	return TRUE;
}

/* Every row of the reader through @func to the writer, a chunk at a time; @chunk is the
 * one being filled. FALSE with @error unset when the writer failed. */
static gboolean
ph_bulk_stream_pump(PGconn *reader, PhBulkStreamWriter *writer, GString **chunk,
                    PhBulkStreamFunc func, gpointer user_data, gint64 *lines, GError **error)
{
	gboolean header = TRUE;
	gboolean end = FALSE;
	char *data = NULL;
	int length;

	while ((length = PQgetCopyData(reader, &data, 0)) > 0) {
		/* nothing may follow the trailer */
		gboolean ok = end ? ph_bulk_stream_malformed(error)
		                  : ph_bulk_stream_one((const guint8 *)data, (gsize)length, &header,
		                                       &end, func, user_data, *chunk, lines, error);
		PQfreemem(data);
		if (!ok)
			return FALSE;
		if ((*chunk)->len >= PH_BULK_STREAM_CHUNK && !ph_bulk_stream_send(writer, chunk))
			return FALSE;
	}
	if (length != -1)
		return ph_bulk_fail(reader, "reading rows", error);
	if (!ph_bulk_copy_result(reader, "reading rows", error))
		return FALSE;
	if (!end)
		return ph_bulk_stream_malformed(error);
	return (*chunk)->len == 0 || ph_bulk_stream_send(writer, chunk);
}

/* What fills the chunks for the writer: rows of a reader, or a caller's rows. FALSE with
 * @error unset when the writer failed. */
typedef gboolean (*PhBulkStreamPump)(PhBulkStreamWriter *writer, GString **chunk,
                                     gpointer pump_data, GError **error);

/* Runs @pump with the writer's thread; the writer's failure, if any, when the pump had
 * none. */
static gboolean
ph_bulk_stream_transfer(PGconn *conn, PhBulkStreamPump pump, gpointer pump_data, GError **error)
{
	PhBulkStreamWriter writer = {
	        conn, g_async_queue_new_full((GDestroyNotify)ph_bulk_stream_free),
	        g_async_queue_new_full((GDestroyNotify)ph_bulk_stream_free), 0, NULL};
	GError *failure = NULL;

	for (guint i = 0; i < PH_BULK_STREAM_CHUNKS; i++)
		g_async_queue_push(writer.spare, g_string_sized_new(PH_BULK_STREAM_CHUNK + 4096));
	GThread *thread = g_thread_new("ph-bulk-stream", ph_bulk_stream_write, &writer);
	GString *chunk = g_async_queue_pop(writer.spare);
	pump(&writer, &chunk, pump_data, &failure);
	g_string_truncate(chunk, 0);
	g_async_queue_push(writer.full, chunk); /* the end */
	g_thread_join(thread);
	if (failure == NULL)
		failure = g_steal_pointer(&writer.error);
	g_clear_error(&writer.error);
	g_async_queue_unref(writer.full);
	g_async_queue_unref(writer.spare);
	if (failure != NULL) {
		g_propagate_error(error, failure);
		return FALSE;
	}
	return TRUE;
}

/* The reader's rows through the caller's function (ph_bulk_stream_run_full). */
typedef struct {
	PGconn *reader;
	PhBulkStreamFunc func;
	gpointer user_data;
	gint64 lines;
} PhBulkStreamRows;

static gboolean
ph_bulk_stream_pump_rows(PhBulkStreamWriter *writer, GString **chunk, gpointer pump_data,
                         GError **error)
{
	PhBulkStreamRows *rows = pump_data;
	return ph_bulk_stream_pump(rows->reader, writer, chunk, rows->func, rows->user_data,
	                           &rows->lines, error);
}

/* The caller's rows (ph_bulk_stream_copy). */
typedef struct {
	PhBulkStreamFillFunc fill;
	gpointer user_data;
} PhBulkStreamFill;

static gboolean
ph_bulk_stream_pump_fill(PhBulkStreamWriter *writer, GString **chunk, gpointer pump_data,
                         GError **error)
{
	PhBulkStreamFill *fill = pump_data;
	gboolean end = FALSE;

	while (!end) {
		if (!fill->fill(*chunk, &end, fill->user_data, error))
			return FALSE;
		if ((*chunk)->len >= PH_BULK_STREAM_CHUNK && !ph_bulk_stream_send(writer, chunk))
			return FALSE;
	}
	return (*chunk)->len == 0 || ph_bulk_stream_send(writer, chunk);
}

/* Starts @copy_sql on @conn and sends @prologue. */
static gboolean
ph_bulk_stream_begin_copy(PGconn *conn, const gchar *copy_sql, GString *prologue, GError **error)
{
	if (!ph_bulk_stream_start(conn, copy_sql, PGRES_COPY_IN, error))
		return FALSE;
	if (prologue != NULL && prologue->len > 0 &&
	    PQputCopyData(conn, prologue->str, (int)prologue->len) != 1) {
		PQputCopyEnd(conn, "bulk stream failed");
		ph_bulk_copy_result(conn, "copy", NULL);
		return ph_bulk_fail(conn, "copy", error);
	}
	return TRUE;
}

/* Ends the COPY on @conn after the transfer: aborted when it failed (@ok FALSE), so that
 * nothing of it is kept. */
static gboolean
ph_bulk_stream_end_copy(PGconn *conn, gboolean ok, GError **error)
{
	if (!ok) {
		PQputCopyEnd(conn, "bulk stream failed");
		ph_bulk_copy_result(conn, "copy", NULL);
		return FALSE;
	}
	if (PQputCopyEnd(conn, NULL) != 1)
		return ph_bulk_fail(conn, "copy end", error);
	return ph_bulk_copy_result(conn, "copy", error);
}

gboolean
ph_bulk_stream_copy(PhDb *db, const gchar *copy_sql, GString *prologue, PhBulkStreamFillFunc fill,
                    gpointer user_data, GError **error)
{
	PGconn *conn = ph_db_get_conn(db);
	PhBulkStreamFill pump = {fill, user_data};

	g_return_val_if_fail(ph_db_in_transaction(db) && fill != NULL, FALSE);
	if (!ph_bulk_stream_begin_copy(conn, copy_sql, prologue, error))
		return FALSE;
	gboolean ok = ph_bulk_stream_transfer(conn, ph_bulk_stream_pump_fill, &pump, error);
	return ph_bulk_stream_end_copy(conn, ok, error);
}

gboolean
ph_bulk_stream_run(PhDb *db, const gchar *settings, const gchar *select_sql, const gchar *copy_sql,
                   PhBulkStreamFunc func, gpointer user_data, gint64 *written, GError **error)
{
	return ph_bulk_stream_run_full(db, settings, select_sql, copy_sql, NULL, func, user_data,
	                               written, error);
}

gboolean
ph_bulk_stream_run_full(PhDb *db, const gchar *settings, const gchar *select_sql,
                        const gchar *copy_sql, GString *prologue, PhBulkStreamFunc func,
                        gpointer user_data, gint64 *written, GError **error)
{
	g_autofree gchar *copy_out =
	        g_strdup_printf("COPY (%s) TO STDOUT (FORMAT binary)", select_sql);
	PGconn *writer = ph_db_get_conn(db);

	g_return_val_if_fail(ph_db_in_transaction(db), FALSE);
	g_return_val_if_fail(prologue == NULL || written == NULL, FALSE);
	g_autoptr(PhDb) reader = ph_bulk_stream_reader(db, settings, error);
	if (reader == NULL ||
	    !ph_bulk_stream_start(ph_db_get_conn(reader), copy_out, PGRES_COPY_OUT, error) ||
	    !ph_bulk_stream_begin_copy(writer, copy_sql, prologue, error))
		return FALSE;
	PhBulkStreamRows rows = {ph_db_get_conn(reader), func, user_data, 0};
	gboolean ok = ph_bulk_stream_transfer(writer, ph_bulk_stream_pump_rows, &rows, error);
	if (!ph_bulk_stream_end_copy(writer, ok, error))
		return FALSE;
	if (written != NULL)
		*written = rows.lines;
	return TRUE;
}

gboolean
ph_bulk_stream_is_null(const PhBulkStreamRow *row, guint field)
{
	g_return_val_if_fail(row != NULL && field < row->n_fields, TRUE);
	return row->length[field] < 0;
}

gboolean
ph_bulk_stream_int64(const PhBulkStreamRow *row, guint field, gint64 *value)
{
	g_return_val_if_fail(row != NULL && field < row->n_fields && value != NULL, FALSE);
	if (row->length[field] != 8)
		return FALSE;
	*value = (gint64)ph_bulk_stream_be(row->data[field], 8);
	return TRUE;
}

/* Checks that @row's @field is a bigint[] without NULLs and finds its @count elements,
 * each a length and 8 bytes, from @at. */
static gboolean
ph_bulk_stream_array(const PhBulkStreamRow *row, guint field, guint64 *count, gsize *at)
{
	const guint8 *data = row->data[field];
	gsize length = row->length[field] < 0 ? 0 : (gsize)row->length[field];
	/* dimensions, has-null flag, element type; then size and lower bound per dimension */
	if (length < 12)
		return FALSE;
	guint32 dimensions = (guint32)ph_bulk_stream_be(data, 4);
	*at = 12 + 8 * (gsize)dimensions;
	if (dimensions > 6 || *at > length ||
	    (dimensions > 0 && ph_bulk_stream_be(data + 8, 4) != PH_BULK_STREAM_INT8_OID))
		return FALSE;
	*count = dimensions > 0;
	for (guint32 d = 0; d < dimensions && *count <= length; d++)
		*count *= ph_bulk_stream_be(data + 12 + 8 * d, 4);
	if (*count > length || (length - *at) != *count * 12)
		return FALSE;
	for (gsize element = *at; element < length; element += 12)
		if (ph_bulk_stream_be(data + element, 4) != 8)
			return FALSE;
	return TRUE;
}

static void
ph_bulk_stream_elements(const guint8 *data, guint64 count, gint64 *out)
{
	for (guint64 i = 0; i < count; i++)
		out[i] = (gint64)ph_bulk_stream_be(data + 12 * i + 4, 8);
}

gboolean
ph_bulk_stream_int64_array(const PhBulkStreamRow *row, guint field, GArray *values)
{
	guint64 count = 0;
	gsize at = 0;

	g_return_val_if_fail(row != NULL && field < row->n_fields && values != NULL, FALSE);
	if (!ph_bulk_stream_array(row, field, &count, &at))
		return FALSE;
	guint first = values->len;
	g_array_set_size(values, first + (guint)count);
	ph_bulk_stream_elements(row->data[field] + at, count,
	                        &g_array_index(values, gint64, first));
	return TRUE;
}

gboolean
ph_bulk_stream_int64_n(const PhBulkStreamRow *row, guint field, gint64 *values, guint n)
{
	guint64 count = 0;
	gsize at = 0;

	g_return_val_if_fail(row != NULL && field < row->n_fields && values != NULL, FALSE);
	if (!ph_bulk_stream_array(row, field, &count, &at) || count != n)
		return FALSE;
	ph_bulk_stream_elements(row->data[field] + at, count, values);
	return TRUE;
}
