/* Column values between libpq text results and GLib types (bytea ↔ GBytes, timestamps as
 * ISO 8601 UTC text), for the store modules of core and hub. */
#pragma once

#include <glib.h>
#include <libpq-fe.h>

G_BEGIN_DECLS

/* SQL expression formatting timestamptz @column as "YYYY-MM-DDTHH:MM:SS.mmmZ". */
#define PH_SQL_UTC(column)                                                                         \
	"to_char(" column " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* The value of a bytea column fetched as text (hex escape format), or NULL for SQL NULL. */
GBytes *
ph_sql_value_bytes(PGresult *result, gint row, gint column);

/* A text column, or NULL for SQL NULL (newly allocated). */
gchar *
ph_sql_value_dup(PGresult *result, gint row, gint column);

/* The texts of @column in every row of @result, as a set (g_hash_table_contains). */
GHashTable *
ph_sql_value_set(PGresult *result, gint column);

/* Pointer to pass as a binary parameter (never NULL, so an empty value is not SQL NULL). */
const gchar *
ph_sql_value_bytes_param(GBytes *bytes, gint *length);

G_END_DECLS
