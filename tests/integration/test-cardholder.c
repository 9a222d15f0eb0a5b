/* The cardholder adapter end to end (issue 8 §3): a real daemon with plugins/cardholder, the
 * cardholder base simulator tests/peers/cardholder-sim over mTLS both ways, and the core's
 * payout batches: identity confirmed and refused, an account-changed notice making a failed
 * payment eligible for re-issue, the base down during a payout run, and a partner without
 * the right refused. */
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "pension-hub.h"
#include "ph-cardholder.h"
#include "ph-payout-batch.h"
#include "ph-policy-file.h"
#include "ph-test-db.h"
#include "ph-test-hub.h"
#include "ph-test-peer.h"

/* Valid GB 11643 numbers (check characters computed with ISO 7064 MOD 11-2), odd sequence
 * (male, AAC004 1) and birth dates as in the number. */
#define ID_A        "110105196603150113"
#define ID_B        "110105196604200135"
#define ID_C        "110105196605110158"
#define ID_D        "110105196606120171"
#define ACCOUNT_A   "6222020200112233445"
#define ACCOUNT_A2  "6222020200998877661"
#define PERIOD      202611
#define NOTICE_PATH "/cardholder/v1/notices"

typedef struct {
	PhTestDb *db;
	PhTestHub *hub;
	PhTestPeer sim;
	guint sim_port;
	gchar *cards;
} Fixture;

/* The card file of the simulator: A is ours as on the card, B's card has another name, C
 * and D have no card. */
static void
write_cards(Fixture *fixture, const gchar *account_a)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = g_strdup_printf(
	        "# AAC002\tAAC003\tAAZ500\tAAZ502\tAAE008\tAAE010\n" ID_A
	        "\t李四\tA10000001\t1\t102\t%s\n" ID_B "\t王小五\tA10000002\t1\t102\t"
	        "6222020200112233452\n",
	        account_a);
	g_file_set_contents(fixture->cards, text, -1, &error);
	g_assert_no_error(error);
}

static void
fixture_set_up(Fixture *fixture, gconstpointer data)
{
	const gchar *ttl = data != NULL ? data : "3600";
	fixture->db = ph_test_db_new();
	fixture->sim_port = ph_test_free_port();
	const gchar *pki = g_getenv("PH_PKI");
	g_autofree gchar *config = g_strdup_printf(
	        "[plugin cardholder]\nurl = https://127.0.0.1:%u/cardholder/v1/query\n"
	        "ca = %s/ca.crt\nregion = 110100\nttl_seconds = %s\nretry_seconds = 1\n"
	        "refresh_seconds = 1\nattempts = 2\nretry_delay_ms = 50\ntimeout_ms = 5000\n"
	        "banks = 102=demo\n",
	        fixture->sim_port, pki, ttl);
	fixture->hub = ph_test_adapter_hub(fixture->db, "cardholder", config);
	fixture->cards = g_build_filename(fixture->hub->dir, "cards.tsv", NULL);
	write_cards(fixture, ACCOUNT_A);
	g_autofree gchar *cards_option = g_strdup_printf("--cards=%s", fixture->cards);
	const gchar *options[] = {cards_option, NULL};
	ph_test_peer_start(&fixture->sim, "cardholder-sim", fixture->hub->dir, fixture->sim_port,
	                   pki, options);
	ph_test_hub_start(fixture->hub);
}

static void
fixture_tear_down(Fixture *fixture, gconstpointer data)
{
	ph_test_peer_stop(&fixture->sim);
	g_clear_pointer(&fixture->hub, ph_test_hub_free);
	g_clear_pointer(&fixture->db, ph_test_db_free);
	g_free(fixture->cards);
}

static gchar *
query(Fixture *fixture, const gchar *sql)
{
	return ph_test_query_value(ph_test_db_get_url(fixture->db), sql);
}

static gchar *
wait_value(Fixture *fixture, const gchar *sql, const gchar *expected)
{
	return ph_test_wait_for_value(ph_test_db_get_url(fixture->db), sql, expected, 30000);
}

static void
exec_sql(Fixture *fixture, const gchar *sql)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhDb) db = ph_test_db_connect(fixture->db);
	g_assert_true(ph_db_exec(db, sql, &error));
	g_assert_no_error(error);
}

/* One column of the person's cached answer or payout account. */
static gchar *
card_of(Fixture *fixture, const gchar *table, const gchar *column, const gchar *id_number)
{
	g_autofree gchar *sql = g_strdup_printf("SELECT t.%s::text FROM %s t JOIN person p USING "
	                                        "(person_id) WHERE p.id_number = '%s'",
	                                        column, table, id_number);
	return query(fixture, sql);
}

/* ---- identity confirmed and refused ---- */

static void
test_identity(Fixture *fixture, gconstpointer data)
{
	ph_test_enrol(fixture->db, ID_A, "李四", "19660315", "20240101");
	ph_test_enrol(fixture->db, ID_B, "王五", "19660420", "20240101");
	ph_test_enrol(fixture->db, ID_C, "赵六", "19660511", "20240101");
	g_autofree gchar *cached = wait_value(fixture, "SELECT count(*) FROM cardholder_card", "3");
	g_assert_cmpstr(cached, ==, "3");

	/* expected: the card file written by write_cards() against the names enrolled above */
	const struct {
		const gchar *id_number;
		const gchar *verdict;
		const gchar *payee_valid; /* NULL: no payout account at all */
	} cases[] = {
	        {ID_A, "confirmed", "true"},      /* same name, card status 1, bank 102 = demo */
	        {ID_B, "name_mismatch", "false"}, /* 王小五 on the card, 王五 here */
	        {ID_C, "not_found", NULL},        /* no card */
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *verdict =
		        card_of(fixture, "cardholder_card", "verdict", cases[i].id_number);
		g_autofree gchar *valid =
		        card_of(fixture, "payee_account", "valid", cases[i].id_number);
		g_assert_cmpstr(verdict, ==, cases[i].verdict);
		g_assert_cmpstr(valid, ==, cases[i].payee_valid);
	}
	g_autofree gchar *account = card_of(fixture, "payee_account", "account", ID_A);
	g_autofree gchar *bank = card_of(fixture, "payee_account", "bank", ID_A);
	g_autofree gchar *card_no = card_of(fixture, "cardholder_card", "card_no", ID_A);
	g_assert_cmpstr(account, ==, ACCOUNT_A);
	g_assert_cmpstr(bank, ==, "demo");
	g_assert_cmpstr(card_no, ==, "A10000001");
	/* the clerk sees the mismatch: the card's name is kept beside ours */
	g_autofree gchar *their_name = card_of(fixture, "cardholder_card", "name", ID_B);
	g_assert_cmpstr(their_name, ==, "王小五");
	/* the clerk's worklist: the two identities not confirmed, with both names */
	const gchar *worklist[] = {"cardholder", "unconfirmed", NULL};
	gint status = 0;
	g_autofree gchar *lines = ph_test_pensionctl(fixture->hub, worklist, &status);
	g_assert_cmpint(status, ==, 0);
	g_auto(GStrv) rows = g_strsplit(g_strchomp(lines), "\n", -1);
	g_assert_cmpuint(g_strv_length(rows), ==, 2);
	g_assert_nonnull(strstr(rows[0], "\"AAC002\" : \"" ID_B "\""));
	g_assert_nonnull(strstr(rows[0], "\"card_AAC003\" : \"王小五\""));
	g_assert_nonnull(strstr(rows[0], "\"verdict\" : \"name_mismatch\""));
	g_assert_nonnull(strstr(rows[1], "\"verdict\" : \"not_found\""));
	/* every person was asked once (the answers are fresh for an hour) */
	const gchar *asked[] = {"QUERY", NULL};
	g_assert_cmpuint(ph_test_peer_count(&fixture->sim, asked), ==, 3);
}

/* ---- account changed, then the failed payment is re-issued to the new account ---- */

static void
fail_payment(Fixture *fixture, const gchar *id_number)
{
	g_autofree gchar *sql = g_strdup_printf(
	        "INSERT INTO payout_batch (batch_no, bank, period, kind, created, item_count, "
	        "total, "
	        "state) VALUES (9000000001, 'demo', %d, 'regular', '20261120090000', 1, 500000, "
	        "'closed'); "
	        "INSERT INTO payout_item (batch_no, serial, person_id, period, id_number, name, "
	        "account, amount, state, status, booked_at) SELECT 9000000001, 1, person_id, %d, "
	        "id_number, "
	        "name, '" ACCOUNT_A "', 500000, 'failed', '1002', now() FROM person WHERE "
	        "id_number = '%s'",
	        PERIOD, PERIOD, id_number);
	exec_sql(fixture, sql);
}

static gchar *
notice_document(const gchar *notice_id, const gchar *change, const gchar *account)
{
	return g_strdup_printf(
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CardholderNotice "
	        "xmlns=\"urn:pension-hub:cardholder:1\"><NoticeId>%s</NoticeId><Change>%s</Change>"
	        "<AAE035>20261125</AAE035><AAC002>" ID_A "</AAC002><AAC003>李四</AAC003>"
	        "<AAZ500>A10000009</AAZ500><AAZ502>1</AAZ502><AAE008>102</AAE008>"
	        "<AAE010>%s</AAE010></CardholderNotice>\n",
	        notice_id, change, account);
}

/* POSTs a notice as the cardholder base and returns the HTTP status. */
static glong
post_notice(Fixture *fixture, const gchar *document)
{
	g_autofree gchar *answer = NULL;
	glong status =
	        ph_test_hub_post(fixture->hub, "cardholder", NOTICE_PATH, NULL, document, &answer);
	if (status == 202)
		g_assert_nonnull(strstr(answer, "ACCEPTED"));
	return status;
}

/* Builds the month's re-issue batches with the core, as `pensionctl payout reissue` does. */
static PhPayoutBatch *
build_batch(Fixture *fixture, PhPayoutKind kind, gint64 *excluded)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhDb) db = ph_test_db_connect(fixture->db);
	g_autofree PhPolicy *policy = g_new0(PhPolicy, 1);
	g_assert_true(ph_policy_file_load_national(ph_policy_file_dir(), policy, &error));
	g_assert_no_error(error);
	const PhCommandContext context = {policy, "test"};
	PhPayoutRun run = {0};
	g_assert_true(ph_db_begin(db, &error));
	g_assert_true(ph_payout_batch_build(db, &context, kind, PERIOD, NULL, &run, &error));
	g_assert_no_error(error);
	g_assert_true(ph_db_commit(db, &error));
	g_assert_no_error(error);
	*excluded = run.excluded;
	PhPayoutBatch *batch =
	        run.batches->len == 1 ? g_ptr_array_steal_index(run.batches, 0) : NULL;
	g_assert_nonnull(batch);
	ph_payout_run_clear(&run);
	return batch;
}

static void
test_account_changed_reissue(Fixture *fixture, gconstpointer data)
{
	ph_test_enrol(fixture->db, ID_A, "李四", "19660315", "20240101");
	g_autofree gchar *confirmed = wait_value(
	        fixture,
	        "SELECT count(*) FROM payee_account WHERE valid AND account = '" ACCOUNT_A "'",
	        "1");
	g_assert_cmpstr(confirmed, ==, "1");
	fail_payment(fixture, ID_A);
	/* before the notice nothing is eligible: the account is the one that failed */
	g_autofree gchar *eligible_before =
	        query(fixture,
	              "SELECT count(*) FROM payout_item f JOIN payee_account a USING (person_id) "
	              "WHERE f.state = 'failed' AND a.valid AND a.updated_at > f.booked_at");
	g_assert_cmpstr(eligible_before, ==, "0");

	g_usleep(10 * 1000); /* the notice lands strictly after the booking */
	write_cards(fixture, ACCOUNT_A2);
	g_autofree gchar *document = notice_document("N-0001", "ACCOUNT_CHANGED", ACCOUNT_A2);
	g_assert_cmpint(post_notice(fixture, document), ==, 202);
	/* the same notice again: the stored first answer, applied once */
	g_assert_cmpint(post_notice(fixture, document), ==, 202);
	g_autofree gchar *account =
	        wait_value(fixture, "SELECT account FROM payee_account", ACCOUNT_A2);
	g_assert_cmpstr(account, ==, ACCOUNT_A2);
	g_autofree gchar *notices = query(fixture, "SELECT count(*) FROM cardholder_notice");
	g_assert_cmpstr(notices, ==, "1");
	g_autofree gchar *card_no = card_of(fixture, "cardholder_card", "card_no", ID_A);
	g_assert_cmpstr(card_no, ==, "A10000009");

	gint64 excluded = 0;
	g_autoptr(PhPayoutBatch) batch = build_batch(fixture, PH_PAYOUT_REISSUE, &excluded);
	g_assert_cmpstr(batch->kind, ==, "reissue");
	g_assert_cmpint(batch->item_count, ==, 1);
	g_assert_cmpint(batch->total, ==, 500000); /* the failed item's amount */
	g_autofree gchar *sql = g_strdup_printf(
	        "SELECT account FROM payout_item WHERE batch_no = %" G_GINT64_FORMAT,
	        batch->batch_no);
	g_autofree gchar *paid_to = query(fixture, sql);
	g_assert_cmpstr(paid_to, ==, ACCOUNT_A2);
}

/* A notice about a card reported lost: the account may not be paid to until re-issued. */
static void
test_card_lost(Fixture *fixture, gconstpointer data)
{
	ph_test_enrol(fixture->db, ID_A, "李四", "19660315", "20240101");
	g_autofree gchar *confirmed =
	        wait_value(fixture, "SELECT valid::text FROM payee_account", "true");
	g_assert_cmpstr(confirmed, ==, "true");
	g_autofree gchar *lost = notice_document("N-0002", "LOST", ACCOUNT_A);
	gchar *at = strstr(lost, "<AAZ502>1<");
	g_assert_nonnull(at);
	at[8] = '2'; /* AAZ502 2: 正式挂失 */
	g_assert_cmpint(post_notice(fixture, lost), ==, 202);
	g_autofree gchar *valid =
	        wait_value(fixture, "SELECT valid::text FROM payee_account", "false");
	g_assert_cmpstr(valid, ==, "false");
	g_autofree gchar *reissued = notice_document("N-0003", "REISSUED", ACCOUNT_A2);
	g_assert_cmpint(post_notice(fixture, reissued), ==, 202);
	g_autofree gchar *usable =
	        wait_value(fixture, "SELECT valid::text || ' ' || account FROM payee_account",
	                   "true " ACCOUNT_A2);
	g_assert_cmpstr(usable, ==, "true " ACCOUNT_A2);
}

/* ---- the base down during a payout run: cached account used, unconfirmed one refused ---- */

static void
schedule_due(Fixture *fixture, const gchar *id_number)
{
	g_autofree gchar *sql = g_strdup_printf(
	        "INSERT INTO payout_schedule (person_id, period, amount, account_part, "
	        "annuity_part) "
	        "SELECT person_id, %d, 500000, 100000, 0 FROM person WHERE id_number = '%s'",
	        PERIOD, id_number);
	exec_sql(fixture, sql);
}

static void
test_down_during_payout(Fixture *fixture, gconstpointer data)
{
	ph_test_enrol(fixture->db, ID_A, "李四", "19660315", "20240101");
	ph_test_enrol(fixture->db, ID_B, "王五", "19660420", "20240101");
	g_autofree gchar *cached = wait_value(fixture, "SELECT count(*) FROM cardholder_card", "2");
	g_assert_cmpstr(cached, ==, "2");

	ph_test_peer_switch(&fixture->sim, SIGUSR1, "down");
	ph_test_enrol(fixture->db, ID_D, "孙七", "19660612", "20240101");
	/* the answers expire (ttl 2 s) and every refresh now fails: noted, cache kept */
	const gchar *refused[] = {"DOWN refused", NULL};
	ph_test_peer_wait(&fixture->sim, refused, 4);
	g_autofree gchar *failed =
	        wait_value(fixture, "SELECT count(*) >= 2 FROM cardholder_attempt", "t");
	g_assert_cmpstr(failed, ==, "t");
	g_autofree gchar *stale = query(fixture, "SELECT bool_and(expires_at < now()) FROM "
	                                         "cardholder_card");
	g_assert_cmpstr(stale, ==, "t");

	for (const gchar *const *id = (const gchar *const[]){ID_A, ID_B, ID_D, NULL}; *id; id++)
		schedule_due(fixture, *id);
	gint64 excluded = 0;
	g_autoptr(PhPayoutBatch) batch = build_batch(fixture, PH_PAYOUT_REGULAR, &excluded);
	/* A: the cached, confirmed account; B: refused (name not confirmed); D: never confirmed */
	g_assert_cmpint(batch->item_count, ==, 1);
	g_assert_cmpint(excluded, ==, 2);
	g_autofree gchar *paid_to = query(fixture, "SELECT id_number || ' ' || account FROM "
	                                           "payout_item");
	g_assert_cmpstr(paid_to, ==, ID_A " " ACCOUNT_A);
	g_autofree gchar *reasons =
	        query(fixture,
	              "SELECT string_agg(p.id_number || ':' || e.reason, ',' ORDER BY p.id_number) "
	              "FROM payout_excluded e JOIN person p USING (person_id)");
	g_assert_cmpstr(reasons, ==, ID_B ":no valid account," ID_D ":no account");

	/* back up: the refresh confirms again, nobody is paid to an unconfirmed account */
	ph_test_peer_switch(&fixture->sim, SIGUSR2, "up");
	g_autofree gchar *after = wait_value(
	        fixture, "SELECT count(*) FROM cardholder_card WHERE expires_at > now()", "3");
	g_assert_cmpstr(after, ==, "3");
	g_autofree gchar *d_verdict = card_of(fixture, "cardholder_card", "verdict", ID_D);
	g_assert_cmpstr(d_verdict, ==, "not_found");
}

/* ---- a clerk's override wins over the card until removed ---- */

static void
set_override(Fixture *fixture, const gchar *bank, const gchar *account)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhDb) db = ph_test_db_connect(fixture->db);
	gboolean done = ph_db_begin(db, &error) &&
	                ph_cardholder_set_override(db, ID_A, bank, account, "passbook seen", "test",
	                                           &error) &&
	                ph_db_commit(db, &error);
	g_assert_no_error(error);
	g_assert_true(done);
}

static void
test_clerk_override(Fixture *fixture, gconstpointer data)
{
	ph_test_enrol(fixture->db, ID_A, "李四", "19660315", "20240101");
	g_autofree gchar *card =
	        wait_value(fixture, "SELECT account FROM payee_account", ACCOUNT_A);
	g_assert_cmpstr(card, ==, ACCOUNT_A);
	set_override(fixture, "boc", "6217000010000000001");
	g_autofree gchar *overridden =
	        query(fixture, "SELECT bank || ' ' || account || ' ' || valid FROM payee_account");
	g_assert_cmpstr(overridden, ==, "boc 6217000010000000001 true");
	/* the card's account changes: remembered, but the clerk's account stays the payout one */
	g_autofree gchar *document = notice_document("N-0005", "ACCOUNT_CHANGED", ACCOUNT_A2);
	g_assert_cmpint(post_notice(fixture, document), ==, 202);
	g_autofree gchar *cached =
	        wait_value(fixture, "SELECT account FROM cardholder_card", ACCOUNT_A2);
	g_assert_cmpstr(cached, ==, ACCOUNT_A2);
	g_autofree gchar *still = query(fixture, "SELECT account FROM payee_account");
	g_assert_cmpstr(still, ==, "6217000010000000001");
	/* removed: the card's (new) account applies again */
	set_override(fixture, NULL, NULL);
	g_autofree gchar *back =
	        query(fixture, "SELECT bank || ' ' || account || ' ' || valid FROM payee_account");
	g_assert_cmpstr(back, ==, "demo " ACCOUNT_A2 " true");
}

/* ---- a partner without the right to send notices ---- */

static void
test_unauthorised(Fixture *fixture, gconstpointer data)
{
	ph_test_enrol(fixture->db, ID_A, "李四", "19660315", "20240101");
	g_autofree gchar *document = notice_document("N-0004", "ACCOUNT_CHANGED", ACCOUNT_A2);
	g_autofree gchar *answer = NULL;
	g_assert_cmpint(
	        ph_test_hub_post(fixture->hub, "medical", NOTICE_PATH, NULL, document, &answer), ==,
	        403);
	g_autofree gchar *stored = query(fixture, "SELECT count(*) FROM inbox");
	g_assert_cmpstr(stored, ==, "0");
	/* and a malformed notice from the right partner is refused and recorded */
	g_assert_cmpint(post_notice(fixture, "<CardholderNotice/>"), ==, 400);
	g_autofree gchar *recorded = query(fixture, "SELECT count(*) FROM inbox_refusal");
	g_assert_cmpstr(recorded, ==, "1");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/cardholder/identity", Fixture, NULL, fixture_set_up, test_identity,
	           fixture_tear_down);
	g_test_add("/cardholder/account-changed-reissue", Fixture, NULL, fixture_set_up,
	           test_account_changed_reissue, fixture_tear_down);
	g_test_add("/cardholder/card-lost", Fixture, NULL, fixture_set_up, test_card_lost,
	           fixture_tear_down);
	g_test_add("/cardholder/down-during-payout", Fixture, "2", fixture_set_up,
	           test_down_during_payout, fixture_tear_down);
	g_test_add("/cardholder/clerk-override", Fixture, NULL, fixture_set_up, test_clerk_override,
	           fixture_tear_down);
	g_test_add("/cardholder/unauthorised", Fixture, NULL, fixture_set_up, test_unauthorised,
	           fixture_tear_down);
	return g_test_run();
}
