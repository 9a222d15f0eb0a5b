/* The one wrapper around libpq: a connection that knows its URL and reconnects, queries
 * with text parameters, transactions. Used by the core store and by the hub; one PhDb per
 * thread (libpq connections are not shared between threads). */
#pragma once

#include <glib.h>
#include <libpq-fe.h>

#include "ph-autocleanup.h"
#include "ph-error.h"

G_BEGIN_DECLS

typedef struct _PhDb PhDb;

/* Connects to a libpq URI or key=value string. */
PhDb *ph_db_connect(const gchar *url, GError **error);
void ph_db_free(PhDb *db);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhDb, ph_db_free)

PGconn *ph_db_get_conn(PhDb *db);
const gchar *ph_db_get_url(PhDb *db);

/* Makes sure the connection is up, reconnecting after a server restart; fails with
 * PH_ERROR_DATABASE when the server cannot be reached, or when the lost connection held
 * session state (ph_db_hold_session): that is gone with it, and the work under it must stop
 * (the next call connects again). Call before a unit of work. */
gboolean ph_db_ensure(PhDb *db, GError **error);

/* Around session state that outlives a transaction (a session advisory lock): while held,
 * a lost connection is reported by ph_db_ensure, never replaced without a word. */
void ph_db_hold_session(PhDb *db);
void ph_db_release_session(PhDb *db);

/* Runs SQL with no parameters and no rows wanted (may hold several statements). */
gboolean ph_db_exec(PhDb *db, const gchar *sql, GError **error);

/* Runs one statement with text parameters (NULL entries are SQL NULL). Returns the result
 * (rows or none) or NULL with PH_ERROR_DATABASE; a unique violation gives PH_ERROR_CONFLICT. */
PGresult *ph_db_query(PhDb *db, const gchar *sql, gint n_params, const gchar *const *params,
                      GError **error);

/* The same where some parameters are binary (bytea): @lengths and @formats per parameter
 * as in PQexecParams; rows come back as text. */
PGresult *ph_db_query_binary(PhDb *db, const gchar *sql, gint n_params, const gchar *const *params,
                             const gint *lengths, const gint *formats, GError **error);

gboolean ph_db_begin(PhDb *db, GError **error);
gboolean ph_db_commit(PhDb *db, GError **error);
/* Rolls back if a transaction is open; never fails (a lost connection has none). */
void ph_db_rollback(PhDb *db);
gboolean ph_db_in_transaction(PhDb *db);

/* Value of row @row, column @column as gint64 (0 for NULL). */
gint64 ph_db_get_int64(PGresult *result, gint row, gint column);

G_END_DECLS
