/* libpq wrapper for core and hub: errors become GErrors with the server's own text,
 * lost connections are re-established before the next unit of work. */
#include "ph-db.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

/* Statements prepared on one connection; past this many, run the rest unprepared (SQL
 * built with values in its text would otherwise grow the cache without bound). */
#define PH_DB_MAX_PREPARED 512
/* How long an idle connection that got words unasked waits for its end (ph_db_alive). */
#define PH_DB_LAST_WORDS_MS 100

struct _PhDb {
	PGconn *conn;
	gchar *url;
	GHashTable *prepared; /* SQL text → statement name, for this connection */
	guint next_statement;
	guint session_holds; /* ph_db_hold_session() not yet released */
};

static void
ph_db_quiet_notices(void *arg, const char *message)
{
	/* NOTICEs (e.g. "relation already exists, skipping") are not errors; keep them at
	 * debug level so they do not clutter operators' logs. */
	g_debug("postgres: %s", message);
}

static PGconn *
ph_db_open(const gchar *url, GError **error)
{
	g_autoptr(PGconn) conn = PQconnectdb(url);
	if (PQstatus(conn) != CONNECTION_OK) {
		g_autofree gchar *why = g_strchomp(g_strdup(PQerrorMessage(conn)));
		g_set_error(error, PH_ERROR, PH_ERROR_DATABASE, "cannot connect to database: %s",
		            why);
		return NULL;
	}
	PQsetNoticeProcessor(conn, ph_db_quiet_notices, NULL);
	return g_steal_pointer(&conn);
}

PhDb *
ph_db_connect(const gchar *url, GError **error)
{
	g_return_val_if_fail(url != NULL, NULL);
	PGconn *conn = ph_db_open(url, error);
	if (conn == NULL)
		return NULL;
	PhDb *db = g_new0(PhDb, 1);
	db->conn = conn;
	db->url = g_strdup(url);
	db->prepared = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	return db;
}

void
ph_db_free(PhDb *db)
{
	if (db == NULL)
		return;
	g_clear_pointer(&db->conn, PQfinish);
	g_hash_table_unref(db->prepared);
	g_free(db->url);
	g_free(db);
}

PGconn *
ph_db_get_conn(PhDb *db)
{
	return db->conn;
}

const gchar *
ph_db_get_url(PhDb *db)
{
	return db->url;
}

/* Whether @conn still has its server. Between statements libpq only learns that its
 * backend has ended (the server restarted, or an operator ended it) from the next statement,
 * which then fails; every worker thread would lose one piece of work that way. Between
 * transactions the server says nothing unasked (the hub LISTENs to nothing), so a read that
 * does not wait finds nothing: one system call. Anything else is the end of the connection,
 * or the backend's last words, which its end follows at once (or a TLS record libpq reads
 * for itself): libpq reads them, waits a moment for the end, and reads again. In a
 * transaction the statements themselves tell, and a new connection could not carry the
 * transaction on anyway. */
static gboolean
ph_db_alive(PGconn *conn)
{
	if (PQstatus(conn) != CONNECTION_OK)
		return FALSE;
	if (PQtransactionStatus(conn) != PQTRANS_IDLE)
		return TRUE;
	char byte;
	ssize_t peeked = recv(PQsocket(conn), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
	if (peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return TRUE;
	if (peeked == 0 || PQconsumeInput(conn) != 1)
		return FALSE;
	struct pollfd end = {.fd = PQsocket(conn), .events = POLLIN};
	(void)poll(&end, 1, PH_DB_LAST_WORDS_MS);
	return PQconsumeInput(conn) == 1 && PQstatus(conn) == CONNECTION_OK;
}

void
ph_db_hold_session(PhDb *db)
{
	db->session_holds++;
}

void
ph_db_release_session(PhDb *db)
{
	if (db->session_holds > 0)
		db->session_holds--;
}

gboolean
ph_db_ensure(PhDb *db, GError **error)
{
	if (db->conn != NULL && ph_db_alive(db->conn))
		return TRUE;
	gboolean held = db->conn != NULL && db->session_holds > 0;
	g_clear_pointer(&db->conn, PQfinish);
	/* Prepared statements died with the old session. */
	g_hash_table_remove_all(db->prepared);
	if (held) {
		db->session_holds = 0;
		g_set_error_literal(error, PH_ERROR, PH_ERROR_DATABASE,
		                    "database: the connection was lost while it held a session "
		                    "lock; the work under the lock stops");
		return FALSE;
	}
	db->conn = ph_db_open(db->url, error);
	return db->conn != NULL;
}

static gboolean
ph_db_check(PhDb *db, PGresult *result, GError **error)
{
	ExecStatusType status = PQresultStatus(result);
	if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_COPY_IN ||
	    status == PGRES_COPY_OUT)
		return TRUE;
	const gchar *state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
	g_autofree gchar *why = g_strchomp(
	        g_strdup(result != NULL ? PQresultErrorMessage(result) : PQerrorMessage(db->conn)));
	/* 23505 unique_violation: the caller's business key already exists. */
	gint code = g_strcmp0(state, "23505") == 0 ? PH_ERROR_CONFLICT : PH_ERROR_DATABASE;
	g_set_error(error, PH_ERROR, code, "database: %s", why);
	return FALSE;
}

gboolean
ph_db_exec(PhDb *db, const gchar *sql, GError **error)
{
	g_autoptr(PGresult) result = NULL;
	if (!ph_db_ensure(db, error))
		return FALSE;
	result = PQexec(db->conn, sql);
	return ph_db_check(db, result, error);
}

/* The name of @sql prepared on this connection, preparing it on first use: hot statements
 * are then parsed and planned once per connection, not per call (the inbox and outbox run
 * a few for every partner message). NULL: run it unprepared (cache full, or preparing
 * failed — executing it unprepared then reports the error with the server's text). */
static const gchar *
ph_db_prepared_name(PhDb *db, const gchar *sql, gint n_params)
{
	const gchar *name = g_hash_table_lookup(db->prepared, sql);
	if (name != NULL || g_hash_table_size(db->prepared) >= PH_DB_MAX_PREPARED)
		return name;
	/* A statement that cannot be prepared could not run either, so a PREPARE that fails
	 * inside a transaction aborts nothing that would have survived; an already aborted
	 * transaction refuses every statement, so leave that to the plain path. */
	if (PQtransactionStatus(db->conn) == PQTRANS_INERROR)
		return NULL;
	g_autofree gchar *candidate = g_strdup_printf("ph_%u", ++db->next_statement);
	g_autoptr(PGresult) result = PQprepare(db->conn, candidate, sql, n_params, NULL);
	if (PQresultStatus(result) != PGRES_COMMAND_OK)
		return NULL;
	g_hash_table_insert(db->prepared, g_strdup(sql), g_steal_pointer(&candidate));
	return g_hash_table_lookup(db->prepared, sql);
}

PGresult *
ph_db_query_binary(PhDb *db, const gchar *sql, gint n_params, const gchar *const *params,
                   const gint *lengths, const gint *formats, GError **error)
{
	g_autoptr(PGresult) result = NULL;
	if (!ph_db_ensure(db, error))
		return NULL;
	const gchar *name = ph_db_prepared_name(db, sql, n_params);
	if (name != NULL)
		result = PQexecPrepared(db->conn, name, n_params, params, lengths, formats, 0);
	else
		result = PQexecParams(db->conn, sql, n_params, NULL, params, lengths, formats, 0);
	if (!ph_db_check(db, result, error))
		return NULL;
	return g_steal_pointer(&result);
}

PGresult *
ph_db_query(PhDb *db, const gchar *sql, gint n_params, const gchar *const *params, GError **error)
{
	return ph_db_query_binary(db, sql, n_params, params, NULL, NULL, error);
}

gboolean
ph_db_begin(PhDb *db, GError **error)
{
	return ph_db_exec(db, "BEGIN", error);
}

gboolean
ph_db_commit(PhDb *db, GError **error)
{
	return ph_db_exec(db, "COMMIT", error);
}

void
ph_db_rollback(PhDb *db)
{
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK)
		return;
	if (PQtransactionStatus(db->conn) == PQTRANS_IDLE)
		return;
	g_autoptr(PGresult) result = PQexec(db->conn, "ROLLBACK");
}

gboolean
ph_db_in_transaction(PhDb *db)
{
	if (db->conn == NULL)
		return FALSE;
	PGTransactionStatusType status = PQtransactionStatus(db->conn);
	return status == PQTRANS_INTRANS || status == PQTRANS_INERROR;
}

gint64
ph_db_get_int64(PGresult *result, gint row, gint column)
{
	if (PQgetisnull(result, row, column))
		return 0;
	return g_ascii_strtoll(PQgetvalue(result, row, column), NULL, 10);
}
