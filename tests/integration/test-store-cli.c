/* pensionctl db, inbox and outbox against a real PostgreSQL, as an operator runs them.
 * Suite integration (needs PH_DATABASE_URL and PH_PKI for the config fixture). */
#include <string.h>
#include <sys/wait.h>

#include "ph-answer.h"
#include "ph-inbox.h"
#include "ph-test-db.h"
#include "ph-test-hub.h"

static PhTestDb *test_db;
static PhTestHub *hub;

static void
exec_sql(const gchar *sql)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhDb) db = ph_test_db_connect(test_db);
	ph_db_exec(db, sql, &error);
	g_assert_no_error(error);
}

static void
test_cli_db(void)
{
	g_autofree gchar *status = NULL;
	g_autofree gchar *migrate = NULL;
	g_autofree gchar *usage = NULL;
	g_assert_cmpint(ph_test_hub_run_ctl(hub, &status, "db", "status", NULL), ==, 0);
	g_assert_nonnull(strstr(status, "0001_hub.sql"));
	g_assert_nonnull(strstr(status, "applied"));
	g_assert_cmpint(ph_test_hub_run_ctl(hub, &migrate, "db", "migrate", NULL), ==, 0);
	g_assert_nonnull(strstr(migrate, "up to date"));
	g_assert_cmpint(ph_test_hub_run_ctl(hub, &usage, "db", "upgrade", NULL), ==, 2);
}

static void
test_cli_outbox(void)
{
	g_autofree gchar *list = NULL;
	g_autofree gchar *show = NULL;
	g_autofree gchar *retry = NULL;
	g_autofree gchar *again = NULL;
	g_autofree gchar *missing = NULL;
	exec_sql("INSERT INTO dead_letter (id, topic, key, payload, created_at, attempts, "
	         "last_error) VALUES (900001, 'bank.payout', 'batch-7', 'PAYOUT-7', now(), 5, "
	         "'partner answered 503')");
	g_assert_cmpint(ph_test_hub_run_ctl(hub, &list, "outbox", "list", "--state", "dead", NULL), ==, 0);
	g_assert_nonnull(strstr(list, "900001"));
	g_assert_nonnull(strstr(list, "partner answered 503"));
	g_assert_cmpint(ph_test_hub_run_ctl(hub, &show, "outbox", "show", "900001", NULL), ==, 0);
	g_assert_nonnull(strstr(show, "PAYOUT-7"));
	g_assert_nonnull(strstr(show, "state: dead"));

	g_assert_cmpint(
	        ph_test_hub_run_ctl(hub, &retry, "outbox", "retry", "--dead", "--topic", "bank.payout", NULL), ==,
	        0);
	g_assert_nonnull(strstr(retry, "1 dead letters back"));
	g_autoptr(PhDb) db = ph_test_db_connect(test_db);
	g_assert_cmpint(ph_test_db_query_int(db, "SELECT count(*) FROM outbox WHERE id = 900001 "
	                                         "AND state = 'pending' AND attempts = 0"),
	                ==, 1);
	/* Pending and not leased: retry ID makes it due now. */
	g_assert_cmpint(ph_test_hub_run_ctl(hub, &again, "outbox", "retry", "900001", NULL), ==, 0);
	g_assert_cmpint(ph_test_hub_run_ctl(hub, &missing, "outbox", "retry", "900002", NULL), ==, 1);
	g_assert_nonnull(strstr(missing, "does not exist"));
}

static void
test_cli_inbox(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhDb) db = ph_test_db_connect(test_db);
	g_autoptr(GBytes) body = g_bytes_new_static("<case id=\"T-1\"/>", 16);
	g_autoptr(PhAnswer) answer = ph_answer_new(202, "application/xml", NULL);
	gint64 id = 0;
	g_autoptr(PhAnswer) stored = ph_inbox_store(db, "transfer-platform", "transfer.case",
	                                            "msg-cli-1", body, answer, NULL, &id, &error);
	g_assert_no_error(error);
	g_autofree gchar *id_text = g_strdup_printf("%" G_GINT64_FORMAT, id);
	g_autofree gchar *list = NULL;
	g_autofree gchar *show = NULL;
	g_autofree gchar *bad = NULL;
	g_assert_cmpint(ph_test_hub_run_ctl(hub, &list, "inbox", "list", NULL), ==, 0);
	g_assert_nonnull(strstr(list, "msg-cli-1"));
	g_assert_cmpint(ph_test_hub_run_ctl(hub, &show, "inbox", "show", id_text, NULL), ==, 0);
	g_assert_nonnull(strstr(show, "<case id=\"T-1\"/>"));
	g_autofree gchar *digest = g_compute_checksum_for_data(
	        G_CHECKSUM_SHA256, (const guchar *)"<case id=\"T-1\"/>", 16);
	g_assert_nonnull(strstr(show, digest));
	g_assert_cmpint(ph_test_hub_run_ctl(hub, &bad, "inbox", "show", "abc", NULL), ==, 1);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	test_db = ph_test_db_new();
	hub = ph_test_hub_new(ph_test_db_get_url(test_db), NULL, NULL);
	g_test_add_func("/store-cli/db", test_cli_db);
	g_test_add_func("/store-cli/outbox", test_cli_outbox);
	g_test_add_func("/store-cli/inbox", test_cli_inbox);
	int status = g_test_run();
	ph_test_hub_free(hub);
	ph_test_db_free(test_db);
	return status;
}
