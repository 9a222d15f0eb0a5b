/* The transfer adapter end to end (issue 6 §5): a real daemon with plugins/transfer, the
 * platform simulator tests/peers/transfer-sim over real mTLS both ways, and documents signed
 * here for every refusal of ../shared/formats/transfer.md. */
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pension-hub.h"
#include "ph-core-api.h"
#include "ph-test-db.h"
#include "ph-test-hub.h"
#include "ph-txn.h"

#define HUB_AGENCY "110100000001"
#define SIM_AGENCY "330100000001"
#define PATH       "/transfer/v1/messages"
#define ID_1970    "110105197002020094" /* valid check digit (core tests) */
#define ID_1980    "110105198001010016"
#define MAX_BYTES  65536

typedef struct {
	PhTestDb *db;
	PhTestHub *hub;
	guint sim_port;
	GPid sim_pid;
	gchar *events;
} Fixture;

/* ---- set-up ---- */

static gchar *
plugin_config(Fixture *fixture, const gchar *pki, gboolean wildcard, guint retry_initial_ms,
              guint max_attempts)
{
	return g_strdup_printf(
	        "[client-tls]\ncertificate = %s/hub.crt\nkey = %s/hub.key\n\n"
	        "[plugin transfer]\nplatform_url = https://127.0.0.1:%u" PATH "\n"
	        "platform_ca = %s/ca.crt\nsigning_key = %s/hub.key\n"
	        "signing_certificate = %s/hub.crt\nsigners = %s=%s/transfer-platform.crt\n"
	        "max_message_bytes = %d\nretry_initial_ms = %u\nmax_attempts = %u\n",
	        pki, pki, fixture->sim_port, pki, pki, pki, wildcard ? "*" : SIM_AGENCY, pki,
	        MAX_BYTES, retry_initial_ms, max_attempts);
}

static void
fixture_set_up(Fixture *fixture, gconstpointer data)
{
	fixture->db = ph_test_db_new();
	fixture->sim_port = ph_test_free_port();
	fixture->hub = ph_test_hub_new(ph_test_db_get_url(fixture->db), NULL, NULL);
	g_autofree gchar *extra = plugin_config(fixture, fixture->hub->pki, FALSE, 200, 50);
	ph_test_hub_write_config(fixture->hub, extra);
	g_autofree gchar *target = g_build_filename(g_getenv("PH_BUILD_DIR"), "plugins", "transfer",
	                                            "libph-transfer.so", NULL);
	g_autofree gchar *link =
	        g_build_filename(fixture->hub->dir, "plugins", "libph-transfer.so", NULL);
	g_assert_cmpint(symlink(target, link), ==, 0);
	fixture->events = g_build_filename(fixture->hub->dir, "sim-events.log", NULL);
	ph_test_hub_start(fixture->hub);
}

static void
sim_stop(Fixture *fixture)
{
	if (fixture->sim_pid == 0)
		return;
	kill(fixture->sim_pid, SIGTERM);
	waitpid(fixture->sim_pid, NULL, 0);
	g_spawn_close_pid(fixture->sim_pid);
	fixture->sim_pid = 0;
}

static void
fixture_tear_down(Fixture *fixture, gconstpointer data)
{
	sim_stop(fixture);
	g_clear_pointer(&fixture->hub, ph_test_hub_free);
	g_clear_pointer(&fixture->db, ph_test_db_free);
	g_free(fixture->events);
}

static gchar *
read_events(Fixture *fixture)
{
	gchar *text = NULL;
	if (!g_file_get_contents(fixture->events, &text, NULL, NULL))
		return g_strdup("");
	return text;
}

/* Waits until the simulator logged a line containing every one of @parts. */
static gchar *
wait_for_event(Fixture *fixture, const gchar *const *parts)
{
	for (guint i = 0; i < 300; i++) {
		g_autofree gchar *text = read_events(fixture);
		g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
		for (guint line = 0; lines[line] != NULL; line++) {
			gboolean all = TRUE;
			for (guint part = 0; parts[part] != NULL && all; part++)
				all = strstr(lines[line], parts[part]) != NULL;
			if (all)
				return g_strdup(lines[line]);
		}
		g_usleep(100 * 1000);
	}
	g_autofree gchar *text = read_events(fixture);
	g_error("no simulator event with '%s' in:\n%s", parts[0], text);
}

static void
sim_start(Fixture *fixture, const gchar *const *options)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(argv, g_build_filename(g_getenv("PH_BUILD_DIR"), "tests", "peers",
	                                       "transfer-sim", "transfer-sim", NULL));
	g_ptr_array_add(argv, g_strdup_printf("--port=%u", fixture->sim_port));
	g_ptr_array_add(argv, g_strdup_printf("--hub-url=https://127.0.0.1:%u" PATH,
	                                      fixture->hub->partner_port));
	g_ptr_array_add(argv, g_strdup_printf("--pki=%s", fixture->hub->pki));
	g_ptr_array_add(argv, g_strdup_printf("--events=%s", fixture->events));
	for (guint i = 0; options != NULL && options[i] != NULL; i++)
		g_ptr_array_add(argv, g_strdup(options[i]));
	g_ptr_array_add(argv, NULL);
	g_unlink(fixture->events);
	/* Its output goes to a file: an orphan left by a failed test must not hold the test's
	 * pipes open. */
	g_autofree gchar *log = g_build_filename(fixture->hub->dir, "sim.log", NULL);
	gint log_fd = g_open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	g_assert_cmpint(log_fd, >=, 0);
	g_spawn_async_with_fds(NULL, (gchar **)argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL,
	                       NULL, &fixture->sim_pid, -1, log_fd, log_fd, &error);
	close(log_fd);
	g_assert_no_error(error);
	const gchar *ready[] = {"READY", NULL};
	g_autofree gchar *line = wait_for_event(fixture, ready);
}

/* A member enrolled here (unit U0001 from 2024-01) through the core's SDK commands. */
static void
enrol(Fixture *fixture, const gchar *id_number, const gchar *birth, const gchar *effective)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhDb) db = ph_test_db_connect(fixture->db);
	g_autoptr(PhTxn) txn = ph_txn_begin(db, NULL, &error);
	g_assert_no_error(error);
	PhCommandOutcome outcome = {0};
	PhUnitRequest unit = {"U0001", "某市财政局", NULL, "55", "110105", "full"};
	g_assert_true(ph_core_register_unit(txn, &unit, &outcome, &error));
	g_assert_no_error(error);
	ph_core_outcome_clear(&outcome);
	PhEnrolRequest hire = {.id_number = id_number,
	                       .name = "李四",
	                       .sex = "1",
	                       .birth_date = birth,
	                       .unit_code = "U0001",
	                       .effective = effective,
	                       .wage = 750000};
	g_assert_true(ph_core_enrol(txn, &hire, &outcome, &error));
	g_assert_no_error(error);
	ph_core_outcome_clear(&outcome);
	g_assert_true(ph_txn_commit(txn, &error));
	g_assert_no_error(error);
}

/* Contribution rows here (a monthly run's, base 7,500.00) of the one member for @periods
 * ("YYYYMM,YYYYMM,…"). */
static void
contribute(Fixture *fixture, const gchar *periods)
{
	g_autofree gchar *run = g_strdup_printf(
	        "INSERT INTO contribution (person_id, period, unit_code, wage, base, employer, "
	        "individual, annuity_employer, annuity_individual, account_credit, annuity_credit) "
	        "SELECT person_id, p, 'U0001', 750000, 750000, 120000, 60000, 60000, 30000, 60000, "
	        "90000 FROM person, unnest(ARRAY[%s]) p",
	        periods);
	PGconn *conn = PQconnectdb(ph_test_db_get_url(fixture->db));
	PGresult *result = PQexec(conn, run);
	g_assert_cmpint(PQresultStatus(result), ==, PGRES_COMMAND_OK);
	PQclear(result);
	PQfinish(conn);
}

static gchar *
query(Fixture *fixture, const gchar *sql)
{
	return ph_test_query_value(ph_test_db_get_url(fixture->db), sql);
}

static gchar *
wait_value(Fixture *fixture, const gchar *sql, const gchar *expected)
{
	return ph_test_wait_for_value(ph_test_db_get_url(fixture->db), sql, expected, 30000);
}

/* ---- documents signed here ---- */

static gchar *
sent_at(gint64 offset_seconds)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autoptr(GDateTime) then = g_date_time_add_seconds(now, (gdouble)offset_seconds);
	return g_date_time_format(then, "%Y-%m-%dT%H:%M:%SZ");
}

static gchar *
fund_document(const gchar *msg_id, const gchar *receiver, const gchar *when, const gchar *amount)
{
	return g_strdup_printf(
	        "<TransferMessage xmlns=\"urn:pension-hub:transfer:1\"><Header><MsgId>%s</MsgId>"
	        "<MsgType>FUND</MsgType><CaseId>XF-UNKNOWN-1</CaseId><Sender>" SIM_AGENCY
	        "</Sender>"
	        "<SenderRegion>330100</SenderRegion><Receiver>%s</Receiver>"
	        "<ReceiverRegion>110100</ReceiverRegion><SentAt>%s</SentAt></Header><Body>"
	        "<AIC102>%s</AIC102><AIC099>%s</AIC099><AIC103>0.00</AIC103>"
	        "<AnnuityAmount>0.00</AnnuityAmount><BankReference>B-1</BankReference>"
	        "<ValueDate>20261127</ValueDate></Body></TransferMessage>",
	        msg_id, receiver, when, amount, amount);
}

static gchar *
sign_with(const gchar *dir, const gchar *name, const gchar *text)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *key = g_strdup_printf("%s/%s.key", dir, name);
	g_autofree gchar *certificate = g_strdup_printf("%s/%s.crt", dir, name);
	g_autoptr(PhXmlSigner) signer = ph_xml_signer_new(key, certificate, &error);
	g_assert_no_error(error);
	g_autoptr(GBytes) bytes = g_bytes_new(text, strlen(text));
	g_autoptr(GBytes) signed_bytes = ph_xml_signer_sign(signer, bytes, &error);
	g_assert_no_error(error);
	return g_strndup(g_bytes_get_data(signed_bytes, NULL), g_bytes_get_size(signed_bytes));
}

/* An unsigned document of the other side (SIM_AGENCY, 330100) to the hub, sent now, with
 * @body_xml as its Body. */
static gchar *
platform_document(const gchar *msg_id, const gchar *type, const gchar *case_id,
                  const gchar *body_xml)
{
	g_autofree gchar *now = sent_at(0);
	return g_strdup_printf(
	        "<TransferMessage xmlns=\"urn:pension-hub:transfer:1\"><Header><MsgId>%s</MsgId>"
	        "<MsgType>%s</MsgType><CaseId>%s</CaseId><Sender>" SIM_AGENCY "</Sender>"
	        "<SenderRegion>330100</SenderRegion><Receiver>" HUB_AGENCY "</Receiver>"
	        "<ReceiverRegion>110100</ReceiverRegion><SentAt>%s</SentAt></Header><Body>%s"
	        "</Body></TransferMessage>",
	        msg_id, type, case_id, now, body_xml);
}

/* A LETTER body asking for the member @id_number (EAC071 = 2). */
#define LETTER_BODY(id_number, birth)                                                              \
	"<Person><AAC002>" id_number "</AAC002><AAC003>李四</AAC003><AAC004>1</AAC004>"          \
	"<AAC006>" birth "</AAC006></Person><AAE140>120</AAE140><EAC071>2</EAC071>"                \
	"<OAA027>330100</OAA027><AAC077>x</AAC077>"

/* A FUND body and a RECEIPT body of the other side. */
#define FUND_BODY                                                                                  \
	"<AIC102>1.00</AIC102><AIC099>1.00</AIC099><AIC103>0.00</AIC103>"                          \
	"<AnnuityAmount>0.00</AnnuityAmount><BankReference>B-1</BankReference>"                    \
	"<ValueDate>20261127</ValueDate>"
#define RECEIPT_BODY "<AckMsgId>X-1</AckMsgId><ResultCode>OK</ResultCode>"

/* An expired certificate of the dev CA (2020), made with the OpenSSL CLI. */
static void
make_expired(const gchar *pki, const gchar *dir)
{
	g_autofree gchar *script = g_strdup_printf(
	        "set -e; cd '%s'; mkdir -p db; touch db/index.txt; echo 1000 > db/serial;"
	        "printf '[ca]\\ndefault_ca=t\\n[t]\\ndatabase=db/index.txt\\nserial=db/serial\\n"
	        "new_certs_dir=db\\ndefault_md=sha256\\npolicy=p\\n[p]\\ncommonName=supplied\\n' > "
	        "ca.cnf;"
	        "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out expired.key "
	        "2>/dev/null;"
	        "openssl req -new -key expired.key -subj /CN=transfer-platform -out expired.csr;"
	        "openssl ca -batch -config ca.cnf -cert '%s/ca.crt' -keyfile '%s/ca.key' -in "
	        "expired.csr"
	        " -startdate 20200101000000Z -enddate 20210101000000Z -notext -out expired.crt "
	        "2>/dev/null",
	        dir, pki, pki);
	const gchar *argv[] = {"bash", "-c", script, NULL};
	gint status = 0;
	g_autoptr(GError) error = NULL;
	g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
	             &status, &error);
	g_assert_no_error(error);
	g_assert_true(g_spawn_check_wait_status(status, &error));
	g_assert_no_error(error);
}

typedef struct {
	const gchar *name;
	glong status;
	const gchar *verdict; /* in the Ack */
} Expect;

static void
post_expect(Fixture *fixture, const Expect *expect, const gchar *body)
{
	g_autofree gchar *answer = NULL;
	glong status =
	        ph_test_hub_post(fixture->hub, "transfer-platform", PATH, NULL, body, &answer);
	g_autofree gchar *status_tag = g_strdup_printf("<Status>%s</Status>", expect->verdict);
	if (status != expect->status || strstr(answer, status_tag) == NULL)
		g_error("%s: expected %ld %s, got %ld %s", expect->name, expect->status,
		        expect->verdict, status, answer);
}

/* Every answer of the table in transfer.md, in the order the door checks. */
static void
test_refusals(Fixture *fixture, gconstpointer data)
{
	const gchar *pki = fixture->hub->pki;
	g_autofree gchar *now = sent_at(0);
	g_autofree gchar *plain = fund_document("F-1", HUB_AGENCY, now, "100.00");
	g_autofree gchar *good = sign_with(pki, "transfer-platform", plain);

	const Expect accepted = {"first arrival", 202, "ACCEPTED"};
	post_expect(fixture, &accepted, good);
	const Expect duplicate = {"same MsgId, same bytes", 200, "DUPLICATE"};
	post_expect(fixture, &duplicate, good);
	g_autofree gchar *other_plain = fund_document("F-1", HUB_AGENCY, now, "100.01");
	g_autofree gchar *other = sign_with(pki, "transfer-platform", other_plain);
	const Expect conflict = {"same MsgId, other bytes", 409, "CONFLICT"};
	post_expect(fixture, &conflict, other);

	/* The signature no longer covers an altered amount. */
	g_auto(GStrv) parts = g_strsplit(good, "<AIC099>100.00", 2);
	g_autofree gchar *tampered = g_strjoin("<AIC099>900.00", parts[0], parts[1], NULL);
	const Expect bad_signature = {"tampered body", 400, "SIGNATURE_INVALID"};
	post_expect(fixture, &bad_signature, tampered);
	g_autofree gchar *unsigned_plain = fund_document("F-2", HUB_AGENCY, now, "1.00");
	const Expect missing = {"no signature", 400, "SIGNATURE_INVALID"};
	post_expect(fixture, &missing, unsigned_plain);
	/* A valid signature by a certificate of the same CA that is not the sender's. */
	g_autofree gchar *by_personnel = sign_with(pki, "personnel", unsigned_plain);
	const Expect not_sender = {"not the sender's certificate", 400, "SIGNATURE_INVALID"};
	post_expect(fixture, &not_sender, by_personnel);
	g_autofree gchar *by_rogue = sign_with(pki, "rogue", unsigned_plain);
	const Expect untrusted = {"untrusted certificate", 400, "SIGNATURE_INVALID"};
	post_expect(fixture, &untrusted, by_rogue);
	g_autofree gchar *expired_dir = g_build_filename(fixture->hub->dir, "expired", NULL);
	g_mkdir(expired_dir, 0700);
	make_expired(pki, expired_dir);
	g_autofree gchar *by_expired = sign_with(expired_dir, "expired", unsigned_plain);
	const Expect expired = {"expired certificate", 400, "SIGNATURE_INVALID"};
	post_expect(fixture, &expired, by_expired);

	/* An hour ahead: more than the window away from now, yet within the certificate's
	 * validity even when the dev PKI was made a minute ago (the signature is checked
	 * before SentAt, so a time before the certificate would be SIGNATURE_INVALID). */
	g_autofree gchar *old = sent_at(3600);
	g_autofree gchar *stale_plain = fund_document("F-3", HUB_AGENCY, old, "1.00");
	g_autofree gchar *stale = sign_with(pki, "transfer-platform", stale_plain);
	const Expect stale_expect = {"stale SentAt", 400, "EXPIRED"};
	post_expect(fixture, &stale_expect, stale);
	g_autofree gchar *elsewhere_plain = fund_document("F-4", "999900000001", now, "1.00");
	g_autofree gchar *elsewhere = sign_with(pki, "transfer-platform", elsewhere_plain);
	const Expect not_for_us = {"other Receiver", 400, "NOT_FOR_US"};
	post_expect(fixture, &not_for_us, elsewhere);

	const Expect schema = {"hostile or invalid XML", 400, "SCHEMA_INVALID"};
	post_expect(
	        fixture, &schema,
	        "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
	        "<TransferMessage xmlns=\"urn:pension-hub:transfer:1\">&x;</TransferMessage>");
	post_expect(
	        fixture, &schema,
	        "<!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">"
	        "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;\">]>"
	        "<l>&d;&d;&d;&d;&d;&d;&d;&d;</l>");
	g_auto(GStrv) halves = g_strsplit(plain, "<ValueDate>20261127</ValueDate>", 2);
	g_autofree gchar *incomplete = g_strjoin("", halves[0], halves[1], NULL);
	post_expect(fixture, &schema, incomplete);
	g_autofree gchar *huge = g_strnfill(MAX_BYTES + 1, ' ');
	const Expect too_large = {"over the size limit", 413, "TOO_LARGE"};
	post_expect(fixture, &too_large, huge);

	/* 12 refusals above (the 409 included), each with its bytes and reason. */
	g_autofree gchar *refusals = query(fixture, "SELECT count(*) FROM inbox_refusal");
	g_assert_cmpstr(refusals, ==, "12");
	g_autofree gchar *with_bytes = query(
	        fixture,
	        "SELECT count(*) FROM inbox_refusal WHERE octet_length(body) > 0 AND "
	        "reason ~ "
	        "'^(CONFLICT|SIGNATURE_INVALID|EXPIRED|NOT_FOR_US|SCHEMA_INVALID|TOO_LARGE): '");
	g_assert_cmpstr(with_bytes, ==, "12");
	g_autofree gchar *stored = query(fixture, "SELECT count(*) FROM inbox");
	g_assert_cmpstr(stored, ==, "1");

	/* No client certificate: refused in the handshake; another partner's: 403. */
	g_assert_cmpint(ph_test_hub_post(fixture->hub, NULL, PATH, NULL, good, NULL), ==, 0);
	g_assert_cmpint(ph_test_hub_post(fixture->hub, "medical", PATH, NULL, good, NULL), ==, 403);
}

/* A LETTER whose AAC002 fails the schema (a blank before a real number): the refusal
 * names the value as libxml2 reports it, yet the number must appear only masked in the
 * answer, the recorded reason and the log (docs/security.md, "Logs"). */
static void
test_refusal_masks_id(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *letter = platform_document("L-BLANK", "LETTER", "XF-BLANK-1",
	                                             LETTER_BODY(" " ID_1980, "19800101"));
	g_autofree gchar *answer = NULL;
	glong status =
	        ph_test_hub_post(fixture->hub, "transfer-platform", PATH, NULL, letter, &answer);
	g_assert_cmpint(status, ==, 400);
	g_assert_nonnull(strstr(answer, "<Status>SCHEMA_INVALID</Status>"));
	/* ph_mask_id_number: the first six and the last four characters */
	g_assert_nonnull(strstr(answer, "110105********0016"));
	g_assert_null(strstr(answer, ID_1980));
	g_autofree gchar *reason = query(fixture, "SELECT reason FROM inbox_refusal");
	g_assert_nonnull(strstr(reason, "110105********0016"));
	g_assert_null(strstr(reason, ID_1980));
	g_autofree gchar *log = NULL;
	g_assert_true(g_file_get_contents(fixture->hub->log_path, &log, NULL, NULL));
	g_assert_nonnull(strstr(log, "refused SCHEMA_INVALID"));
	g_assert_null(strstr(log, ID_1980));
}

/* Each MsgType with another type's body: the XSD takes any body under any MsgType and
 * leaves the pairing to the adapter, so the door refuses it as SCHEMA_INVALID (transfer.md
 * "Body by type") before anything is stored. */
static void
test_refusal_body_type(Fixture *fixture, gconstpointer data)
{
	const gchar *const cases[][2] = {
	        {"LETTER", FUND_BODY},
	        {"INFO", LETTER_BODY(ID_1970, "19700202")},
	        {"FUND", RECEIPT_BODY},
	        {"RECEIPT", FUND_BODY},
	        {"CERT", LETTER_BODY(ID_1970, "19700202")},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *msg_id = g_strdup_printf("BODY-%u", i);
		g_autofree gchar *plain =
		        platform_document(msg_id, cases[i][0], "XF-BODY-1", cases[i][1]);
		g_autofree gchar *signed_plain =
		        sign_with(fixture->hub->pki, "transfer-platform", plain);
		const Expect schema = {cases[i][0], 400, "SCHEMA_INVALID"};
		post_expect(fixture, &schema, signed_plain);
	}
	g_autofree gchar *stored = query(fixture, "SELECT count(*) FROM inbox");
	g_assert_cmpstr(stored, ==, "0");
	g_autofree gchar *refused = query(fixture, "SELECT count(*) FROM inbox_refusal WHERE "
	                                           "reason LIKE 'SCHEMA_INVALID: %'");
	g_assert_cmpstr(refused, ==, "5");
}

/* ---- full cases against the simulator ---- */

/* Runs `pensionctl --config HUB transfer ARGS…` (NULL-terminated); its output. */
/* pensionctl with @args (NULL-terminated) after --config; its standard output. */
static gchar *
pensionctl_run(Fixture *fixture, GPtrArray *args)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(argv,
	                g_build_filename(g_getenv("PH_BUILD_DIR"), "hub", "pensionctl", NULL));
	g_ptr_array_add(argv, g_strdup("--config"));
	g_ptr_array_add(argv, g_strdup(fixture->hub->config_path));
	for (guint i = 0; i < args->len; i++)
		g_ptr_array_add(argv, g_strdup(args->pdata[i]));
	g_ptr_array_add(argv, NULL);
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	gint status = 0;
	g_autoptr(GError) error = NULL;
	g_spawn_sync(NULL, (gchar **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
	             &status, &error);
	g_assert_no_error(error);
	if (!g_spawn_check_wait_status(status, NULL))
		g_error("pensionctl %s %s: %s", (gchar *)args->pdata[0], (gchar *)args->pdata[1],
		        err);
	return g_steal_pointer(&out);
}

static gchar *
pensionctl(Fixture *fixture, const gchar *first, ...)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	g_ptr_array_add(args, (gpointer) "transfer");
	va_list list;
	va_start(list, first);
	for (const gchar *arg = first; arg != NULL; arg = va_arg(list, const gchar *))
		g_ptr_array_add(args, (gpointer)arg);
	va_end(list);
	return pensionctl_run(fixture, args);
}

static gchar *
start_transfer_in(Fixture *fixture, const gchar *id_number)
{
	gchar *out = pensionctl(fixture, "start", "--person", id_number, "--from-region", "330100",
	                        NULL);
	return g_strstrip(out);
}

static void
check_transfer_in(Fixture *fixture, const gchar *case_id, const gchar *state)
{
	g_autofree gchar *sql = g_strdup_printf(
	        "SELECT state FROM transfer_exchange WHERE case_id = '%s'", case_id);
	g_autofree gchar *final = wait_value(fixture, sql, state);
	g_assert_cmpstr(final, ==, state);
}

/* A member enrolled here, the simulator started with @options, and a clerk's transfer in
 * of the member from region 330100: the case id. */
static gchar *
open_transfer_in(Fixture *fixture, const gchar *const *options)
{
	enrol(fixture, ID_1980, "19800101", "20240101");
	sim_start(fixture, options);
	return start_transfer_in(fixture, ID_1980);
}

static void
test_transfer_in(Fixture *fixture, gconstpointer data)
{
	const gchar *const *options = data;
	g_autofree gchar *case_id = open_transfer_in(fixture, options);
	const gchar *letter[] = {"RECEIVED LETTER", case_id, NULL};
	g_autofree gchar *line = wait_for_event(fixture, letter);
	check_transfer_in(fixture, case_id, "COMPLETED");
	const gchar *receipt[] = {"RECEIVED RECEIPT", case_id, "OK", NULL};
	g_autofree gchar *receipt_line = wait_for_event(fixture, receipt);

	/* The simulator's INFO: 24 months at 6,000.00; AIC103 17,280.00, AIC099 12,345.67
	 * (yuan) — applied exactly in fen, once. */
	g_autofree gchar *sql = g_strdup_printf(
	        "SELECT months || ' ' || pooled_fund || ' ' || account_balance FROM transfer_case "
	        "WHERE case_id = '%s'",
	        case_id);
	g_autofree gchar *amounts = query(fixture, sql);
	g_assert_cmpstr(amounts, ==, "24 1728000 1234567");
	g_autofree gchar *months = query(fixture, "SELECT count(*) || ' ' || sum(base) FROM "
	                                          "contribution WHERE source = 'T'");
	g_assert_cmpstr(months, ==, "24 14400000");
	g_autofree gchar *entries = query(
	        fixture,
	        "SELECT count(*) || ' ' || sum(account_amount) FROM account_entry WHERE kind = "
	        "'transfer_in'");
	g_assert_cmpstr(entries, ==, "1 1234567");
	g_autofree gchar *trace_sql = g_strdup_printf(
	        "SELECT string_agg(direction || ':' || msg_type || ':' || verdict, ',' ORDER BY "
	        "id) "
	        "FROM transfer_message WHERE case_id = '%s' AND msg_type IN ('LETTER', 'RECEIPT')",
	        case_id);
	g_autofree gchar *trace =
	        wait_value(fixture, trace_sql, "out:LETTER:DELIVERED,out:RECEIPT:DELIVERED");
	g_assert_cmpstr(trace, ==, "out:LETTER:DELIVERED,out:RECEIPT:DELIVERED");

	/* As a clerk sees it. */
	g_autofree gchar *listed = pensionctl(fixture, "list", "--state", "COMPLETED", NULL);
	g_assert_nonnull(strstr(listed, case_id));
	g_autofree gchar *none = pensionctl(fixture, "list", "--state", "LETTER_SENT", NULL);
	g_assert_null(strstr(none, case_id));
	g_autofree gchar *shown = pensionctl(fixture, "show", case_id, NULL);
	const gchar *expected[] = {"state: COMPLETED",  "out LETTER",  "in  INFO",
	                           "in  FUND",          "out RECEIPT", "DELIVERED",
	                           "HTTP 202 ACCEPTED", NULL};
	for (guint i = 0; expected[i] != NULL; i++)
		if (strstr(shown, expected[i]) == NULL)
			g_error("'%s' not in:\n%s", expected[i], shown);
}

static void
test_transfer_in_mismatch(Fixture *fixture, gconstpointer data)
{
	const gchar *options[] = {"--mismatch", NULL};
	g_autofree gchar *case_id = open_transfer_in(fixture, options);
	check_transfer_in(fixture, case_id, "REJECTED");
	const gchar *receipt[] = {"RECEIVED RECEIPT", case_id, "REJECTED", NULL};
	g_autofree gchar *line = wait_for_event(fixture, receipt);
	g_autofree gchar *applied = query(fixture, "SELECT count(*) FROM transfer_case");
	g_assert_cmpstr(applied, ==, "0");
}

/* The INFO names a month the member already contributed here (the simulator's months are
 * 2023-01 … 2024-12): the core refuses the sheet, so the case is rejected with a RECEIPT
 * that says so, and nothing of it is applied. */
static void
test_transfer_in_months_here(Fixture *fixture, gconstpointer data)
{
	enrol(fixture, ID_1980, "19800101", "20240101");
	contribute(fixture, "202401");
	sim_start(fixture, NULL);
	g_autofree gchar *case_id = start_transfer_in(fixture, ID_1980);
	check_transfer_in(fixture, case_id, "REJECTED");
	const gchar *receipt[] = {"RECEIVED RECEIPT", case_id, "REJECTED", NULL};
	g_autofree gchar *line = wait_for_event(fixture, receipt);
	g_autofree gchar *applied = query(
	        fixture, "SELECT (SELECT count(*) FROM transfer_case) || ' ' || (SELECT count(*) "
	                 "FROM contribution WHERE source = 'T') || ' ' || (SELECT count(*) FROM "
	                 "account_entry WHERE kind = 'transfer_in')");
	g_assert_cmpstr(applied, ==, "0 0 0");
	g_autofree gchar *sql = g_strdup_printf(
	        "SELECT reason FROM transfer_exchange WHERE case_id = '%s'", case_id);
	g_autofree gchar *reason = query(fixture, sql);
	g_assert_nonnull(strstr(reason, "202401"));
}

/* A tampered INFO is refused; the case waits for a good one and is not completed. */
static void
test_transfer_in_bad_signature(Fixture *fixture, gconstpointer data)
{
	const gchar *options[] = {"--bad-signature", NULL};
	g_autofree gchar *case_id = open_transfer_in(fixture, options);
	const gchar *refused[] = {"SENT INFO", "-> 400", "SIGNATURE_INVALID", NULL};
	g_autofree gchar *line = wait_for_event(fixture, refused);
	check_transfer_in(fixture, case_id, "FUND_RECEIVED");
	g_autofree gchar *sql = g_strdup_printf(
	        "SELECT count(*) FROM transfer_message WHERE case_id = '%s' AND verdict = "
	        "'SIGNATURE_INVALID'",
	        case_id);
	g_autofree gchar *traced = query(fixture, sql);
	g_assert_cmpstr(traced, ==, "1");
}

/* The platform pushes each document twice: the second gets 200 DUPLICATE, applied once. */
static void
test_transfer_in_replay(Fixture *fixture, gconstpointer data)
{
	const gchar *options[] = {"--replay", "--fund-first", NULL};
	g_autofree gchar *case_id = open_transfer_in(fixture, options);
	check_transfer_in(fixture, case_id, "COMPLETED");
	const gchar *duplicate[] = {"SENT INFO", "-> 200", "DUPLICATE", NULL};
	g_autofree gchar *line = wait_for_event(fixture, duplicate);
	g_autofree gchar *entries =
	        query(fixture, "SELECT count(*) FROM account_entry WHERE kind = 'transfer_in'");
	g_assert_cmpstr(entries, ==, "1");
}

/* The platform is down for a while: the LETTER is retried until it is answered. */
static void
test_platform_down(Fixture *fixture, gconstpointer data)
{
	const gchar *down[] = {"--down", NULL};
	g_autofree gchar *case_id = open_transfer_in(fixture, down);
	const gchar *refused[] = {"DOWN", NULL};
	g_autofree gchar *line = wait_for_event(fixture, refused);
	g_autofree gchar *retrying = wait_value(
	        fixture, "SELECT verdict FROM transfer_message WHERE msg_type = 'LETTER'",
	        "RETRYING");
	g_assert_cmpstr(retrying, ==, "RETRYING");
	sim_stop(fixture);
	sim_start(fixture, NULL);
	check_transfer_in(fixture, case_id, "COMPLETED");
}

/* The platform refuses the LETTER quoting the member's ID number in its answer: the hub keeps
 * that answer (the message's detail, the outbox's last error, its log) with the number
 * masked. */
static void
test_refusal_answer_masked(Fixture *fixture, gconstpointer data)
{
	const gchar *refuse[] = {"--refuse-quoting-id", NULL};
	g_autofree gchar *case_id = open_transfer_in(fixture, refuse);
	const gchar *refused[] = {"REFUSED SCHEMA_INVALID", NULL};
	g_autofree gchar *line = wait_for_event(fixture, refused);
	g_autofree gchar *dead = wait_value(
	        fixture, "SELECT verdict FROM transfer_message WHERE msg_type = 'LETTER'",
	        "DEAD_LETTER");
	g_assert_cmpstr(dead, ==, "DEAD_LETTER");
	g_autofree gchar *detail =
	        query(fixture, "SELECT detail FROM transfer_message WHERE msg_type = 'LETTER'");
	/* refused for good: the outbox row went to the dead letters with its last error */
	g_autofree gchar *last_error = query(
	        fixture, "SELECT last_error FROM dead_letter WHERE topic LIKE 'transfer%' LIMIT 1");
	g_autofree gchar *log = NULL;
	g_assert_true(g_file_get_contents(fixture->hub->log_path, &log, NULL, NULL));
	g_autofree gchar *masked = ph_mask_id_number(ID_1980);
	for (guint i = 0; i < 3; i++) {
		const gchar *kept = (const gchar *[]){detail, last_error, log}[i];
		g_test_message("kept: %.200s", kept);
		g_assert_null(strstr(kept, ID_1980));
	}
	g_assert_nonnull(strstr(detail, masked));
	g_assert_nonnull(strstr(last_error, masked));
}

/* kill -9 of the hub mid-case: after the restart the case completes, once. */
static void
test_kill_mid_case(Fixture *fixture, gconstpointer data)
{
	const gchar *slow[] = {"--delay-ms=1500", NULL};
	g_autofree gchar *case_id = open_transfer_in(fixture, slow);
	const gchar *letter[] = {"RECEIVED LETTER", case_id, NULL};
	g_autofree gchar *line = wait_for_event(fixture, letter);
	/* The LETTER's delivery is in flight (the answer is 1.5 s late): kill the hub. */
	g_assert_cmpint(ph_test_hub_signal(fixture->hub, SIGKILL), ==, 128 + SIGKILL);
	ph_test_hub_start(fixture->hub);
	check_transfer_in(fixture, case_id, "COMPLETED");
	g_autofree gchar *entries =
	        query(fixture, "SELECT count(*) FROM account_entry WHERE kind = 'transfer_in'");
	g_assert_cmpstr(entries, ==, "1");
	g_autofree gchar *cases = query(fixture, "SELECT count(*) FROM transfer_case");
	g_assert_cmpstr(cases, ==, "1");
}

/* The hub restarted with these outbox retry timings. */
static void
restart_with_retries(Fixture *fixture, guint retry_initial_ms, guint max_attempts)
{
	g_assert_cmpint(ph_test_hub_signal(fixture->hub, SIGTERM), ==, 0);
	g_autofree gchar *extra =
	        plugin_config(fixture, fixture->hub->pki, FALSE, retry_initial_ms, max_attempts);
	ph_test_hub_write_config(fixture->hub, extra);
	ph_test_hub_start(fixture->hub);
}

/* The value of "NAME=…" (up to the next blank) in a simulator event line. */
static gchar *
event_value(const gchar *line, const gchar *name)
{
	g_autofree gchar *key = g_strdup_printf(" %s=", name);
	const gchar *at = strstr(line, key);
	g_assert_nonnull(at);
	at += strlen(key);
	return g_strndup(at, strcspn(at, " "));
}

/* The platform answered our LETTER of @case_id 400 EXPIRED: the hub re-signed it (same MsgId,
 * same body, SentAt now), sent it again, and keeps the re-signed document as what it sent;
 * @answer is what the platform answered to it (RECEIVED: taken; CONFLICT: it already held
 * the MsgId). The MsgId. */
static gchar *
check_resigned_letter(Fixture *fixture, const gchar *case_id, const gchar *answer)
{
	const gchar *expired[] = {"EXPIRED LETTER", NULL};
	g_autofree gchar *expired_line = wait_for_event(fixture, expired);
	g_auto(GStrv) words = g_strsplit(expired_line, " ", -1);
	g_autofree gchar *msg_id = g_strdup(words[2]);
	g_autofree gchar *old_sent_at = event_value(expired_line, "sentat");
	const gchar *again[] = {answer, "LETTER", msg_id, NULL};
	g_autofree gchar *again_line = wait_for_event(fixture, again);
	g_autofree gchar *new_sent_at = event_value(again_line, "sentat");
	g_assert_cmpstr(new_sent_at, !=, old_sent_at);

	g_autofree gchar *verdict_sql = g_strdup_printf(
	        "SELECT verdict FROM transfer_message WHERE msg_id = '%s' AND direction = 'out'",
	        msg_id);
	g_autofree gchar *verdict = wait_value(fixture, verdict_sql, "DELIVERED");
	g_assert_cmpstr(verdict, ==, "DELIVERED");
	g_autofree gchar *detail_sql = g_strdup_printf(
	        "SELECT detail FROM transfer_message WHERE msg_id = '%s' AND direction = 'out'",
	        msg_id);
	g_autofree gchar *detail = query(fixture, detail_sql);
	g_autofree gchar *resigned =
	        g_strdup_printf("re-signed (SentAt %s -> %s)", old_sent_at, new_sent_at);
	if (strstr(detail, resigned) == NULL)
		g_error("'%s' not in the LETTER's detail '%s'", resigned, detail);
	/* the version it replaced is kept too: the document first sent, its old SentAt */
	g_autofree gchar *versions_sql = g_strdup_printf(
	        "SELECT count(*) FROM transfer_message_version WHERE msg_id = '%s' AND case_id = "
	        "'%s'",
	        msg_id, case_id);
	g_autofree gchar *versions = query(fixture, versions_sql);
	g_assert_cmpstr(versions, ==, "1");
	g_autofree gchar *first_sql = g_strdup_printf(
	        "SELECT body FROM transfer_message_version WHERE msg_id = '%s'", msg_id);
	g_autofree gchar *first = query(fixture, first_sql);
	g_assert_nonnull(strstr(first, old_sent_at));
	g_assert_null(strstr(first, new_sent_at));

	/* What is kept is the re-signed document: our valid signature, the same MsgId and
	 * case, the new SentAt, the same member. */
	g_autofree gchar *body_sql = g_strdup_printf(
	        "SELECT body FROM transfer_message WHERE msg_id = '%s' AND direction = 'out'",
	        msg_id);
	g_autofree gchar *body = query(fixture, body_sql);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes = g_bytes_new(body, strlen(body));
	g_autoptr(PhXmlDoc) doc = ph_xml_doc_parse(bytes, NULL, &error);
	g_assert_no_error(error);
	g_autofree gchar *ca = g_build_filename(fixture->hub->pki, "ca.crt", NULL);
	g_autoptr(PhXmlVerifier) verifier = ph_xml_verifier_new(ca, &error);
	g_assert_no_error(error);
	g_autofree gchar *subject = NULL;
	g_assert_true(ph_xml_verifier_verify(verifier, doc, 0, &subject, &error));
	g_assert_no_error(error);
	g_autofree gchar *hub_crt = g_build_filename(fixture->hub->pki, "hub.crt", NULL);
	g_autofree gchar *hub_subject = ph_xml_certificate_subject(hub_crt, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(subject, ==, hub_subject);
	const gchar *const expected[][2] = {
	        {"Header/MsgId", msg_id},        {"Header/CaseId", case_id},
	        {"Header/SentAt", new_sent_at},  {"Header/MsgType", "LETTER"},
	        {"Body/Person/AAC002", ID_1980}, {"Body/EAC071", "2"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(expected); i++) {
		g_autofree gchar *value = ph_xml_doc_get_text(doc, expected[i][0]);
		g_assert_cmpstr(value, ==, expected[i][1]);
	}
	return g_steal_pointer(&msg_id);
}

/* A transfer in started (hub with these retry timings) while the platform is away, until its
 * LETTER is @verdict; then the platform is back, answering the LETTER's first push EXPIRED as
 * after an outage longer than its window (--expire-first: no test waits for a clock). The
 * case id. */
static gchar *
letter_while_away(Fixture *fixture, guint retry_initial_ms, guint max_attempts,
                  const gchar *verdict, const gchar *option)
{
	restart_with_retries(fixture, retry_initial_ms, max_attempts);
	enrol(fixture, ID_1980, "19800101", "20240101");
	gchar *case_id = start_transfer_in(fixture, ID_1980);
	g_autofree gchar *seen = wait_value(
	        fixture, "SELECT verdict FROM transfer_message WHERE msg_type = 'LETTER'", verdict);
	g_assert_cmpstr(seen, ==, verdict);
	const gchar *expire[] = {"--expire-first", option, NULL};
	sim_start(fixture, expire);
	return case_id;
}

/* The platform is away longer than its SentAt window: the LETTER queued meanwhile comes back
 * 400 EXPIRED on the next attempt, and is re-signed and taken; the case goes on. */
static void
test_expired_in_outbox(Fixture *fixture, gconstpointer data)
{
	/* retries 2–4 s apart (equal jitter on 4 s), so that the re-signed SentAt (whole
	 * seconds) differs from the first; with @data, the platform's Acks are long (their
	 * Status is read from the whole answer) */
	g_autofree gchar *case_id = letter_while_away(fixture, 4000, 50, "RETRYING", data);
	g_autofree gchar *msg_id = check_resigned_letter(fixture, case_id, "RECEIVED");
	check_transfer_in(fixture, case_id, "COMPLETED");
}

/* A LETTER dead-lettered while the platform was away, retried by the clerk after the window:
 * the same re-signing path takes it. */
static void
test_expired_dead_letter_retried(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *case_id = letter_while_away(fixture, 200, 1, "DEAD_LETTER", NULL);
	/* a second or more old, so that the re-signed SentAt (whole seconds) differs */
	g_autofree gchar *old =
	        wait_value(fixture,
	                   "SELECT now() - created_at > interval '2 seconds' FROM transfer_message "
	                   "WHERE msg_type = 'LETTER'",
	                   "t");
	g_assert_cmpstr(old, ==, "t");
	g_autoptr(GPtrArray) retry = g_ptr_array_new();
	const gchar *args[] = {"outbox", "retry", "--dead", "--topic", "transfer.send"};
	for (guint i = 0; i < G_N_ELEMENTS(args); i++)
		g_ptr_array_add(retry, (gpointer)args[i]);
	g_autofree gchar *out = pensionctl_run(fixture, retry);
	g_autofree gchar *msg_id = check_resigned_letter(fixture, case_id, "RECEIVED");
	check_transfer_in(fixture, case_id, "COMPLETED");
}

/* The platform took the LETTER but its answer was lost; the retry comes after the window:
 * EXPIRED, re-signed, and 409 CONFLICT (it holds the MsgId already): counted delivered. */
static void
test_resigned_conflict(Fixture *fixture, gconstpointer data)
{
	/* retries 2–4 s apart: the re-signed SentAt differs from the first; the retry of the
	 * same bytes is answered EXPIRED as after the window (--expire-resends) */
	restart_with_retries(fixture, 4000, 50);
	const gchar *options[] = {"--expire-resends", "--lose-answer-once", NULL};
	g_autofree gchar *case_id = open_transfer_in(fixture, options);
	const gchar *lost[] = {"LOST LETTER", NULL};
	g_autofree gchar *line = wait_for_event(fixture, lost);
	g_autofree gchar *msg_id = check_resigned_letter(fixture, case_id, "CONFLICT");
	g_autofree gchar *sql = g_strdup_printf(
	        "SELECT detail FROM transfer_message WHERE msg_id = '%s' AND direction = 'out'",
	        msg_id);
	g_autofree gchar *detail = query(fixture, sql);
	g_assert_nonnull(strstr(detail, "HTTP 409 CONFLICT"));
	check_transfer_in(fixture, case_id, "COMPLETED");
}

/* AAC031 of the one member (person and enrolment), and whether the enrolment is still open:
 * "2 open" while the case waits for the RECEIPT, "3 ended" after an OK, "1 open" after a
 * REJECTED. */
static void
check_member(Fixture *fixture, const gchar *expected)
{
	g_autofree gchar *member = query(
	        fixture, "SELECT p.contribution_status || e.status || ' ' || CASE WHEN "
	                 "e.end_period IS NULL THEN 'open' ELSE 'ended' END FROM person p JOIN "
	                 "enrolment e USING (person_id)");
	g_autofree gchar *want = g_strdup_printf("%c%s", expected[0], expected);
	g_assert_cmpstr(member, ==, want);
}

/* The other side's message @msg_id was accepted at the door, then failed for good (kept,
 * not retried), and its case @case_id is still in @state. */
static void
check_failed_for_good(Fixture *fixture, const gchar *msg_id, const gchar *case_id,
                      const gchar *state)
{
	g_autofree gchar *inbox_sql = g_strdup_printf(
	        "SELECT state FROM inbox WHERE message_id = '" SIM_AGENCY "/%s'", msg_id);
	g_autofree gchar *failed = wait_value(fixture, inbox_sql, "failed");
	g_assert_cmpstr(failed, ==, "failed");
	g_autofree gchar *state_sql = g_strdup_printf(
	        "SELECT state FROM transfer_exchange WHERE case_id = '%s'", case_id);
	g_autofree gchar *now = query(fixture, state_sql);
	g_assert_cmpstr(now, ==, state);
}

/* The MsgId of our document @type of the case. */
static gchar *
our_msg_id(Fixture *fixture, const gchar *case_id, const gchar *type)
{
	g_autofree gchar *sql =
	        g_strdup_printf("SELECT msg_id FROM transfer_message WHERE case_id = "
	                        "'%s' AND direction = 'out' AND msg_type = '%s'",
	                        case_id, type);
	return query(fixture, sql);
}

/* The other side's RECEIPT of a transfer out acknowledging @ack_msg_id, signed as the
 * platform relays it. */
static gchar *
receipt_for(Fixture *fixture, const gchar *case_id, const gchar *ack_msg_id, const gchar *code,
            const gchar *text)
{
	g_autofree gchar *msg_id = g_strdup_printf("R-%s-%s", code, ack_msg_id);
	g_autofree gchar *body = g_markup_printf_escaped(
	        "<AckMsgId>%s</AckMsgId><ResultCode>%s</ResultCode><ResultText>%s</ResultText>",
	        ack_msg_id, code, text);
	g_autofree gchar *receipt = platform_document(msg_id, "RECEIPT", case_id, body);
	return sign_with(fixture->hub->pki, "transfer-platform", receipt);
}

/* The other side's RECEIPT of a transfer out: for our FUND, the message the case waits on. */
static gchar *
receipt_document(Fixture *fixture, const gchar *case_id, const gchar *code, const gchar *text)
{
	g_autofree gchar *fund = our_msg_id(fixture, case_id, "FUND");
	return receipt_for(fixture, case_id, fund, code, text);
}

/* The other side asks for a member of ours: INFO and FUND with the core's amounts, which
 * only stop the member's contributions (AAC031 = 2). The case id, in FUND_SENT. */
static gchar *
open_transfer_out(Fixture *fixture)
{
	enrol(fixture, ID_1970, "19700202", "20240101");
	contribute(fixture, "202401,202402,202403,202404,202405,202406");

	const gchar *options[] = {"--start-out=" ID_1970, "--no-receipt", NULL};
	sim_start(fixture, options);
	const gchar *started[] = {"START", ID_1970, NULL};
	g_autofree gchar *start_line = wait_for_event(fixture, started);
	g_auto(GStrv) words = g_strsplit(start_line, " ", -1);
	const gchar *case_id = words[1];
	check_transfer_in(fixture, case_id, "FUND_SENT");

	/* RULES §4: pooled = Σ_years round_fen(0.12 × Σ bases of the year), from the rows. */
	g_autofree gchar *expected_pooled =
	        query(fixture, "SELECT sum(floor((s * 12 + 50) / 100))::bigint FROM (SELECT "
	                       "sum(base) s FROM contribution "
	                       "WHERE source = 'R' GROUP BY period / 100) y");
	g_assert_cmpstr(expected_pooled, ==, "540000");
	g_autofree gchar *sql = g_strdup_printf("SELECT pooled_fund || ' ' || account_balance FROM "
	                                        "transfer_case WHERE case_id = '%s'",
	                                        case_id);
	g_autofree gchar *core = query(fixture, sql);
	g_auto(GStrv) amounts = g_strsplit(core, " ", 2);
	g_assert_cmpstr(amounts[0], ==, expected_pooled);
	/* The INFO that reached the other side carries the core's total to the fen. */
	gint64 total =
	        g_ascii_strtoll(amounts[0], NULL, 10) + g_ascii_strtoll(amounts[1], NULL, 10);
	g_autofree gchar *yuan =
	        g_strdup_printf("%" G_GINT64_FORMAT ".%02d", total / 100, (gint)(total % 100));
	const gchar *info[] = {"RECEIVED INFO", case_id, yuan, NULL};
	g_autofree gchar *info_line = wait_for_event(fixture, info);
	const gchar *fund[] = {"RECEIVED FUND", case_id, yuan, NULL};
	g_autofree gchar *fund_line = wait_for_event(fixture, fund);
	check_member(fixture, "2 open");
	return g_strdup(case_id);
}

/* The other side's RECEIPT @data then completes the case and ends the enrolment here (OK:
 * AAC031 = 3) or rejects it (the member pays again, AAC031 = 1). */
static void
test_transfer_out(Fixture *fixture, gconstpointer data)
{
	const gchar *code = data;
	gboolean completed = g_str_equal(code, "OK");
	g_autofree gchar *case_id = open_transfer_out(fixture);
	g_autofree gchar *receipt = receipt_document(fixture, case_id, code, "test");
	const Expect receipt_accepted = {"RECEIPT", 202, "ACCEPTED"};
	post_expect(fixture, &receipt_accepted, receipt);
	const gchar *final = completed ? "COMPLETED" : "REJECTED";
	check_transfer_in(fixture, case_id, final);
	check_member(fixture, completed ? "3 ended" : "1 open");
	/* the sent balances leave the account only on completion */
	g_autofree gchar *out_sql = g_strdup_printf(
	        "SELECT count(*) FROM account_entry WHERE kind = 'transfer_out' AND reference = "
	        "'%s'",
	        case_id);
	g_autofree gchar *debits = query(fixture, out_sql);
	g_assert_cmpstr(debits, ==, completed ? "1" : "0");

	/* Another LETTER for the case is accepted at the door, then failed for good (kept,
	 * not retried, the case untouched). */
	g_autofree gchar *letter =
	        platform_document("L-AGAIN", "LETTER", case_id, LETTER_BODY(ID_1970, "19700202"));
	g_autofree gchar *signed_letter = sign_with(fixture->hub->pki, "transfer-platform", letter);
	const Expect accepted = {"second LETTER", 202, "ACCEPTED"};
	post_expect(fixture, &accepted, signed_letter);
	check_failed_for_good(fixture, "L-AGAIN", case_id, final);
}

/* The other side's RECEIPT OK for our FUND completes the transfer out @case_id and ends the
 * member's enrolment here (AAC031 = 3). */
static void
complete_with_receipt(Fixture *fixture, const gchar *case_id)
{
	g_autofree gchar *receipt = receipt_document(fixture, case_id, "OK", "test");
	const Expect accepted = {"RECEIPT for the FUND", 202, "ACCEPTED"};
	post_expect(fixture, &accepted, receipt);
	check_transfer_in(fixture, case_id, "COMPLETED");
	check_member(fixture, "3 ended");
}

/* A RECEIPT whose body is another document's has no ResultCode: it is no answer and must
 * neither complete nor reject the case — the door refuses it (SCHEMA_INVALID, see
 * /transfer/refusal-body-type), and one stored before that check fails for good in the flow;
 * the member stays suspended until a real RECEIPT. */
static void
test_transfer_out_receipt_without_result(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *case_id = open_transfer_out(fixture);
	g_autofree gchar *plain = platform_document("R-NO-RESULT", "RECEIPT", case_id, FUND_BODY);
	g_autofree gchar *signed_plain = sign_with(fixture->hub->pki, "transfer-platform", plain);
	const Expect refused = {"RECEIPT without a result", 400, "SCHEMA_INVALID"};
	post_expect(fixture, &refused, signed_plain);
	g_autofree gchar *state_sql = g_strdup_printf(
	        "SELECT state FROM transfer_exchange WHERE case_id = '%s'", case_id);
	g_autofree gchar *state = query(fixture, state_sql);
	g_assert_cmpstr(state, ==, "FUND_SENT");
	check_member(fixture, "2 open");

	/* The other side's real answer still completes it. */
	complete_with_receipt(fixture, case_id);
}

/* A RECEIPT that acknowledges another message than the one the case waits on (our FUND) is
 * no answer to it: accepted at the door, then failed for good naming AckMsgId and both ids;
 * the case and the member are untouched, and the right RECEIPT still completes it. */
static void
test_transfer_out_receipt_wrong_ack(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *case_id = open_transfer_out(fixture);
	g_autofree gchar *info = our_msg_id(fixture, case_id, "INFO");
	g_autofree gchar *fund = our_msg_id(fixture, case_id, "FUND");
	const gchar *const wrong[][2] = {
	        {info, "OK"},        /* our INFO: sent, but not what the case waits on */
	        {"FND-OTHER", "OK"}, /* a message this hub never sent */
	        {info, "REJECTED"},  /* would put the member back to paying */
	};
	for (guint i = 0; i < G_N_ELEMENTS(wrong); i++) {
		g_autofree gchar *receipt =
		        receipt_for(fixture, case_id, wrong[i][0], wrong[i][1], "test");
		const Expect accepted = {"RECEIPT for another message", 202, "ACCEPTED"};
		post_expect(fixture, &accepted, receipt);
		g_autofree gchar *msg_id = g_strdup_printf("R-%s-%s", wrong[i][1], wrong[i][0]);
		check_failed_for_good(fixture, msg_id, case_id, "FUND_SENT");
		check_member(fixture, "2 open");
		g_autofree gchar *sql = g_strdup_printf(
		        "SELECT last_error FROM inbox WHERE message_id = '" SIM_AGENCY "/%s'",
		        msg_id);
		g_autofree gchar *reason = query(fixture, sql);
		g_autofree gchar *expected = g_strdup_printf(
		        "transfer case %s: RECEIPT: Body/AckMsgId: acknowledges %s, but the case "
		        "waits on a receipt for %s",
		        case_id, wrong[i][0], fund);
		g_assert_cmpstr(reason, ==, expected);
	}
	complete_with_receipt(fixture, case_id);
}

/* The other side's RECEIPT rejects the case in words that name the member: the reason kept
 * on the case (plain text, listed by pensionctl) names the number only masked. */
static void
test_transfer_out_rejected_text(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *case_id = open_transfer_out(fixture);
	g_autofree gchar *receipt = receipt_document(fixture, case_id, "REJECTED",
	                                             "person " ID_1970 " is insured here");
	const Expect accepted = {"RECEIPT REJECTED", 202, "ACCEPTED"};
	post_expect(fixture, &accepted, receipt);
	check_transfer_in(fixture, case_id, "REJECTED");
	g_autofree gchar *sql = g_strdup_printf(
	        "SELECT reason FROM transfer_exchange WHERE case_id = '%s'", case_id);
	g_autofree gchar *reason = query(fixture, sql);
	/* ph_mask_id_number: the first six and the last four characters */
	g_assert_cmpstr(reason, ==,
	                "the other side answered REJECTED: person 110105********0094 is insured "
	                "here");
}

/* A step past its deadline is reported once: a warning in the log, OVERDUE in the list. */
static void
test_overdue(Fixture *fixture, gconstpointer data)
{
	const gchar *down[] = {"--down", NULL};
	g_assert_cmpint(ph_test_hub_signal(fixture->hub, SIGTERM), ==, 0);
	g_autofree gchar *base = plugin_config(fixture, fixture->hub->pki, FALSE, 200, 50);
	g_autofree gchar *extra =
	        g_strconcat(base, "deadline_working_days = 0\ndeadline_check_seconds = 1\n", NULL);
	ph_test_hub_write_config(fixture->hub, extra);
	ph_test_hub_start(fixture->hub);
	g_autofree gchar *case_id = open_transfer_in(fixture, down);
	g_autofree gchar *sql = g_strdup_printf("SELECT overdue_reported_at IS NOT NULL FROM "
	                                        "transfer_exchange WHERE case_id = '%s'",
	                                        case_id);
	g_autofree gchar *reported = wait_value(fixture, sql, "t");
	g_assert_cmpstr(reported, ==, "t");
	g_autofree gchar *listed = pensionctl(fixture, "list", NULL);
	g_assert_nonnull(strstr(listed, "OVERDUE"));
	g_autofree gchar *log = NULL;
	g_assert_true(g_file_get_contents(fixture->hub->log_path, &log, NULL, NULL));
	g_autofree gchar *warning =
	        g_strdup_printf("transfer case %s (in, LETTER_SENT) is past its "
	                        "step deadline",
	                        case_id);
	g_assert_nonnull(strstr(log, warning));
}

/* Two cases past their deadline in one look, one whose stored AAC002 does not open (its key
 * is gone): the other is still reported and marked, and the one that was not reported is
 * not marked. */
static void
test_overdue_unreadable(Fixture *fixture, gconstpointer data)
{
	g_assert_cmpint(ph_test_hub_signal(fixture->hub, SIGTERM), ==, 0);
	g_autofree gchar *base = plugin_config(fixture, fixture->hub->pki, FALSE, 200, 50);
	g_autofree gchar *extra = g_strconcat(base, "deadline_check_seconds = 1\n", NULL);
	ph_test_hub_write_config(fixture->hub, extra);
	ph_test_hub_start(fixture->hub);
	/* one statement, so that the job finds both in the same look; the test hub has no key
	 * file, so a plaintext number opens and an envelope cannot */
	PGconn *conn = PQconnectdb(ph_test_db_get_url(fixture->db));
	PGresult *result = PQexec(
	        conn, "INSERT INTO transfer_exchange (case_id, direction, state, id_number, "
	              "other_agency, other_region, deadline) VALUES "
	              "('XF-LOCKED', 'out', 'FUND_SENT', 'enc1:k-gone:AAAA', '330100000001', "
	              "'330100', now() - interval '1 day'), "
	              "('XF-READABLE', 'in', 'LETTER_SENT', '" ID_1980 "', '330100000001', "
	              "'330100', now() - interval '1 day')");
	g_assert_cmpint(PQresultStatus(result), ==, PGRES_COMMAND_OK);
	PQclear(result);
	PQfinish(conn);
	g_assert_true(ph_test_hub_wait_log(
	        fixture->hub, "transfer case XF-READABLE (in, LETTER_SENT) is past its "
	                      "step deadline"));
	/* the other is named (never its number) and left for the next look */
	g_assert_true(
	        ph_test_hub_wait_log(fixture->hub, "overdue transfer case XF-LOCKED: AAC002: "));
	g_autofree gchar *marked = query(
	        fixture, "SELECT string_agg(case_id, ',' ORDER BY case_id) FROM transfer_exchange "
	                 "WHERE overdue_reported_at IS NOT NULL");
	g_assert_cmpstr(marked, ==, "XF-READABLE");
}

/* A clerk starts a transfer in for a number the hub does not know: the request fails for
 * good (not retried for ever), naming the number masked, and no case is opened. */
static void
test_transfer_in_unknown(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *case_id = start_transfer_in(fixture, ID_1970);
	g_autofree gchar *sql = g_strdup_printf(
	        "SELECT state || ' ' || last_error FROM inbox WHERE message_id = '%s'", case_id);
	g_autofree gchar *failed =
	        wait_value(fixture, sql, "failed person 110105********0094: unknown");
	g_assert_cmpstr(failed, ==, "failed person 110105********0094: unknown");
	g_autofree gchar *cases = query(fixture, "SELECT count(*) FROM transfer_exchange");
	g_assert_cmpstr(cases, ==, "0");
}

/* The other side asks for a member we do not have: the case is rejected with a RECEIPT. */
static void
test_transfer_out_unknown(Fixture *fixture, gconstpointer data)
{
	const gchar *options[] = {"--start-out=" ID_1970, NULL};
	sim_start(fixture, options);
	const gchar *started[] = {"START", ID_1970, NULL};
	g_autofree gchar *start_line = wait_for_event(fixture, started);
	g_auto(GStrv) words = g_strsplit(start_line, " ", -1);
	check_transfer_in(fixture, words[1], "REJECTED");
	const gchar *receipt[] = {"RECEIVED RECEIPT", words[1], "REJECTED", NULL};
	g_autofree gchar *line = wait_for_event(fixture, receipt);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	static const gchar *const in_order[] = {NULL};
	static const gchar *const fund_first[] = {"--fund-first", NULL};
	g_test_add("/transfer/refusals", Fixture, NULL, fixture_set_up, test_refusals,
	           fixture_tear_down);
	g_test_add("/transfer/refusal-masks-id", Fixture, NULL, fixture_set_up,
	           test_refusal_masks_id, fixture_tear_down);
	g_test_add("/transfer/refusal-body-type", Fixture, NULL, fixture_set_up,
	           test_refusal_body_type, fixture_tear_down);
	g_test_add("/transfer/in/info-then-fund", Fixture, in_order, fixture_set_up,
	           test_transfer_in, fixture_tear_down);
	g_test_add("/transfer/in/fund-then-info", Fixture, fund_first, fixture_set_up,
	           test_transfer_in, fixture_tear_down);
	g_test_add("/transfer/in/mismatch", Fixture, NULL, fixture_set_up,
	           test_transfer_in_mismatch, fixture_tear_down);
	g_test_add("/transfer/in/months-here", Fixture, NULL, fixture_set_up,
	           test_transfer_in_months_here, fixture_tear_down);
	g_test_add("/transfer/in/unknown-member", Fixture, NULL, fixture_set_up,
	           test_transfer_in_unknown, fixture_tear_down);
	g_test_add("/transfer/in/bad-signature", Fixture, NULL, fixture_set_up,
	           test_transfer_in_bad_signature, fixture_tear_down);
	g_test_add("/transfer/in/replay", Fixture, NULL, fixture_set_up, test_transfer_in_replay,
	           fixture_tear_down);
	g_test_add("/transfer/in/platform-down", Fixture, NULL, fixture_set_up, test_platform_down,
	           fixture_tear_down);
	g_test_add("/transfer/in/kill-mid-case", Fixture, NULL, fixture_set_up, test_kill_mid_case,
	           fixture_tear_down);
	g_test_add("/transfer/in/refusal-answer-masked", Fixture, NULL, fixture_set_up,
	           test_refusal_answer_masked, fixture_tear_down);
	g_test_add("/transfer/in/expired-in-outbox", Fixture, NULL, fixture_set_up,
	           test_expired_in_outbox, fixture_tear_down);
	g_test_add("/transfer/in/expired-long-answer", Fixture, "--long-answers", fixture_set_up,
	           test_expired_in_outbox, fixture_tear_down);
	g_test_add("/transfer/in/expired-dead-letter-retried", Fixture, NULL, fixture_set_up,
	           test_expired_dead_letter_retried, fixture_tear_down);
	g_test_add("/transfer/in/resigned-conflict", Fixture, NULL, fixture_set_up,
	           test_resigned_conflict, fixture_tear_down);
	g_test_add("/transfer/in/overdue", Fixture, NULL, fixture_set_up, test_overdue,
	           fixture_tear_down);
	g_test_add("/transfer/overdue-unreadable", Fixture, NULL, fixture_set_up,
	           test_overdue_unreadable, fixture_tear_down);
	g_test_add("/transfer/out/unknown-member", Fixture, NULL, fixture_set_up,
	           test_transfer_out_unknown, fixture_tear_down);
	g_test_add("/transfer/out", Fixture, "OK", fixture_set_up, test_transfer_out,
	           fixture_tear_down);
	g_test_add("/transfer/out/rejected", Fixture, "REJECTED", fixture_set_up, test_transfer_out,
	           fixture_tear_down);
	g_test_add("/transfer/out/rejected-text", Fixture, NULL, fixture_set_up,
	           test_transfer_out_rejected_text, fixture_tear_down);
	g_test_add("/transfer/out/receipt-wrong-ack", Fixture, NULL, fixture_set_up,
	           test_transfer_out_receipt_wrong_ack, fixture_tear_down);
	g_test_add("/transfer/out/receipt-without-result", Fixture, NULL, fixture_set_up,
	           test_transfer_out_receipt_without_result, fixture_tear_down);
	return g_test_run();
}
