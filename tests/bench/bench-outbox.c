/* Benchmark: outbox dispatch of 100,000 no-op deliveries through the dispatcher threads
 * (claim, deliver, record outcome), against the target of 10,000 per second and,
 * as the reference measured in the same run, the database writing the same 100,000
 * state changes in one UPDATE statement (the floor no dispatcher can beat). */
#include "ph-dispatcher.h"
#include "ph-field-body.h"
#include "ph-field-key.h"
#include "ph-test-db.h"
#include "ph-test-hub.h"
#include "ph-worker-db.h"

#define MESSAGES 100000
#define TARGET   10000.0 /* deliveries per second, issue 2 §9 */

/* The payload every message carries: ten bytes, stored sealed when keys are installed. */
static const guint8 payload_bytes[] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99};

/* Checks that the deliverer got the opened payload, not the stored envelope. */
static gboolean
deliver_nothing(const PhOutboxMessage *message, gpointer state, GError **error)
{
	g_assert_cmpmem(g_bytes_get_data(message->payload, NULL),
	                g_bytes_get_size(message->payload), payload_bytes, sizeof(payload_bytes));
	return TRUE;
}

/* Payloads sealed at rest as in production (PH_BENCH_PLAINTEXT=1: as before), the key file
 * installed in the process as the daemon does. */
static void
install_keys(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhTestHub) hub = ph_test_hub_new("postgresql:///unused", NULL, NULL);
	g_autofree gchar *keys = ph_test_hub_keys_config(hub);
	ph_test_hub_write_config(hub, keys);
	g_autoptr(PhConfig) config = ph_config_load(hub->config_path, &error);
	g_assert_no_error(error);
	g_assert_true(ph_field_keys_install(config, &error));
	g_print("  payloads stored %s\n", keys[0] != '\0' ? "sealed (key file)" : "in plaintext");
}

/* The stored payload in hex: one envelope for all rows (each row's open costs the same as
 * with a nonce of its own; the fill is not measured). */
static gchar *
stored_payload_hex(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) plain = g_bytes_new_static(payload_bytes, sizeof(payload_bytes));
	g_autoptr(GBytes) stored = ph_field_body_seal(plain, PH_FIELD_BODY_OUTBOX, &error);
	g_assert_no_error(error);
	gsize length = 0;
	const guint8 *data = g_bytes_get_data(stored, &length);
	GString *hex = g_string_new(NULL);
	for (gsize i = 0; i < length; i++)
		g_string_append_printf(hex, "%02x", data[i]);
	return g_string_free(hex, FALSE);
}

static void
fill_outbox(PhDb *db)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *hex = stored_payload_hex();
	g_autofree gchar *sql =
	        g_strdup_printf("TRUNCATE outbox; INSERT INTO outbox (topic, key, payload) "
	                        "SELECT 'bench.noop', i::text, '\\x%s' "
	                        "FROM generate_series(1, %d) AS i; ANALYZE outbox",
	                        hex, MESSAGES);
	ph_db_exec(db, sql, &error);
	g_assert_no_error(error);
}

static gdouble
measure_dispatcher(PhDb *db, PhRegistry *registry, guint threads, guint batch_size)
{
	g_autoptr(PhDispatcher) dispatcher = ph_dispatcher_new(registry, threads);
	PhDispatcherCounts counts = {0};
	ph_dispatcher_set_batch_size(dispatcher, batch_size);
	ph_dispatcher_set_poll_interval(dispatcher, 5);
	fill_outbox(db);
	gint64 start = g_get_monotonic_time();
	ph_dispatcher_start(dispatcher);
	while (counts.outbox.delivered < MESSAGES) {
		g_usleep(1000);
		ph_dispatcher_get_counts(dispatcher, &counts);
	}
	gint64 elapsed = g_get_monotonic_time() - start;
	ph_dispatcher_stop(dispatcher);
	g_assert_cmpint(
	        ph_test_db_query_int(db, "SELECT count(*) FROM outbox WHERE state = 'delivered'"),
	        ==, MESSAGES);
	return MESSAGES / (elapsed / (gdouble)G_USEC_PER_SEC);
}

static gdouble
measure_reference(PhDb *db)
{
	g_autoptr(GError) error = NULL;
	fill_outbox(db);
	gint64 start = g_get_monotonic_time();
	ph_db_exec(db,
	           "UPDATE outbox SET state = 'delivered', delivered_at = now(), attempts = 1 "
	           "WHERE state = 'pending'",
	           &error);
	g_assert_no_error(error);
	gint64 elapsed = g_get_monotonic_time() - start;
	return MESSAGES / (elapsed / (gdouble)G_USEC_PER_SEC);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_autoptr(PhTestDb) test_db = ph_test_db_new();
	g_autoptr(PhDb) db = ph_test_db_connect(test_db);
	g_autoptr(PhRegistry) registry = ph_registry_new();
	g_autoptr(GError) error = NULL;
	const PhRetryPolicy policy = {1000, 60000, 5};
	ph_registry_add_topic(registry, NULL, "bench.noop", &policy, deliver_nothing, &error);
	g_assert_no_error(error);
	ph_worker_db_init(ph_test_db_get_url(test_db));

	const struct {
		guint threads;
		guint batch_size;
	} runs[] = {{1, 200}, {2, 200}, {4, 500}};
	g_print("outbox dispatch of %d no-op deliveries (target %.0f/s)\n", MESSAGES, TARGET);
	install_keys();
	gdouble best = 0;
	for (guint i = 0; i < G_N_ELEMENTS(runs); i++) {
		gdouble rate =
		        measure_dispatcher(db, registry, runs[i].threads, runs[i].batch_size);
		g_print("  dispatcher, %u threads, batch %3u: %8.0f msgs/s\n", runs[i].threads,
		        runs[i].batch_size, rate);
		best = MAX(best, rate);
	}
	g_print("  reference, one UPDATE of all rows:  %8.0f rows/s\n", measure_reference(db));
	g_print("  target:                             %8.0f msgs/s -> %s\n", TARGET,
	        best >= TARGET ? "met" : "NOT MET");
	/* A figure, not a verdict: timing is not a test. */
	return 0;
}
