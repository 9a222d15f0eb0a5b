/* The bank adapter end to end (issue 5 §6): a real daemon with plugins/bank on its own
 * database, a real OpenSSH sshd serving the bank's folders, the bank simulator
 * (tests/peers/bank-sim) answering, and pensionctl payout as an operator runs it. Each case
 * pays its own month, so one hub and one database serve them all. The files exchanged are
 * kept for the archive (issue 9 §2): byte for byte, once, sealed with a key file, listed and
 * pruned, and, with the archive adapter and tests/peers/archive-sim, in the month's package.
 * Suite integration. */
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <utime.h>

#include "pension-hub/ph-digest.h"
#include "ph-document-store.h"
#include "ph-mapping.h"
#include "ph-test-db.h"
#include "ph-test-hub.h"
#include "ph-test-peer.h"
#include "ph-test-sshd.h"

static PhTestDb *test_db;
static PhTestHub *hub;
static PhTestSshd *sshd;
static gchar *inbox;
static gchar *outbox;
/* the hub's [keys] file once test_kept_sealed has turned it on (NULL before): kept documents
 * are sealed under it */
static gchar *key_dir;
static gchar *key_path;
static PhFieldKeys *keys;
/* [client-tls] and [plugin archive] once test_archived has turned the archive on (NULL
 * before), and its simulator */
static gchar *archive_config;
static PhTestPeer archive_sim;

/* Five retirees: 1-3 paid, 4 dead, 5 without a valid account; 6 held by an operator. The
 * name of 2 has a character outside the BMP, four bytes in GB18030 (𠮷 = 95 34 B2 35). */
#define BANK_PEOPLE                                                                                 \
	"INSERT INTO person (person_id, id_lookup, id_number, name, sex, birth_date, status) "      \
	"VALUES (1, '110105195001010011', '110105195001010011', '张三', '1', '19500101', "        \
	"'retired'), (2, '11010519491231002X', '11010519491231002X', '𠮷田花子', '2', "        \
	"'19491231', 'retired'), (3, '110105195203030031', '110105195203030031', '欧阳娜娜', "  \
	"'2', '19520303', 'retired'), (4, '110105194804040041', '110105194804040041', '李四', "   \
	"'1', '19480404', 'dead'), (5, '110105195105050051', '110105195105050051', '王五', '1', " \
	"'19510505', 'retired'), (6, '110105195106060061', '110105195106060061', '赵六', '1', "   \
	"'19510606', 'retired'); "                                                                  \
	"INSERT INTO payee_account (person_id, bank, account, valid) SELECT person_id, 'icbc', "    \
	"'62220202000000' || lpad(person_id::text, 5, '0'), person_id <> 5 FROM person; "           \
	"INSERT INTO payout_hold (person_id, reason, source) VALUES (6, 'suspended', "              \
	"'operator'); "                                                                             \
	"INSERT INTO person (person_id, id_lookup, id_number, name, sex, birth_date, status) "      \
	"VALUES (7, '110105195107070071', '110105195107070071', '孙七', '1', '19510707', "        \
	"'retired'), (8, '110105195108080081', '110105195108080081', '周八', '2', '19510808', "   \
	"'retired'); INSERT INTO payee_account (person_id, bank, account) VALUES "                  \
	"(7, 'boc', '6013820000000000007'), (8, 'boc', '6013820000000000008')"

static void
exec_sql(const gchar *sql)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhDb) db = ph_test_db_connect(test_db);
	ph_db_exec(db, sql, &error);
	g_assert_no_error(error);
}

static gint64
query_int(const gchar *sql)
{
	g_autoptr(PhDb) db = ph_test_db_connect(test_db);
	return ph_test_db_query_int(db, sql);
}

/* The planner's plan of @sql, one line per row of its EXPLAIN. */
static gchar *
query_plan(const gchar *sql)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhDb) db = ph_test_db_connect(test_db);
	g_autofree gchar *explain = g_strconcat("EXPLAIN ", sql, NULL);
	g_autoptr(PGresult) result = ph_db_query(db, explain, 0, NULL, &error);
	g_assert_no_error(error);
	GString *plan = g_string_new(NULL);
	for (gint row = 0; row < PQntuples(result); row++)
		g_string_append_printf(plan, "%s\n", PQgetvalue(result, row, 0));
	return g_string_free(plan, FALSE);
}

/* The month's schedule: what each of persons 1..@people is owed (350000 + id fen). */
static void
schedule_month(gint period, gint people)
{
	g_autofree gchar *sql = g_strdup_printf(
	        "INSERT INTO payout_schedule (person_id, period, amount, account_part, "
	        "annuity_part) "
	        "SELECT person_id, %d, 350000 + person_id, 0, 0 FROM person WHERE person_id <= %d",
	        period, people);
	exec_sql(sql);
}

static gint
run_program(gchar **output, const gchar *const *argv)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	gint status = 0;
	/* a shared build tree may be relinking the program this instant (EACCES): try again */
	for (guint i = 0; i < 20; i++) {
		g_clear_error(&error);
		if (g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
		                 &err, &status, &error) ||
		    !g_error_matches(error, G_SPAWN_ERROR, G_SPAWN_ERROR_ACCES))
			break;
		g_usleep(500 * 1000);
	}
	g_assert_no_error(error);
	g_autofree gchar *all = g_strconcat(out, err, NULL);
	g_test_message("%s", all);
	if (output != NULL)
		*output = g_steal_pointer(&all);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* pensionctl payout VERB --period PERIOD; returns the exit status and the output. */
static gint
run_payout(const gchar *verb, const gchar *period, gchar **output)
{
	g_autofree gchar *ctl =
	        g_build_filename(g_getenv("PH_BUILD_DIR"), "hub", "pensionctl", NULL);
	const gchar *argv[] = {ctl,  "--config", hub->config_path, "payout",
	                       verb, "--period", period,           NULL};
	return run_program(output, argv);
}

/* One pass of the simulator over @bank_inbox, answering in @bank_outbox, with @options. */
static void
run_bank_in(const gchar *bank_inbox, const gchar *bank_outbox, const gchar *options)
{
	g_autofree gchar *sim = g_build_filename(g_getenv("PH_BUILD_DIR"), "tests", "peers",
	                                         "bank-sim", "bank-sim", NULL);
	g_autofree gchar *command =
	        g_strdup_printf("%s --once --inbox %s --outbox %s %s", sim, bank_inbox, bank_outbox,
	                        options != NULL ? options : "");
	const gchar *argv[] = {"/bin/sh", "-c", command, NULL};
	g_assert_cmpint(run_program(NULL, argv), ==, 0);
}

/* The same for the PH-BANK-1 bank icbc. */
static void
run_bank(const gchar *options)
{
	run_bank_in(inbox, outbox, options);
}

static void
wait_batch_state_for(gint period, const gchar *kind, const gchar *state, guint timeout_ms)
{
	g_autofree gchar *sql = g_strdup_printf("SELECT state FROM payout_batch WHERE period = %d "
	                                        "AND kind = '%s' ORDER BY batch_no "
	                                        "DESC LIMIT 1",
	                                        period, kind);
	g_autofree gchar *seen =
	        ph_test_wait_for_value(ph_test_db_get_url(test_db), sql, state, timeout_ms);
	g_assert_cmpstr(seen, ==, state);
}

static void
wait_batch_state(gint period, const gchar *kind, const gchar *state)
{
	wait_batch_state_for(period, kind, state, 30000);
}

static gint64
batch_of(gint period, const gchar *kind)
{
	g_autofree gchar *sql = g_strdup_printf(
	        "SELECT max(batch_no) FROM payout_batch WHERE period = %d AND kind = '%s'", period,
	        kind);
	return query_int(sql);
}

static gint64
count_where(const gchar *table, const gchar *where)
{
	g_autofree gchar *sql = g_strdup_printf("SELECT count(*) FROM %s WHERE %s", table, where);
	return query_int(sql);
}

static guint
count_files(const gchar *folder, const gchar *prefix, const gchar *suffix)
{
	g_autoptr(GDir) dir = g_dir_open(folder, 0, NULL);
	const gchar *name;
	guint count = 0;
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL)
		count += g_str_has_prefix(name, prefix) && g_str_has_suffix(name, suffix);
	return count;
}

static gboolean
kept_collect(const guint8 *data, gsize length, gpointer user_data, GError **error)
{
	g_byte_array_append(user_data, data, (guint)length);
	return TRUE;
}

/* The hub kept @name (role @role) once and it opens to exactly the bytes of @file_path (what
 * the bank simulator received, or wrote); with the key file on, sealed under it, the stored
 * file holding no @id_number in the clear although the exchanged file does. */
static void
assert_kept(const gchar *role, const gchar *name, const gchar *file_path, const gchar *id_number)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *data = NULL;
	gsize size = 0;
	g_assert_true(g_file_get_contents(file_path, &data, &size, NULL));
	g_autofree gchar *sha256 = ph_digest_hex(PH_DIGEST_SHA256, data, size);
	g_autoptr(PhDb) db = ph_test_db_connect(test_db);
	const gchar *params[] = {role, name};
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "SELECT store_file, sha256, size, coalesce(key_id, '') FROM kept_document WHERE "
	        "role = $1 AND name = $2",
	        2, params, &error);
	g_assert_no_error(error);
	g_assert_cmpint(PQntuples(result), ==, 1);
	g_assert_cmpstr(PQgetvalue(result, 0, 1), ==, sha256);
	g_assert_cmpint(g_ascii_strtoll(PQgetvalue(result, 0, 2), NULL, 10), ==, (gint64)size);
	g_assert_cmpstr(PQgetvalue(result, 0, 3), ==, keys != NULL ? "k1" : "");
	g_autofree gchar *stored =
	        g_build_filename(hub->dir, "documents", PQgetvalue(result, 0, 0), NULL);
	g_autofree gchar *sealed = NULL;
	gsize sealed_size = 0;
	g_assert_true(g_file_get_contents(stored, &sealed, &sealed_size, NULL));
	if (id_number != NULL) {
		g_assert_nonnull(memmem(data, size, id_number, strlen(id_number)));
		gboolean clear = memmem(sealed, sealed_size, id_number, strlen(id_number)) != NULL;
		g_assert_cmpint(clear, ==, keys == NULL);
	}
	g_autoptr(GByteArray) opened = g_byte_array_new();
	g_assert_true(ph_document_store_read(stored, keys, sha256, kept_collect, opened, &error));
	g_assert_no_error(error);
	g_assert_cmpmem(opened->data, opened->len, data, size);
}

/* The one file in @folder named PREFIX…SUFFIX. */
static gchar *
find_file(const gchar *folder, const gchar *prefix, const gchar *suffix)
{
	g_autoptr(GDir) dir = g_dir_open(folder, 0, NULL);
	const gchar *name;
	gchar *found = NULL;
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		if (g_str_has_prefix(name, prefix) && g_str_has_suffix(name, suffix)) {
			g_assert_null(found);
			found = g_strdup(name);
		}
	}
	g_assert_nonnull(found);
	return found;
}

/* A normal month: three paid, the dead, the account-less and the held person left out with
 * their reasons; the file names the 4-byte GB18030 character; booked paid, schedule paid. */
static void
test_normal_month(void)
{
	g_autofree gchar *output = NULL;
	schedule_month(202601, 6);
	g_assert_cmpint(run_payout("run", "2026-01", &output), ==, 0);
	g_assert_nonnull(strstr(output, "death reported"));
	g_assert_nonnull(strstr(output, "no valid account"));
	g_assert_nonnull(strstr(output, "held: suspended"));
	wait_batch_state(202601, "regular", "sent");
	gint64 batch = batch_of(202601, "regular");
	g_autofree gchar *name =
	        g_strdup_printf("PAYOUT_330100000001_202601_%010" G_GINT64_FORMAT ".txt", batch);
	g_autofree gchar *path = g_build_filename(inbox, name, NULL);
	g_autofree gchar *data = NULL;
	gsize size = 0;
	g_assert_true(g_file_get_contents(path, &data, &size, NULL));
	/* header 108 + 3 details of 148 + trailer 27, each with CRLF (bank-payout.md) */
	g_assert_cmpuint(size, ==, 110 + 3 * 150 + 29);
	g_assert_nonnull(memmem(data, size, "\x95\x34\xb2\x35", 4));
	g_autofree gchar *done_path = g_strconcat(path, ".ok", NULL);
	g_autofree gchar *done = NULL;
	g_assert_true(g_file_get_contents(done_path, &done, NULL, NULL));
	g_autofree gchar *hex = ph_digest_hex(PH_DIGEST_SM3, data, size);
	/* 350001 + 350002 + 350003 fen */
	g_autofree gchar *expected = g_strdup_printf("SM3 %s 3 1050006\r\n", hex);
	g_assert_cmpstr(done, ==, expected);
	/* the items' digest stored as the file was written: it proves the result below */
	g_assert_cmpint(count_where("payout_batch", "period = 202601 AND items_digest ~ "
	                                            "'^[0-9a-f]{64}$'"),
	                ==, 1);

	run_bank(NULL);
	wait_batch_state(202601, "regular", "closed");
	g_assert_cmpint(count_where("payout_item_state", "period = 202601 AND state = 'paid'"), ==,
	                3);
	/* the simulator echoes every item in order: the file is proven by the items' digest, as
	 * generated and answered for real (not only as test-payout-result computes it) */
	g_autofree gchar *log = NULL;
	g_assert_true(g_file_get_contents(hub->log_path, &log, NULL, NULL));
	g_autofree gchar *booked = g_strdup_printf("booked for batch %010" G_GINT64_FORMAT, batch);
	const gchar *line = strstr(log, booked);
	g_assert_nonnull(line);
	g_assert_true(g_str_has_prefix(strstr(line, "lines proven by "),
	                               "lines proven by the items' digest"));
	/* paid items are not rewritten: the bank's answer is its result line's */
	g_assert_cmpint(count_where("payout_item_state", "period = 202601 AND state = 'paid' AND "
	                                                 "status = '0000' AND bank_ref <> ''"),
	                ==, 3);
	g_assert_cmpint(count_where("payout_item", "period = 202601 AND state = 'sent'"), ==, 3);
	/* the months paid by the bank are in the account ledger as payouts */
	g_assert_cmpint(count_where("account_ledger", "period = 202601 AND kind = 'payout'"), ==,
	                3);
	g_assert_cmpint(count_where("payout_schedule_state", "period = 202601 AND state = 'paid'"),
	                ==, 3);
	g_assert_cmpint(count_where("payout_excluded", "period = 202601"), ==, 3);
	g_autofree gchar *processed = g_build_filename(outbox, "processed", NULL);
	g_assert_cmpuint(count_files(processed, "RESULT_PAYOUT_330100000001_202601", ".txt"), ==,
	                 1);
	/* the payout file and its done file as the bank received them, the result file as the
	 * bank wrote it, kept sealed for the batch's archival package (issue 9 §2) */
	assert_kept("payout", name, path, "110105195001010011");
	g_autofree gchar *done_name = g_strconcat(name, ".ok", NULL);
	assert_kept("done", done_name, done_path, NULL);
	g_autofree gchar *result_name =
	        find_file(processed, "RESULT_PAYOUT_330100000001_202601", ".txt");
	g_autofree gchar *result_path = g_build_filename(processed, result_name, NULL);
	assert_kept("result", result_name, result_path, "110105195001010011");
	g_autofree gchar *batch_where = g_strdup_printf(
	        "batch_no = %" G_GINT64_FORMAT " AND role IN ('payout', 'done')", batch);
	g_assert_cmpint(count_where("kept_document", batch_where), ==, 2);
	/* a second run of the month builds nothing new */
	g_clear_pointer(&output, g_free);
	g_assert_cmpint(run_payout("run", "2026-01", &output), ==, 0);
	g_assert_nonnull(strstr(output, "built before"));
	g_assert_cmpint(count_where("payout_batch", "period = 202601"), ==, 1);
}

/* Partial failures, then the failed person's account is corrected and re-issued: paid once. */
static void
test_failures_then_reissue(void)
{
	schedule_month(202602, 3);
	g_assert_cmpint(run_payout("run", "2026-02", NULL), ==, 0);
	wait_batch_state(202602, "regular", "sent");
	run_bank("--fail 110105195001010011=1001 --fail 110105195203030031=1003");
	wait_batch_state(202602, "regular", "closed");
	g_assert_cmpint(count_where("payout_item_state", "period = 202602 AND state = 'failed'"),
	                ==, 2);
	g_assert_cmpint(count_where("payout_item_state", "period = 202602 AND state = 'paid'"), ==,
	                1);

	/* nobody's account changed yet: nothing to re-issue */
	g_autofree gchar *output = NULL;
	g_assert_cmpint(run_payout("reissue", "2026-02", &output), ==, 0);
	g_assert_nonnull(strstr(output, "nobody to pay"));
	exec_sql("UPDATE payee_account SET account = '6217000010009999991', "
	         "updated_at = clock_timestamp() WHERE person_id = 1");
	g_assert_cmpint(run_payout("reissue", "2026-02", NULL), ==, 0);
	wait_batch_state(202602, "reissue", "sent");
	g_assert_cmpint(count_where("payout_item_state", "batch_no = (SELECT max(batch_no) FROM "
	                                                 "payout_batch WHERE kind = 'reissue' AND "
	                                                 "period = 202602)"),
	                ==, 1);
	run_bank(NULL);
	wait_batch_state(202602, "reissue", "closed");
	g_assert_cmpint(count_where("payout_item_state",
	                            "period = 202602 AND person_id = 1 AND "
	                            "state = 'paid' AND account = '6217000010009999991'"),
	                ==, 1);
	g_assert_cmpint(count_where("payout_schedule_state", "period = 202602 AND state = 'paid'"),
	                ==, 2);
}

/* The bank puts result file @name (and its done file) from its outbox's @folder back into
 * its outbox, as a bank sending a file again does; returns once the hub has taken it. */
static void
send_again(const gchar *folder, const gchar *name)
{
	for (guint i = 0; i < 2; i++) {
		g_autofree gchar *file = g_strconcat(name, i == 0 ? "" : ".ok", NULL);
		g_autofree gchar *from = g_build_filename(outbox, folder, file, NULL);
		g_autofree gchar *to = g_build_filename(outbox, file, NULL);
		g_autofree gchar *bytes = NULL;
		gsize size = 0;
		g_assert_true(g_file_get_contents(from, &bytes, &size, NULL));
		g_assert_true(g_file_set_contents(to, bytes, (gssize)size, NULL));
	}
	/* taken again means moved aside; wait until the outbox no longer holds it */
	g_autofree gchar *again = g_build_filename(outbox, name, NULL);
	for (guint i = 0; i < 300 && g_file_test(again, G_FILE_TEST_EXISTS); i++)
		g_usleep(100 * 1000);
	g_assert_false(g_file_test(again, G_FILE_TEST_EXISTS));
}

/* Waits until @folder holds @count files named @prefix…@suffix (a reason is written just
 * after its file is moved). */
static void
wait_count_files(const gchar *folder, const gchar *prefix, const gchar *suffix, guint count)
{
	for (guint i = 0; i < 100 && count_files(folder, prefix, suffix) < count; i++)
		g_usleep(100 * 1000);
	g_assert_cmpuint(count_files(folder, prefix, suffix), ==, count);
}

/* The texts of the .reason files in @folder whose names begin with @prefix. */
static gchar *
reasons_of(const gchar *folder, const gchar *prefix)
{
	g_autoptr(GDir) dir = g_dir_open(folder, 0, NULL);
	GString *texts = g_string_new(NULL);
	const gchar *name;
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *path = g_build_filename(folder, name, NULL);
		g_autofree gchar *text = NULL;
		if (g_str_has_prefix(name, prefix) && g_str_has_suffix(name, ".reason") &&
		    g_file_get_contents(path, &text, NULL, NULL))
			g_string_append(texts, text);
	}
	return g_string_free(texts, FALSE);
}

/* A result whose done file's total is one fen off is rejected whole: nothing booked. */
static void
test_wrong_total_rejected(void)
{
	schedule_month(202603, 3);
	g_assert_cmpint(run_payout("run", "2026-03", NULL), ==, 0);
	wait_batch_state(202603, "regular", "sent");
	run_bank("--wrong-total");
	g_autofree gchar *seen = ph_test_wait_for_value(
	        ph_test_db_get_url(test_db),
	        "SELECT verdict FROM payout_result_file WHERE name LIKE '%_202603_%'", "rejected",
	        30000);
	g_assert_cmpstr(seen, ==, "rejected");
	g_assert_cmpint(count_where("payout_item_state", "period = 202603 AND state <> 'sent'"), ==,
	                0);
	g_assert_cmpint(count_where("payout_schedule_state", "period = 202603 AND state = 'paid'"),
	                ==, 0);
	g_assert_cmpint(count_where("payout_batch", "period = 202603 AND state = 'sent'"), ==, 1);
	g_autofree gchar *rejected = g_build_filename(outbox, "rejected", NULL);
	g_assert_cmpuint(count_files(rejected, "RESULT_PAYOUT_330100000001_202603", ".reason"), ==,
	                 1);
	/* the same file again (the bank sent it twice, or the hub died before moving it) is
	 * answered as before: rejected again with the first reason, not "processed" */
	g_autofree gchar *name = find_file(rejected, "RESULT_PAYOUT_330100000001_202603", ".txt");
	send_again("rejected", name);
	wait_count_files(rejected, "RESULT_PAYOUT_330100000001_202603", ".reason", 2);
	g_autofree gchar *processed = g_build_filename(outbox, "processed", NULL);
	g_assert_cmpuint(count_files(processed, "RESULT_PAYOUT_330100000001_202603", ""), ==, 0);
	g_assert_cmpint(count_where("payout_result_file", "name LIKE '%_202603_%'"), ==, 1);
	g_assert_cmpint(count_where("payout_batch", "period = 202603 AND state = 'sent'"), ==, 1);
	g_autofree gchar *reasons = reasons_of(rejected, "RESULT_PAYOUT_330100000001_202603");
	g_assert_nonnull(strstr(reasons, "taken before and rejected: "));
}

/* The same result file dropped again after it was booked changes nothing. */
static void
test_same_result_twice(void)
{
	schedule_month(202604, 2);
	g_assert_cmpint(run_payout("run", "2026-04", NULL), ==, 0);
	wait_batch_state(202604, "regular", "sent");
	run_bank(NULL);
	wait_batch_state(202604, "regular", "closed");
	gint64 batch = batch_of(202604, "regular");
	g_autofree gchar *name = g_strdup_printf(
	        "RESULT_PAYOUT_330100000001_202604_%010" G_GINT64_FORMAT ".txt", batch);
	send_again("processed", name);
	g_autofree gchar *processed = g_build_filename(outbox, "processed", NULL);
	wait_count_files(processed, "RESULT_PAYOUT_330100000001_202604", ".reason", 1);
	g_autofree gchar *rejected = g_build_filename(outbox, "rejected", NULL);
	g_assert_cmpuint(count_files(rejected, "RESULT_PAYOUT_330100000001_202604", ""), ==, 0);
	g_assert_cmpint(count_where("payout_result_file", "name LIKE '%_202604_%'"), ==, 1);
	g_assert_cmpint(count_where("payout_item_state", "period = 202604 AND state = 'paid'"), ==,
	                2);
	g_assert_cmpint(count_where("audit_log",
	                            "action = 'payout-book' AND object = "
	                            "'payout-batch:' || lpad((SELECT max(batch_no) FROM "
	                            "payout_batch WHERE period = 202604)::text, 10, '0')"),
	                ==, 1);
}

/* A well-formed PH-BANK-1 result file of one paid line, serial @serial, account @account (person
 * 1's, 350001 fen), for batch @batch_no. */
static gchar *
result_for_batch_line(const gchar *batch_no, gint serial, const gchar *account)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhMapping) mapping = ph_mapping_load("ph-bank-1-result", &error);
	g_assert_no_error(error);
	g_autoptr(GOutputStream) output = g_memory_output_stream_new_resizable();
	g_autoptr(PhMappingWriter) writer = ph_mapping_writer_new(mapping, output, "result");
	g_autoptr(PhRecord) record = ph_record_new();
	ph_record_reset(record, "H");
	ph_record_set(record, "batch_no", batch_no);
	ph_record_set(record, "AAB034", "330100000001");
	ph_record_set(record, "payer_account", "33010000001234567890");
	ph_record_set(record, "AAE002", "202605");
	ph_record_set_int(record, "count", 1);
	ph_record_set_int(record, "total", 350001);
	ph_record_set(record, "created", "20260530120000");
	g_assert_true(ph_mapping_writer_write(writer, record, &error));
	ph_record_reset(record, "R");
	ph_record_set_int(record, "serial", serial);
	ph_record_set(record, "AAC002", "110105195001010011");
	ph_record_set(record, "AAE010", account);
	ph_record_set_int(record, "AAE019", 350001);
	ph_record_set(record, "status", "0000");
	g_assert_true(ph_mapping_writer_write(writer, record, &error));
	ph_record_reset(record, "T");
	g_assert_true(ph_mapping_writer_write(writer, record, &error));
	g_assert_true(ph_mapping_writer_finish(writer, &error));
	g_assert_no_error(error);
	g_assert_true(g_output_stream_write_all(output, "", 1, NULL, NULL, &error));
	return g_memdup2(g_memory_output_stream_get_data(G_MEMORY_OUTPUT_STREAM(output)),
	                 g_memory_output_stream_get_data_size(G_MEMORY_OUTPUT_STREAM(output)));
}

static gchar *
result_for_batch_serial(const gchar *batch_no, gint serial)
{
	return result_for_batch_line(batch_no, serial, "6222020200000000001");
}

static gchar *
result_for_batch(const gchar *batch_no)
{
	return result_for_batch_serial(batch_no, 1);
}

/* Drops @data (@size bytes) and its done file (one line of 350001 fen) into the outbox as
 * @name. */
static void
drop_one_line_result(const gchar *name, const gchar *data, gsize size)
{
	g_autofree gchar *hex = ph_digest_hex(PH_DIGEST_SM3, data, size);
	g_autofree gchar *done = g_strdup_printf("SM3 %s 1 350001\r\n", hex);
	g_autofree gchar *path = g_build_filename(outbox, name, NULL);
	g_autofree gchar *done_path = g_strconcat(path, ".ok", NULL);
	g_assert_true(g_file_set_contents(path, data, (gssize)size, NULL));
	g_assert_true(g_file_set_contents(done_path, done, -1, NULL));
}

/* A well-formed result for a batch that was never sent is rejected and books nothing. */
static void
test_result_unknown_batch(void)
{
	g_autofree gchar *text = result_for_batch("0000099999");
	gint64 booked = count_where("payout_item_state", "state <> 'sent'");
	drop_one_line_result("RESULT_PAYOUT_X_0000099999.txt", text, strlen(text));
	g_autofree gchar *seen =
	        ph_test_wait_for_value(ph_test_db_get_url(test_db),
	                               "SELECT reason FROM payout_result_file WHERE name = "
	                               "'RESULT_PAYOUT_X_0000099999.txt'",
	                               "payout batch 0000099999: unknown batch", 30000);
	g_assert_cmpstr(seen, ==, "payout batch 0000099999: unknown batch");
	g_assert_cmpint(count_where("payout_item_state", "state <> 'sent'"), ==, booked);
}

/* The hub died between the upload and recording the batch as sent, and the bank answered
 * first: the answer is not rejected (that would be for good: a file is never taken twice) but
 * left in the bank's outbox, nothing recorded, and booked once the batch is recorded as sent,
 * which the upload's retry does on finding its files on the server. */
static void
test_result_before_sent_recorded(void)
{
	schedule_month(202705, 2);
	g_assert_cmpint(run_payout("run", "2027-05", NULL), ==, 0);
	wait_batch_state(202705, "regular", "sent");
	g_autofree gchar *where =
	        g_strdup_printf("batch_no = %" G_GINT64_FORMAT, batch_of(202705, "regular"));
	g_autofree gchar *built =
	        g_strconcat("UPDATE payout_batch SET state = 'built' WHERE ", where, NULL);
	exec_sql(built);
	run_bank(NULL);
	g_assert_true(ph_test_hub_wait_log(hub, "not recorded as sent yet"));
	g_assert_cmpint(count_where("payout_result_file", where), ==, 0);
	/* meanwhile the bank's other files are taken: one for a batch the hub never made */
	g_autofree gchar *text = result_for_batch("0000099990");
	drop_one_line_result("RESULT_PAYOUT_X_0000099990.txt", text, strlen(text));
	g_autofree gchar *rejected =
	        ph_test_wait_for_value(ph_test_db_get_url(test_db),
	                               "SELECT verdict FROM payout_result_file WHERE name = "
	                               "'RESULT_PAYOUT_X_0000099990.txt'",
	                               "rejected", 30000);
	g_assert_cmpstr(rejected, ==, "rejected");
	g_assert_cmpint(count_where("payout_result_file", where), ==, 0);
	g_autofree gchar *waiting = find_file(outbox, "RESULT_PAYOUT_330100000001_202705", ".txt");
	g_assert_nonnull(waiting);
	g_autofree gchar *sent =
	        g_strconcat("UPDATE payout_batch SET state = 'sent' WHERE ", where, NULL);
	exec_sql(sent);
	wait_batch_state(202705, "regular", "closed");
	g_autofree gchar *booked = g_strconcat(where, " AND verdict = 'booked'", NULL);
	g_assert_cmpint(count_where("payout_result_file", booked), ==, 1);
	g_assert_cmpint(count_where("payout_item_state", "period = 202705 AND state = 'paid'"), ==,
	                2);
}

/* A done file still empty (the bank's SFTP put has created it, its line is not written yet)
 * leaves its result file for a later poll: nothing recorded, both files stay; once the line
 * is there the file is taken (here: a well-formed answer for a batch the hub never made,
 * rejected for that). */
static void
test_done_file_being_written(void)
{
	g_autofree gchar *text = result_for_batch("0000099991");
	g_autofree gchar *path = g_build_filename(outbox, "RESULT_PAYOUT_X_0000099991.txt", NULL);
	g_autofree gchar *done_path = g_strconcat(path, ".ok", NULL);
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	g_assert_true(g_file_set_contents(done_path, "", 0, NULL));
	g_assert_true(ph_test_hub_wait_log(
	        hub, "RESULT_PAYOUT_X_0000099991.txt: its done file is empty"));
	g_assert_cmpint(
	        count_where("payout_result_file", "name = 'RESULT_PAYOUT_X_0000099991.txt'"), ==,
	        0);
	g_assert_true(g_file_test(path, G_FILE_TEST_EXISTS));
	g_assert_true(g_file_test(done_path, G_FILE_TEST_EXISTS));
	/* its line written now */
	drop_one_line_result("RESULT_PAYOUT_X_0000099991.txt", text, strlen(text));
	g_autofree gchar *seen =
	        ph_test_wait_for_value(ph_test_db_get_url(test_db),
	                               "SELECT reason FROM payout_result_file WHERE name = "
	                               "'RESULT_PAYOUT_X_0000099991.txt'",
	                               "payout batch 0000099991: unknown batch", 30000);
	g_assert_cmpstr(seen, ==, "payout batch 0000099991: unknown batch");
}

/* A done file longer than any done file (BANK_DONE_MAX, 512 bytes) is the bank's fault like any
 * other unreadable one: its result file is rejected and recorded, books nothing, and does not
 * stop the poll from taking the bank's other files. */
static void
test_done_file_too_long(void)
{
	g_autofree gchar *text = result_for_batch("0000099998");
	g_autofree gchar *path = g_build_filename(outbox, "RESULT_PAYOUT_X_0000099998.txt", NULL);
	g_autofree gchar *done_path = g_strconcat(path, ".ok", NULL);
	g_autofree gchar *done = g_strnfill(600, 'x');
	gint64 booked = count_where("payout_item_state", "state <> 'sent'");
	/* and a file listed after it (the bank's folder is read in name order) */
	g_autofree gchar *after = result_for_batch("0000099995");
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	g_assert_true(g_file_set_contents(done_path, done, -1, NULL));
	drop_one_line_result("RESULT_PAYOUT_Y_0000099995.txt", after, strlen(after));
	g_autofree gchar *seen = ph_test_wait_for_value(
	        ph_test_db_get_url(test_db),
	        "SELECT verdict || ': ' || (reason LIKE '%is larger than 512 bytes') FROM "
	        "payout_result_file WHERE name = 'RESULT_PAYOUT_X_0000099998.txt'",
	        "rejected: true", 15000);
	g_assert_cmpstr(seen, ==, "rejected: true");
	g_autofree gchar *taken =
	        ph_test_wait_for_value(ph_test_db_get_url(test_db),
	                               "SELECT reason FROM payout_result_file WHERE name = "
	                               "'RESULT_PAYOUT_Y_0000099995.txt'",
	                               "payout batch 0000099995: unknown batch", 15000);
	g_assert_cmpstr(taken, ==, "payout batch 0000099995: unknown batch");
	g_assert_cmpint(count_where("payout_item_state", "state <> 'sent'"), ==, booked);
	g_autofree gchar *rejected = g_build_filename(outbox, "rejected", NULL);
	g_assert_cmpuint(count_files(rejected, "RESULT_PAYOUT_X_0000099998", ".reason"), ==, 1);
}

/* A result line with serial 0 (the serials of a batch count from 1) is refused, and the
 * reason says that it is the serial, not something the line does have. */
static void
test_result_serial_zero(void)
{
	g_autofree gchar *text = result_for_batch_serial("0000099997", 0);
	drop_one_line_result("RESULT_PAYOUT_X_0000099997.txt", text, strlen(text));
	g_autofree gchar *seen =
	        ph_test_wait_for_value(ph_test_db_get_url(test_db),
	                               "SELECT reason FROM payout_result_file WHERE name = "
	                               "'RESULT_PAYOUT_X_0000099997.txt'",
	                               "result serial 0: not a serial (they count from 1)", 15000);
	g_assert_cmpstr(seen, ==, "result serial 0: not a serial (they count from 1)");
}

/* A result whose echoed account is the account sent followed by a NUL byte and more (a field
 * of PH-BANK-1 is space-padded text) is not that account: the file is refused naming the
 * field, and nothing is booked; the true answer is booked after it. */
static void
test_echo_with_nul_refused(void)
{
	schedule_month(202605, 1);
	g_assert_cmpint(run_payout("run", "2026-05", NULL), ==, 0);
	wait_batch_state(202605, "regular", "sent");
	gint64 batch = batch_of(202605, "regular");
	g_autofree gchar *batch_no = g_strdup_printf("%010" G_GINT64_FORMAT, batch);
	/* person 1's account as sent (test_failures_then_reissue changes it) */
	g_autoptr(GError) error = NULL;
	g_autoptr(PhDb) db = ph_test_db_connect(test_db);
	g_autofree gchar *sql = g_strdup_printf(
	        "SELECT account FROM payout_item WHERE batch_no = %" G_GINT64_FORMAT, batch);
	g_autoptr(PGresult) item = ph_db_query(db, sql, 0, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(PQntuples(item), ==, 1);
	const gchar *account = PQgetvalue(item, 0, 0);
	g_autofree gchar *text = result_for_batch_line(batch_no, 1, account);
	gsize size = strlen(text);
	/* the R line follows the header line (108 bytes and CRLF); its AAE010 starts at byte 27 */
	gchar *padding = text + 110 + 27 + strlen(account);
	g_assert_cmpint(padding[0], ==, ' ');
	padding[0] = '\0';
	padding[1] = '9';
	g_autofree gchar *name = g_strdup_printf(
	        "RESULT_PAYOUT_330100000001_202605_%010" G_GINT64_FORMAT ".txt", batch);
	drop_one_line_result(name, text, size);
	g_autofree gchar *rejected_sql = g_strdup_printf(
	        "SELECT verdict || ': ' || coalesce(reason, '') FROM payout_result_file WHERE "
	        "name = '%s'",
	        name);
	g_autofree gchar *seen = ph_test_wait_for_value(
	        ph_test_db_get_url(test_db), rejected_sql,
	        "rejected: result serial 1: field AAE010 holds a NUL byte", 15000);
	g_assert_cmpstr(seen, ==, "rejected: result serial 1: field AAE010 holds a NUL byte");
	g_assert_cmpint(count_where("payout_batch", "period = 202605 AND state = 'sent'"), ==, 1);

	g_autofree gchar *good = result_for_batch_line(batch_no, 1, account);
	g_autofree gchar *good_name = g_strconcat(name, ".again", NULL);
	drop_one_line_result(good_name, good, strlen(good));
	wait_batch_state(202605, "regular", "closed");
}

/* A changed host key is refused at once (dead letter, batch still built); once the pinned key
 * is back, the operator's retry delivers it. */
static void
test_host_key_changed(void)
{
	schedule_month(202606, 2);
	ph_test_sshd_use_second_host_key(sshd, TRUE);
	g_assert_cmpint(run_payout("run", "2026-06", NULL), ==, 0);
	g_autofree gchar *dead = ph_test_wait_for_value(
	        ph_test_db_get_url(test_db),
	        "SELECT count(*) FROM dead_letter WHERE topic = 'bank.upload' AND last_error LIKE "
	        "'%host key CHANGED%'",
	        "1", 30000);
	g_assert_cmpstr(dead, ==, "1");
	g_assert_cmpint(count_where("payout_batch", "period = 202606 AND state = 'built'"), ==, 1);
	g_assert_cmpuint(count_files(inbox, "PAYOUT_330100000001_202606", ".txt"), ==, 0);

	ph_test_sshd_use_second_host_key(sshd, FALSE);
	g_autofree gchar *ctl =
	        g_build_filename(g_getenv("PH_BUILD_DIR"), "hub", "pensionctl", NULL);
	const gchar *argv[] = {ctl,      "--config", hub->config_path, "outbox", "retry",
	                       "--dead", NULL};
	g_assert_cmpint(run_program(NULL, argv), ==, 0);
	wait_batch_state(202606, "regular", "sent");
}

/* sshd down: the upload is retried with backoff and delivered once it is back. */
static void
test_sshd_down_then_back(void)
{
	schedule_month(202607, 2);
	ph_test_sshd_stop(sshd);
	g_assert_cmpint(run_payout("run", "2026-07", NULL), ==, 0);
	g_autofree gchar *tried = ph_test_wait_for_value(
	        ph_test_db_get_url(test_db),
	        "SELECT attempts >= 1 AND last_error LIKE '%cannot connect%' FROM outbox "
	        "WHERE topic = 'bank.upload' AND state = 'pending' ORDER BY id DESC LIMIT 1",
	        "t", 30000);
	g_assert_cmpstr(tried, ==, "t");
	ph_test_sshd_start(sshd);
	wait_batch_state(202607, "regular", "sent");
	g_assert_cmpuint(count_files(inbox, "PAYOUT_330100000001_202607", ".txt"), ==, 1);
}

/* The bank answers the large batch; the hub is killed (-9) once it has begun to read and
 * keep the result file (its kept copy's .part is there), and started again. */
static void
kill_during_booking(const gchar *documents)
{
	run_bank(NULL);
	guint waited = 0;
	for (; waited < 3000 && count_files(documents, "", ".part") == 0; waited++)
		g_usleep(10 * 1000);
	g_assert_cmpuint(count_files(documents, "", ".part"), ==, 1);
	g_assert_cmpint(ph_test_hub_signal(hub, SIGKILL), ==, 128 + SIGKILL);
	/* which step the kill met is a matter of timing; every one must end in one booking */
	g_test_message("killed %u ms after the answer, the batch %s", waited * 10,
	               count_where("payout_batch", "period = 202608 AND state = 'closed'") == 1
	                       ? "booked already"
	                       : "not booked yet");
	ph_test_hub_start(hub);
}

/* kill -9 of the hub while it uploads a large batch: after the restart (and the killed
 * process's lease, shortened here) there is one file, one done file, and one payment each.
 * Then kill -9 while it reads and books the bank's answer: after the restart the file is
 * booked once and kept once. */
static void
test_kill_during_upload_and_booking(void)
{
	exec_sql("INSERT INTO person (person_id, id_lookup, id_number, name, sex, birth_date, "
	         "status) SELECT n, 'K' || n, '1101051950' || lpad(n::text, 8, '0'), '测试', '1', "
	         "'19500101', 'retired' FROM generate_series(100000, 399999) n; "
	         "INSERT INTO payee_account (person_id, bank, account) SELECT n, 'icbc', "
	         "'6222' || n FROM generate_series(100000, 399999) n; "
	         "INSERT INTO payout_schedule (person_id, period, amount, account_part, "
	         "annuity_part) SELECT n, 202608, 300000, 0, 0 FROM generate_series(100000, "
	         "399999) n");
	/* The run analyzes the items it added (autovacuum kept away so that only the run can
	 * have): with stale statistics the count of paid items below ran for hours. */
	exec_sql("ALTER TABLE payout_item SET (autovacuum_enabled = off); "
	         "ALTER TABLE payout_result_line SET (autovacuum_enabled = off)");
	g_assert_cmpint(run_payout("run", "2026-08", NULL), ==, 0);
	g_assert_cmpint(query_int("SELECT reltuples::bigint FROM pg_class WHERE relname = "
	                          "'payout_item'"),
	                >=, 300000);
	exec_sql("ALTER TABLE payout_item RESET (autovacuum_enabled)");
	gint64 batch = batch_of(202608, "regular");
	g_autofree gchar *part = g_strdup_printf(
	        "%s/PAYOUT_330100000001_202608_%010" G_GINT64_FORMAT ".txt.part", inbox, batch);
	for (guint i = 0; i < 3000 && !g_file_test(part, G_FILE_TEST_EXISTS); i++)
		g_usleep(10 * 1000);
	g_assert_true(g_file_test(part, G_FILE_TEST_EXISTS));
	g_assert_cmpint(ph_test_hub_signal(hub, SIGKILL), ==, 128 + SIGKILL);
	exec_sql("UPDATE outbox SET next_attempt_at = now() WHERE topic = 'bank.upload' AND "
	         "state = 'pending'");
	ph_test_hub_start(hub);
	wait_batch_state(202608, "regular", "sent");
	g_assert_cmpuint(count_files(inbox, "PAYOUT_330100000001_202608", ".txt"), ==, 1);
	g_assert_cmpuint(count_files(inbox, "PAYOUT_330100000001_202608", ".ok"), ==, 1);
	g_assert_cmpuint(count_files(inbox, "PAYOUT_330100000001_202608", ".part"), ==, 0);
	/* the retry kept the file once: one row, one stored file, no .part left */
	g_autofree gchar *name =
	        g_strdup_printf("PAYOUT_330100000001_202608_%010" G_GINT64_FORMAT ".txt", batch);
	g_autofree gchar *path = g_build_filename(inbox, name, NULL);
	assert_kept("payout", name, path, "110105195000100000");
	g_autofree gchar *documents = g_build_filename(hub->dir, "documents", NULL);
	g_assert_cmpuint(count_files(documents, "", ".part"), ==, 0);
	kill_during_booking(documents);
	wait_batch_state_for(202608, "regular", "closed", 180000);
	/* the result file booked once, kept once, and nothing of the killed try left over */
	g_autofree gchar *booked = g_strdup_printf("batch_no = %" G_GINT64_FORMAT, batch);
	g_assert_cmpint(count_where("payout_result_file", booked), ==, 1);
	g_assert_cmpint(count_where("kept_document", "role = 'result' AND name LIKE "
	                                             "'RESULT_PAYOUT_330100000001_202608_%'"),
	                ==, 1);
	g_assert_cmpuint(count_files(documents, "", ".part"), ==, 0);
	/* and the booking the lines it stored, in the same transaction: their join columns from
	 * a sample of 3,000 rows, so the row count is an estimate (within 5 % of the 300,000
	 * lines of this file and the few of earlier ones), and the view's plan joins the items
	 * to the lines by hashing, not by a memoized scan of the whole file per item */
	g_assert_cmpint(query_int("SELECT reltuples::bigint FROM pg_class WHERE relname = "
	                          "'payout_result_line'"),
	                >=, 285000);
	g_assert_cmpint(query_int("SELECT count(*) FROM pg_stats WHERE tablename = "
	                          "'payout_result_line' AND attname IN ('file_id', 'serial')"),
	                ==, 2);
	g_autofree gchar *plan = query_plan("SELECT count(*) FROM payout_item_state WHERE "
	                                    "period = 202608 AND state = 'paid'");
	g_assert_null(strstr(plan, "Memoize"));
	exec_sql("ALTER TABLE payout_result_line RESET (autovacuum_enabled)");
	g_assert_cmpint(count_where("payout_item_state", "period = 202608 AND state = 'paid'"), ==,
	                300000);
	g_assert_cmpint(count_where("payout_schedule_state", "period = 202608 AND state = 'paid'"),
	                ==, 300000);
}

/* The database drops the hub's connections while it reads and books a 100,000-line result
 * (every client backend of the test database ended, as a server crash ends them): the hub
 * connects again, and the file ends booked once and kept once, every item paid. */
static void
test_database_drop_during_booking(void)
{
	exec_sql("INSERT INTO person (person_id, id_lookup, id_number, name, sex, birth_date, "
	         "status) SELECT n, 'D' || n, '1101051951' || lpad(n::text, 8, '0'), '测试', '1', "
	         "'19510101', 'retired' FROM generate_series(500000, 599999) n; "
	         "INSERT INTO payee_account (person_id, bank, account) SELECT n, 'icbc', "
	         "'6222' || n FROM generate_series(500000, 599999) n; "
	         "INSERT INTO payout_schedule (person_id, period, amount, account_part, "
	         "annuity_part) SELECT n, 202704, 300000, 0, 0 FROM generate_series(500000, "
	         "599999) n");
	g_assert_cmpint(run_payout("run", "2027-04", NULL), ==, 0);
	wait_batch_state_for(202704, "regular", "sent", 120000);
	g_autofree gchar *documents = g_build_filename(hub->dir, "documents", NULL);
	run_bank(NULL);
	for (guint i = 0; i < 3000 && count_files(documents, "", ".part") == 0; i++)
		g_usleep(10 * 1000);
	g_assert_cmpuint(count_files(documents, "", ".part"), ==, 1);
	g_assert_cmpint(query_int("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
	                          "WHERE datname = current_database() AND pid <> "
	                          "pg_backend_pid() AND backend_type = 'client backend'"),
	                >, 0);
	wait_batch_state_for(202704, "regular", "closed", 180000);
	g_autofree gchar *booked =
	        g_strdup_printf("batch_no = %" G_GINT64_FORMAT, batch_of(202704, "regular"));
	g_assert_cmpint(count_where("payout_result_file", booked), ==, 1);
	g_assert_cmpint(count_where("kept_document", "role = 'result' AND name LIKE "
	                                             "'RESULT_PAYOUT_330100000001_202704_%'"),
	                ==, 1);
	g_assert_cmpuint(count_files(documents, "", ".part"), ==, 0);
	g_assert_cmpint(count_where("payout_item_state", "period = 202704 AND state = 'paid'"), ==,
	                100000);
}

/* The bank reports a holder dead: that failure holds the person; the next month leaves them
 * out with the reason. */
static void
test_death_reported_by_bank(void)
{
	schedule_month(202609, 3);
	g_assert_cmpint(run_payout("run", "2026-09", NULL), ==, 0);
	wait_batch_state(202609, "regular", "sent");
	run_bank("--death 110105195203030031");
	wait_batch_state(202609, "regular", "closed");
	g_assert_cmpint(count_where("payout_hold", "person_id = 3"), ==, 1);
	schedule_month(202610, 3);
	g_autofree gchar *output = NULL;
	g_assert_cmpint(run_payout("run", "2026-10", &output), ==, 0);
	g_assert_nonnull(strstr(output, "held: the bank reported the account holder dead"));
	g_assert_cmpint(count_where("payout_item_state", "period = 202610 AND person_id = 3"), ==,
	                0);
}

/* As if the hub died after the file and its done file reached the bank but before the batch
 * was recorded as sent: the batch is built again and its upload queued again. */
static void
forget_sending(gint64 batch)
{
	g_autofree gchar *sql = g_strdup_printf(
	        "UPDATE payout_batch SET state = 'built', file_name = NULL, digest = NULL, "
	        "sent_at = NULL WHERE batch_no = %" G_GINT64_FORMAT "; "
	        "INSERT INTO outbox (topic, key, payload) VALUES ('bank.upload', "
	        "'%010" G_GINT64_FORMAT "', convert_to('%010" G_GINT64_FORMAT "', 'UTF8'))",
	        batch, batch, batch);
	exec_sql(sql);
}

/* The retry finds its own file (same digest): nothing new is written and the batch is sent;
 * other bytes under that name are never overwritten: the upload goes to dead letters. */
static void
test_retry_finds_its_file(void)
{
	schedule_month(202612, 2);
	g_assert_cmpint(run_payout("run", "2026-12", NULL), ==, 0);
	wait_batch_state(202612, "regular", "sent");
	gint64 batch = batch_of(202612, "regular");
	g_autofree gchar *path = g_strdup_printf(
	        "%s/PAYOUT_330100000001_202612_%010" G_GINT64_FORMAT ".txt", inbox, batch);
	GStatBuf before, after;
	g_assert_cmpint(g_stat(path, &before), ==, 0);
	forget_sending(batch);
	wait_batch_state(202612, "regular", "sent");
	g_assert_cmpint(g_stat(path, &after), ==, 0);
	g_assert_cmpint(before.st_ino, ==, after.st_ino); /* the same file, not a new one */
	g_assert_cmpuint(count_files(inbox, "PAYOUT_330100000001_202612", ".txt"), ==, 1);
	g_assert_cmpuint(count_files(inbox, "PAYOUT_330100000001_202612", ".ok"), ==, 1);

	g_autofree gchar *data = NULL;
	gsize size = 0;
	g_assert_true(g_file_get_contents(path, &data, &size, NULL));
	data[size - 3] = data[size - 3] == '0' ? '1' : '0'; /* the trailer's last digit */
	g_assert_true(g_file_set_contents(path, data, (gssize)size, NULL));
	forget_sending(batch);
	g_autofree gchar *dead =
	        ph_test_wait_for_value(ph_test_db_get_url(test_db),
	                               "SELECT count(*) FROM dead_letter WHERE last_error LIKE "
	                               "'%exists on the server with "
	                               "other content%'",
	                               "1", 30000);
	g_assert_cmpstr(dead, ==, "1");
	g_autofree gchar *kept = NULL;
	g_assert_true(g_file_get_contents(path, &kept, NULL, NULL));
	g_assert_cmpstr(kept, ==, data);
}

/* The ISO 20022 profile: pain.001 out (PENS, CtrlSum, EndToEndId of batch and serial),
 * pain.002 back with a rejection; the simulator echoes the ID numbers, which must match. */
static void
test_pain_profile(void)
{
	exec_sql("INSERT INTO payout_schedule (person_id, period, amount, account_part, "
	         "annuity_part) VALUES (7, 202611, 412345, 0, 0), (8, 202611, 300000, 0, 0)");
	g_assert_cmpint(run_payout("run", "2026-11", NULL), ==, 0);
	g_autofree gchar *sql = g_strdup("SELECT state FROM payout_batch WHERE bank = 'boc' AND "
	                                 "period = 202611");
	g_autofree gchar *sent =
	        ph_test_wait_for_value(ph_test_db_get_url(test_db), sql, "sent", 30000);
	g_assert_cmpstr(sent, ==, "sent");
	g_autofree gchar *boc_inbox = ph_test_sshd_path(sshd, "boc/inbox", FALSE);
	g_autofree gchar *boc_outbox = ph_test_sshd_path(sshd, "boc/outbox", FALSE);
	gint64 batch = query_int("SELECT batch_no FROM payout_batch WHERE bank = 'boc' AND "
	                         "period = 202611");
	g_autofree gchar *name = g_strdup_printf(
	        "%s/PAYOUT_330100000002_202611_%010" G_GINT64_FORMAT ".xml", boc_inbox, batch);
	g_autofree gchar *xml = NULL;
	g_assert_true(g_file_get_contents(name, &xml, NULL, NULL));
	/* 4123.45 + 3000.00 yuan */
	g_assert_nonnull(strstr(xml, "<CtrlSum>7123.45</CtrlSum>"));
	g_assert_nonnull(strstr(xml, "<Purp><Cd>PENS</Cd></Purp>"));
	/* "<batch, 10 digits>-<serial, 8 digits>" for serials 1 and 2; the MsgId
	 * "<agency>-<period>-<batch>" keeps within ISO's 35 characters */
	for (gint serial = 1; serial <= 3; serial++) {
		g_autofree gchar *id = g_strdup_printf(
		        "<EndToEndId>%010" G_GINT64_FORMAT "-%08d</EndToEndId>", batch, serial);
		g_assert_cmpint(strstr(xml, id) != NULL, ==, serial <= 2);
	}
	g_autofree gchar *msg_id = g_strdup_printf(
	        "<MsgId>330100000002-202611-%010" G_GINT64_FORMAT "</MsgId>", batch);
	g_assert_nonnull(strstr(xml, msg_id));
	run_bank_in(boc_inbox, boc_outbox, "--fail 110105195108080081=1001");
	g_autofree gchar *closed =
	        ph_test_wait_for_value(ph_test_db_get_url(test_db), sql, "closed", 30000);
	g_assert_cmpstr(closed, ==, "closed");
	g_assert_cmpint(count_where("payout_item_state", "person_id = 7 AND period = 202611 AND "
	                                                 "state = 'paid'"),
	                ==, 1);
	g_assert_cmpint(count_where("payout_item_state", "person_id = 8 AND period = 202611 AND "
	                                                 "state = 'failed' AND reason = 'AC04'"),
	                ==, 1);
}

/* A pain.002 answer changed one way, and what its rejection must say; "B1" stands for the
 * answered batch, "B2" for another batch of the same bank. */
typedef struct {
	const gchar *from;
	const gchar *to;
	gint64 total_change; /* fen the change adds to the done file's total */
	const gchar *reason;
} PainChange;

static gchar *
pain_expand(const gchar *text, const gchar *b1, const gchar *b2)
{
	g_autoptr(GString) expanded = g_string_new(text);
	g_string_replace(expanded, "B1", b1, 0);
	g_string_replace(expanded, "B2", b2, 0);
	return g_string_free(g_steal_pointer(&expanded), FALSE);
}

/* Drops @data and its done file into @folder as the bank's answer @name and waits until the
 * hub has taken the pair (moved it to processed/ or rejected/). */
static void
drop_result(const gchar *folder, const gchar *name, const gchar *data, gint64 count, gint64 total)
{
	g_autofree gchar *path = g_build_filename(folder, name, NULL);
	g_autofree gchar *done_path = g_strconcat(path, ".ok", NULL);
	g_autofree gchar *hex = ph_digest_hex(PH_DIGEST_SM3, data, strlen(data));
	g_autofree gchar *done = g_strdup_printf(
	        "SM3 %s %" G_GINT64_FORMAT " %" G_GINT64_FORMAT "\r\n", hex, count, total);
	g_assert_true(g_file_set_contents(path, data, -1, NULL));
	g_assert_true(g_file_set_contents(done_path, done, -1, NULL));
	for (guint i = 0; i < 300 && (g_file_test(path, G_FILE_TEST_EXISTS) ||
	                              g_file_test(done_path, G_FILE_TEST_EXISTS));
	     i++)
		g_usleep(100 * 1000);
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(done_path, G_FILE_TEST_EXISTS));
}

/* pain.002 answers matched exactly (issue 5 §4): a result naming another batch in its
 * OrgnlEndToEndId, a bare serial, or another amount, ID number or account than was sent
 * rejects the whole file and books nothing; the bank's true answer is booked after them. */
static void
test_pain_mismatch_rejected(void)
{
	/* persons 7 and 8 bank with boc (BANK_PEOPLE): 4123.45 and 3000.00 yuan */
	exec_sql("INSERT INTO payout_schedule (person_id, period, amount, account_part, "
	         "annuity_part) VALUES (7, 202701, 412345, 0, 0), (8, 202701, 300000, 0, 0), "
	         "(7, 202702, 412345, 0, 0), (8, 202702, 300000, 0, 0)");
	g_assert_cmpint(run_payout("run", "2027-01", NULL), ==, 0);
	g_assert_cmpint(run_payout("run", "2027-02", NULL), ==, 0);
	g_autofree gchar *sent = ph_test_wait_for_value(
	        ph_test_db_get_url(test_db),
	        "SELECT count(*) FROM payout_batch WHERE bank = 'boc' AND period IN (202701, "
	        "202702) AND state = 'sent'",
	        "2", 30000);
	g_assert_cmpstr(sent, ==, "2");
	gint64 batch = query_int("SELECT batch_no FROM payout_batch WHERE bank = 'boc' AND "
	                         "period = 202701");
	g_autofree gchar *b1 = g_strdup_printf("%010" G_GINT64_FORMAT, batch);
	g_autofree gchar *b2 = g_strdup_printf(
	        "%010" G_GINT64_FORMAT,
	        query_int("SELECT batch_no FROM payout_batch WHERE bank = 'boc' AND "
	                  "period = 202702"));
	/* the simulator answers into a folder the hub does not see, so each change is made
	 * before the hub can take the answer */
	g_autoptr(GError) error = NULL;
	g_autofree gchar *staging = g_dir_make_tmp("bank-pain-XXXXXX", &error);
	g_assert_no_error(error);
	g_autofree gchar *boc_inbox = ph_test_sshd_path(sshd, "boc/inbox", FALSE);
	g_autofree gchar *boc_outbox = ph_test_sshd_path(sshd, "boc/outbox", FALSE);
	run_bank_in(boc_inbox, staging, NULL);
	g_autofree gchar *name = g_strdup_printf("RESULT_PAYOUT_330100000002_202701_%s.xml", b1);
	g_autofree gchar *path = g_build_filename(staging, name, NULL);
	g_autofree gchar *answer = NULL;
	g_assert_true(g_file_get_contents(path, &answer, NULL, NULL));
	/* 412345 + 300000 fen (the schedule above) */
	const gint64 total = 712345;

	const gchar *no_match = "no item with that serial, ID number, account and amount was sent";
	const PainChange changes[] = {
	        {"<OrgnlEndToEndId>B1-00000002<", "<OrgnlEndToEndId>B2-00000002<", 0,
	         "result B2-00000002 (end-to-end id): names batch B2, the file answers batch B1"},
	        /* the serial alone, as pain.002 answers carried it before */
	        {"<OrgnlEndToEndId>B1-00000002<", "<OrgnlEndToEndId>2<", 0,
	         "end-to-end id '2' is not '<batch, 10 digits>-<serial, 8 digits>'"},
	        {">3000.00</InstdAmt>", ">3000.01</InstdAmt>", 1, no_match},
	        /* person 8's result with person 7's ID number (BANK_PEOPLE) */
	        {"<Id>110105195108080081</Id>", "<Id>110105195107070071</Id>", 0, no_match},
	        {"<Id>6013820000000000008</Id>", "<Id>6013820000000000007</Id>", 0, no_match},
	};
	for (guint i = 0; i < G_N_ELEMENTS(changes); i++) {
		g_autofree gchar *from = pain_expand(changes[i].from, b1, b2);
		g_autofree gchar *to = pain_expand(changes[i].to, b1, b2);
		g_autofree gchar *reason = pain_expand(changes[i].reason, b1, b2);
		g_autoptr(GString) changed = g_string_new(answer);
		g_assert_cmpuint(g_string_replace(changed, from, to, 0), ==, 1);
		drop_result(boc_outbox, name, changed->str, 2, total + changes[i].total_change);
		g_autofree gchar *sql =
		        g_strdup_printf("SELECT reason FROM payout_result_file WHERE batch_no = "
		                        "%" G_GINT64_FORMAT " AND verdict = 'rejected' "
		                        "ORDER BY received_at DESC LIMIT 1",
		                        batch);
		g_autoptr(PhDb) db = ph_test_db_connect(test_db);
		g_autoptr(PGresult) seen = ph_db_query(db, sql, 0, NULL, &error);
		g_assert_no_error(error);
		g_assert_cmpint(PQntuples(seen), ==, 1);
		g_assert_nonnull(strstr(PQgetvalue(seen, 0, 0), reason));
		g_assert_cmpint(count_where("payout_result_file",
		                            "verdict = 'rejected' AND name LIKE '%_202701_%'"),
		                ==, i + 1);
		/* nothing booked: the batch is still out, no item paid or failed */
		g_assert_cmpint(count_where("payout_batch", "period = 202701 AND bank = 'boc' AND "
		                                            "state = 'sent'"),
		                ==, 1);
		g_assert_cmpint(count_where("payout_item_state", "period = 202701 AND state <> "
		                                                 "'sent'"),
		                ==, 0);
	}
	drop_result(boc_outbox, name, answer, 2, total);
	g_assert_cmpint(count_where("payout_item_state", "period = 202701 AND state = 'paid'"), ==,
	                2);
	g_assert_cmpint(count_where("payout_batch", "period = 202702 AND state = 'sent'"), ==, 1);
}

/* A pain.002 answer (for a batch never sent) of 19 lines of 9,999,999,999,999,999.99 yuan
 * each, the largest amount its mapping reads: their total, about 1.9 * 10^19 fen, is more than
 * a gint64 holds. Its done file states that total as it wraps around in 64 bits; the file is
 * refused naming the overflow, not found to agree with its done file. */
static void
test_pain_total_overflows(void)
{
	g_autoptr(GString) xml = g_string_new(
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.002.001.10\">"
	        "<CstmrPmtStsRpt><GrpHdr><MsgId>R-0000099996</MsgId>"
	        "<CreDtTm>2027-05-30T12:00:00</CreDtTm></GrpHdr>"
	        "<OrgnlGrpInfAndSts><OrgnlMsgId>330100000002-202705-0000099996</OrgnlMsgId>"
	        "<OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId></OrgnlGrpInfAndSts>"
	        "<OrgnlPmtInfAndSts><OrgnlPmtInfId>0000099996</OrgnlPmtInfId>");
	for (guint serial = 1; serial <= 19; serial++)
		g_string_append_printf(
		        xml,
		        "<TxInfAndSts><OrgnlEndToEndId>0000099996-%08u</OrgnlEndToEndId>"
		        "<TxSts>ACSC</TxSts><OrgnlTxRef><Amt><InstdAmt Ccy=\"CNY\">"
		        "9999999999999999.99</InstdAmt></Amt><CdtrAcct><Id><Othr>"
		        "<Id>601382000000000000%u</Id></Othr></Id></CdtrAcct></OrgnlTxRef>"
		        "</TxInfAndSts>",
		        serial, serial % 10);
	g_string_append(xml, "</OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>\n");
	g_autofree gchar *boc_outbox = ph_test_sshd_path(sshd, "boc/outbox", FALSE);
	/* 19 * 999,999,999,999,999,999 fen less 2^64 */
	g_autofree gchar *hex = ph_digest_hex(PH_DIGEST_SM3, xml->str, xml->len);
	g_autofree gchar *done = g_strdup_printf("SM3 %s 19 553255926290448365\r\n", hex);
	g_autofree gchar *path =
	        g_build_filename(boc_outbox, "RESULT_PAYOUT_X_0000099996.xml", NULL);
	g_autofree gchar *done_path = g_strconcat(path, ".ok", NULL);
	g_assert_true(g_file_set_contents(path, xml->str, (gssize)xml->len, NULL));
	g_assert_true(g_file_set_contents(done_path, done, -1, NULL));
	g_autofree gchar *seen = ph_test_wait_for_value(
	        ph_test_db_get_url(test_db),
	        "SELECT reason LIKE '%overflow%' FROM payout_result_file WHERE name = "
	        "'RESULT_PAYOUT_X_0000099996.xml'",
	        "t", 15000);
	g_autoptr(GError) error = NULL;
	g_autoptr(PhDb) db = ph_test_db_connect(test_db);
	g_autoptr(PGresult) reason = ph_db_query(db,
	                                         "SELECT reason FROM payout_result_file WHERE "
	                                         "name = 'RESULT_PAYOUT_X_0000099996.xml'",
	                                         0, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(PQntuples(reason), ==, 1);
	g_test_message("reason: %s", PQgetvalue(reason, 0, 0));
	g_assert_cmpstr(seen, ==, "t");
}

/* pensionctl documents ARGS…; returns the exit status and the output. */
static gint
run_documents(gchar **output, const gchar *const *args)
{
	g_autofree gchar *ctl =
	        g_build_filename(g_getenv("PH_BUILD_DIR"), "hub", "pensionctl", NULL);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	const gchar *head[] = {ctl, "--config", hub->config_path, "documents"};
	for (guint i = 0; i < G_N_ELEMENTS(head); i++)
		g_ptr_array_add(argv, (gpointer)head[i]);
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	return run_program(output, (const gchar *const *)argv->pdata);
}

/* Writes @name into the document store, last written @hours_ago hours ago. */
static gchar *
write_stray(const gchar *documents, const gchar *name, gint hours_ago)
{
	gchar *path = g_build_filename(documents, name, NULL);
	g_assert_true(g_file_set_contents(path, "stray", -1, NULL));
	gint64 when = g_get_real_time() / G_USEC_PER_SEC - (gint64)hours_ago * 3600;
	struct utimbuf times = {(time_t)when, (time_t)when};
	g_assert_cmpint(g_utime(path, &times), ==, 0);
	return path;
}

/* The store file a kept document names (the first by name). */
static gchar *
recorded_store_file(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhDb) db = ph_test_db_connect(test_db);
	g_autoptr(PGresult) result =
	        ph_db_query(db, "SELECT store_file FROM kept_document ORDER BY store_file LIMIT 1",
	                    0, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(PQntuples(result), ==, 1);
	return g_strdup(PQgetvalue(result, 0, 0));
}

/* What an interrupted removal left set aside (NAME.sweep) is settled by the next one: a file
 * a row names is put back whatever its age, an old one no row names is removed. */
static void
assert_orphans_settle_aside(const gchar *documents)
{
	g_autofree gchar *named = recorded_store_file();
	g_autofree gchar *named_path = g_build_filename(documents, named, NULL);
	g_autofree gchar *named_aside = g_strconcat(named_path, ".sweep", NULL);
	g_autofree gchar *named_before = NULL;
	gsize before_length = 0;
	g_assert_true(g_file_get_contents(named_path, &named_before, &before_length, NULL));
	g_assert_cmpint(g_rename(named_path, named_aside), ==, 0);
	g_autofree gchar *stray_aside = write_stray(documents, "89abcdef.gcm.sweep", 30);
	g_autofree gchar *stray = g_build_filename(documents, "89abcdef.gcm", NULL);
	/* not a store file's: never touched, whatever its name ends in */
	g_autofree gchar *notes = write_stray(documents, "notes.sweep", 30);
	const gchar *list[] = {"orphans", NULL};
	g_autofree gchar *listed = NULL;
	g_assert_cmpint(run_documents(&listed, list), ==, 0);
	g_assert_nonnull(
	        strstr(listed, "89abcdef.gcm.sweep  set aside by an interrupted removal\n"));
	g_assert_true(g_file_test(stray_aside, G_FILE_TEST_EXISTS)); /* listing changes nothing */

	const gchar *remove[] = {"orphans", "--remove", NULL};
	g_autofree gchar *removed = NULL;
	g_assert_cmpint(run_documents(&removed, remove), ==, 0);
	g_autofree gchar *put_back = g_strconcat(named,
	                                         ".sweep  set aside by an interrupted "
	                                         "removal, put back",
	                                         NULL);
	g_assert_nonnull(strstr(removed, put_back));
	g_assert_nonnull(strstr(removed, "89abcdef.gcm.sweep  set aside by an interrupted "
	                                 "removal, removed"));
	g_assert_nonnull(strstr(removed, "1 files in")); /* counted, and audited */
	g_assert_null(strstr(removed, "notes"));
	g_assert_true(g_file_test(notes, G_FILE_TEST_EXISTS));
	g_assert_cmpint(g_unlink(notes), ==, 0);
	g_autofree gchar *named_after = NULL;
	gsize after_length = 0;
	g_assert_true(g_file_get_contents(named_path, &named_after, &after_length, NULL));
	g_assert_cmpmem(named_after, after_length, named_before, before_length);
	g_assert_false(g_file_test(named_aside, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(stray_aside, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(stray, G_FILE_TEST_EXISTS));
}

/* pensionctl documents orphans names the store's files that no kept document names and
 * that were last written more than a day ago (a stored file whose booking did not commit, a
 * .part of a killed hub), and removes them with --remove, audited; younger ones (a keep in
 * progress) and kept files stay. */
static void
test_documents_orphans(void)
{
	g_autofree gchar *documents = g_build_filename(hub->dir, "documents", NULL);
	guint stored = count_files(documents, "", "");
	g_assert_cmpuint(stored, >, 0);
	g_autofree gchar *old = write_stray(documents, "0123abcd.gcm", 30);
	g_autofree gchar *part = write_stray(documents, "feedbeef.part", 48);
	g_autofree gchar *young = write_stray(documents, "4567cdef.gcm", 2);
	g_autofree gchar *other = write_stray(documents, "operator-notes.txt", 30);
	const gchar *list[] = {"orphans", NULL};
	g_autofree gchar *listed = NULL;
	g_assert_cmpint(run_documents(&listed, list), ==, 0);
	g_assert_nonnull(strstr(listed, "0123abcd.gcm  5 bytes"));
	g_assert_nonnull(strstr(listed, "feedbeef.part  5 bytes"));
	g_assert_null(strstr(listed, "4567cdef"));
	g_assert_null(strstr(listed, "operator-notes")); /* not a store file: not ours */
	g_assert_nonnull(strstr(listed, "2 files in"));
	g_assert_cmpuint(count_files(documents, "", ""), ==, stored + 4); /* listing keeps */

	const gchar *younger[] = {"orphans", "--older-than-hours", "1", "--remove", NULL};
	g_autofree gchar *removed = NULL;
	g_assert_cmpint(run_documents(&removed, younger), ==, 0);
	g_assert_nonnull(strstr(removed, "3 files in"));
	g_assert_false(g_file_test(old, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(part, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(young, G_FILE_TEST_EXISTS));
	g_assert_true(g_file_test(other, G_FILE_TEST_EXISTS));
	g_assert_cmpint(g_unlink(other), ==, 0);
	g_assert_cmpuint(count_files(documents, "", ""), ==, stored);
	g_assert_cmpint(count_where("audit_log", "action = 'documents-orphans-removed'"), ==, 1);
	assert_orphans_settle_aside(documents);
}

/* pensionctl documents list names every kept file with its batch (a result file's from its
 * booking); prune keeps what is newer than the date, then removes rows and files, audited. */
static void
test_documents_prune(void)
{
	g_autofree gchar *listed = NULL;
	const gchar *list[] = {"list", NULL};
	g_assert_cmpint(run_documents(&listed, list), ==, 0);
	gint64 kept = count_where("kept_document", "TRUE");
	g_assert_cmpint(kept, >, 0);
	g_autofree gchar *count = g_strdup_printf("%" G_GINT64_FORMAT " kept files", kept);
	g_assert_nonnull(strstr(listed, count));
	g_autofree gchar *result_line = g_strdup_printf("%010" G_GINT64_FORMAT "  result  icbc",
	                                                batch_of(202601, "regular"));
	g_assert_nonnull(strstr(listed, result_line));

	g_autofree gchar *none = NULL;
	const gchar *old[] = {"prune", "--before", "2000-01-01", NULL};
	g_assert_cmpint(run_documents(&none, old), ==, 0);
	g_assert_nonnull(strstr(none, "0 kept files removed"));
	g_assert_cmpint(count_where("kept_document", "TRUE"), ==, kept);

	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autoptr(GDateTime) tomorrow = g_date_time_add_days(now, 1);
	g_autofree gchar *day = g_date_time_format(tomorrow, "%Y-%m-%d");
	const gchar *all[] = {"prune", "--before", day, NULL};
	g_autofree gchar *pruned = NULL;
	g_assert_cmpint(run_documents(&pruned, all), ==, 0);
	g_assert_cmpint(count_where("kept_document", "TRUE"), ==, 0);
	g_autofree gchar *documents = g_build_filename(hub->dir, "documents", NULL);
	g_assert_cmpuint(count_files(documents, "", ""), ==, 0);
	/* both prunes are operator actions, the one that removed nothing too */
	g_assert_cmpint(count_where("audit_log", "action = 'documents-prune'"), ==, 2);
}

static gchar *bank_config(const gchar *extra);

/* The hub stopped and started again with bank_config(@extra). */
static void
restart_hub(const gchar *extra)
{
	g_assert_cmpint(ph_test_hub_signal(hub, SIGTERM), ==, 0);
	g_autofree gchar *config = bank_config(extra);
	ph_test_hub_write_config(hub, config);
	ph_test_hub_start(hub);
}

/* Persons 1-3 owed @period (YYYYMM, @month as pensionctl takes it), the month run and its
 * batch sent; returns the batch. */
static gint64
pay_month_sent(gint period, const gchar *month)
{
	schedule_month(period, 3);
	g_assert_cmpint(run_payout("run", month, NULL), ==, 0);
	wait_batch_state(period, "regular", "sent");
	return batch_of(period, "regular");
}

/* The SHA-256 of the member @name of the ustar @package, NULL when it has none. */
static gchar *
tar_member_sha256(const gchar *package, gsize length, const gchar *name)
{
	for (gsize at = 0; at + 512 <= length && package[at] != '\0';) {
		gchar size_field[13] = {0};
		memcpy(size_field, package + at + 124, 12);
		gsize size = (gsize)g_ascii_strtoull(size_field, NULL, 8);
		g_assert_cmpuint(at + 512 + size, <=, length);
		if (strncmp(package + at, name, 100) == 0)
			return ph_digest_hex(PH_DIGEST_SHA256, package + at + 512, size);
		at += 512 + (size + 511) / 512 * 512;
	}
	return NULL;
}

static gchar *
file_sha256(const gchar *path)
{
	g_autofree gchar *data = NULL;
	gsize size = 0;
	g_assert_true(g_file_get_contents(path, &data, &size, NULL));
	return ph_digest_hex(PH_DIGEST_SHA256, data, size);
}

/* End to end with the archive adapter and its simulator: a month paid through the bank
 * simulator becomes one archival package holding exactly the payout file the simulator
 * received and the result file it wrote (their SHA-256 against the simulator's files), and
 * the package verifies offline. */
static void
test_archived(void)
{
	const gchar *pki = hub->pki;
	guint port = ph_test_free_port();
	g_autofree gchar *store = g_build_filename(hub->dir, "archive", NULL);
	g_assert_cmpint(g_mkdir(store, 0700), ==, 0);
	const gchar *options[] = {"--store", store, NULL};
	ph_test_peer_start(&archive_sim, "archive-sim", hub->dir, port, pki, options);
	archive_config = g_strdup_printf(
	        "[client-tls]\ncertificate = %s/hub.crt\nkey = %s/hub.key\n\n"
	        "[plugin archive]\nurl = https://127.0.0.1:%u/archive/v1/packages\nca = %s/ca.crt\n"
	        "signing_key = %s/hub.key\nsigning_certificate = %s/hub.crt\ntimeout_ms = 5000\n"
	        "retry_initial_ms = 200\nretry_max_ms = 800\n\n",
	        pki, pki, port, pki, pki, pki);
	g_autofree gchar *target = g_build_filename(g_getenv("PH_BUILD_DIR"), "plugins", "archive",
	                                            "libph-archive.so", NULL);
	g_autofree gchar *link = g_build_filename(hub->dir, "plugins", "libph-archive.so", NULL);
	g_assert_cmpint(symlink(target, link), ==, 0);
	restart_hub("");

	gint64 batch = pay_month_sent(202702, "2027-02");
	/* the run raises payout_due only when it adds schedule rows itself (from benefits, which
	 * this test does not set up): the event as it would have been written with the batch */
	g_autofree gchar *event = g_strdup_printf(
	        "INSERT INTO core_event (type, business_key, payload, created_at) SELECT "
	        "'payout_due', '2027-02#1', '{\"period\": \"2027-02\", \"added\": 3, "
	        "\"rows\": 3, \"amount\": 1050006}', created_at FROM payout_batch WHERE batch_no = "
	        "%" G_GINT64_FORMAT,
	        batch);
	exec_sql(event);
	run_bank(NULL);
	wait_batch_state(202702, "regular", "closed");
	const gchar *stored[] = {"STORED", "payout_due:", NULL};
	ph_test_peer_wait(&archive_sim, stored, 1);

	g_autofree gchar *name =
	        g_strdup_printf("PAYOUT_330100000001_202702_%010" G_GINT64_FORMAT ".txt", batch);
	g_autofree gchar *payout_path = g_build_filename(inbox, name, NULL);
	g_autofree gchar *processed = g_build_filename(outbox, "processed", NULL);
	g_autofree gchar *result_name =
	        find_file(processed, "RESULT_PAYOUT_330100000001_202702", ".txt");
	g_autofree gchar *result_path = g_build_filename(processed, result_name, NULL);
	g_autofree gchar *package_name = find_file(store, "", ".tar");
	g_autofree gchar *package_path = g_build_filename(store, package_name, NULL);
	g_autofree gchar *package = NULL;
	gsize length = 0;
	g_assert_true(g_file_get_contents(package_path, &package, &length, NULL));
	const struct {
		const gchar *member_prefix;
		const gchar *file_name;
		const gchar *path;
	} members[] = {
	        {"documents/outbound-bank-", name, payout_path},
	        {"documents/inbound-bank-", result_name, result_path},
	};
	for (guint i = 0; i < G_N_ELEMENTS(members); i++) {
		g_autofree gchar *member =
		        g_strconcat(members[i].member_prefix, members[i].file_name, NULL);
		g_autofree gchar *in_package = tar_member_sha256(package, length, member);
		g_autofree gchar *at_bank = file_sha256(members[i].path);
		g_test_message("%s: %s, the bank side's %s", member, in_package, at_bank);
		g_assert_cmpstr(in_package, ==, at_bank);
	}
	g_autofree gchar *ctl =
	        g_build_filename(g_getenv("PH_BUILD_DIR"), "hub", "pensionctl", NULL);
	g_autofree gchar *ca = g_build_filename(pki, "ca.crt", NULL);
	const gchar *verify[] = {ctl,       "--config", hub->config_path,
	                         "archive", "verify",   package_path,
	                         "--ca",    ca,         NULL};
	g_autofree gchar *verdict = NULL;
	g_assert_cmpint(run_program(&verdict, verify), ==, 0);
	/* the event, the batch record, the payout, done and result files */
	g_assert_nonnull(strstr(verdict, "ok: payout case payout_due:"));
	g_assert_nonnull(strstr(verdict, ", 5 documents"));
}

/* With `[keys] file` on (issue 9 §3) the payout file and its done file are kept sealed: the
 * stored file opens to the bytes the bank received and holds no ID number in the clear. Last:
 * the keys stay on (the people here were stored in plaintext, so no result is booked). */
/* keys rotate under a new current key re-wraps every kept file (the header names k2, no file
 * names k1) and records it; keys status then counts none left. */
static void
assert_kept_rotated(void)
{
	g_autoptr(GError) error = NULL;
	g_assert_true(ph_field_keys_add(key_path, "k2", NULL, &error));
	g_assert_no_error(error);
	const gchar *rotate[] = {"keys", "rotate", NULL};
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	gint rotated = ph_test_hub_ctl(hub, rotate, &out, &err);
	g_test_message("keys rotate: %s%s", out, err);
	g_assert_cmpint(rotated, ==, 0);
	g_assert_nonnull(strstr(out, " kept files and 0 spool files re-wrapped"));
	g_assert_cmpint(count_where("kept_document", "key_id = 'k1'"), ==, 0);
	g_autoptr(PhDb) db = ph_test_db_connect(test_db);
	g_autoptr(PGresult) files =
	        ph_db_query(db, "SELECT DISTINCT store_file FROM kept_document WHERE key_id = 'k2'",
	                    0, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(PQntuples(files), >=, 2);
	for (gint row = 0; row < PQntuples(files); row++) {
		g_autofree gchar *stored =
		        g_build_filename(hub->dir, "documents", PQgetvalue(files, row, 0), NULL);
		g_autofree gchar *bytes = NULL;
		gsize size = 0;
		g_assert_true(g_file_get_contents(stored, &bytes, &size, NULL));
		g_assert_nonnull(memmem(bytes, MIN(size, 4096), "enc1:k2:", 8));
		g_assert_null(memmem(bytes, MIN(size, 4096), "enc1:k1:", 8));
	}
	const gchar *status[] = {"keys", "status", NULL};
	g_autofree gchar *status_out = NULL;
	g_autofree gchar *status_err = NULL;
	g_assert_cmpint(ph_test_hub_ctl(hub, status, &status_out, &status_err), ==, 0);
	g_assert_nonnull(strstr(status_out, "kept files not under it: 0"));
}

static void
test_kept_sealed(void)
{
	g_autoptr(GError) error = NULL;
	key_dir = g_dir_make_tmp("ph-bank-keys-XXXXXX", &error);
	g_assert_no_error(error);
	key_path = g_build_filename(key_dir, "field.keys", NULL);
	g_assert_true(ph_field_keys_add(key_path, "k1", NULL, &error));
	g_assert_no_error(error);
	keys = ph_field_keys_load(key_path, &error);
	g_assert_no_error(error);
	restart_hub("");
	gint64 batch = pay_month_sent(202701, "2027-01");
	g_autofree gchar *name =
	        g_strdup_printf("PAYOUT_330100000001_202701_%010" G_GINT64_FORMAT ".txt", batch);
	g_autofree gchar *path = g_build_filename(inbox, name, NULL);
	assert_kept("payout", name, path, "110105195001010011");
	g_autofree gchar *done_name = g_strconcat(name, ".ok", NULL);
	g_autofree gchar *done_path = g_strconcat(path, ".ok", NULL);
	assert_kept("done", done_name, done_path, NULL);
	assert_kept_rotated();
}

/* From `run_day` on, the plugin's job builds the current month's batches once, as pensionctl
 * payout run does, and remembers it in its state. */
static void
test_scheduled_run(void)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	gint period = g_date_time_get_year(now) * 100 + g_date_time_get_month(now);
	g_autofree gchar *schedule = g_strdup_printf(
	        "INSERT INTO payout_schedule (person_id, period, amount, account_part, "
	        "annuity_part) "
	        "SELECT person_id, %d, 350000 + person_id, 0, 0 FROM person WHERE person_id <= 3 "
	        "ON CONFLICT DO NOTHING",
	        period);
	exec_sql(schedule);
	restart_hub("run_day = 1\nrun_check_seconds = 1\n");
	g_autofree gchar *sql = g_strdup_printf("SELECT count(*) FROM plugin_state WHERE "
	                                        "plugin = 'bank' AND key = 'run:%06d'",
	                                        period);
	g_autofree gchar *remembered =
	        ph_test_wait_for_value(ph_test_db_get_url(test_db), sql, "1", 30000);
	g_assert_cmpstr(remembered, ==, "1");
	g_autofree gchar *where = g_strdup_printf("period = %d AND kind = 'regular' AND "
	                                          "bank = 'icbc'",
	                                          period);
	g_assert_cmpint(count_where("payout_batch", where), ==, 1);
	/* and uploaded, so that no kept file is still being written when the next test counts
	 * the store's files */
	wait_batch_state(period, "regular", "sent");
}

/* Writes @folder/@to.xml: the installed @from with every "ph-bank-1-payout"/"-result" name
 * in it renamed to @to. */
static void
write_renamed_mapping(const gchar *folder, const gchar *from, const gchar *to)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *file = g_strconcat(from, ".xml", NULL);
	g_autofree gchar *path =
	        g_build_filename(g_getenv("PH_SOURCE_DIR"), "mappings", "partners", file, NULL);
	g_autofree gchar *contents = NULL;
	g_assert_true(g_file_get_contents(path, &contents, NULL, NULL));
	g_autoptr(GString) text = g_string_new(contents);
	g_autofree gchar *quoted_from = g_strdup_printf("\"%s\"", from);
	g_autofree gchar *quoted_to = g_strdup_printf("\"%s\"", to);
	g_assert_cmpuint(g_string_replace(text, quoted_from, quoted_to, 0), ==, 1);
	g_autofree gchar *copy_name = g_strconcat(to, ".xml", NULL);
	g_autofree gchar *copy = g_build_filename(folder, copy_name, NULL);
	g_file_set_contents(copy, text->str, -1, &error);
	g_assert_no_error(error);
}

/* A mapping folder like the installed one, except that PH-BANK-1's two layouts are there
 * only under a bank's own names (my-bank-payout, my-bank-result). */
static gchar *
own_layout_folder(void)
{
	g_autofree gchar *source = g_build_filename(g_getenv("PH_SOURCE_DIR"), "mappings", NULL);
	gchar *folder = g_build_filename(hub->dir, "own-mappings", NULL);
	g_autofree gchar *partners = g_build_filename(folder, "partners", NULL);
	g_assert_cmpint(g_mkdir_with_parents(partners, 0700), ==, 0);
	for (guint i = 0; i < 2; i++) {
		const gchar *name = i == 0 ? "schema" : "standard";
		g_autofree gchar *target = g_build_filename(source, name, NULL);
		g_autofree gchar *link = g_build_filename(folder, name, NULL);
		g_assert_cmpint(symlink(target, link), ==, 0);
	}
	g_autofree gchar *installed = g_build_filename(source, "partners", NULL);
	g_autoptr(GDir) dir = g_dir_open(installed, 0, NULL);
	const gchar *name;
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		if (g_str_equal(name, "ph-bank-1-payout.xml") ||
		    g_str_equal(name, "ph-bank-1-result.xml"))
			continue;
		g_autofree gchar *target = g_build_filename(installed, name, NULL);
		g_autofree gchar *link = g_build_filename(partners, name, NULL);
		g_assert_cmpint(symlink(target, link), ==, 0);
	}
	write_renamed_mapping(partners, "ph-bank-1-payout", "my-bank-payout");
	write_renamed_mapping(partners, "ph-bank-1-result", "my-bank-result");
	return folder;
}

/* A bank whose layouts have names of their own (NAME.payout_mapping, NAME.result_mapping)
 * is paid and booked through them: the folder has no ph-bank-1-payout or -result, so a bank
 * adapter that still used the profile's names would not start, and nothing would be sent. */
static void
test_own_layout_names(void)
{
	hub->mapping_dir = own_layout_folder();
	/* a layout name with no file: the plugin is refused at start, naming the bank and the
	 * mapping, before anything is written with it */
	restart_hub("icbc.payout_mapping = my-bank-payout\nicbc.result_mapping = no-such-layout\n");
	g_autofree gchar *log = NULL;
	g_assert_true(g_file_get_contents(hub->log_path, &log, NULL, NULL));
	g_assert_nonnull(strstr(log, "[plugin bank] icbc: mapping no-such-layout: no file "));
	restart_hub("icbc.payout_mapping = my-bank-payout\n"
	            "icbc.result_mapping = my-bank-result\n");
	schedule_month(202703, 3);
	g_assert_cmpint(run_payout("run", "2027-03", NULL), ==, 0);
	wait_batch_state(202703, "regular", "sent");
	run_bank(NULL);
	wait_batch_state(202703, "regular", "closed");
	/* every item sent is booked paid (the person the bank reported dead earlier is not
	 * sent) */
	gint64 sent = count_where("payout_item_state", "period = 202703");
	g_assert_cmpint(sent, >, 0);
	g_assert_cmpint(count_where("payout_item_state", "period = 202703 AND state = 'paid'"), ==,
	                sent);
	g_clear_pointer(&hub->mapping_dir, g_free);
	restart_hub("");
}

static gchar *
bank_config(const gchar *extra)
{
	g_autofree gchar *lines = ph_test_sshd_config_lines(sshd);
	g_autofree gchar *prefixed = NULL;
	g_auto(GStrv) split = g_strsplit(lines, "\n", -1);
	g_autoptr(GString) text = g_string_new(NULL);
	if (key_path != NULL)
		g_string_printf(text, "[keys]\nfile = %s\n\n", key_path);
	if (archive_config != NULL)
		g_string_append(text, archive_config);
	g_string_append(text, "[plugin bank]\nbanks = icbc, boc\npoll_seconds = 1\n"
	                      "boc.profile = pain001\nboc.agency = 330100000002\n"
	                      "boc.payer_account = 33010000009876543210\n"
	                      "boc.payer_name = 杭州市社会保险经办机构\n"
	                      "boc.payer_bank = BKCHCNBJ\n"
	                      "boc.inbox = boc/inbox\nboc.outbox = boc/outbox\n"
	                      "icbc.agency = 330100000001\n"
	                      "icbc.payer_account = 33010000001234567890\n"
	                      "icbc.timeout_ms = 5000\n");
	g_string_append(text, extra);
	for (guint i = 0; split[i] != NULL; i++)
		if (split[i][0] != '\0')
			g_string_append_printf(text, "icbc.%s\nboc.%s\n", split[i], split[i]);
	return g_string_free(g_steal_pointer(&text), FALSE);
}

static void
link_bank_plugin(void)
{
	g_autofree gchar *target = g_build_filename(g_getenv("PH_BUILD_DIR"), "plugins", "bank",
	                                            "libph-bank.so", NULL);
	g_autofree gchar *link = g_build_filename(hub->dir, "plugins", "libph-bank.so", NULL);
	g_assert_cmpint(symlink(target, link), ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	test_db = ph_test_db_new();
	sshd = ph_test_sshd_new();
	inbox = ph_test_sshd_path(sshd, "inbox", TRUE);
	outbox = ph_test_sshd_path(sshd, "outbox", TRUE);
	g_free(ph_test_sshd_path(sshd, "boc/inbox", TRUE));
	g_free(ph_test_sshd_path(sshd, "boc/outbox", TRUE));
	exec_sql(BANK_PEOPLE);
	g_autofree gchar *config = bank_config("");
	hub = ph_test_hub_new(ph_test_db_get_url(test_db), NULL, config);
	link_bank_plugin();
	ph_test_hub_start(hub);
	g_test_add_func("/bank/normal-month", test_normal_month);
	g_test_add_func("/bank/failures-then-reissue", test_failures_then_reissue);
	g_test_add_func("/bank/wrong-total-rejected", test_wrong_total_rejected);
	g_test_add_func("/bank/same-result-twice", test_same_result_twice);
	g_test_add_func("/bank/result-unknown-batch", test_result_unknown_batch);
	g_test_add_func("/bank/done-file-too-long", test_done_file_too_long);
	g_test_add_func("/bank/done-file-being-written", test_done_file_being_written);
	g_test_add_func("/bank/result-before-sent-recorded", test_result_before_sent_recorded);
	g_test_add_func("/bank/result-serial-zero", test_result_serial_zero);
	g_test_add_func("/bank/echo-with-nul-refused", test_echo_with_nul_refused);
	g_test_add_func("/bank/host-key-changed", test_host_key_changed);
	g_test_add_func("/bank/sshd-down-then-back", test_sshd_down_then_back);
	g_test_add_func("/bank/death-reported-by-bank", test_death_reported_by_bank);
	g_test_add_func("/bank/retry-finds-its-file", test_retry_finds_its_file);
	g_test_add_func("/bank/pain-profile", test_pain_profile);
	g_test_add_func("/bank/own-layout-names", test_own_layout_names);
	g_test_add_func("/bank/pain-mismatch-rejected", test_pain_mismatch_rejected);
	g_test_add_func("/bank/pain-total-overflows", test_pain_total_overflows);
	g_test_add_func("/bank/kill-during-upload-and-booking",
	                test_kill_during_upload_and_booking);
	g_test_add_func("/bank/database-drop-during-booking", test_database_drop_during_booking);
	g_test_add_func("/bank/scheduled-run", test_scheduled_run);
	g_test_add_func("/bank/documents-orphans", test_documents_orphans);
	g_test_add_func("/bank/documents-prune", test_documents_prune);
	g_test_add_func("/bank/archived", test_archived);
	g_test_add_func("/bank/kept-sealed", test_kept_sealed);
	gint rc = g_test_run();
	g_clear_pointer(&hub, ph_test_hub_free);
	if (archive_config != NULL)
		ph_test_peer_stop(&archive_sim);
	g_free(archive_config);
	g_clear_pointer(&sshd, ph_test_sshd_free);
	g_clear_pointer(&test_db, ph_test_db_free);
	g_free(inbox);
	g_free(outbox);
	if (key_dir != NULL) {
		ph_field_keys_free(keys);
		g_unlink(key_path);
		g_rmdir(key_dir);
	}
	g_free(key_path);
	g_free(key_dir);
	return rc;
}
