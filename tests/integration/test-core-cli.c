/* pensionctl contrib run, interest close, adjust run and person show against a real
 * PostgreSQL, as an operator runs them (issue 3 §5): JSON out, exit 0; a repeat is a
 * duplicate; bad input exits 1 with the reason, a wrong command line 2. Suite integration
 * (needs PH_DATABASE_URL and PH_PKI for the config fixture). */
#include <string.h>
#include <sys/wait.h>

#include "ph-enrolment.h"
#include "ph-policy-file.h"
#include "ph-test-db.h"
#include "ph-test-hub.h"

#define MEMBER_ID "110105198001010016" /* born 1980-01-01, check character by hand */

static PhTestDb *test_db;
static PhTestHub *hub;

/* One member of unit U0001 from 2025-01 at 7,500.00 a month, through the core commands. */
static void
enrol_member(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhDb) db = ph_test_db_connect(test_db);
	g_autofree PhPolicy *policy = g_new0(PhPolicy, 1);
	PhCommandContext context = {policy, "test"};
	PhCommandResult result = {0};
	PhUnitInput unit = {"U0001", "某市财政局", NULL, "55", "110105", "full"};
	PhEnrolInput hire = {.person = {MEMBER_ID, "李四", "1", "01", "19800101", NULL, 0, 0},
	                     .unit_code = "U0001",
	                     .effective = "20250101",
	                     .wage = 750000};

	ph_policy_file_load_national(ph_policy_file_dir(), policy, &error);
	g_assert_no_error(error);
	ph_db_begin(db, &error);
	g_assert_no_error(error);
	ph_enrolment_register_unit(db, &context, &unit, &result, &error);
	g_assert_no_error(error);
	ph_enrolment_enrol(db, &context, &hire, &result, &error);
	g_assert_no_error(error);
	ph_db_commit(db, &error);
	g_assert_no_error(error);
	ph_command_result_clear(&result);
}

static void
test_cli_contrib(void)
{
	g_autofree gchar *first = NULL;
	g_autofree gchar *again = NULL;
	g_autofree gchar *early = NULL;
	g_autofree gchar *usage = NULL;

	enrol_member();
	g_assert_cmpint(ph_test_hub_run_ctl(hub, &first, "contrib", "run", "--period", "2025-06", NULL), ==, 0);
	/* SAMPLE region 110000: avg_wage_monthly[2024] = 950000, limits 570000 … 2850000, so
	 * the base is the wage 750000: employer 16% = 120000, individual 8% = 60000 */
	g_assert_nonnull(strstr(first, "\"members\" : 1"));
	g_assert_nonnull(strstr(first, "\"employer\" : 120000"));
	g_assert_nonnull(strstr(first, "\"individual\" : 60000"));
	g_assert_nonnull(strstr(first, "\"duplicate\" : false"));
	g_assert_cmpint(ph_test_hub_run_ctl(hub, &again, "contrib", "run", "--period", "2025-06", NULL), ==, 0);
	g_assert_nonnull(strstr(again, "\"members\" : 0"));
	g_assert_nonnull(strstr(again, "\"duplicate\" : true"));
	g_assert_cmpint(ph_test_hub_run_ctl(hub, &early, "contrib", "run", "--period", "2014-09", NULL), ==, 1);
	g_assert_nonnull(strstr(early, "before the scheme began"));
	g_assert_cmpint(ph_test_hub_run_ctl(hub, &usage, "contrib", "run", NULL), ==, 2);
}

static void
test_cli_interest(void)
{
	g_autofree gchar *close = NULL;
	g_autofree gchar *again = NULL;
	g_autofree gchar *usage = NULL;

	/* 2025 is over (the clock is past it) and the ledger starts in 2025 */
	g_assert_cmpint(ph_test_hub_run_ctl(hub, &close, "interest", "close", "--year", "2025", NULL), ==, 0);
	g_assert_nonnull(strstr(close, "\"accounts\" : 1"));
	g_assert_cmpint(ph_test_hub_run_ctl(hub, &again, "interest", "close", "--year", "2025", NULL), ==, 0);
	g_assert_nonnull(strstr(again, "\"duplicate\" : true"));
	g_assert_cmpint(ph_test_hub_run_ctl(hub, &usage, "interest", "close", "--year", "20x5", NULL), ==, 2);
}

static void
test_cli_adjust(void)
{
	g_autofree gchar *run = NULL;
	g_autofree gchar *unknown = NULL;

	/* the SAMPLE region's adjustment takes effect in 2024-01; nobody is retired */
	g_assert_cmpint(ph_test_hub_run_ctl(hub, &run, "adjust", "run", "--policy", "2024-01", NULL), ==, 0);
	g_assert_nonnull(strstr(run, "\"persons\" : 0"));
	g_assert_cmpint(ph_test_hub_run_ctl(hub, &unknown, "adjust", "run", "--policy", "2024-02", NULL), ==, 1);
	g_assert_nonnull(strstr(unknown, "no adjustment effective 2024-02"));
}

static void
test_cli_person(void)
{
	g_autofree gchar *show = NULL;
	g_autofree gchar *unknown = NULL;

	g_assert_cmpint(ph_test_hub_run_ctl(hub, &show, "person", "show", MEMBER_ID, NULL), ==, 0);
	g_assert_nonnull(strstr(show, "\"AAC002\" : \"" MEMBER_ID "\""));
	g_assert_nonnull(strstr(show, "\"AAE022\" : 60000"));
	g_assert_nonnull(strstr(show, "\"enrolment\""));
	g_assert_nonnull(strstr(show, "\"balances\""));
	g_assert_cmpint(ph_test_hub_run_ctl(hub, &unknown, "person", "show", "110105199005200057", NULL), ==, 1);
	g_assert_nonnull(strstr(unknown, "unknown"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	test_db = ph_test_db_new();
	hub = ph_test_hub_new(ph_test_db_get_url(test_db), NULL, NULL);
	g_test_add_func("/core-cli/contrib", test_cli_contrib);
	g_test_add_func("/core-cli/interest", test_cli_interest);
	g_test_add_func("/core-cli/adjust", test_cli_adjust);
	g_test_add_func("/core-cli/person", test_cli_person);
	int status = g_test_run();
	ph_test_hub_free(hub);
	ph_test_db_free(test_db);
	return status;
}
