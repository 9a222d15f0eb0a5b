/* Encryption at rest against a real PostgreSQL (issue 9 §3, §4): AAC002 stored sealed with a
 * keyed lookup; key rotation in batches while another connection keeps reading; a plaintext
 * database converted by the same rotation; and the daemon's log after an end-to-end personnel
 * batch holds no valid citizen ID. AAE010 likewise: after cardholder answers, a notice, a
 * clerk's override, a payout month and the bank's result file no table holds an account
 * number or a transfer case's AAC002 in plaintext, results still match by keyed hash, rotation
 * and conversion cover those columns while they are read, and the daemon's log after
 * cardholder lookups and notices names no account. A running hub keeps writing sealed rows
 * while `pensionctl keys rotate --new` runs: afterwards nothing is left under the old key and
 * every row opens without it. Suite integration (PH_DATABASE_URL, PH_PKI). */
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pension-hub/ph-transfer-api.h"
#include "ph-cardholder.h"
#include "ph-field-cipher.h"
#include "ph-field-key.h"
#include "ph-field-rotate.h"
#include "ph-identity.h"
#include "ph-payout-batch.h"
#include "ph-payout-result.h"
#include "ph-pension-status.h"
#include "ph-person-show.h"
#include "ph-person.h"
#include "ph-policy-file.h"
#include "ph-test-db.h"
#include "ph-test-hub.h"
#include "ph-test-keys.h"
#include "ph-test-peer.h"
#include "ph-test-scan.h"
#include "ph-txn.h"

/* Persons of the rotation test: more than two batches of ROTATE_BATCH. */
#define PERSONS      2500
#define ROTATE_BATCH 1000

static gchar *key_dir;
static gchar *key_path;

/* A valid GB 11643 number born @birth (YYYYMMDD) with @sequence (weights of STANDARDS.md). */
static gchar *
make_id(const gchar *birth, guint sequence)
{
	static const gint weights[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
	gchar *id = g_strdup_printf("110105%s%03u?", birth, sequence % 1000);
	gint sum = 0;
	for (guint i = 0; i < 17; i++)
		sum += (id[i] - '0') * weights[i];
	id[17] = "10X98765432"[sum % 11];
	return id;
}

/* The n-th test person's number: birth dates spread over 1960-1979 so that numbers differ. */
static gchar *
person_id(guint n)
{
	g_autofree gchar *birth =
	        g_strdup_printf("19%02u%02u%02u", 60 + n / 336 % 20, 1 + n / 28 % 12, 1 + n % 28);
	return make_id(birth, n / 6720 * 2 + 1);
}

/* Installs the test key file as the process's cipher, as the daemon and pensionctl do. */
static void
install_keys(PhTestDb *test_db)
{
	ph_test_keys_install(ph_test_db_get_url(test_db), key_path);
}

static void
store_persons(PhDb *db, guint first, guint count)
{
	g_autoptr(GError) error = NULL;
	g_assert_true(ph_db_begin(db, &error));
	for (guint n = first; n < first + count; n++) {
		g_autofree gchar *id = person_id(n);
		g_autofree gchar *birth = g_strndup(id + 6, 8);
		const PhPersonIdentity identity = {
		        id, "测试", (id[16] - '0') % 2 ? "1" : "2", NULL, birth, NULL, 0, 10000};
		gint64 person = 0;
		g_assert_true(ph_person_store(db, &identity, NULL, &person, &error));
		g_assert_no_error(error);
	}
	g_assert_true(ph_db_commit(db, &error));
}

static gint64
count(PhDb *db, const gchar *sql)
{
	return ph_test_db_query_int(db, sql);
}

/* Each test's own database with persons 0 … @persons − 1 stored: sealed under the test key
 * file, or, with @keys FALSE, as before encryption was configured. */
typedef struct {
	gboolean keys;
	guint persons;
} Setup;

typedef struct {
	PhTestDb *test_db;
	PhDb *db;
} Fixture;

static void
fixture_set_up(Fixture *fixture, gconstpointer data)
{
	const Setup *setup = data;
	fixture->test_db = ph_test_db_new();
	fixture->db = ph_test_db_connect(fixture->test_db);
	if (setup->keys)
		install_keys(fixture->test_db);
	else
		ph_field_cipher_install(NULL);
	store_persons(fixture->db, 0, setup->persons);
}

static void
fixture_tear_down(Fixture *fixture, gconstpointer data)
{
	g_clear_pointer(&fixture->db, ph_db_free);
	g_clear_pointer(&fixture->test_db, ph_test_db_free);
}

/* Rows hold envelopes and keyed hashes, no plaintext; lookups and reads give the number. */
static void
test_sealed(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	PhDb *db = fixture->db;
	g_assert_cmpint(count(db, "SELECT count(*) FROM person WHERE id_number LIKE 'enc1:k1:%' "
	                          "AND id_lookup ~ '^h1:[0-9a-f]{64}$'"),
	                ==, 3);
	g_autofree gchar *id = person_id(1);
	g_autofree gchar *sql = g_strdup_printf("SELECT count(*) FROM person p WHERE "
	                                        "strpos(p::text, '%s') > 0 OR strpos(p::text, "
	                                        "'%.14s') > 0",
	                                        id, id);
	g_assert_cmpint(count(db, sql), ==, 0);
	PhPerson person;
	g_assert_true(ph_person_find(db, id, &person, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(person.id_number, ==, id);
	PhPensionStatus status = {0};
	gboolean found = FALSE;
	g_assert_true(ph_pension_status_get(db, NULL, person.person_id, &status, &found, &error));
	g_assert_true(found);
	g_assert_cmpstr(status.id_number, ==, id); /* decrypted from the envelope */
	ph_pension_status_clear(&status);
	g_autoptr(JsonNode) shown = ph_person_show(db, id, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(json_object_get_string_member(json_node_get_object(shown), "AAC002"), ==,
	                id);
}

/* One read of the n-th value through the paths under test; FALSE when it failed or gave
 * another number. */
typedef gboolean (*ReadCheck)(PhDb *db, guint n, gpointer data, GError **error);

typedef struct {
	gchar *url;
	ReadCheck check;
	gpointer data;
	guint count; /* n runs over 0 … count − 1 */
	guint step;
	gint stop;
	gint reads;
	gint failures;
} Reader;

/* Reads on its own connection until told to stop, counting reads and failures. */
static gpointer
reader_thread(gpointer data)
{
	Reader *reader = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(PhDb) db = ph_db_connect(reader->url, &error);
	g_assert_no_error(error);
	for (guint n = 0; !g_atomic_int_get(&reader->stop);
	     n = (n + reader->step) % reader->count) {
		if (!reader->check(db, n, reader->data, &error)) {
			g_printerr("reader: %s\n", error != NULL ? error->message : "wrong number");
			g_atomic_int_inc(&reader->failures);
		}
		g_clear_error(&error);
		g_atomic_int_inc(&reader->reads);
	}
	return NULL;
}

static void
on_batch(const gchar *table, const PhFieldRotation *so_far, gpointer user_data)
{
	/* lets the reader run between batches, as a live hub would */
	g_usleep(20 * 1000);
}

/* Adds key @key_id to the key file and rotates to it, @batch rows per transaction, while
 * @reader keeps reading: reads ran meanwhile, none failed, nothing is left under an older
 * key. Returns the keys. */
static PhFieldKeys *
rotate_while_reading(PhDb *db, Reader *reader, const gchar *key_id, guint batch,
                     PhFieldRotation *rotation)
{
	g_autoptr(GError) error = NULL;
	GThread *thread = g_thread_new("reader", reader_thread, reader);
	while (g_atomic_int_get(&reader->reads) < 20)
		g_usleep(1000);
	g_assert_true(ph_field_keys_add(key_path, key_id, NULL, &error));
	PhFieldKeys *keys = ph_field_keys_load(key_path, &error);
	g_assert_no_error(error);
	gint reads_before = g_atomic_int_get(&reader->reads);
	g_assert_true(ph_field_rotate(db, keys, batch, on_batch, NULL, rotation, &error));
	g_assert_no_error(error);
	gint reads_during = g_atomic_int_get(&reader->reads) - reads_before;
	g_atomic_int_set(&reader->stop, 1);
	g_thread_join(thread);
	g_test_message("rotation to %s: %" G_GINT64_FORMAT " re-sealed in %u batches, %u passes; "
	               "%d reads meanwhile",
	               key_id, rotation->resealed, rotation->batches, rotation->passes,
	               reads_during);
	g_assert_cmpint(reads_during, >, 0);
	g_assert_cmpint(reader->failures, ==, 0);
	gint64 stale = -1;
	g_assert_true(ph_field_rotate_count_stale(db, keys, &stale, &error));
	g_assert_cmpint(stale, ==, 0);
	g_free(reader->url);
	return keys;
}

/* Person n found by its keyed hash and read back decrypted (pension status). */
static gboolean
read_person(PhDb *db, guint n, gpointer data, GError **error)
{
	g_autofree gchar *id = person_id(n);
	PhPerson person;
	PhPensionStatus status = {0};
	gboolean found = FALSE;
	gboolean ok = ph_person_find(db, id, &person, error) &&
	              ph_pension_status_get(db, NULL, person.person_id, &status, &found, error) &&
	              found && g_strcmp0(status.id_number, id) == 0;
	ph_pension_status_clear(&status);
	return ok;
}

/* Removes key @key_id from the key file @path (as an operator does once a rotation is done)
 * and loads what is left. */
static PhFieldKeys *
keys_without(const gchar *path, const gchar *key_id)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GKeyFile) file = g_key_file_new();
	g_autofree gchar *name = g_strconcat("key.", key_id, NULL);
	g_assert_true(g_key_file_load_from_file(file, path, G_KEY_FILE_NONE, &error));
	g_assert_true(g_key_file_remove_key(file, "field-keys", name, &error));
	g_assert_true(g_key_file_save_to_file(file, path, &error));
	g_assert_cmpint(g_chmod(path, 0600), ==, 0);
	PhFieldKeys *keys = ph_field_keys_load(path, &error);
	g_assert_no_error(error);
	return keys;
}

/* Every person's stored AAC002 opens with @keys (a key file from which the old key was
 * removed) into a valid citizen ID; there are @persons of them. */
static void
assert_persons_open(PhDb *db, PhFieldKeys *keys, gint persons)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PGresult) rows = ph_db_query(db, "SELECT id_number FROM person", 0, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(PQntuples(rows), ==, persons);
	for (gint row = 0; row < PQntuples(rows); row++) {
		g_autofree gchar *plain =
		        ph_field_keys_open(keys, PQgetvalue(rows, row, 0), &error);
		g_assert_no_error(error);
		g_assert_true(ph_identity_check_citizen_id(plain, NULL));
	}
}

/* k1 → k2 in batches of 1,000 while a second connection reads; afterwards k1 can go. */
static void
test_rotate_while_reading(Fixture *fixture, gconstpointer data)
{
	PhDb *db = fixture->db;
	g_assert_cmpint(count(db, "SELECT count(*) FROM person WHERE id_number LIKE 'enc1:k1:%'"),
	                ==, PERSONS);
	Reader reader = {g_strdup(ph_test_db_get_url(fixture->test_db)), read_person, NULL, PERSONS,
	                 97};
	PhFieldRotation rotation = {0};
	g_autoptr(PhFieldKeys) keys =
	        rotate_while_reading(db, &reader, "k2", ROTATE_BATCH, &rotation);
	/* each value re-sealed exactly once, in transactions of at most ROTATE_BATCH rows */
	g_assert_cmpint(rotation.resealed, ==, PERSONS);
	g_assert_cmpuint(rotation.batches, >=, (PERSONS + ROTATE_BATCH - 1) / ROTATE_BATCH);
	g_assert_cmpuint(rotation.passes, >=, 2); /* the last pass finds nothing left */
	/* k1 removed from the file: every value still opens */
	g_autoptr(PhFieldKeys) without_k1 = keys_without(key_path, "k1");
	assert_persons_open(db, without_k1, PERSONS);
}

/* Rows written before a key file was configured are converted by the same rotation. */
static void
test_plaintext_converted(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	PhDb *db = fixture->db;
	g_assert_cmpint(count(db, "SELECT count(*) FROM person WHERE id_number ~ '^[0-9]{17}'"), ==,
	                5);
	install_keys(fixture->test_db);
	g_autoptr(PhFieldKeys) keys = ph_field_keys_load(key_path, &error);
	g_autofree gchar *current = ph_field_keys_current(keys);
	PhFieldRotation rotation = {0};
	g_assert_true(ph_field_rotate(db, keys, 2, NULL, NULL, &rotation, &error));
	g_assert_no_error(error);
	g_assert_cmpint(rotation.resealed, ==, 5);
	g_assert_cmpint(rotation.hashed, ==, 5);
	g_autofree gchar *sealed = g_strdup_printf(
	        "SELECT count(*) FROM person WHERE id_number LIKE 'enc1:%s:%%' AND id_lookup LIKE "
	        "'h1:%%'",
	        current);
	g_assert_cmpint(count(db, sealed), ==, 5);
	g_autofree gchar *id = person_id(3);
	PhPerson person;
	g_assert_true(ph_person_find(db, id, &person, &error));
	g_assert_no_error(error);
}

/* Starts @hub with debug logging on. */
static void
start_hub_debug(PhTestHub *hub)
{
	/* the daemon inherits it; libc's calls, as GLib's warn once threads exist */
	setenv("G_MESSAGES_DEBUG", "all", 1);
	ph_test_hub_start(hub);
	unsetenv("G_MESSAGES_DEBUG");
}

/* Stops @hub and returns everything it logged. */
static gchar *
stopped_hub_log(PhTestHub *hub)
{
	g_autoptr(GError) error = NULL;
	gchar *log = NULL;
	ph_test_hub_signal(hub, SIGTERM);
	g_assert_true(g_file_get_contents(hub->log_path, &log, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(strlen(log), >, 0);
	return log;
}

/* Valid 18-character citizen IDs anywhere in @log. */
static guint
count_citizen_ids(const gchar *log)
{
	guint found = 0;
	for (const gchar *p = log; *p != '\0'; p++) {
		gchar candidate[19];
		if (strspn(p, "0123456789") < 17 || (p > log && g_ascii_isdigit(p[-1])))
			continue;
		g_strlcpy(candidate, p, sizeof(candidate));
		if (ph_identity_check_citizen_id(candidate, NULL)) {
			g_test_message("plaintext ID in the hub log at offset %td", p - log);
			found++;
		}
	}
	return found;
}

/* After an end-to-end personnel batch on a daemon with debug logging, its log names no valid
 * citizen ID in full, though the batch held a birth-date mismatch (an error naming it), and no
 * table holds one in the clear (the refused event's stored result included). */
static void
test_log_scan(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhTestDb) test_db = ph_test_db_new();
	g_autofree gchar *extra = g_strdup_printf(
	        "[keys]\nfile = %s\n\n[plugin personnel]\nspool_dir = spool\npoll_seconds = 1\n",
	        key_path);
	g_autoptr(PhTestHub) hub = ph_test_hub_new(ph_test_db_get_url(test_db), NULL, extra);
	g_autofree gchar *target = g_build_filename(g_getenv("PH_BUILD_DIR"), "plugins",
	                                            "personnel", "libph-personnel.so", NULL);
	g_autofree gchar *link = g_build_filename(hub->dir, "plugins", "libph-personnel.so", NULL);
	g_assert_cmpint(symlink(target, link), ==, 0);
	start_hub_debug(hub);

	GString *xml = g_string_new("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                            "<PersonnelBatch xmlns=\"urn:pension-hub:personnel:1\" "
	                            "batchId=\"B-KEYS\" AAB001=\"U0001\" "
	                            "sentAt=\"2026-11-27T09:00:00+08:00\">\n"
	                            "<Event seq=\"1\" type=\"UNIT\" effective=\"20141001\">"
	                            "<AAB004>Keys Ltd</AAB004><AAB301>110105</AAB301>"
	                            "<Funding>full</Funding></Event>\n");
	for (guint n = 0; n < 6; n++) {
		g_autofree gchar *id = person_id(n);
		/* the last one says another birth date than its number: refused with a message */
		g_autofree gchar *birth = g_strndup(id + 6, 8);
		g_string_append_printf(
		        xml,
		        "<Event seq=\"%u\" type=\"HIRE\" effective=\"20260101\"><AAC002>%s</AAC002>"
		        "<AAC003>测试</AAC003><AAC004>%s</AAC004><AAC005>01</AAC005>"
		        "<AAC006>%s</AAC006><AAC007>19860701</AAC007><Wage>7500.00</Wage>"
		        "<AAE200>0</AAE200><DeemedIndex>1.0000</DeemedIndex></Event>\n",
		        n + 2, id, (id[16] - '0') % 2 ? "1" : "2", n == 5 ? "19500101" : birth);
	}
	/* a later event of the refused person: refused as depending on it, found by keyed hash */
	g_autofree gchar *refused = person_id(5);
	g_string_append_printf(xml,
	                       "<Event seq=\"8\" type=\"WAGE\" effective=\"20260201\"><AAC002>%s"
	                       "</AAC002><Wage>8000.00</Wage></Event>\n",
	                       refused);
	g_string_append(xml, "</PersonnelBatch>\n");
	g_autoptr(GBytes) body = g_bytes_new(xml->str, xml->len);
	g_string_free(xml, TRUE);
	g_autofree gchar *url =
	        g_strdup_printf("https://127.0.0.1:%u/personnel/v1/batches", hub->partner_port);
	PhTestRequest request = {"POST", url, "personnel", NULL, NULL, body};
	g_autofree gchar *answer = NULL;
	g_assert_cmpint(ph_test_http(hub, &request, &answer), ==, 202);
	const gchar *batch = strstr(answer, "\"batch\": \"");
	g_assert_nonnull(batch);
	batch += strlen("\"batch\": \"");
	g_autofree gchar *wait_sql = g_strdup_printf(
	        "SELECT CASE WHEN state IN ('done', 'rejected') THEN 'finished' ELSE state END "
	        "FROM personnel_batch WHERE id = '%.*s'",
	        (gint)strcspn(batch, "\""), batch);
	g_autofree gchar *state =
	        ph_test_wait_for_value(hub->database_url, wait_sql, "finished", 30000);
	g_assert_cmpstr(state, ==, "finished");
	g_autofree gchar *sealed = ph_test_query_value(
	        hub->database_url, "SELECT count(*) FROM person WHERE id_number LIKE 'enc1:%'");
	g_assert_cmpstr(sealed, ==, "5");
	g_autofree gchar *log = stopped_hub_log(hub);
	g_assert_cmpuint(count_citizen_ids(log), ==, 0);
	/* nor does any table hold one of the batch's numbers in the clear: the refused event's
	 * stored result names its person by keyed hash */
	g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
	for (guint n = 0; n < 6; n++)
		g_ptr_array_add(ids, person_id(n));
	g_ptr_array_add(ids, NULL);
	g_autoptr(PhDb) db = ph_test_db_connect(test_db);
	g_autoptr(GPtrArray) found = ph_test_scan_plaintext(db, (const gchar *const *)ids->pdata);
	g_assert_cmpuint(found->len, ==, 0);
	g_assert_cmpint(count(db, "SELECT count(*) FROM personnel_result WHERE status = 'REJECTED' "
	                          "AND subject LIKE 'h1:%'"),
	                ==, 2);
	g_assert_cmpint(count(db, "SELECT count(*) FROM personnel_result WHERE seq = 8 AND "
	                          "code = 'DEPENDS_ON_REJECTED'"),
	                ==, 1);
}

/* ---- AAE010 account numbers and transfer cases (issue 9 §3) ---- */

#define ACCOUNT_PERSONS 6
#define ACCOUNT_PERIOD  202611
#define NOTICE_PATH     "/cardholder/v1/notices"

/* 19-digit accounts unlike anything else in the tables or the log: a card BIN, then a
 * multiple of a large number. A card's; the one a notice changes person @n's card to; a
 * clerk's override. */
static gchar *
card_account(guint n)
{
	return g_strdup_printf("622202%013" G_GUINT64_FORMAT, (guint64)7316058291 * (n + 1));
}

static gchar *
changed_account(guint n)
{
	return g_strdup_printf("621700%013" G_GUINT64_FORMAT, (guint64)5820394417 * (n + 1));
}

static gchar *
override_account(guint n)
{
	return g_strdup_printf("601382%013" G_GUINT64_FORMAT, (guint64)4093817263 * (n + 1));
}

/* Where person @n is paid after answer_cards(): person 0's card was changed by a notice,
 * person 1 has a clerk's override, the others are paid to their cards. */
static gchar *
expected_account(guint n)
{
	return n == 0 ? changed_account(n) : n == 1 ? override_account(n) : card_account(n);
}

/* Every account number the account tests use, of all kinds; with @ids their AAC002 too. */
static GPtrArray *
plaintext_numbers(gboolean ids)
{
	GPtrArray *numbers = g_ptr_array_new_with_free_func(g_free);
	for (guint n = 0; n < ACCOUNT_PERSONS; n++) {
		g_ptr_array_add(numbers, card_account(n));
		g_ptr_array_add(numbers, changed_account(n));
		g_ptr_array_add(numbers, override_account(n));
		if (ids)
			g_ptr_array_add(numbers, person_id(n));
	}
	return numbers;
}

static PhPolicy *
national_policy(void)
{
	g_autoptr(GError) error = NULL;
	PhPolicy *policy = g_new0(PhPolicy, 1);
	g_assert_true(ph_policy_file_load_national(ph_policy_file_dir(), policy, &error));
	g_assert_no_error(error);
	return policy;
}

/* The cardholder base's answers for persons 0 … ACCOUNT_PERSONS − 1 (all confirmed), a
 * notice changing person 0's account, a clerk's override for person 1. */
static void
answer_cards(PhDb *db)
{
	g_autoptr(GError) error = NULL;
	PhCardholderOutcome outcome = {0};
	g_assert_true(ph_db_begin(db, &error));
	for (guint n = 0; n < ACCOUNT_PERSONS; n++) {
		g_autofree gchar *id = person_id(n);
		g_autofree gchar *account = card_account(n);
		const PhCardholderAnswer answer = {id,  TRUE,  "测试", "A10000001",
		                                   "1", "102", "icbc", account};
		g_assert_true(
		        ph_cardholder_store(db, &answer, 3600, "query", "test", &outcome, &error));
		g_assert_no_error(error);
		g_assert_true(outcome.payee_valid);
		ph_cardholder_outcome_clear(&outcome);
	}
	g_autofree gchar *first = person_id(0);
	g_autofree gchar *changed = changed_account(0);
	const PhCardholderChange notice = {
	        "N-KEYS-1",
	        "account_changed",
	        "20261125",
	        {first, TRUE, "测试", "A10000009", "1", "102", "icbc", changed}};
	gboolean duplicate = FALSE;
	g_assert_true(ph_cardholder_apply_notice(db, &notice, 3600, "test", &outcome, &duplicate,
	                                         &error));
	g_assert_no_error(error);
	g_assert_true(outcome.payee_changed); /* compared by keyed hash: a real change */
	ph_cardholder_outcome_clear(&outcome);
	g_autofree gchar *second = person_id(1);
	g_autofree gchar *override = override_account(1);
	g_assert_true(ph_cardholder_set_override(db, second, "icbc", override, "card closed",
	                                         "clerk", &error));
	g_assert_no_error(error);
	g_assert_true(ph_db_commit(db, &error));
}

/* Schedules @period for everyone and builds and sends its one regular batch (bank icbc). */
static PhPayoutBatch *
build_month(PhDb *db, PhPeriod period)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *schedule = g_strdup_printf(
	        "INSERT INTO payout_schedule (person_id, period, amount, account_part, "
	        "annuity_part) SELECT person_id, %d, 350000 + person_id, 0, 0 FROM person",
	        period);
	g_assert_true(ph_db_exec(db, schedule, &error));
	g_autofree PhPolicy *policy = national_policy();
	const PhCommandContext context = {policy, "test"};
	PhPayoutRun run = {0};
	g_assert_true(ph_db_begin(db, &error));
	g_assert_true(
	        ph_payout_batch_build(db, &context, PH_PAYOUT_REGULAR, period, NULL, &run, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(run.batches->len, ==, 1);
	PhPayoutBatch *batch = g_ptr_array_steal_index(run.batches, 0);
	ph_payout_run_clear(&run);
	g_assert_cmpint(batch->item_count, ==, ACCOUNT_PERSONS);
	g_autofree gchar *name =
	        g_strdup_printf("PAYOUT_%010" G_GINT64_FORMAT ".txt", batch->batch_no);
	g_assert_true(ph_payout_batch_mark_sent(db, batch->batch_no, "ph-bank-1", name,
	                                        "SHA-256 00", &error));
	g_assert_true(ph_db_commit(db, &error));
	return batch;
}

typedef struct {
	gint serial;
	gchar *id_number;
	gchar *account;
	gint64 amount;
} SentItem;

static void
sent_item_free(SentItem *item)
{
	g_free(item->id_number);
	g_free(item->account);
	g_free(item);
}

static gboolean
collect_item(const PhPayoutItem *item, gpointer user_data, GError **error)
{
	SentItem *sent = g_new0(SentItem, 1);
	sent->serial = item->serial;
	sent->id_number = g_strdup(item->id_number);
	sent->account = g_strdup(item->account);
	sent->amount = item->amount;
	g_ptr_array_add(user_data, sent);
	return TRUE;
}

/* The batch's items as the bank's file gets them (numbers opened); NULL with @error. */
static GPtrArray *
read_items(PhDb *db, gint64 batch_no, GError **error)
{
	g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func((GDestroyNotify)sent_item_free);
	if (!ph_db_begin(db, error))
		return NULL;
	gboolean ok = ph_payout_batch_foreach_item(db, batch_no, collect_item, items, error);
	ph_db_rollback(db);
	return ok ? g_steal_pointer(&items) : NULL;
}

/* Serial k went to person k − 1 (serials follow person ids): TRUE when each item carries
 * that person's AAC002 and payout account. */
static gboolean
items_as_expected(GPtrArray *items)
{
	for (guint i = 0; i < items->len; i++) {
		const SentItem *item = g_ptr_array_index(items, i);
		g_autofree gchar *id = person_id((guint)item->serial - 1);
		g_autofree gchar *account = expected_account((guint)item->serial - 1);
		if (g_strcmp0(item->id_number, id) != 0 || g_strcmp0(item->account, account) != 0)
			return FALSE;
	}
	return items->len == ACCOUNT_PERSONS;
}

/* The bank's result file for @items, echoing them (the last one failed, 1002), except that
 * serial @wrong echoes another account; booked in its own transaction, rolled back when
 * refused. */
static gboolean
book_result(PhDb *db, const PhPayoutBatch *batch, GPtrArray *items, gint wrong,
            PhPayoutBooking *booking, GError **error)
{
	g_autofree PhPolicy *policy = national_policy();
	const PhCommandContext context = {policy, "test"};
	g_autofree gchar *name =
	        g_strdup_printf("RESULT_%010" G_GINT64_FORMAT ".txt", batch->batch_no);
	const PhPayoutResultFile file = {"icbc", name, 1, "SHA-256 00"};
	if (!ph_db_begin(db, error))
		return FALSE;
	g_autoptr(PhPayoutResultLoad) load = ph_payout_result_begin(db, error);
	gboolean ok = load != NULL;
	for (guint i = 0; ok && i < items->len; i++) {
		const SentItem *item = g_ptr_array_index(items, i);
		const PhPayoutResultLine line = {item->serial,
		                                 item->id_number,
		                                 item->serial == wrong ? "6222000000000000000"
		                                                       : item->account,
		                                 item->amount,
		                                 i + 1 == items->len ? "1002" : "0000",
		                                 NULL,
		                                 "BR0001",
		                                 NULL};
		ok = ph_payout_result_add(load, &line, error);
	}
	ok = ok && ph_payout_result_book(load, &context, batch->batch_no, &file, booking, error);
	g_clear_pointer(&load, ph_payout_result_load_free);
	if (ok)
		return ph_db_commit(db, error);
	ph_db_rollback(db);
	return FALSE;
}

/* A payout month on the accounts of answer_cards(): built, sent, the bank's file booked. */
static PhPayoutBatch *
pay_month(PhDb *db, PhPeriod period)
{
	g_autoptr(GError) error = NULL;
	PhPayoutBatch *batch = build_month(db, period);
	g_autoptr(GPtrArray) items = read_items(db, batch->batch_no, &error);
	g_assert_no_error(error);
	g_assert_true(items_as_expected(items));
	PhPayoutBooking booking = {0};
	g_assert_true(book_result(db, batch, items, 0, &booking, &error));
	g_assert_no_error(error);
	g_assert_cmpint(booking.paid_count, ==, ACCOUNT_PERSONS - 1);
	g_assert_cmpint(booking.failed_count, ==, 1);
	return batch;
}

/* A transfer case of person @n, as the transfer adapter creates it. */
static void
create_transfer(PhDb *db, guint n)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *id = person_id(n);
	g_autofree gchar *case_id = g_strdup_printf("CASE-KEYS-%u", n);
	const PhTransferCase transfer = {
	        .case_id = case_id,
	        .direction = "in",
	        .state = "LETTER_SENT",
	        .id_number = id,
	        .other_agency = "320100000001",
	        .other_region = "320100",
	        .deadline = g_get_real_time() / G_USEC_PER_SEC + 86400,
	};
	g_autoptr(PhTxn) txn = ph_txn_begin(db, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(ph_transfer_case_create(txn, &transfer, &error));
	g_assert_no_error(error);
	g_assert_true(ph_txn_commit(txn, &error));
}

/* The cards answered, a month paid and person 2's transfer case: every account table
 * written. */
static PhPayoutBatch *
account_month(PhDb *db)
{
	answer_cards(db);
	PhPayoutBatch *batch = pay_month(db, ACCOUNT_PERIOD);
	create_transfer(db, 2);
	return batch;
}

/* TRUE when person @n's transfer case reads back with the number. */
static gboolean
transfer_as_expected(PhDb *db, guint n, GError **error)
{
	g_autofree gchar *id = person_id(n);
	g_autofree gchar *case_id = g_strdup_printf("CASE-KEYS-%u", n);
	g_autoptr(PhTxn) txn = ph_txn_begin(db, NULL, error);
	if (txn == NULL)
		return FALSE;
	g_autoptr(PhTransferCase) transfer = ph_transfer_case_lock(txn, case_id, error);
	ph_txn_rollback(txn);
	return transfer != NULL && g_strcmp0(transfer->id_number, id) == 0;
}

/* TRUE when `cardholder show` of person @n names its payout account (opened). */
static gboolean
shown_as_expected(PhDb *db, guint n, GError **error)
{
	g_autofree gchar *id = person_id(n);
	g_autofree gchar *account = expected_account(n);
	g_autofree gchar *json = ph_cardholder_show_json(db, id, error);
	g_autofree gchar *field = g_strdup_printf("\"AAE010\" : \"%s\"", account);
	return json != NULL && strstr(json, field) != NULL;
}

/* The tables that hold AAE010 or a transfer case's AAC002. */
static const gchar *const account_tables[] = {
        "payee_account", "payee_account_override", "cardholder_card",   "cardholder_notice",
        "payout_item",   "payout_result_line",     "transfer_exchange",
};

/* Rows of those tables holding any of @numbers in plaintext anywhere in the row. */
static gint64
count_plaintext(PhDb *db, GPtrArray *numbers)
{
	g_autoptr(GError) error = NULL;
	g_ptr_array_add(numbers, NULL);
	g_autofree gchar *joined = g_strjoinv(",", (gchar **)numbers->pdata);
	g_ptr_array_remove_index(numbers, numbers->len - 1);
	g_autofree gchar *array = g_strdup_printf("{%s}", joined);
	const gchar *params[] = {array};
	gint64 total = 0;
	for (guint i = 0; i < G_N_ELEMENTS(account_tables); i++) {
		g_autofree gchar *sql =
		        g_strdup_printf("SELECT count(*) FROM %s t WHERE EXISTS (SELECT 1 FROM "
		                        "unnest($1::text[]) n WHERE strpos(t::text, n) > 0)",
		                        account_tables[i]);
		g_autoptr(PGresult) result = ph_db_query(db, sql, 1, params, &error);
		g_assert_no_error(error);
		gint64 rows = ph_db_get_int64(result, 0, 0);
		if (rows > 0)
			g_test_message("%s: %" G_GINT64_FORMAT " rows with a plaintext number",
			               account_tables[i], rows);
		total += rows;
	}
	return total;
}

/* Stored values not in their sealed form under @key (envelopes; keyed hashes for lookups and
 * the bank's echoes), over every account column and transfer_exchange. */
static gint64
count_unsealed(PhDb *db, const gchar *key)
{
	g_autofree gchar *sql = g_strdup_printf(
	        "SELECT (SELECT count(*) FROM payee_account WHERE account NOT LIKE '%1$s' "
	        "OR account_lookup !~ '^h1:') + (SELECT count(*) FROM payee_account_override "
	        "WHERE account NOT LIKE '%1$s') + (SELECT count(*) FROM cardholder_card WHERE "
	        "account NOT LIKE '%1$s') + (SELECT count(*) FROM cardholder_notice WHERE account "
	        "NOT LIKE '%1$s') + (SELECT count(*) FROM payout_item WHERE account NOT LIKE "
	        "'%1$s' "
	        "OR account_lookup !~ '^h1:' OR id_number NOT LIKE '%1$s') + (SELECT count(*) FROM "
	        "payout_result_line WHERE account !~ '^h1:' OR id_number !~ '^h1:') + (SELECT "
	        "count(*) FROM transfer_exchange WHERE id_number NOT LIKE '%1$s' OR id_lookup !~ "
	        "'^h1:')",
	        key);
	return count(db, sql);
}

/* A month paid, a transfer case: every account and case number sealed, none in plaintext;
 * the bank's echoes still match (a wrong account does not), reads give the numbers. */
static void
test_accounts_sealed(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	PhDb *db = fixture->db;
	answer_cards(db);
	g_autoptr(PhPayoutBatch) batch = build_month(db, ACCOUNT_PERIOD);
	g_autoptr(GPtrArray) items = read_items(db, batch->batch_no, &error);
	g_assert_no_error(error);
	g_assert_true(items_as_expected(items));
	/* the match compares keyed hashes: another account for serial 3 is refused */
	PhPayoutBooking booking = {0};
	g_assert_false(book_result(db, batch, items, 3, &booking, &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
	g_assert_nonnull(strstr(error->message, "result serial 3: no item"));
	g_clear_error(&error);
	g_assert_true(book_result(db, batch, items, 0, &booking, &error));
	g_assert_no_error(error);
	g_assert_cmpint(booking.paid_count, ==, ACCOUNT_PERSONS - 1);
	create_transfer(db, 2);
	g_assert_true(transfer_as_expected(db, 2, &error));
	g_assert_no_error(error);
	for (guint n = 0; n < 3; n++) {
		g_assert_true(shown_as_expected(db, n, &error));
		g_assert_no_error(error);
	}
	g_autofree gchar *current = ph_field_keys_current(ph_field_keys_installed());
	g_autofree gchar *pattern = g_strdup_printf("enc1:%s:%%", current);
	g_assert_cmpint(count_unsealed(db, pattern), ==, 0);
	g_autoptr(GPtrArray) numbers = plaintext_numbers(TRUE);
	g_assert_cmpint(count_plaintext(db, numbers), ==, 0);
	/* the tables were written: six payees, one override, one case, twelve echoes */
	g_assert_cmpint(count(db, "SELECT (SELECT count(*) FROM payee_account) + (SELECT count(*) "
	                          "FROM payee_account_override) + (SELECT count(*) FROM "
	                          "transfer_exchange) + (SELECT count(*) FROM payout_result_line)"),
	                ==, ACCOUNT_PERSONS + 1 + 1 + ACCOUNT_PERSONS);
}

/* Batch @data read as the bank's file does, `cardholder show` of person n and a transfer
 * case. */
static gboolean
read_accounts(PhDb *db, guint n, gpointer data, GError **error)
{
	const PhPayoutBatch *batch = data;
	g_autoptr(GPtrArray) items = read_items(db, batch->batch_no, error);
	return items != NULL && items_as_expected(items) && shown_as_expected(db, n, error) &&
	       transfer_as_expected(db, 2, error);
}

/* A new key; the account columns re-sealed two rows per transaction while a second
 * connection reads them; the lookup key is unchanged, so the next month's echoes match. */
static void
test_accounts_rotate(Fixture *fixture, gconstpointer data)
{
	PhDb *db = fixture->db;
	g_autoptr(PhPayoutBatch) batch = account_month(db);
	Reader reader = {g_strdup(ph_test_db_get_url(fixture->test_db)), read_accounts, batch,
	                 ACCOUNT_PERSONS, 1};
	PhFieldRotation rotation = {0};
	g_autoptr(PhFieldKeys) keys = rotate_while_reading(db, &reader, "k-accounts", 2, &rotation);
	/* person 6, payout_item AAC002 6 and AAE010 6, payee_account 6, cardholder_card 6,
	 * the notice 1, the override 1, the transfer case 1: each once; nothing left to hash */
	g_assert_cmpint(rotation.resealed, ==, 33);
	g_assert_cmpint(rotation.hashed, ==, 0);
	g_assert_cmpint(count_unsealed(db, "enc1:k-accounts:%"), ==, 0);
	g_autoptr(PhPayoutBatch) next = pay_month(db, ACCOUNT_PERIOD + 1);
}

static void
note_stale(const gchar *table, const gchar *column, gint64 stale, gpointer user_data)
{
	g_hash_table_insert(user_data, g_strdup_printf("%s.%s", table, column),
	                    GINT_TO_POINTER((gint)stale));
}

/* Accounts, echoes and a transfer case written without a key file are sealed and hashed by
 * the same rotation (bank result lines too, append-only but for that); then the next month
 * is paid and matched through the hashes. */
static void
test_accounts_converted(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	PhDb *db = fixture->db;
	g_autoptr(PhPayoutBatch) batch = account_month(db);
	g_autoptr(GPtrArray) numbers = plaintext_numbers(TRUE);
	g_assert_cmpint(count_plaintext(db, numbers), >, 0); /* the scan sees plaintext */
	/* a line proven by the items' digest stores no echoes (0025): nothing to convert */
	g_assert_true(ph_db_exec(db,
	                         "INSERT INTO payout_result_line (file_id, serial, id_number, "
	                         "account, amount, status) SELECT file_id, 999, NULL, NULL, 1, "
	                         "'0000' FROM payout_result_file LIMIT 1",
	                         &error));
	g_assert_no_error(error);
	static const gchar no_echoes[] = "SELECT count(*) FROM payout_result_line WHERE serial = "
	                                 "999 AND id_number IS NULL AND account IS NULL";
	g_assert_cmpint(count(db, no_echoes), ==, 1);
	install_keys(fixture->test_db);
	g_autoptr(PhFieldKeys) keys = ph_field_keys_load(key_path, &error);
	g_assert_no_error(error);
	/* `keys status` counts them: the 33 values to seal below and the bank's 12 echoes, by
	 * column (not the line without echoes) */
	gint64 stale = -1;
	g_autoptr(GHashTable) by_column =
	        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_assert_true(
	        ph_field_rotate_foreach_stale(db, keys, note_stale, by_column, &stale, &error));
	g_assert_cmpint(stale, ==, 33 + 12);
	static const struct {
		const gchar *column;
		gint count;
	} expected[] = {
	        {"person.id_number", ACCOUNT_PERSONS},
	        {"transfer_exchange.id_number", 1},
	        {"payee_account.account", ACCOUNT_PERSONS},
	        {"payee_account_override.account", 1},
	        {"cardholder_card.account", ACCOUNT_PERSONS},
	        {"cardholder_notice.account", 1},
	        {"payout_item.account", ACCOUNT_PERSONS},
	        {"payout_result_line.account", ACCOUNT_PERSONS},
	};
	for (guint i = 0; i < G_N_ELEMENTS(expected); i++)
		g_assert_cmpint(GPOINTER_TO_INT(g_hash_table_lookup(by_column, expected[i].column)),
		                ==, expected[i].count);
	PhFieldRotation rotation = {0};
	g_assert_true(ph_field_rotate(db, keys, 4, NULL, NULL, &rotation, &error));
	g_assert_no_error(error);
	g_assert_cmpint(rotation.resealed, ==, 33); /* as in test_accounts_rotate */
	/* lookups: person 6, transfer case 1, payee_account 6, payout_item 6; the bank's
	 * echoes: AAC002 6, AAE010 6 */
	g_assert_cmpint(rotation.hashed, ==, 31);
	g_autofree gchar *current = ph_field_keys_current(keys);
	g_autofree gchar *pattern = g_strdup_printf("enc1:%s:%%", current);
	g_assert_cmpint(count_unsealed(db, pattern), ==, 0);
	g_assert_cmpint(count_plaintext(db, numbers), ==, 0);
	g_assert_true(ph_field_rotate_count_stale(db, keys, &stale, &error));
	g_assert_cmpint(stale, ==, 0);
	g_assert_cmpint(count(db, no_echoes), ==, 1); /* left as it was */
	/* bank result lines accept no other change */
	g_assert_false(ph_db_exec(db, "UPDATE payout_result_line SET amount = amount + 1", &error));
	g_assert_nonnull(strstr(error->message, "append-only"));
	g_clear_error(&error);
	g_assert_true(transfer_as_expected(db, 2, &error));
	g_assert_no_error(error);
	g_autoptr(PhPayoutBatch) next = pay_month(db, ACCOUNT_PERIOD + 1);
}

/* The card file of the cardholder simulator: persons 0-3 as ours, 4 under another name,
 * 5 without a card. */
static gchar *
write_cards(const gchar *dir)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) text =
	        g_string_new("# AAC002\tAAC003\tAAZ500\tAAZ502\tAAE008\tAAE010\n");
	for (guint n = 0; n + 1 < ACCOUNT_PERSONS; n++) {
		g_autofree gchar *id = person_id(n);
		g_autofree gchar *account = card_account(n);
		g_string_append_printf(text, "%s\t%s\tA1000000%u\t1\t102\t%s\n", id,
		                       n == 4 ? "王小五" : "测试", n, account);
	}
	gchar *path = g_build_filename(dir, "cards.tsv", NULL);
	g_file_set_contents(path, text->str, -1, &error);
	g_assert_no_error(error);
	return path;
}

/* A change notice of the cardholder base for @id_number, as its XML document. */
static glong
post_notice(PhTestHub *hub, const gchar *notice_id, const gchar *id_number, const gchar *account)
{
	g_autofree gchar *document = g_strdup_printf(
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CardholderNotice "
	        "xmlns=\"urn:pension-hub:cardholder:1\"><NoticeId>%s</NoticeId>"
	        "<Change>ACCOUNT_CHANGED</Change><AAE035>20261125</AAE035><AAC002>%s</AAC002>"
	        "<AAC003>测试</AAC003><AAZ500>A10000009</AAZ500><AAZ502>1</AAZ502>"
	        "<AAE008>102</AAE008><AAE010>%s</AAE010></CardholderNotice>\n",
	        notice_id, id_number, account);
	g_autofree gchar *answer = NULL;
	glong status = ph_test_hub_post(hub, "cardholder", NOTICE_PATH, NULL, document, &answer);
	g_test_message("notice %s: %ld %s", notice_id, status, answer);
	return status;
}

/* Where in @log any of @numbers appears, or its last eight digits (the mask keeps four). */
static guint
count_accounts(const gchar *log, GPtrArray *numbers)
{
	guint found = 0;
	for (guint i = 0; i < numbers->len; i++) {
		const gchar *number = g_ptr_array_index(numbers, i);
		const gchar *tail = number + strlen(number) - 8;
		if (strstr(log, tail) != NULL) {
			g_test_message("account ending %s in the hub log", tail + 4);
			found++;
		}
	}
	return found;
}

/* A daemon with debug logging looks up every person at the cardholder simulator (cards
 * confirmed, one name mismatch, one without a card) and applies an account-changed notice
 * and one for a stranger: its log names no account number and no citizen ID. */
static void
test_log_scan_accounts(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	PhDb *db = fixture->db;
	guint sim_port = ph_test_free_port();
	const gchar *pki = g_getenv("PH_PKI");
	g_autofree gchar *config = g_strdup_printf(
	        "[keys]\nfile = %s\n\n[plugin cardholder]\n"
	        "url = https://127.0.0.1:%u/cardholder/v1/query\nca = %s/ca.crt\n"
	        "region = 110100\nttl_seconds = 3600\nretry_seconds = 1\nrefresh_seconds = 1\n"
	        "attempts = 2\nretry_delay_ms = 50\ntimeout_ms = 5000\nbanks = 102=icbc\n",
	        key_path, sim_port, pki);
	g_autoptr(PhTestHub) hub = ph_test_adapter_hub(fixture->test_db, "cardholder", config);
	g_autofree gchar *cards = write_cards(hub->dir);
	g_autofree gchar *cards_option = g_strdup_printf("--cards=%s", cards);
	const gchar *options[] = {cards_option, NULL};
	PhTestPeer sim = {0};
	ph_test_peer_start(&sim, "cardholder-sim", hub->dir, sim_port, pki, options);
	start_hub_debug(hub);
	g_autofree gchar *answered = ph_test_wait_for_value(
	        hub->database_url, "SELECT count(*) FROM cardholder_card", "6", 30000);
	g_assert_cmpstr(answered, ==, "6");
	g_autofree gchar *first = person_id(0);
	g_autofree gchar *changed = changed_account(0);
	g_autofree gchar *stranger = person_id(ACCOUNT_PERSONS);
	g_autofree gchar *stranger_account = override_account(0);
	g_assert_cmpint(post_notice(hub, "N-LOG-1", first, changed), ==, 202);
	g_assert_cmpint(post_notice(hub, "N-LOG-2", stranger, stranger_account), ==, 202);
	g_autofree gchar *handled = ph_test_wait_for_value(
	        hub->database_url, "SELECT count(*) FROM inbox WHERE state <> 'pending'", "2",
	        30000);
	g_assert_cmpstr(handled, ==, "2");
	g_autofree gchar *log = stopped_hub_log(hub);
	ph_test_peer_stop(&sim);
	/* the paths ran: five payees from the cards (the one under another name not valid),
	 * the first changed by the notice */
	g_autoptr(PGresult) payee =
	        ph_db_query(db, "SELECT account FROM payee_account ORDER BY valid DESC, person_id",
	                    0, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(PQntuples(payee), ==, 5);
	g_autofree gchar *paid_to = ph_field_open_account(PQgetvalue(payee, 0, 0), &error);
	g_assert_no_error(error);
	g_assert_cmpstr(paid_to, ==, changed);
	g_assert_nonnull(strstr(log, "notice N-LOG-1"));
	g_autoptr(GPtrArray) numbers = plaintext_numbers(FALSE);
	g_assert_cmpuint(count_accounts(log, numbers), ==, 0);
	g_assert_cmpuint(count_citizen_ids(log), ==, 0);
}

/* ---- rotation while a running hub writes ---- */

/* Persons of the rotation under writes: ours, so that a notice writes their card and payee
 * account too. */
#define WRITE_PERSONS 4

typedef struct {
	PhTestHub *hub;
	gint stop;
	gint written; /* notices the hub took (202) */
	gint refused;
} Writer;

/* Posts account-changed notices for persons 0 … WRITE_PERSONS − 1 in turn until told to stop:
 * each stores a sealed inbox body and, when handled, a sealed card and payee account. */
static gpointer
writer_thread(gpointer data)
{
	Writer *writer = data;
	for (guint n = 0; !g_atomic_int_get(&writer->stop); n++) {
		g_autofree gchar *notice_id = g_strdup_printf("N-W-%u", n);
		g_autofree gchar *id = person_id(n % WRITE_PERSONS);
		g_autofree gchar *account = changed_account(n);
		g_autofree gchar *document = g_strdup_printf(
		        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CardholderNotice "
		        "xmlns=\"urn:pension-hub:cardholder:1\"><NoticeId>%s</NoticeId>"
		        "<Change>ACCOUNT_CHANGED</Change><AAE035>20261125</AAE035>"
		        "<AAC002>%s</AAC002><AAC003>测试</AAC003><AAZ500>A10000009</AAZ500>"
		        "<AAZ502>1</AAZ502><AAE008>102</AAE008><AAE010>%s</AAE010>"
		        "</CardholderNotice>\n",
		        notice_id, id, account);
		g_autofree gchar *answer = NULL;
		glong status = ph_test_hub_post(writer->hub, "cardholder", NOTICE_PATH, NULL,
		                                document, &answer);
		g_atomic_int_inc(status == 202 ? &writer->written : &writer->refused);
	}
	return NULL;
}

/* The inbox bodies, opened with @keys; fails the test when one does not open. */
static guint
open_inbox_bodies(PhDb *db, PhFieldKeys *keys)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PGresult) rows = ph_db_query(db, "SELECT body FROM inbox", 0, NULL, &error);
	g_assert_no_error(error);
	for (gint row = 0; row < PQntuples(rows); row++) {
		size_t length = 0;
		guchar *raw = PQunescapeBytea((const guchar *)PQgetvalue(rows, row, 0), &length);
		g_autoptr(GBytes) stored = g_bytes_new(raw, length);
		PQfreemem(raw);
		g_autoptr(GBytes) body =
		        ph_field_keys_open_bytes(keys, stored, "inbox.body", &error);
		g_assert_no_error(error);
		g_assert_nonnull(strstr(g_bytes_get_data(body, NULL), "<CardholderNotice"));
	}
	return (guint)PQntuples(rows);
}

/* Every stored value of the sealed text columns the writes touch opens with @keys. */
static void
open_text_values(PhDb *db, PhFieldKeys *keys)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PGresult) rows = ph_db_query(
	        db,
	        "SELECT id_number FROM person UNION ALL SELECT account FROM cardholder_card UNION "
	        "ALL SELECT account FROM payee_account",
	        0, NULL, &error);
	g_assert_no_error(error);
	/* the persons, and each one's card and payee account as the notices wrote them */
	g_assert_cmpint(PQntuples(rows), ==, 3 * WRITE_PERSONS);
	for (gint row = 0; row < PQntuples(rows); row++) {
		g_autofree gchar *plain =
		        ph_field_keys_open(keys, PQgetvalue(rows, row, 0), &error);
		g_assert_no_error(error);
		g_assert_true(g_ascii_isdigit(plain[0]));
	}
}

/* The value after "LABEL: " in pensionctl's output, or NULL. */
static gchar *
output_field(const gchar *output, const gchar *label)
{
	g_autofree gchar *prefix = g_strdup_printf("\n%s: ", label);
	g_autofree gchar *text = g_strconcat("\n", output, NULL);
	const gchar *at = strstr(text, prefix);
	if (at == NULL)
		return NULL;
	at += strlen(prefix);
	return g_strndup(at, strcspn(at, "\n"));
}

/* `pensionctl keys status` of @hub (exit 0); its output. */
static gchar *
keys_status(PhTestHub *hub)
{
	gchar *shown = NULL;
	g_assert_cmpint(ph_test_hub_run_ctl(hub, &shown, "keys", "status", NULL), ==, 0);
	return shown;
}

/* A hub (its own key file, "w1" current) takes cardholder notices from a second thread
 * before, during and after `pensionctl keys rotate --new --batch 5`: the command's six-second
 * settle lets the hub see the new key (it looks at the file's time at most every 5 s), and
 * its passes re-seal what was written under w1 meanwhile until one finds nothing. Afterwards
 * `keys status` shows no value under another key than the new one, and with w1 removed from
 * the file every inbox body, person, card and payee account still opens. */
static void
test_rotate_while_writing(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	PhDb *db = fixture->db;
	g_autofree gchar *dir = g_dir_make_tmp("ph-test-keys-w-XXXXXX", &error);
	g_assert_no_error(error);
	g_autofree gchar *path = g_build_filename(dir, "writes.keys", NULL);
	g_assert_true(ph_field_keys_add(path, "w1", NULL, &error));
	ph_test_keys_install(ph_test_db_get_url(fixture->test_db), path);
	store_persons(db, 0, WRITE_PERSONS);
	g_autofree gchar *config = g_strdup_printf(
	        "[keys]\nfile = %s\n\n[plugin cardholder]\n"
	        "url = https://127.0.0.1:%u/cardholder/v1/query\nca = %s/ca.crt\n"
	        "region = 110100\nttl_seconds = 3600\nretry_seconds = 3600\n"
	        "refresh_seconds = 3600\nattempts = 1\nretry_delay_ms = 50\ntimeout_ms = 1000\n"
	        "banks = 102=icbc\n",
	        path, ph_test_free_port(), g_getenv("PH_PKI"));
	g_autoptr(PhTestHub) hub = ph_test_adapter_hub(fixture->test_db, "cardholder", config);
	ph_test_hub_start(hub);
	Writer writer = {hub, 0, 0, 0};
	GThread *thread = g_thread_new("writer", writer_thread, &writer);
	while (g_atomic_int_get(&writer.written) < 10)
		g_usleep(10 * 1000);
	gint before = g_atomic_int_get(&writer.written);
	g_autofree gchar *rotated = NULL;
	gint status =
	        ph_test_hub_run_ctl(hub, &rotated, "keys", "rotate", "--new", "--batch", "5", NULL);
	g_assert_cmpint(status, ==, 0);
	gint during = g_atomic_int_get(&writer.written) - before;
	g_atomic_int_set(&writer.stop, 1);
	g_thread_join(thread);
	g_test_message("notices: %d before the rotation, %d during it, %d refused", before, during,
	               writer.refused);
	g_assert_cmpint(during, >, 0);
	g_assert_cmpint(writer.refused, ==, 0);
	g_autofree gchar *total = g_strdup_printf("%d", writer.written);
	g_autofree gchar *handled = ph_test_wait_for_value(
	        hub->database_url, "SELECT count(*) FROM inbox WHERE state <> 'pending'", total,
	        30000);
	g_assert_cmpstr(handled, ==, total);

	g_autofree gchar *shown = keys_status(hub);
	g_autofree gchar *current = output_field(shown, "current key");
	g_autofree gchar *stale = output_field(shown, "values not under it");
	g_assert_nonnull(current);
	g_assert_cmpstr(current, !=, "w1");
	g_assert_cmpstr(stale, ==, "0");
	/* w1 removed from the file: everything the hub wrote, before and during, opens */
	g_autoptr(PhFieldKeys) without_w1 = keys_without(path, "w1");
	g_assert_cmpuint(open_inbox_bodies(db, without_w1), ==, (guint)writer.written);
	open_text_values(db, without_w1);
	ph_test_hub_signal(hub, SIGTERM);
	g_unlink(path);
	g_rmdir(dir);
}

/* A key file of its own in a new folder (*@dir, *@path), with @key_id current, installed in
 * this process, and a hub (not started) configured with it. */
static PhTestHub *
hub_with_own_key(Fixture *fixture, const gchar *key_id, gchar **dir, gchar **path)
{
	g_autoptr(GError) error = NULL;
	*dir = g_dir_make_tmp("ph-test-keys-own-XXXXXX", &error);
	g_assert_no_error(error);
	*path = g_build_filename(*dir, "own.keys", NULL);
	g_assert_true(ph_field_keys_add(*path, key_id, NULL, &error));
	ph_test_keys_install(ph_test_db_get_url(fixture->test_db), *path);
	g_autofree gchar *config = g_strdup_printf("[keys]\nfile = %s\n", *path);
	return ph_test_hub_new(ph_test_db_get_url(fixture->test_db), NULL, config);
}

/* A new connection in a transaction that has stored person 3 (sealed under the current key)
 * and not committed; returns it. */
static PhDb *
begin_late_person(Fixture *fixture)
{
	g_autoptr(GError) error = NULL;
	PhDb *db = ph_test_db_connect(fixture->test_db);
	g_assert_true(ph_db_begin(db, &error));
	g_autofree gchar *id = person_id(3);
	g_autofree gchar *birth = g_strndup(id + 6, 8);
	const PhPersonIdentity identity = {id, "测试", "1", NULL, birth, NULL, 0, 10000};
	gint64 person = 0;
	g_assert_true(ph_person_store(db, &identity, NULL, &person, &error));
	g_assert_no_error(error);
	return db;
}

/* A transaction that sealed a value under the old key before `keys rotate --new` and is still
 * open when --wait runs out: the rotation fails saying so (it used to say the old key may go),
 * `keys status` names the value once it is committed, and a second `keys rotate` (no --new)
 * seals it under the new key; only then may the old key go. */
static void
test_rotate_long_transaction(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = NULL, *path = NULL;
	g_autoptr(PhTestHub) hub = hub_with_own_key(fixture, "l1", &dir, &path);
	store_persons(fixture->db, 0, 3);
	/* a person sealed under l1 in a transaction still open during the whole rotation */
	g_autoptr(PhDb) long_db = begin_late_person(fixture);
	/* the rotation waits for it, gives up after --wait and says so: no "may now be removed" */
	g_autofree gchar *rotated = NULL;
	g_assert_cmpint(
	        ph_test_hub_run_ctl(hub, &rotated, "keys", "rotate", "--new", "--wait", "1", NULL),
	        ==, 1);
	g_assert_nonnull(strstr(rotated, "not finished: database backend"));
	g_assert_null(strstr(rotated, "may now be removed"));
	g_assert_true(ph_db_commit(long_db, &error));
	g_autofree gchar *shown = keys_status(hub);
	g_autofree gchar *stale = output_field(shown, "values not under it");
	g_assert_cmpstr(stale, ==, "1"); /* the late person's AAC002 */
	g_assert_nonnull(strstr(shown, "  person.id_number: 1\n"));
	g_autofree gchar *again = NULL;
	g_assert_cmpint(ph_test_hub_run_ctl(hub, &again, "keys", "rotate", NULL), ==, 0);
	g_autofree gchar *after = keys_status(hub);
	g_autofree gchar *left = output_field(after, "values not under it");
	g_assert_cmpstr(left, ==, "0");
	g_autoptr(PhFieldKeys) without_l1 = keys_without(path, "l1");
	assert_persons_open(fixture->db, without_l1, 4);
	g_unlink(path);
	g_rmdir(dir);
}

typedef struct {
	PhDb *db;
	guint delay_ms;
} LateCommit;

static gpointer
commit_late(gpointer data)
{
	LateCommit *late = data;
	g_autoptr(GError) error = NULL;
	g_usleep(late->delay_ms * 1000);
	g_assert_true(ph_db_commit(late->db, &error));
	g_assert_no_error(error);
	return NULL;
}

/* The same late person, but its transaction commits while the rotation waits (after the
 * six-second settle and the first passes, long before --wait runs out): one keys rotate
 * finishes with nothing left under the old key, and the old key can go. */
static void
test_rotate_waits_for_older(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = NULL, *path = NULL;
	g_autoptr(PhTestHub) hub = hub_with_own_key(fixture, "o1", &dir, &path);
	g_autoptr(PhDb) long_db = begin_late_person(fixture);
	g_autofree gchar *id = person_id(3);
	LateCommit late = {long_db, 9000};
	GThread *committer = g_thread_new("late-commit", commit_late, &late);
	g_autofree gchar *rotated = NULL;
	g_assert_cmpint(
	        ph_test_hub_run_ctl(hub, &rotated, "keys", "rotate", "--new", "--wait", "60", NULL),
	        ==, 0);
	g_thread_join(committer);
	g_assert_nonnull(strstr(rotated, "may now be removed"));
	g_autofree gchar *shown = keys_status(hub);
	g_autofree gchar *stale = output_field(shown, "values not under it");
	g_assert_cmpstr(stale, ==, "0");
	g_autoptr(PhFieldKeys) without_o1 = keys_without(path, "o1");
	g_autoptr(PGresult) rows =
	        ph_db_query(fixture->db, "SELECT id_number FROM person", 0, NULL, &error);
	g_assert_cmpint(PQntuples(rows), ==, 1);
	g_autofree gchar *plain = ph_field_keys_open(without_o1, PQgetvalue(rows, 0, 0), &error);
	g_assert_no_error(error);
	g_assert_cmpstr(plain, ==, id);
	g_unlink(path);
	g_rmdir(dir);
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_test_init(&argc, &argv, NULL);
	key_dir = g_dir_make_tmp("ph-test-keys-XXXXXX", &error);
	g_assert_no_error(error);
	key_path = g_build_filename(key_dir, "field.keys", NULL);
	g_assert_true(ph_field_keys_add(key_path, "k1", NULL, &error));
	static const Setup sealed = {TRUE, 3}, rotated = {TRUE, PERSONS}, plain = {FALSE, 5};
	static const Setup accounts = {TRUE, ACCOUNT_PERSONS};
	static const Setup plain_accounts = {FALSE, ACCOUNT_PERSONS};
	g_test_add("/keys/sealed", Fixture, &sealed, fixture_set_up, test_sealed,
	           fixture_tear_down);
	g_test_add("/keys/rotate-while-reading", Fixture, &rotated, fixture_set_up,
	           test_rotate_while_reading, fixture_tear_down);
	g_test_add("/keys/plaintext-converted", Fixture, &plain, fixture_set_up,
	           test_plaintext_converted, fixture_tear_down);
	g_test_add_func("/keys/log-scan", test_log_scan);
	g_test_add("/keys/accounts-sealed", Fixture, &accounts, fixture_set_up,
	           test_accounts_sealed, fixture_tear_down);
	g_test_add("/keys/accounts-rotate", Fixture, &accounts, fixture_set_up,
	           test_accounts_rotate, fixture_tear_down);
	g_test_add("/keys/accounts-converted", Fixture, &plain_accounts, fixture_set_up,
	           test_accounts_converted, fixture_tear_down);
	g_test_add("/keys/log-scan-accounts", Fixture, &accounts, fixture_set_up,
	           test_log_scan_accounts, fixture_tear_down);
	static const Setup empty = {TRUE, 0};
	g_test_add("/keys/rotate-while-writing", Fixture, &empty, fixture_set_up,
	           test_rotate_while_writing, fixture_tear_down);
	g_test_add("/keys/rotate-long-transaction", Fixture, &empty, fixture_set_up,
	           test_rotate_long_transaction, fixture_tear_down);
	g_test_add("/keys/rotate-waits-for-older", Fixture, &empty, fixture_set_up,
	           test_rotate_waits_for_older, fixture_tear_down);
	int status = g_test_run();
	g_unlink(key_path);
	g_rmdir(key_dir);
	return status;
}
