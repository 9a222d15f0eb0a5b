/* Personnel batch ingest (issue 7 §5): a 1,000,000-event HIRE batch (about 170 MB)
 * dropped in the watched folder of a real daemon, timed from its done file to the batch's
 * last commit, against the reference measured in the same run: `xmllint --stream` over
 * the file plus a plain COPY of the rows the ingest produced (persons, enrolments, wages,
 * results) into empty copies of their tables with the same keys (LIKE … INCLUDING ALL), as the
 * core's benchmarks copy into an empty copy of the table they write. The COPY into copies
 * without keys is printed beside it, with the ratio against it. Prints the daemon's peak RSS.
 * AAC002 is sealed under a key file, as deployed (PH_BENCH_PLAINTEXT=1: not). A figure, not a
 * verdict. Needs PH_DATABASE_URL, PH_PKI, PH_BUILD_DIR. */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <libpq-fe.h>
#include <string.h>
#include <unistd.h>

#include "ph-test-db.h"
#include "ph-test-hub.h"

#define DEFAULT_EVENTS 1000000

static gchar *
make_id(guint n)
{
	static const gint weights[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
	/* Distinct numbers: birth date from n / 1000, sequence n % 1000. */
	guint day = n / 1000;
	gchar *id = g_strdup_printf("110105%04u%02u%02u%03u?", 1960 + day / 336 % 30,
	                            1 + day / 28 % 12, 1 + day % 28, n % 1000);
	gint sum = 0;
	for (guint i = 0; i < 17; i++)
		sum += (id[i] - '0') * weights[i];
	id[17] = "10X98765432"[sum % 11];
	return id;
}

static void
write_batch(const gchar *path, guint events, GChecksum *checksum)
{
	FILE *file = fopen(path, "wb");
	g_assert_nonnull(file);
	g_autoptr(GString) chunk = g_string_sized_new(1 << 20);
	g_string_append(chunk, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PersonnelBatch "
	                       "xmlns=\"urn:pension-hub:personnel:1\" batchId=\"BENCH\" "
	                       "AAB001=\"U0001\">\n<Event seq=\"0\" type=\"UNIT\" "
	                       "effective=\"20141001\"><AAB004>某市财政局</AAB004></Event>\n");
	for (guint i = 1; i <= events; i++) {
		g_autofree gchar *id = make_id(i);
		g_string_append_printf(chunk,
		                       "<Event seq=\"%u\" type=\"HIRE\" effective=\"20141001\">"
		                       "<AAC002>%s</AAC002><AAC003>张三</AAC003><AAC004>%c</AAC004>"
		                       "<AAC006>%.8s</AAC006><Wage>7500.00</Wage></Event>\n",
		                       i, id, (id[16] - '0') % 2 == 1 ? '1' : '2', id + 6);
		if (chunk->len > (1 << 20) - 512 || i == events) {
			if (i == events)
				g_string_append(chunk, "</PersonnelBatch>\n");
			g_assert_cmpuint(fwrite(chunk->str, 1, chunk->len, file), ==, chunk->len);
			g_checksum_update(checksum, (const guchar *)chunk->str, chunk->len);
			g_string_truncate(chunk, 0);
		}
	}
	g_assert_cmpint(fclose(file), ==, 0);
}

static gdouble
time_xmllint(const gchar *path)
{
	g_autofree gchar *command = g_strdup_printf("xmllint --stream --noout %s", path);
	gint status = 0;
	gint64 start = g_get_monotonic_time();
	g_assert_true(g_spawn_command_line_sync(command, NULL, NULL, &status, NULL));
	g_assert_cmpint(status, ==, 0);
	return (g_get_monotonic_time() - start) / 1e6;
}

static void
run_sql(PGconn *conn, const gchar *sql)
{
	PGresult *result = PQexec(conn, sql);
	ExecStatusType status = PQresultStatus(result);
	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
		g_printerr("%s: %s", sql, PQresultErrorMessage(result));
	g_assert_true(status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK);
	PQclear(result);
}

/* COPY TO STDOUT of @select, kept in memory. */
static GString *
copy_out(PGconn *conn, const gchar *select)
{
	g_autofree gchar *sql = g_strdup_printf("COPY (%s) TO STDOUT", select);
	PGresult *result = PQexec(conn, sql);
	g_assert_cmpint(PQresultStatus(result), ==, PGRES_COPY_OUT);
	PQclear(result);
	GString *rows = g_string_new(NULL);
	gchar *line = NULL;
	gint length = 0;
	while ((length = PQgetCopyData(conn, &line, 0)) > 0) {
		g_string_append_len(rows, line, length);
		PQfreemem(line);
	}
	g_assert_cmpint(length, ==, -1);
	PQclear(PQgetResult(conn));
	return rows;
}

static void
copy_in(PGconn *conn, const gchar *table, GString *rows)
{
	g_autofree gchar *sql = g_strdup_printf("COPY %s FROM STDIN", table);
	PGresult *result = PQexec(conn, sql);
	g_assert_cmpint(PQresultStatus(result), ==, PGRES_COPY_IN);
	PQclear(result);
	g_assert_cmpint(PQputCopyData(conn, rows->str, (int)rows->len), ==, 1);
	g_assert_cmpint(PQputCopyEnd(conn, NULL), ==, 1);
	result = PQgetResult(conn);
	if (PQresultStatus(result) != PGRES_COMMAND_OK)
		g_printerr("COPY %s: %s", table, PQresultErrorMessage(result));
	g_assert_cmpint(PQresultStatus(result), ==, PGRES_COMMAND_OK);
	PQclear(result);
}

/* The rows the ingest produced, copied again into tables of the same columns: without
 * keys (@keyed FALSE: the reference), or with the same keys, checks and defaults. */
static gdouble
time_copy(const gchar *url, gboolean keyed)
{
	static const gchar *const tables[][2] = {
	        {"person", "SELECT * FROM person"},
	        {"enrolment", "SELECT * FROM enrolment"},
	        {"declared_wage", "SELECT * FROM declared_wage"},
	        {"personnel_result", "SELECT * FROM personnel_result"},
	};
	PGconn *conn = PQconnectdb(url);
	g_assert_cmpint(PQstatus(conn), ==, CONNECTION_OK);
	GString *rows[G_N_ELEMENTS(tables)];
	for (guint i = 0; i < G_N_ELEMENTS(tables); i++) {
		g_autofree gchar *create =
		        g_strdup_printf("CREATE TABLE %s_%s (LIKE %s%s)", keyed ? "keyed" : "plain",
		                        tables[i][0], tables[i][0], keyed ? " INCLUDING ALL" : "");
		run_sql(conn, create);
		rows[i] = copy_out(conn, tables[i][1]);
	}
	gint64 start = g_get_monotonic_time();
	for (guint i = 0; i < G_N_ELEMENTS(tables); i++) {
		g_autofree gchar *table =
		        g_strdup_printf("%s_%s", keyed ? "keyed" : "plain", tables[i][0]);
		copy_in(conn, table, rows[i]);
	}
	gdouble seconds = (g_get_monotonic_time() - start) / 1e6;
	for (guint i = 0; i < G_N_ELEMENTS(tables); i++)
		g_string_free(rows[i], TRUE);
	PQfinish(conn);
	return seconds;
}

/* User plus system CPU seconds of @pid so far (/proc/PID/stat fields 14 and 15). */
static gdouble
cpu_seconds(GPid pid)
{
	g_autofree gchar *path = g_strdup_printf("/proc/%d/stat", pid);
	g_autofree gchar *stat = NULL;
	g_assert_true(g_file_get_contents(path, &stat, NULL, NULL));
	g_auto(GStrv) fields = g_strsplit(strrchr(stat, ')') + 2, " ", -1);
	return (g_ascii_strtod(fields[11], NULL) + g_ascii_strtod(fields[12], NULL)) /
	       sysconf(_SC_CLK_TCK);
}

int
main(int argc, char **argv)
{
	const gchar *count = g_getenv("PH_BENCH_EVENTS");
	guint events = count != NULL ? (guint)g_ascii_strtoull(count, NULL, 10) : DEFAULT_EVENTS;
	/* PH_BENCH_CHUNK: events per transaction (the README's figures: 20,000). */
	const gchar *chunk =
	        g_getenv("PH_BENCH_CHUNK") != NULL ? g_getenv("PH_BENCH_CHUNK") : "20000";
	g_autoptr(PhTestDb) db = ph_test_db_new();
	g_autoptr(PhTestHub) hub = ph_test_hub_new(ph_test_db_get_url(db), NULL, NULL);
	g_autofree gchar *drop = g_build_filename(hub->dir, "drop", NULL);
	/* PH_BENCH_PLAINTEXT=1: AAC002 stored as plaintext, as before encryption at rest. */
	g_autofree gchar *keys_section = ph_test_hub_keys_config(hub);
	gboolean plaintext = keys_section[0] == '\0';
	g_autofree gchar *extra = g_strdup_printf("%s[plugin personnel]\nspool_dir = spool\n"
	                                          "drop_dir = %s\npoll_seconds = 1\n"
	                                          "chunk_events = %s\n",
	                                          keys_section, drop, chunk);
	g_assert_cmpint(g_mkdir(drop, 0700), ==, 0);
	ph_test_hub_write_config(hub, extra);
	g_autofree gchar *target = g_build_filename(g_getenv("PH_BUILD_DIR"), "plugins",
	                                            "personnel", "libph-personnel.so", NULL);
	g_autofree gchar *link = g_build_filename(hub->dir, "plugins", "libph-personnel.so", NULL);
	g_assert_cmpint(symlink(target, link), ==, 0);
	ph_test_hub_start(hub);

	/* The file is written beside the folder, linked in, then its done file. The plugin deletes
	 * the folder's name once the batch is spooled; the staging name stays for xmllint. */
	g_autofree gchar *staging = g_build_filename(hub->dir, "batch.xml", NULL);
	g_autofree gchar *path = g_build_filename(drop, "batch.xml", NULL);
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
	write_batch(staging, events, checksum);
	g_assert_cmpint(linkat(AT_FDCWD, staging, AT_FDCWD, path, 0), ==, 0);
	struct stat info;
	g_assert_cmpint(g_stat(path, &info), ==, 0);
	g_autofree gchar *done =
	        g_strdup_printf("SHA256 %s %u\n", g_checksum_get_string(checksum), events + 1);
	g_autofree gchar *done_path = g_strconcat(path, ".ok", NULL);
	gint64 start = g_get_monotonic_time();
	g_assert_true(g_file_set_contents(done_path, done, -1, NULL));
	g_autofree gchar *state = ph_test_wait_for_value(
	        ph_test_db_get_url(db),
	        "SELECT state FROM personnel_batch WHERE state IN ('done', 'rejected')", "done",
	        1800 * 1000);
	gdouble ours = (g_get_monotonic_time() - start) / 1e6;
	g_assert_cmpstr(state, ==, "done");
	gint64 rss = ph_test_proc_kib(hub->pid, "VmHWM");
	gdouble cpu = cpu_seconds(hub->pid);
	g_autofree gchar *applied =
	        ph_test_query_value(ph_test_db_get_url(db), "SELECT applied FROM personnel_batch");

	/* The figure is of the mode it names: every AAC002 sealed, or none. */
	g_autofree gchar *sealed =
	        ph_test_query_value(ph_test_db_get_url(db),
	                            "SELECT count(*) FROM person WHERE id_number LIKE 'enc1:%'");
	g_assert_cmpint(g_ascii_strtoll(sealed, NULL, 10), ==, plaintext ? 0 : events);

	gdouble xmllint = time_xmllint(staging);
	gdouble copy = time_copy(ph_test_db_get_url(db), FALSE);
	gdouble keyed = time_copy(ph_test_db_get_url(db), TRUE);
	gdouble reference = xmllint + keyed;
	g_print("personnel ingest: %u HIRE events, %.1f MB, %s applied, AAC002 %s, chunks of %s\n",
	        events, info.st_size / 1e6, applied, plaintext ? "plaintext" : "sealed (key file)",
	        chunk);
	g_print("  ours (done file -> last commit)   %8.2f s  (%.0f events/s)\n", ours,
	        events / ours);
	g_print("  reference: xmllint --stream       %8.2f s\n", xmllint);
	g_print("             plain COPY of the rows %8.2f s  (into empty tables with the same "
	        "keys)\n",
	        keyed);
	g_print("             sum                    %8.2f s  (limit 2x: %.2f s)\n", reference,
	        2 * reference);
	g_print("  daemon CPU (user + system)        %8.2f s\n", cpu);
	g_print("  ratio ours / reference            %8.2f\n", ours / reference);
	g_print("  for comparison: COPY into tables without keys %.2f s; xmllint + that %.2f s; "
	        "ratio %.2f\n",
	        copy, xmllint + copy, ours / (xmllint + copy));
	g_autofree gchar *log = NULL;
	if (g_file_get_contents(hub->log_path, &log, NULL, NULL) && g_getenv("PH_BENCH_LOG"))
		g_print("%s", log);
	g_print("  daemon peak RSS                   %8.1f MB  (limit 128 MB)\n", rss / 1024.0);
	return 0;
}
