/* The archive adapter end to end (issue 9 §2, §4): a real daemon with plugins/archive and the
 * archive simulator tests/peers/archive-sim over mTLS: a death settlement through the core
 * becomes one signed PH-ARCHIVE-1 package that the simulator checks with the hub's offline
 * verifier and stores once; the receipt id is kept and shown by pensionctl archive show; the
 * stored package verifies with pensionctl archive verify; a transfer case's package holds the
 * platform messages signed in and out up to the case's close; while the archive is down the
 * outbox retries and delivers once it is back; an answer without a receipt id is a dead
 * letter. The same over SFTP (delivery = sftp) to a real OpenSSH sshd whose folder the
 * simulator watches: delivered once with its receipt file; sshd down, retried, delivered after
 * it comes back. With a key file ([keys] file) the payout run's kept files are sealed at rest
 * and the package holds their plaintext, exactly; a sealed file tampered with is refused. */
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "pension-hub.h"
#include "pension-hub/ph-digest.h"
#include "ph-document-store.h"
#include "ph-field-key.h"
#include "ph-test-db.h"
#include "ph-test-hub.h"
#include "ph-test-peer.h"
#include "ph-test-sshd.h"
#include "ph-transfer-cmd.h"
#include "ph-txn.h"

/* A valid GB 11643 number (ISO 7064 MOD 11-2 check character), male, born 1970-01-01 */
#define ID_MEMBER  "110105197001010193"
#define DEATH_DATE "20261010"

typedef struct {
	PhTestDb *db;
	PhTestHub *hub;
	PhTestPeer sim;
	gchar *store;      /* the simulator's --store folder */
	PhTestSshd *sshd;  /* the archive's SFTP server (delivery = sftp), else NULL */
	gchar *sftp_inbox; /* the folder it serves packages into, which the simulator watches */
	gboolean medical;  /* with the medical adapter and its simulator */
	guint medical_port;
	PhTestPeer medical_sim;
	gboolean sealed;   /* with a [keys] file: kept files sealed at rest */
	PhFieldKeys *keys; /* then its keys, to keep files as the bank adapter does */
} Fixture;

/* The hub with [plugin archive] @delivery_config (plus the signing key and test timings) and
 * the simulator on @sim_port keeping what it takes in the store, with @extra options. */
static void
link_plugin(Fixture *fixture, const gchar *name)
{
	g_autofree gchar *file = g_strdup_printf("libph-%s.so", name);
	g_autofree gchar *target =
	        g_build_filename(g_getenv("PH_BUILD_DIR"), "plugins", name, file, NULL);
	g_autofree gchar *link = g_build_filename(fixture->hub->dir, "plugins", file, NULL);
	g_assert_cmpint(symlink(target, link), ==, 0);
}

/* With fixture->medical: the medical adapter too, its simulator started down. */
static gchar *
medical_config(Fixture *fixture)
{
	if (!fixture->medical)
		return g_strdup("");
	fixture->medical_port = ph_test_free_port();
	return g_strdup_printf(
	        "\n[plugin medical]\nnotice_url = https://127.0.0.1:%u/medical/v1/notices\n"
	        "ca = %s/ca.crt\ntimeout_ms = 5000\nretry_initial_ms = 200\nretry_max_ms = 800\n",
	        fixture->medical_port, g_getenv("PH_PKI"));
}

static void
start_medical(Fixture *fixture)
{
	if (!fixture->medical)
		return;
	link_plugin(fixture, "medical");
	const gchar *const down[] = {"--down", NULL};
	ph_test_peer_start(&fixture->medical_sim, "medical-sim", fixture->hub->dir,
	                   fixture->medical_port, fixture->hub->pki, down);
}

/* Encryption at rest on, as in production: the test hub's key file in [keys] (never the
 * PH_BENCH_PLAINTEXT switch here), and its keys loaded for keep_file. */
static void
turn_sealing_on(Fixture *fixture)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *keys = ph_test_hub_keys_config(fixture->hub);
	g_assert_true(g_str_has_prefix(keys, "[keys]\nfile = "));
	g_autofree gchar *extra = g_strconcat(keys, fixture->hub->extra, NULL);
	ph_test_hub_write_config(fixture->hub, extra);
	g_autofree gchar *path = g_build_filename(fixture->hub->dir, "field.keys", NULL);
	fixture->keys = ph_field_keys_load(path, &error);
	g_assert_no_error(error);
}

/* The hub with [plugin archive] @delivery_config (plus the signing key and test timings), the
 * personnel adapter (its batches are the inbound documents of cases) and the simulator on
 * @sim_port keeping what it takes in the store (watching the SFTP folder, if any), with @extra
 * options. */
static void
fixture_start(Fixture *fixture, const gchar *delivery_config, guint sim_port,
              const gchar *const *extra)
{
	const gchar *pki = g_getenv("PH_PKI");
	g_autofree gchar *medical = medical_config(fixture);
	g_autofree gchar *config = g_strdup_printf(
	        "[plugin archive]\n%ssigning_key = %s/hub.key\nsigning_certificate = %s/hub.crt\n"
	        "timeout_ms = 5000\nretry_initial_ms = 200\nretry_max_ms = 800\n\n"
	        "[plugin personnel]\nspool_dir = spool\npoll_seconds = 1\n%s",
	        delivery_config, pki, pki, medical);
	fixture->hub = ph_test_adapter_hub(fixture->db, "archive", config);
	if (fixture->sealed)
		turn_sealing_on(fixture);
	link_plugin(fixture, "personnel");
	start_medical(fixture);
	fixture->store = g_build_filename(fixture->hub->dir, "archive", NULL);
	g_assert_cmpint(g_mkdir(fixture->store, 0700), ==, 0);
	g_autoptr(GPtrArray) options = g_ptr_array_new();
	g_ptr_array_add(options, "--store");
	g_ptr_array_add(options, fixture->store);
	if (fixture->sftp_inbox != NULL) {
		g_ptr_array_add(options, "--watch");
		g_ptr_array_add(options, fixture->sftp_inbox);
	}
	for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
		g_ptr_array_add(options, (gpointer)extra[i]);
	g_ptr_array_add(options, NULL);
	ph_test_peer_start(&fixture->sim, "archive-sim", fixture->hub->dir, sim_port, pki,
	                   (const gchar *const *)options->pdata);
	ph_test_hub_start(fixture->hub);
}

static void
fixture_set_up(Fixture *fixture, gconstpointer data)
{
	fixture->db = ph_test_db_new();
	guint sim_port = ph_test_free_port();
	g_autofree gchar *https =
	        g_strdup_printf("url = https://127.0.0.1:%u/archive/v1/packages\nca = %s/ca.crt\n",
	                        sim_port, g_getenv("PH_PKI"));
	fixture_start(fixture, https, sim_port, data);
}

/* delivery = sftp into the sshd's folder "incoming", which the simulator watches (with the
 * options @data besides). */
static void
fixture_set_up_sftp(Fixture *fixture, gconstpointer data)
{
	fixture->db = ph_test_db_new();
	fixture->sshd = ph_test_sshd_new();
	fixture->sftp_inbox = ph_test_sshd_path(fixture->sshd, "incoming", TRUE);
	g_autofree gchar *login = ph_test_sshd_config_lines(fixture->sshd);
	g_autofree gchar *sftp = g_strdup_printf("delivery = sftp\n%sfolder = incoming\n"
	                                         "receipt_wait_ms = 5000\n",
	                                         login);
	fixture_start(fixture, sftp, ph_test_free_port(), data);
}

/* With a key file: kept files sealed. */
static void
fixture_set_up_sealed(Fixture *fixture, gconstpointer data)
{
	fixture->sealed = TRUE;
	fixture_set_up(fixture, data);
}

/* With the medical adapter (its simulator down at first). */
static void
fixture_set_up_medical(Fixture *fixture, gconstpointer data)
{
	fixture->medical = TRUE;
	fixture_set_up(fixture, data);
}

static void
fixture_tear_down(Fixture *fixture, gconstpointer data)
{
	ph_test_peer_stop(&fixture->sim);
	ph_test_peer_stop(&fixture->medical_sim);
	g_clear_pointer(&fixture->sshd, ph_test_sshd_free);
	g_clear_pointer(&fixture->sftp_inbox, g_free);
	g_clear_pointer(&fixture->store, g_free);
	g_clear_pointer(&fixture->hub, ph_test_hub_free);
	g_clear_pointer(&fixture->db, ph_test_db_free);
	g_clear_pointer(&fixture->keys, ph_field_keys_free);
}

/* Enrols a member and records the death through the core's SDK command (a death settlement
 * closes: core event "died"); returns the case id the archive plugin uses, died:person:ID. */
static gchar *
close_death_case(Fixture *fixture)
{
	g_autoptr(GError) error = NULL;
	gint64 person_id = ph_test_enrol(fixture->db, ID_MEMBER, "李四", "19700101", "20240101");
	g_autoptr(PhDb) db = ph_test_db_connect(fixture->db);
	g_autoptr(PhTxn) txn = ph_txn_begin(db, NULL, &error);
	g_assert_no_error(error);
	PhCommandOutcome outcome = {0};
	PhDeathRequest death = {ID_MEMBER, DEATH_DATE};
	gboolean done = ph_core_death(txn, &death, &outcome, &error) && ph_txn_commit(txn, &error);
	g_assert_no_error(error);
	g_assert_true(done);
	ph_core_outcome_clear(&outcome);
	return g_strdup_printf("died:person:%" G_GINT64_FORMAT, person_id);
}

/* Waits until @condition holds of the case's archive.package outbox row. */
static void
wait_archive_row(Fixture *fixture, const gchar *case_id, const gchar *condition)
{
	g_autofree gchar *sql = g_strdup_printf(
	        "SELECT %s FROM outbox WHERE topic = 'archive.package' AND key = '%s'", condition,
	        case_id);
	g_autofree gchar *holds =
	        ph_test_wait_for_value(ph_test_db_get_url(fixture->db), sql, "t", 30000);
	g_assert_cmpstr(holds, ==, "t");
}

/* The simulator stored the case's package and the outbox knows it. */
static void
wait_delivered(Fixture *fixture, const gchar *case_id)
{
	const gchar *stored[] = {"STORED", case_id, NULL};
	ph_test_peer_wait(&fixture->sim, stored, 1);
	wait_archive_row(fixture, case_id, "state = 'delivered'");
}

/* The case's package became a dead letter. */
static void
wait_dead(Fixture *fixture, const gchar *case_id)
{
	g_autofree gchar *sql = g_strdup_printf(
	        "SELECT count(*) FROM dead_letter WHERE topic = 'archive.package' AND key = '%s'",
	        case_id);
	g_autofree gchar *dead =
	        ph_test_wait_for_value(ph_test_db_get_url(fixture->db), sql, "1", 30000);
	g_assert_cmpstr(dead, ==, "1");
}

/* The value after "LABEL: " in pensionctl archive show's output. */
static gchar *
show_field(const gchar *output, const gchar *label)
{
	g_autofree gchar *prefix = g_strdup_printf("%s: ", label);
	g_auto(GStrv) lines = g_strsplit(output, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		if (g_str_has_prefix(lines[i], prefix))
			return g_strdup(lines[i] + strlen(prefix));
	}
	g_test_message("no '%s' in:\n%s", label, output);
	g_assert_not_reached();
}

static gchar *
archive_show(Fixture *fixture, const gchar *case_id, gint *status)
{
	const gchar *show[] = {"archive", "show", case_id, NULL};
	return ph_test_pensionctl(fixture->hub, show, status);
}

/* pensionctl archive show CASE, which must succeed. */
static gchar *
archive_show_ok(Fixture *fixture, const gchar *case_id)
{
	gint status = -1;
	gchar *shown = archive_show(fixture, case_id, &status);
	g_assert_cmpint(status, ==, 0);
	return shown;
}

/* pensionctl archive show CASE says @delivery, no receipt yet, and a last error holding
 * @error_part. */
static void
assert_not_archived(Fixture *fixture, const gchar *case_id, const gchar *delivery,
                    const gchar *error_part)
{
	g_autofree gchar *shown = archive_show_ok(fixture, case_id);
	g_autofree gchar *state = show_field(shown, "delivery");
	g_autofree gchar *receipt = show_field(shown, "receipt");
	g_autofree gchar *last_error = show_field(shown, "last error");
	g_assert_cmpstr(state, ==, delivery);
	g_assert_cmpstr(receipt, ==, "none yet");
	g_assert_nonnull(strstr(last_error, error_part));
}

/* The stored package's SHA-256, as the simulator wrote it. */
static gchar *
stored_sha256(Fixture *fixture, const gchar *package_id, gchar **path)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *name = g_strconcat(package_id, ".tar", NULL);
	*path = g_build_filename(fixture->store, name, NULL);
	gchar *data = NULL;
	gsize length = 0;
	g_file_get_contents(*path, &data, &length, &error);
	g_assert_no_error(error);
	g_autofree gchar *owned = data;
	return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)data, length);
}

/* The kept receipt matches what the simulator stored (the package of @case_type with
 * @documents documents); the package verifies offline. Returns the stored package's path. */
static gchar *
check_archived(Fixture *fixture, const gchar *case_id, const gchar *case_type, guint documents)
{
	g_autofree gchar *shown = archive_show_ok(fixture, case_id);
	g_test_message("pensionctl archive show %s:\n%s", case_id, shown);
	g_autofree gchar *delivery = show_field(shown, "delivery");
	g_assert_cmpstr(delivery, ==, "delivered");
	g_autofree gchar *package_id = show_field(shown, "package");
	g_autofree gchar *receipt = show_field(shown, "receipt");
	g_autofree gchar *sha256 = show_field(shown, "sha256");
	/* the simulator numbers its receipts from AR-000001; this is its only package */
	g_assert_cmpstr(receipt, ==, "AR-000001");
	g_autofree gchar *type = g_strdup_printf(" %s ", case_type);
	g_autofree gchar *count = g_strdup_printf("documents=%u ", documents);
	const gchar *stored[] = {"STORED", package_id, type, case_id, "receipt=AR-000001",
	                         count,    NULL};
	g_assert_cmpuint(ph_test_peer_count(&fixture->sim, stored), ==, 1);
	gchar *path = NULL;
	g_autofree gchar *file_sha256 = stored_sha256(fixture, package_id, &path);
	g_assert_cmpstr(file_sha256, ==, sha256);

	g_autofree gchar *ca = g_build_filename(fixture->hub->pki, "ca.crt", NULL);
	const gchar *verify[] = {"archive", "verify", path, "--ca", ca, NULL};
	gint status = -1;
	g_autofree gchar *verdict = ph_test_pensionctl(fixture->hub, verify, &status);
	g_assert_cmpint(status, ==, 0);
	g_test_message("pensionctl archive verify: %s", verdict);
	g_autofree gchar *expected =
	        g_strdup_printf("ok: %s case %s, %u documents", case_type, case_id, documents);
	g_assert_nonnull(strstr(verdict, expected));
	return path;
}

static void
test_delivered_once(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *case_id = close_death_case(fixture);
	wait_delivered(fixture, case_id);
	g_free(check_archived(fixture, case_id, "death", 1));
	/* no case, no package: pensionctl says so and fails */
	gint status = -1;
	g_autofree gchar *none = archive_show(fixture, "died:person:999999", &status);
	g_assert_cmpint(status, ==, 1);
}

static void
test_down_retried(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *case_id = close_death_case(fixture);
	/* the archive is down: every delivery is refused and retried by the outbox */
	const gchar *refused[] = {"DOWN refused a package", NULL};
	ph_test_peer_wait(&fixture->sim, refused, 3);
	assert_not_archived(fixture, case_id, "pending", "answered 503");

	ph_test_peer_switch(&fixture->sim, SIGUSR2, "up");
	wait_delivered(fixture, case_id);
	g_free(check_archived(fixture, case_id, "death", 1));
}

/* A member arrives by RULES §8's transfer in (ph_test_transfer_in) and leaves again by the
 * transfer out @case_id (core event transfer_amounts), run with region 110100's policy as
 * the daemon's would, in one transaction with the platform messages of the case (a LETTER
 * in, an INFO out); a RECEIPT arrives after the case closed. */
static void
close_transfer_case(Fixture *fixture, const gchar *case_id)
{
	g_autoptr(GError) error = NULL;
	ph_test_enrol(fixture->db, ID_MEMBER, "李四", "19700101", "20240901");
	g_autoptr(PhDb) db = ph_test_db_connect(fixture->db);
	g_autofree PhPolicy *policy = ph_test_policy_110100();
	const PhCommandContext context = {policy, "test"};
	g_autofree gchar *messages = g_strdup_printf(
	        "INSERT INTO transfer_message (case_id, msg_id, direction, msg_type, verdict, "
	        "body) VALUES ('%s', 'L1', 'in', 'LETTER', 'ACCEPTED', '<Letter>in</Letter>'), "
	        "('%s', 'I1', 'out', 'INFO', 'DELIVERED', '<Info>out</Info>')",
	        case_id, case_id);
	PhCommandResult outcome = {0};
	g_assert_true(ph_db_begin(db, &error));
	gboolean done = ph_db_exec(db, messages, &error) &&
	                ph_test_transfer_in(db, &context, "CASE-IN", ID_MEMBER, &outcome, &error);
	ph_command_result_clear(&outcome);
	PhTransferOutInput out = {case_id, ID_MEMBER, "20241001", "310000"};
	done = done && ph_transfer_cmd_out(db, &context, &out, &outcome, &error) &&
	       ph_db_commit(db, &error);
	g_assert_no_error(error);
	g_assert_true(done);
	ph_command_result_clear(&outcome);
	g_autofree gchar *later = g_strdup_printf(
	        "INSERT INTO transfer_message (case_id, msg_id, direction, msg_type, verdict, "
	        "body) VALUES ('%s', 'R1', 'in', 'RECEIPT', 'ACCEPTED', '<Receipt/>')",
	        case_id);
	g_assert_true(ph_db_exec(db, later, &error));
	g_assert_no_error(error);
}

static void
test_transfer_messages(Fixture *fixture, gconstpointer data)
{
	close_transfer_case(fixture, "CASE-9");
	wait_delivered(fixture, "transfer_amounts:CASE-9");
	/* the event, the LETTER in and the INFO out; not the RECEIPT that came after */
	g_autofree gchar *path = check_archived(fixture, "transfer_amounts:CASE-9", "transfer", 3);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *package = NULL;
	gsize length = 0;
	g_file_get_contents(path, &package, &length, &error);
	g_assert_no_error(error);
	/* a ustar container: its zero padding would end the text searches below */
	for (gsize i = 0; i < length; i++)
		package[i] = package[i] == '\0' ? ' ' : package[i];
	const gchar *expected[] = {
	        "role=\"generated\" elementCode=\"AIC102\"",
	        "role=\"inbound\" elementCode=\"LETTER\"",
	        "role=\"outbound\" elementCode=\"INFO\"",
	        "<Letter>in</Letter>",
	        "<Info>out</Info>",
	};
	for (guint i = 0; i < G_N_ELEMENTS(expected); i++)
		g_assert_nonnull(strstr(package, expected[i]));
	g_assert_null(strstr(package, "<Receipt/>"));
}

/* An archive that answers without a receipt id: the package is not taken as archived but
 * dead-lettered at once (a partner fault to look into, not one to retry), and shown so. */
static void
test_no_receipt(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *case_id = close_death_case(fixture);
	wait_dead(fixture, case_id);
	assert_not_archived(fixture, case_id, "dead", "holds no receipt_id");
	g_autofree gchar *shown = archive_show_ok(fixture, case_id);
	g_autofree gchar *attempts = show_field(shown, "attempts");
	g_assert_cmpstr(attempts, ==, "1");
}

/* ---- cases reported by the personnel system (PH-PERS-1 batches) ---- */

#define PERSONNEL_NS "urn:pension-hub:personnel:1"
/* Two more valid GB 11643 numbers (check characters computed as in test-personnel) */
#define ID_LEAVER "110105198001010016"
#define ID_OTHER  "110105196410150037"

/* POSTs a batch as partner personnel and waits until it is done; returns the SHA-256 of its
 * bytes (the excerpt names the whole batch by it). */
static gchar *
post_personnel_batch(Fixture *fixture, const gchar *xml)
{
	g_autoptr(GBytes) body = g_bytes_new(xml, strlen(xml));
	PhTestRequest request = {"POST", NULL, "personnel", NULL, NULL, body};
	g_autofree gchar *url = g_strdup_printf("https://127.0.0.1:%u/personnel/v1/batches",
	                                        fixture->hub->partner_port);
	request.url = url;
	g_autofree gchar *answer = NULL;
	g_assert_cmpint(ph_test_http(fixture->hub, &request, &answer), ==, 202);
	g_autofree gchar *done = ph_test_wait_for_value(
	        ph_test_db_get_url(fixture->db),
	        "SELECT string_agg(state, ',') FROM personnel_batch", "done", 30000);
	g_assert_cmpstr(done, ==, "done");
	return g_compute_checksum_for_string(G_CHECKSUM_SHA256, xml, -1);
}

/* The stored package of @case_id as text (its zero padding made spaces for strstr). */
static gchar *
stored_package_text(Fixture *fixture, const gchar *case_id, guint documents)
{
	wait_delivered(fixture, case_id);
	g_autofree gchar *count = g_strdup_printf("documents=%u ", documents);
	const gchar *with_count[] = {"STORED", case_id, count, NULL};
	g_assert_cmpuint(ph_test_peer_count(&fixture->sim, with_count), ==, 1);
	g_autofree gchar *shown = archive_show_ok(fixture, case_id);
	g_autofree gchar *package_id = show_field(shown, "package");
	g_autofree gchar *name = g_strconcat(package_id, ".tar", NULL);
	g_autofree gchar *path = g_build_filename(fixture->store, name, NULL);
	gchar *package = NULL;
	gsize length = 0;
	g_autoptr(GError) error = NULL;
	g_file_get_contents(path, &package, &length, &error);
	g_assert_no_error(error);
	for (gsize i = 0; i < length; i++)
		package[i] = package[i] == '\0' ? ' ' : package[i];
	const gchar *excerpt = strstr(package, "<InboundExcerpt");
	g_test_message("%s: %.600s", case_id, excerpt != NULL ? excerpt : "no excerpt");
	return package;
}

/* A death and a leave reported in one personnel batch: each case's package holds, besides the
 * core event, the batch event that raised it (role inbound, the case's element code), inside
 * an excerpt naming the whole batch by its SHA-256, and nothing of the batch's other people. */
static void
test_personnel_sources(Fixture *fixture, gconstpointer data)
{
	gint64 dead = ph_test_enrol(fixture->db, ID_MEMBER, "李四", "19700101", "20240101");
	gint64 leaver = ph_test_enrol(fixture->db, ID_LEAVER, "王五", "19800101", "20240101");
	g_autofree gchar *xml = g_strdup_printf(
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<PersonnelBatch xmlns=\"" PERSONNEL_NS "\" batchId=\"B-ARCH\" AAB001=\"U0001\" "
	        "sentAt=\"2026-11-27T09:00:00+08:00\">\n"
	        "<Event seq=\"1\" type=\"WAGE\" effective=\"20250101\"><AAC002>%s</AAC002>"
	        "<Wage>8200.00</Wage></Event>\n"
	        "<Event seq=\"2\" type=\"DEATH\" effective=\"%s\"><AAC002>%s</AAC002>"
	        "<AAE138>%s</AAE138></Event>\n"
	        "<Event seq=\"3\" type=\"LEAVE\" effective=\"20261201\"><AAC002>%s</AAC002>"
	        "<AAE160>6301</AAE160></Event>\n"
	        "<Event seq=\"4\" type=\"DEATH\" effective=\"%s\"><AAC002>%s</AAC002>"
	        "<AAE138>%s</AAE138></Event>\n"
	        "</PersonnelBatch>\n",
	        ID_LEAVER, DEATH_DATE, ID_MEMBER, DEATH_DATE, ID_LEAVER, DEATH_DATE, ID_OTHER,
	        DEATH_DATE);
	g_autofree gchar *sha256 = post_personnel_batch(fixture, xml);
	g_autofree gchar *expected_sha = g_strdup_printf("sha256=\"%s\"", sha256);

	g_autofree gchar *death_case = g_strdup_printf("died:person:%" G_GINT64_FORMAT, dead);
	g_autofree gchar *death = stored_package_text(fixture, death_case, 2);
	g_autofree gchar *death_event = g_strdup_printf(
	        "<Event xmlns=\"" PERSONNEL_NS "\" seq=\"2\" type=\"DEATH\" effective=\"%s\">"
	        "<AAC002>%s</AAC002><AAE138>%s</AAE138></Event>",
	        DEATH_DATE, ID_MEMBER, DEATH_DATE);
	const gchar *in_death[] = {"role=\"inbound\" elementCode=\"AAE138\"",
	                           "partner=\"personnel\"", "batchId=\"B-ARCH\"", expected_sha,
	                           death_event};
	for (guint i = 0; i < G_N_ELEMENTS(in_death); i++)
		g_assert_nonnull(strstr(death, in_death[i]));
	/* the batch's other people stay out of this person's package */
	g_assert_null(strstr(death, ID_LEAVER));
	g_assert_null(strstr(death, ID_OTHER));

	g_autofree gchar *leave_case =
	        ph_test_query_value(ph_test_db_get_url(fixture->db),
	                            "SELECT type || ':' || business_key FROM core_event WHERE "
	                            "type = 'enrolment_ended'");
	g_assert_nonnull(leave_case);
	g_autofree gchar *leave = stored_package_text(fixture, leave_case, 2);
	const gchar *in_leave[] = {"role=\"inbound\" elementCode=\"AAE031\"",
	                           "seq=\"3\" type=\"LEAVE\"", "<AAE160>6301</AAE160>",
	                           expected_sha};
	for (guint i = 0; i < G_N_ELEMENTS(in_leave); i++)
		g_assert_nonnull(strstr(leave, in_leave[i]));
	g_assert_null(strstr(leave, "<Wage>"));
	g_assert_null(strstr(leave, ID_MEMBER));
	/* the unknown person's DEATH was refused: no case, nothing archived */
	g_assert_cmpint(leaver, >, 0);
	const gchar *stored[] = {"STORED", NULL};
	g_assert_cmpuint(ph_test_peer_count(&fixture->sim, stored), ==, 2);
}

/* A death the medical adapter must also be told of: the archive waits until the notice has
 * gone (the medical system is down at first), then the package holds the notice's bytes as
 * sent (role outbound). */
static void
test_medical_notice(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *case_id = close_death_case(fixture);
	wait_archive_row(fixture, case_id, "attempts >= 2");
	assert_not_archived(fixture, case_id, "pending", "waiting until medical.notice");
	const gchar *none[] = {"STORED", NULL};
	g_assert_cmpuint(ph_test_peer_count(&fixture->sim, none), ==, 0);

	ph_test_peer_switch(&fixture->medical_sim, SIGUSR2, "up");
	/* the event and the notice */
	g_autofree gchar *package = stored_package_text(fixture, case_id, 2);
	g_autofree gchar *sent_sql = g_strdup_printf(
	        "SELECT convert_from(value, 'UTF8') FROM plugin_state WHERE plugin = 'medical' "
	        "AND key = 'sent:medical.notice:%s'",
	        case_id);
	g_autofree gchar *sent = ph_test_query_value(ph_test_db_get_url(fixture->db), sent_sql);
	g_assert_nonnull(sent);
	g_autofree gchar *notice_id = g_strdup_printf("\"notice_id\":\"%s\"", case_id);
	g_assert_nonnull(strstr(sent, notice_id));
	g_assert_nonnull(strstr(package, sent));
	g_assert_nonnull(strstr(package, "role=\"outbound\" elementCode=\"AAE138\""));
	g_assert_nonnull(strstr(package, "documents/outbound-medical.notice-"));
}

static void
exec_sql(Fixture *fixture, const gchar *sql)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhDb) db = ph_test_db_connect(fixture->db);
	g_assert_true(ph_db_exec(db, sql, &error));
	g_assert_no_error(error);
}

/* A payout file, its done file and a result file as the bank adapter keeps them (the
 * document store of ph-document-store.h: sealed with the fixture's keys, else plaintext), with
 * their kept_document rows; @payout_digest and @result_digest receive "SM3 hex" as exchanged.
 * test-bank shows that the adapter keeps exactly what the bank received and wrote. */
typedef struct {
	const gchar *role;
	const gchar *name;
	const gchar *content;
	gint64 batch_no;
} KeptFile;

static const KeptFile payout_kept[] = {
        {"payout", "PAYOUT_110100000001_202611_0000000007.txt",
         "H0000000007110100000001202611\r\nD00000001110105197001010193张三 "
         "6222020200000000001 350001\r\nD00000002110105197001010193张三 "
         "6222020200000000002 350002\r\nT\r\n",
         7},
        {"done", "PAYOUT_110100000001_202611_0000000007.txt.ok", NULL, 7},
        {"result", "RESULT_7.txt",
         "R00000001110105197001010193 6222020200000000001 350001 0000 BK1\r\n"
         "R00000002110105197001010193 6222020200000000002 350002 0000 BK2\r\n",
         0},
};

/* Keeps @content as the store does; returns the stored file's path. */
static gchar *
keep_file(Fixture *fixture, const KeptFile *file, const gchar *content, const gchar *digest)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_build_filename(fixture->hub->dir, "documents", NULL);
	g_autoptr(PhDocumentWriter) writer =
	        ph_document_writer_new(dir, "test", fixture->keys, &error);
	g_assert_no_error(error);
	g_assert_true(ph_document_writer_write(writer, content, strlen(content), &error));
	g_assert_true(ph_document_writer_commit(writer, &error));
	g_assert_no_error(error);
	g_autofree gchar *batch_no = file->batch_no > 0
	                                     ? g_strdup_printf("%" G_GINT64_FORMAT, file->batch_no)
	                                     : g_strdup("NULL");
	const gchar *key_id = ph_document_writer_get_key_id(writer);
	g_assert_true((key_id != NULL) == fixture->sealed);
	g_autofree gchar *sql = g_strdup_printf(
	        "INSERT INTO kept_document (role, bank, batch_no, name, size, sha256, digest, "
	        "store_file, key_id) VALUES ('%s', 'icbc', %s, '%s', %" G_GSIZE_FORMAT
	        ", '%s', %s%s%s, '%s', %s%s%s)",
	        file->role, batch_no, file->name, strlen(content),
	        ph_document_writer_get_sha256(writer), digest != NULL ? "'" : "",
	        digest != NULL ? digest : "NULL", digest != NULL ? "'" : "",
	        ph_document_writer_get_file_name(writer), key_id != NULL ? "'" : "",
	        key_id != NULL ? key_id : "NULL", key_id != NULL ? "'" : "");
	exec_sql(fixture, sql);
	return g_build_filename(dir, ph_document_writer_get_file_name(writer), NULL);
}

/* Batch 7's three files kept; returns the payout file's stored path and in @digest_sql what
 * names them by digest in the batch and its booked result (run with the close). */
static gchar *
keep_payout_files(Fixture *fixture, gchar **digest_sql)
{
	const KeptFile *payout = &payout_kept[0], *result = &payout_kept[2];
	g_autofree gchar *payout_hex =
	        ph_digest_hex(PH_DIGEST_SM3, payout->content, strlen(payout->content));
	g_autofree gchar *result_hex =
	        ph_digest_hex(PH_DIGEST_SM3, result->content, strlen(result->content));
	g_autofree gchar *payout_digest = g_strconcat("SM3 ", payout_hex, NULL);
	g_autofree gchar *result_digest = g_strconcat("SM3 ", result_hex, NULL);
	/* the done file: "<ALG> <hex> <count> <total>" (bank-file.c) */
	g_autofree gchar *done = g_strdup_printf("%s 2 700003\r\n", payout_digest);
	gchar *path = keep_file(fixture, payout, payout->content, payout_digest);
	g_free(keep_file(fixture, &payout_kept[1], done, NULL));
	g_free(keep_file(fixture, result, result->content, result_digest));
	/* the batch as sent and its booked result name these files by their digests */
	*digest_sql = g_strdup_printf(
	        "UPDATE payout_batch SET digest = '%s' WHERE batch_no = 7; "
	        "UPDATE payout_result_file SET digest = '%s', size = %" G_GSIZE_FORMAT
	        " WHERE name = 'RESULT_7.txt'; ",
	        payout_digest, result_digest, strlen(result->content));
	return path;
}

static void
open_payout_run(Fixture *fixture)
{
	exec_sql(fixture,
	         "BEGIN; "
	         "INSERT INTO core_event (type, business_key, payload) VALUES ('payout_due', "
	         "'2026-11#1', '{\"period\": \"2026-11\", \"added\": 3, \"rows\": 3, "
	         "\"amount\": 1050006}'); "
	         "INSERT INTO payout_batch (batch_no, bank, period, kind, created, item_count, "
	         "total, state) VALUES (7, 'icbc', 202611, 'regular', '20261127090000', 2, 700003, "
	         "'sent'), (8, 'boc', 202611, 'regular', '20261127090000', 1, 350003, 'sent'); "
	         "COMMIT");
}

/* Both batches closed with their booked result files, in one transaction with @digest_sql. */
static void
close_payout_batches(Fixture *fixture, const gchar *digest_sql)
{
	g_autofree gchar *sql = g_strdup_printf(
	        "BEGIN; UPDATE payout_batch SET state = 'closed', profile = 'ph-bank-1', "
	        "file_name = 'PAYOUT_110100000001_202611_' || lpad(batch_no::text, 10, '0') || "
	        "'.txt', digest = 'SM3 ' || repeat(batch_no::text, 64), "
	        "sent_at = now(), closed_at = now(); "
	        "INSERT INTO payout_result_file (bank, name, size, digest, batch_no, verdict, "
	        "paid_count, paid_total, failed_count, failed_total) VALUES "
	        "('icbc', 'RESULT_7.txt', 310, 'SM3 aa', 7, 'booked', 2, 700003, 0, 0), "
	        "('boc', 'RESULT_8.txt', 160, 'SM3 bb', 8, 'booked', 0, 0, 1, 350003); %sCOMMIT",
	        digest_sql != NULL ? digest_sql : "");
	exec_sql(fixture, sql);
}

/* With a key file, the stored file at @path is sealed: a .gcm file that begins with the
 * sealed format's magic and holds none of @content's bytes in the clear. Without one it is the
 * plaintext itself. */
static void
assert_kept_at_rest(Fixture *fixture, const gchar *path, const gchar *content)
{
	g_autofree gchar *stored = NULL;
	gsize length = 0;
	g_assert_true(g_file_get_contents(path, &stored, &length, NULL));
	if (!fixture->sealed) {
		g_assert_cmpstr(stored, ==, content);
		return;
	}
	g_assert_true(g_str_has_suffix(path, PH_DOCUMENT_SEALED_SUFFIX));
	g_assert_cmpmem(stored, PH_DOCUMENT_MAGIC_LEN, PH_DOCUMENT_MAGIC, PH_DOCUMENT_MAGIC_LEN);
	/* "6222020200000000001", an account number of the file */
	g_assert_null(g_strstr_len(stored, (gssize)length, "6222020200000000001"));
}

/* A payout run (its event payout_due and two bank batches, in one transaction as pensionctl
 * payout run writes them; test-bank runs the real thing): the package waits until both
 * batches are closed, then holds per batch the record of its payout file and booked result
 * file, and the bytes of the files the bank adapter kept (batch 7: payout, done, result; batch
 * 8 from before files were kept: its record only), exactly: the manifest's SHA-256 of each is
 * the kept content's, and pensionctl archive verify checks every member against it. With a key
 * file the same, from files sealed at rest: the archive is the partner that must read them
 * (docs/formats/archive.md, "the files themselves as the bank adapter kept them"), so the
 * package holds their plaintext. */
static void
test_payout_batches(Fixture *fixture, gconstpointer data)
{
	open_payout_run(fixture);
	const gchar *case_id = "payout_due:2026-11#1";
	wait_archive_row(fixture, case_id, "attempts >= 2");
	assert_not_archived(fixture, case_id, "pending", "waiting until payout batch 7 is closed");

	g_autofree gchar *digest_sql = NULL;
	g_autofree gchar *kept_payout = keep_payout_files(fixture, &digest_sql);
	assert_kept_at_rest(fixture, kept_payout, payout_kept[0].content);
	close_payout_batches(fixture, digest_sql);
	/* the event, the two batch records and batch 7's three files */
	g_autofree gchar *package = stored_package_text(fixture, case_id, 6);
	g_free(check_archived(fixture, case_id, "payout", 6));
	const gchar *expected[] = {
	        "documents/payout-batch-0000000007.json",
	        "documents/payout-batch-0000000008.json",
	        "role=\"generated\" elementCode=\"AAE002\"",
	        "\"file_name\" : \"PAYOUT_110100000001_202611_0000000007.txt\"",
	        "\"file_digest\" : \"SM3 8888888888",
	        "\"name\" : \"RESULT_8.txt\"",
	        "\"failed_total\" : 350003",
	        "name=\"documents/outbound-bank-PAYOUT_110100000001_202611_0000000007.txt\" "
	        "role=\"outbound\" elementCode=\"AAE002\"",
	        "name=\"documents/outbound-bank-PAYOUT_110100000001_202611_0000000007.txt.ok\" "
	        "role=\"outbound\"",
	        "name=\"documents/inbound-bank-RESULT_7.txt\" role=\"inbound\"",
	        payout_kept[0].content,
	        payout_kept[2].content,
	};
	for (guint i = 0; i < G_N_ELEMENTS(expected); i++) {
		if (strstr(package, expected[i]) == NULL)
			g_test_message("missing: %s", expected[i]);
		g_assert_nonnull(strstr(package, expected[i]));
	}
	for (guint i = 0; i < G_N_ELEMENTS(payout_kept); i += 2) {
		const gchar *content = payout_kept[i].content;
		g_autofree gchar *sha256 =
		        ph_digest_hex(PH_DIGEST_SHA256, content, strlen(content));
		g_autofree gchar *fixity = g_strdup_printf(
		        "size=\"%" G_GSIZE_FORMAT "\" sha256=\"%s\"", strlen(content), sha256);
		g_assert_nonnull(strstr(package, fixity));
	}
}

/* A kept file changed on disk after it was kept: the package is never built from it; the
 * delivery is a dead letter naming the file and the SHA-256 that differs, or with a key file
 * the sealed chunk that does not authenticate (a byte of its ciphertext flipped). */
static void
test_payout_kept_corrupted(Fixture *fixture, gconstpointer data)
{
	open_payout_run(fixture);
	g_autofree gchar *digest_sql = NULL;
	g_autofree gchar *stored = keep_payout_files(fixture, &digest_sql);
	g_autofree gchar *content = NULL;
	gsize length = 0;
	g_assert_true(g_file_get_contents(stored, &content, &length, NULL));
	content[length / 2] ^= 0x01;
	g_assert_true(g_file_set_contents(stored, content, (gssize)length, NULL));
	close_payout_batches(fixture, digest_sql);
	const gchar *case_id = "payout_due:2026-11#1";
	wait_dead(fixture, case_id);
	g_autofree gchar *store_file = g_path_get_basename(stored);
	assert_not_archived(fixture, case_id, "dead", store_file);
	assert_not_archived(fixture, case_id, "dead",
	                    fixture->sealed ? "chunk 0 does not authenticate"
	                                    : "differs from the recorded");
}

static void
check_sftp_folder(Fixture *fixture, const gchar *case_id)
{
	g_autofree gchar *shown = archive_show_ok(fixture, case_id);
	g_autofree gchar *package_id = show_field(shown, "package");
	g_autofree gchar *sha256 = show_field(shown, "sha256");
	g_autofree gchar *name = g_strconcat(package_id, ".tar", NULL);
	g_autofree gchar *path = g_build_filename(fixture->sftp_inbox, name, NULL);
	g_autofree gchar *data = NULL;
	gsize length = 0;
	g_autoptr(GError) error = NULL;
	g_file_get_contents(path, &data, &length, &error);
	g_assert_no_error(error);
	g_autofree gchar *uploaded =
	        g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)data, length);
	g_assert_cmpstr(uploaded, ==, sha256);
	g_autofree gchar *part = g_strconcat(path, ".part", NULL);
	g_assert_false(g_file_test(part, G_FILE_TEST_EXISTS));
	g_autofree gchar *receipt_name = g_strconcat(package_id, ".receipt", NULL);
	g_autofree gchar *receipt_path = g_build_filename(fixture->sftp_inbox, receipt_name, NULL);
	g_autofree gchar *receipt = NULL;
	g_file_get_contents(receipt_path, &receipt, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(strstr(receipt, "\"receipt_id\":\"AR-000001\""));
}

static void
test_sftp_delivered(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *case_id = close_death_case(fixture);
	wait_delivered(fixture, case_id);
	g_free(check_archived(fixture, case_id, "death", 1));
	check_sftp_folder(fixture, case_id);
}

/* The archive's SFTP server is down: refused connections are retried by the outbox, shown
 * as pending with the last error; once it is back the package goes and its receipt is kept. */
static void
test_sftp_down_retried(Fixture *fixture, gconstpointer data)
{
	ph_test_sshd_stop(fixture->sshd);
	g_autofree gchar *case_id = close_death_case(fixture);
	wait_archive_row(fixture, case_id, "attempts >= 3");
	assert_not_archived(fixture, case_id, "pending", "sftp");

	ph_test_sshd_start(fixture->sshd);
	wait_delivered(fixture, case_id);
	g_free(check_archived(fixture, case_id, "death", 1));
	check_sftp_folder(fixture, case_id);
}

/* An archive whose receipt file holds no receipt id: a dead letter at once, its words in the
 * error. */
static void
test_sftp_no_receipt(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *case_id = close_death_case(fixture);
	wait_dead(fixture, case_id);
	assert_not_archived(fixture, case_id, "dead", ".receipt {}: ");
}

/* Other bytes already under the package's final name on the server (not ours; the archive is
 * down, so it does not take them either): never overwritten, a dead letter for an operator;
 * the file keeps its bytes. */
static void
test_sftp_never_overwritten(Fixture *fixture, gconstpointer data)
{
	/* the package id AAB034-EVENT_ID: the test hub's agency, the database's first event */
	g_autofree gchar *path = g_build_filename(fixture->sftp_inbox, "110100000001-1.tar", NULL);
	g_autoptr(GError) error = NULL;
	g_file_set_contents(path, "someone else's file\n", -1, &error);
	g_assert_no_error(error);
	g_autofree gchar *case_id = close_death_case(fixture);
	wait_dead(fixture, case_id);
	assert_not_archived(fixture, case_id, "dead", "never overwritten");
	g_autofree gchar *kept = NULL;
	g_file_get_contents(path, &kept, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(kept, ==, "someone else's file\n");
	g_autofree gchar *part = g_strconcat(path, ".part", NULL);
	g_assert_false(g_file_test(part, G_FILE_TEST_EXISTS));
}

int
main(int argc, char **argv)
{
	static const gchar *const down[] = {"--down", NULL};
	static const gchar *const no_receipt[] = {"--no-receipt", NULL};
	g_test_init(&argc, &argv, NULL);
	g_test_add("/archive/delivered-once", Fixture, NULL, fixture_set_up, test_delivered_once,
	           fixture_tear_down);
	g_test_add("/archive/transfer-messages", Fixture, NULL, fixture_set_up,
	           test_transfer_messages, fixture_tear_down);
	g_test_add("/archive/no-receipt", Fixture, no_receipt, fixture_set_up, test_no_receipt,
	           fixture_tear_down);
	g_test_add("/archive/down-retried", Fixture, down, fixture_set_up, test_down_retried,
	           fixture_tear_down);
	g_test_add("/archive/personnel-sources", Fixture, NULL, fixture_set_up,
	           test_personnel_sources, fixture_tear_down);
	g_test_add("/archive/medical-notice", Fixture, NULL, fixture_set_up_medical,
	           test_medical_notice, fixture_tear_down);
	g_test_add("/archive/payout-kept-corrupted", Fixture, NULL, fixture_set_up,
	           test_payout_kept_corrupted, fixture_tear_down);
	g_test_add("/archive/payout-batches", Fixture, NULL, fixture_set_up, test_payout_batches,
	           fixture_tear_down);
	g_test_add("/archive/sealed/payout-kept-corrupted", Fixture, NULL, fixture_set_up_sealed,
	           test_payout_kept_corrupted, fixture_tear_down);
	g_test_add("/archive/sealed/payout-batches", Fixture, NULL, fixture_set_up_sealed,
	           test_payout_batches, fixture_tear_down);
	g_test_add("/archive/sftp/delivered", Fixture, NULL, fixture_set_up_sftp,
	           test_sftp_delivered, fixture_tear_down);
	g_test_add("/archive/sftp/down-retried", Fixture, NULL, fixture_set_up_sftp,
	           test_sftp_down_retried, fixture_tear_down);
	g_test_add("/archive/sftp/no-receipt", Fixture, no_receipt, fixture_set_up_sftp,
	           test_sftp_no_receipt, fixture_tear_down);
	g_test_add("/archive/sftp/never-overwritten", Fixture, down, fixture_set_up_sftp,
	           test_sftp_never_overwritten, fixture_tear_down);
	return g_test_run();
}
