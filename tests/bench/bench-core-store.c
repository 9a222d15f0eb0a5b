/* Shared parts of the core store benchmarks (see bench-core-store.h). */
#include "bench-core-store.h"

#include <stdio.h>
#include <sys/resource.h>

#include "ph-bulk.h"
#include "ph-policy-file.h"

gdouble
bench_core_store_now(void)
{
	return (gdouble)g_get_monotonic_time() / G_USEC_PER_SEC;
}

void
bench_core_store_init(BenchCoreStore *bench)
{
	g_autoptr(GError) error = NULL;
	const gchar *members = g_getenv("PH_BENCH_MEMBERS");

	setvbuf(stdout, NULL, _IOLBF, 0); /* progress shows while it runs */
	bench->members =
	        members != NULL ? g_ascii_strtoll(members, NULL, 10) : BENCH_CORE_STORE_MEMBERS;
	bench->test_db = ph_test_db_new();
	bench->db = ph_test_db_connect(bench->test_db);
	bench->policy = g_new0(PhPolicy, 1);
	ph_policy_file_load(ph_policy_file_dir(), "110000", 202611, bench->policy, NULL, &error);
	g_assert_no_error(error);
	bench->context.policy = bench->policy;
	bench->context.actor = "bench";
}

void
bench_core_store_clear(BenchCoreStore *bench)
{
	g_clear_pointer(&bench->db, ph_db_free);
	g_clear_pointer(&bench->test_db, ph_test_db_free);
	g_clear_pointer(&bench->policy, g_free);
}

void
bench_core_store_exec(BenchCoreStore *bench, const gchar *label, const gchar *sql)
{
	g_autoptr(GError) error = NULL;
	gdouble start = bench_core_store_now();

	ph_db_exec(bench->db, sql, &error);
	g_assert_no_error(error);
	g_print("  %-40s %8.2f s\n", label, bench_core_store_now() - start);
}

void
bench_core_store_load_members(BenchCoreStore *bench, gint start)
{
	g_autofree gchar *sql = g_strdup_printf(
	        "INSERT INTO unit (unit_code, name) VALUES ('U0001', 'bench unit');"
	        "INSERT INTO person (person_id, id_lookup, id_number, name, sex, birth_date, "
	        " unit_code) SELECT g, 'B' || g, 'B' || g, 'bench', '1', '19800101', 'U0001' "
	        " FROM generate_series(1, %" G_GINT64_FORMAT ") g;"
	        "INSERT INTO enrolment (person_id, start_period, unit_code) "
	        " SELECT g, %d, 'U0001' FROM generate_series(1, %" G_GINT64_FORMAT ") g;"
	        "INSERT INTO declared_wage (person_id, effective_period, wage) "
	        " SELECT g, %d, 200000 + (g::bigint * 7919) %% 3000000 "
	        " FROM generate_series(1, %" G_GINT64_FORMAT ") g;",
	        bench->members, start, bench->members, start, bench->members);

	bench_core_store_exec(bench, "load members (generate_series)", sql);
}

static void
bench_core_store_copy_out(PhDb *db, const gchar *select, FILE *file)
{
	g_autofree gchar *sql = g_strdup_printf("COPY (%s) TO STDOUT", select);
	PGconn *conn = ph_db_get_conn(db);
	g_autoptr(PGresult) start = PQexec(conn, sql);
	char *buffer = NULL;
	int length;

	g_assert_cmpint(PQresultStatus(start), ==, PGRES_COPY_OUT);
	while ((length = PQgetCopyData(conn, &buffer, 0)) > 0) {
		g_assert_cmpint(fwrite(buffer, 1, (size_t)length, file), ==, length);
		PQfreemem(buffer);
	}
	g_assert_cmpint(length, ==, -1);
	PGresult *result;
	while ((result = PQgetResult(conn)) != NULL) {
		g_assert_cmpint(PQresultStatus(result), ==, PGRES_COMMAND_OK);
		PQclear(result);
	}
}

/* Streams the file into COPY in chunks, as the run streams its batches. */
static void
bench_core_store_copy_in(PhDb *db, const gchar *copy_sql, FILE *file)
{
	PGconn *conn = ph_db_get_conn(db);
	g_autoptr(PGresult) start = PQexec(conn, copy_sql);
	g_autofree gchar *chunk = g_malloc(1 << 20);
	size_t length;

	g_assert_cmpint(PQresultStatus(start), ==, PGRES_COPY_IN);
	while ((length = fread(chunk, 1, 1 << 20, file)) > 0)
		g_assert_cmpint(PQputCopyData(conn, chunk, (int)length), ==, 1);
	g_assert_cmpint(PQputCopyEnd(conn, NULL), ==, 1);
	PGresult *result;
	while ((result = PQgetResult(conn)) != NULL) {
		g_assert_cmpint(PQresultStatus(result), ==, PGRES_COMMAND_OK);
		PQclear(result);
	}
}

gdouble
bench_core_store_reference(BenchCoreStore *bench, const gchar *table, const gchar *columns,
                           const gchar *select)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *create =
	        g_strdup_printf("CREATE TABLE bench_reference (LIKE %s INCLUDING ALL)", table);
	g_autofree gchar *copy_sql =
	        g_strdup_printf("COPY bench_reference (%s) FROM STDIN", columns);
	FILE *file = tmpfile();

	g_assert_nonnull(file);
	bench_core_store_exec(bench, "reference: empty copy of the table", create);
	bench_core_store_copy_out(bench->db, select, file);
	rewind(file);
	gdouble start = bench_core_store_now();
	ph_db_begin(bench->db, &error);
	g_assert_no_error(error);
	bench_core_store_copy_in(bench->db, copy_sql, file);
	ph_db_commit(bench->db, &error);
	g_assert_no_error(error);
	gdouble elapsed = bench_core_store_now() - start;
	fclose(file);
	return elapsed;
}

gdouble
bench_core_store_peak_rss_mb(void)
{
	struct rusage usage;

	getrusage(RUSAGE_SELF, &usage);
	return (gdouble)usage.ru_maxrss / 1024.0;
}

void
bench_core_store_report(const gchar *what, gdouble ours, gdouble reference, gdouble rerun)
{
	g_print("\n%s\n", what);
	g_print("  ours (read, rules in C, COPY, commit)   %8.2f s\n", ours);
	g_print("  reference (plain COPY of the same rows) %8.2f s\n", reference);
	g_print("  ratio                                   %8.2f   (bound: 2.00)\n",
	        ours / reference);
	g_print("  re-run (idempotent, writes nothing)     %8.2f s\n", rerun);
	g_print("  peak RSS of this process                %8.1f MB\n",
	        bench_core_store_peak_rss_mb());
}
