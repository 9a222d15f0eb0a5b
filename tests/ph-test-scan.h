/* Whole-database scan for values stored in the clear (tests of encryption at rest): every row
 * of every table of the connected database's schema read as text, bytea columns included (as
 * the hex of the value's bytes). Test code only. */
#pragma once

#include "ph-db.h"

G_BEGIN_DECLS

/* Where any of @values (NULL-terminated) is found: one "table.column: N rows" per column that
 * holds one, in table order; an empty array when none is. Logs each with g_test_message();
 * fails the test on a database error. */
GPtrArray *ph_test_scan_plaintext(PhDb *db, const gchar *const *values);

G_END_DECLS
