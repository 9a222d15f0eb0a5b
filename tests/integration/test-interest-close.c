/* The yearly interest close against a real PostgreSQL (issue 3 §7): every way an account's
 * year reaches the close (December's year credits, an earlier latest row, months without
 * year credits, a transfer in, a balance alone), closed accounts left out, the repeat
 * adding only missing accounts; and the two-connection stream under it (binary rows, the
 * caller's snapshot, a failing row or a refused COPY keeping nothing). */
#include "ph-bulk-stream.h"
#include "ph-interest-close.h"
#include "ph-policy-file.h"
#include "ph-test-core.h"

typedef PhTestCore Fixture;

static void
fixture_set_up(Fixture *fixture, gconstpointer data)
{
	ph_test_core_set_up(fixture, NULL);
}

static void
fixture_tear_down(Fixture *fixture, gconstpointer data)
{
	ph_test_core_tear_down(fixture);
}

static gint64
query_int(Fixture *fixture, const gchar *sql)
{
	return ph_test_db_query_int(fixture->db, sql);
}

/* Closes 2024 in one transaction, committed. */
static void
close_2024(Fixture *fixture, PhInterestCloseResult *result)
{
	g_autoptr(GError) error = NULL;

	ph_db_begin(fixture->db, &error);
	g_assert_no_error(error);
	ph_interest_close(fixture->db, &fixture->context, 2024, result, &error);
	g_assert_no_error(error);
	ph_db_commit(fixture->db, &error);
	g_assert_no_error(error);
}

/* Persons 1 … 8; 2023 closed with balances for 1, 2, 4 and 5. */
#define SET_UP_LEDGER                                                                              \
	"INSERT INTO person (person_id, id_lookup, id_number, name, sex, birth_date) "             \
	" SELECT g, 'L' || g, 'N' || g, 'test', '1', '19800101' FROM generate_series(1, 8) g;"     \
	"INSERT INTO interest_close (year, accounts, interest, annuity_interest, provisional) "    \
	" VALUES (2023, 4, 0, 0, false);"                                                          \
	"INSERT INTO account_entry (person_id, period, kind, reference, account_amount, "          \
	" annuity_amount, account_balance, annuity_balance) VALUES "                               \
	" (1, 202312, 'interest', '2023', 0, 0, 1000000, 500000),"                                 \
	" (2, 202312, 'interest', '2023', 0, 0, 1000000, 500000),"                                 \
	" (4, 202312, 'interest', '2023', 0, 0, 2000000, 1000000),"                                \
	" (5, 202312, 'interest', '2023', 0, 0, 2000000, 1000000);"                                \
	"UPDATE person SET account_closed_period = 202406 WHERE person_id = 5;"

/* Monthly rows of 10,000.00 / 5,000.00 fen credits for @person, months @first … @last, each
 * with the year's credits so far as the contribution run writes them (NULL when @known is
 * false, as after an out-of-order run). */
static void
credit_months(Fixture *fixture, gint person, gint first, gint last, gboolean known)
{
	g_autofree gchar *sql = g_strdup_printf(
	        "INSERT INTO contribution (person_id, period, unit_code, wage, base, employer, "
	        " individual, annuity_employer, annuity_individual, account_credit, "
	        " annuity_credit, year_account, year_annuity) SELECT %d, 202400 + m, 'U1', 0, 0, "
	        " 0, 0, 0, 0, 10000, 5000, "
	        " CASE WHEN %d = 1 THEN array_fill(10000::bigint, ARRAY[m]) || "
	        "  array_fill(0::bigint, ARRAY[12 - m]) END, "
	        " CASE WHEN %d = 1 THEN array_fill(5000::bigint, ARRAY[m]) || "
	        "  array_fill(0::bigint, ARRAY[12 - m]) END "
	        " FROM generate_series(%d, %d) m",
	        person, known ? 1 : 0, known ? 1 : 0, first, last);
	ph_test_core_exec(fixture, sql);
}

static gint64
entry(Fixture *fixture, gint person, const gchar *column)
{
	g_autofree gchar *sql =
	        g_strdup_printf("SELECT coalesce((SELECT %s FROM account_entry WHERE person_id = "
	                        "%d AND kind = 'interest' AND reference = '2024'), -1)",
	                        column, person);
	return query_int(fixture, sql);
}

/* Expected figures by hand, RULES §2 monthly method, r = 2.62 % (national 2024), k = 12,
 * i1 = round(B × r), i2 = round(r / 12 × Σ credit[m] × (13 − m)), half away from zero. */
static const struct {
	gint person;
	gint64 account_interest, account_balance, annuity_interest, annuity_balance;
	const gchar *why;
} expected_2024[] = {
        /* B 1,000,000 / 500,000; twelve credits: Σ (13 − m) = 78;
         * i1 26200, i2 round(0.0262 × 10000 × 78 / 12) = round(1703.0) = 1703;
         * annuity i1 13100, i2 round(0.0262 × 5000 × 78 / 12) = round(851.5) = 852 */
        {1, 27903, 1000000 + 120000 + 27903, 13952, 500000 + 60000 + 13952, "December"},
        /* left in June: Σ (13 − m), m = 1 … 6 = 57; i2 round(1244.5) = 1245,
         * annuity round(622.25) = 622 */
        {2, 27445, 1000000 + 60000 + 27445, 13722, 500000 + 30000 + 13722, "June latest"},
        /* no balance, twelve months without year credits: i2 as person 1 */
        {3, 1703, 120000 + 1703, 852, 60000 + 852, "months read one by one"},
        /* B 2,000,000 / 1,000,000 alone: i1 52400 / 26200 */
        {4, 52400, 2052400, 26200, 1026200, "balance alone"},
        /* closed in 2024-06: no entry */
        {5, -1, -1, -1, -1, "closed account"},
        /* transfer in 2024-07 of 100,000 / 50,000: weight 13 − 7 = 6;
         * i2 round(0.0262 × 100000 × 6 / 12) = 1310, annuity 655 */
        {6, 1310, 101310, 655, 50655, "transfer in"},
        /* nothing at all: no entry */
        {7, -1, -1, -1, -1, "no balance, no credits"},
};

static void
test_close_inputs(Fixture *fixture, gconstpointer data)
{
	PhInterestCloseResult result;
	gint64 interest = 0, annuity = 0;

	ph_test_core_exec(fixture, SET_UP_LEDGER);
	credit_months(fixture, 1, 1, 12, TRUE);
	credit_months(fixture, 2, 1, 6, TRUE);
	credit_months(fixture, 3, 1, 12, FALSE);
	credit_months(fixture, 5, 1, 6, TRUE);
	ph_test_core_exec(fixture, "INSERT INTO account_entry (person_id, period, kind, reference, "
	                           "account_amount, annuity_amount) "
	                           "VALUES (6, 202407, 'transfer_in', 'CASE-6', 100000, 50000)");

	close_2024(fixture, &result);
	for (guint i = 0; i < G_N_ELEMENTS(expected_2024); i++) {
		gint person = expected_2024[i].person;
		g_test_message("person %d: %s", person, expected_2024[i].why);
		g_assert_cmpint(entry(fixture, person, "account_amount"), ==,
		                expected_2024[i].account_interest);
		g_assert_cmpint(entry(fixture, person, "account_balance"), ==,
		                expected_2024[i].account_balance);
		g_assert_cmpint(entry(fixture, person, "annuity_amount"), ==,
		                expected_2024[i].annuity_interest);
		g_assert_cmpint(entry(fixture, person, "annuity_balance"), ==,
		                expected_2024[i].annuity_balance);
		interest += MAX(expected_2024[i].account_interest, 0);
		annuity += MAX(expected_2024[i].annuity_interest, 0);
	}
	g_assert_cmpint(result.accounts, ==, 5);
	g_assert_cmpint(result.interest, ==, interest);
	g_assert_cmpint(result.annuity_interest, ==, annuity);
	g_assert_false(result.provisional);
	g_assert_false(result.duplicate);
}

/* A repeat writes nothing; after a late member's rows it adds that account only. */
static void
test_close_repeat(Fixture *fixture, gconstpointer data)
{
	PhInterestCloseResult result;

	ph_test_core_exec(fixture, SET_UP_LEDGER);
	credit_months(fixture, 1, 1, 12, TRUE);
	close_2024(fixture, &result);
	g_assert_cmpint(result.accounts, ==, 3); /* persons 1, 2 and 4 */

	close_2024(fixture, &result);
	g_assert_true(result.duplicate);
	g_assert_cmpint(result.accounts, ==, 0);

	credit_months(fixture, 8, 1, 12, TRUE);
	close_2024(fixture, &result);
	g_assert_false(result.duplicate);
	g_assert_cmpint(result.accounts, ==, 1);
	g_assert_cmpint(result.interest, ==, 1703); /* as person 3 of test_close_inputs */
	g_assert_cmpint(entry(fixture, 8, "account_balance"), ==, 121703);
	g_assert_cmpint(query_int(fixture, "SELECT accounts FROM interest_close WHERE year = 2024"),
	                ==, 4);
	g_assert_cmpint(query_int(fixture, "SELECT count(*) FROM account_entry "
	                                   "WHERE reference = '2024'"),
	                ==, 4);
}

/* ---- the stream ---- */

typedef struct {
	gint rows;
	gint fail_at; /* 0: never */
} StreamCheck;

/* Checks the typed fields of a row of STREAM_SELECT and writes "g\tsum of its values". */
static gboolean
stream_row(const PhBulkStreamRow *row, GString *copy, gpointer user_data, GError **error)
{
	StreamCheck *check = user_data;
	g_autoptr(GArray) values = g_array_new(FALSE, FALSE, sizeof(gint64));
	gint64 g = 0, odd = 0, sum = 0;

	check->rows++;
	if (check->rows == check->fail_at) {
		g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "stopped at row %d", check->rows);
		return FALSE;
	}
	g_assert_cmpuint(row->n_fields, ==, 4);
	g_assert_true(ph_bulk_stream_int64(row, 0, &g));
	/* NULL for even g, 10 g otherwise */
	g_assert_cmpint(ph_bulk_stream_is_null(row, 1), ==, g % 2 == 0);
	g_assert_cmpint(ph_bulk_stream_int64(row, 1, &odd), ==, g % 2 != 0);
	/* {{g, -2}, {3, 4}} flattened in order, then an empty array */
	g_assert_true(ph_bulk_stream_int64_array(row, 2, values));
	g_assert_cmpuint(values->len, ==, 4);
	g_assert_cmpint(g_array_index(values, gint64, 0), ==, g);
	g_assert_cmpint(g_array_index(values, gint64, 1), ==, -2);
	g_assert_true(ph_bulk_stream_int64_array(row, 3, values));
	g_assert_cmpuint(values->len, ==, 4);
	g_assert_false(ph_bulk_stream_int64_array(row, 1, values)); /* NULL or not an array */
	g_assert_cmpuint(values->len, ==, 4);
	for (guint i = 0; i < values->len; i++)
		sum += g_array_index(values, gint64, i);
	g_string_append_printf(copy, "%" G_GINT64_FORMAT "\t%" G_GINT64_FORMAT "\n", g,
	                       sum + (g % 2 != 0 ? odd : 0));
	return TRUE;
}

#define STREAM_SELECT                                                                              \
	"SELECT g, CASE WHEN g % 2 = 1 THEN 10 * g END, ARRAY[[g, -2], [3, 4]], "                  \
	"'{}'::bigint[] FROM stream_source ORDER BY g"

static void
test_stream(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	StreamCheck check = {0, 0};
	gint64 written = 0;

	ph_test_core_exec(fixture,
	                  "CREATE TABLE stream_source (g bigint); CREATE TABLE stream_target "
	                  "(g bigint, total bigint); INSERT INTO stream_source "
	                  "SELECT generate_series(1, 5000)");
	ph_db_begin(fixture->db, &error);
	g_assert_no_error(error);
	/* the reader sees what the caller's transaction saw, not its own uncommitted rows */
	ph_test_core_exec(fixture, "INSERT INTO stream_source VALUES (5001)");
	g_assert_true(ph_bulk_stream_run(fixture->db, "SET LOCAL jit = off", STREAM_SELECT,
	                                 "COPY stream_target (g, total) FROM STDIN", stream_row,
	                                 &check, &written, &error));
	g_assert_no_error(error);
	ph_db_commit(fixture->db, &error);
	g_assert_no_error(error);
	g_assert_cmpint(check.rows, ==, 5000);
	g_assert_cmpint(written, ==, 5000);
	/* Σ g + (g − 2 + 3 + 4) over 1 … 5000, plus 10 g for odd g:
	 * 2 × 12502500 + 5 × 5000 + 10 × 6250000 = 87530000 */
	g_assert_cmpint(query_int(fixture, "SELECT sum(g + total) FROM stream_target"), ==,
	                87530000);
}

/* Streams stream_source (1 … 5000, and @extra) into stream_target (with a primary key when
 * @keyed) and expects the run to fail with @code and keep nothing. */
static void
stream_refused(Fixture *fixture, const gchar *extra, gboolean keyed, gint fail_at, gint code)
{
	g_autoptr(GError) error = NULL;
	StreamCheck check = {0, fail_at};
	g_autofree gchar *setup = g_strdup_printf(
	        "CREATE TABLE stream_source (g bigint); CREATE TABLE stream_target (g bigint%s, "
	        "total bigint); INSERT INTO stream_source SELECT generate_series(1, 5000)%s",
	        keyed ? " PRIMARY KEY" : "", extra);

	ph_test_core_exec(fixture, setup);
	ph_db_begin(fixture->db, &error);
	g_assert_no_error(error);
	g_assert_false(ph_bulk_stream_run(fixture->db, NULL, STREAM_SELECT,
	                                  "COPY stream_target (g, total) FROM STDIN", stream_row,
	                                  &check, NULL, &error));
	g_assert_error(error, PH_ERROR, code);
	ph_db_rollback(fixture->db);
	g_assert_cmpint(query_int(fixture, "SELECT count(*) FROM stream_target"), ==, 0);
}

/* A row that fails ends the COPY with an error: nothing of it is kept. */
static void
test_stream_failure(Fixture *fixture, gconstpointer data)
{
	stream_refused(fixture, "", FALSE, 4500, PH_ERROR_FAILED);
}

/* The writing server's refusal (a second row for a key) is the run's error, a conflict. */
static void
test_stream_conflict(Fixture *fixture, gconstpointer data)
{
	stream_refused(fixture, " UNION ALL SELECT 17", TRUE, 0, PH_ERROR_CONFLICT);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(name, func)                                                                            \
	g_test_add("/interest-close/" name, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
	ADD("inputs", test_close_inputs);
	ADD("repeat", test_close_repeat);
	ADD("stream", test_stream);
	ADD("stream-failure", test_stream_failure);
	ADD("stream-conflict", test_stream_conflict);
	return g_test_run();
}
