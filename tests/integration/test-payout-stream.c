/* The bank upload's walk of a batch's items (core/ph-payout-stream.c, issue 5 §8): a batch of
 * sealed items over several blocks gives what ph_payout_batch_foreach_item gives, in order, to
 * the ahead function on the reading thread as well; a failure of the caller's function, of
 * the ahead function or of the opening (an altered envelope) is returned as it is, and leaves
 * the connection usable for the rollback; an empty batch gives nothing. Suite integration. */
#include <glib/gstdio.h>
#include <string.h>

#include "ph-error.h"
#include "ph-payout-batch.h"
#include "ph-payout-stream.h"
#include "ph-test-db.h"
#include "ph-test-keys.h"

/* More than two blocks and a part of a third (PH_PAYOUT_STREAM_ITEMS 1,024 a block). */
#define ITEMS 2600

static PhTestDb *test_db;
static PhDb *db;

/* Item @serial's plaintext numbers and name (names of 1 to 4 bytes a character). */
static void
item_values(gint serial, gchar id_number[24], gchar account[24], const gchar **name)
{
	g_snprintf(id_number, 24, "1101051950%08d", serial);
	g_snprintf(account, 24, "6222020200%09d", serial);
	*name = serial % 3 == 0 ? "𠮷田花子" : serial % 3 == 1 ? "张三" : "Li";
}

/* Batch @batch_no of @items sealed items as a payout run stores them; serial @altered (0:
 * none) gets an AAE010 envelope with one character changed. */
static void
seed_batch(gint64 batch_no, gint items, gint altered)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *batch = g_strdup_printf(
	        "INSERT INTO payout_batch (batch_no, bank, period, kind, created, item_count, "
	        "total) VALUES (%" G_GINT64_FORMAT ", 'icbc', %" G_GINT64_FORMAT
	        ", 'regular', '20261127090000', %d, %d)",
	        batch_no, 202600 + batch_no, items, items * 100);
	g_assert_true(ph_db_exec(db, batch, &error));
	for (gint serial = 1; serial <= items; serial++) {
		gchar id_number[24], account[24], serial_text[16], amount[16], batch_text[24];
		const gchar *name = NULL;
		item_values(serial, id_number, account, &name);
		g_autofree gchar *sealed_id = ph_field_seal(id_number, &error);
		g_autofree gchar *sealed_account = ph_field_seal_account(account, &error);
		g_assert_no_error(error);
		g_assert_true(ph_field_is_sealed(sealed_id));
		if (serial == altered) {
			gsize at = strlen(sealed_account) - 10;
			sealed_account[at] = sealed_account[at] == 'A' ? 'B' : 'A';
		}
		g_snprintf(serial_text, sizeof serial_text, "%d", serial);
		g_snprintf(amount, sizeof amount, "%d", 100 + serial);
		g_snprintf(batch_text, sizeof batch_text, "%" G_GINT64_FORMAT, batch_no);
		const gchar *params[] = {batch_text, serial_text,    sealed_id,
		                         name,       sealed_account, amount};
		g_autoptr(PGresult) row = ph_db_query(
		        db,
		        "INSERT INTO payout_item (batch_no, serial, person_id, period, id_number, "
		        "name, account, amount) VALUES ($1::bigint, $2::integer, $2::bigint + "
		        "1000, "
		        "202600 + $1::integer, $3, $4, $5, $6::bigint)",
		        6, params, &error);
		g_assert_no_error(error);
	}
}

/* What a walk saw: the items as text lines, the thread of each call. */
typedef struct {
	GString *items;
	GString *ahead;
	GThread *caller;
	gboolean ahead_elsewhere; /* every ahead call came from another thread */
	gint fail_at;             /* the function fails at this serial (0: never) */
	gint ahead_fail_at;       /* the ahead function fails there */
} Walk;

static void
walk_append(GString *out, const PhPayoutItem *item)
{
	g_string_append_printf(out, "%d %" G_GINT64_FORMAT " %s %s %s %" G_GINT64_FORMAT "\n",
	                       item->serial, item->person_id, item->id_number, item->name,
	                       item->account, item->amount);
}

static gboolean
walk_item(const PhPayoutItem *item, gpointer user_data, GError **error)
{
	Walk *walk = user_data;
	g_assert_true(g_thread_self() == walk->caller);
	if (item->serial == walk->fail_at) {
		g_set_error(error, PH_ERROR, PH_ERROR_TRANSIENT, "the file's writer failed");
		return FALSE;
	}
	walk_append(walk->items, item);
	return TRUE;
}

static gboolean
walk_ahead(const PhPayoutItem *item, gpointer user_data, GError **error)
{
	Walk *walk = user_data;
	walk->ahead_elsewhere = walk->ahead_elsewhere && g_thread_self() != walk->caller;
	if (item->serial == walk->ahead_fail_at) {
		g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "the digest failed");
		return FALSE;
	}
	walk_append(walk->ahead, item);
	return TRUE;
}

static gboolean
walk_reference(const PhPayoutItem *item, gpointer user_data, GError **error)
{
	walk_append(user_data, item);
	return TRUE;
}

/* ph_payout_stream_items of @batch_no in a transaction of its own with @walk; afterwards the
 * connection must answer a query in that transaction (the COPY is over), then rolls back. */
static gboolean
walk_batch(gint64 batch_no, Walk *walk, GError **error)
{
	g_autoptr(GError) local = NULL;
	walk->items = g_string_new(NULL);
	walk->ahead = g_string_new(NULL);
	walk->caller = g_thread_self();
	walk->ahead_elsewhere = TRUE;
	g_assert_true(ph_db_begin(db, &local));
	gboolean ok = ph_payout_stream_items(db, batch_no, walk_ahead, walk_item, walk, error);
	if (ok) {
		g_autoptr(PGresult) after = ph_db_query(db, "SELECT 1", 0, NULL, &local);
		g_assert_no_error(local);
	}
	ph_db_rollback(db);
	g_autoptr(PGresult) usable = ph_db_query(db, "SELECT 1", 0, NULL, &local);
	g_assert_no_error(local);
	return ok;
}

static void
walk_clear(Walk *walk)
{
	g_string_free(walk->items, TRUE);
	g_string_free(walk->ahead, TRUE);
}

/* The same items, opened, as the cursor's walk gives them, in serial order; the ahead
 * function got each of them too, on the reading thread. */
static void
test_same_as_cursor(void)
{
	g_autoptr(GError) error = NULL;
	Walk walk = {0};
	g_assert_true(walk_batch(1, &walk, &error));
	g_assert_no_error(error);
	g_autoptr(GString) reference = g_string_new(NULL);
	g_assert_true(ph_db_begin(db, &error));
	g_assert_true(ph_payout_batch_foreach_item(db, 1, walk_reference, reference, &error));
	g_assert_no_error(error);
	ph_db_rollback(db);
	/* the cursor gives every item; its lines are the stream's */
	guint lines = 0;
	for (const gchar *c = reference->str; (c = strchr(c, '\n')) != NULL; c++)
		lines++;
	g_assert_cmpuint(lines, ==, ITEMS);
	g_assert_cmpstr(walk.items->str, ==, reference->str);
	g_assert_cmpstr(walk.ahead->str, ==, reference->str);
	g_assert_true(walk.ahead_elsewhere);
	/* and the first and last carry the seeded plaintext */
	gchar id_number[24], account[24];
	const gchar *name = NULL;
	item_values(ITEMS, id_number, account, &name);
	g_autofree gchar *last = g_strdup_printf("%d %d %s %s %s %d\n", ITEMS, ITEMS + 1000,
	                                         id_number, name, account, 100 + ITEMS);
	g_assert_true(g_str_has_suffix(walk.items->str, last));
	g_assert_true(g_str_has_prefix(walk.items->str, "1 1001 110105195000000001 张三 "
	                                                "6222020200000000001 101\n"));
	walk_clear(&walk);
}

/* Failures are returned as they are, in the middle of a block or at its edge, and the rest is
 * read and dropped. */
static void
test_failures(void)
{
	const struct {
		gint64 batch_no;
		gint fail_at;
		gint ahead_fail_at;
		gint code;
		const gchar *words;
	} cases[] = {
	        {1, 1500, 0, PH_ERROR_TRANSIENT, "the file's writer failed"},
	        {1, 1024, 0, PH_ERROR_TRANSIENT, "the file's writer failed"},
	        {1, 1, 0, PH_ERROR_TRANSIENT, "the file's writer failed"},
	        {1, 0, 2000, PH_ERROR_FAILED, "the digest failed"},
	        /* batch 2's serial 2049 is altered: the opening refuses it, naming the field */
	        {2, 0, 0, PH_ERROR_FAILED, "AAE010: encrypted field under key"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		Walk walk = {.fail_at = cases[i].fail_at, .ahead_fail_at = cases[i].ahead_fail_at};
		g_assert_false(walk_batch(cases[i].batch_no, &walk, &error));
		g_assert_error(error, PH_ERROR, cases[i].code);
		g_assert_nonnull(strstr(error->message, cases[i].words));
		walk_clear(&walk);
	}
}

static void
test_empty(void)
{
	g_autoptr(GError) error = NULL;
	Walk walk = {0};
	g_assert_true(walk_batch(3, &walk, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(walk.items->str, ==, "");
	g_assert_cmpstr(walk.ahead->str, ==, "");
	walk_clear(&walk);
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_test_init(&argc, &argv, NULL);
	test_db = ph_test_db_new();
	db = ph_test_db_connect(test_db);
	g_autofree gchar *dir = g_dir_make_tmp("ph-payout-stream-XXXXXX", &error);
	g_assert_no_error(error);
	g_autofree gchar *key_path = g_build_filename(dir, "field.keys", NULL);
	g_assert_true(ph_field_keys_add(key_path, "k1", NULL, &error));
	ph_test_keys_install(ph_test_db_get_url(test_db), key_path);
	seed_batch(1, ITEMS, 0);
	seed_batch(2, ITEMS, 2049);
	seed_batch(3, 0, 0);
	g_test_add_func("/payout-stream/same-as-cursor", test_same_as_cursor);
	g_test_add_func("/payout-stream/failures", test_failures);
	g_test_add_func("/payout-stream/empty", test_empty);
	gint rc = g_test_run();
	g_clear_pointer(&db, ph_db_free);
	g_clear_pointer(&test_db, ph_test_db_free);
	g_unlink(key_path);
	g_rmdir(dir);
	return rc;
}
