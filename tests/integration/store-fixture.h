/* A connection, a registry and a one-thread dispatcher on the test database, shared by the
 * inbox and outbox tests (included by each; static inline so that each takes what it uses). */
#pragma once

#include "ph-dispatcher.h"
#include "ph-test-db.h"

typedef struct {
	PhDb *db;
	PhRegistry *registry;
	PhDispatcher *dispatcher;
} Fixture;

/* Connects and runs @reset_sql (emptying the tables the test looks at); the caller then
 * registers its handlers and topics in fixture->registry. */
static inline void
store_fixture_setup(Fixture *fixture, PhTestDb *test_db, const gchar *reset_sql)
{
	g_autoptr(GError) error = NULL;
	fixture->db = ph_test_db_connect(test_db);
	ph_db_exec(fixture->db, reset_sql, &error);
	g_assert_no_error(error);
	fixture->registry = ph_registry_new();
	fixture->dispatcher = ph_dispatcher_new(fixture->registry, 1);
}

static inline void
fixture_teardown(Fixture *fixture, gconstpointer data)
{
	ph_dispatcher_free(fixture->dispatcher);
	ph_registry_free(fixture->registry);
	ph_db_free(fixture->db);
}

/* Processes and delivers on the test's connection until nothing is due. */
static inline void
run_once(Fixture *fixture)
{
	g_autoptr(GError) error = NULL;
	ph_dispatcher_run_once(fixture->dispatcher, fixture->db, NULL, &error);
	g_assert_no_error(error);
}

static inline gint64
count(Fixture *fixture, const gchar *sql)
{
	return ph_test_db_query_int(fixture->db, sql);
}
