/* Outbox against a real PostgreSQL: retries with backoff, dead letters and their retry,
 * isolation of a failing message, topics nobody delivers, and two dispatchers on one
 * database delivering each message exactly once. Suite integration. */
#include <string.h>

#include "ph-dispatcher.h"
#include "ph-outbox.h"
#include "ph-test-db.h"
#include "store-fixture.h"
#include "ph-txn.h"
#include "ph-worker-db.h"

static PhTestDb *test_db;

/* Deliveries seen per message key ("0".."N-1"), and overlaps of one key in flight. */
#define MAX_KEYS 1000
static gint delivered[MAX_KEYS];
static gint in_flight[MAX_KEYS];
static gint overlaps;
/* The flaky topic fails this many times in a row before it succeeds. */
static gint flaky_failures_left;

static gboolean
deliver_counting(const PhOutboxMessage *message, gpointer state, GError **error)
{
	guint64 key = g_ascii_strtoull(message->key, NULL, 10);
	g_assert_cmpuint(key, <, MAX_KEYS);
	if (g_atomic_int_add(&in_flight[key], 1) != 0)
		g_atomic_int_inc(&overlaps);
	g_usleep(100); /* widens the window in which a second dispatcher could collide */
	g_atomic_int_inc(&delivered[key]);
	g_atomic_int_add(&in_flight[key], -1);
	return TRUE;
}

static gboolean
deliver_flaky(const PhOutboxMessage *message, gpointer state, GError **error)
{
	if (g_atomic_int_add(&flaky_failures_left, -1) > 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_TRANSIENT, "partner answered 503");
		return FALSE;
	}
	return TRUE;
}

static gboolean
deliver_failing(const PhOutboxMessage *message, gpointer state, GError **error)
{
	g_set_error(error, PH_ERROR, PH_ERROR_TRANSIENT, "connection refused (attempt %u)",
	            message->attempt);
	return FALSE;
}

static gboolean
deliver_refused(const PhOutboxMessage *message, gpointer state, GError **error)
{
	g_set_error(error, PH_ERROR, PH_ERROR_PERMANENT, "partner says: unknown account");
	return FALSE;
}

/* A second connection, to look at a row's lease while it is being delivered. */
static PhDb *probe;
static gint delivered_after_lease;

/* Takes 700 ms for keys "slow…"; notes any delivery made after its row's lease ran out. */
static gboolean
deliver_checking_lease(const PhOutboxMessage *message, gpointer state, GError **error)
{
	g_autofree gchar *id = g_strdup_printf("%" G_GINT64_FORMAT, message->id);
	const gchar *params[] = {id};
	g_autoptr(GError) local = NULL;
	g_autoptr(PGresult) result = ph_db_query(
	        probe, "SELECT (next_attempt_at > now())::int FROM outbox WHERE id = $1", 1, params,
	        &local);
	g_assert_no_error(local);
	if (ph_db_get_int64(result, 0, 0) != 1)
		g_atomic_int_inc(&delivered_after_lease);
	if (g_str_has_prefix(message->key, "slow"))
		g_usleep(700 * 1000);
	return TRUE;
}

/* Delays long enough (60 s) that nothing becomes due by itself during a test. */
static const PhRetryPolicy policy = {60000, 600000, 3};

static void
fixture_setup(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	store_fixture_setup(fixture, test_db, "TRUNCATE outbox, dead_letter");
	memset(delivered, 0, sizeof(delivered));
	memset(in_flight, 0, sizeof(in_flight));
	overlaps = 0;
	ph_registry_add_topic(fixture->registry, NULL, "t.count", &policy, deliver_counting,
	                      &error);
	ph_registry_add_topic(fixture->registry, NULL, "t.flaky", &policy, deliver_flaky, &error);
	ph_registry_add_topic(fixture->registry, NULL, "t.fail", &policy, deliver_failing, &error);
	ph_registry_add_topic(fixture->registry, NULL, "t.refused", &policy, deliver_refused,
	                      &error);
	ph_registry_add_topic(fixture->registry, NULL, "t.lease", &policy, deliver_checking_lease,
	                      &error);
	g_assert_no_error(error);
}

static gint64
add(Fixture *fixture, const gchar *topic, const gchar *key)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) payload = g_bytes_new(key, strlen(key));
	gint64 id = 0;
	ph_outbox_add(fixture->db, topic, key, payload, &id, &error);
	g_assert_no_error(error);
	return id;
}

/* Makes every pending row due now, as if its backoff delay had passed. */
static void
time_passes(Fixture *fixture)
{
	g_autoptr(GError) error = NULL;
	ph_db_exec(fixture->db, "UPDATE outbox SET next_attempt_at = now() WHERE state = 'pending'",
	           &error);
	g_assert_no_error(error);
}

static void
test_outbox_fails_then_succeeds(Fixture *fixture, gconstpointer data)
{
	flaky_failures_left = 1;
	add(fixture, "t.flaky", "a");
	run_once(fixture);
	/* First retry: ceiling = initial 60 s, equal jitter puts it 30..60 s ahead. */
	g_assert_cmpint(count(fixture,
	                      "SELECT count(*) FROM outbox WHERE state = 'pending' AND "
	                      "attempts = 1 AND last_error = 'partner answered 503' AND "
	                      "lease_token IS NULL AND next_attempt_at "
	                      "BETWEEN now() + interval '29 s' AND now() + interval '61 s'"),
	                ==, 1);
	run_once(fixture); /* not due yet: nothing happens */
	g_assert_cmpint(count(fixture, "SELECT attempts FROM outbox"), ==, 1);
	time_passes(fixture);
	run_once(fixture);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM outbox WHERE state = 'delivered' AND "
	                               "attempts = 2 AND delivered_at IS NOT NULL"),
	                ==, 1);
	PhTopicCounts counts;
	g_assert_true(ph_dispatcher_get_topic_counts(fixture->dispatcher, "t.flaky", &counts));
	g_assert_cmpuint(counts.retried, ==, 1);
	g_assert_cmpuint(counts.delivered, ==, 1);
}

static void
test_outbox_backoff_doubles(Fixture *fixture, gconstpointer data)
{
	flaky_failures_left = 2;
	add(fixture, "t.flaky", "b");
	run_once(fixture);
	time_passes(fixture);
	run_once(fixture);
	/* Second retry: ceiling 2 × 60 s = 120 s, so 60..120 s ahead. */
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM outbox WHERE attempts = 2 AND "
	                               "next_attempt_at BETWEEN now() + interval '59 s' "
	                               "AND now() + interval '121 s'"),
	                ==, 1);
}

static void
test_outbox_dead_letter_and_retry_dead(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	gint64 id = add(fixture, "t.fail", "c");
	add(fixture, "t.count", "1");
	for (guint attempt = 1; attempt <= policy.max_attempts; attempt++) {
		run_once(fixture);
		time_passes(fixture);
	}
	/* Three attempts (policy.max_attempts) used: moved with its last error. */
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM outbox WHERE topic = 't.fail'"), ==,
	                0);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM dead_letter WHERE attempts = 3 AND "
	                               "last_error = 'connection refused (attempt 3)'"),
	                ==, 1);
	/* The failing message did not hold up the other one. */
	g_assert_cmpint(delivered[1], ==, 1);

	g_autoptr(PhOutboxRecord) dead = ph_outbox_show(fixture->db, id, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(dead->state, ==, "dead");

	guint revived = 0;
	g_assert_true(ph_outbox_retry_dead(fixture->db, "t.other", &revived, &error));
	g_assert_cmpuint(revived, ==, 0);
	g_assert_true(ph_outbox_retry_dead(fixture->db, "t.fail", &revived, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(revived, ==, 1);
	g_assert_cmpint(count(fixture,
	                      "SELECT count(*) FROM outbox WHERE topic = 't.fail' AND "
	                      "state = 'pending' AND attempts = 0 AND next_attempt_at <= now()"),
	                ==, 1);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM dead_letter"), ==, 0);
	/* It runs again with a fresh set of attempts. */
	run_once(fixture);
	g_assert_cmpint(count(fixture, "SELECT attempts FROM outbox WHERE topic = 't.fail'"), ==,
	                1);
	PhDispatcherCounts counts;
	ph_dispatcher_get_counts(fixture->dispatcher, &counts);
	g_assert_cmpuint(counts.outbox.dead_lettered, ==, 1);
}

static void
test_outbox_permanent_dead_at_once(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	gint64 id = add(fixture, "t.refused", "d");
	run_once(fixture);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM dead_letter WHERE attempts = 1"), ==,
	                1);
	/* retry ID brings one dead letter back. */
	g_assert_true(ph_outbox_retry(fixture->db, id, &error));
	g_assert_no_error(error);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM outbox WHERE state = 'pending'"), ==,
	                1);
}

static void
test_outbox_retry_refusals(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	gint64 id = add(fixture, "t.count", "2");
	run_once(fixture);
	g_assert_false(ph_outbox_retry(fixture->db, id, &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_CONFLICT);
	g_clear_error(&error);
	g_assert_false(ph_outbox_retry(fixture->db, id + 1000, &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_NOT_FOUND);
}

static void
test_outbox_unrouted_topic_stays(Fixture *fixture, gconstpointer data)
{
	add(fixture, "t.nobody", "e");
	run_once(fixture);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM outbox WHERE topic = 't.nobody' AND "
	                               "state = 'pending' AND attempts = 0"),
	                ==, 1);
}

static void
test_outbox_written_with_the_change(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) payload = g_bytes_new_static("p", 1);
	{
		g_autoptr(PhTxn) txn = ph_txn_begin(fixture->db, NULL, &error);
		ph_txn_outbox_add(txn, "t.count", "3", payload, &error);
		g_assert_no_error(error);
		/* dropped without commit: rolled back with its outbox row */
	}
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM outbox"), ==, 0);
	g_autoptr(PhTxn) txn = ph_txn_begin(fixture->db, NULL, &error);
	ph_txn_outbox_add(txn, "t.count", "3", payload, &error);
	g_assert_cmpuint(ph_txn_get_outbox_added(txn), ==, 1);
	g_assert_true(ph_txn_commit(txn, &error));
	g_assert_no_error(error);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM outbox"), ==, 1);
}

static void
test_outbox_list(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	add(fixture, "t.count", "4");
	add(fixture, "t.refused", "f");
	run_once(fixture);
	g_autoptr(GPtrArray) all = ph_outbox_list(fixture->db, NULL, NULL, 10, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(all->len, ==, 2);
	g_autoptr(GPtrArray) dead = ph_outbox_list(fixture->db, "dead", NULL, 10, &error);
	g_assert_cmpuint(dead->len, ==, 1);
	g_assert_cmpstr(((PhOutboxRecord *)g_ptr_array_index(dead, 0))->topic, ==, "t.refused");
	g_autoptr(GPtrArray) delivered_rows =
	        ph_outbox_list(fixture->db, "delivered", "t.count", 10, &error);
	g_assert_cmpuint(delivered_rows->len, ==, 1);
}

static void
test_outbox_batch_stops_at_half_lease(Fixture *fixture, gconstpointer data)
{
	/* Lease 1 s; two 700 ms deliveries in one batch would run the third past the lease
	 * (1.4 s). The dispatcher stops at half the lease and hands the rest back. */
	add(fixture, "t.lease", "slow-1");
	add(fixture, "t.lease", "slow-2");
	add(fixture, "t.lease", "quick");
	probe = ph_test_db_connect(test_db);
	delivered_after_lease = 0;
	ph_dispatcher_set_lease_seconds(fixture->dispatcher, 1);
	run_once(fixture);
	g_clear_pointer(&probe, ph_db_free);
	g_assert_cmpint(delivered_after_lease, ==, 0);
	/* Handed-back rows did not count an attempt. */
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM outbox WHERE state = 'delivered' "
	                               "AND attempts = 1"),
	                ==, 3);
}

static void
wait_for_delivered(Fixture *fixture, gint64 expected)
{
	/* Not a timing assertion: it waits for an outcome (meson's timeout bounds it). */
	while (count(fixture, "SELECT count(*) FROM outbox WHERE state = 'delivered'") < expected)
		g_usleep(10000);
}

static void
test_outbox_two_dispatchers(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	ph_db_exec(fixture->db,
	           "INSERT INTO outbox (topic, key, payload) "
	           "SELECT 't.count', i::text, 'x' FROM generate_series(0, 999) AS i",
	           &error);
	g_assert_no_error(error);
	ph_worker_db_init(ph_test_db_get_url(test_db));
	g_autoptr(PhDispatcher) one = ph_dispatcher_new(fixture->registry, 2);
	g_autoptr(PhDispatcher) two = ph_dispatcher_new(fixture->registry, 2);
	ph_dispatcher_set_batch_size(one, 10);
	ph_dispatcher_set_batch_size(two, 10);
	ph_dispatcher_start(one);
	ph_dispatcher_start(two);
	wait_for_delivered(fixture, MAX_KEYS);
	ph_dispatcher_stop(one);
	ph_dispatcher_stop(two);

	for (guint key = 0; key < MAX_KEYS; key++)
		g_assert_cmpint(delivered[key], ==, 1);
	g_assert_cmpint(overlaps, ==, 0);
	PhDispatcherCounts first, second;
	ph_dispatcher_get_counts(one, &first);
	ph_dispatcher_get_counts(two, &second);
	g_test_message("dispatcher one delivered %" G_GUINT64_FORMAT ", two %" G_GUINT64_FORMAT,
	               first.outbox.delivered, second.outbox.delivered);
	g_assert_cmpuint(first.outbox.delivered + second.outbox.delivered, ==, MAX_KEYS);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	test_db = ph_test_db_new();
#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
	ADD("/outbox/fails-then-succeeds", test_outbox_fails_then_succeeds);
	ADD("/outbox/backoff-doubles", test_outbox_backoff_doubles);
	ADD("/outbox/dead-letter-and-retry-dead", test_outbox_dead_letter_and_retry_dead);
	ADD("/outbox/permanent-dead-at-once", test_outbox_permanent_dead_at_once);
	ADD("/outbox/retry-refusals", test_outbox_retry_refusals);
	ADD("/outbox/unrouted-topic-stays", test_outbox_unrouted_topic_stays);
	ADD("/outbox/written-with-the-change", test_outbox_written_with_the_change);
	ADD("/outbox/list", test_outbox_list);
	ADD("/outbox/batch-stops-at-half-lease", test_outbox_batch_stops_at_half_lease);
	ADD("/outbox/two-dispatchers", test_outbox_two_dispatchers);
#undef ADD
	int status = g_test_run();
	ph_test_db_free(test_db);
	return status;
}
