/* Column value conversion for the store layer (core and hub). */
#include "ph-sql-value.h"

GBytes *
ph_sql_value_bytes(PGresult *result, gint row, gint column)
{
	if (PQgetisnull(result, row, column))
		return NULL;
	size_t length = 0;
	unsigned char *data =
	        PQunescapeBytea((const unsigned char *)PQgetvalue(result, row, column), &length);
	if (data == NULL)
		return NULL;
	GBytes *bytes = g_bytes_new(data, length);
	PQfreemem(data);
	return bytes;
}

gchar *
ph_sql_value_dup(PGresult *result, gint row, gint column)
{
	if (PQgetisnull(result, row, column))
		return NULL;
	return g_strdup(PQgetvalue(result, row, column));
}

GHashTable *
ph_sql_value_set(PGresult *result, gint column)
{
	GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (gint row = 0; row < PQntuples(result); row++)
		g_hash_table_add(set, g_strdup(PQgetvalue(result, row, column)));
	return set;
}

const gchar *
ph_sql_value_bytes_param(GBytes *bytes, gint *length)
{
	gsize size = 0;
	const gchar *data = bytes != NULL ? g_bytes_get_data(bytes, &size) : NULL;
	*length = (gint)size;
	return data != NULL ? data : "";
}
