/* The monthly contribution run against a real PostgreSQL (issue 3 §4, §7): each way a member's
 * previous row of the year is found by the two-connection read (last month's row, an earlier
 * one by a probe, none, January), the wage in force, who is charged, the year credits made
 * unknown by a month run late or by a previous row's unreadable ones, unit codes that COPY
 * must escape, and the repeat. */
#include "ph-contribution-run.h"
#include "ph-test-core.h"

typedef PhTestCore Fixture;

/* SAMPLE figure for tests: the average wage of 2025, which sets the limits of 2026's bases. */
#define TEST_POLICY "{\"avg_wage_monthly\": {\"2025\": 500000}}"

static void
fixture_set_up(Fixture *fixture, gconstpointer data)
{
	ph_test_core_set_up(fixture, TEST_POLICY);
}

static void
fixture_tear_down(Fixture *fixture, gconstpointer data)
{
	ph_test_core_tear_down(fixture);
}

/* The one value of @sql as text, "NULL" for SQL NULL, "none" without a row. */
static gchar *
query_text(Fixture *fixture, const gchar *sql)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PGresult) result = ph_db_query(fixture->db, sql, 0, NULL, &error);

	g_assert_no_error(error);
	if (PQntuples(result) == 0)
		return g_strdup("none");
	return g_strdup(PQgetisnull(result, 0, 0) ? "NULL" : PQgetvalue(result, 0, 0));
}

/* Runs @period in one transaction, committed. */
static void
run(Fixture *fixture, PhPeriod period, PhContributionRunResult *result)
{
	g_autoptr(GError) error = NULL;

	ph_db_begin(fixture->db, &error);
	g_assert_no_error(error);
	ph_contribution_run(fixture->db, &fixture->context, period, result, &error);
	g_assert_no_error(error);
	ph_db_commit(fixture->db, &error);
	g_assert_no_error(error);
}

/* Persons 1 … 6, all enrolled from 2026-01 at 7,500.00 a month unless said otherwise:
 * 1 earns 10,000.00 from 2026-03 and 30,000.00 from 2026-12 (not yet in force);
 * 2 is suspended (AAC031 2); 3 joins in 2026-03; 4 has no declared wage; 5's enrolment
 * ended with 2026-01; 6 works for a unit whose code holds a tab and a backslash.
 * 1 also has a December 2025 row, which January 2026 must not extend. */
#define SET_UP_MEMBERS                                                                             \
	"INSERT INTO person (person_id, id_lookup, id_number, name, sex, birth_date) "             \
	" SELECT g, 'C' || g, 'N' || g, 'test', '1', '19800101' FROM generate_series(1, 6) g;"     \
	"INSERT INTO enrolment (person_id, start_period, unit_code, end_period, status) VALUES "   \
	" (1, 202601, 'U1', NULL, '1'), (2, 202601, 'U1', NULL, '2'), "                            \
	" (3, 202603, 'U1', NULL, '1'), (4, 202601, 'U1', NULL, '1'), "                            \
	" (5, 202601, 'U1', 202601, '3'), (6, 202601, E'U\\t6\\\\', NULL, '1');"                   \
	"INSERT INTO declared_wage (person_id, effective_period, wage) VALUES "                    \
	" (1, 202601, 750000), (1, 202603, 1000000), (1, 202612, 3000000), "                       \
	" (2, 202601, 750000), (3, 202601, 750000), (5, 202601, 750000), (6, 202601, 750000);"     \
	"INSERT INTO contribution (person_id, period, unit_code, wage, base, employer, "           \
	" individual, annuity_employer, annuity_individual, account_credit, annuity_credit, "      \
	" year_account, year_annuity) VALUES (1, 202512, 'U1', 750000, 750000, 120000, 60000, "    \
	" 60000, 30000, 60000, 90000, array_fill(60000::bigint, ARRAY[12]), "                      \
	" array_fill(90000::bigint, ARRAY[12]));"

typedef struct {
	PhPeriod after; /* checked right after the run of this period */
	gint person;
	gint period;
	const gchar *row; /* base, account credit, annuity credit, unit code */
	const gchar *year_account;
	const gchar *year_annuity;
} ExpectedRow;

/* The policy of 2026 (TEST_POLICY over the national rates): A = avg_wage_monthly[2025] =
 * 500000, so bases lie
 * within 300000 … 1500000; the account gets 8% of the base, the annuity 8% + 4%. A wage of
 * 750000 credits 60000 / 90000, one of 1000000 credits 80000 / 120000. */
static const ExpectedRow expected_rows[] = {
        /* January starts the year: December 2025's credits are not carried over */
        {202601, 1, 202601, "750000 60000 90000 U1", "{60000,0,0,0,0,0,0,0,0,0,0,0}",
         "{90000,0,0,0,0,0,0,0,0,0,0,0}"},
        {202601, 5, 202601, "750000 60000 90000 U1", "{60000,0,0,0,0,0,0,0,0,0,0,0}",
         "{90000,0,0,0,0,0,0,0,0,0,0,0}"},
        /* February extends January's row (last month's, read in person order); the unit
         * code comes back as stored, tab and backslash included */
        {202602, 1, 202602, "750000 60000 90000 U1", "{60000,60000,0,0,0,0,0,0,0,0,0,0}",
         "{90000,90000,0,0,0,0,0,0,0,0,0,0}"},
        {202602, 6, 202602, "750000 60000 90000 U\t6\\", "{60000,60000,0,0,0,0,0,0,0,0,0,0}",
         "{90000,90000,0,0,0,0,0,0,0,0,0,0}"},
        /* April, run before March: the wage from 2026-03; no March row, so February's is
         * found by the probe and extended */
        {202604, 1, 202604, "1000000 80000 120000 U1", "{60000,60000,0,80000,0,0,0,0,0,0,0,0}",
         "{90000,90000,0,120000,0,0,0,0,0,0,0,0}"},
        /* 3 joined in March and has no earlier row of the year */
        {202604, 3, 202604, "750000 60000 90000 U1", "{0,0,0,60000,0,0,0,0,0,0,0,0}",
         "{0,0,0,90000,0,0,0,0,0,0,0,0}"},
        /* March, run late, extends February */
        {202603, 1, 202603, "1000000 80000 120000 U1", "{60000,60000,80000,0,0,0,0,0,0,0,0,0}",
         "{90000,90000,120000,0,0,0,0,0,0,0,0,0}"},
        {202603, 3, 202603, "750000 60000 90000 U1", "{0,0,60000,0,0,0,0,0,0,0,0,0}",
         "{0,0,90000,0,0,0,0,0,0,0,0,0}"},
        /* and April's year credits, which no longer hold March's, become unknown */
        {202603, 1, 202604, "1000000 80000 120000 U1", "NULL", "NULL"},
        {202603, 3, 202604, "750000 60000 90000 U1", "NULL", "NULL"},
        /* May extends April's unknown credits: unknown */
        {202605, 1, 202605, "1000000 80000 120000 U1", "NULL", "NULL"},
};

static void
check_row(Fixture *fixture, const ExpectedRow *expected)
{
	g_autofree gchar *where = g_strdup_printf("FROM contribution WHERE person_id = %d AND "
	                                          "period = %d",
	                                          expected->person, expected->period);
	g_autofree gchar *row_sql = g_strdup_printf(
	        "SELECT base || ' ' || account_credit || ' ' || annuity_credit || ' ' || "
	        "unit_code %s",
	        where);
	g_autofree gchar *account_sql = g_strdup_printf("SELECT year_account::text %s", where);
	g_autofree gchar *annuity_sql = g_strdup_printf("SELECT year_annuity::text %s", where);
	g_autofree gchar *row = query_text(fixture, row_sql);
	g_autofree gchar *account = query_text(fixture, account_sql);
	g_autofree gchar *annuity = query_text(fixture, annuity_sql);

	g_test_message("person %d, period %d", expected->person, expected->period);
	g_assert_cmpstr(row, ==, expected->row);
	g_assert_cmpstr(account, ==, expected->year_account);
	g_assert_cmpstr(annuity, ==, expected->year_annuity);
}

static void
test_previous_rows(Fixture *fixture, gconstpointer data)
{
	/* members charged per run, in the order run: January 1, 5, 6; February 1, 6; April
	 * 1, 3, 6; March 1, 3, 6; May 1, 3, 6 (2 suspended, 4 without a wage, 5 left) */
	static const struct {
		PhPeriod period;
		gint64 members;
	} runs[] = {{202601, 3}, {202602, 2}, {202604, 3}, {202603, 3}, {202605, 3}};
	PhContributionRunResult result;

	ph_test_core_exec(fixture, SET_UP_MEMBERS);
	for (guint i = 0; i < G_N_ELEMENTS(runs); i++) {
		run(fixture, runs[i].period, &result);
		g_assert_cmpint(result.members, ==, runs[i].members);
		g_assert_false(result.duplicate);
		for (guint j = 0; j < G_N_ELEMENTS(expected_rows); j++)
			if (expected_rows[j].after == runs[i].period)
				check_row(fixture, &expected_rows[j]);
	}
	/* 3 + 2 + 3 + 3 + 3 rows of the runs and the December row set up */
	g_assert_cmpint(ph_test_db_query_int(fixture->db, "SELECT count(*) FROM contribution"), ==,
	                15);
	g_assert_cmpint(ph_test_db_query_int(fixture->db,
	                                     "SELECT count(*) FROM contribution WHERE person_id "
	                                     "IN (2, 4)"),
	                ==, 0);
}

static void
test_repeat(Fixture *fixture, gconstpointer data)
{
	PhContributionRunResult result;

	ph_test_core_exec(fixture, SET_UP_MEMBERS);
	run(fixture, 202603, &result);
	g_assert_cmpint(result.members, ==, 3); /* 1, 3, 6 */
	/* 1's March: 16% employer of 1000000, 3's and 6's of 750000 */
	g_assert_cmpint(result.employer, ==, 160000 + 2 * 120000);
	run(fixture, 202603, &result);
	g_assert_true(result.duplicate);
	g_assert_cmpint(result.members, ==, 0);
	/* 4 declares a wage late: the repeat charges 4 alone */
	ph_test_core_exec(fixture, "INSERT INTO declared_wage VALUES (4, 202602, 2000000)");
	run(fixture, 202603, &result);
	g_assert_false(result.duplicate);
	g_assert_cmpint(result.members, ==, 1);
	/* 2000000 is above the upper limit 1500000: 16% of 1500000 */
	g_assert_cmpint(result.employer, ==, 240000);
	g_autofree gchar *account =
	        query_text(fixture, "SELECT year_account::text FROM contribution "
	                            "WHERE person_id = 4 AND period = 202603");
	/* 8% of 1500000, no earlier row of 2026 */
	g_assert_cmpstr(account, ==, "{0,0,120000,0,0,0,0,0,0,0,0,0}");
	g_assert_cmpint(ph_test_db_query_int(fixture->db, "SELECT members * 10 + runs FROM "
	                                                  "contribution_run WHERE period = 202603"),
	                ==, 4 * 10 + 2);
}

/* A previous row whose year credits are not twelve numbers makes the new row's unknown, as
 * one written out of order does: the close then reads the months themselves. */
static void
test_odd_year_credits(Fixture *fixture, gconstpointer data)
{
	PhContributionRunResult result;

	ph_test_core_exec(fixture, SET_UP_MEMBERS);
	run(fixture, 202601, &result);
	ph_test_core_exec(fixture, "UPDATE contribution SET year_account = '{60000,0,0}' "
	                           "WHERE person_id = 1 AND period = 202601");
	run(fixture, 202602, &result);
	g_assert_cmpint(result.members, ==, 2); /* 1 and 6 */
	g_autofree gchar *odd = query_text(fixture, "SELECT coalesce(year_account, year_annuity) "
	                                            "FROM contribution WHERE person_id = 1 AND "
	                                            "period = 202602");
	g_autofree gchar *other = query_text(fixture, "SELECT year_account FROM contribution "
	                                              "WHERE person_id = 6 AND period = 202602");
	g_assert_cmpstr(odd, ==, "NULL");
	g_assert_cmpstr(other, ==, "{60000,60000,0,0,0,0,0,0,0,0,0,0}");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/contribution-run/previous-rows", Fixture, NULL, fixture_set_up,
	           test_previous_rows, fixture_tear_down);
	g_test_add("/contribution-run/repeat", Fixture, NULL, fixture_set_up, test_repeat,
	           fixture_tear_down);
	g_test_add("/contribution-run/odd-year-credits", Fixture, NULL, fixture_set_up,
	           test_odd_year_credits, fixture_tear_down);
	return g_test_run();
}
