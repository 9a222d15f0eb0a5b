/* Encryption at rest against a real PostgreSQL (issue 9 §3, §4): AAC002 stored sealed with a
 * keyed lookup; key rotation in batches while another connection keeps reading; a plaintext
 * database converted by the same rotation; and the daemon's log after an end-to-end personnel
 * batch holds no valid citizen ID. Suite integration (PH_DATABASE_URL, PH_PKI). */
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ph-field-cipher.h"
#include "ph-field-key.h"
#include "ph-field-rotate.h"
#include "ph-identity.h"
#include "ph-pension-status.h"
#include "ph-person-show.h"
#include "ph-person.h"
#include "ph-test-db.h"
#include "ph-test-hub.h"

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
	g_autoptr(GError) error = NULL;
	g_autofree gchar *extra = g_strdup_printf("[keys]\nfile = %s\n", key_path);
	g_autoptr(PhTestHub) hub = ph_test_hub_new(ph_test_db_get_url(test_db), NULL, extra);
	g_autoptr(PhConfig) config = ph_config_load(hub->config_path, &error);
	g_assert_no_error(error);
	g_assert_true(ph_field_keys_install(config, &error));
	g_assert_no_error(error);
	g_assert_true(ph_field_cipher_is_installed());
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

/* Rows hold envelopes and keyed hashes, no plaintext; lookups and reads give the number. */
static void
test_sealed(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhTestDb) test_db = ph_test_db_new();
	g_autoptr(PhDb) db = ph_test_db_connect(test_db);
	install_keys(test_db);
	store_persons(db, 0, 3);
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

typedef struct {
	gchar *url;
	gint stop;
	gint reads;
	gint failures;
} Reader;

/* Reads persons through both paths (lookup by hash, decryption) until told to stop. */
static gpointer
reader_thread(gpointer data)
{
	Reader *reader = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(PhDb) db = ph_db_connect(reader->url, &error);
	g_assert_no_error(error);
	for (guint n = 0; !g_atomic_int_get(&reader->stop); n = (n + 97) % PERSONS) {
		g_autofree gchar *id = person_id(n);
		PhPerson person;
		PhPensionStatus status = {0};
		gboolean found = FALSE;
		gboolean ok = ph_person_find(db, id, &person, &error) &&
		              ph_pension_status_get(db, NULL, person.person_id, &status, &found,
		                                    &error) &&
		              found && g_strcmp0(status.id_number, id) == 0;
		if (!ok) {
			g_printerr("reader: %s\n", error != NULL ? error->message : "wrong number");
			g_atomic_int_inc(&reader->failures);
		}
		g_clear_error(&error);
		ph_pension_status_clear(&status);
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

/* k1 → k2 in batches of 1,000 while a second connection reads; afterwards k1 can go. */
static void
test_rotate_while_reading(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhTestDb) test_db = ph_test_db_new();
	g_autoptr(PhDb) db = ph_test_db_connect(test_db);
	install_keys(test_db);
	store_persons(db, 0, PERSONS);
	g_assert_cmpint(count(db, "SELECT count(*) FROM person WHERE id_number LIKE 'enc1:k1:%'"),
	                ==, PERSONS);
	Reader reader = {g_strdup(ph_test_db_get_url(test_db)), 0, 0, 0};
	GThread *thread = g_thread_new("reader", reader_thread, &reader);
	while (g_atomic_int_get(&reader.reads) < 20)
		g_usleep(1000);
	g_assert_true(ph_field_keys_add(key_path, "k2", NULL, &error));
	g_autoptr(PhFieldKeys) keys = ph_field_keys_load(key_path, &error);
	g_assert_no_error(error);
	PhFieldRotation rotation = {0};
	gint reads_before = g_atomic_int_get(&reader.reads);
	g_assert_true(ph_field_rotate(db, keys, ROTATE_BATCH, on_batch, NULL, &rotation, &error));
	g_assert_no_error(error);
	gint reads_during = g_atomic_int_get(&reader.reads) - reads_before;
	g_atomic_int_set(&reader.stop, 1);
	g_thread_join(thread);
	g_test_message("rotation: %" G_GINT64_FORMAT " re-sealed in %u batches, %u passes; %d "
	               "reads meanwhile",
	               rotation.resealed, rotation.batches, rotation.passes, reads_during);
	/* each value re-sealed exactly once, in transactions of at most ROTATE_BATCH rows */
	g_assert_cmpint(rotation.resealed, ==, PERSONS);
	g_assert_cmpuint(rotation.batches, >=, (PERSONS + ROTATE_BATCH - 1) / ROTATE_BATCH);
	g_assert_cmpuint(rotation.passes, >=, 2); /* the last pass finds nothing left */
	g_assert_cmpint(reads_during, >, 0);
	g_assert_cmpint(reader.failures, ==, 0);
	gint64 stale = -1;
	g_assert_true(ph_field_rotate_count_stale(db, keys, &stale, &error));
	g_assert_cmpint(stale, ==, 0);
	/* k1 removed from the file: every value still opens */
	g_autoptr(GKeyFile) file = g_key_file_new();
	g_assert_true(g_key_file_load_from_file(file, key_path, G_KEY_FILE_NONE, &error));
	g_assert_true(g_key_file_remove_key(file, "field-keys", "key.k1", &error));
	g_assert_true(g_key_file_save_to_file(file, key_path, &error));
	g_assert_cmpint(g_chmod(key_path, 0600), ==, 0);
	g_autoptr(PhFieldKeys) without_k1 = ph_field_keys_load(key_path, &error);
	g_assert_no_error(error);
	g_autoptr(PGresult) rows = ph_db_query(db, "SELECT id_number FROM person", 0, NULL, &error);
	for (gint row = 0; row < PQntuples(rows); row++) {
		g_autofree gchar *plain =
		        ph_field_keys_open(without_k1, PQgetvalue(rows, row, 0), &error);
		g_assert_no_error(error);
		g_assert_true(ph_identity_check_citizen_id(plain, NULL));
	}
	g_free(reader.url);
}

/* Rows written before a key file was configured are converted by the same rotation. */
static void
test_plaintext_converted(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhTestDb) test_db = ph_test_db_new();
	g_autoptr(PhDb) db = ph_test_db_connect(test_db);
	ph_field_cipher_install(NULL);
	store_persons(db, 0, 5);
	g_assert_cmpint(count(db, "SELECT count(*) FROM person WHERE id_number ~ '^[0-9]{17}'"), ==,
	                5);
	install_keys(test_db);
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

/* After an end-to-end personnel batch on a daemon with debug logging, its log names no valid
 * citizen ID in full, though the batch held a birth-date mismatch (an error naming it). */
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
	/* the daemon inherits it; libc's calls, as GLib's warn once threads exist */
	setenv("G_MESSAGES_DEBUG", "all", 1);
	ph_test_hub_start(hub);
	unsetenv("G_MESSAGES_DEBUG");

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
	ph_test_hub_signal(hub, SIGTERM);

	g_autofree gchar *log = NULL;
	g_assert_true(g_file_get_contents(hub->log_path, &log, NULL, &error));
	g_assert_cmpuint(strlen(log), >, 0);
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
	g_assert_cmpuint(found, ==, 0);
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
	g_test_add_func("/keys/sealed", test_sealed);
	g_test_add_func("/keys/rotate-while-reading", test_rotate_while_reading);
	g_test_add_func("/keys/plaintext-converted", test_plaintext_converted);
	g_test_add_func("/keys/log-scan", test_log_scan);
	int status = g_test_run();
	g_unlink(key_path);
	g_rmdir(key_dir);
	return status;
}
