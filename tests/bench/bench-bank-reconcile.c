/* Benchmark of bank result reconciliation (issue 5 §8): a 1,000,000-record PH-BANK-1 result
 * file read through its sealed kept copy, its SM3 digest and the mapping engine into the
 * host's reconciliation (lines stored with one binary COPY, proven equal to the batch's items
 * by the digest of the items stored when the payout file was generated, so stored without
 * their echoes (0025), failed items booked, batch closed, file recorded, in one commit),
 * against a plain COPY of the same rows into a plain table in the same run and database; with
 * the peak RSS. Ours runs as the hub runs, with a key file (the items sealed, the kept copy
 * sealed); the same without a key file is printed beside it, with the CPU each took. Prints
 * figures; not a test. */
#include <glib/gstdio.h>
#include <libpq-fe.h>
#include <string.h>
#include <unistd.h>

#include "pension-hub/ph-digest.h"
#include "pension-hub/ph-payout-api.h"
#include "ph-bulk.h"
#include "ph-document-store.h"
#include "ph-mapping.h"
#include "ph-payout-digest.h"
#include "ph-test-db.h"
#include "ph-test-hub.h"
#include "ph-test-keys.h"
#include "ph-worker-db.h"

#define AMOUNT 350000

static gdouble
bench_seconds_since(gint64 start)
{
	return (gdouble)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
}

/* Batch @batch_no of @records sent items for @period, stored as `payout run` stores them: with
 * a key file installed each item's AAC002 and AAE010 sealed and the account's lookup hashed
 * (payout_item copies them from person and account, docs/security.md), else plaintext. */
static void
bench_seed_items(PhDb *db, gint batch_no, gint period, guint records)
{
	g_autoptr(GError) error = NULL;
	/* in COPYs of 20,000 rows, so that the set-up does not raise the peak RSS measured */
	g_autoptr(GString) copy = g_string_sized_new(20000 * 320);
	for (guint serial = 1; serial <= records; serial++) {
		gchar id[24], account[24];
		g_snprintf(id, sizeof id, "1101051950%08u", serial);
		g_snprintf(account, sizeof account, "6222%015u", serial);
		g_autofree gchar *id_sealed = ph_field_seal(id, &error);
		g_autofree gchar *account_sealed = ph_field_seal_account(account, &error);
		g_autofree gchar *account_lookup = ph_field_lookup(account);
		g_assert_no_error(error);
		g_string_append_printf(copy, "%d\t%u\t%u\t%d\t%s\t张三\t%s\t%d\t%s\n", batch_no,
		                       serial, serial, period, id_sealed, account_sealed, AMOUNT,
		                       account_lookup);
		if (serial % 20000 != 0 && serial != records)
			continue;
		g_assert_true(
		        ph_bulk_copy_in(db,
		                        "COPY payout_item (batch_no, serial, person_id, period, "
		                        "id_number, name, account, amount, account_lookup) "
		                        "FROM STDIN",
		                        copy->str, copy->len, &error));
		g_assert_no_error(error);
		g_string_truncate(copy, 0);
	}
}

static void
bench_seed(PhDb *db, gint batch_no, gint period, guint records)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *sql = g_strdup_printf(
	        "INSERT INTO payout_batch (batch_no, bank, period, kind, profile, file_name, "
	        "created, item_count, total, state) VALUES (%d, 'icbc', %d, 'regular', "
	        "'ph-bank-1', 'PAYOUT_%d.txt', '20261127090000', %u, %" G_GINT64_FORMAT ", 'sent')",
	        batch_no, period, batch_no, records, (gint64)records * AMOUNT);
	g_assert_true(ph_db_exec(db, sql, &error));
	g_assert_no_error(error);
	bench_seed_items(db, batch_no, period, records);
	g_autofree gchar *schedule = g_strdup_printf(
	        "INSERT INTO payout_schedule (person_id, period, amount, account_part, "
	        "annuity_part) SELECT n, %d, %d, 0, 0 FROM generate_series(1, %u) n; "
	        "ANALYZE payout_item; ANALYZE payout_schedule",
	        period, AMOUNT, records);
	g_assert_true(ph_db_exec(db, schedule, &error));
	g_assert_no_error(error);
	/* what the payout API stores while it writes the batch's file (0024) */
	g_autoptr(PhPayoutDigest) digest = ph_payout_digest_new();
	for (guint serial = 1; serial <= records; serial++) {
		gchar id[24], account[24];
		g_snprintf(id, sizeof id, "1101051950%08u", serial);
		g_snprintf(account, sizeof account, "6222%015u", serial);
		ph_payout_digest_add(digest, (gint)serial, id, account, AMOUNT);
	}
	gchar number[16];
	g_snprintf(number, sizeof number, "%d", batch_no);
	const gchar *params[] = {ph_payout_digest_get_hex(digest), number};
	g_autoptr(PGresult) stored = ph_db_query(
	        db, "UPDATE payout_batch SET items_digest = $1 WHERE batch_no = $2::bigint", 2,
	        params, &error);
	g_assert_no_error(error);
}

static void
bench_result_line(PhRecord *record, guint serial)
{
	gchar id[24], account[24];
	g_snprintf(id, sizeof id, "1101051950%08u", serial);
	g_snprintf(account, sizeof account, "6222%015u", serial);
	ph_record_reset(record, "R");
	ph_record_set_int(record, "serial", serial);
	ph_record_set(record, "AAC002", id);
	ph_record_set(record, "AAE010", account);
	ph_record_set_int(record, "AAE019", AMOUNT);
	/* one in a hundred fails: account frozen */
	ph_record_set(record, "status", serial % 100 == 0 ? "1003" : "0000");
	ph_record_set(record, "bank_ref", "BR000000000000000001");
}

/* The bank's result file for batch @batch_no of @period and, if @copy_path is not NULL, the
 * reference's COPY text of the same rows. */
static void
bench_write_files(const gchar *result_path, const gchar *copy_path, gint batch_no, gint period,
                  guint records)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhMapping) mapping = ph_mapping_load("ph-bank-1-result", &error);
	g_assert_no_error(error);
	g_autoptr(GFile) file = g_file_new_for_path(result_path);
	g_autoptr(GFileOutputStream) output =
	        g_file_replace(file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, &error);
	g_assert_no_error(error);
	g_autoptr(GOutputStream) buffered =
	        g_buffered_output_stream_new_sized(G_OUTPUT_STREAM(output), 1 << 20);
	g_autoptr(PhMappingWriter) writer = ph_mapping_writer_new(mapping, buffered, "result");
	g_autoptr(PhRecord) record = ph_record_new();
	FILE *copy = copy_path != NULL ? fopen(copy_path, "wb") : NULL;
	gchar batch_text[16], period_text[8];
	g_snprintf(batch_text, sizeof batch_text, "%010d", batch_no);
	g_snprintf(period_text, sizeof period_text, "%06d", period);
	ph_record_reset(record, "H");
	ph_record_set(record, "batch_no", batch_text);
	ph_record_set(record, "AAB034", "330100000001");
	ph_record_set(record, "payer_account", "33010000001234567890");
	ph_record_set(record, "AAE002", period_text);
	ph_record_set_int(record, "count", records);
	ph_record_set_int(record, "total", (gint64)records * AMOUNT);
	ph_record_set(record, "created", "20261130180000");
	g_assert_true(ph_mapping_writer_write(writer, record, &error));
	for (guint serial = 1; serial <= records; serial++) {
		bench_result_line(record, serial);
		g_assert_true(ph_mapping_writer_write(writer, record, &error));
		if (copy != NULL)
			fprintf(copy, "%u\t%s\t%s\t%d\t%s\t\\N\tBR000000000000000001\t\\N\n",
			        serial, ph_record_get(record, "AAC002"),
			        ph_record_get(record, "AAE010"), AMOUNT,
			        ph_record_get(record, "status"));
	}
	ph_record_reset(record, "T");
	g_assert_true(ph_mapping_writer_write(writer, record, &error));
	g_assert_true(ph_mapping_writer_finish(writer, &error));
	g_assert_true(g_output_stream_close(buffered, NULL, &error));
	g_assert_no_error(error);
	if (copy != NULL)
		fclose(copy);
}

/* The file's records as plugins/bank/bank-result.c takes them: the header names the batch,
 * then each R record is one result. */
typedef struct {
	PhMappingReader *reader;
	const PhRecord *first;
	gint64 batch_no;
} BenchSource;

static gboolean
bench_next_record(BenchSource *source, const PhRecord **record, GError **error)
{
	*record = g_steal_pointer(&source->first);
	while (*record == NULL || !g_str_equal(ph_record_get_kind(*record), "R")) {
		if (*record != NULL && ph_record_contains(*record, "batch_no") &&
		    !ph_record_get_int(*record, "batch_no", &source->batch_no, error))
			return FALSE;
		*record = ph_mapping_reader_next(source->reader, error);
		if (*record == NULL)
			return *error == NULL;
	}
	return TRUE;
}

static gboolean
bench_next(PhPayoutResult *result, gboolean *end, gpointer user_data, GError **error)
{
	BenchSource *source = user_data;
	const PhRecord *record = NULL;
	gint64 serial = 0, amount = 0;
	if (!bench_next_record(source, &record, error))
		return FALSE;
	*end = record == NULL;
	if (*end)
		return TRUE;
	/* as plugins/bank/bank-result.c: in the layout's field order */
	if (!ph_record_get_int(record, "serial", &serial, error))
		return FALSE;
	const gchar *id_number = ph_record_get(record, "AAC002");
	const gchar *account = ph_record_get(record, "AAE010");
	if (!ph_record_get_int(record, "AAE019", &amount, error))
		return FALSE;
	const gchar *status = ph_record_get(record, "status");
	const gchar *bank_ref = ph_record_get(record, "bank_ref");
	const gchar *message = ph_record_get(record, "message");
	*result = (PhPayoutResult){(gint)serial, id_number, account,  amount,
	                           status,       NULL,      bank_ref, message};
	return TRUE;
}

/* CPU seconds (user and system) used so far by process @pid (0: this one), from /proc. */
static gdouble
bench_cpu_seconds(gint pid)
{
	g_autofree gchar *path =
	        pid > 0 ? g_strdup_printf("/proc/%d/stat", pid) : g_strdup("/proc/self/stat");
	g_autofree gchar *text = NULL;
	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	/* the fields after the command's closing parenthesis; utime and stime are 14 and 15 */
	g_auto(GStrv) fields = g_strsplit(strrchr(text, ')') + 2, " ", -1);
	return (gdouble)(g_ascii_strtoull(fields[11], NULL, 10) +
	                 g_ascii_strtoull(fields[12], NULL, 10)) /
	       (gdouble)sysconf(_SC_CLK_TCK);
}

/* Ours: the path the bank adapter takes for a file, from its bytes to the commit; the kept
 * copy is written into @documents (its record in the document table, one row, is left out). */
static gdouble
bench_reconcile(const gchar *path, const gchar *documents, gint64 size, PhPayoutTotals *totals,
                gdouble *booking, GError **error)
{
	gint64 start = g_get_monotonic_time();
	g_autoptr(PhMapping) mapping = ph_mapping_load("ph-bank-1-result", error);
	g_autoptr(GFile) file = g_file_new_for_path(path);
	g_autoptr(GFileInputStream) input = g_file_read(file, NULL, error);
	g_autoptr(PhDocumentWriter) keep = ph_document_writer_new(
	        documents, "result",
	        ph_field_cipher_is_installed() ? ph_field_keys_installed() : NULL, error);
	if (mapping == NULL || input == NULL || keep == NULL)
		return -1;
	/* as plugins/bank/bank-result.c: kept as the bytes pass, SM3 in the stream's own thread */
	g_autoptr(GInputStream) kept =
	        ph_document_writer_input_tee_new(keep, G_INPUT_STREAM(input));
	g_autoptr(PhDigest) digest = ph_digest_new(PH_DIGEST_SM3);
	g_autoptr(GInputStream) tee = ph_digest_input_stream_new_threaded(kept, digest);
	g_autoptr(PhMappingReader) reader = ph_mapping_reader_new(mapping, tee, path);
	g_autoptr(PhPayoutReconcile) reconcile = ph_payout_api_reconcile_begin(NULL, error);
	if (reconcile == NULL)
		return -1;
	BenchSource source = {reader, NULL, 0};
	if (!bench_next_record(&source, &source.first, error) ||
	    !ph_payout_api_reconcile_stream(reconcile, source.batch_no, bench_next, &source,
	                                    error) ||
	    !g_input_stream_close(tee, NULL, error))
		return -1;
	g_autofree gchar *id_digest = g_strdup_printf("SM3 %s", ph_digest_get_hex(digest));
	g_autofree gchar *name = g_path_get_basename(path);
	const PhPayoutFileId id = {"icbc", name, size, id_digest};
	/* as the plugin: the kept copy is committed (fsync, rename) just before the booking */
	gint64 book_start = g_get_monotonic_time();
	if (!ph_document_writer_commit(keep, error) ||
	    !ph_payout_api_reconcile_book(reconcile, source.batch_no, &id, totals, error))
		return -1;
	*booking = bench_seconds_since(book_start);
	return bench_seconds_since(start);
}

/* The work was done: every failed line booked on its item, the batch closed. */
static void
bench_check_booked(PhDb *db, gint batch_no, const PhPayoutTotals *totals)
{
	g_autoptr(GError) error = NULL;
	gchar number[16];
	g_snprintf(number, sizeof number, "%d", batch_no);
	const gchar *params[] = {number};
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "SELECT (SELECT count(*) FROM payout_item WHERE batch_no = $1::bigint AND state = "
	        "'failed' AND status = '1003'), (SELECT state FROM payout_batch WHERE batch_no = "
	        "$1::bigint)",
	        1, params, &error);
	g_assert_no_error(error);
	g_assert_cmpint(ph_db_get_int64(result, 0, 0), ==, totals->failed_count);
	g_assert_cmpstr(PQgetvalue(result, 0, 1), ==, "closed");
}

/* The reference: one COPY of the same rows into a plain table with the same columns. */
static gdouble
bench_plain_copy(PhDb *db, const gchar *copy_path)
{
	g_autoptr(GError) error = NULL;
	ph_db_exec(db,
	           "CREATE TABLE copy_reference (serial integer NOT NULL, id_number text, "
	           "account text NOT NULL, amount bigint NOT NULL, status text NOT NULL, "
	           "reason text, bank_ref text, message text)",
	           &error);
	g_assert_no_error(error);
	PGconn *conn = ph_db_get_conn(db);
	FILE *file = fopen(copy_path, "rb");
	gchar buffer[1 << 16];
	gsize n;
	gint64 start = g_get_monotonic_time();
	PGresult *begin = PQexec(conn, "COPY copy_reference FROM STDIN");
	g_assert_cmpint(PQresultStatus(begin), ==, PGRES_COPY_IN);
	PQclear(begin);
	while ((n = fread(buffer, 1, sizeof buffer, file)) > 0)
		g_assert_cmpint(PQputCopyData(conn, buffer, (gint)n), ==, 1);
	g_assert_cmpint(PQputCopyEnd(conn, NULL), ==, 1);
	PGresult *end = PQgetResult(conn);
	g_assert_cmpint(PQresultStatus(end), ==, PGRES_COMMAND_OK);
	PQclear(end);
	gdouble seconds = bench_seconds_since(start);
	fclose(file);
	return seconds;
}

/* Batch @batch_no seeded as the hub stores it now, its result file written and reconciled;
 * the seconds it took (and the booking's share in @booking). */
static gdouble
bench_month(PhDb *db, const gchar *dir, gint batch_no, gint period, guint records,
            const gchar *copy_path, PhPayoutTotals *totals, gdouble *booking, gint64 *size)
{
	g_autoptr(GError) error = NULL;
	bench_seed(db, batch_no, period, records);
	g_autofree gchar *name = g_strdup_printf("RESULT_PAYOUT_%d.txt", batch_no);
	g_autofree gchar *result_path = g_build_filename(dir, name, NULL);
	bench_write_files(result_path, copy_path, batch_no, period, records);
	GStatBuf st;
	g_assert_cmpint(g_stat(result_path, &st), ==, 0);
	*size = st.st_size;
	/* where the CPU goes: this process (all its threads) and its database backend */
	gint backend = PQbackendPID(ph_db_get_conn(ph_worker_db_get(&error)));
	g_assert_no_error(error);
	gdouble cpu = bench_cpu_seconds(0), backend_cpu = bench_cpu_seconds(backend);
	g_autofree gchar *documents = g_build_filename(dir, "documents", NULL);
	gdouble seconds =
	        bench_reconcile(result_path, documents, st.st_size, totals, booking, &error);
	g_assert_no_error(error);
	ph_test_remove_tree(documents);
	g_print("  (batch %d: cpu of this process %.2f s, of its database backend %.2f s)\n",
	        batch_no, bench_cpu_seconds(0) - cpu, bench_cpu_seconds(backend) - backend_cpu);
	bench_check_booked(db, batch_no, totals);
	g_unlink(result_path);
	return seconds;
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	guint records = argc > 1 ? (guint)g_ascii_strtoull(argv[1], NULL, 10) : 1000000;
	g_test_init(&argc, &argv, NULL);
	g_autoptr(PhTestDb) test_db = ph_test_db_new();
	g_autoptr(PhDb) db = ph_test_db_connect(test_db);
	ph_worker_db_init(ph_test_db_get_url(test_db));
	g_autofree gchar *dir = g_dir_make_tmp("bench-bank-reconcile-XXXXXX", &error);
	g_assert_no_error(error);
	g_autofree gchar *copy_path = g_build_filename(dir, "reference.copy", NULL);
	g_autofree gchar *key_path = g_build_filename(dir, "field.keys", NULL);
	gint64 size = 0;
	gint64 rss_before = ph_test_proc_kib(0, "VmHWM");

	/* ours as the hub runs: with a key file, the echoed AAC002 and AAE010 stored as their
	 * keyed hashes (docs/security.md) */
	g_assert_true(ph_field_keys_add(key_path, "k1", NULL, &error));
	g_assert_no_error(error);
	ph_test_keys_install(ph_test_db_get_url(test_db), key_path);
	PhPayoutTotals totals = {0};
	gdouble booking = 0;
	gdouble ours =
	        bench_month(db, dir, 1, 202611, records, copy_path, &totals, &booking, &size);
	gint64 rss_ours = ph_test_proc_kib(0, "VmHWM");

	/* for comparison, a hub without a key file (the echoes stored as they came) */
	ph_field_cipher_install(NULL);
	PhPayoutTotals plain_totals = {0};
	gdouble plain_booking = 0;
	gdouble plain = bench_month(db, dir, 2, 202612, records, NULL, &plain_totals,
	                            &plain_booking, &size);
	gint backend = PQbackendPID(ph_db_get_conn(db));
	gdouble cpu = bench_cpu_seconds(0), backend_cpu = bench_cpu_seconds(backend);
	gdouble reference = bench_plain_copy(db, copy_path);
	g_print("  (reference: cpu of this process %.2f s, of its database backend %.2f s)\n",
	        bench_cpu_seconds(0) - cpu, bench_cpu_seconds(backend) - backend_cpu);

	g_print("bank result reconciliation, %u records, %.1f MB PH-BANK-1 file\n", records,
	        (gdouble)size / 1e6);
	g_print("  ours: read + keep sealed + SM3 + parse + digest + COPY + book + commit  %6.2f s "
	        " "
	        "(%" G_GINT64_FORMAT " paid, %" G_GINT64_FORMAT " failed)\n",
	        ours, totals.paid_count, totals.failed_count);
	g_print("    of which the booking (kept copy's fsync, checks, failed items, batch, file,\n"
	        "    commit)                                                              %6.2f "
	        "s\n",
	        booking);
	g_print("  the same without a key file (information)  %6.2f s (booking %.2f s), ratio "
	        "%.2f\n",
	        plain, plain_booking, plain / reference);
	g_print("  reference: plain COPY of the same rows, same database      %6.2f s\n",
	        reference);
	g_print("  ratio ours / reference: %.2f (limit 2.00)\n", ours / reference);
	g_print("  peak RSS: %" G_GINT64_FORMAT " kB at start, %" G_GINT64_FORMAT
	        " kB after reconciling (limit 131072 kB)\n",
	        rss_before, rss_ours);
	g_unlink(copy_path);
	g_unlink(key_path);
	g_rmdir(dir);
	return 0;
}
