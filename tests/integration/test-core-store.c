/* The core commands against a real PostgreSQL (issue 3 §6): every command twice
 * (idempotent), bad input changing nothing, unknown persons, ledger = sum of entries,
 * transfer out then in conserving months and money, the RULES §8 worked example from
 * stored data, death stopping the schedule, runs with independently derived figures. */
#include <string.h>

#include "ph-adjustment-run.h"
#include "ph-audit.h"
#include "ph-contribution-run.h"
#include "ph-death-cmd.h"
#include "ph-enrolment.h"
#include "ph-interest-close.h"
#include "ph-ledger.h"
#include "ph-payout-schedule.h"
#include "ph-person-show.h"
#include "ph-policy-file.h"
#include "ph-retirement.h"
#include "ph-sql-value.h"
#include "ph-test-core.h"
#include "ph-transfer-cmd.h"
#include "ph-txn.h"

/* Test IDs (GB 11643 check characters computed by hand with the MOD 11-2 weights). */
#define ID_1964 "110105196410150037" /* RULES §8 person, born 1964-10 */
#define ID_1980 "110105198001010016"
#define ID_1985 "110105198503150035"
#define ID_1990 "110105199005200057"
#define ID_1975 "110105197507070070"
#define ID_1970 "110105197002020094"

/* SAMPLE policy for tests: the national defaults plus provincial figures chosen so that
 * results can be checked by hand (average wage 5,000.00 every year as in RULES §8). */
static const gchar *const test_policy_json =
        "{" PH_TEST_CORE_RULES8_POLICY ","
        " \"adjustments\": [{\"effective\": \"2025-01\", \"started_before\": \"2025-01\","
        "  \"fixed\": 5000, \"basic_share\": \"0.01\", \"per_year\": 200,"
        "  \"age_bands\": [{\"min_age\": 70, \"amount\": 3000}]}]}";

typedef PhTestCore Fixture;

static void
fixture_set_up(Fixture *fixture, gconstpointer data)
{
	ph_test_core_set_up(fixture, test_policy_json);
}

static void
fixture_tear_down(Fixture *fixture, gconstpointer data)
{
	ph_test_core_tear_down(fixture);
}

/* Every command runs in its own transaction, committed on success, rolled back on
 * failure: what the hub's PhTxn and pensionctl do. */
static void
txn_begin(Fixture *fixture)
{
	g_autoptr(GError) error = NULL;
	ph_db_begin(fixture->db, &error);
	g_assert_no_error(error);
}

static gboolean
txn_end(Fixture *fixture, gboolean ok)
{
	g_autoptr(GError) error = NULL;
	if (!ok) {
		ph_db_rollback(fixture->db);
		return FALSE;
	}
	ph_db_commit(fixture->db, &error);
	g_assert_no_error(error);
	return TRUE;
}

#define IN_TXN(fixture, call) (txn_begin(fixture), txn_end((fixture), (call)))

static gint64
query_int(Fixture *fixture, const gchar *sql)
{
	return ph_test_db_query_int(fixture->db, sql);
}

/* Row counts of every core table and the audit log plus a digest of the mutable rows: a
 * failed command must leave it unchanged. */
static gchar *
fingerprint(Fixture *fixture)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PGresult) result = ph_db_query(
	        fixture->db,
	        "SELECT concat_ws(',', (SELECT count(*) FROM unit), (SELECT count(*) FROM person), "
	        "(SELECT count(*) FROM enrolment), (SELECT count(*) FROM declared_wage), "
	        "(SELECT count(*) FROM contribution), (SELECT count(*) FROM contribution_run), "
	        "(SELECT count(*) FROM account_entry), (SELECT count(*) FROM interest_close), "
	        "(SELECT count(*) FROM benefit), (SELECT count(*) FROM benefit_adjustment), "
	        "(SELECT count(*) FROM transfer_case), (SELECT count(*) FROM death_settlement), "
	        "(SELECT count(*) FROM payout_schedule), (SELECT count(*) FROM core_event), "
	        "(SELECT count(*) FROM audit_log), "
	        "(SELECT md5(coalesce(string_agg(p::text, '|' ORDER BY person_id), '')) FROM "
	        "person p), "
	        "(SELECT md5(coalesce(string_agg(e::text, '|' ORDER BY person_id, start_period), "
	        "'')) "
	        " FROM enrolment e), "
	        "(SELECT md5(coalesce(string_agg(s::text, '|' ORDER BY person_id, period), '')) "
	        " FROM payout_schedule s))",
	        0, NULL, &error);
	g_assert_no_error(error);
	return g_strdup(PQgetvalue(result, 0, 0));
}

/* ---- helpers that set up people ---- */

static void
register_unit(Fixture *fixture, const gchar *code)
{
	g_autoptr(GError) error = NULL;
	PhCommandResult outcome = {0};
	PhUnitInput unit = {code, "某市财政局", NULL, "55", "110105", "full"};

	g_assert_true(IN_TXN(fixture, ph_enrolment_register_unit(fixture->db, &fixture->context,
	                                                         &unit, &outcome, &error)));
	g_assert_no_error(error);
	ph_command_result_clear(&outcome);
}

static PhEnrolInput
enrol_input(const gchar *id, const gchar *birth, const gchar *effective, gint64 wage)
{
	PhEnrolInput input = {
	        .person = {.id_number = id,
	                   .name = "张三",
	                   .sex = "1",
	                   .ethnicity = "01",
	                   .birth_date = birth,
	                   .work_start = NULL,
	                   .deemed_months = 0,
	                   .deemed_index = 0},
	        .unit_code = "U0001",
	        .effective = effective,
	        .wage = wage,
	};
	return input;
}

static gint64
enrol(Fixture *fixture, const PhEnrolInput *input)
{
	g_autoptr(GError) error = NULL;
	PhCommandResult outcome = {0};

	g_assert_true(IN_TXN(fixture, ph_enrolment_enrol(fixture->db, &fixture->context, input,
	                                                 &outcome, &error)));
	g_assert_no_error(error);
	gint64 person_id = outcome.person_id;
	ph_command_result_clear(&outcome);
	return person_id;
}

static void
run_contributions(Fixture *fixture, PhPeriod first, PhPeriod last)
{
	for (PhPeriod period = first; period <= last; period = ph_period_add(period, 1)) {
		g_autoptr(GError) error = NULL;
		PhContributionRunResult result;
		g_assert_true(IN_TXN(fixture, ph_contribution_run(fixture->db, &fixture->context,
		                                                  period, &result, &error)));
		g_assert_no_error(error);
	}
}

static gint64
ledger_account(Fixture *fixture, gint64 person_id, gint64 *annuity)
{
	g_autoptr(GError) error = NULL;
	gint64 account = 0;
	gint64 annuity_sum = 0;

	ph_ledger_balance(fixture->db, person_id, &account, &annuity_sum, &error);
	g_assert_no_error(error);
	if (annuity != NULL)
		*annuity = annuity_sum;
	return account;
}

/* A UNIT update that leaves out its optional fields (credit code, type, region, funding)
 * changes only what it gives: a partly funded unit does not turn into a fully funded one
 * (whose annuity employer part is book-entry, RULES.md) because an update named it only.
 * A new unit without funding is fully funded, as before. */
static void
test_unit_update_keeps_absent(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	PhCommandResult outcome = {0};
	PhUnitInput first = {"U0009", "某市事业单位", "91350100M000100Y43",
	                     "55",    "110105",       "partial"};
	PhUnitInput renamed = {"U0009", "某市事业单位（更名）", NULL, NULL, NULL, NULL};
	PhUnitInput fresh = {"U0010", "另一单位", NULL, NULL, NULL, NULL};
	const PhUnitInput *inputs[] = {&first, &renamed, &fresh};
	for (guint i = 0; i < G_N_ELEMENTS(inputs); i++) {
		g_assert_true(
		        IN_TXN(fixture, ph_enrolment_register_unit(fixture->db, &fixture->context,
		                                                   inputs[i], &outcome, &error)));
		g_assert_no_error(error);
		ph_command_result_clear(&outcome);
	}
	g_autoptr(PGresult) result =
	        ph_db_query(fixture->db,
	                    "SELECT unit_code || ' ' || name || ' ' || coalesce(credit_code, '-') "
	                    "|| ' ' || coalesce(unit_type, '-') || ' ' || coalesce(region, '-') || "
	                    "' ' || funding FROM unit WHERE unit_code IN ('U0009', 'U0010') ORDER "
	                    "BY unit_code",
	                    0, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(PQntuples(result), ==, 2);
	g_assert_cmpstr(PQgetvalue(result, 0, 0), ==,
	                "U0009 某市事业单位（更名） 91350100M000100Y43 55 110105 partial");
	g_assert_cmpstr(PQgetvalue(result, 1, 0), ==, "U0010 另一单位 - - - full");
}

/* ---- enrolment commands, each twice ---- */

static void
test_enrolment_twice(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	PhCommandResult outcome = {0};
	PhUnitInput unit = {"U0001", "某市财政局", "11110105MB0000001C", "55", "110105", "full"};
	PhEnrolInput hire = enrol_input(ID_1980, "19800101", "20141001", 750000);
	PhWageInput wage = {ID_1980, "20270101", 820000};
	PhWageInput wage_other = {ID_1980, "20270101", 830000};
	PhMoveInput move = {ID_1980, "20261201", "U0002"};
	PhLeaveInput leave = {ID_1980, "20270201", "6301"};

	for (gint round = 0; round < 2; round++) {
		g_assert_true(
		        IN_TXN(fixture, ph_enrolment_register_unit(fixture->db, &fixture->context,
		                                                   &unit, &outcome, &error)));
		g_assert_no_error(error);
		g_assert_cmpint(outcome.duplicate, ==, round == 1);
	}
	register_unit(fixture, "U0002");
	for (gint round = 0; round < 2; round++) {
		g_assert_true(IN_TXN(fixture, ph_enrolment_enrol(fixture->db, &fixture->context,
		                                                 &hire, &outcome, &error)));
		g_assert_no_error(error);
		g_assert_cmpint(outcome.duplicate, ==, round == 1);
		g_assert_cmpint(outcome.person_id, >, 0);
	}
	for (gint round = 0; round < 2; round++) {
		g_assert_true(IN_TXN(fixture, ph_enrolment_set_wage(fixture->db, &fixture->context,
		                                                    &wage, &outcome, &error)));
		g_assert_no_error(error);
		g_assert_cmpint(outcome.duplicate, ==, round == 1);
	}
	/* the same month with another wage is a conflict, not a silent overwrite */
	g_assert_false(IN_TXN(fixture, ph_enrolment_set_wage(fixture->db, &fixture->context,
	                                                     &wage_other, &outcome, &error)));
	g_assert_error(error, PH_ERROR, PH_ERROR_CONFLICT);
	g_clear_error(&error);
	for (gint round = 0; round < 2; round++) {
		g_assert_true(IN_TXN(fixture, ph_enrolment_move(fixture->db, &fixture->context,
		                                                &move, &outcome, &error)));
		g_assert_no_error(error);
		g_assert_cmpint(outcome.duplicate, ==, round == 1);
	}
	for (gint round = 0; round < 2; round++) {
		g_assert_true(IN_TXN(fixture, ph_enrolment_leave(fixture->db, &fixture->context,
		                                                 &leave, &outcome, &error)));
		g_assert_no_error(error);
		g_assert_cmpint(outcome.duplicate, ==, round == 1);
	}
	ph_command_result_clear(&outcome);
	/* two stints (U0001 2014-10 … 2026-11, U0002 2026-12 … 2027-01), both wages */
	g_assert_cmpint(query_int(fixture, "SELECT count(*) FROM enrolment"), ==, 2);
	g_assert_cmpint(query_int(fixture, "SELECT end_period FROM enrolment WHERE "
	                                   "start_period = 201410"),
	                ==, 202611);
	g_assert_cmpint(query_int(fixture, "SELECT end_period FROM enrolment WHERE status = '3'"),
	                ==, 202701);
	g_assert_cmpint(query_int(fixture, "SELECT count(*) FROM declared_wage"), ==, 2);
	g_assert_cmpint(query_int(fixture, "SELECT count(*) FROM core_event WHERE "
	                                   "type = 'enrolment_ended'"),
	                ==, 1);
	/* one audit entry per applied command: unit ×2, enrol, wage, move, leave */
	g_assert_cmpint(query_int(fixture, "SELECT count(*) FROM audit_log"), ==, 6);
}

/* ---- bad input changes nothing ---- */

typedef struct {
	const gchar *what;
	gint code;
	const gchar *message_part;
} BadCase;

static void
expect_refused(Fixture *fixture, const gchar *before, gboolean ok, GError *error,
               const BadCase *bad)
{
	g_autofree gchar *after = fingerprint(fixture);

	g_test_message("%s: %s", bad->what, error != NULL ? error->message : "(no error)");
	g_assert_false(ok);
	g_assert_error(error, PH_ERROR, bad->code);
	g_assert_nonnull(strstr(error->message, bad->message_part));
	g_assert_cmpstr(after, ==, before);
}

static void
test_bad_input(Fixture *fixture, gconstpointer data)
{
	PhCommandResult outcome = {0};

	register_unit(fixture, "U0001");
	PhEnrolInput good = enrol_input(ID_1980, "19800101", "20141001", 750000);
	enrol(fixture, &good);
	g_autofree gchar *before = fingerprint(fixture);

	static const BadCase cases[] = {
	        {"negative wage", PH_ERROR_INVALID_INPUT, "Wage"},
	        {"absurd wage", PH_ERROR_INVALID_INPUT, "Wage"},
	        {"period before 2014-10", PH_ERROR_INVALID_INPUT, "before the scheme began"},
	        {"enrolled before 16", PH_ERROR_INVALID_INPUT, "16 years"},
	        {"bad check character", PH_ERROR_INVALID_INPUT, "AAC002"},
	        {"deemed index out of range", PH_ERROR_INVALID_INPUT, "DeemedIndex"},
	        {"unknown unit", PH_ERROR_INVALID_INPUT, "unknown unit"},
	        {"not a date", PH_ERROR_INVALID_INPUT, "not a calendar date"},
	        {"wage of unknown person", PH_ERROR_NOT_FOUND, "unknown"},
	        {"run before 2014-10", PH_ERROR_INVALID_INPUT, "before the scheme began"},
	        {"run in a year with no average wage", PH_ERROR_INVALID_INPUT, "period"},
	        {"adjustment not in the policy", PH_ERROR_INVALID_INPUT, "no adjustment"},
	        {"interest for a year not over", PH_ERROR_INVALID_INPUT, "not over"},
	        {"duplicate transferred periods", PH_ERROR_INVALID_INPUT, "duplicate period"},
	        {"already enrolled", PH_ERROR_CONFLICT, "already enrolled"},
	        {"retirement before 16", PH_ERROR_INVALID_INPUT, "less than 16 years"},
	};
	g_autoptr(GError) error = NULL;
	gboolean ok;
	PhEnrolInput input;
	PhWageInput wage = {ID_1980, "20260101", -1};

	/* 0 */
	ok = IN_TXN(fixture,
	            ph_enrolment_set_wage(fixture->db, &fixture->context, &wage, &outcome, &error));
	expect_refused(fixture, before, ok, error, &cases[0]);
	g_clear_error(&error);
	/* 1: 10^9 fen a month is no wage */
	wage.wage = G_GINT64_CONSTANT(1000000000);
	ok = IN_TXN(fixture,
	            ph_enrolment_set_wage(fixture->db, &fixture->context, &wage, &outcome, &error));
	expect_refused(fixture, before, ok, error, &cases[1]);
	g_clear_error(&error);
	/* 2 */
	input = enrol_input(ID_1985, "19850315", "20140901", 500000);
	ok = IN_TXN(fixture,
	            ph_enrolment_enrol(fixture->db, &fixture->context, &input, &outcome, &error));
	expect_refused(fixture, before, ok, error, &cases[2]);
	g_clear_error(&error);
	/* 3: born 2000-01 (check character computed for this number), enrolled 2015-01 */
	input = enrol_input("110105200001010016", "20000101", "20150101", 500000);
	ok = IN_TXN(fixture,
	            ph_enrolment_enrol(fixture->db, &fixture->context, &input, &outcome, &error));
	expect_refused(fixture, before, ok, error, &cases[3]);
	g_clear_error(&error);
	/* 4: last character altered */
	input = enrol_input("110105198503150036", "19850315", "20150101", 500000);
	ok = IN_TXN(fixture,
	            ph_enrolment_enrol(fixture->db, &fixture->context, &input, &outcome, &error));
	expect_refused(fixture, before, ok, error, &cases[4]);
	g_clear_error(&error);
	/* 5 */
	input = enrol_input(ID_1985, "19850315", "20150101", 500000);
	input.person.deemed_months = 12;
	input.person.deemed_index = 35000;
	ok = IN_TXN(fixture,
	            ph_enrolment_enrol(fixture->db, &fixture->context, &input, &outcome, &error));
	expect_refused(fixture, before, ok, error, &cases[5]);
	g_clear_error(&error);
	/* 6 */
	input = enrol_input(ID_1985, "19850315", "20150101", 500000);
	input.unit_code = "NOSUCH";
	ok = IN_TXN(fixture,
	            ph_enrolment_enrol(fixture->db, &fixture->context, &input, &outcome, &error));
	expect_refused(fixture, before, ok, error, &cases[6]);
	g_clear_error(&error);
	/* 7 */
	input = enrol_input(ID_1985, "19850315", "20150231", 500000);
	ok = IN_TXN(fixture,
	            ph_enrolment_enrol(fixture->db, &fixture->context, &input, &outcome, &error));
	expect_refused(fixture, before, ok, error, &cases[7]);
	g_clear_error(&error);
	/* 8 */
	wage = (PhWageInput){ID_1990, "20260101", 500000};
	ok = IN_TXN(fixture,
	            ph_enrolment_set_wage(fixture->db, &fixture->context, &wage, &outcome, &error));
	expect_refused(fixture, before, ok, error, &cases[8]);
	g_clear_error(&error);
	/* 9, 10: the test policy has average wages up to 2025 only, so 2027 has no limits */
	PhContributionRunResult run;
	ok = IN_TXN(fixture,
	            ph_contribution_run(fixture->db, &fixture->context, 201409, &run, &error));
	expect_refused(fixture, before, ok, error, &cases[9]);
	g_clear_error(&error);
	ok = IN_TXN(fixture,
	            ph_contribution_run(fixture->db, &fixture->context, 202701, &run, &error));
	expect_refused(fixture, before, ok, error, &cases[10]);
	g_clear_error(&error);
	/* 11 */
	PhAdjustmentRunResult adjustment;
	ok = IN_TXN(fixture,
	            ph_adjustment_run(fixture->db, &fixture->context, 202301, &adjustment, &error));
	expect_refused(fixture, before, ok, error, &cases[11]);
	g_clear_error(&error);
	/* 12: the database clock says which years are over */
	PhInterestCloseResult close;
	gint this_year = (gint)query_int(fixture, "SELECT extract(year FROM now())::integer");
	ok = IN_TXN(fixture,
	            ph_interest_close(fixture->db, &fixture->context, this_year, &close, &error));
	expect_refused(fixture, before, ok, error, &cases[12]);
	g_clear_error(&error);
	/* 13 */
	PhMonthBase months[] = {{201501, 500000}, {201502, 500000}, {201501, 600000}};
	PhTransferInInput transfer = {.case_id = "CASE-BAD",
	                              .id_number = ID_1980,
	                              .transfer_date = "20160101",
	                              .months = months,
	                              .n_months = G_N_ELEMENTS(months)};
	ok = IN_TXN(fixture, ph_transfer_cmd_in(fixture->db, &fixture->context, &transfer, &outcome,
	                                        &error));
	expect_refused(fixture, before, ok, error, &cases[13]);
	g_clear_error(&error);
	/* 14: HIRE again from another month while the first enrolment is open */
	input = enrol_input(ID_1980, "19800101", "20150101", 750000);
	ok = IN_TXN(fixture,
	            ph_enrolment_enrol(fixture->db, &fixture->context, &input, &outcome, &error));
	expect_refused(fixture, before, ok, error, &cases[14]);
	g_clear_error(&error);
	/* 15: born 1999-01 (16 at enrolment in 2015-01), retiring from 2014-10 */
	input = enrol_input("110105199901010016", "19990101", "20150101", 500000);
	enrol(fixture, &input);
	g_autofree gchar *enrolled = fingerprint(fixture);
	PhRetireInput retire = {"110105199901010016", "20141001", NULL, FALSE, 0};
	ok = IN_TXN(fixture, ph_retirement_retire(fixture->db, &fixture->context, &retire, &outcome,
	                                          &error));
	expect_refused(fixture, enrolled, ok, error, &cases[15]);
	g_clear_error(&error);
}

/* ---- an unknown person: every person command is NOT_FOUND and changes nothing ---- */

static void
test_unknown_person(Fixture *fixture, gconstpointer data)
{
	PhCommandResult outcome = {0};
	g_autoptr(GError) error = NULL;
	const BadCase bad = {"unknown person", PH_ERROR_NOT_FOUND, "(AAC002): unknown"};

	register_unit(fixture, "U0001");
	g_autofree gchar *before = fingerprint(fixture);
	PhMoveInput move = {ID_1990, "20260101", "U0001"};
	PhLeaveInput leave = {ID_1990, "20260101", NULL};
	PhRetireInput retire = {ID_1990, "20260101", NULL, FALSE, 0};
	PhDeathCmdInput death = {ID_1990, "20260101"};
	PhTransferOutInput transfer = {"CASE-X", ID_1990, "20260101", NULL};
	gboolean results[] = {IN_TXN(fixture, ph_enrolment_move(fixture->db, &fixture->context,
	                                                        &move, &outcome, &error)),
	                      FALSE,
	                      FALSE,
	                      FALSE,
	                      FALSE,
	                      FALSE};

	expect_refused(fixture, before, results[0], error, &bad);
	g_clear_error(&error);
	results[1] = IN_TXN(fixture, ph_enrolment_leave(fixture->db, &fixture->context, &leave,
	                                                &outcome, &error));
	expect_refused(fixture, before, results[1], error, &bad);
	g_clear_error(&error);
	results[2] = IN_TXN(fixture, ph_retirement_retire(fixture->db, &fixture->context, &retire,
	                                                  &outcome, &error));
	expect_refused(fixture, before, results[2], error, &bad);
	g_clear_error(&error);
	results[3] = IN_TXN(fixture, ph_death_cmd_record(fixture->db, &fixture->context, &death,
	                                                 &outcome, &error));
	expect_refused(fixture, before, results[3], error, &bad);
	g_clear_error(&error);
	results[4] = IN_TXN(fixture, ph_transfer_cmd_out(fixture->db, &fixture->context, &transfer,
	                                                 &outcome, &error));
	expect_refused(fixture, before, results[4], error, &bad);
	g_clear_error(&error);
	g_autoptr(JsonNode) shown = ph_person_show(fixture->db, ID_1990, &error);
	g_assert_null(shown);
	g_assert_error(error, PH_ERROR, PH_ERROR_NOT_FOUND);
}

/* ---- monthly contribution run ---- */

static void
test_contribution_run(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	PhContributionRunResult result;

	register_unit(fixture, "U0001");
	/* A = avg_wage_monthly[2025] = 500000: lower 300000, upper 1500000. Wages below,
	 * inside and above the limits give bases 300000, 750000, 1500000. */
	PhEnrolInput low = enrol_input(ID_1980, "19800101", "20260101", 100000);
	PhEnrolInput middle = enrol_input(ID_1985, "19850315", "20260101", 750000);
	PhEnrolInput high = enrol_input(ID_1990, "19900520", "20260101", 2000000);
	gint64 low_id = enrol(fixture, &low);
	enrol(fixture, &middle);
	enrol(fixture, &high);

	g_assert_true(IN_TXN(fixture, ph_contribution_run(fixture->db, &fixture->context, 202601,
	                                                  &result, &error)));
	g_assert_no_error(error);
	g_assert_false(result.duplicate);
	g_assert_cmpint(result.members, ==, 3);
	/* employer 16% (from 2019-05): 48000 + 120000 + 240000 */
	g_assert_cmpint(result.employer, ==, 408000);
	/* individual 8%: 24000 + 60000 + 120000 */
	g_assert_cmpint(result.individual, ==, 204000);
	/* annuity 8% + 4%: 36000 + 90000 + 180000 */
	g_assert_cmpint(result.annuity, ==, 306000);
	g_autofree gchar *sql = g_strdup_printf("SELECT base * 1000000 + account_credit FROM "
	                                        "contribution WHERE person_id = %" G_GINT64_FORMAT,
	                                        low_id);
	g_assert_cmpint(query_int(fixture, sql), ==, G_GINT64_CONSTANT(300000) * 1000000 + 24000);

	/* the same run again charges nobody twice */
	g_autofree gchar *before = fingerprint(fixture);
	g_assert_true(IN_TXN(fixture, ph_contribution_run(fixture->db, &fixture->context, 202601,
	                                                  &result, &error)));
	g_assert_no_error(error);
	g_assert_true(result.duplicate);
	g_assert_cmpint(result.members, ==, 0);
	g_autofree gchar *after = fingerprint(fixture);
	g_assert_cmpstr(after, ==, before);

	/* a member enrolled late for the period is added by a repeat, alone */
	PhEnrolInput late = enrol_input(ID_1975, "19750707", "20260101", 500000);
	enrol(fixture, &late);
	g_assert_true(IN_TXN(fixture, ph_contribution_run(fixture->db, &fixture->context, 202601,
	                                                  &result, &error)));
	g_assert_no_error(error);
	g_assert_false(result.duplicate);
	g_assert_cmpint(result.members, ==, 1);
	g_assert_cmpint(result.employer, ==, 80000); /* 16% of 500000 */
	g_assert_cmpint(query_int(fixture, "SELECT count(*) FROM contribution"), ==, 4);
	g_assert_cmpint(query_int(fixture, "SELECT members FROM contribution_run"), ==, 4);
	/* one audit entry per run that wrote rows, none per person */
	g_assert_cmpint(query_int(fixture, "SELECT count(*) FROM audit_log WHERE "
	                                   "action = 'contribution-run'"),
	                ==, 2);
}

/* ---- yearly interest close and the ledger ---- */

static void
test_interest_close(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	PhInterestCloseResult result;
	gint64 annuity = 0;

	register_unit(fixture, "U0001");
	PhEnrolInput member = enrol_input(ID_1980, "19800101", "20240101", 750000);
	gint64 person_id = enrol(fixture, &member);
	run_contributions(fixture, 202401, 202412);
	/* A second member, enrolled late from January, whose December is charged before the
	 * other months: the December row cannot hold the year's credits (NULL), so the close
	 * must read that member's months one by one and still find the same interest. */
	PhEnrolInput late = enrol_input(ID_1985, "19850315", "20240101", 750000);
	enrol(fixture, &late);
	run_contributions(fixture, 202412, 202412);
	run_contributions(fixture, 202401, 202411);
	g_assert_cmpint(query_int(fixture, "SELECT count(*) FROM contribution WHERE "
	                                   "year_account IS NULL AND period = 202412"),
	                ==, 1);

	/* 2025 cannot close before 2024 */
	g_assert_false(IN_TXN(
	        fixture, ph_interest_close(fixture->db, &fixture->context, 2025, &result, &error)));
	g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
	g_clear_error(&error);

	for (gint round = 0; round < 2; round++) {
		g_assert_true(IN_TXN(fixture, ph_interest_close(fixture->db, &fixture->context,
		                                                2024, &result, &error)));
		g_assert_no_error(error);
		g_assert_cmpint(result.duplicate, ==, round == 1);
	}
	/* By hand (RULES §2, monthly method, r = 2.62%, B = 0, 60000 credited each month):
	 * i2 = 0.0262 / 12 × 60000 × (12 + 11 + … + 1) = 0.0262 × 60000 × 6.5 = 10218;
	 * annuity 90000 a month: 0.0262 × 90000 × 6.5 = 15327. */
	g_assert_cmpint(query_int(fixture, "SELECT min(account_amount) * 1000000 + "
	                                   "max(account_amount) FROM account_entry "
	                                   "WHERE reference = '2024'"),
	                ==, G_GINT64_CONSTANT(10218) * 1000000 + 10218);
	g_assert_cmpint(query_int(fixture, "SELECT min(annuity_amount) * 1000000 + "
	                                   "max(annuity_amount) FROM account_entry "
	                                   "WHERE reference = '2024'"),
	                ==, G_GINT64_CONSTANT(15327) * 1000000 + 15327);
	/* the ledger balance is the sum of its entries and equals the closing balance */
	g_assert_cmpint(ledger_account(fixture, person_id, &annuity), ==, 720000 + 10218);
	g_assert_cmpint(annuity, ==, 1080000 + 15327);
	g_assert_cmpint(query_int(fixture, "SELECT count(*) FROM account_entry WHERE "
	                                   "reference = '2024' AND account_balance = 730218"),
	                ==, 2);

	/* 2025 has no published rate in the national file: 2024's is used, provisional.
	 * i1 = round(730218 × 0.0262) = round(19131.71) = 19132. */
	g_assert_true(IN_TXN(
	        fixture, ph_interest_close(fixture->db, &fixture->context, 2025, &result, &error)));
	g_assert_no_error(error);
	g_assert_true(result.provisional);
	g_assert_cmpint(result.interest, ==, 2 * 19132);
	g_assert_cmpint(ledger_account(fixture, person_id, NULL), ==, 730218 + 19132);
	g_assert_cmpint(query_int(fixture, "SELECT count(*) FROM audit_log WHERE "
	                                   "action = 'interest-close'"),
	                ==, 2);
}

/* ---- retirement: RULES §8 from stored data ---- */

/* The §8 person: HIRE 2024-09 with 240 deemed months at 1.2, then the 120 months
 * 2014-10 … 2024-09 at base 7,500.00 and the balances 139,000.00 / 69,500.00 arrive by a
 * transfer in dated 2024-10, the benefit start (so no interest is added). */
static gint64
worked_example_person(Fixture *fixture)
{
	g_autoptr(GError) error = NULL;
	PhCommandResult outcome = {0};
	PhEnrolInput hire = enrol_input(ID_1964, "19641015", "20240901", 750000);
	PhMonthBase months[PH_TEST_CORE_RULES8_MONTHS];

	register_unit(fixture, "U0001");
	hire.person.deemed_months = 240;
	hire.person.deemed_index = 12000;
	gint64 person_id = enrol(fixture, &hire);
	PhTransferInInput transfer = ph_test_core_rules8_transfer_in("CASE-8", ID_1964, months);
	for (gint round = 0; round < 2; round++) {
		g_assert_true(IN_TXN(fixture, ph_transfer_cmd_in(fixture->db, &fixture->context,
		                                                 &transfer, &outcome, &error)));
		g_assert_no_error(error);
		g_assert_cmpint(outcome.duplicate, ==, round == 1);
	}
	ph_command_result_clear(&outcome);
	return person_id;
}

static void
retire_worked_example(Fixture *fixture)
{
	g_autoptr(GError) error = NULL;
	PhCommandResult outcome = {0};
	PhRetireInput retire = {ID_1964, "20241001", "2", FALSE, 0};

	for (gint round = 0; round < 2; round++) {
		g_assert_true(IN_TXN(fixture, ph_retirement_retire(fixture->db, &fixture->context,
		                                                   &retire, &outcome, &error)));
		g_assert_no_error(error);
		g_assert_cmpint(outcome.duplicate, ==, round == 1);
		JsonObject *benefit = json_node_get_object(outcome.result);
		/* RULES §8: 2760.00 + 1000.00 + 2496.00 + 500.00 = 6756.00 yuan */
		g_assert_cmpint(json_object_get_int_member(benefit, "basic"), ==, 276000);
		g_assert_cmpint(json_object_get_int_member(benefit, "individual_account"), ==,
		                100000);
		g_assert_cmpint(json_object_get_int_member(benefit, "transitional"), ==, 249600);
		g_assert_cmpint(json_object_get_int_member(benefit, "annuity"), ==, 50000);
		g_assert_cmpint(json_object_get_int_member(benefit, "monthly_total"), ==, 675600);
		g_assert_cmpstr(json_object_get_string_member(benefit, "index_average"), ==,
		                "1.3000");
	}
	ph_command_result_clear(&outcome);
}

static void
test_retire_worked_example(Fixture *fixture, gconstpointer data)
{
	gint64 person_id = worked_example_person(fixture);
	g_autoptr(GError) error = NULL;

	retire_worked_example(fixture);
	g_assert_cmpint(query_int(fixture, "SELECT monthly_total FROM benefit"), ==, 675600);
	g_assert_cmpint(query_int(fixture, "SELECT jsonb_array_length(inputs->'contributions') "
	                                   "FROM benefit"),
	                ==, 120);
	g_assert_cmpint(query_int(fixture, "SELECT count(*) FROM core_event WHERE "
	                                   "type = 'retired'"),
	                ==, 1);
	g_assert_cmpint(query_int(fixture, "SELECT account_closed_period FROM person"), ==, 202410);
	/* the ledger still holds the balance at retirement */
	g_assert_cmpint(ledger_account(fixture, person_id, NULL), ==, 13900000);

	g_autoptr(JsonNode) shown = ph_person_show(fixture->db, ID_1964, &error);
	g_assert_no_error(error);
	JsonObject *person = json_node_get_object(shown);
	JsonObject *benefit = json_object_get_object_member(person, "benefit");
	g_assert_cmpint(json_object_get_int_member(benefit, "monthly_total"), ==, 675600);
	JsonObject *contributions = json_object_get_object_member(person, "contributions");
	g_assert_cmpint(json_object_get_int_member(contributions, "months_transferred_in"), ==,
	                120);
	g_assert_cmpstr(json_object_get_string_member(person, "status"), ==, "retired");
}

/* ---- payout schedule, adjustment, death of a retiree ---- */

static gint64
payouts_due(Fixture *fixture, PhPeriod period, gint64 *amount)
{
	g_autoptr(GError) error = NULL;
	PhPayoutDueResult result;

	g_assert_true(IN_TXN(fixture, ph_payout_schedule_due(fixture->db, &fixture->context, period,
	                                                     NULL, NULL, &result, &error)));
	g_assert_no_error(error);
	if (amount != NULL)
		*amount = result.amount;
	return result.rows;
}

static void
mark_paid(Fixture *fixture, PhPeriod period)
{
	g_autoptr(GError) error = NULL;
	PhCommandResult outcome = {0};

	for (gint round = 0; round < 2; round++) {
		g_assert_true(IN_TXN(
		        fixture, ph_payout_schedule_mark_paid(fixture->db, &fixture->context,
		                                              ID_1964, period, &outcome, &error)));
		g_assert_no_error(error);
		g_assert_cmpint(outcome.duplicate, ==, round == 1);
	}
	ph_command_result_clear(&outcome);
}

static void
test_death_of_retiree(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	PhCommandResult outcome = {0};
	gint64 amount = 0;

	gint64 person_id = worked_example_person(fixture);
	retire_worked_example(fixture);
	for (PhPeriod period = 202410; period <= 202412; period = ph_period_add(period, 1)) {
		g_assert_cmpint(payouts_due(fixture, period, &amount), ==, 1);
		g_assert_cmpint(amount, ==, 675600);
		g_assert_cmpint(payouts_due(fixture, period, &amount), ==, 1); /* again */
		mark_paid(fixture, period);
	}
	/* one payout_due event per month that added rows, the repeats added none */
	g_assert_cmpint(query_int(fixture, "SELECT count(*) FROM core_event WHERE type = "
	                                   "'payout_due' AND business_key LIKE '2024-1_#1'"),
	                ==, 3);
	PhDeathCmdInput death = {ID_1964, "20241115"};
	for (gint round = 0; round < 2; round++) {
		g_assert_true(IN_TXN(fixture, ph_death_cmd_record(fixture->db, &fixture->context,
		                                                  &death, &outcome, &error)));
		g_assert_no_error(error);
		g_assert_cmpint(outcome.duplicate, ==, round == 1);
		JsonObject *settlement = json_node_get_object(outcome.result);
		/* paid through 2024-12, died 2024-11: one month to recover */
		g_assert_cmpint(json_object_get_int_member(settlement, "overpaid_months"), ==, 1);
		g_assert_cmpint(json_object_get_int_member(settlement, "overpayment"), ==, 675600);
		/* 13,900,000 − 2 months × 100,000 of individual-account pension */
		g_assert_cmpint(json_object_get_int_member(settlement, "inheritable_account"), ==,
		                13700000);
		/* 6,950,000 − 2 months × 50,000 */
		g_assert_cmpint(json_object_get_int_member(settlement, "inheritable_annuity"), ==,
		                6850000);
		g_assert_cmpint(json_object_get_int_member(settlement, "AIC249"), ==, 500000);
		g_assert_cmpint(json_object_get_int_member(settlement, "AIC250"), ==, 2000000);
	}
	ph_command_result_clear(&outcome);
	g_assert_cmpint(query_int(fixture, "SELECT count(*) FROM payout_schedule WHERE "
	                                   "state = 'overpaid' AND period = 202412"),
	                ==, 1);
	/* payments stop from the month after death */
	g_assert_cmpint(payouts_due(fixture, 202501, NULL), ==, 0);
	g_assert_cmpint(query_int(fixture, "SELECT count(*) FROM core_event WHERE type = 'died'"),
	                ==, 1);
	/* ledger: what is left after inheritance is the overpaid month's parts, negative */
	gint64 annuity = 0;
	g_assert_cmpint(ledger_account(fixture, person_id, &annuity), ==, -100000);
	g_assert_cmpint(annuity, ==, -50000);
}

static void
test_adjustment_run(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	PhAdjustmentRunResult result;
	gint64 amount = 0;

	worked_example_person(fixture);
	retire_worked_example(fixture);
	for (gint round = 0; round < 2; round++) {
		g_assert_true(IN_TXN(fixture, ph_adjustment_run(fixture->db, &fixture->context,
		                                                202501, &result, &error)));
		g_assert_no_error(error);
		g_assert_cmpint(result.duplicate, ==, round == 1);
	}
	/* test policy: 5000 fixed + 1% of basic 276000 (2760) + 200 × 30 whole years
	 * (6000); aged 60 in 2025-01, below the 70 band: 13760 */
	g_assert_cmpint(query_int(fixture, "SELECT increase FROM benefit_adjustment"), ==, 13760);
	g_assert_cmpint(payouts_due(fixture, 202412, &amount), ==, 1);
	g_assert_cmpint(amount, ==, 675600);
	g_assert_cmpint(payouts_due(fixture, 202501, &amount), ==, 1);
	g_assert_cmpint(amount, ==, 675600 + 13760);
}

/* ---- death of an active member ---- */

static void
test_death_of_member(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	PhCommandResult outcome = {0};

	register_unit(fixture, "U0001");
	PhEnrolInput member = enrol_input(ID_1980, "19800101", "20240101", 750000);
	gint64 person_id = enrol(fixture, &member);
	run_contributions(fixture, 202401, 202406);
	PhDeathCmdInput death = {ID_1980, "20240620"};
	g_assert_true(IN_TXN(fixture, ph_death_cmd_record(fixture->db, &fixture->context, &death,
	                                                  &outcome, &error)));
	g_assert_no_error(error);
	/* rolled to 2024-06: k = 5, i2 = 0.0262 / 12 × 60000 × (5+4+3+2+1) = 1965; the June
	 * credit 60000 is added without interest: 360000 + 1965 */
	g_assert_cmpint(json_object_get_int_member(json_node_get_object(outcome.result),
	                                           "inheritable_account"),
	                ==, 361965);
	ph_command_result_clear(&outcome);
	/* inheritance empties the ledger */
	g_assert_cmpint(ledger_account(fixture, person_id, NULL), ==, 0);
	g_assert_cmpint(query_int(fixture, "SELECT end_period FROM enrolment"), ==, 202406);
	/* a later run charges nobody */
	PhContributionRunResult run;
	g_assert_true(IN_TXN(fixture, ph_contribution_run(fixture->db, &fixture->context, 202407,
	                                                  &run, &error)));
	g_assert_cmpint(run.members, ==, 0);
}

/* The one member's enrolment and person AAC031, and the person's status. */
static void
expect_suspended(Fixture *fixture, const gchar *aac031, const gchar *status)
{
	g_autofree gchar *sql = g_strdup_printf(
	        "SELECT count(*) FROM enrolment e JOIN person p USING (person_id) WHERE "
	        "e.status = '%s' AND p.contribution_status = '%s' AND p.status = '%s' AND "
	        "(e.end_period IS NULL) = %s",
	        aac031, aac031, status, g_str_equal(aac031, "3") ? "false" : "true");
	g_assert_cmpint(query_int(fixture, sql), ==, 1);
}

/* Completes (@completed) or cancels transfer out @case_id, which must succeed; its
 * duplicate flag. */
static gboolean
end_transfer_out(Fixture *fixture, const gchar *case_id, gboolean completed)
{
	g_autoptr(GError) error = NULL;
	PhCommandResult outcome = {0};
	gboolean ok =
	        completed
	                ? IN_TXN(fixture,
	                         ph_transfer_cmd_complete_out(fixture->db, &fixture->context,
	                                                      case_id, &outcome, &error))
	                : IN_TXN(fixture, ph_transfer_cmd_cancel_out(fixture->db, &fixture->context,
	                                                             case_id, &outcome, &error));
	g_assert_no_error(error);
	g_assert_true(ok);
	gboolean duplicate = outcome.duplicate;
	ph_command_result_clear(&outcome);
	return duplicate;
}

/* ---- transfer out then in conserves months and money ---- */

static void
test_transfer_conservation(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	PhCommandResult outcome = {0};
	Fixture other = {0};

	register_unit(fixture, "U0001");
	PhEnrolInput member = enrol_input(ID_1970, "19700202", "20240101", 750000);
	gint64 person_id = enrol(fixture, &member);
	run_contributions(fixture, 202401, 202406);
	PhTransferOutInput out = {"CASE-T1", ID_1970, "20240701", "310000"};
	for (gint round = 0; round < 2; round++) {
		g_assert_true(IN_TXN(fixture, ph_transfer_cmd_out(fixture->db, &fixture->context,
		                                                  &out, &outcome, &error)));
		g_assert_no_error(error);
		g_assert_cmpint(outcome.duplicate, ==, round == 1);
	}
	g_autoptr(JsonNode) computed = json_node_ref(outcome.result);
	JsonObject *sheet = json_node_get_object(computed);
	/* 12% × 6 × 750000; account: 360000 + 0.0262 / 12 × 60000 × 21 = 360000 + 2751 */
	g_assert_cmpint(json_object_get_int_member(sheet, "AIC103"), ==, 540000);
	g_assert_cmpint(json_object_get_int_member(sheet, "AIC099"), ==, 362751);
	g_assert_cmpint(query_int(fixture, "SELECT count(*) FROM core_event WHERE "
	                                   "type = 'transfer_amounts'"),
	                ==, 1);
	/* the sheet only suspends: enrolment open with AAC031 = 2, the account untouched
	 * (the six credits, 6 × 8% × 750000), and the July run charges nobody */
	expect_suspended(fixture, "2", "active");
	g_assert_cmpint(ledger_account(fixture, person_id, NULL), ==, 360000);
	run_contributions(fixture, 202407, 202407);
	g_assert_cmpint(query_int(fixture, "SELECT count(*) FROM contribution"), ==, 6);
	/* the other side's RECEIPT: the enrolment ends (AAC031 = 3, last month 2024-06) and
	 * the sheet's balances leave the account; a repeat is a duplicate */
	for (gint round = 0; round < 2; round++)
		g_assert_cmpint(end_transfer_out(fixture, "CASE-T1", TRUE), ==, round == 1);
	expect_suspended(fixture, "3", "transferred");
	g_assert_cmpint(query_int(fixture, "SELECT end_period FROM enrolment"), ==, 202406);
	g_assert_cmpint(ledger_account(fixture, person_id, NULL), ==, 0);
	g_assert_false(IN_TXN(fixture, ph_transfer_cmd_cancel_out(fixture->db, &fixture->context,
	                                                          "CASE-T1", &outcome, &error)));
	g_assert_error(error, PH_ERROR, PH_ERROR_CONFLICT);
	g_clear_error(&error);

	/* the receiving pooling area: another database */
	fixture_set_up(&other, NULL);
	register_unit(&other, "U0001");
	PhEnrolInput hire = enrol_input(ID_1970, "19700202", "20240701", 750000);
	gint64 other_id = enrol(&other, &hire);
	JsonArray *list = json_object_get_array_member(sheet, "contributions");
	g_autofree PhMonthBase *months = g_new0(PhMonthBase, json_array_get_length(list));
	for (guint i = 0; i < json_array_get_length(list); i++) {
		JsonArray *pair = json_array_get_array_element(list, i);
		months[i] = (PhMonthBase){(PhPeriod)json_array_get_int_element(pair, 0),
		                          json_array_get_int_element(pair, 1)};
	}
	PhTransferInInput in = {.case_id = "CASE-T1",
	                        .id_number = ID_1970,
	                        .transfer_date = "20240701",
	                        .other_region = "110105",
	                        .months = months,
	                        .n_months = json_array_get_length(list),
	                        .pooled_fund = json_object_get_int_member(sheet, "AIC103"),
	                        .account_balance = json_object_get_int_member(sheet, "AIC099"),
	                        .annuity_balance =
	                                json_object_get_int_member(sheet, "annuity_balance")};
	PhCommandResult received = {0};
	for (gint round = 0; round < 2; round++) {
		g_assert_true(IN_TXN(&other, ph_transfer_cmd_in(other.db, &other.context, &in,
		                                                &received, &error)));
		g_assert_no_error(error);
		g_assert_cmpint(received.duplicate, ==, round == 1);
	}
	gint64 annuity = 0;
	g_assert_cmpint(ledger_account(&other, other_id, &annuity), ==, 362751);
	g_assert_cmpint(annuity, ==, json_object_get_int_member(sheet, "annuity_balance"));
	g_assert_cmpint(query_int(&other, "SELECT count(*) FROM contribution"), ==, 6);
	g_assert_cmpint(query_int(&other, "SELECT sum(base) FROM contribution"), ==,
	                query_int(fixture, "SELECT sum(base) FROM contribution"));
	ph_command_result_clear(&received);
	ph_command_result_clear(&outcome);
	fixture_tear_down(&other, NULL);

	/* back in the first area later: re-enrolled, the emptied account is open again */
	PhEnrolInput back = enrol_input(ID_1970, "19700202", "20250101", 750000);
	g_assert_cmpint(enrol(fixture, &back), ==, person_id);
	g_assert_cmpint(query_int(fixture, "SELECT count(*) FROM person WHERE status = 'active' "
	                                   "AND account_closed_period IS NULL"),
	                ==, 1);
}

/* ---- a rejected transfer out: the member pays again, unless they left meanwhile ---- */

static void
test_transfer_out_cancel(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	PhCommandResult outcome = {0};

	register_unit(fixture, "U0001");
	PhEnrolInput member = enrol_input(ID_1970, "19700202", "20240101", 750000);
	gint64 person_id = enrol(fixture, &member);
	run_contributions(fixture, 202401, 202406);
	PhTransferOutInput out = {"CASE-R1", ID_1970, "20240701", "310000"};
	g_assert_true(IN_TXN(fixture, ph_transfer_cmd_out(fixture->db, &fixture->context, &out,
	                                                  &outcome, &error)));
	g_assert_no_error(error);
	ph_command_result_clear(&outcome);
	expect_suspended(fixture, "2", "active");
	/* a second case while the first is pending is refused */
	PhTransferOutInput second = {"CASE-R9", ID_1970, "20240701", "310000"};
	g_assert_false(IN_TXN(fixture, ph_transfer_cmd_out(fixture->db, &fixture->context, &second,
	                                                   &outcome, &error)));
	g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
	g_clear_error(&error);
	ph_command_result_clear(&outcome);
	g_assert_false(end_transfer_out(fixture, "CASE-R1", FALSE));
	/* paying again: July is charged, the account holds 7 × 8% × 750000 */
	expect_suspended(fixture, "1", "active");
	run_contributions(fixture, 202407, 202407);
	g_assert_cmpint(query_int(fixture, "SELECT count(*) FROM contribution"), ==, 7);
	g_assert_cmpint(ledger_account(fixture, person_id, NULL), ==, 420000);
	g_assert_false(
	        IN_TXN(fixture, ph_transfer_cmd_complete_out(fixture->db, &fixture->context,
	                                                     "CASE-NONE", &outcome, &error)));
	g_assert_error(error, PH_ERROR, PH_ERROR_NOT_FOUND);
	g_clear_error(&error);

	/* another case, the member leaves meanwhile: the cancellation keeps the LEAVE */
	PhTransferOutInput again = {"CASE-R2", ID_1970, "20240801", "310000"};
	g_assert_true(IN_TXN(fixture, ph_transfer_cmd_out(fixture->db, &fixture->context, &again,
	                                                  &outcome, &error)));
	g_assert_no_error(error);
	ph_command_result_clear(&outcome);
	PhLeaveInput leave = {ID_1970, "20240801", NULL};
	g_assert_true(IN_TXN(fixture, ph_enrolment_leave(fixture->db, &fixture->context, &leave,
	                                                 &outcome, &error)));
	g_assert_no_error(error);
	ph_command_result_clear(&outcome);
	g_assert_false(end_transfer_out(fixture, "CASE-R2", FALSE));
	expect_suspended(fixture, "3", "left");
}

/* ---- property: every ledger balance is the sum of its entries ---- */

/* A random population (seeded by GTest, so a failure names its seed): members enrolled
 * in random months of 2024 with random wages, some of them moved to the next year's wage,
 * the twelve runs, the year closed. For every account the sum of its ledger rows must be
 * the closing balance the rules computed, for both ledgers; after a transfer out it must
 * be 0. */
static void
test_ledger_property(Fixture *fixture, gconstpointer data)
{
	static const gchar *const ids[] = {ID_1980, ID_1985, ID_1990, ID_1975, ID_1970};
	static const gchar *const births[] = {"19800101", "19850315", "19900520", "19750707",
	                                      "19700202"};
	g_autoptr(GError) error = NULL;
	PhInterestCloseResult close;
	PhCommandResult outcome = {0};

	register_unit(fixture, "U0001");
	for (guint i = 0; i < G_N_ELEMENTS(ids); i++) {
		g_autofree gchar *effective =
		        g_strdup_printf("2024%02d01", g_test_rand_int_range(1, 13));
		PhEnrolInput member = enrol_input(ids[i], births[i], effective,
		                                  g_test_rand_int_range(0, 4000000));
		enrol(fixture, &member);
	}
	run_contributions(fixture, 202401, 202412);
	g_assert_true(IN_TXN(
	        fixture, ph_interest_close(fixture->db, &fixture->context, 2024, &close, &error)));
	g_assert_no_error(error);
	g_assert_cmpint(close.accounts, ==, G_N_ELEMENTS(ids));
	g_assert_cmpint(query_int(fixture,
	                          "SELECT count(*) FROM account_entry e WHERE e.reference = '2024' "
	                          "AND (e.account_balance, e.annuity_balance) <> (SELECT "
	                          "sum(l.account_amount), sum(l.annuity_amount) FROM "
	                          "account_ledger l WHERE l.person_id = e.person_id)"),
	                ==, 0);

	PhTransferOutInput out = {"CASE-P", ids[0], "20250301", NULL};
	g_assert_true(IN_TXN(fixture, ph_transfer_cmd_out(fixture->db, &fixture->context, &out,
	                                                  &outcome, &error)));
	g_assert_no_error(error);
	ph_command_result_clear(&outcome);
	g_assert_true(IN_TXN(fixture, ph_transfer_cmd_complete_out(fixture->db, &fixture->context,
	                                                           "CASE-P", &outcome, &error)));
	g_assert_no_error(error);
	gint64 annuity = -1;
	g_assert_cmpint(ledger_account(fixture, outcome.person_id, &annuity), ==, 0);
	g_assert_cmpint(annuity, ==, 0);
	ph_command_result_clear(&outcome);
}

/* ---- the audit chain ---- */

static void
test_audit_chain(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	register_unit(fixture, "U0001");
	register_unit(fixture, "U0002");
	g_autoptr(PGresult) rows =
	        ph_db_query(fixture->db,
	                    "SELECT " PH_SQL_UTC("at") ", actor, action, object, "
	                                               "encode(payload_digest, 'hex'), prev_hash, "
	                                               "hash FROM audit_log ORDER BY id",
	                    0, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(PQntuples(rows), ==, 2);
	g_autoptr(GBytes) previous = NULL;
	for (gint row = 0; row < PQntuples(rows); row++) {
		g_autoptr(GBytes) prev_hash = ph_sql_value_bytes(rows, row, 5);
		g_autoptr(GBytes) hash = ph_sql_value_bytes(rows, row, 6);
		g_autofree gchar *record =
		        ph_audit_canonical(PQgetvalue(rows, row, 0), PQgetvalue(rows, row, 1),
		                           PQgetvalue(rows, row, 2), PQgetvalue(rows, row, 3),
		                           PQgetvalue(rows, row, 4));
		g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
		guint8 digest[32];
		gsize length = sizeof(digest);
		if (previous != NULL) {
			g_assert_true(g_bytes_equal(prev_hash, previous));
			g_checksum_update(checksum, g_bytes_get_data(previous, NULL),
			                  g_bytes_get_size(previous));
		} else {
			g_assert_null(prev_hash);
		}
		g_checksum_update(checksum, (const guchar *)record, strlen(record));
		g_checksum_get_digest(checksum, digest, &length);
		g_autoptr(GBytes) expected = g_bytes_new(digest, length);
		g_assert_true(g_bytes_equal(hash, expected));
		g_clear_pointer(&previous, g_bytes_unref);
		previous = g_bytes_ref(hash);
	}
}

/* ---- the plugin SDK (ph-core-api.h) over a PhTxn ---- */

static gboolean
sdk_collect(const PhPayoutDueRow *row, gpointer user_data, GError **error)
{
	(*(gint *)user_data)++;
	return TRUE;
}

static void
test_sdk_personnel_events(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	PhCommandOutcome outcome = {0};
	PhUnitRequest unit = {"U0001", "某市财政局", NULL, "55", "110105", "full"};
	PhEnrolRequest hire = {ID_1964, "张三",     "1",    "01", "19641015", "19860701",
	                       "U0001", "20241001", 750000, 240,  "1.2000"};
	PhLeaveRequest leave = {ID_1964, "20250101", "6301"};
	PhEnrolRequest bad = hire;
	gint rows = 0;
	gint64 count = -1;

	bad.deemed_index = "1.2x";
	for (gint round = 0; round < 2; round++) {
		g_autoptr(PhTxn) txn = ph_txn_begin(fixture->db, NULL, &error);
		g_assert_no_error(error);
		g_assert_true(ph_core_register_unit(txn, &unit, &outcome, &error));
		g_assert_no_error(error);
		g_assert_true(ph_core_enrol(txn, &hire, &outcome, &error));
		g_assert_no_error(error);
		g_assert_cmpint(outcome.duplicate, ==, round == 1);
		g_assert_nonnull(strstr(outcome.result_json, "\"AAE030\":\"2024-10\""));
		g_assert_true(ph_core_leave(txn, &leave, &outcome, &error));
		g_assert_no_error(error);
		g_assert_cmpint(outcome.duplicate, ==, round == 1);
		g_assert_true(
		        ph_core_payout_due(txn, "2025-01", sdk_collect, &rows, &count, &error));
		g_assert_no_error(error);
		g_assert_true(ph_txn_commit(txn, &error));
		g_assert_no_error(error);
	}
	g_assert_cmpint(rows, ==, 0);
	g_assert_cmpint(count, ==, 0);
	g_assert_cmpint(query_int(fixture, "SELECT deemed_index FROM person"), ==, 12000);
	g_assert_cmpint(query_int(fixture, "SELECT count(*) FROM core_event"), ==, 1);

	g_autoptr(PhTxn) txn = ph_txn_begin(fixture->db, NULL, &error);
	g_assert_false(ph_core_enrol(txn, &bad, &outcome, &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
	g_assert_nonnull(strstr(error->message, "DeemedIndex"));
	ph_core_outcome_clear(&outcome);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, function)                                                                        \
	g_test_add("/core-store/" path, Fixture, NULL, fixture_set_up, function, fixture_tear_down)
	ADD("enrolment-twice", test_enrolment_twice);
	ADD("unit-update-keeps-absent", test_unit_update_keeps_absent);
	ADD("bad-input", test_bad_input);
	ADD("unknown-person", test_unknown_person);
	ADD("contribution-run", test_contribution_run);
	ADD("interest-close", test_interest_close);
	ADD("retire-worked-example", test_retire_worked_example);
	ADD("death-of-retiree", test_death_of_retiree);
	ADD("adjustment-run", test_adjustment_run);
	ADD("death-of-member", test_death_of_member);
	ADD("transfer-conservation", test_transfer_conservation);
	ADD("transfer-out-cancel", test_transfer_out_cancel);
	ADD("ledger-property", test_ledger_property);
	ADD("audit-chain", test_audit_chain);
	ADD("sdk-personnel-events", test_sdk_personnel_events);
	return g_test_run();
}
