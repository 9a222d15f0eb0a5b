/* The audit chain against a real PostgreSQL (issue 9 §1, §4): inbound, refused and operator
 * entries are written; an entry changed, deleted or swapped with SQL (triggers disabled, as an
 * attacker with the table owner's rights would) is named by `audit verify`; a whole-chain
 * rewrite is caught by the signed head. Suite integration (PH_DATABASE_URL, PH_PKI). */
#include <string.h>
#include <sys/wait.h>

#include "ph-answer.h"
#include "ph-audit-seal.h"
#include "ph-audit-verify.h"
#include "ph-audit.h"
#include "ph-inbox.h"
#include "ph-sql-value.h"
#include "ph-test-db.h"
#include "ph-test-hub.h"

/* Entries the fixture writes: ENTRIES direct appends + one inbound + one refusal. */
#define ENTRIES 8

typedef struct {
	PhTestDb *test_db;
	PhDb *db;
	PhAuditSigner *signer; /* the dev hub certificate, as [client-tls] would give */
} Fixture;

static gchar *
pki_path(const gchar *name)
{
	const gchar *pki = g_getenv("PH_PKI");
	g_assert_nonnull(pki);
	return g_build_filename(pki, name, NULL);
}

static PhAuditSigner *
signer_of(const gchar *who)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *key_name = g_strdup_printf("%s.key", who);
	g_autofree gchar *cert_name = g_strdup_printf("%s.crt", who);
	g_autofree gchar *key = pki_path(key_name);
	g_autofree gchar *cert = pki_path(cert_name);
	PhAuditSigner *signer = ph_audit_signer_new_from_files(key, cert, &error);
	g_assert_no_error(error);
	return signer;
}

static void
exec_sql(PhDb *db, const gchar *sql)
{
	g_autoptr(GError) error = NULL;
	ph_db_exec(db, sql, &error);
	g_assert_no_error(error);
}

static void
append(PhDb *db, const gchar *actor, const gchar *action, const gchar *object)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) payload = g_bytes_new_static(object, strlen(object));
	g_assert_true(ph_db_begin(db, &error));
	g_assert_true(ph_audit_append(db, actor, action, object, payload, &error));
	g_assert_true(ph_db_commit(db, &error));
	g_assert_no_error(error);
}

static void
fixture_setup(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	fixture->test_db = ph_test_db_new();
	fixture->db = ph_test_db_connect(fixture->test_db);
	fixture->signer = signer_of("hub");
	for (guint i = 1; i <= ENTRIES; i++) {
		g_autofree gchar *object = g_strdup_printf("person %u", i);
		append(fixture->db, "core", "enrol", object);
	}
	g_autoptr(GBytes) body = g_bytes_new_static("<case/>", 7);
	g_autoptr(PhAnswer) answer = ph_answer_new(202, NULL, NULL);
	g_autoptr(PhAnswer) stored =
	        ph_inbox_store(fixture->db, "transfer-platform", "transfer.case", "m-1", body,
	                       answer, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(ph_inbox_record_refusal(fixture->db, "bank", "bank.result", body,
	                                      "signature does not verify", &error));
	g_assert_no_error(error);
	/* Inbound entries are queued for the linker (the daemon's, or verify's) rather than
	 * chained by the request itself; link them as the daemon would within a second. */
	guint linked = 0;
	g_assert_true(ph_audit_link(fixture->db, &linked, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(linked, ==, 2);
}

static void
fixture_teardown(Fixture *fixture, gconstpointer data)
{
	ph_audit_signer_free(fixture->signer);
	ph_db_free(fixture->db);
	ph_test_db_free(fixture->test_db);
}

static PhAuditReport *
verify(Fixture *fixture, gint64 from, gint64 to)
{
	g_autoptr(GError) error = NULL;
	PhAuditReport *report = ph_audit_verify(fixture->db, fixture->signer, from, to, &error);
	g_assert_no_error(error);
	for (guint i = 0; i < report->findings->len; i++)
		g_test_message("finding: %s",
		               (const gchar *)g_ptr_array_index(report->findings, i));
	return report;
}

static void
seal(Fixture *fixture, gint64 expected)
{
	g_autoptr(GError) error = NULL;
	gint64 sealed = -1;
	g_assert_true(ph_audit_seal_head(fixture->db, fixture->signer, &sealed, &error));
	g_assert_no_error(error);
	g_assert_cmpint(sealed, ==, expected);
}

/* The findings, joined by newlines, equal @expected exactly (prefix of each line). */
static void
assert_findings(PhAuditReport *report, const gchar *const *expected)
{
	guint count = expected != NULL ? g_strv_length((gchar **)expected) : 0;
	g_assert_cmpuint(report->findings->len, ==, count);
	for (guint i = 0; i < count; i++) {
		const gchar *finding = g_ptr_array_index(report->findings, i);
		if (!g_str_has_prefix(finding, expected[i]))
			g_assert_cmpstr(finding, ==, expected[i]);
	}
}

/* The entries written by the hub for inbound traffic: actor, action, object and digest. */
static void
test_inbound_entries(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *url = g_strdup(ph_test_db_get_url(fixture->test_db));
	g_autofree gchar *inbound = ph_test_query_value(
	        url, "SELECT actor || ' ' || action || ' ' || object || ' ' || "
	             "encode(payload_digest, 'hex') FROM audit_log WHERE id = 9");
	/* SHA-256("<case/>") from `printf '<case/>' | sha256sum` */
	g_autofree gchar *digest = g_compute_checksum_for_string(G_CHECKSUM_SHA256, "<case/>", -1);
	g_autofree gchar *expected = g_strdup_printf(
	        "partner:transfer-platform inbound inbox 1 transfer.case m-1 %s", digest);
	g_assert_cmpstr(inbound, ==, expected);
	g_autofree gchar *refused = ph_test_query_value(
	        url, "SELECT actor || ' ' || action || ' ' || object FROM audit_log WHERE id = 10");
	g_assert_cmpstr(refused, ==,
	                "partner:bank inbound-refused inbox_refusal 1 bank.result: signature "
	                "does not verify");
	g_autoptr(PhAuditReport) report = verify(fixture, 0, 0);
	g_assert_cmpint(report->entries, ==, ENTRIES + 2);
	assert_findings(report, NULL);
}

typedef struct {
	const gchar *name;
	const gchar *tamper; /* run with the triggers disabled */
	const gchar *findings[4];
} TamperCase;

/* Entries 1..8 are "person N"; 9 inbound, 10 refusal; the sealed head is 10. */
static const TamperCase tamper_cases[] = {
        {"changed",
         "UPDATE audit_log SET actor = 'someone' WHERE id = 5",
         {"entry 5 changed: its hash does not match its content (someone enrol person 5)"}},
        {"changed-digest",
         "UPDATE audit_log SET payload_digest = sha256('other') WHERE id = 9",
         {"entry 9 changed"}},
        {"deleted",
         "DELETE FROM audit_log WHERE id = 5",
         {"entry deleted between entries 4 and 6: entry 6 links to an entry that no longer "
          "exists"}},
        {"deleted-first", "DELETE FROM audit_log WHERE id = 1", {"entries before entry 2 deleted"}},
        {"swapped",
         "UPDATE audit_log SET id = -4 WHERE id = 4; UPDATE audit_log SET id = 4 WHERE id = 5; "
         "UPDATE audit_log SET id = 5 WHERE id = -4",
         {"entry 4 out of order: it follows entry 5 in the chain, not entry 3",
          "entry 5 out of order: it follows entry 3 in the chain, not entry 4",
          /* the entry after the pair now follows the moved one */
          "entry 6 out of order: it follows entry 4 in the chain, not entry 5"}},
        {"sealed-head-deleted",
         "DELETE FROM audit_log WHERE id = 10",
         {"entry 10 deleted: it was sealed at"}},
        {"seal-forged-time",
         "UPDATE audit_seal SET sealed_at = '2020-01-01T00:00:00.000Z'",
         {"seal of entry 10 at 2020-01-01T00:00:00.000Z is not the hub's: signature does not "
          "verify"}},
};

static void
test_tamper(Fixture *fixture, gconstpointer data)
{
	const TamperCase *tamper = data;
	seal(fixture, ENTRIES + 2);
	g_autoptr(PhAuditReport) clean = verify(fixture, 0, 0);
	assert_findings(clean, NULL);
	g_assert_cmpint(clean->seals, ==, 1);
	exec_sql(fixture->db, "ALTER TABLE audit_log DISABLE TRIGGER USER; "
	                      "ALTER TABLE audit_seal DISABLE TRIGGER USER");
	exec_sql(fixture->db, tamper->tamper);
	g_autoptr(PhAuditReport) report = verify(fixture, 0, 0);
	assert_findings(report, tamper->findings);
}

/* The attacker recomputes every hash after changing entry 3: the chain is consistent again,
 * but the signed head no longer matches. */
static void
test_rewrite(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	seal(fixture, ENTRIES + 2);
	exec_sql(fixture->db, "ALTER TABLE audit_log DISABLE TRIGGER USER; "
	                      "UPDATE audit_log SET actor = 'someone' WHERE id = 3");
	g_autoptr(PGresult) rows =
	        ph_db_query(fixture->db,
	                    "SELECT id, " PH_SQL_UTC("at") ", actor, action, object, "
	                                                   "coalesce(encode(payload_digest, "
	                                                   "'hex'), '') FROM audit_log ORDER BY id",
	                    0, NULL, &error);
	g_assert_no_error(error);
	g_autoptr(GBytes) prev = NULL;
	for (gint row = 0; row < PQntuples(rows); row++) {
		g_autofree gchar *record =
		        ph_audit_canonical(PQgetvalue(rows, row, 1), PQgetvalue(rows, row, 2),
		                           PQgetvalue(rows, row, 3), PQgetvalue(rows, row, 4),
		                           PQgetvalue(rows, row, 5));
		g_autoptr(GBytes) hash = ph_audit_chain_hash(prev, record);
		g_autofree gchar *hex = ph_audit_hex(hash);
		g_autofree gchar *prev_hex = ph_audit_hex(prev);
		g_autofree gchar *sql = g_strdup_printf(
		        "UPDATE audit_log SET hash = decode('%s', 'hex'), prev_hash = %s%s%s "
		        "WHERE id = %s",
		        hex, prev != NULL ? "decode('" : "NULL", prev != NULL ? prev_hex : "",
		        prev != NULL ? "', 'hex')" : "", PQgetvalue(rows, row, 0));
		exec_sql(fixture->db, sql);
		g_clear_pointer(&prev, g_bytes_unref);
		prev = g_bytes_ref(hash);
	}
	const gchar *const expected[] = {"entry 10 does not match its seal of", NULL};
	g_autoptr(PhAuditReport) report = verify(fixture, 0, 0);
	assert_findings(report, expected);
}

/* A range stops at its bounds: a change outside is not seen, inside it is. */
static void
test_range(Fixture *fixture, gconstpointer data)
{
	exec_sql(fixture->db, "ALTER TABLE audit_log DISABLE TRIGGER USER; "
	                      "UPDATE audit_log SET object = 'person 99' WHERE id = 2");
	g_autoptr(PhAuditReport) outside = verify(fixture, 3, 6);
	g_assert_cmpint(outside->entries, ==, 4);
	assert_findings(outside, NULL);
	const gchar *const expected[] = {"entry 2 changed", NULL};
	g_autoptr(PhAuditReport) inside = verify(fixture, 2, 4);
	g_assert_cmpint(inside->entries, ==, 3);
	assert_findings(inside, expected);
}

/* A seal by a certificate other than the configured one is reported. */
static void
test_foreign_seal(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhAuditSigner) bank = signer_of("bank");
	gint64 sealed = 0;
	g_assert_true(ph_audit_seal_head(fixture->db, bank, &sealed, &error));
	g_assert_no_error(error);
	g_assert_cmpint(sealed, ==, ENTRIES + 2);
	const gchar *const expected[] = {"seal of entry 10 at", NULL};
	g_autoptr(PhAuditReport) report = verify(fixture, 0, 0);
	assert_findings(report, expected);
	g_assert_nonnull(strstr(g_ptr_array_index(report->findings, 0), "not the configured"));
	/* nothing new: the head is sealed already */
	g_assert_true(ph_audit_seal_head(fixture->db, fixture->signer, &sealed, &error));
	g_assert_cmpint(sealed, ==, 0);
}

/* The operator's commands: seal, verify (exit 0, then 1 naming the entry), and an outbox
 * retry recorded with the configured operator as actor in its own entry. */
static void
test_cli(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *pki = pki_path("");
	g_autofree gchar *extra = g_strdup_printf("[audit]\nsigning_key = %s/hub.key\n"
	                                          "signing_certificate = %s/hub.crt\n"
	                                          "operator = CN=alice,OU=operators\n",
	                                          pki, pki);
	g_autoptr(PhTestHub) hub =
	        ph_test_hub_new(ph_test_db_get_url(fixture->test_db), NULL, extra);
	g_autofree gchar *sealed = NULL;
	g_autofree gchar *ok = NULL;
	g_autofree gchar *retried = NULL;
	g_autofree gchar *tampered = NULL;
	g_assert_cmpint(ph_test_hub_run_ctl(hub, &sealed, "audit", "seal", NULL), ==, 0);
	g_assert_cmpstr(sealed, ==, "sealed entry 10\n");
	exec_sql(fixture->db, "INSERT INTO dead_letter (id, topic, key, payload, created_at, "
	                      "attempts, last_error) VALUES (77, 'bank.payout', 'b-1', 'P', now(), "
	                      "5, 'partner answered 503')");
	g_assert_cmpint(ph_test_hub_run_ctl(hub, &retried, "outbox", "retry", "77", NULL),
	                ==, 0);
	g_autofree gchar *entry = ph_test_query_value(
	        hub->database_url,
	        "SELECT actor || ' ' || action || ' ' || object FROM audit_log WHERE id = 11");
	g_assert_cmpstr(entry, ==, "CN=alice,OU=operators outbox-retry outbox 77");
	g_assert_cmpint(ph_test_hub_run_ctl(hub, &ok, "audit", "verify", NULL), ==, 0);
	g_assert_cmpstr(ok, ==, "11 entries, 1 seals (newest: entry 10): ok\n");
	exec_sql(fixture->db, "ALTER TABLE audit_log DISABLE TRIGGER USER; "
	                      "UPDATE audit_log SET action = 'x' WHERE id = 7");
	g_assert_cmpint(
	        ph_test_hub_run_ctl(hub, &tampered, "audit", "verify", "--from", "5", NULL),
	        ==, 1);
	g_assert_cmpstr(tampered, ==,
	                "entry 7 changed: its hash does not match its content (core x person 7)\n"
	                "7 entries, 1 seals (newest: entry 10): TAMPERED\n");
}

/* Triggers refuse UPDATE and DELETE while they are enabled. */
static void
test_append_only(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_assert_false(ph_db_exec(fixture->db, "DELETE FROM audit_log WHERE id = 1", &error));
	g_assert_nonnull(strstr(error->message, "audit_log is append-only"));
	g_clear_error(&error);
	seal(fixture, ENTRIES + 2);
	g_assert_false(ph_db_exec(fixture->db, "UPDATE audit_seal SET audit_id = 1", &error));
	g_assert_nonnull(strstr(error->message, "audit_seal is append-only"));
}

/* Two writers at once: the one holding the chain's lock chains its entry in its own
 * commit; the other does not wait for it, its entry is queued and chained by the next
 * linker after the first commits — in commit order, one chain, nothing lost. */
static void
test_concurrent_appends(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhDb) other = ph_test_db_connect(fixture->test_db);
	gint64 before = ph_test_db_query_int(fixture->db, "SELECT count(*) FROM audit_log");

	g_assert_true(ph_db_begin(other, &error));
	g_assert_true(ph_audit_append(other, "core", "enrol", "person 100", NULL, &error));
	g_assert_no_error(error);
	/* @other holds the lock until it commits; this append must not block on it. */
	append(fixture->db, "core", "enrol", "person 101");
	g_assert_cmpint(ph_test_db_query_int(fixture->db, "SELECT count(*) FROM audit_pending"),
			==, 1);
	g_assert_true(ph_db_commit(other, &error));
	g_assert_no_error(error);
	/* person 100 was chained by its own transaction; person 101 waits for a linker. */
	g_assert_cmpint(ph_test_db_query_int(fixture->db, "SELECT count(*) FROM audit_log"), ==,
			before + 1);
	guint linked = 0;
	g_assert_true(ph_audit_link(fixture->db, &linked, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(linked, ==, 1);
	g_assert_cmpint(ph_test_db_query_int(
			    fixture->db, "SELECT count(*) FROM audit_log WHERE object = 'person 101' "
					 "AND id = (SELECT max(id) FROM audit_log)"),
			==, 1);
	g_autoptr(PhAuditReport) report = verify(fixture, 0, 0);
	g_assert_cmpint(report->entries, ==, before + 2);
	assert_findings(report, NULL);
}

/* Objects the linker's COPY must carry as they are: COPY text's escapes (tab, newline,
 * carriage return, backslash, "\\N") and characters beyond ASCII. */
static const gchar *const linked_objects[] = {
        "plain",          "tab\there",        "line\nbreak", "carriage\rreturn",
        "back\\slash\\N", "\\x00ff as text", "养老金 住房",  "",
};

/* 1,500 queued entries (more than the linker takes at once), some with the characters
 * above and half without a payload, are chained in the order they were queued, read back
 * as written, and verify finds the chain intact. */
static void
test_linked_in_order(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	gint64 before = ph_test_db_query_int(fixture->db, "SELECT max(id) FROM audit_log");
	g_assert_true(ph_db_begin(fixture->db, &error));
	for (guint i = 0; i < 1500; i++) {
		const gchar *object = linked_objects[i % G_N_ELEMENTS(linked_objects)];
		g_autofree gchar *numbered = g_strdup_printf("%04u %s", i, object);
		g_autoptr(GBytes) payload =
		        i % 2 == 0 ? g_bytes_new(numbered, strlen(numbered)) : NULL;
		g_assert_true(ph_audit_append_queued(fixture->db, "hub", "queued", numbered,
		                                     payload, &error));
	}
	g_assert_true(ph_db_commit(fixture->db, &error));
	g_assert_no_error(error);
	guint linked = 0;
	g_assert_true(ph_audit_link(fixture->db, &linked, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(linked, ==, 1500);
	g_autofree gchar *sql = g_strdup_printf(
	        "SELECT object, payload_digest IS NULL FROM audit_log WHERE id > %" G_GINT64_FORMAT
	        " ORDER BY id",
	        before);
	g_autoptr(PGresult) rows = ph_db_query(fixture->db, sql, 0, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(PQntuples(rows), ==, 1500);
	for (gint i = 0; i < PQntuples(rows); i++) {
		const gchar *object = linked_objects[i % G_N_ELEMENTS(linked_objects)];
		g_autofree gchar *numbered = g_strdup_printf("%04d %s", i, object);
		g_assert_cmpstr(PQgetvalue(rows, i, 0), ==, numbered);
		g_assert_cmpstr(PQgetvalue(rows, i, 1), ==, i % 2 == 0 ? "f" : "t");
	}
	g_autoptr(PhAuditReport) report = verify(fixture, 0, 0);
	g_assert_cmpint(report->entries, ==, before + 1500);
	assert_findings(report, NULL);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/audit/inbound", Fixture, NULL, fixture_setup, test_inbound_entries,
	           fixture_teardown);
	for (guint i = 0; i < G_N_ELEMENTS(tamper_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/audit/tamper/%s", tamper_cases[i].name);
		g_test_add(path, Fixture, &tamper_cases[i], fixture_setup, test_tamper,
		           fixture_teardown);
	}
	g_test_add("/audit/rewrite", Fixture, NULL, fixture_setup, test_rewrite, fixture_teardown);
	g_test_add("/audit/range", Fixture, NULL, fixture_setup, test_range, fixture_teardown);
	g_test_add("/audit/foreign-seal", Fixture, NULL, fixture_setup, test_foreign_seal,
	           fixture_teardown);
	g_test_add("/audit/append-only", Fixture, NULL, fixture_setup, test_append_only,
	           fixture_teardown);
	g_test_add("/audit/cli", Fixture, NULL, fixture_setup, test_cli, fixture_teardown);
	g_test_add("/audit/linked-in-order", Fixture, NULL, fixture_setup, test_linked_in_order,
	           fixture_teardown);
	g_test_add("/audit/concurrent-appends", Fixture, NULL, fixture_setup,
	           test_concurrent_appends, fixture_teardown);
	return g_test_run();
}
