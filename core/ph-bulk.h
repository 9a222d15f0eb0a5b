/* Streaming bulk work for the core's runs: members are read through a cursor in batches,
 * each row is turned into COPY text by C (the rules), and each batch is written with
 * COPY ... FROM STDIN, so memory stays bounded by one batch. Core only. */
#pragma once

#include <glib.h>

#include "ph-db.h"

G_BEGIN_DECLS

/* Rows fetched (and COPY lines buffered) per batch. */
#define PH_BULK_BATCH 20000

/* Turns row @row of @rows into zero or more COPY text lines appended to @copy. */
typedef gboolean (*PhBulkRowFunc)(PGresult *rows, gint row, GString *copy, gpointer user_data,
                                  GError **error);

/* Runs @select_sql (with text parameters) through a cursor in @db's open transaction and
 * writes what @func makes with @copy_sql ("COPY table (columns) FROM STDIN"; NULL to only
 * stream the rows to @func). @written
 * (may be NULL) receives the number of COPY lines. */
gboolean ph_bulk_run(PhDb *db, const gchar *select_sql, gint n_params, const gchar *const *params,
                     const gchar *copy_sql, PhBulkRowFunc func, gpointer user_data, gint64 *written,
                     GError **error);

/* FALSE with PH_ERROR_DATABASE "@what failed: <the connection's last error>". */
gboolean ph_bulk_fail(PGconn *conn, const gchar *what, GError **error);
/* Collects the results after a COPY on @conn; the first failure is @error ("@what failed:
 * …"), a unique violation PH_ERROR_CONFLICT. */
gboolean ph_bulk_copy_result(PGconn *conn, const gchar *what, GError **error);

/* Refreshes the planner's statistics of @table before a repeat run: right after a run
 * wrote a million rows, stale statistics make the "still missing" probe scan the whole
 * primary key for every member (measured: minutes instead of a second). */
gboolean ph_bulk_analyze(PhDb *db, const gchar *table, GError **error);

/* ph_bulk_analyze() of @table when one statement just added @rows of 10,000 or more, in the
 * same transaction so that the statistics commit with the rows. Until statistics see such a
 * load the planner takes it for a handful of rows and picks nested loops over all of it
 * (payout_item_state over a month's items and result lines: hours instead of a second).
 * With @columns ("a, b"), only those columns from a small sample (3,000 rows): the row count
 * and the join keys' distinct values are what keep the planner off the nested loop, and a
 * million-row table is then analyzed in about 20 ms instead of 250 ms. */
gboolean ph_bulk_analyze_after(PhDb *db, const gchar *table, const gchar *columns, gint64 rows,
                               GError **error);

/* Sends @length bytes of COPY text with @copy_sql. */
gboolean ph_bulk_copy_in(PhDb *db, const gchar *copy_sql, const gchar *data, gsize length,
                         GError **error);

/* COPY text field writers; each appends the field and then @end ('\t' or '\n'). */
void ph_bulk_append_int(GString *copy, gint64 value, gchar end);
void ph_bulk_append_text(GString *copy, const gchar *text, gchar end);
/* As ph_bulk_append_text, for @length bytes of @text that need not end in a NUL. */
void ph_bulk_append_text_len(GString *copy, const gchar *text, gsize length, gchar end);
/* As ph_bulk_append_text, and SQL NULL (\N) for a NULL @text. */
void ph_bulk_append_nullable(GString *copy, const gchar *text, gchar end);
/* An array of @n integers as "{v1,v2,…}". */
void ph_bulk_append_int_array(GString *copy, const gint64 *values, guint n, gchar end);

/* Binary COPY ("… FROM STDIN (FORMAT binary)"): the server parses no text, which costs it
 * about a tenth less than the same rows as text. The header starts the data; each row is
 * its field count, then each field in PostgreSQL's binary form (integers in network
 * order, text as its bytes). */
void ph_bulk_binary_header(GString *copy);
void ph_bulk_binary_row(GString *copy, guint n_fields);
void ph_bulk_binary_int32(GString *copy, gint32 value);
void ph_bulk_binary_int64(GString *copy, gint64 value);
/* @text's bytes, or SQL NULL for a NULL @text. */
void ph_bulk_binary_text(GString *copy, const gchar *text);

G_END_DECLS
