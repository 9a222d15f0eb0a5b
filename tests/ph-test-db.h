/* Test fixture: a throw-away PostgreSQL database, created from $PH_DATABASE_URL's server,
 * migrated, and dropped at the end. For integration tests and benchmarks only. */
#pragma once

#include <glib.h>

#include "ph-db.h"

G_BEGIN_DECLS

typedef struct _PhTestDb PhTestDb;

/* Creates and migrates a database with a unique name. Fails the test (with a message
 * saying how to get one) when $PH_DATABASE_URL is not set or the server is unreachable. */
PhTestDb *
ph_test_db_new(void);
/* Drops the database (closing any connection still open to it). */
void
ph_test_db_free(PhTestDb *test_db);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhTestDb, ph_test_db_free)

/* libpq connection string of the throw-away database. */
const gchar *
ph_test_db_get_url(PhTestDb *test_db);
/* A new connection to it (fails the test if it cannot connect). */
PhDb *
ph_test_db_connect(PhTestDb *test_db);
/* The first column of the first row of @sql as a number (fails the test on error). */
gint64
ph_test_db_query_int(PhDb *db, const gchar *sql);

/* Restarts the development cluster (the data folder the server reports) with pg_ctl -m
 * fast, as the postgres user; every open connection is cut. Fails the test if it cannot. */
void
ph_test_db_restart_server(void);

G_END_DECLS
