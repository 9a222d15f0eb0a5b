/* The database restarts while the dispatcher works: it reconnects and carries on, and
 * every inbox message is applied once and every outbox message delivered once. Restarts
 * the development cluster, so it is the only test that does. And a connection whose
 * backend ended while it was idle is replaced before its next statement, which then
 * succeeds. Suite integration. */
#include <string.h>

#include "ph-answer.h"
#include "ph-dispatcher.h"
#include "ph-inbox.h"
#include "ph-outbox.h"
#include "ph-test-db.h"
#include "ph-txn.h"
#include "ph-worker-db.h"

#define OUTBOX_MESSAGES 2000
#define INBOX_MESSAGES  200

static gint delivered[OUTBOX_MESSAGES];
static gint delivered_total;

static gboolean
deliver_slowly(const PhOutboxMessage *message, gpointer state, GError **error)
{
	guint64 key = g_ascii_strtoull(message->key, NULL, 10);
	g_assert_cmpuint(key, <, OUTBOX_MESSAGES);
	g_usleep(1000); /* a partner's round trip: the run lasts about a second */
	g_atomic_int_inc(&delivered[key]);
	g_atomic_int_inc(&delivered_total);
	return TRUE;
}

static gboolean
apply_effect(PhTxn *txn, const PhInboxMessage *message, gpointer state, GError **error)
{
	const gchar *params[] = {message->message_id};
	g_autoptr(PGresult) result =
	        ph_db_query(ph_txn_get_db(txn), "INSERT INTO test_effect (message_id) VALUES ($1)",
	                    1, params, error);
	return result != NULL;
}

static void
store_inbox(PhDb *db, guint first, guint count)
{
	g_autoptr(PhAnswer) answer = ph_answer_new(202, NULL, NULL);
	for (guint i = first; i < first + count; i++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *id = g_strdup_printf("in-%u", i);
		g_autoptr(GBytes) body = g_bytes_new(id, strlen(id));
		g_autoptr(PhAnswer) stored = ph_inbox_store(db, "personnel", "test.kind", id, body,
		                                            answer, NULL, NULL, &error);
		g_assert_no_error(error);
	}
}

static void
test_restart_mid_run(void)
{
	g_autoptr(PhTestDb) test_db = ph_test_db_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(PhDb) db = ph_test_db_connect(test_db);
	g_autoptr(PhRegistry) registry = ph_registry_new();
	const PhRetryPolicy policy = {100, 1000, 0};

	ph_db_exec(db,
	           "CREATE TABLE test_effect (message_id text); "
	           "INSERT INTO outbox (topic, key, payload) "
	           "SELECT 't.slow', i::text, 'x' FROM generate_series(0, 1999) AS i",
	           &error);
	g_assert_no_error(error);
	store_inbox(db, 0, INBOX_MESSAGES / 2);
	ph_registry_add_topic(registry, NULL, "t.slow", &policy, deliver_slowly, &error);
	ph_registry_add_inbox_handler(registry, NULL, "test.kind", apply_effect, &error);
	g_assert_no_error(error);

	ph_worker_db_init(ph_test_db_get_url(test_db));
	g_autoptr(PhDispatcher) dispatcher = ph_dispatcher_new(registry, 2);
	/* A claim cut by the restart comes back after the lease; keep that short. */
	ph_dispatcher_set_lease_seconds(dispatcher, 5);
	ph_dispatcher_set_batch_size(dispatcher, 50);
	ph_dispatcher_set_poll_interval(dispatcher, 20);
	/* The outage is expected to be reported; do not let warnings abort the test. */
	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	ph_dispatcher_start(dispatcher);

	while (g_atomic_int_get(&delivered_total) < 200)
		g_usleep(1000);
	ph_test_db_restart_server();
	gint at_restart_end = g_atomic_int_get(&delivered_total);
	g_test_message("%d of %d delivered when the restart finished", at_restart_end,
	               OUTBOX_MESSAGES);
	g_assert_cmpint(at_restart_end, <, OUTBOX_MESSAGES);

	/* The old connection died with the server. */
	ph_db_free(g_steal_pointer(&db));
	db = ph_test_db_connect(test_db);
	store_inbox(db, INBOX_MESSAGES / 2, INBOX_MESSAGES / 2);
	ph_dispatcher_wake(dispatcher);
	while (ph_test_db_query_int(db, "SELECT count(*) FROM outbox WHERE state = 'delivered'") <
	               OUTBOX_MESSAGES ||
	       ph_test_db_query_int(db, "SELECT count(*) FROM inbox WHERE state = 'processed'") <
	               INBOX_MESSAGES)
		g_usleep(10000);
	ph_dispatcher_stop(dispatcher);

	for (guint key = 0; key < OUTBOX_MESSAGES; key++)
		g_assert_cmpint(delivered[key], ==, 1);
	g_assert_cmpint(ph_test_db_query_int(db, "SELECT count(*) FROM test_effect"), ==,
	                INBOX_MESSAGES);
	g_assert_cmpint(
	        ph_test_db_query_int(db, "SELECT count(DISTINCT message_id) FROM test_effect"), ==,
	        INBOX_MESSAGES);
	ph_db_free(g_steal_pointer(&db));
}

/* Ends backend @pid as an operator's pg_terminate_backend does, and waits until it is gone. */
static void
end_backend(PhTestDb *test_db, gint pid)
{
	g_autoptr(PhDb) admin = ph_test_db_connect(test_db);
	g_autofree gchar *terminate = g_strdup_printf("SELECT pg_terminate_backend(%d)::int", pid);
	g_assert_cmpint(ph_test_db_query_int(admin, terminate), ==, 1);
	g_autofree gchar *gone =
	        g_strdup_printf("SELECT count(*) FROM pg_stat_activity WHERE pid = %d", pid);
	for (guint i = 0; i < 500 && ph_test_db_query_int(admin, gone) > 0; i++)
		g_usleep(10 * 1000);
	g_assert_cmpint(ph_test_db_query_int(admin, gone), ==, 0);
}

/* A worker's connection whose backend was ended while it sat idle between transactions (as a
 * restart or an operator's pg_terminate_backend ends it) is replaced when the worker takes it
 * next: the first statement after succeeds, on a new backend. */
static void
test_idle_connection_ended(void)
{
	g_autoptr(PhTestDb) test_db = ph_test_db_new();
	g_autoptr(GError) error = NULL;
	ph_worker_db_init(ph_test_db_get_url(test_db));
	PhDb *db = ph_worker_db_get(&error);
	g_assert_no_error(error);
	g_assert_cmpint(ph_test_db_query_int(db, "SELECT 1"), ==, 1);
	gint ended = PQbackendPID(ph_db_get_conn(db));
	end_backend(test_db, ended);

	db = ph_worker_db_get(&error);
	g_assert_no_error(error);
	ph_db_exec(db, "SELECT 1", &error);
	g_assert_no_error(error);
	g_assert_cmpint(PQbackendPID(ph_db_get_conn(db)), !=, ended);
}

/* The same while the connection holds a session lock (a personnel batch's claim): the lock
 * went with the backend, so the loss is reported, not papered over by a new connection; the
 * call after connects again. */
static void
test_idle_connection_ended_holding_lock(void)
{
	g_autoptr(PhTestDb) test_db = ph_test_db_new();
	g_autoptr(GError) error = NULL;
	ph_worker_db_init(ph_test_db_get_url(test_db));
	PhDb *db = ph_worker_db_get(&error);
	g_assert_no_error(error);
	g_assert_cmpint(ph_test_db_query_int(db, "SELECT count(pg_advisory_lock(42))"), ==, 1);
	ph_db_hold_session(db);
	gint ended = PQbackendPID(ph_db_get_conn(db));
	end_backend(test_db, ended);

	g_assert_null(ph_worker_db_get(&error));
	g_assert_error(error, PH_ERROR, PH_ERROR_DATABASE);
	g_assert_nonnull(strstr(error->message, "held a session lock"));
	g_clear_error(&error);
	db = ph_worker_db_get(&error);
	g_assert_no_error(error);
	ph_db_exec(db, "SELECT 1", &error);
	g_assert_no_error(error);
	g_assert_cmpint(PQbackendPID(ph_db_get_conn(db)), !=, ended);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/store/restart-mid-run", test_restart_mid_run);
	g_test_add_func("/store/idle-connection-ended", test_idle_connection_ended);
	g_test_add_func("/store/idle-connection-ended-holding-lock",
	                test_idle_connection_ended_holding_lock);
	return g_test_run();
}
