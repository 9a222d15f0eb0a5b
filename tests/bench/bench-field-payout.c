/* Benchmark (issue 9 §3): what sealing AAC002 and AAE010 costs the payout paths for 1,000,000
 * items — reading a batch as the bank's file is generated (both numbers opened) and booking the
 * bank's result lines (both echoes kept as keyed hashes, matched to the items' lookups) — beside
 * the same steps on the same rows without a key file, in the same run and database; and the
 * rotation that seals such a database in batches. Prints figures; not a test. */
#include <glib/gstdio.h>
#include <string.h>

#include "ph-config.h"
#include "ph-field-cipher.h"
#include "ph-field-key.h"
#include "ph-field-rotate.h"
#include "ph-payout-batch.h"
#include "ph-payout-result.h"
#include "ph-payout-stream.h"
#include "ph-test-db.h"
#include "ph-test-hub.h"
#include "ph-test-keys.h"

#define AMOUNT 350000

static gdouble
bench_seconds_since(gint64 start)
{
	return (gdouble)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
}

/* Batch @batch_no of @records sent items, written as the hub writes them without a key file
 * (the account is its own lookup). */
static void
bench_seed(PhDb *db, gint batch_no, guint records)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *sql = g_strdup_printf(
	        "INSERT INTO payout_batch (batch_no, bank, period, kind, profile, file_name, "
	        "created, item_count, total, state) VALUES (%d, 'icbc', %d, 'regular', "
	        "'ph-bank-1', 'PAYOUT_%d.txt', '20261127090000', %u, %" G_GINT64_FORMAT
	        ", 'sent'); "
	        "INSERT INTO payout_item (batch_no, serial, person_id, period, id_number, name, "
	        "account, account_lookup, amount) SELECT %d, n, n, %d, '1101051950' || "
	        "lpad(n::text, 8, '0'), '张三', '6222' || lpad(n::text, 15, '0'), '6222' || "
	        "lpad(n::text, 15, '0'), %d FROM generate_series(1, %u) n; ANALYZE payout_item",
	        batch_no, 202610 + batch_no, batch_no, records, (gint64)records * AMOUNT, batch_no,
	        202610 + batch_no, AMOUNT, records);
	g_assert_true(ph_db_exec(db, sql, &error));
	g_assert_no_error(error);
}

/* The persons paid: a sealed echo of AAC002 is matched through person.id_lookup. */
static void
bench_seed_persons(PhDb *db, guint records)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *sql = g_strdup_printf(
	        "INSERT INTO person (person_id, id_lookup, id_number, name, sex, birth_date, "
	        "status) SELECT n, '1101051950' || lpad(n::text, 8, '0'), '1101051950' || "
	        "lpad(n::text, 8, '0'), '张三', '1', '19500101', 'retired' FROM "
	        "generate_series(1, %u) n; ANALYZE person",
	        records);
	g_assert_true(ph_db_exec(db, sql, &error));
	g_assert_no_error(error);
}

typedef struct {
	gint serial;
	gchar *id_number;
	gchar *account;
} BenchItem;

static void
bench_item_free(BenchItem *item)
{
	g_free(item->id_number);
	g_free(item->account);
	g_free(item);
}

static gboolean
bench_collect(const PhPayoutItem *item, gpointer user_data, GError **error)
{
	BenchItem *copy = g_new(BenchItem, 1);
	copy->serial = item->serial;
	copy->id_number = g_strdup(item->id_number);
	copy->account = g_strdup(item->account);
	g_ptr_array_add(user_data, copy);
	return TRUE;
}

/* The batch's items as the bank's file generation reads them (ph_payout_stream_items, as
 * ph_payout_api_foreach_line); the seconds it took. */
static gdouble
bench_read(PhDb *db, gint64 batch_no, GPtrArray *items)
{
	g_autoptr(GError) error = NULL;
	gint64 start = g_get_monotonic_time();
	g_assert_true(ph_db_begin(db, &error));
	g_assert_true(ph_payout_stream_items(db, batch_no, NULL, bench_collect, items, &error));
	g_assert_no_error(error);
	ph_db_rollback(db);
	return bench_seconds_since(start);
}

/* The bank's answer to @items (one in a hundred failed) stored, matched and booked in one
 * transaction; the seconds it took. */
static gdouble
bench_book(PhDb *db, gint64 batch_no, GPtrArray *items)
{
	g_autoptr(GError) error = NULL;
	gint64 start = g_get_monotonic_time();
	g_assert_true(ph_db_begin(db, &error));
	g_autoptr(PhPayoutResultLoad) load = ph_payout_result_begin(db, &error);
	g_assert_no_error(error);
	for (guint i = 0; i < items->len; i++) {
		const BenchItem *item = g_ptr_array_index(items, i);
		const PhPayoutResultLine line = {item->serial,
		                                 item->id_number,
		                                 item->account,
		                                 AMOUNT,
		                                 item->serial % 100 == 0 ? "1003" : "0000",
		                                 NULL,
		                                 "BR000000000000000001",
		                                 NULL};
		g_assert_true(ph_payout_result_add(load, &line, &error));
	}
	g_autofree gchar *name = g_strdup_printf("RESULT_%" G_GINT64_FORMAT ".txt", batch_no);
	const PhPayoutResultFile file = {"icbc", name, 1, "SM3 00"};
	const PhCommandContext context = {NULL, "bench"};
	PhPayoutBooking booking;
	g_assert_true(ph_payout_result_book(load, &context, batch_no, &file, &booking, &error));
	g_assert_no_error(error);
	g_assert_cmpint(booking.paid_count + booking.failed_count, ==, items->len);
	g_clear_pointer(&load, ph_payout_result_load_free);
	g_assert_true(ph_db_commit(db, &error));
	return bench_seconds_since(start);
}

/* A fresh key file installed as the process's cipher, as the daemon does from its config. */
static PhFieldKeys *
bench_install_keys(PhTestDb *test_db, const gchar *path)
{
	g_autoptr(GError) error = NULL;
	g_assert_true(ph_field_keys_add(path, "k1", NULL, &error));
	ph_test_keys_install(ph_test_db_get_url(test_db), path);
	PhFieldKeys *keys = ph_field_keys_load(path, &error);
	g_assert_no_error(error);
	return keys;
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	guint records = argc > 1 ? (guint)g_ascii_strtoull(argv[1], NULL, 10) : 1000000;
	g_autoptr(PhTestDb) test_db = ph_test_db_new();
	g_autoptr(PhDb) db = ph_test_db_connect(test_db);
	g_autofree gchar *dir = g_dir_make_tmp("bench-field-payout-XXXXXX", &error);
	g_autofree gchar *key_path = g_build_filename(dir, "field.keys", NULL);
	bench_seed_persons(db, records);
	bench_seed(db, 1, records);
	bench_seed(db, 2, records);

	/* the reference: batch 1 without a key file */
	g_autoptr(GPtrArray) plain =
	        g_ptr_array_new_with_free_func((GDestroyNotify)bench_item_free);
	gdouble read_plain = bench_read(db, 1, plain);
	gdouble book_plain = bench_book(db, 1, plain);

	/* a key file from now on: every stored number sealed or hashed, then batch 2 */
	g_autoptr(PhFieldKeys) keys = bench_install_keys(test_db, key_path);
	PhFieldRotation rotation = {0};
	gint64 start = g_get_monotonic_time();
	g_assert_true(ph_field_rotate(db, keys, 10000, NULL, NULL, &rotation, &error));
	g_assert_no_error(error);
	gdouble rotate = bench_seconds_since(start);
	/* A hub with keys writes an item sealed once, when its batch is built; the rotation here
	 * rewrote each item twice (AAC002, then AAE010). Compact the tables so that batch 2 is
	 * read as it would be stored, like batch 1 was. */
	g_assert_true(ph_db_exec(db, "VACUUM FULL ANALYZE person, payout_item, payout_result_line",
	                         &error));
	g_assert_no_error(error);
	g_autoptr(GPtrArray) sealed =
	        g_ptr_array_new_with_free_func((GDestroyNotify)bench_item_free);
	gdouble read_sealed = bench_read(db, 2, sealed);
	gdouble book_sealed = bench_book(db, 2, sealed);

	g_print("payout paths with AAC002 and AAE010 sealed, %u items per batch\n", records);
	g_print("  batch read for the bank's file: %6.2f s sealed (both numbers opened), "
	        "reference without keys %6.2f s\n",
	        read_sealed, read_plain);
	g_print("  result lines stored, matched, booked: %6.2f s sealed (both echoes hashed), "
	        "reference without keys %6.2f s\n",
	        book_sealed, book_plain);
	g_print("  rotation sealing the database: %6.2f s for %" G_GINT64_FORMAT
	        " values sealed and %" G_GINT64_FORMAT " hashed in %u batches "
	        "(%.0f values/s)\n",
	        rotate, rotation.resealed, rotation.hashed, rotation.batches,
	        (rotation.resealed + rotation.hashed) / rotate);
	g_unlink(key_path);
	g_rmdir(dir);
	return 0;
}
