/* The medical adapter end to end (issue 8 §3): a real daemon with plugins/medical and the
 * medical insurance simulator tests/peers/medical-sim over mTLS: the pension-status query,
 * retirement and death notices reaching the simulator once each although it was down for a
 * while (and lost an answer), partners without the right refused, and the monthly
 * comparison through pensionctl medical. */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>

#include "pension-hub.h"
#include "ph-test-db.h"
#include "ph-test-hub.h"
#include "ph-policy-file.h"
#include "ph-retirement.h"
#include "ph-test-peer.h"
#include "ph-transfer-cmd.h"
#include "ph-txn.h"

/* Valid GB 11643 numbers (ISO 7064 MOD 11-2 check characters), male, birth as in the number */
#define ID_RETIREE "110105196410150176"
#define ID_MEMBER  "110105197001010193"
#define ID_UNKNOWN "110105197102020315"
#define ID_MEMBER2 "110105197405050378"
#define ID_MISSING "110105197203030336"
#define ID_BAD     "110105197001010194" /* check character should be 3 */

typedef struct {
	PhTestDb *db;
	PhTestHub *hub;
	PhTestPeer sim;
	guint sim_port;
} Fixture;

static void
fixture_set_up(Fixture *fixture, gconstpointer data)
{
	const gchar *const *sim_options = data;
	fixture->db = ph_test_db_new();
	fixture->sim_port = ph_test_free_port();
	const gchar *pki = g_getenv("PH_PKI");
	g_autofree gchar *config = g_strdup_printf(
	        "[plugin medical]\nnotice_url = https://127.0.0.1:%u/medical/v1/notices\n"
	        "ca = %s/ca.crt\ntimeout_ms = 5000\nretry_initial_ms = 200\nretry_max_ms = 800\n"
	        "max_attempts = 1000\n",
	        fixture->sim_port, pki);
	fixture->hub = ph_test_adapter_hub(fixture->db, "medical", config);
	ph_test_peer_start(&fixture->sim, "medical-sim", fixture->hub->dir, fixture->sim_port, pki,
	                   sim_options);
	ph_test_hub_start(fixture->hub);
}

static void
fixture_tear_down(Fixture *fixture, gconstpointer data)
{
	ph_test_peer_stop(&fixture->sim);
	g_clear_pointer(&fixture->hub, ph_test_hub_free);
	g_clear_pointer(&fixture->db, ph_test_db_free);
}

static void
commit(PhTxn *txn)
{
	g_autoptr(GError) error = NULL;
	g_assert_true(ph_txn_commit(txn, &error));
	g_assert_no_error(error);
}

/* The retiree of RULES §8 (docs/rules.md), who is entitled to a benefit: HIRE 2024-09 with
 * 240 deemed months at 1.2, and 120 months 2014-10 … 2024-09 at a base of 7,500.00 with
 * the balances 139,000.00 / 69,500.00 arriving by a transfer in dated 2024-10; RETIRE from
 * 2024-10 (AIC160 202410). The core's commands run with region 110100's policy (its
 * average wages), as the daemon's would. Returns the person id. */
static gint64
make_retiree(Fixture *fixture)
{
	g_autoptr(GError) error = NULL;
	gint64 person_id = ph_test_enrol(fixture->db, ID_RETIREE, "张三", "19641015", "20240901");
	g_autoptr(PhDb) db = ph_test_db_connect(fixture->db);
	g_autofree PhPolicy *policy = ph_test_policy_110100();
	const PhCommandContext context = {policy, "test"};
	PhRetireInput retire = {ID_RETIREE, "20241001", "2", FALSE, 0};
	PhCommandResult outcome = {0};
	g_assert_true(ph_db_begin(db, &error));
	gboolean done = ph_test_transfer_in(db, &context, "CASE-8", ID_RETIREE, &outcome, &error) &&
	                ph_retirement_retire(db, &context, &retire, &outcome, &error) &&
	                ph_db_commit(db, &error);
	g_assert_no_error(error);
	g_assert_true(done);
	ph_command_result_clear(&outcome);
	return person_id;
}

static void
record_death(Fixture *fixture, const gchar *id_number, const gchar *death_date)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhDb) db = ph_test_db_connect(fixture->db);
	g_autoptr(PhTxn) txn = ph_txn_begin(db, NULL, &error);
	g_assert_no_error(error);
	PhCommandOutcome outcome = {0};
	PhDeathRequest death = {id_number, death_date};
	gboolean done = ph_core_death(txn, &death, &outcome, &error);
	g_assert_no_error(error);
	g_assert_true(done);
	ph_core_outcome_clear(&outcome);
	commit(txn);
}

static glong
get_status(Fixture *fixture, const gchar *partner, const gchar *id_number, JsonObject **object)
{
	g_autofree gchar *url =
	        g_strdup_printf("https://127.0.0.1:%u/medical/v1/persons/%s/pension-status",
	                        fixture->hub->partner_port, id_number);
	PhTestRequest request = {.method = "GET", .url = url, .partner = partner};
	g_autofree gchar *body = NULL;
	glong status = ph_test_http(fixture->hub, &request, &body);
	if (object != NULL) {
		g_autoptr(GError) error = NULL;
		JsonNode *root = json_from_string(body, &error);
		g_assert_no_error(error);
		g_assert_true(JSON_NODE_HOLDS_OBJECT(root));
		*object = json_object_ref(json_node_get_object(root));
		json_node_unref(root);
	}
	return status;
}

/* A member of the JSON answer as text; "null" for JSON null. */
static const gchar *
member(JsonObject *object, const gchar *name)
{
	JsonNode *node = json_object_get_member(object, name);
	g_assert_nonnull(node);
	return JSON_NODE_HOLDS_NULL(node) ? "null" : json_node_get_string(node);
}

/* ---- GET …/pension-status ---- */

static void
test_status(Fixture *fixture, gconstpointer data)
{
	ph_test_enrol(fixture->db, ID_MEMBER, "李四", "19700101", "20240101");
	make_retiree(fixture);

	/* expected: the members' state as made above; AIC160 is the month of the RETIRE date,
	 * AAE116 1 (正常发放) for a benefit in payment */
	const struct {
		const gchar *id_number;
		const gchar *name, *aac008, *aac084, *aic160, *aae116, *aae138;
	} cases[] = {
	        {ID_MEMBER, "李四", "1", "0", "null", "null", "null"},
	        {ID_RETIREE, "张三", "1", "1", "202410", "1", "null"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(JsonObject) status = NULL;
		g_assert_cmpint(get_status(fixture, "medical", cases[i].id_number, &status), ==,
		                200);
		g_assert_cmpstr(member(status, "AAC002"), ==, cases[i].id_number);
		g_assert_cmpstr(member(status, "AAC003"), ==, cases[i].name);
		g_assert_cmpstr(member(status, "AAE140"), ==, "120");
		g_assert_cmpstr(member(status, "AAC008"), ==, cases[i].aac008);
		g_assert_cmpstr(member(status, "AAC084"), ==, cases[i].aac084);
		g_assert_cmpstr(member(status, "AIC160"), ==, cases[i].aic160);
		g_assert_cmpstr(member(status, "AAE138"), ==, cases[i].aae138);
		if (g_strcmp0(cases[i].aic160, "null") != 0)
			g_assert_cmpstr(member(status, "AAE116"), ==, cases[i].aae116);
	}
	g_autoptr(JsonObject) unknown = NULL;
	g_assert_cmpint(get_status(fixture, "medical", ID_UNKNOWN, &unknown), ==, 404);
	g_assert_cmpstr(member(unknown, "error"), ==, "UNKNOWN_PERSON");
	g_assert_cmpint(get_status(fixture, "medical", "not-a-number", NULL), ==, 404);
}

/* ---- partners without the right ---- */

static void
test_unauthorised(Fixture *fixture, gconstpointer data)
{
	ph_test_enrol(fixture->db, ID_MEMBER, "李四", "19700101", "20240101");
	g_assert_cmpint(get_status(fixture, "cardholder", ID_MEMBER, NULL), ==, 403);
	g_assert_cmpint(get_status(fixture, "personnel", ID_MEMBER, NULL), ==, 403);
	g_assert_cmpint(get_status(fixture, "medical", ID_MEMBER, NULL), ==, 200);
}

/* ---- retirement and death notices, once each, although the system was down ---- */

static void
test_notices_once(Fixture *fixture, gconstpointer data)
{
	gint64 person_id = make_retiree(fixture);
	record_death(fixture, ID_RETIREE, "20261010");

	/* the system is down: every delivery is refused and retried by the outbox */
	const gchar *refused[] = {"DOWN refused", NULL};
	ph_test_peer_wait(&fixture->sim, refused, 6);
	g_autofree gchar *pending = ph_test_query_value(
	        ph_test_db_get_url(fixture->db),
	        "SELECT count(*) FROM outbox WHERE topic = 'medical.notice' AND state = 'pending' "
	        "AND attempts >= 2");
	g_assert_cmpstr(pending, ==, "2");
	ph_test_peer_switch(&fixture->sim, SIGUSR2, "up");

	g_autofree gchar *retired_key =
	        g_strdup_printf("retired:person:%" G_GINT64_FORMAT, person_id);
	g_autofree gchar *died_key = g_strdup_printf("died:person:%" G_GINT64_FORMAT, person_id);
	const gchar *retired_applied[] = {"APPLIED", retired_key, " retired " ID_RETIREE, NULL};
	const gchar *died_applied[] = {"APPLIED", died_key, "AAE138=20261010", NULL};
	const gchar *retired_again[] = {"DUPLICATE", retired_key, NULL};
	const gchar *died_again[] = {"DUPLICATE", died_key, NULL};
	ph_test_peer_wait(&fixture->sim, retired_applied, 1);
	ph_test_peer_wait(&fixture->sim, died_applied, 1);
	/* the first answers were lost (--lose-answer): the hub sent each again, and the
	 * simulator dropped the repeat by its notice id */
	ph_test_peer_wait(&fixture->sim, retired_again, 1);
	ph_test_peer_wait(&fixture->sim, died_again, 1);
	g_autofree gchar *delivered =
	        ph_test_wait_for_value(ph_test_db_get_url(fixture->db),
	                               "SELECT count(*) FROM outbox WHERE topic = 'medical.notice' "
	                               "AND state = 'delivered'",
	                               "2", 30000);
	g_assert_cmpstr(delivered, ==, "2");
	g_assert_cmpuint(ph_test_peer_count(&fixture->sim, retired_applied), ==, 1);
	g_assert_cmpuint(ph_test_peer_count(&fixture->sim, died_applied), ==, 1);
	const gchar *applied[] = {"APPLIED", NULL};
	g_assert_cmpuint(ph_test_peer_count(&fixture->sim, applied), ==, 2);
}

/* ---- the monthly comparison, with a difference of every kind ---- */

static void
test_compare(Fixture *fixture, gconstpointer data)
{
	ph_test_enrol(fixture->db, ID_MEMBER, "李四", "19700101", "20240101");
	ph_test_enrol(fixture->db, ID_MEMBER2, "王五", "19740505", "20240101");
	ph_test_enrol(fixture->db, ID_MISSING, "赵六", "19720303", "20240101");
	make_retiree(fixture);
	record_death(fixture, ID_RETIREE, "20261010");
	g_autofree gchar *file =
	        g_build_filename(fixture->hub->dir, "MED_PERSONS_202611.csv", NULL);
	g_autoptr(GError) error = NULL;
	/* line 2 agrees; 3 misses the death; 4 differs in every field; 5 is no one here; 6 has
	 * a bad check character; 7 repeats line 2; ID_MISSING is not in the file */
	g_file_set_contents(file,
	                    "AAC002,AAC003,AAC004,AAC006,AAC084,AAE138\n" ID_MEMBER
	                    ",李四,1,19700101,0,\n" ID_RETIREE ",张三,1,19641015,1,\n" ID_MEMBER2
	                    ",\"王伍, 又名\",2,19740506,1,20260101\n" ID_UNKNOWN
	                    ",钱八,1,19710202,0,\n" ID_BAD ",孙九,1,19700101,0,\n" ID_MEMBER
	                    ",李四,1,19700101,0,\n",
	                    -1, &error);
	g_assert_no_error(error);
	gint status = 0;
	const gchar *compare[] = {"medical", "compare", "--file", file, NULL};
	g_autofree gchar *summary = ph_test_pensionctl(fixture->hub, compare, &status);
	g_assert_cmpint(status, ==, 0);
	g_assert_nonnull(strstr(summary, "report 1: MED_PERSONS_202611.csv (SHA256 "));

	/* expected: one line per difference as listed above, ordered by file line, then the
	 * members missing there; fields in code order; CSV quoting per RFC 4180 */
	const gchar *report[] = {"medical", "report", "1", NULL};
	g_autofree gchar *csv = ph_test_pensionctl(fixture->hub, report, &status);
	g_assert_cmpint(status, ==, 0);
	g_assert_cmpstr(csv, ==,
	                "line,AAC002,difference,field,ours,theirs,file_line\n"
	                "1," ID_RETIREE ",mismatch,AAE138,20261010,,3\n"
	                "2," ID_MEMBER2 ",mismatch,AAC003,王五,\"王伍, 又名\",4\n"
	                "3," ID_MEMBER2 ",mismatch,AAC004,1,2,4\n"
	                "4," ID_MEMBER2 ",mismatch,AAC006,19740505,19740506,4\n"
	                "5," ID_MEMBER2 ",mismatch,AAC084,0,1,4\n"
	                "6," ID_MEMBER2 ",mismatch,AAE138,,20260101,4\n"
	                "7," ID_UNKNOWN ",unknown_here,,,,5\n"
	                "8," ID_BAD ",invalid_id,AAC002,," ID_BAD ",6\n"
	                "9," ID_MEMBER ",duplicate,AAC002,," ID_MEMBER ",7\n"
	                "10," ID_MISSING ",missing_there,,active,,\n");
	const gchar *totals[] = {"medical", "report", "1", "--summary", NULL};
	g_autofree gchar *counts = ph_test_pensionctl(fixture->hub, totals, &status);
	g_assert_cmpint(status, ==, 0);
	/* 6 records in the file; ours: the 3 living members (the retiree died) */
	g_assert_cmpstr(counts, ==,
	                "item,count\nfile_records,6\nour_persons,3\ndifferences,10\n"
	                "duplicate:AAC002,1\ninvalid_id:AAC002,1\nmismatch:AAC003,1\n"
	                "mismatch:AAC004,1\nmismatch:AAC006,1\nmismatch:AAC084,1\n"
	                "mismatch:AAE138,2\nmissing_there,1\nunknown_here,1\n");
	const gchar *unknown[] = {"medical", "report", "2", NULL};
	g_autofree gchar *none = ph_test_pensionctl(fixture->hub, unknown, &status);
	g_assert_cmpint(status, ==, 1);
}

int
main(int argc, char **argv)
{
	static const gchar *const down[] = {"--down", "--lose-answer", NULL};
	g_test_init(&argc, &argv, NULL);
	g_test_add("/medical/status", Fixture, NULL, fixture_set_up, test_status,
	           fixture_tear_down);
	g_test_add("/medical/unauthorised", Fixture, NULL, fixture_set_up, test_unauthorised,
	           fixture_tear_down);
	g_test_add("/medical/notices-once", Fixture, down, fixture_set_up, test_notices_once,
	           fixture_tear_down);
	g_test_add("/medical/compare", Fixture, NULL, fixture_set_up, test_compare,
	           fixture_tear_down);
	return g_test_run();
}
