/* Inbox against a real PostgreSQL: store before answer, duplicates, conflicts, processing
 * in one transaction with its effects, failures and refusals. Suite integration. */
#include <string.h>

#include "ph-answer.h"
#include "ph-dispatcher.h"
#include "ph-inbox.h"
#include "ph-outbox.h"
#include "ph-test-db.h"
#include "store-fixture.h"
#include "ph-txn.h"

static PhTestDb *test_db;

/* What the test handler does with a message, chosen by its body. */
static gboolean
effect_handler(PhTxn *txn, const PhInboxMessage *message, gpointer state, GError **error)
{
	g_autofree gchar *body =
	        g_strndup(g_bytes_get_data(message->body, NULL), g_bytes_get_size(message->body));
	const gchar *params[] = {message->message_id, body};
	g_autoptr(PGresult) result = ph_db_query(
	        ph_txn_get_db(txn), "INSERT INTO test_effect (message_id, body) VALUES ($1, $2)", 2,
	        params, error);
	if (result == NULL)
		return FALSE;
	g_autoptr(GBytes) payload = g_bytes_new_static("reply", 5);
	if (!ph_txn_outbox_add(txn, "test.reply", message->message_id, payload, error))
		return FALSE;
	/* Effects above must vanish when the handler fails. */
	if (g_str_has_prefix(body, "invalid")) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "field AAC002: not an id");
		return FALSE;
	}
	if (g_str_has_prefix(body, "transient")) {
		g_set_error(error, PH_ERROR, PH_ERROR_TRANSIENT, "core busy");
		return FALSE;
	}
	return TRUE;
}

static void
fixture_setup(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	store_fixture_setup(fixture, test_db,
	                    "TRUNCATE inbox, inbox_refusal, outbox, dead_letter, plugin_state; "
	                    "CREATE TABLE IF NOT EXISTS test_effect (message_id text, body text); "
	                    "TRUNCATE test_effect");
	ph_registry_add_inbox_handler(fixture->registry, NULL, "test.kind", effect_handler, &error);
	g_assert_no_error(error);
}

static PhAnswer *
store(Fixture *fixture, const gchar *message_id, const gchar *body, guint status,
      gboolean *duplicate, GError **error)
{
	g_autoptr(GBytes) bytes = g_bytes_new(body, strlen(body));
	g_autoptr(GBytes) answer_body = g_bytes_new_take(g_strdup_printf("ack %u", status), 7);
	g_autoptr(PhAnswer) answer = ph_answer_new(status, "text/plain", answer_body);
	return ph_inbox_store(fixture->db, "bank-a", "test.kind", message_id, bytes, answer,
	                      duplicate, NULL, error);
}

static void
test_inbox_duplicate_gets_first_answer(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	gboolean duplicate = TRUE;
	g_autoptr(PhAnswer) first = store(fixture, "m-1", "hello", 202, &duplicate, &error);
	g_assert_no_error(error);
	g_assert_false(duplicate);
	run_once(fixture);

	/* The repeat offers another answer (200): the stored first one (202) comes back. */
	g_autoptr(PhAnswer) again = store(fixture, "m-1", "hello", 200, &duplicate, &error);
	g_assert_no_error(error);
	g_assert_true(duplicate);
	g_assert_cmpuint(again->status, ==, 202);
	g_assert_cmpstr(again->content_type, ==, "text/plain");
	g_assert_true(g_bytes_equal(again->body, first->body));
	run_once(fixture);

	g_assert_cmpint(count(fixture, "SELECT count(*) FROM test_effect"), ==, 1);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM inbox"), ==, 1);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM inbox WHERE state = 'processed'"), ==,
	                1);
	/* The outbox row of the handler was committed with the effect. */
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM outbox WHERE topic = 'test.reply'"),
	                ==, 1);
}

static void
test_inbox_conflicting_duplicate(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhAnswer) first = store(fixture, "m-2", "hello", 202, NULL, &error);
	g_assert_no_error(error);
	g_autoptr(PhAnswer) clash = store(fixture, "m-2", "HELLO", 202, NULL, &error);
	g_assert_null(clash);
	g_assert_error(error, PH_ERROR, PH_ERROR_CONFLICT);
	g_assert_nonnull(strstr(error->message, "m-2"));
	run_once(fixture);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM test_effect WHERE body = 'hello'"), ==,
	                1);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM test_effect"), ==, 1);
}

static void
test_inbox_invalid_input_fails_without_effects(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhAnswer) answer = store(fixture, "m-3", "invalid id", 202, NULL, &error);
	g_assert_no_error(error);
	run_once(fixture);
	PhDispatcherCounts counts;
	ph_dispatcher_get_counts(fixture->dispatcher, &counts);
	g_assert_cmpuint(counts.inbox_failed, ==, 1);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM inbox WHERE state = 'failed' "
	                               "AND last_error = 'field AAC002: not an id'"),
	                ==, 1);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM test_effect"), ==, 0);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM outbox"), ==, 0);
}

static void
test_inbox_transient_failure_retried(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhAnswer) answer = store(fixture, "m-4", "transient", 202, NULL, &error);
	g_assert_no_error(error);
	run_once(fixture);
	/* Rolled back, still pending, due after the first backoff (0.5 s to 1 s). */
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM inbox WHERE state = 'pending' AND "
	                               "attempts = 1 AND last_error = 'core busy' AND "
	                               "next_attempt_at > now()"),
	                ==, 1);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM test_effect"), ==, 0);

	/* Time passes (made due by hand), the body is fixed: now it goes through. */
	ph_db_exec(
	        fixture->db,
	        "UPDATE inbox SET next_attempt_at = now(), body = 'fixed' WHERE message_id = 'm-4'",
	        &error);
	g_assert_no_error(error);
	run_once(fixture);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM inbox WHERE state = 'processed' "
	                               "AND attempts = 2"),
	                ==, 1);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM test_effect"), ==, 1);
}

static void
test_inbox_mixed_batch(Fixture *fixture, gconstpointer data)
{
	/* One batch, one transaction: each failure undoes only its own message's effects. */
	g_autoptr(GError) error = NULL;
	const gchar *bodies[] = {"ok one", "invalid two", "transient three", "ok four"};
	for (guint i = 0; i < G_N_ELEMENTS(bodies); i++) {
		g_autofree gchar *id = g_strdup_printf("batch-%u", i);
		g_autoptr(PhAnswer) answer = store(fixture, id, bodies[i], 202, NULL, &error);
		g_assert_no_error(error);
	}
	guint handled = 0;
	PhInboxCounts counts = {0};
	g_assert_true(
	        ph_inbox_process(fixture->db, fixture->registry, 10, &counts, &handled, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(handled, ==, 4);
	g_assert_cmpuint(counts.processed, ==, 2);
	g_assert_cmpuint(counts.failed, ==, 1);
	g_assert_cmpuint(counts.retried, ==, 1);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM test_effect WHERE body LIKE 'ok %'"),
	                ==, 2);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM test_effect"), ==, 2);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM outbox"), ==, 2);
	/* each outcome is audited with its row (docs/security.md): the hub, inbound-STATE,
	 * inbox ID, no payload; a retry is no outcome */
	static const gchar outcomes[] =
	        "SELECT count(*) FROM audit_pending a JOIN inbox i ON a.object = 'inbox ' || i.id "
	        "WHERE a.actor = 'hub' AND a.action = 'inbound-' || i.state "
	        "AND a.payload_digest IS NULL";
	g_assert_cmpint(count(fixture, outcomes), ==, 3);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM audit_pending WHERE action = "
	                               "'inbound-failed' AND object = (SELECT 'inbox ' || id "
	                               "FROM inbox WHERE message_id = 'batch-1')"),
	                ==, 1);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM audit_pending WHERE object = "
	                               "(SELECT 'inbox ' || id FROM inbox WHERE message_id = "
	                               "'batch-2')"),
	                ==, 0);
}

static void
test_inbox_unhandled_kind_stays_pending(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) body = g_bytes_new_static("x", 1);
	g_autoptr(PhAnswer) answer = ph_answer_new(202, NULL, NULL);
	g_autoptr(PhAnswer) stored = ph_inbox_store(fixture->db, "bank-a", "nobody.handles", "m-5",
	                                            body, answer, NULL, NULL, &error);
	g_assert_no_error(error);
	g_test_expect_message("ph-hub", G_LOG_LEVEL_WARNING, "*no handler*nobody.handles*");
	run_once(fixture);
	g_test_assert_expected_messages();
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM inbox WHERE state = 'pending' AND "
	                               "attempts = 0 AND next_attempt_at > now()"),
	                ==, 1);
}

static void
test_inbox_resumes_after_crash(Fixture *fixture, gconstpointer data)
{
	/* Stored (answered) but the process died before processing: a new dispatcher on a
	 * new connection picks it up. */
	g_autoptr(GError) error = NULL;
	g_autoptr(PhAnswer) answer = store(fixture, "m-6", "hello", 202, NULL, &error);
	g_assert_no_error(error);
	g_autoptr(PhDispatcher) restarted = ph_dispatcher_new(fixture->registry, 1);
	g_autoptr(PhDb) db = ph_test_db_connect(test_db);
	guint handled = 0;
	g_assert_true(ph_dispatcher_run_once(restarted, db, &handled, &error));
	g_assert_cmpuint(handled, ==, 1);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM test_effect"), ==, 1);
}

static void
test_inbox_refusal_recorded(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) body = g_bytes_new_static("<tampered/>", 11);
	g_assert_true(ph_inbox_record_refusal(fixture->db, NULL, "transfer.case", body,
	                                      "signature does not verify", &error));
	g_assert_no_error(error);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM inbox_refusal WHERE partner IS NULL "
	                               "AND body = '<tampered/>' AND "
	                               "reason = 'signature does not verify' AND "
	                               "digest = sha256('<tampered/>')"),
	                ==, 1);
}

static void
test_inbox_list_and_show(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhAnswer) first = store(fixture, "m-7", "one", 202, NULL, &error);
	g_autoptr(PhAnswer) second = store(fixture, "m-8", "invalid two", 202, NULL, &error);
	run_once(fixture);
	g_autoptr(GPtrArray) failed = ph_inbox_list(fixture->db, "failed", 10, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(failed->len, ==, 1);
	PhInboxRecord *row = g_ptr_array_index(failed, 0);
	g_assert_cmpstr(row->message_id, ==, "m-8");
	g_assert_null(row->body);

	g_autoptr(PhInboxRecord) shown = ph_inbox_show(fixture->db, row->id, &error);
	g_assert_no_error(error);
	g_assert_cmpint(g_bytes_get_size(shown->body), ==, strlen("invalid two"));
	/* sha256("invalid two"), as computed by sha256sum. */
	g_autofree gchar *expected =
	        g_compute_checksum_for_string(G_CHECKSUM_SHA256, "invalid two", -1);
	g_assert_cmpstr(shown->digest, ==, expected);
	g_assert_cmpuint(shown->answer_status, ==, 202);

	g_autoptr(PhInboxRecord) missing = ph_inbox_show(fixture->db, 999999, &error);
	g_assert_error(error, PH_ERROR, PH_ERROR_NOT_FOUND);
}

static void
test_inbox_plugin_state(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhTxn) txn = ph_txn_begin(fixture->db, NULL, &error);
	g_autoptr(GBytes) value = g_bytes_new_static("cursor=42", 9);
	g_assert_no_error(error);
	g_assert_null(ph_txn_state_get(txn, "cursor", &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_NOT_FOUND);
	g_clear_error(&error);
	g_assert_true(ph_txn_state_set(txn, "cursor", value, &error));
	g_autoptr(GBytes) read = ph_txn_state_get(txn, "cursor", &error);
	g_assert_no_error(error);
	g_assert_true(g_bytes_equal(read, value));
	ph_txn_rollback(txn);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM plugin_state"), ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	test_db = ph_test_db_new();
#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
	ADD("/inbox/duplicate-gets-first-answer", test_inbox_duplicate_gets_first_answer);
	ADD("/inbox/conflicting-duplicate", test_inbox_conflicting_duplicate);
	ADD("/inbox/invalid-input-fails-without-effects",
	    test_inbox_invalid_input_fails_without_effects);
	ADD("/inbox/transient-failure-retried", test_inbox_transient_failure_retried);
	ADD("/inbox/mixed-batch", test_inbox_mixed_batch);
	ADD("/inbox/unhandled-kind-stays-pending", test_inbox_unhandled_kind_stays_pending);
	ADD("/inbox/resumes-after-crash", test_inbox_resumes_after_crash);
	ADD("/inbox/refusal-recorded", test_inbox_refusal_recorded);
	ADD("/inbox/list-and-show", test_inbox_list_and_show);
	ADD("/inbox/plugin-state", test_inbox_plugin_state);
#undef ADD
	int status = g_test_run();
	ph_test_db_free(test_db);
	return status;
}
