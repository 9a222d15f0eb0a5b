/* Bulk work on two connections: rows are read with COPY … TO STDOUT (binary) on a second
 * connection that shares the snapshot of the caller's transaction, and what C makes of
 * them is written with one COPY … FROM STDIN in that transaction by a thread of its own,
 * so the server reads and writes at once. Memory stays bounded by one row and
 * PH_BULK_STREAM_CHUNKS chunks of output. Core only. */
#pragma once

#include <glib.h>

#include "ph-db.h"

G_BEGIN_DECLS

/* COPY text sent to the writer at a time, and how many such chunks may be in flight. */
#define PH_BULK_STREAM_CHUNK  (64 * 1024)
#define PH_BULK_STREAM_CHUNKS 16
/* Columns a streamed query may have. */
#define PH_BULK_STREAM_MAX_FIELDS 16

/* Planner settings for a reading query that merges inputs read through indexes in one
 * order: PostgreSQL 15 prices such ordered index scans as random reads and would rather hash
 * or sort a million rows, spilling to disk; the merge plan streams them. For @settings of
 * ph_bulk_stream_run (the reading connection's own transaction keeps them). */
#define PH_BULK_STREAM_MERGE_PLAN                                                                  \
	"SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0; "                     \
	"SET LOCAL enable_hashjoin = off; SET LOCAL enable_hashagg = off; "                        \
	"SET LOCAL enable_sort = off"

/* One row of the reader, its fields in PostgreSQL's binary format. */
typedef struct {
	guint n_fields;
	const guint8 *data[PH_BULK_STREAM_MAX_FIELDS];
	gint32 length[PH_BULK_STREAM_MAX_FIELDS]; /* -1 for NULL */
} PhBulkStreamRow;

/* Turns one row of the reader into zero or more COPY text lines appended to @copy. */
typedef gboolean (*PhBulkStreamFunc)(const PhBulkStreamRow *row, GString *copy, gpointer user_data,
                                     GError **error);

/* Runs @select_sql (a query with no parameters) on a new connection to @db's database, in
 * a read-only transaction with the snapshot of @db's open transaction, after @settings
 * (SQL run first in that transaction, e.g. planner settings; may be NULL), and writes what
 * @func makes of each row with @copy_sql ("COPY table (columns) FROM STDIN") on @db. On
 * failure the COPY is aborted, which leaves @db's transaction failed. @written (may be
 * NULL) receives the number of COPY lines. */
gboolean ph_bulk_stream_run(PhDb *db, const gchar *settings, const gchar *select_sql,
                            const gchar *copy_sql, PhBulkStreamFunc func, gpointer user_data,
                            gint64 *written, GError **error);

/* As ph_bulk_stream_run, sending @prologue (may be NULL) first, before any row: the header
 * of a binary COPY (ph_bulk_binary_header), which must be sent even when no row follows.
 * @written counts text lines, so it must be NULL with a prologue (binary rows have none). */
gboolean ph_bulk_stream_run_full(PhDb *db, const gchar *settings, const gchar *select_sql,
                                 const gchar *copy_sql, GString *prologue, PhBulkStreamFunc func,
                                 gpointer user_data, gint64 *written, GError **error);

/* Makes rows into @copy (one or more at a time, appended); sets @end after the last. */
typedef gboolean (*PhBulkStreamFillFunc)(GString *copy, gboolean *end, gpointer user_data,
                                         GError **error);

/* Writes what @fill makes with @copy_sql on @db, after @prologue (may be NULL), sent by the
 * writer thread so that the caller makes the next rows while the server stores the last:
 * the same pipeline as ph_bulk_stream_run without a reading query. On failure the COPY is
 * aborted, which leaves @db's transaction failed. */
gboolean ph_bulk_stream_copy(PhDb *db, const gchar *copy_sql, GString *prologue,
                             PhBulkStreamFillFunc fill, gpointer user_data, GError **error);

/* Splits one message of a binary COPY … TO STDOUT (PQgetCopyData) into @row's fields; the
 * first message starts with the header (read while *@header is TRUE, which it then clears),
 * the last one is the trailer (@end set, no fields). PH_ERROR_DATABASE for a malformed one. */
gboolean ph_bulk_stream_parse(const guint8 *data, gsize length, gboolean *header,
                              PhBulkStreamRow *row, gboolean *end, GError **error);

gboolean ph_bulk_stream_is_null(const PhBulkStreamRow *row, guint field);
/* A bigint field; FALSE for NULL or another size. */
gboolean ph_bulk_stream_int64(const PhBulkStreamRow *row, guint field, gint64 *value);
/* A bigint[] field of any shape, its elements appended in order to @values (gint64);
 * FALSE for NULL, NULL elements or another element type. */
gboolean ph_bulk_stream_int64_array(const PhBulkStreamRow *row, guint field, GArray *values);
/* As ph_bulk_stream_int64_array, for an array of exactly @n elements stored into @values;
 * FALSE (and @values unchanged) for any other. */
gboolean ph_bulk_stream_int64_n(const PhBulkStreamRow *row, guint field, gint64 *values, guint n);

G_END_DECLS
