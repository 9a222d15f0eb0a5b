/* Message bodies encrypted at rest (issue 9 §3) against a real PostgreSQL: with a key file, no
 * inbox, refusal, outbox or dead-letter row holds an exchanged ID number in plaintext while
 * handlers and deliverers get the original bytes; digests stay those of the plaintext; a
 * tampered envelope is refused naming its row and never handed on; rows stored before keys
 * were configured stay readable and `keys rotate` seals them. The same for the core's events
 * and the outbox rows the routing trigger queues from them. Suite integration. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "ph-answer.h"
#include "ph-core-event.h"
#include "ph-field-body.h"
#include "ph-field-cipher.h"
#include "ph-field-key.h"
#include "ph-field-rotate.h"
#include "ph-inbox.h"
#include "ph-outbox.h"
#include "ph-sql-value.h"
#include "ph-state.h"
#include "ph-transfer-api.h"
#include "ph-test-hub.h"
#include "ph-test-keys.h"
#include "ph-txn.h"
#include "store-fixture.h"

static PhTestDb *test_db;
static gchar *key_dir;
static gchar *key_path;

/* A valid GB 11643 citizen ID (the weights of STANDARDS.md over 11010519580317123 sum to 200,
 * 200 mod 11 = 2, "10X98765432"[2] = 'X') that nothing else in the database holds, so finding
 * it anywhere means a plaintext copy. Its hex "3131…3358" is spelled out in the scans. */
#define PERSON_ID "11010519580317123X"

/* An exchanged document carrying the number, as a partner would send it. */
#define DOCUMENT "<msg><AAC002>" PERSON_ID "</AAC002><AAE010>6222020200112233</AAE010></msg>"

/* What the handler and deliverers were handed, for comparing with what was sent. */
static GBytes *handled_body;
static GBytes *delivered_payload;
static guint handled;
static guint delivered;
/* t.refused refuses for good while this is set (it is, at each test's start). */
static gboolean refusing;

/* Queues two replies carrying the number: one the partner takes, one it refuses for good
 * (a dead letter). */
static gboolean
reply_handler(PhTxn *txn, const PhInboxMessage *message, gpointer state, GError **error)
{
	handled++;
	g_clear_pointer(&handled_body, g_bytes_unref);
	handled_body = g_bytes_ref(message->body);
	return ph_txn_outbox_add(txn, "t.ok", message->message_id, message->body, error) &&
	       ph_txn_outbox_add(txn, "t.refused", message->message_id, message->body, error);
}

static gboolean
deliver_ok(const PhOutboxMessage *message, gpointer state, GError **error)
{
	delivered++;
	g_clear_pointer(&delivered_payload, g_bytes_unref);
	delivered_payload = g_bytes_ref(message->payload);
	return TRUE;
}

/* The routed core events handed to their subscriber, in order. */
static GPtrArray *events_delivered;

static gboolean
deliver_event(const PhOutboxMessage *message, gpointer state, GError **error)
{
	g_ptr_array_add(events_delivered, g_bytes_ref(message->payload));
	return deliver_ok(message, state, error);
}

static gboolean
deliver_refused(const PhOutboxMessage *message, gpointer state, GError **error)
{
	if (!refusing)
		return deliver_ok(message, state, error);
	g_set_error(error, PH_ERROR, PH_ERROR_PERMANENT, "partner says: unknown person");
	return FALSE;
}

/* Installs the test key file as the process's keys, as the daemon and pensionctl do. */
static void
install_keys(void)
{
	ph_test_keys_install(ph_test_db_get_url(test_db), key_path);
}

static void
fixture_setup(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	static const PhRetryPolicy policy = {10, 100, 3};
	store_fixture_setup(fixture, test_db,
	                    "TRUNCATE inbox, inbox_refusal, outbox, dead_letter, plugin_state, "
	                    "core_event, event_subscription; INSERT INTO event_subscription "
	                    "(event_type, topic, plugin) VALUES ('retired', 't.event', 't')");
	ph_registry_add_inbox_handler(fixture->registry, NULL, "t.kind", reply_handler, &error);
	g_assert_no_error(error);
	ph_registry_add_topic(fixture->registry, NULL, "t.ok", &policy, deliver_ok, &error);
	g_assert_no_error(error);
	ph_registry_add_topic(fixture->registry, NULL, "t.refused", &policy, deliver_refused,
	                      &error);
	g_assert_no_error(error);
	ph_registry_add_topic(fixture->registry, NULL, "t.event", &policy, deliver_event, &error);
	g_assert_no_error(error);
	g_clear_pointer(&events_delivered, g_ptr_array_unref);
	events_delivered = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	handled = delivered = 0;
	refusing = TRUE;
	install_keys();
}

static PhAnswer *
store(Fixture *fixture, const gchar *message_id, const gchar *body, gboolean *duplicate,
      GError **error)
{
	g_autoptr(GBytes) bytes = g_bytes_new(body, strlen(body));
	g_autoptr(GBytes) answer_body = g_bytes_new_static("ack " PERSON_ID, 22);
	g_autoptr(PhAnswer) answer = ph_answer_new(202, "text/plain", answer_body);
	return ph_inbox_store(fixture->db, "bank-a", "t.kind", message_id, bytes, answer, duplicate,
	                      NULL, error);
}

static void
refuse(Fixture *fixture, const gchar *body)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes = g_bytes_new(body, strlen(body));
	g_assert_true(ph_inbox_record_refusal(fixture->db, "bank-a", "t.kind", bytes,
	                                      "signature invalid", &error));
	g_assert_no_error(error);
}

/* Rows of the four body columns holding the number's digits anywhere in their bytes. */
static gint64
plaintext_rows(Fixture *fixture)
{
	return count(fixture,
	             "SELECT (SELECT count(*) FROM inbox WHERE position('\\x" /* PERSON_ID */
	             "313130313035313935383033313731323358'::bytea IN body) > 0 OR "
	             "position('\\x313130313035313935383033313731323358'::bytea IN "
	             "coalesce(answer_body, '')) > 0) + "
	             "(SELECT count(*) FROM inbox_refusal WHERE position("
	             "'\\x313130313035313935383033313731323358'::bytea IN body) > 0) + "
	             "(SELECT count(*) FROM outbox WHERE position("
	             "'\\x313130313035313935383033313731323358'::bytea IN payload) > 0) + "
	             "(SELECT count(*) FROM dead_letter WHERE position("
	             "'\\x313130313035313935383033313731323358'::bytea IN payload) > 0)");
}

/* Rows of the four body columns whose value is a binary envelope. */
static gint64
sealed_rows(Fixture *fixture)
{
	return count(fixture,
	             "SELECT (SELECT count(*) FROM inbox WHERE substring(body for 6) = "
	             "'\\x89706862313a' AND substring(answer_body for 6) = '\\x89706862313a') + "
	             "(SELECT count(*) FROM inbox_refusal WHERE substring(body for 6) = "
	             "'\\x89706862313a') + (SELECT count(*) FROM outbox WHERE "
	             "substring(payload for 6) = '\\x89706862313a') + (SELECT count(*) FROM "
	             "dead_letter WHERE substring(payload for 6) = '\\x89706862313a')");
}

static void
assert_bytes(GBytes *bytes, const gchar *expected)
{
	g_assert_nonnull(bytes);
	g_assert_cmpmem(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes), expected,
	                strlen(expected));
}

/* A partner message accepted and processed, its replies sent and dead-lettered, a refused
 * message: the SQL scan finds the number nowhere, while every reader got the plaintext. */
static void
test_sealed(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	gboolean duplicate = TRUE;
	g_autoptr(PhAnswer) first = store(fixture, "m-1", DOCUMENT, &duplicate, &error);
	g_assert_no_error(error);
	g_assert_false(duplicate);
	refuse(fixture, DOCUMENT);
	run_once(fixture);

	/* handler and deliverer got the bytes the partner sent */
	g_assert_cmpuint(handled, ==, 1);
	assert_bytes(handled_body, DOCUMENT);
	g_assert_cmpuint(delivered, ==, 1);
	assert_bytes(delivered_payload, DOCUMENT);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM dead_letter"), ==, 1);
	/* inbox row (body and answer), refusal, delivered reply, dead letter */
	g_assert_cmpint(sealed_rows(fixture), ==, 4);
	g_assert_cmpint(plaintext_rows(fixture), ==, 0);

	/* the digests are the plaintext's SHA-256, as computed here */
	g_autofree gchar *digest = g_compute_checksum_for_string(G_CHECKSUM_SHA256, DOCUMENT, -1);
	g_autofree gchar *sql = g_strdup_printf(
	        "SELECT (SELECT count(*) FROM inbox WHERE encode(digest, 'hex') = '%s') + "
	        "(SELECT count(*) FROM inbox_refusal WHERE encode(digest, 'hex') = '%s')",
	        digest, digest);
	g_assert_cmpint(count(fixture, sql), ==, 2);

	/* a repeat with the same bytes gets the stored answer; other bytes conflict */
	g_autoptr(PhAnswer) again = store(fixture, "m-1", DOCUMENT, &duplicate, &error);
	g_assert_no_error(error);
	g_assert_true(duplicate);
	assert_bytes(again->body, "ack " PERSON_ID);
	g_autoptr(PhAnswer) clash = store(fixture, "m-1", DOCUMENT " ", &duplicate, &error);
	g_assert_null(clash);
	g_assert_error(error, PH_ERROR, PH_ERROR_CONFLICT);
	g_clear_error(&error);

	/* the operator's views open them; sizes are the plaintext's */
	gint64 inbox_id = count(fixture, "SELECT id FROM inbox");
	g_autoptr(PhInboxRecord) shown = ph_inbox_show(fixture->db, inbox_id, &error);
	g_assert_no_error(error);
	assert_bytes(shown->body, DOCUMENT);
	assert_bytes(shown->answer_body, "ack " PERSON_ID);
	g_assert_cmpint(shown->body_size, ==, strlen(DOCUMENT));
	gint64 dead_id = count(fixture, "SELECT id FROM dead_letter");
	g_autoptr(PhOutboxRecord) dead = ph_outbox_show(fixture->db, dead_id, &error);
	g_assert_no_error(error);
	assert_bytes(dead->payload, DOCUMENT);
	g_assert_cmpint(dead->payload_size, ==, strlen(DOCUMENT));

	/* a plugin's copy of what it sent (the archive packs it) is sealed in its state too */
	g_autoptr(GBytes) sent = g_bytes_new_static(DOCUMENT, strlen(DOCUMENT));
	g_assert_true(ph_state_set(fixture->db, "t.plugin", "sent:t.ok:m-1", sent, &error));
	g_assert_no_error(error);
	g_autoptr(GBytes) kept = ph_state_get(fixture->db, "t.plugin", "sent:t.ok:m-1", &error);
	g_assert_no_error(error);
	assert_bytes(kept, DOCUMENT);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM plugin_state WHERE "
	                               "substring(value for 6) = '\\x89706862313a' AND position("
	                               "'\\x313130313035313935383033313731323358'::bytea IN "
	                               "value) = 0"),
	                ==, 1);

	/* a dead letter requeued is delivered with its original bytes */
	g_assert_true(ph_outbox_retry(fixture->db, dead_id, &error));
	g_assert_no_error(error);
	g_clear_pointer(&delivered_payload, g_bytes_unref);
	refusing = FALSE;
	run_once(fixture);
	g_assert_cmpuint(delivered, ==, 2);
	assert_bytes(delivered_payload, DOCUMENT);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM dead_letter"), ==, 0);
	g_assert_cmpint(plaintext_rows(fixture), ==, 0);
}

/* Flips one byte of the ciphertext of @table's @column in every row. */
static void
tamper(Fixture *fixture, const gchar *table, const gchar *column)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *sql =
	        g_strdup_printf("UPDATE %s SET %s = set_byte(%s, octet_length(%s) - 20, "
	                        "get_byte(%s, octet_length(%s) - 20) # 1)",
	                        table, column, column, column, column, column);
	g_assert_true(ph_db_exec(fixture->db, sql, &error));
	g_assert_no_error(error);
}

/* An altered inbox body fails its row naming it, the handler never sees it; an altered
 * outbox payload goes to the dead letters naming it, the deliverer never sees it. */
static void
test_tampered(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhAnswer) answer = store(fixture, "m-2", DOCUMENT, NULL, &error);
	g_assert_no_error(error);
	tamper(fixture, "inbox", "body");
	g_test_expect_message("ph-hub", G_LOG_LEVEL_WARNING,
	                      "inbox message *: inbox.body under key k1 does not decrypt *; not "
	                      "handed to t.kind");
	run_once(fixture);
	g_test_assert_expected_messages();
	g_assert_cmpuint(handled, ==, 0);
	gint64 id = count(fixture, "SELECT id FROM inbox");
	g_autofree gchar *failed = g_strdup_printf(
	        "SELECT count(*) FROM inbox WHERE state = 'failed' AND last_error = 'inbox "
	        "message %" G_GINT64_FORMAT ": inbox.body under key k1 does not decrypt "
	        "(altered, moved from another column or under a wrong key)'",
	        id);
	g_assert_cmpint(count(fixture, failed), ==, 1);
	g_autoptr(PhInboxRecord) shown = ph_inbox_show(fixture->db, id, &error);
	g_assert_null(shown);
	g_assert_error(error, PH_ERROR, PH_ERROR_PERMANENT);
	g_autofree gchar *row = g_strdup_printf("inbox message %" G_GINT64_FORMAT ":", id);
	g_assert_true(g_str_has_prefix(error->message, row));
	g_clear_error(&error);

	g_autoptr(GBytes) payload = g_bytes_new_static(DOCUMENT, strlen(DOCUMENT));
	gint64 out_id = 0;
	g_assert_true(ph_outbox_add(fixture->db, "t.ok", "k", payload, &out_id, &error));
	g_assert_no_error(error);
	tamper(fixture, "outbox", "payload");
	g_test_expect_message("ph-hub", G_LOG_LEVEL_WARNING,
	                      "outbox message *: outbox.payload under key k1 does not decrypt *; "
	                      "not handed to the deliverer of t.ok");
	run_once(fixture);
	g_test_assert_expected_messages();
	g_assert_cmpuint(delivered, ==, 0);
	g_autofree gchar *dead =
	        g_strdup_printf("SELECT count(*) FROM dead_letter WHERE id = %" G_GINT64_FORMAT
	                        " AND last_error LIKE 'outbox message %" G_GINT64_FORMAT
	                        ": outbox.payload under key k1 does not decrypt%%'",
	                        out_id, out_id);
	g_assert_cmpint(count(fixture, dead), ==, 1);
	g_autoptr(PhOutboxRecord) record = ph_outbox_show(fixture->db, out_id, &error);
	g_assert_null(record);
	g_assert_error(error, PH_ERROR, PH_ERROR_PERMANENT);
}

/* An envelope copied into another kind of column does not open there (the column is
 * authenticated): a refused message's body pasted into the outbox is dead-lettered, not
 * delivered. */
static void
test_moved(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	refuse(fixture, DOCUMENT);
	g_assert_true(ph_db_exec(fixture->db,
	                         "INSERT INTO outbox (topic, key, payload) "
	                         "SELECT 't.ok', 'moved', body FROM inbox_refusal",
	                         &error));
	g_assert_no_error(error);
	g_test_expect_message("ph-hub", G_LOG_LEVEL_WARNING,
	                      "outbox message *: outbox.payload under key * does not decrypt *");
	run_once(fixture);
	g_test_assert_expected_messages();
	g_assert_cmpuint(delivered, ==, 0);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM dead_letter WHERE key = 'moved' AND "
	                               "last_error LIKE '%outbox.payload under key%'"),
	                ==, 1);
}

/* Adds key @key_id and rotates one row per batch: `keys status` counted @stale values first,
 * all are re-sealed, none is left. */
static void
rotate_to(Fixture *fixture, const gchar *key_id, gint64 stale)
{
	g_autoptr(GError) error = NULL;
	g_assert_true(ph_field_keys_add(key_path, key_id, NULL, &error));
	g_assert_no_error(error);
	g_autoptr(PhFieldKeys) keys = ph_field_keys_load(key_path, &error);
	g_assert_no_error(error);
	gint64 total = 0;
	g_assert_true(ph_field_rotate_count_stale(fixture->db, keys, &total, &error));
	g_assert_no_error(error);
	g_assert_cmpint(total, ==, stale);
	PhFieldRotation rotation;
	g_assert_true(ph_field_rotate(fixture->db, keys, 1, NULL, NULL, &rotation, &error));
	g_assert_no_error(error);
	g_assert_cmpint(rotation.resealed, ==, stale);
	g_assert_true(ph_field_rotate_count_stale(fixture->db, keys, &total, &error));
	g_assert_no_error(error);
	g_assert_cmpint(total, ==, 0);
}

/* Rows stored before keys were configured stay readable; `keys status` counts them and the
 * ones under the old key; rotation seals all under the new key and they still read. */
static void
test_rotate(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	ph_field_cipher_install(NULL);
	g_autoptr(PhAnswer) plain = store(fixture, "m-plain", DOCUMENT, NULL, &error);
	g_assert_no_error(error);
	refuse(fixture, DOCUMENT);
	install_keys();
	g_autoptr(PhAnswer) sealed = store(fixture, "m-sealed", DOCUMENT, NULL, &error);
	g_assert_no_error(error);
	/* m-plain's inbox row (body and answer) and the refusal were stored in plaintext */
	g_assert_cmpint(plaintext_rows(fixture), ==, 2);
	gint64 plain_id = count(fixture, "SELECT id FROM inbox WHERE message_id = 'm-plain'");
	g_autoptr(PhInboxRecord) before = ph_inbox_show(fixture->db, plain_id, &error);
	g_assert_no_error(error);
	assert_bytes(before->body, DOCUMENT);
	run_once(fixture);
	g_assert_cmpuint(handled, ==, 2);
	assert_bytes(handled_body, DOCUMENT);

	/* `keys status` counts everything written so far (plaintext or under k1): the 2 inbox
	 * rows' bodies and answers, 1 refusal, the 2 delivered replies, the 2 dead letters */
	rotate_to(fixture, "k-bodies", 9);
	g_assert_cmpint(plaintext_rows(fixture), ==, 0);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM inbox WHERE substring(body for 15) = "
	                               "'\\x89706862313a6b2d626f646965733a'" /* …k-bodies: */),
	                ==, 2);

	/* the installed keys read the new key from the file when they meet it */
	g_autoptr(PhInboxRecord) after = ph_inbox_show(fixture->db, plain_id, &error);
	g_assert_no_error(error);
	assert_bytes(after->body, DOCUMENT);
	assert_bytes(after->answer_body, "ack " PERSON_ID);
	gint64 dead_id = count(fixture, "SELECT min(id) FROM dead_letter");
	g_autoptr(PhOutboxRecord) dead = ph_outbox_show(fixture->db, dead_id, &error);
	g_assert_no_error(error);
	assert_bytes(dead->payload, DOCUMENT);
}

/* A transfer case's signed document is kept sealed in transfer_message and found again as
 * it was exchanged (the archive's read opens it the same way). */
static void
test_transfer_message(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) body = g_bytes_new_static(DOCUMENT, strlen(DOCUMENT));
	const PhTransferMessage message = {"case-1", "msg-1", "in", "INFO", "ACCEPTED", NULL, body};
	g_autoptr(PhTxn) txn = ph_txn_begin(fixture->db, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(ph_transfer_message_add(txn, &message, &error));
	g_assert_no_error(error);
	g_autoptr(GBytes) found = ph_transfer_message_find(txn, "case-1", "in", "INFO", &error);
	g_assert_no_error(error);
	assert_bytes(found, DOCUMENT);
	g_assert_true(ph_txn_commit(txn, &error));
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM transfer_message WHERE body LIKE "
	                               "'enc1:k1:%' AND position('" PERSON_ID "' IN body) = 0"),
	                ==, 1);
	g_assert_true(ph_db_exec(fixture->db, "TRUNCATE transfer_message", &error));
	g_assert_no_error(error);
}

/* Large bodies: a rotation batch reads at most 16 MB of them, so three payloads of 7 MB take
 * two batches in one walk (the third left for the second batch, not skipped to a later pass:
 * the pass after finds nothing) and still open to their bytes. */
static void
test_rotate_large(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	gsize size = 7 * 1024 * 1024;
	g_autofree gchar *text = g_malloc(size);
	memset(text, 'a', size);
	g_autoptr(GBytes) payload = g_bytes_new_take(g_steal_pointer(&text), size);
	for (guint i = 0; i < 3; i++) {
		g_assert_true(ph_outbox_add(fixture->db, "t.idle", "large", payload, NULL, &error));
		g_assert_no_error(error);
	}
	g_autofree gchar *key_id = g_strdup_printf("k-large-%" G_GINT64_FORMAT, g_get_real_time());
	g_assert_true(ph_field_keys_add(key_path, key_id, NULL, &error));
	g_assert_no_error(error);
	g_autoptr(PhFieldKeys) keys = ph_field_keys_load(key_path, &error);
	g_assert_no_error(error);
	PhFieldRotation rotation;
	g_assert_true(ph_field_rotate(fixture->db, keys, 1000, NULL, NULL, &rotation, &error));
	g_assert_no_error(error);
	g_assert_cmpint(rotation.resealed, ==, 3);
	g_assert_cmpuint(rotation.batches, ==, 2);
	g_assert_cmpuint(rotation.passes, ==, 2);
	gint64 id = count(fixture, "SELECT max(id) FROM outbox");
	g_autoptr(PhOutboxRecord) record = ph_outbox_show(fixture->db, id, &error);
	g_assert_no_error(error);
	g_assert_true(g_bytes_equal(record->payload, payload));
}

/* Without a key file nothing changes: bodies are stored as they came. */
/* A payload sealed under a key this process does not have is not handed on, and not
 * dead-lettered either: it waits a minute for the key file to come back. */
static void
test_key_missing(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) payload = g_bytes_new_static(DOCUMENT, strlen(DOCUMENT));
	gint64 out_id = 0;
	g_assert_true(ph_outbox_add(fixture->db, "t.ok", "k", payload, &out_id, &error));
	g_assert_no_error(error);
	ph_field_cipher_install(NULL);
	g_test_expect_message("ph-hub", G_LOG_LEVEL_WARNING,
	                      "outbox message *: outbox.payload is sealed under key k1 but no "
	                      "[keys] file is configured; not handed to the deliverer of t.ok");
	run_once(fixture);
	g_test_assert_expected_messages();
	g_assert_cmpuint(delivered, ==, 0);
	g_autofree gchar *waiting = g_strdup_printf(
	        "SELECT count(*) FROM outbox WHERE id = %" G_GINT64_FORMAT " AND state = 'pending' "
	        "AND next_attempt_at > now() + interval '50 seconds'",
	        out_id);
	g_assert_cmpint(count(fixture, waiting), ==, 1);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM dead_letter"), ==, 0);
}

static void
test_without_keys(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	ph_field_cipher_install(NULL);
	g_autoptr(PhAnswer) answer = store(fixture, "m-4", DOCUMENT, NULL, &error);
	g_assert_no_error(error);
	run_once(fixture);
	assert_bytes(handled_body, DOCUMENT);
	g_assert_cmpint(sealed_rows(fixture), ==, 0);
	/* body and answer of the inbox row, the delivered reply and the dead letter */
	g_assert_cmpint(plaintext_rows(fixture), ==, 3);
	g_assert_cmpint(count(fixture,
	                      "SELECT count(*) FROM inbox WHERE body = convert_to('" DOCUMENT
	                      "', 'UTF8')"),
	                ==, 1);
}

/* ---- core events and the outbox rows routed from them ---- */

/* A retirement's benefit JSON as the core writes it, with the ID number. */
#define EVENT_PAYLOAD "{\"id_number\": \"" PERSON_ID "\", \"monthly\": 350003}"

static void
append_event(Fixture *fixture, const gchar *business_key)
{
	g_autoptr(GError) error = NULL;
	g_assert_true(ph_core_event_append(fixture->db, PH_CORE_EVENT_RETIRED, 0, business_key,
	                                   EVENT_PAYLOAD, &error));
	g_assert_no_error(error);
}

/* core_event rows holding the number's digits anywhere in their payload. */
static gint64
plaintext_events(Fixture *fixture)
{
	return count(fixture, "SELECT count(*) FROM core_event WHERE position('" PERSON_ID
	                      "' IN payload::text) > 0");
}

/* What a subscriber was handed for event @business_key: the trigger's members, and the
 * payload as the core wrote it (EVENT_PAYLOAD). */
static void
assert_event(GBytes *bytes, const gchar *business_key)
{
	g_autoptr(GError) error = NULL;
	g_assert_nonnull(bytes);
	g_autofree gchar *text = g_strndup(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes));
	g_autoptr(JsonNode) root = json_from_string(text, &error);
	g_assert_no_error(error);
	JsonObject *event = json_node_get_object(root);
	g_assert_cmpstr(json_object_get_string_member(event, "type"), ==, "retired");
	g_assert_cmpstr(json_object_get_string_member(event, "business_key"), ==, business_key);
	g_assert_cmpint(json_object_get_int_member(event, "event_id"), >, 0);
	JsonObject *payload = json_object_get_object_member(event, "payload");
	g_assert_nonnull(payload);
	g_assert_cmpstr(json_object_get_string_member(payload, "id_number"), ==, PERSON_ID);
	g_assert_cmpint(json_object_get_int_member(payload, "monthly"), ==, 350003);
}

/* An event appended with a key file: its payload is an envelope (a jsonb string), its routed
 * outbox row holds the envelope too (marked 0x89 "phe1:"), the subscriber gets the JSON in the
 * clear, and so does `outbox show`. */
static void
test_event_sealed(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	append_event(fixture, "person:1");
	g_assert_cmpint(plaintext_events(fixture), ==, 0);
	g_assert_cmpint(plaintext_rows(fixture), ==, 0);
	g_assert_cmpint(count(fixture,
	                      "SELECT count(*) FROM core_event WHERE jsonb_typeof(payload) "
	                      "= 'string' AND starts_with(payload #>> '{}', 'enc1:')"),
	                ==, 1);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM outbox WHERE topic = 't.event' AND "
	                               "substring(payload for 6) = '\\x89706865313a'"),
	                ==, 1);
	/* both under the current key: `keys status` counts nothing to rotate */
	g_autoptr(PhFieldKeys) keys = ph_field_keys_load(key_path, &error);
	g_assert_no_error(error);
	gint64 stale = -1;
	g_assert_true(ph_field_rotate_count_stale(fixture->db, keys, &stale, &error));
	g_assert_no_error(error);
	g_assert_cmpint(stale, ==, 0);
	run_once(fixture);
	g_assert_cmpuint(delivered, ==, 1);
	assert_event(delivered_payload, "person:1");
	gint64 id = count(fixture, "SELECT id FROM outbox WHERE topic = 't.event'");
	g_autoptr(PhOutboxRecord) shown = ph_outbox_show(fixture->db, id, &error);
	g_assert_no_error(error);
	assert_event(shown->payload, "person:1");
	g_assert_cmpint(plaintext_rows(fixture), ==, 0);
}

/* A routed event whose payload was altered, or replaced by an envelope of another column (an
 * ID number sealed as a field), is dead-lettered naming the row and the event; the subscriber
 * never sees it. */
static void
test_event_tampered(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	append_event(fixture, "person:2");
	/* one base64 character of the routed copy's ciphertext changed (A↔B, both base64) */
	g_assert_true(ph_db_exec(
	        fixture->db,
	        "UPDATE outbox SET payload = substring(payload for 6) || convert_to(regexp_replace("
	        "convert_from(substring(payload from 7), 'UTF8'), '(enc1:[^:]*:.{20})(.)', "
	        "'\\1' || CASE WHEN substring(convert_from(substring(payload from 7), 'UTF8') "
	        "from 'enc1:[^:]*:.{20}(.)') = 'A' THEN 'B' ELSE 'A' END), 'UTF8')",
	        &error));
	g_assert_no_error(error);
	g_autofree gchar *moved = ph_field_seal(PERSON_ID, &error);
	g_assert_no_error(error);
	g_autofree gchar *insert = g_strdup_printf(
	        "INSERT INTO core_event (type, business_key, payload) VALUES ('retired', "
	        "'person:3', to_jsonb('%s'::text))",
	        moved);
	g_assert_true(ph_db_exec(fixture->db, insert, &error));
	g_assert_no_error(error);
	g_test_expect_message("ph-hub", G_LOG_LEVEL_WARNING,
	                      "outbox message *: core event * (retired) payload: encrypted field "
	                      "under key * does not decrypt*; not handed to the deliverer of "
	                      "t.event");
	g_test_expect_message("ph-hub", G_LOG_LEVEL_WARNING,
	                      "outbox message *: core event * (retired) payload: the envelope "
	                      "holds no event payload*; not handed to the deliverer of t.event");
	run_once(fixture);
	g_test_assert_expected_messages();
	g_assert_cmpuint(delivered, ==, 0);
	g_assert_cmpint(
	        count(fixture,
	              "SELECT count(*) FROM dead_letter d JOIN core_event e ON d.key = "
	              "'retired:' || e.business_key WHERE d.last_error LIKE 'outbox message ' "
	              "|| d.id || ': core event ' || e.id || ' (retired) payload: ' || "
	              "CASE e.business_key WHEN 'person:2' THEN 'encrypted field under "
	              "key % does not decrypt (altered or wrong key)' ELSE 'the envelope "
	              "holds no event payload (moved from another column)' END"),
	        ==, 2);
	gint64 id = count(fixture, "SELECT min(id) FROM dead_letter");
	g_autoptr(PhOutboxRecord) shown = ph_outbox_show(fixture->db, id, &error);
	g_assert_null(shown);
	g_assert_nonnull(error);
	g_assert_nonnull(strstr(error->message, "does not decrypt"));
}

/* A routed event whose payload's key this process does not have waits a minute for the key
 * file to come back, neither delivered nor dead-lettered. */
static void
test_event_key_missing(Fixture *fixture, gconstpointer data)
{
	append_event(fixture, "person:7");
	ph_field_cipher_install(NULL);
	g_test_expect_message(
	        "ph-hub", G_LOG_LEVEL_WARNING,
	        "outbox message *: core event * (retired) payload: an encrypted field "
	        "was read but no key file is configured ([keys] file); not handed to "
	        "the deliverer of t.event");
	run_once(fixture);
	g_test_assert_expected_messages();
	g_assert_cmpuint(delivered, ==, 0);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM outbox WHERE key = 'retired:person:7' "
	                               "AND state = 'pending' AND next_attempt_at > now() + "
	                               "interval '50 seconds'"),
	                ==, 1);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM dead_letter"), ==, 0);
}

/* The stored payload of outbox row @key, as it is in the table. */
static GBytes *
stored_payload(Fixture *fixture, const gchar *key)
{
	g_autoptr(GError) error = NULL;
	const gchar *params[] = {key};
	g_autoptr(PGresult) result = ph_db_query(
	        fixture->db, "SELECT payload FROM outbox WHERE key = $1", 1, params, &error);
	g_assert_no_error(error);
	g_assert_cmpint(PQntuples(result), ==, 1);
	return ph_sql_value_bytes(result, 0, 0);
}

static void
add_count(const gchar *what, const gchar *key_id, gint64 n, gpointer user_data)
{
	g_string_append_printf(user_data, "%s %s %" G_GINT64_FORMAT "; ", what,
	                       key_id != NULL ? key_id : "plaintext", n);
}

/* What `keys status` prints by key id for events and routed rows, as "WHAT KEY N; …". */
static gchar *
event_counts(Fixture *fixture)
{
	g_autoptr(GError) error = NULL;
	GString *counts = g_string_new(NULL);
	g_assert_true(ph_field_rotate_count_events(fixture->db, add_count, counts, &error));
	g_assert_no_error(error);
	return g_string_free(counts, FALSE);
}

/* An event from before the key file stays readable and is delivered as the trigger wrote it,
 * beside one sealed under the old key; `keys status` counts both and their routed rows;
 * rotation seals every one under the new key (routed rows become ordinary sealed outbox
 * bodies) and they still open; an event appended after it is delivered in the clear. */
static void
test_event_rotate(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	ph_field_cipher_install(NULL);
	append_event(fixture, "person:4");
	g_autoptr(GBytes) as_routed = stored_payload(fixture, "retired:person:4");
	install_keys();
	append_event(fixture, "person:5");
	/* the plaintext event and its routed row */
	g_assert_cmpint(plaintext_events(fixture), ==, 1);
	g_assert_cmpint(plaintext_rows(fixture), ==, 1);
	run_once(fixture);
	g_assert_cmpuint(events_delivered->len, ==, 2);
	g_assert_true(g_bytes_equal(g_ptr_array_index(events_delivered, 0), as_routed));
	assert_event(g_ptr_array_index(events_delivered, 0), "person:4");
	assert_event(g_ptr_array_index(events_delivered, 1), "person:5");

	/* one of each in plaintext, one of each under the key current before (k1, or the one an
	 * earlier test added) */
	g_autoptr(PhFieldKeys) before = ph_field_keys_load(key_path, &error);
	g_assert_no_error(error);
	g_autofree gchar *old_key = ph_field_keys_current(before);
	g_autofree gchar *expected = g_strdup_printf(
	        "core events plaintext 1; core events %s 1; routed notifications plaintext 1; "
	        "routed notifications %s 1; ",
	        old_key, old_key);
	g_autofree gchar *counted = event_counts(fixture);
	g_assert_cmpstr(counted, ==, expected);

	/* the 2 events and their 2 routed rows (delivered, kept in the outbox) */
	rotate_to(fixture, "k-events", 4);
	g_assert_cmpint(plaintext_events(fixture), ==, 0);
	g_assert_cmpint(plaintext_rows(fixture), ==, 0);
	g_autofree gchar *rotated = event_counts(fixture);
	g_assert_cmpstr(rotated, ==, "core events k-events 2; routed notifications k-events 2; ");
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM core_event WHERE "
	                               "starts_with(payload #>> '{}', 'enc1:k-events:')"),
	                ==, 2);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM outbox WHERE substring(payload for "
	                               "15) = '\\x89706862313a6b2d6576656e74733a'" /* k-events: */),
	                ==, 2);
	/* each routed row's envelope holds the event in the clear, no envelope under the old key
	 * (which could then never be removed from the key file) */
	g_autoptr(PhFieldKeys) keys = ph_field_keys_load(key_path, &error);
	g_assert_no_error(error);
	const gchar *business_keys[] = {"person:4", "person:5"};
	for (guint i = 0; i < G_N_ELEMENTS(business_keys); i++) {
		g_autofree gchar *key = g_strdup_printf("retired:%s", business_keys[i]);
		g_autoptr(GBytes) stored = stored_payload(fixture, key);
		g_autoptr(GBytes) opened =
		        ph_field_keys_open_bytes(keys, stored, PH_FIELD_BODY_OUTBOX, &error);
		g_assert_no_error(error);
		assert_event(opened, business_keys[i]);
		g_autofree gchar *sql =
		        g_strdup_printf("SELECT id FROM outbox WHERE key = '%s'", key);
		g_autoptr(PhOutboxRecord) shown =
		        ph_outbox_show(fixture->db, count(fixture, sql), &error);
		g_assert_no_error(error);
		assert_event(shown->payload, business_keys[i]);
	}

	append_event(fixture, "person:6");
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM core_event WHERE business_key = "
	                               "'person:6' AND starts_with(payload #>> '{}', "
	                               "'enc1:k-events:')"),
	                ==, 1);
	run_once(fixture);
	g_assert_cmpuint(events_delivered->len, ==, 3);
	assert_event(g_ptr_array_index(events_delivered, 2), "person:6");
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_test_init(&argc, &argv, NULL);
	test_db = ph_test_db_new();
	key_dir = g_dir_make_tmp("ph-test-bodies-XXXXXX", &error);
	g_assert_no_error(error);
	key_path = g_build_filename(key_dir, "field.keys", NULL);
	g_assert_true(ph_field_keys_add(key_path, "k1", NULL, &error));
	g_assert_no_error(error);
#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
	ADD("/keys-bodies/sealed", test_sealed);
	ADD("/keys-bodies/tampered", test_tampered);
	ADD("/keys-bodies/moved", test_moved);
	ADD("/keys-bodies/transfer-message", test_transfer_message);
	ADD("/keys-bodies/key-missing", test_key_missing);
	ADD("/keys-bodies/without-keys", test_without_keys);
	ADD("/keys-bodies/rotate", test_rotate);
	ADD("/keys-bodies/rotate-large", test_rotate_large);
	ADD("/keys-bodies/event-sealed", test_event_sealed);
	ADD("/keys-bodies/event-tampered", test_event_tampered);
	ADD("/keys-bodies/event-key-missing", test_event_key_missing);
	ADD("/keys-bodies/event-rotate", test_event_rotate);
#undef ADD
	int status = g_test_run();
	ph_test_db_free(test_db);
	g_unlink(key_path);
	g_rmdir(key_dir);
	return status;
}
