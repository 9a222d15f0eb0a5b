/* Integration test of bank result reconciliation in the core (core/ph-payout-result.c): lines
 * streamed beside the batch's items (ph_payout_result_stream), or only stored and proven by the
 * digest of the items stored when the file was generated (ph_payout_result_stream_lines,
 * hub/ph-payout-digest.c) or else by each line's keyed fingerprint, are booked only when every
 * item is answered once with its ID number, account and amount, whatever their order;
 * otherwise the whole file is refused naming the first line that does not match, and nothing
 * is booked. Lines proven without their echoes store none (migration 0025). */
#include <string.h>

#include "ph-error.h"
#include "ph-payout-batch.h"
#include "ph-payout-digest.h"
#include "ph-payout-result.h"
#include "ph-test-db.h"

/* Each case's batch has these items: serial k to person 100 + k, with the ID number, account
 * and amount below (fen). */
#define ITEMS          4
#define MAX_LINES      6
#define AMOUNT(serial) (300000 + (serial))

static gchar *
item_id(gint serial)
{
	return g_strdup_printf("1101051950010100%02d", serial);
}

static gchar *
item_account(gint serial)
{
	return g_strdup_printf("62220000000000000%02d", serial);
}

/* How a case's file differs from the batch, line by line. */
typedef enum {
	LINE_ECHO,          /* as sent, paid */
	LINE_FAILED,        /* as sent, failed 1003 (account frozen) */
	LINE_DECEASED,      /* as sent, failed 1001 MD07: the person is held */
	LINE_NO_ID,         /* paid, no ID number echoed (a pain.002 may leave it out) */
	LINE_WRONG_ID,      /* another person's ID number */
	LINE_WRONG_ACCOUNT, /* another account */
	LINE_WRONG_AMOUNT,  /* one fen more */
	LINE_NO_ACCOUNT,    /* no account echoed: bad input, refused while it streams */
} LineKind;

/* How a booked file was proven: each line against the item beside it as it streamed (or all
 * lines at once by the items' digest), or at the booking (out of order) by the matching query
 * (or, by the items' digest, by each line's fingerprint). */
typedef enum {
	PROOF_UNCHECKED,
	PROOF_LINE_BY_LINE,
	PROOF_BY_QUERY,
} Proof;

typedef struct {
	gint serial;
	LineKind kind;
} CaseLine;

typedef struct {
	const gchar *name;
	CaseLine lines[MAX_LINES];
	guint n_lines;
	/* NULL: booked; else the reason, after "payout batch NNNNNNNNNN: " */
	const gchar *refused;
	gint64 failed; /* items booked failed */
	gint64 holds;  /* people held for review */
	Proof proof;
	gboolean unprefixed; /* @refused is the whole message (refused before the batch check) */
	/* by the items' digest, proven by the fingerprints instead: lines that do not echo the
	 * ID number never equal the items' digest */
	gboolean digest_by_fingerprints;
	/* the batch's item 4 stored with serial 9 (not as `payout run` numbers them): no item
	 * answers line 4 */
	gboolean gap;
	/* the file comes from this bank, not from icbc, which the batch was sent to */
	const gchar *bank;
} Case;

/* Expected reasons are ph-payout-result.c's messages for the first line that does not match
 * (by serial), a count that differs, or a serial answered twice. */
static const Case cases[] = {
        {"in-order",
         {{1, LINE_ECHO}, {2, LINE_FAILED}, {3, LINE_ECHO}, {4, LINE_ECHO}},
         4,
         NULL,
         1,
         0,
         PROOF_LINE_BY_LINE},
        {"out-of-order",
         {{2, LINE_ECHO}, {1, LINE_FAILED}, {4, LINE_ECHO}, {3, LINE_ECHO}},
         4,
         NULL,
         1,
         0,
         PROOF_BY_QUERY},
        {"no-id-echoed",
         {{1, LINE_NO_ID}, {2, LINE_NO_ID}, {3, LINE_NO_ID}, {4, LINE_NO_ID}},
         4,
         NULL,
         0,
         0,
         PROOF_LINE_BY_LINE,
         .digest_by_fingerprints = TRUE},
        {"deceased",
         {{1, LINE_ECHO}, {2, LINE_ECHO}, {3, LINE_DECEASED}, {4, LINE_FAILED}},
         4,
         NULL,
         2,
         1,
         PROOF_LINE_BY_LINE},
        {"wrong-amount",
         {{1, LINE_ECHO}, {2, LINE_ECHO}, {3, LINE_WRONG_AMOUNT}, {4, LINE_ECHO}},
         4,
         "result serial 3: no item with that serial, ID number, account and amount was sent"},
        {"wrong-account",
         {{1, LINE_ECHO}, {2, LINE_WRONG_ACCOUNT}, {3, LINE_ECHO}, {4, LINE_ECHO}},
         4,
         "result serial 2: no item with that serial, ID number, account and amount was sent"},
        {"wrong-id",
         {{1, LINE_ECHO}, {2, LINE_ECHO}, {3, LINE_ECHO}, {4, LINE_WRONG_ID}},
         4,
         "result serial 4: no item with that serial, ID number, account and amount was sent"},
        {"out-of-order-wrong",
         {{4, LINE_ECHO}, {3, LINE_WRONG_AMOUNT}, {2, LINE_ECHO}, {1, LINE_ECHO}},
         4,
         "result serial 3: no item with that serial, ID number, account and amount was sent"},
        {"beyond-the-items",
         {{1, LINE_ECHO}, {2, LINE_ECHO}, {3, LINE_ECHO}, {5, LINE_ECHO}},
         4,
         "result serial 5: no item with that serial, ID number, account and amount was sent"},
        {"beyond-and-wrong",
         {{6, LINE_ECHO}, {2, LINE_WRONG_ACCOUNT}, {3, LINE_ECHO}, {1, LINE_ECHO}},
         4,
         "result serial 2: no item with that serial, ID number, account and amount was sent"},
        {"no-item-for-a-line",
         {{2, LINE_ECHO}, {1, LINE_ECHO}, {3, LINE_ECHO}, {4, LINE_ECHO}},
         4,
         "result serial 4: no item with that serial, ID number, account and amount was sent",
         .gap = TRUE},
        {"one-missing",
         {{1, LINE_ECHO}, {2, LINE_ECHO}, {3, LINE_ECHO}},
         3,
         "3 results for 4 items sent"},
        {"one-more",
         {{1, LINE_ECHO}, {2, LINE_ECHO}, {3, LINE_ECHO}, {4, LINE_ECHO}, {5, LINE_ECHO}},
         5,
         "5 results for 4 items sent"},
        {"twice",
         {{1, LINE_ECHO}, {2, LINE_ECHO}, {2, LINE_ECHO}, {4, LINE_ECHO}},
         4,
         "result serial 2 is answered twice"},
        {"no-account",
         {{1, LINE_ECHO}, {2, LINE_NO_ACCOUNT}, {3, LINE_ECHO}, {4, LINE_ECHO}},
         4,
         "result serial 2: account or status missing",
         .unprefixed = TRUE},
        /* every line echoes an item of icbc's batch, but the file is boc's: one bank's
         * answer never books another's payments */
        {"other-bank",
         {{1, LINE_ECHO}, {2, LINE_ECHO}, {3, LINE_ECHO}, {4, LINE_ECHO}},
         4,
         "sent to bank icbc, not to boc",
         .bank = "boc"},
};

static PhTestDb *test_db;
static PhDb *db;

/* A sent batch of ITEMS items, numbered @batch_no, of month @batch_no of 2026 (one regular
 * batch per bank and month); serial k to person 100 * batch + k. */
static void
seed_batch(gint64 batch_no)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *sql = g_strdup_printf(
	        "INSERT INTO payout_batch (batch_no, bank, period, kind, profile, file_name, "
	        "created, item_count, total, state) VALUES (%" G_GINT64_FORMAT
	        ", 'icbc', 202600 + %" G_GINT64_FORMAT ", "
	        "'regular', 'ph-bank-1', 'PAYOUT_%" G_GINT64_FORMAT ".txt', '20261127090000', %d, "
	        "0, 'sent'); "
	        "INSERT INTO payout_item (batch_no, serial, person_id, period, id_number, name, "
	        "account, amount) SELECT %" G_GINT64_FORMAT ", n, 100 * %" G_GINT64_FORMAT
	        " + n, 202600 + %" G_GINT64_FORMAT
	        ", '1101051950010100' || lpad(n::text, 2, '0'), '张三', "
	        "'62220000000000000' || lpad(n::text, 2, '0'), 300000 + n "
	        "FROM generate_series(1, %d) n",
	        batch_no, batch_no, batch_no, ITEMS, batch_no, batch_no, batch_no, ITEMS);
	ph_db_exec(db, sql, &error);
	g_assert_no_error(error);
}

/* Stores the digest of batch @batch_no's items as the payout API does while it writes the
 * file (ph_payout_api_foreach_line); the batch is built then. */
static void
seal_items(gint64 batch_no)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhPayoutDigest) digest = ph_payout_digest_new();
	for (gint serial = 1; serial <= ITEMS; serial++) {
		g_autofree gchar *id = item_id(serial);
		g_autofree gchar *account = item_account(serial);
		ph_payout_digest_add(digest, serial, id, account, AMOUNT(serial));
	}
	g_autofree gchar *built = g_strdup_printf(
	        "UPDATE payout_batch SET state = 'built' WHERE batch_no = %" G_GINT64_FORMAT,
	        batch_no);
	g_autofree gchar *sent = g_strdup_printf(
	        "UPDATE payout_batch SET state = 'sent' WHERE batch_no = %" G_GINT64_FORMAT,
	        batch_no);
	g_assert_true(ph_db_exec(db, built, &error));
	g_assert_true(ph_payout_batch_set_items_digest(db, batch_no,
	                                               ph_payout_digest_get_hex(digest), &error));
	g_assert_true(ph_db_exec(db, sent, &error));
	g_assert_no_error(error);
}

/* The lines of a case, handed out one by one as a bank file's parser would; with @digest,
 * digested as the payout API does when the items' digest proves them. */
typedef struct {
	const Case *test;
	guint next;
	gchar *id;
	gchar *account;
	PhPayoutDigest *digest;
} CaseFile;

static gboolean
case_next(PhPayoutResultLine *line, gboolean *end, gpointer user_data, GError **error)
{
	CaseFile *file = user_data;
	*end = file->next == file->test->n_lines;
	if (*end)
		return TRUE;
	const CaseLine *spec = &file->test->lines[file->next++];
	gint serial = spec->serial;
	g_free(file->id);
	g_free(file->account);
	file->id = item_id(spec->kind == LINE_WRONG_ID ? serial + 50 : serial);
	file->account = item_account(spec->kind == LINE_WRONG_ACCOUNT ? serial + 50 : serial);
	gboolean failed = spec->kind == LINE_FAILED || spec->kind == LINE_DECEASED;
	*line = (PhPayoutResultLine){
	        .serial = serial,
	        .id_number = spec->kind == LINE_NO_ID ? NULL : file->id,
	        .account = spec->kind == LINE_NO_ACCOUNT ? NULL : file->account,
	        .amount = AMOUNT(serial) + (spec->kind == LINE_WRONG_AMOUNT),
	        .status = spec->kind == LINE_DECEASED ? "1001"
	                  : failed                    ? "1003"
	                                              : "0000",
	        .reason = spec->kind == LINE_DECEASED ? PH_PAYOUT_REASON_DECEASED : NULL,
	        .bank_ref = "BR0001",
	        .message = failed ? "账户冻结" : NULL,
	};
	if (file->digest != NULL && line->account != NULL)
		ph_payout_digest_add(file->digest, serial, line->id_number, line->account,
		                     line->amount);
	return TRUE;
}

/* The case's lines into @load: beside the items, or by the items' digest. */
static gboolean
case_stream(PhPayoutResultLoad *load, gint64 batch_no, CaseFile *lines, GError **error)
{
	if (lines->digest == NULL)
		return ph_payout_result_stream(load, batch_no, case_next, lines, error);
	if (!ph_payout_result_stream_lines(load, batch_no, case_next, lines, error))
		return FALSE;
	ph_payout_result_prove_digest(load, ph_payout_digest_get_hex(lines->digest));
	return TRUE;
}

/* Rows of @table for batch @batch_no (@batch: the expression naming a row's batch) that meet
 * @condition. */
static gint64
count(const gchar *table, const gchar *batch, gint64 batch_no, const gchar *condition)
{
	g_autofree gchar *sql =
	        g_strdup_printf("SELECT count(*) FROM %s WHERE %s = %" G_GINT64_FORMAT " AND %s",
	                        table, batch, batch_no, condition);
	return ph_test_db_query_int(db, sql);
}

/* The lines of the file just booked (the last one recorded), without any echo, or with the
 * account's (and, unless the case leaves it out, the ID number's). */
#define LINES_OF_LAST_FILE                                                                         \
	"SELECT count(*) FROM payout_result_line WHERE file_id = (SELECT max(file_id) FROM "       \
	"payout_result_file) AND "
#define LINES_UNECHOED LINES_OF_LAST_FILE "id_number IS NULL AND account IS NULL"
#define LINES_ECHOED   LINES_OF_LAST_FILE "account IS NOT NULL"

static void
run_case(const Case *test, gboolean by_digest)
{
	/* months 2026-01… beside the items, 2027-01… by the digest */
	gint64 batch_no = (by_digest ? 101 : 1) + (gint64)(test - cases);
	g_autoptr(GError) error = NULL;
	seed_batch(batch_no);
	if (by_digest)
		seal_items(batch_no);
	if (test->gap) {
		g_autofree gchar *gap = g_strdup_printf(
		        "UPDATE payout_item SET serial = 9 WHERE batch_no = %" G_GINT64_FORMAT
		        " AND serial = 4",
		        batch_no);
		g_assert_true(ph_db_exec(db, gap, &error));
	}
	g_autofree gchar *name = g_strdup_printf("RESULT_%s.txt", test->name);
	const PhPayoutResultFile file = {test->bank != NULL ? test->bank : "icbc", name,
	                                 by_digest ? 2 : 1, "SM3 00"};
	const PhCommandContext context = {NULL, "test"};
	g_autoptr(PhPayoutDigest) digest = by_digest ? ph_payout_digest_new() : NULL;
	CaseFile lines = {test, 0, NULL, NULL, digest};
	PhPayoutBooking booking = {0};

	g_assert_true(ph_db_begin(db, &error));
	g_autoptr(PhPayoutResultLoad) load = ph_payout_result_begin(db, &error);
	g_assert_no_error(error);
	gboolean ok = case_stream(load, batch_no, &lines, &error);
	ok = ok && ph_payout_result_book(load, &context, batch_no, &file, &booking, &error);
	g_clear_pointer(&load, ph_payout_result_load_free);
	g_free(lines.id);
	g_free(lines.account);
	if (ok)
		g_assert_true(ph_db_commit(db, &error));
	else
		ph_db_rollback(db);

	if (test->refused != NULL) {
		g_autofree gchar *expected =
		        test->unprefixed
		                ? g_strdup(test->refused)
		                : g_strdup_printf("payout batch %010" G_GINT64_FORMAT ": %s",
		                                  batch_no, test->refused);
		g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
		g_assert_cmpstr(error->message, ==, expected);
		/* nothing booked: the batch still sent, no item failed, no line kept */
		g_assert_cmpint(count("payout_batch", "batch_no", batch_no, "state = 'sent'"), ==,
		                1);
		g_assert_cmpint(count("payout_item", "batch_no", batch_no, "state = 'failed'"), ==,
		                0);
		g_assert_cmpint(ph_test_db_query_int(
		                        db, "SELECT count(*) FROM payout_result_line WHERE file_id "
		                            "NOT IN (SELECT file_id FROM payout_result_file WHERE "
		                            "verdict = 'booked')"),
		                ==, 0);
		return;
	}
	g_assert_no_error(error);
	/* the booking says how it proved the lines: with the items' digest every proof but the
	 * query's is the digest's (no item is read beside the lines), the query's the
	 * fingerprints' */
	if (test->proof != PROOF_UNCHECKED && by_digest)
		g_assert_cmpstr(booking.proof, ==,
		                test->proof == PROOF_BY_QUERY || test->digest_by_fingerprints
		                        ? PH_PAYOUT_PROOF_FINGERPRINTS
		                        : PH_PAYOUT_PROOF_DIGEST);
	else if (test->proof != PROOF_UNCHECKED)
		g_assert_cmpstr(booking.proof, ==,
		                test->proof == PROOF_BY_QUERY ? PH_PAYOUT_PROOF_QUERY
		                                              : PH_PAYOUT_PROOF_LINES);
	/* the lines kept: by the items' digest without their echoes (0025), else with them */
	g_assert_cmpint(ph_test_db_query_int(db, by_digest ? LINES_UNECHOED : LINES_ECHOED), ==,
	                ITEMS);
	g_assert_cmpint(booking.failed_count, ==, test->failed);
	g_assert_cmpint(booking.paid_count, ==, ITEMS - test->failed);
	g_assert_cmpint(booking.holds, ==, test->holds);
	g_assert_cmpint(count("payout_batch", "batch_no", batch_no, "state = 'closed'"), ==, 1);
	/* the failed items carry the bank's answer; the others are paid by the batch's close,
	 * their answer in the lines kept */
	g_assert_cmpint(count("payout_item", "batch_no", batch_no,
	                      "state = 'failed' AND bank_ref = 'BR0001' AND status IN ('1001', "
	                      "'1003') AND message = '账户冻结'"),
	                ==, test->failed);
	g_assert_cmpint(count("payout_item_state", "batch_no", batch_no,
	                      "state = 'paid' AND status = '0000' AND bank_ref = 'BR0001'"),
	                ==, ITEMS - test->failed);
	g_assert_cmpint(count("payout_hold", "person_id / 100", batch_no, "TRUE"), ==, test->holds);
}

static void
test_case(gconstpointer data)
{
	run_case(data, FALSE);
}

static void
test_case_by_digest(gconstpointer data)
{
	run_case(data, TRUE);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	test_db = ph_test_db_new();
	db = ph_test_db_connect(test_db);
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/payout-result/%s", cases[i].name);
		g_test_add_data_func(path, &cases[i], test_case);
		g_autofree gchar *by_digest =
		        g_strdup_printf("/payout-result/by-digest/%s", cases[i].name);
		g_test_add_data_func(by_digest, &cases[i], test_case_by_digest);
	}
	int status = g_test_run();
	ph_db_free(db);
	ph_test_db_free(test_db);
	return status;
}
