/* Benchmark (issue 3 §7): the monthly contribution run for 1,000,000 members against a
 * plain COPY of the same rows into an empty copy of the contribution table, measured in
 * the same run; bound 2×. Also the idempotent re-run and the peak RSS. Not a test. */
#include "bench-core-store.h"
#include "ph-contribution-run.h"

#define BENCH_PERIOD 202506

static gdouble
bench_contrib_run_once(BenchCoreStore *bench, PhContributionRunResult *result)
{
	g_autoptr(GError) error = NULL;
	gdouble start = bench_core_store_now();

	ph_db_begin(bench->db, &error);
	g_assert_no_error(error);
	ph_contribution_run(bench->db, &bench->context, BENCH_PERIOD, result, &error);
	g_assert_no_error(error);
	ph_db_commit(bench->db, &error);
	g_assert_no_error(error);
	return bench_core_store_now() - start;
}

/* May's row of every member, whose year credits June's rows extend. */
static void
bench_contrib_run_load_previous(BenchCoreStore *bench)
{
	g_autofree gchar *sql = g_strdup_printf(
	        "INSERT INTO contribution (person_id, period, unit_code, wage, base, employer, "
	        " individual, annuity_employer, annuity_individual, account_credit, "
	        " annuity_credit, year_account, year_annuity) SELECT g, 202505, 'U0001', "
	        " 750000, 750000, 120000, 60000, 60000, 30000, 60000, 90000, "
	        " array_fill(60000::bigint, ARRAY[5]) || array_fill(0::bigint, ARRAY[7]), "
	        " array_fill(90000::bigint, ARRAY[5]) || array_fill(0::bigint, ARRAY[7]) "
	        " FROM generate_series(1, %" G_GINT64_FORMAT ") g;"
	        "INSERT INTO contribution_run (period, members, employer, individual, annuity) "
	        " VALUES (202505, %" G_GINT64_FORMAT ", 0, 0, 0);",
	        bench->members, bench->members);

	bench_core_store_exec(bench, "load May's contributions", sql);
}

int
main(int argc, char **argv)
{
	BenchCoreStore bench = {0};
	PhContributionRunResult result;

	bench_core_store_init(&bench);
	g_print("contribution run, %" G_GINT64_FORMAT " members, period 2025-06\n", bench.members);
	bench_core_store_load_members(&bench, 202401);
	bench_contrib_run_load_previous(&bench);
	bench_core_store_exec(&bench, "analyze", "ANALYZE");

	gdouble ours = bench_contrib_run_once(&bench, &result);
	g_assert_cmpint(result.members, ==, bench.members);
	gdouble rerun = bench_contrib_run_once(&bench, &result);
	g_assert_true(result.duplicate);
	gdouble reference = bench_core_store_reference(
	        &bench, "contribution",
	        "person_id, period, source, unit_code, wage, base, employer, individual, "
	        "annuity_employer, annuity_individual, account_credit, annuity_credit, "
	        "year_account, year_annuity",
	        "SELECT person_id, period, source, unit_code, wage, base, employer, individual, "
	        "annuity_employer, annuity_individual, account_credit, annuity_credit, "
	        "year_account, year_annuity FROM contribution WHERE period = 202506");
	bench_core_store_report("contribution run", ours, reference, rerun);
	bench_core_store_clear(&bench);
	return 0;
}
