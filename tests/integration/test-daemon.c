/* End-to-end tests of the daemon: a real pension-hub process on its own database, real
 * mutual TLS with the dev PKI, and the probe test plugin (tests/plugins/probe). */
#include <curl/curl.h>
#include <gio/gio.h>
#include <signal.h>
#include <string.h>

#include "ph-test-db.h"
#include "ph-test-hub.h"

static const gchar *const probe_only[] = {"probe", NULL};

static size_t
discard_body(char *data, size_t size, size_t count, void *user_data)
{
	return size * count;
}

typedef struct {
	PhTestDb *db;
	PhTestHub *hub;
} Fixture;

static void
fixture_set_up(Fixture *fixture, gconstpointer extra)
{
	fixture->db = ph_test_db_new();
	fixture->hub = ph_test_hub_new(ph_test_db_get_url(fixture->db), probe_only, extra);
	ph_test_hub_start(fixture->hub);
}

static void
fixture_tear_down(Fixture *fixture, gconstpointer extra)
{
	g_clear_pointer(&fixture->hub, ph_test_hub_free);
	g_clear_pointer(&fixture->db, ph_test_db_free);
}

static glong
post_message(PhTestHub *hub, const gchar *partner, const gchar *message_id, const gchar *body,
	     gchar **answer)
{
	g_autofree gchar *header = g_strdup_printf("X-Message-Id: %s", message_id);
	const gchar *headers[] = {header, NULL};
	return ph_test_hub_post(hub, partner, "/probe/v1/messages", headers, body, answer);
}

static gchar *
state_value(Fixture *fixture, const gchar *key, const gchar *expected, guint timeout_ms)
{
	g_autofree gchar *sql = g_strdup_printf(
	    "SELECT convert_from(value, 'UTF8') FROM plugin_state WHERE plugin = 'probe' AND "
	    "key = '%s'",
	    key);
	return ph_test_wait_for_value(ph_test_db_get_url(fixture->db), sql, expected, timeout_ms);
}

static void
test_healthz_and_metrics(Fixture *fixture, gconstpointer extra)
{
	g_autofree gchar *health = NULL;
	g_autofree gchar *metrics = NULL;
	g_assert_cmpint(ph_test_hub_admin_get(fixture->hub, "/healthz", &health), ==, 200);
	g_assert_nonnull(strstr(health, "\"status\":\"ok\""));
	g_assert_nonnull(strstr(health, "\"database\":\"ok\""));
	g_assert_nonnull(strstr(health, "{\"name\":\"probe\",\"state\":\"loaded\"}"));

	g_autofree gchar *answer = NULL;
	g_assert_cmpint(post_message(fixture->hub, "personnel", "m-metrics", "hello", &answer), ==,
			202);
	g_assert_cmpint(ph_test_hub_admin_get(fixture->hub, "/metrics", &metrics), ==, 200);
	g_assert_nonnull(
	    strstr(metrics, "ph_http_requests_total{route=\"/probe/v1/messages\",status=\"202\"} 1"));
}

static void
test_no_certificate_refused(Fixture *fixture, gconstpointer extra)
{
	g_autofree gchar *url =
	    g_strdup_printf("https://127.0.0.1:%u/probe/v1/messages", fixture->hub->partner_port);
	PhTestRequest request = {"POST", url, NULL, NULL, NULL, NULL};
	/* 0: the handshake failed, no HTTP status at all. */
	g_assert_cmpint(ph_test_http(fixture->hub, &request, NULL), ==, 0);
}

static void
test_untrusted_ca_refused(Fixture *fixture, gconstpointer extra)
{
	/* rogue.crt says CN=transfer-platform but is issued by a CA the hub does not trust. */
	g_autofree gchar *url =
	    g_strdup_printf("https://127.0.0.1:%u/probe/v1/messages", fixture->hub->partner_port);
	PhTestRequest request = {"POST", url, "rogue", NULL, NULL, NULL};
	g_assert_cmpint(ph_test_http(fixture->hub, &request, NULL), ==, 0);
}

static void
test_route_forbidden_for_partner(Fixture *fixture, gconstpointer extra)
{
	g_autofree gchar *answer = NULL;
	g_autofree gchar *count = NULL;
	/* medical is a configured partner, but the probe route allows only two others. */
	g_assert_cmpint(post_message(fixture->hub, "medical", "m-403", "x", &answer), ==, 403);
	count = ph_test_query_value(ph_test_db_get_url(fixture->db), "SELECT count(*) FROM inbox");
	g_assert_cmpstr(count, ==, "0");
}

/* Several requests on one keep-alive connection: libsoup hands the peer certificate only
 * to the first, the hub must still know the partner on the others. */
static void
test_keep_alive_connection(Fixture *fixture, gconstpointer extra)
{
	g_autofree gchar *url =
	    g_strdup_printf("https://127.0.0.1:%u/probe/v1/messages", fixture->hub->partner_port);
	g_autofree gchar *ca = g_build_filename(fixture->hub->pki, "ca.crt", NULL);
	g_autofree gchar *cert = g_build_filename(fixture->hub->pki, "personnel.crt", NULL);
	g_autofree gchar *key = g_build_filename(fixture->hub->pki, "personnel.key", NULL);
	CURL *curl = curl_easy_init();
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CAINFO, ca);
	curl_easy_setopt(curl, CURLOPT_SSLCERT, cert);
	curl_easy_setopt(curl, CURLOPT_SSLKEY, key);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "keep");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_body);
	for (guint i = 0; i < 5; i++) {
		g_autofree gchar *header = g_strdup_printf("X-Message-Id: m-keep-%u", i);
		struct curl_slist *headers = curl_slist_append(NULL, header);
		long status = 0, connects = -1;
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
		g_assert_cmpint(curl_easy_perform(curl), ==, CURLE_OK);
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects);
		g_assert_cmpint(status, ==, 202);
		/* The connection was reused after the first request. */
		g_assert_cmpint(connects, ==, i == 0 ? 1 : 0);
		curl_slist_free_all(headers);
	}
	curl_easy_cleanup(curl);
}

static void
test_unknown_route(Fixture *fixture, gconstpointer extra)
{
	g_assert_cmpint(ph_test_hub_post(fixture->hub, "personnel", "/nothing/here", NULL, "x", NULL),
			==, 404);
}

static void
test_duplicate_and_conflict(Fixture *fixture, gconstpointer extra)
{
	g_autofree gchar *first = NULL;
	g_autofree gchar *again = NULL;
	g_autofree gchar *other = NULL;
	g_assert_cmpint(post_message(fixture->hub, "personnel", "m-dup", "body one", &first), ==, 202);
	g_assert_cmpstr(first, ==, "ACCEPTED m-dup\n");
	g_autofree gchar *applied = state_value(fixture, "applied:m-dup", "1", 10000);
	g_assert_cmpstr(applied, ==, "1");

	/* The same bytes again: the first answer, and nothing applied twice. */
	g_assert_cmpint(post_message(fixture->hub, "personnel", "m-dup", "body one", &again), ==, 202);
	g_assert_cmpstr(again, ==, first);
	/* Other bytes under the same id: a conflict, nothing stored. */
	g_assert_cmpint(post_message(fixture->hub, "personnel", "m-dup", "body two", &other), ==, 409);
	g_usleep(500 * 1000);
	g_autofree gchar *still = state_value(fixture, "applied:m-dup", "1", 0);
	g_assert_cmpstr(still, ==, "1");
	g_autofree gchar *rows = ph_test_query_value(ph_test_db_get_url(fixture->db),
						     "SELECT count(*) FROM inbox");
	g_assert_cmpstr(rows, ==, "1");
	/* The same message id from another partner is another message. */
	g_assert_cmpint(post_message(fixture->hub, "transfer-platform", "m-dup", "body two", NULL),
			==, 202);
}

static void
test_body_limit(Fixture *fixture, gconstpointer extra)
{
	ph_test_hub_signal(fixture->hub, SIGTERM);
	fixture->hub->body_limit = 1024;
	ph_test_hub_write_config(fixture->hub, NULL);
	ph_test_hub_start(fixture->hub);
	g_autofree gchar *big = g_strnfill(4096, 'x');
	g_assert_cmpint(post_message(fixture->hub, "personnel", "m-big", big, NULL), ==, 413);
	g_assert_cmpint(post_message(fixture->hub, "personnel", "m-small", "small", NULL), ==, 202);

	/* Chunked bodies carry no length up front: counted as they arrive. */
	const gchar *chunked_big[] = {"X-Message-Id: m-chunked-big", "Transfer-Encoding: chunked",
				      NULL};
	g_assert_cmpint(ph_test_hub_post(fixture->hub, "personnel", "/probe/v1/messages",
					 chunked_big, big, NULL),
			==, 413);
	g_autofree gchar *under = g_strnfill(1000, 'y');
	const gchar *chunked_small[] = {"X-Message-Id: m-chunked-small",
					"Transfer-Encoding: chunked", NULL};
	g_assert_cmpint(ph_test_hub_post(fixture->hub, "personnel", "/probe/v1/messages",
					 chunked_small, under, NULL),
			==, 202);
	g_autofree gchar *kept = ph_test_query_value(
	    ph_test_db_get_url(fixture->db),
	    "SELECT length(body) FROM inbox WHERE message_id = 'm-chunked-small'");
	g_assert_cmpstr(kept, ==, "1000");
	g_autofree gchar *refused = ph_test_query_value(
	    ph_test_db_get_url(fixture->db),
	    "SELECT count(*) FROM inbox WHERE message_id = 'm-chunked-big'");
	g_assert_cmpstr(refused, ==, "0");

	/* And never held whole: 64 MiB sent chunked against the 1 KiB limit leave the hub's
	 * peak memory far below 64 MiB (it read them whole before). */
	g_autofree gchar *huge = g_malloc(64 << 20);
	memset(huge, 'z', 64 << 20);
	huge[(64 << 20) - 1] = '\0';
	g_assert_cmpint(ph_test_hub_post(fixture->hub, "personnel", "/probe/v1/messages",
					 chunked_big, huge, NULL),
			==, 413);
	g_assert_cmpint(ph_test_proc_kib(fixture->hub->pid, "VmHWM"), <, 48 * 1024);
}

static void
test_delivery_retried_then_delivered(Fixture *fixture, gconstpointer extra)
{
	g_assert_cmpint(post_message(fixture->hub, "personnel", "m-retry", "fail:2 then ok", NULL),
			==, 202);
	g_autofree gchar *delivered = state_value(fixture, "delivered:m-retry", "1", 15000);
	g_assert_cmpstr(delivered, ==, "1");
	g_autofree gchar *attempts = ph_test_query_value(
	    ph_test_db_get_url(fixture->db),
	    "SELECT attempts FROM outbox WHERE key = 'm-retry' AND state = 'delivered'");
	g_assert_cmpstr(attempts, ==, "3");
}

static void
test_dead_letter(Fixture *fixture, gconstpointer extra)
{
	const gchar *url = ph_test_db_get_url(fixture->db);
	g_assert_cmpint(post_message(fixture->hub, "personnel", "m-dead", "never works", NULL), ==,
			202);
	/* Policy of probe.deliver: 5 attempts, 50 ms doubling to at most 400 ms. */
	g_autofree gchar *dead = ph_test_wait_for_value(
	    url, "SELECT count(*) FROM dead_letter WHERE key = 'm-dead'", "1", 20000);
	g_assert_cmpstr(dead, ==, "1");
	g_autofree gchar *error = ph_test_query_value(
	    url, "SELECT last_error FROM dead_letter WHERE key = 'm-dead'");
	g_assert_nonnull(strstr(error, "probe partner is down"));
}

/* A core event of a subscribed type is queued on the plugin's topic in the event's own
 * transaction and delivered once; an event nobody subscribed to queues nothing. */
static void
test_core_event_routed(Fixture *fixture, gconstpointer extra)
{
	const gchar *url = ph_test_db_get_url(fixture->db);
	g_autofree gchar *inserted = ph_test_query_value(
	    url, "WITH e AS (INSERT INTO core_event (type, business_key, payload) VALUES "
		 "('probe_event', 'k1', '{\"x\": 1}'), ('nobody_listens', 'k2', '{}') "
		 "RETURNING 1) SELECT count(*) FROM e");
	g_assert_cmpstr(inserted, ==, "2");
	g_autofree gchar *delivered = state_value(fixture, "delivered:probe_event:k1", "1", 10000);
	g_assert_cmpstr(delivered, ==, "1");
	g_autofree gchar *queued = ph_test_query_value(url, "SELECT count(*) FROM outbox");
	g_assert_cmpstr(queued, ==, "1");
	g_autofree gchar *payload = ph_test_query_value(
	    url, "SELECT convert_from(payload, 'UTF8')::json->>'business_key' FROM outbox");
	g_assert_cmpstr(payload, ==, "k1");
}

static void
test_sigterm_exits_cleanly(Fixture *fixture, gconstpointer extra)
{
	g_assert_cmpint(ph_test_hub_signal(fixture->hub, SIGTERM), ==, 0);
}

/* kill -9 after the message was stored and acknowledged but before its handler committed:
 * after a restart it is processed, exactly once. */
static void
test_kill_between_store_and_process(Fixture *fixture, gconstpointer extra)
{
	g_autofree gchar *answer = NULL;
	g_assert_cmpint(post_message(fixture->hub, "personnel", "m-crash", "survive", &answer), ==,
			202);
	g_assert_cmpint(ph_test_hub_signal(fixture->hub, SIGKILL), ==, 128 + SIGKILL);
	g_autofree gchar *before = state_value(fixture, "applied:m-crash", NULL, 0);
	g_assert_null(before);

	ph_test_hub_write_config(fixture->hub, "[plugin probe]\napply_delay_ms = 0\n");
	ph_test_hub_start(fixture->hub);
	g_autofree gchar *applied = state_value(fixture, "applied:m-crash", "1", 15000);
	g_assert_cmpstr(applied, ==, "1");
	g_autofree gchar *delivered = state_value(fixture, "delivered:m-crash", "1", 15000);
	g_assert_cmpstr(delivered, ==, "1");
	/* And it stays once: nothing re-applies it later. */
	g_usleep(1500 * 1000);
	g_autofree gchar *still = state_value(fixture, "applied:m-crash", "1", 0);
	g_assert_cmpstr(still, ==, "1");
}

static void
test_database_down_reported(void)
{
	/* A database server that is not there: the hub starts, says so, and answers 503. */
	g_autoptr(PhTestHub) hub = NULL;
	g_autofree gchar *health = NULL;
	hub = ph_test_hub_new("postgresql:///pension_hub?host=/nonexistent", probe_only, NULL);
	ph_test_hub_start(hub);
	g_assert_cmpint(ph_test_hub_admin_get(hub, "/healthz", &health), ==, 503);
	g_assert_nonnull(strstr(health, "\"database\":\"unreachable\""));
}

/* A module with another ABI version is refused, naming why, and the others still load. */
static void
test_bad_plugin_refused_others_load(void)
{
	static const gchar *const plugins[] = {"wrongabi", "probe", NULL};
	g_autoptr(PhTestDb) db = ph_test_db_new();
	g_autoptr(PhTestHub) hub = ph_test_hub_new(ph_test_db_get_url(db), plugins, NULL);
	g_autofree gchar *health = NULL;
	ph_test_hub_start(hub);
	g_assert_cmpint(ph_test_hub_admin_get(hub, "/healthz", &health), ==, 200);
	g_assert_nonnull(strstr(health, "{\"name\":\"probe\",\"state\":\"loaded\"}"));
	g_assert_nonnull(strstr(health, "\"name\":\"wrongabi\",\"state\":\"failed\""));
	g_assert_nonnull(strstr(health, "ABI"));
	g_assert_cmpint(post_message(hub, "personnel", "m-abi", "x", NULL), ==, 202);
}

/* A listener port someone else holds: the daemon exits at once naming the address (not
 * half-started), and the test fixture then moves to fresh ports. */
static void
test_port_taken(void)
{
	g_autoptr(PhTestDb) db = ph_test_db_new();
	g_autoptr(PhTestHub) hub = ph_test_hub_new(ph_test_db_get_url(db), probe_only, NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) holder = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
						 G_SOCKET_PROTOCOL_TCP, &error);
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) address = g_inet_socket_address_new(loopback, 0);
	g_assert_true(g_socket_bind(holder, address, FALSE, &error));
	g_assert_true(g_socket_listen(holder, &error));
	g_autoptr(GSocketAddress) bound = g_socket_get_local_address(holder, &error);
	guint taken = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	hub->partner_port = taken;
	ph_test_hub_write_config(hub, NULL);

	g_autofree gchar *binary = g_build_filename(g_getenv("PH_BUILD_DIR"), "hub", "pension-hub", NULL);
	const gchar *argv[] = {binary, "--config", hub->config_path, NULL};
	g_autofree gchar *err = NULL;
	gint status = 0;
	g_assert_true(g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
				   NULL, NULL, &err, &status, &error));
	g_assert_false(g_spawn_check_wait_status(status, NULL));
	g_autofree gchar *expected = g_strdup_printf("cannot listen on 127.0.0.1:%u", taken);
	g_assert_nonnull(strstr(err, expected));

	ph_test_hub_start(hub);
	g_assert_cmpuint(hub->partner_port, !=, taken);
	g_assert_cmpint(post_message(hub, "personnel", "m-port", "x", NULL), ==, 202);
}

/* SIGHUP re-reads the partners: a partner added to the file is recognised on new
 * connections without a restart. */
static void
test_sighup_reloads_partners(Fixture *fixture, gconstpointer extra)
{
	/* cardholder has a certificate from the trusted CA but is not configured yet. */
	g_assert_cmpint(post_message(fixture->hub, "cardholder", "m-hup", "x", NULL), ==, 0);
	ph_test_hub_write_config(fixture->hub,
				 "[partner cardholder]\nsubject = CN=cardholder,OU=partners,O=pension-hub dev\n");
	kill(fixture->hub->pid, SIGHUP);
	glong status = 0;
	for (guint i = 0; i < 50 && status == 0; i++) {
		g_usleep(100 * 1000);
		status = post_message(fixture->hub, "cardholder", "m-hup", "x", NULL);
	}
	/* Known now, but the probe route does not allow it. */
	g_assert_cmpint(status, ==, 403);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	static const gchar *slow_apply = "[plugin probe]\napply_delay_ms = 3000\n";
#define ADD(path, extra, func)                                                                   \
	g_test_add(path, Fixture, extra, fixture_set_up, func, fixture_tear_down)
	ADD("/daemon/healthz-and-metrics", NULL, test_healthz_and_metrics);
	ADD("/daemon/tls/no-certificate", NULL, test_no_certificate_refused);
	ADD("/daemon/tls/untrusted-ca", NULL, test_untrusted_ca_refused);
	ADD("/daemon/route/forbidden", NULL, test_route_forbidden_for_partner);
	ADD("/daemon/route/unknown", NULL, test_unknown_route);
	ADD("/daemon/route/keep-alive", NULL, test_keep_alive_connection);
	ADD("/daemon/inbox/duplicate-and-conflict", NULL, test_duplicate_and_conflict);
	ADD("/daemon/route/body-limit", NULL, test_body_limit);
	ADD("/daemon/outbox/retried-then-delivered", NULL, test_delivery_retried_then_delivered);
	ADD("/daemon/outbox/dead-letter", NULL, test_dead_letter);
	ADD("/daemon/sigterm", NULL, test_sigterm_exits_cleanly);
	ADD("/daemon/core-event-routed", NULL, test_core_event_routed);
	ADD("/daemon/crash/kill-between-store-and-process", slow_apply,
	    test_kill_between_store_and_process);
	ADD("/daemon/sighup-reloads-partners", NULL, test_sighup_reloads_partners);
	g_test_add_func("/daemon/database-down", test_database_down_reported);
	g_test_add_func("/daemon/bad-plugin-refused-others-load", test_bad_plugin_refused_others_load);
	g_test_add_func("/daemon/port-taken", test_port_taken);
	return g_test_run();
}
