/* The personnel adapter end to end (issue 7 §3): a real daemon with plugins/personnel and
 * a real database; batches by HTTPS POST (mTLS as partner personnel) and by the watched
 * folder; effects checked in the core's tables, answers in the receipts. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "pension-hub.h"
#include "ph-field-key.h"
#include "ph-test-db.h"
#include "ph-test-hub.h"
#include "ph-test-sshd.h"

#define POST_PATH "/personnel/v1/batches"
#define NS        "urn:pension-hub:personnel:1"

typedef struct {
	PhTestDb *db;
	PhTestHub *hub;
	gchar *drop;
} Fixture;

/* ---- citizen IDs (GB 11643: weights and check characters from STANDARDS.md) ---- */

static gchar *
make_id(const gchar *birth, guint sequence)
{
	static const gint weights[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
	gchar *id = g_strdup_printf("110105%s%03u?", birth, sequence);
	gint sum = 0;
	for (guint i = 0; i < 17; i++)
		sum += (id[i] - '0') * weights[i];
	id[17] = "10X98765432"[sum % 11];
	return id;
}

/* The same number with a wrong check character. */
static gchar *
spoil_id(const gchar *id)
{
	gchar *bad = g_strdup(id);
	bad[17] = bad[17] == '0' ? '1' : '0';
	return bad;
}

/* ---- set-up ---- */

static void
link_plugin(PhTestHub *hub)
{
	g_autofree gchar *target = g_build_filename(g_getenv("PH_BUILD_DIR"), "plugins",
	                                            "personnel", "libph-personnel.so", NULL);
	g_autofree gchar *link = g_build_filename(hub->dir, "plugins", "libph-personnel.so", NULL);
	g_assert_cmpint(symlink(target, link), ==, 0);
}

/* @keys: config text before the plugin's section (a [keys] section), or "". */
static void
fixture_config(Fixture *fixture, guint chunk_events, const gchar *keys)
{
	g_autofree gchar *extra = g_strdup_printf(
	        "%s[plugin personnel]\nspool_dir = spool\ndrop_dir = %s\npoll_seconds = 1\n"
	        "chunk_events = %u\nreceipt_page = 50\n",
	        keys, fixture->drop, chunk_events);
	ph_test_hub_write_config(fixture->hub, extra);
}

static void
fixture_set_up(Fixture *fixture, gconstpointer data)
{
	guint chunk_events = GPOINTER_TO_UINT(data);
	fixture->db = ph_test_db_new();
	fixture->hub = ph_test_hub_new(ph_test_db_get_url(fixture->db), NULL, NULL);
	fixture->drop = g_build_filename(fixture->hub->dir, "drop", NULL);
	g_assert_cmpint(g_mkdir(fixture->drop, 0700), ==, 0);
	fixture_config(fixture, chunk_events != 0 ? chunk_events : 1000, "");
	link_plugin(fixture->hub);
	ph_test_hub_start(fixture->hub);
}

static void
fixture_tear_down(Fixture *fixture, gconstpointer data)
{
	g_clear_pointer(&fixture->hub, ph_test_hub_free);
	g_clear_pointer(&fixture->db, ph_test_db_free);
	g_free(fixture->drop);
}

/* ---- batches ---- */

static GString *
batch_begin(const gchar *batch_id, const gchar *unit)
{
	GString *xml = g_string_new("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	g_string_append_printf(xml,
	                       "<PersonnelBatch xmlns=\"" NS "\" batchId=\"%s\" AAB001=\"%s\" "
	                       "sentAt=\"2026-11-27T09:00:00+08:00\">\n",
	                       batch_id, unit);
	return xml;
}

static gchar *
batch_end(GString *xml)
{
	g_string_append(xml, "</PersonnelBatch>\n");
	return g_string_free(xml, FALSE);
}

static void
add_unit(GString *xml, guint seq, const gchar *name)
{
	g_string_append_printf(xml,
	                       "<Event seq=\"%u\" type=\"UNIT\" effective=\"20141001\">"
	                       "<AAB004>%s</AAB004><AAB301>110105</AAB301><Funding>full</Funding>"
	                       "</Event>\n",
	                       seq, name);
}

static void
add_hire(GString *xml, guint seq, const gchar *id, const gchar *name, const gchar *effective)
{
	/* Birth date and sex from the number itself (positions 7-14 and 17). */
	g_autofree gchar *birth = g_strndup(id + 6, 8);
	const gchar *sex = (id[16] - '0') % 2 == 1 ? "1" : "2";
	g_string_append_printf(xml,
	                       "<Event seq=\"%u\" type=\"HIRE\" effective=\"%s\">"
	                       "<AAC002>%s</AAC002><AAC003>%s</AAC003><AAC004>%s</AAC004>"
	                       "<AAC005>01</AAC005><AAC006>%s</AAC006><AAC007>19860701</AAC007>"
	                       "<Wage>7500.00</Wage><AAE200>240</AAE200>"
	                       "<DeemedIndex>1.2000</DeemedIndex></Event>\n",
	                       seq, effective, id, name, sex, birth);
}

static void
add_event(GString *xml, guint seq, const gchar *type, const gchar *effective, const gchar *id,
          const gchar *fields)
{
	g_string_append_printf(xml,
	                       "<Event seq=\"%u\" type=\"%s\" effective=\"%s\"><AAC002>%s</AAC002>"
	                       "%s</Event>\n",
	                       seq, type, effective, id, fields);
}

/* POSTs @xml; returns the hub's batch id from the 202 answer. */
static gchar *
post_batch(Fixture *fixture, const gchar *xml, gsize length)
{
	g_autofree gchar *answer = NULL;
	g_autoptr(GBytes) body = g_bytes_new(xml, length);
	PhTestRequest request = {"POST", NULL, "personnel", NULL, NULL, body};
	g_autofree gchar *url =
	        g_strdup_printf("https://127.0.0.1:%u" POST_PATH, fixture->hub->partner_port);
	request.url = url;
	glong status = ph_test_http(fixture->hub, &request, &answer);
	g_assert_cmpint(status, ==, 202);
	const gchar *start = strstr(answer, "\"batch\": \"");
	g_assert_nonnull(start);
	start += strlen("\"batch\": \"");
	g_assert_nonnull(strstr(answer, "/receipt\""));
	return g_strndup(start, strcspn(start, "\""));
}

static gchar *
query(Fixture *fixture, const gchar *format, ...)
{
	va_list args;
	va_start(args, format);
	g_autofree gchar *sql = g_strdup_vprintf(format, args);
	va_end(args);
	gchar *value = ph_test_query_value(ph_test_db_get_url(fixture->db), sql);
	return value != NULL ? value : g_strdup("(null)");
}

/* The daemon's log, shown when a wait fails. */
static void
show_log(Fixture *fixture)
{
	g_autofree gchar *log = NULL;
	if (g_file_get_contents(fixture->hub->log_path, &log, NULL, NULL))
		g_test_message("hub log:\n%s", log);
}

/* Waits until the batch is done or rejected; returns that state. */
static gchar *
wait_batch(Fixture *fixture, const gchar *id, guint timeout_ms)
{
	g_autofree gchar *sql = g_strdup_printf(
	        "SELECT CASE WHEN state IN ('done', 'rejected') THEN 'finished' ELSE state END "
	        "FROM personnel_batch WHERE id = '%s'",
	        id);
	g_autofree gchar *seen = ph_test_wait_for_value(ph_test_db_get_url(fixture->db), sql,
	                                                "finished", timeout_ms);
	if (g_strcmp0(seen, "finished") != 0)
		show_log(fixture);
	g_assert_cmpstr(seen, ==, "finished");
	return query(fixture, "SELECT state FROM personnel_batch WHERE id = '%s'", id);
}

static gchar *
get_receipt(Fixture *fixture, const gchar *id, const gchar *suffix)
{
	gchar *answer = NULL;
	g_autofree gchar *url =
	        g_strdup_printf("https://127.0.0.1:%u" POST_PATH "/%s/receipt%s",
	                        fixture->hub->partner_port, id, suffix != NULL ? suffix : "");
	PhTestRequest request = {"GET", url, "personnel", NULL, NULL, NULL};
	glong status = ph_test_http(fixture->hub, &request, &answer);
	g_assert_cmpint(status, ==, 200);
	return answer;
}

/* "STATUS CODE" of one event's result, e.g. "REJECTED BAD_ID" or "APPLIED -". */
static gchar *
result_of(Fixture *fixture, const gchar *batch, guint seq)
{
	return query(fixture,
	             "SELECT status || ' ' || coalesce(code, '-') FROM personnel_result "
	             "WHERE batch = '%s' AND seq = %u",
	             batch, seq);
}

static void
assert_result(Fixture *fixture, const gchar *batch, guint seq, const gchar *expected)
{
	g_autofree gchar *seen = result_of(fixture, batch, seq);
	g_assert_cmpstr(seen, ==, expected);
}

/* The message of one event's result. */
static gchar *
message_of(Fixture *fixture, const gchar *batch, guint seq)
{
	return query(fixture,
	             "SELECT message FROM personnel_result WHERE batch = '%s' AND seq = %u", batch,
	             seq);
}

/* Ends @xml (taken), POSTs it and waits until it is done; returns the hub's batch id. */
static gchar *
post_until_done(Fixture *fixture, GString *xml)
{
	g_autofree gchar *text = batch_end(xml);
	gchar *batch = post_batch(fixture, text, strlen(text));
	g_autofree gchar *state = wait_batch(fixture, batch, 20000);
	g_assert_cmpstr(state, ==, "done");
	return batch;
}

static gint64
count(Fixture *fixture, const gchar *sql)
{
	g_autofree gchar *value = query(fixture, "%s", sql);
	return g_ascii_strtoll(value, NULL, 10);
}

/* ---- tests ---- */

/* Every event type and its effect in the core (profile table "effect in the core"). */
static void
test_event_types(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *a = make_id("19641015", 3);  /* hired, new wage */
	g_autofree gchar *b = make_id("19700202", 9);  /* hired, moves to U0002 */
	g_autofree gchar *c = make_id("19800101", 11); /* hired, leaves */
	g_autofree gchar *d = make_id("19641101", 13); /* hired, retires at 60 */
	g_autofree gchar *e = make_id("19750505", 15); /* hired, dies */

	GString *first = batch_begin("B-U2", "U0002");
	add_unit(first, 0, "某市教育局");
	g_autofree gchar *units = batch_end(first);
	g_autofree gchar *unit_batch = post_batch(fixture, units, strlen(units));
	g_autofree gchar *unit_state = wait_batch(fixture, unit_batch, 20000);
	g_assert_cmpstr(unit_state, ==, "done");

	GString *xml = batch_begin("B-ALL", "U0001");
	add_unit(xml, 0, "某市财政局");
	add_hire(xml, 1, a, "张三", "20141001");
	add_hire(xml, 2, b, "李四", "20141001");
	add_hire(xml, 3, c, "王五", "20141001");
	add_hire(xml, 4, d, "赵六", "20141001");
	add_hire(xml, 5, e, "钱七", "20141001");
	add_event(xml, 6, "WAGE", "20270101", a, "<Wage>8200.00</Wage>");
	add_event(xml, 7, "MOVE", "20261201", b, "<AAB001>U0002</AAB001>");
	add_event(xml, 8, "LEAVE", "20261201", c, "<AAE160>6301</AAE160>");
	add_event(xml, 9, "RETIRE", "20241101", d,
	          "<AIC161>2</AIC161><OldMethodAmount>6000.00</OldMethodAmount>");
	add_event(xml, 10, "DEATH", "20261115", e, "<AAE138>20261115</AAE138>");
	g_autofree gchar *text = batch_end(xml);
	g_autofree gchar *batch = post_batch(fixture, text, strlen(text));
	g_autofree gchar *state = wait_batch(fixture, batch, 30000);
	g_assert_cmpstr(state, ==, "done");
	for (guint seq = 0; seq <= 10; seq++) {
		g_autofree gchar *seen = result_of(fixture, batch, seq);
		if (!g_str_equal(seen, "APPLIED -")) {
			g_autofree gchar *why = query(fixture,
			                              "SELECT message FROM personnel_result WHERE "
			                              "batch = '%s' AND seq = %u",
			                              batch, seq);
			g_test_message("seq %u: %s: %s", seq, seen, why);
		}
		g_assert_cmpstr(seen, ==, "APPLIED -");
	}
	/* UNIT: the unit with its name and funding. */
	g_autofree gchar *unit = query(fixture, "SELECT name || '/' || funding FROM unit "
	                                        "WHERE unit_code = 'U0001'");
	g_assert_cmpstr(unit, ==, "某市财政局/full");
	/* HIRE: five persons enrolled from 2014-10 with the declared wage 7500.00 = 750000 fen
	 * and the deemed service (240 months, index 1.2000 = 12000). */
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM person"), ==, 5);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM enrolment WHERE start_period = "
	                               "201410"),
	                ==, 5);
	/* Each event's effect, read from the core's tables (expected values from the batch
	 * above and the profile's table "effect in the core"). */
	const struct {
		const gchar *sql; /* one value; %s is the person's AAC002 */
		const gchar *id_number;
		const gchar *expected;
	} effects[] = {
	        /* HIRE: deemed service 240 months, index 1.2000 = 12000 */
	        {"SELECT deemed_months || '/' || deemed_index FROM person WHERE id_number = '%s'",
	         a, "240/12000"},
	        /* WAGE: 8200.00 yuan from 2027-01 */
	        {"SELECT w.wage FROM declared_wage w JOIN person p USING (person_id) "
	         "WHERE p.id_number = '%s' AND w.effective_period = 202701",
	         a, "820000"},
	        /* MOVE: the open enrolment is in U0002 from 2026-12 */
	        {"SELECT e.unit_code || '/' || e.start_period FROM enrolment e JOIN person p "
	         "USING (person_id) WHERE p.id_number = '%s' AND e.end_period IS NULL",
	         b, "U0002/202612"},
	        /* LEAVE: ends with the month before 2026-12, AAC031 = 3 */
	        {"SELECT e.end_period || '/' || e.status FROM enrolment e JOIN person p "
	         "USING (person_id) WHERE p.id_number = '%s'",
	         c, "202611/3"},
	        /* RETIRE: a benefit starting 2024-11 */
	        {"SELECT b.start_period FROM benefit b JOIN person p USING (person_id) "
	         "WHERE p.id_number = '%s'",
	         d, "202411"},
	        /* DEATH: a settlement, the person marked dead */
	        {"SELECT p.status || '/' || s.death_date FROM person p JOIN death_settlement s "
	         "USING (person_id) WHERE p.id_number = '%s'",
	         e, "dead/20261115"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(effects); i++) {
		g_autofree gchar *seen = query(fixture, effects[i].sql, effects[i].id_number);
		g_assert_cmpstr(seen, ==, effects[i].expected);
	}
	/* The receipt: the profile's JSON, eleven events, state done. */
	g_autofree gchar *receipt = get_receipt(fixture, batch, NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) parsed = json_from_string(receipt, &error);
	g_assert_no_error(error);
	JsonObject *object = json_node_get_object(parsed);
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(object, "events")), ==,
	                 11);
	g_assert_nonnull(strstr(receipt, "\"batchId\": \"B-ALL\""));
	g_assert_nonnull(strstr(receipt, "\"state\": \"done\""));
	g_assert_nonnull(strstr(receipt, "{\"seq\": 10, \"status\": \"APPLIED\", \"code\": null, "
	                                 "\"message\": null}"));
}

/* Rejections a clerk can act on, and one bad event never rejects the batch. */
static void
test_rejections(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *good = make_id("19800101", 17);
	g_autofree gchar *other = make_id("19810303", 19);
	g_autofree gchar *bad = spoil_id(make_id("19820404", 21));
	g_autofree gchar *stranger = make_id("19600606", 23);
	g_autofree gchar *third = make_id("19610707", 25);
	g_autofree gchar *fourth = make_id("19620808", 27);
	g_autofree gchar *fifth = make_id("19630909", 29);
	g_autofree gchar *sixth = make_id("19640404", 31);
	GString *xml = batch_begin("B-REJ", "U0001");
	add_unit(xml, 1, "某市财政局");
	add_hire(xml, 2, good, "孙八", "20150101");
	add_hire(xml, 3, bad, "周九", "20150101");
	add_event(xml, 4, "WAGE", "20160101", bad, "<Wage>8000.00</Wage>");
	add_event(xml, 5, "WAGE", "20160101", stranger, "<Wage>8000.00</Wage>");
	add_event(xml, 6, "MOVE", "20160101", good, "<AAB001>U0001</AAB001>");
	add_hire(xml, 7, other, "吴十", "20150101");
	add_event(xml, 8, "LEAVE", "20141101", other, "");
	add_event(xml, 9, "WAGE", "20160101", good, "<Wage>80OO.00</Wage>");
	add_event(xml, 10, "WAGE", "20160101", good, "<Wage>8100.00</Wage>");
	add_event(xml, 11, "PROMOTE", "20160101", third, "");
	add_event(xml, 12, "WAGE", "20160101", fourth, "");
	add_event(xml, 13, "HIRE", "20150101", fifth,
	          "<AAC003>郑一</AAC003><AAC004>1</AAC004><AAC006>19990101</AAC006>"
	          "<Wage>6000.00</Wage>");
	add_hire(xml, 14, sixth, "冯二", "20150101");
	add_event(xml, 15, "WAGE", "20141101", sixth, "<Wage>7000.00</Wage>");
	g_autofree gchar *text = batch_end(xml);
	g_autofree gchar *batch = post_batch(fixture, text, strlen(text));
	g_autofree gchar *state = wait_batch(fixture, batch, 30000);
	g_assert_cmpstr(state, ==, "done");
	/* Expected codes: README's table of rejections. */
	const struct {
		guint seq;
		const gchar *result;
	} cases[] = {
	        {2, "APPLIED -"},
	        {3, "REJECTED BAD_ID"},              /* wrong check character */
	        {4, "REJECTED DEPENDS_ON_REJECTED"}, /* the same person's seq 3 */
	        {5, "REJECTED UNKNOWN_PERSON"},      /* never hired */
	        {6, "DUPLICATE -"},                  /* already in that unit */
	        {7, "APPLIED -"},
	        {8, "REJECTED BEFORE_ENROLMENT"}, /* 2014-11 before the start 2015-01 */
	        {9, "REJECTED BAD_AMOUNT"},       /* letters O in the amount */
	        {10, "REJECTED DEPENDS_ON_REJECTED"},
	        {11, "REJECTED UNKNOWN_TYPE"},
	        {12, "REJECTED MISSING_FIELD"}, /* WAGE without Wage */
	        {13, "REJECTED ID_MISMATCH"},   /* AAC006 1999-01-01, the number 1963-09-09 */
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
		assert_result(fixture, batch, cases[i].seq, cases[i].result);
	/* The dependency names the event and the reason to act on. */
	g_autofree gchar *why = query(fixture,
	                              "SELECT message FROM personnel_result WHERE batch = '%s' "
	                              "AND seq = 4",
	                              batch);
	g_assert_nonnull(strstr(why, "event 3 of the same person was rejected"));
	g_autofree gchar *id_why = query(fixture,
	                                 "SELECT message FROM personnel_result WHERE batch = '%s' "
	                                 "AND seq = 3",
	                                 batch);
	g_assert_nonnull(strstr(id_why, "check"));
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM person"), ==, 3);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM declared_wage WHERE "
	                               "effective_period = 201411"),
	                ==, 0);
}

/* A re-sent batch applies nothing twice: the same bytes are the same batch; a corrected
 * copy under the same batchId applies only what was not applied before. */
static void
test_resent(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *a = make_id("19800101", 31);
	g_autofree gchar *b = spoil_id(make_id("19800101", 33));
	g_autofree gchar *b_fixed = make_id("19800101", 33);
	GString *xml = batch_begin("B-AGAIN", "U0001");
	add_unit(xml, 0, "某市财政局");
	add_hire(xml, 1, a, "张三", "20150101");
	add_hire(xml, 2, b, "李四", "20150101");
	g_autofree gchar *text = batch_end(xml);
	g_autofree gchar *first = post_batch(fixture, text, strlen(text));
	g_autofree gchar *state = wait_batch(fixture, first, 20000);
	g_assert_cmpstr(state, ==, "done");
	assert_result(fixture, first, 2, "REJECTED BAD_ID");

	g_autofree gchar *again = post_batch(fixture, text, strlen(text));
	g_assert_cmpstr(again, ==, first);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM personnel_batch"), ==, 1);

	GString *fixed = batch_begin("B-AGAIN", "U0001");
	add_unit(fixed, 0, "某市财政局");
	add_hire(fixed, 1, a, "张三", "20150101");
	add_hire(fixed, 2, b_fixed, "李四", "20150101");
	g_autofree gchar *fixed_text = batch_end(fixed);
	g_autofree gchar *second = post_batch(fixture, fixed_text, strlen(fixed_text));
	g_assert_cmpstr(second, !=, first);
	g_autofree gchar *second_state = wait_batch(fixture, second, 20000);
	g_assert_cmpstr(second_state, ==, "done");
	assert_result(fixture, second, 0, "DUPLICATE -");
	assert_result(fixture, second, 1, "DUPLICATE -");
	assert_result(fixture, second, 2, "APPLIED -");
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM person"), ==, 2);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM enrolment"), ==, 2);

	/* Another batchId hiring a known person again (the business key) beside a new one:
	 * the bulk COPY meets the known person, sorts it out, and copies the new one. */
	g_autofree gchar *c = make_id("19800101", 35);
	GString *other = batch_begin("B-OTHER", "U0001");
	add_hire(other, 1, c, "王五", "20150101");
	add_hire(other, 2, a, "张三", "20150101");
	g_autofree gchar *other_text = batch_end(other);
	g_autofree gchar *third = post_batch(fixture, other_text, strlen(other_text));
	g_autofree gchar *third_state = wait_batch(fixture, third, 20000);
	g_assert_cmpstr(third_state, ==, "done");
	assert_result(fixture, third, 1, "APPLIED -");
	assert_result(fixture, third, 2, "DUPLICATE -");
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM person"), ==, 3);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM enrolment"), ==, 3);
}

/* Documents rejected whole: nothing of them is applied, the receipt says why. */
static void
test_rejected_whole(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *a = make_id("19800101", 41);
	GString *xml = batch_begin("B-WHOLE", "U0001");
	add_unit(xml, 0, "某市财政局");
	add_hire(xml, 1, a, "张三", "20150101");
	g_autofree gchar *good = batch_end(xml);
	g_autofree gchar *truncated = g_strndup(good, strlen(good) - 40);
	g_autofree gchar *dtd = g_strdup_printf(
	        "<?xml version=\"1.0\"?><!DOCTYPE PersonnelBatch [<!ENTITY x \"y\">]>%s",
	        strstr(good, "<PersonnelBatch"));
	GString *swapped = batch_begin("B-ORDER", "U0001");
	add_hire(swapped, 5, a, "张三", "20150101");
	add_unit(swapped, 4, "某市财政局");
	g_autofree gchar *order = batch_end(swapped);
	const struct {
		const gchar *document;
		const gchar *reason; /* part of the receipt's message */
	} cases[] = {
	        {truncated, "line"},           /* libxml2: premature end */
	        {dtd, "DTD"},                  /* no document type declarations */
	        {order, "seqs must increase"}, /* seq 4 after seq 5 */
	        {"<PersonnelBatch batchId=\"x\"/>", "root element"}, /* no namespace */
	        {"\x01\x02garbage", "line"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *batch =
		        post_batch(fixture, cases[i].document, strlen(cases[i].document));
		g_autofree gchar *state = wait_batch(fixture, batch, 20000);
		g_assert_cmpstr(state, ==, "rejected");
		g_autofree gchar *receipt = get_receipt(fixture, batch, NULL);
		g_autoptr(GError) error = NULL;
		g_autoptr(JsonNode) parsed = json_from_string(receipt, &error);
		g_assert_no_error(error); /* libxml2's messages are escaped */
		g_assert_nonnull(strstr(receipt, "\"state\": \"rejected\""));
		g_assert_nonnull(strstr(receipt, cases[i].reason));
		g_assert_nonnull(strstr(receipt, "\"events\": []"));
	}
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM person"), ==, 0);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM unit"), ==, 0);
}

/* GB18030 declared, with a four-byte character (𠮷, U+20BB7) in the name. */
static void
test_gb18030(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *a = make_id("19800101", 51);
	GString *xml = g_string_new("<?xml version=\"1.0\" encoding=\"GB18030\"?>\n");
	g_string_append(xml, "<PersonnelBatch xmlns=\"" NS "\" batchId=\"B-GB\" AAB001=\"U0001\">");
	add_unit(xml, 0, "某市财政局");
	add_hire(xml, 1, a, "𠮷野家", "20150101");
	g_autofree gchar *utf8 = batch_end(xml);
	gsize length = 0;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *gb = g_convert(utf8, -1, "GB18030", "UTF-8", NULL, &length, &error);
	g_assert_no_error(error);
	/* 𠮷 is the four bytes 95 34 B2 35 in GB18030 (its four-byte range). */
	g_assert_nonnull(memmem(gb, length, "\x95\x34\xb2\x35", 4));
	g_autofree gchar *batch = post_batch(fixture, gb, length);
	g_autofree gchar *state = wait_batch(fixture, batch, 20000);
	g_assert_cmpstr(state, ==, "done");
	assert_result(fixture, batch, 1, "APPLIED -");
	g_autofree gchar *name =
	        query(fixture, "SELECT name FROM person WHERE id_number = '%s'", a);
	g_assert_cmpstr(name, ==, "𠮷野家");
}

/* Drops @size bytes of garbage and its done file in the watched folder. */
static void
drop_garbage(Fixture *fixture, const gchar *name, guint64 size)
{
	g_autofree gchar *path = g_build_filename(fixture->drop, name, NULL);
	g_autofree gchar *block = g_malloc(1 << 20);
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
	FILE *file = fopen(path, "wb");
	g_assert_nonnull(file);
	for (guint i = 0; i < (1u << 20); i++)
		block[i] = (gchar)g_random_int_range(0, 256);
	for (guint64 written = 0; written < size; written += 1 << 20) {
		g_assert_cmpuint(fwrite(block, 1, 1 << 20, file), ==, 1 << 20);
		g_checksum_update(checksum, (const guchar *)block, 1 << 20);
	}
	g_assert_cmpint(fclose(file), ==, 0);
	g_autofree gchar *done = g_strdup_printf("SHA256 %s\n", g_checksum_get_string(checksum));
	g_autofree gchar *done_path = g_strconcat(path, ".ok", NULL);
	g_assert_true(g_file_set_contents(done_path, done, -1, NULL));
}

/* A 1 GiB file of garbage through the watched folder: stored, rejected whole, in bounded
 * memory; the data file is deleted (the spool keeps it) and its done file moves to
 * processed/. */
static void
test_garbage(Fixture *fixture, gconstpointer data)
{
	drop_garbage(fixture, "garbage.xml", G_GUINT64_CONSTANT(1) << 30);
	g_autofree gchar *seen = ph_test_wait_for_value(
	        ph_test_db_get_url(fixture->db),
	        "SELECT state FROM personnel_batch WHERE state = 'rejected'", "rejected", 300000);
	if (g_strcmp0(seen, "rejected") != 0)
		show_log(fixture);
	g_assert_cmpstr(seen, ==, "rejected");
	g_autofree gchar *moved =
	        g_build_filename(fixture->drop, "processed", "garbage.xml.ok", NULL);
	g_assert_true(g_file_test(moved, G_FILE_TEST_EXISTS));
	/* no plaintext copy of a batch stays in the folder (docs/security.md) */
	g_autofree gchar *kept = g_build_filename(fixture->drop, "processed", "garbage.xml", NULL);
	g_assert_false(g_file_test(kept, G_FILE_TEST_EXISTS));
	g_autofree gchar *left = g_build_filename(fixture->drop, "garbage.xml", NULL);
	g_assert_false(g_file_test(left, G_FILE_TEST_EXISTS));
	g_autofree gchar *size = query(fixture, "SELECT source->>'size' FROM personnel_batch");
	g_assert_cmpstr(size, ==, "1073741824");
	/* The daemon's peak resident set stayed under 128 MiB (issue 7 §5). */
	gint64 peak = ph_test_proc_kib(fixture->hub->pid, "VmHWM");
	g_test_message("daemon peak RSS %" G_GINT64_FORMAT " KiB", peak);
	g_assert_cmpint(peak, <, 128 * 1024);
}

/* Appends @text to the open @file and to @checksum. */
static void
write_part(FILE *file, GChecksum *checksum, const gchar *text, gsize length)
{
	g_assert_cmpuint(fwrite(text, 1, length, file), ==, length);
	g_checksum_update(checksum, (const guchar *)text, (gssize)length);
}

/* Ends the data file at @path (open as @file) with @tail, then writes its done file. */
static void
finish_drop(FILE *file, GChecksum *checksum, const gchar *path, const gchar *tail)
{
	write_part(file, checksum, tail, strlen(tail));
	g_assert_cmpint(fclose(file), ==, 0);
	g_autofree gchar *done = g_strdup_printf("SHA256 %s\n", g_checksum_get_string(checksum));
	g_autofree gchar *done_path = g_strconcat(path, ".ok", NULL);
	g_assert_true(g_file_set_contents(done_path, done, -1, NULL));
}

/* Waits until the fixture's one batch is finished, and expects it done. */
static void
wait_one_done(Fixture *fixture)
{
	g_autofree gchar *seen = ph_test_wait_for_value(
	        ph_test_db_get_url(fixture->db),
	        "SELECT state FROM personnel_batch WHERE state IN ('done', 'rejected')", "done",
	        120000);
	if (g_strcmp0(seen, "done") != 0)
		show_log(fixture);
	g_assert_cmpstr(seen, ==, "done");
}

/* The daemon's peak resident set stayed under 128 MiB (issue 7 §5). */
static void
assert_peak_rss(Fixture *fixture)
{
	gint64 peak = ph_test_proc_kib(fixture->hub->pid, "VmHWM");
	g_test_message("daemon peak RSS %" G_GINT64_FORMAT " KiB", peak);
	g_assert_cmpint(peak, <, 128 * 1024);
}

/* A well-formed batch whose one HIRE holds ten million unknown empty elements (40 MB):
 * refused as BAD_FIELD naming the element, in bounded memory (issue 7 §5: 128 MB) — which
 * fails if the reader keeps a problem text for each of them. */
static void
test_many_problems(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *path = g_build_filename(fixture->drop, "many.xml", NULL);
	g_autofree gchar *id = make_id("19700101", 201);
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
	g_autofree gchar *block = g_malloc(1 << 20);
	for (guint i = 0; i < (1 << 18); i++)
		memcpy(block + 4 * i, "<X/>", 4);
	FILE *file = fopen(path, "wb");
	g_assert_nonnull(file);
	GString *head = batch_begin("B-MANY", "U0001");
	add_unit(head, 0, "某市财政局");
	g_string_append_printf(head,
	                       "<Event seq=\"1\" type=\"HIRE\" effective=\"20150101\">"
	                       "<AAC002>%s</AAC002><AAC003>张三</AAC003><AAC004>1</AAC004>"
	                       "<AAC006>19700101</AAC006><Wage>7500.00</Wage>",
	                       id);
	write_part(file, checksum, head->str, head->len);
	g_string_free(head, TRUE);
	for (guint i = 0; i < 40; i++)
		write_part(file, checksum, block, 1000000);
	finish_drop(file, checksum, path, "</Event>\n</PersonnelBatch>\n");
	wait_one_done(fixture);
	g_autofree gchar *batch = query(fixture, "SELECT id FROM personnel_batch");
	/* README's codes: an unknown element is BAD_FIELD */
	assert_result(fixture, batch, 0, "APPLIED -");
	assert_result(fixture, batch, 1, "REJECTED BAD_FIELD");
	g_autofree gchar *why = message_of(fixture, batch, 1);
	g_assert_cmpstr(why, ==, "unknown element X");
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM person"), ==, 0);
	assert_peak_rss(fixture);
}

/* 2,000 events whose type and effective attributes are 50 KiB each (a 200 MB well-formed
 * batch): each is refused as UNKNOWN_TYPE with a short message, in bounded memory (issue 7
 * §5: 128 MB) — which fails if the reader keeps every attribute whole for the events of a
 * chunk (chunk_events 1000: 100 MB a chunk, and the reader and lanes hold more than one). */
static void
test_long_attributes(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *path = g_build_filename(fixture->drop, "long.xml", NULL);
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
	g_autofree gchar *value = g_strnfill(50 * 1024, 'a');
	FILE *file = fopen(path, "wb");
	g_assert_nonnull(file);
	GString *head = batch_begin("B-LONG", "U0001");
	write_part(file, checksum, head->str, head->len);
	g_string_free(head, TRUE);
	for (guint seq = 1; seq <= 2000; seq++) {
		g_autofree gchar *event = g_strdup_printf(
		        "<Event seq=\"%u\" type=\"%s\" effective=\"%s\"/>\n", seq, value, value);
		write_part(file, checksum, event, strlen(event));
	}
	finish_drop(file, checksum, path, "</PersonnelBatch>\n");
	wait_one_done(fixture);
	/* README's codes: a type that is not one of the profile's is UNKNOWN_TYPE */
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM personnel_result WHERE "
	                               "code = 'UNKNOWN_TYPE'"),
	                ==, 2000);
	assert_peak_rss(fixture);
	/* and the receipt says what the type was without repeating 50 KiB of it */
	g_assert_cmpint(count(fixture, "SELECT max(length(message)) FROM personnel_result"), <,
	                200);
}

/* A done file whose digest disagrees: the pair goes to rejected/ with a reason. */
static void
test_bad_done_file(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *path = g_build_filename(fixture->drop, "batch.xml", NULL);
	g_autofree gchar *done = g_strconcat(path, ".ok", NULL);
	g_assert_true(g_file_set_contents(path, "<x/>", -1, NULL));
	g_assert_true(g_file_set_contents(done, "SHA256 00ff\n", -1, NULL));
	g_autofree gchar *reason =
	        g_build_filename(fixture->drop, "rejected", "batch.xml.reason", NULL);
	for (guint i = 0; i < 100 && !g_file_test(reason, G_FILE_TEST_EXISTS); i++)
		g_usleep(100 * 1000);
	g_autofree gchar *text = NULL;
	g_assert_true(g_file_get_contents(reason, &text, NULL, NULL));
	g_assert_nonnull(strstr(text, "differs from the done file"));
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM personnel_batch"), ==, 0);
}

#define KILL_EVENTS 40000

/* kill -9 mid-batch: after a restart the batch resumes after its last committed chunk;
 * nothing is applied twice and the receipt is the one an uninterrupted run gives. */
static void
test_kill_resume(Fixture *fixture, gconstpointer data)
{
	/* seq 1 is rejected (bad check character); its person's WAGE comes last, after the
	 * kill, and must still be rejected as depending on it. */
	g_autofree gchar *bad = spoil_id(make_id("19800101", 999));
	GString *xml = batch_begin("B-KILL", "U0001");
	add_unit(xml, 0, "某市财政局");
	add_hire(xml, 1, bad, "李四", "20150101");
	for (guint i = 2; i <= KILL_EVENTS; i++) {
		/* Distinct persons: vary the birth date and the sequence. */
		g_autofree gchar *birth = g_strdup_printf("19%02u%02u%02u", 60 + i % 30,
		                                          1 + i / 1000 % 12, 1 + i / 12000 % 28);
		g_autofree gchar *person = make_id(birth, i % 1000);
		add_hire(xml, i, person, "张三", "20150101");
	}
	add_event(xml, KILL_EVENTS + 1, "WAGE", "20160101", bad, "<Wage>8000.00</Wage>");
	g_autofree gchar *text = batch_end(xml);
	g_autofree gchar *batch = post_batch(fixture, text, strlen(text));
	g_autofree gchar *sql = g_strdup_printf("SELECT (coalesce(cursor_seq, 0) >= 2000)::text "
	                                        "FROM personnel_batch WHERE id = '%s'",
	                                        batch);
	g_autofree gchar *started =
	        ph_test_wait_for_value(ph_test_db_get_url(fixture->db), sql, "true", 60000);
	g_assert_cmpstr(started, ==, "true");
	ph_test_hub_signal(fixture->hub, SIGKILL);
	g_autofree gchar *cursor =
	        query(fixture, "SELECT cursor_seq FROM personnel_batch WHERE id = '%s'", batch);
	g_autofree gchar *mid_state =
	        query(fixture, "SELECT state FROM personnel_batch WHERE id = '%s'", batch);
	g_test_message("killed at cursor %s", cursor);
	g_assert_cmpstr(mid_state, ==, "processing");
	g_assert_cmpint(g_ascii_strtoll(cursor, NULL, 10), <, KILL_EVENTS);
	/* Results and effects match at the cursor (committed together): every seq up to it
	 * has its result, and the persons are those of seqs 2 … cursor. */
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM person"), ==,
	                g_ascii_strtoll(cursor, NULL, 10) - 1);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM personnel_result"), ==,
	                g_ascii_strtoll(cursor, NULL, 10) + 1);

	ph_test_hub_start(fixture->hub);
	g_autofree gchar *state = wait_batch(fixture, batch, 120000);
	g_assert_cmpstr(state, ==, "done");
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM person"), ==, KILL_EVENTS - 1);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM enrolment"), ==, KILL_EVENTS - 1);
	/* The receipt an uninterrupted run gives: seq 0 … KILL_EVENTS + 1, all applied but the
	 * bad number and its dependant. */
	g_autofree gchar *totals = query(fixture,
	                                 "SELECT applied || '/' || duplicate || '/' || rejected "
	                                 "FROM personnel_batch WHERE id = '%s'",
	                                 batch);
	g_autofree gchar *expected_totals = g_strdup_printf("%u/0/2", KILL_EVENTS);
	g_assert_cmpstr(totals, ==, expected_totals);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM personnel_result"), ==,
	                KILL_EVENTS + 2);
	assert_result(fixture, batch, 1, "REJECTED BAD_ID");
	assert_result(fixture, batch, KILL_EVENTS + 1, "REJECTED DEPENDS_ON_REJECTED");
	/* Receipt pages of 50 (receipt_page) chain with "next". */
	g_autofree gchar *page = get_receipt(fixture, batch, "/50");
	g_assert_nonnull(strstr(page, "{\"seq\": 50, \"status\": \"APPLIED\""));
	g_assert_nonnull(strstr(page, "\"next\": \"/personnel/v1/batches/"));
	g_assert_nonnull(strstr(page, "/receipt/100\""));
}

/* The demo's starting population (deploy/demo/personnel, sample data): three unit batches
 * through the watched folder, every event applied. */
/* Drops @text as @name in the watched folder, then its done file; returns the SHA-256. */
static gchar *
drop_file(Fixture *fixture, const gchar *name, const gchar *text, gsize length)
{
	gchar *digest =
	        g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)text, length);
	g_autofree gchar *path = g_build_filename(fixture->drop, name, NULL);
	g_autofree gchar *done_path = g_strconcat(path, ".ok", NULL);
	g_autofree gchar *done = g_strdup_printf("SHA256 %s\n", digest);
	g_assert_true(g_file_set_contents(path, text, (gssize)length, NULL));
	g_assert_true(g_file_set_contents(done_path, done, -1, NULL));
	return digest;
}

static void
test_demo(Fixture *fixture, gconstpointer data)
{
	static const gchar *const files[] = {"1-U0001.xml", "2-U0002.xml", "3-U0003.xml"};
	for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
		g_autofree gchar *source = g_build_filename(g_getenv("PH_SOURCE_DIR"), "deploy",
		                                            "demo", "personnel", files[i], NULL);
		g_autofree gchar *text = NULL;
		gsize length = 0;
		g_assert_true(g_file_get_contents(source, &text, &length, NULL));
		g_free(drop_file(fixture, files[i], text, length));
	}
	g_autofree gchar *seen = ph_test_wait_for_value(
	        ph_test_db_get_url(fixture->db),
	        "SELECT count(*) FROM personnel_batch WHERE state = 'done'", "3", 60000);
	if (g_strcmp0(seen, "3") != 0)
		show_log(fixture);
	g_assert_cmpstr(seen, ==, "3");
	g_autofree gchar *rejected =
	        query(fixture, "SELECT string_agg(seq || ' ' || code || ' ' || message, "
	                       "'; ') FROM personnel_result WHERE status <> 'APPLIED'");
	g_assert_cmpstr(rejected, ==, "(null)");
	/* 120 + 100 + 80 members (the generator's UNITS), eight retirements, one death. */
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM person"), ==, 300);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM unit"), ==, 3);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM benefit"), ==, 8);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM person WHERE status = 'dead'"), ==, 1);
}

/* Drops a one-HIRE batch @batch_id as @name with its done file and waits until it is done. */
static void
drop_until_done(Fixture *fixture, const gchar *name, const gchar *batch_id, guint sequence)
{
	g_autofree gchar *id = make_id("19800101", sequence);
	GString *xml = batch_begin(batch_id, "U0001");
	add_unit(xml, 0, "某市财政局");
	add_hire(xml, 1, id, "张三", "20150101");
	g_autofree gchar *text = batch_end(xml);
	g_free(drop_file(fixture, name, text, strlen(text)));
	g_autofree gchar *sql = g_strdup_printf(
	        "SELECT state FROM personnel_batch WHERE doc_batch_id = '%s'", batch_id);
	g_autofree gchar *seen =
	        ph_test_wait_for_value(ph_test_db_get_url(fixture->db), sql, "done", 20000);
	if (g_strcmp0(seen, "done") != 0)
		show_log(fixture);
	g_assert_cmpstr(seen, ==, "done");
}

/* A done file that is there but still empty — the sender has created it and not yet written
 * its line (an SFTP upload or `echo … > NAME.ok` opens the file before writing) — is not a
 * done file that disagrees: the pair is left for a later poll, not moved to rejected/, and
 * taken once the line is there. */
static void
test_done_file_being_written(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *id = make_id("19800101", 701);
	GString *xml = batch_begin("B-SLOW", "U0001");
	add_unit(xml, 0, "某市财政局");
	add_hire(xml, 1, id, "张三", "20150101");
	g_autofree gchar *text = batch_end(xml);
	g_autofree gchar *path = g_build_filename(fixture->drop, "slow.xml", NULL);
	g_autofree gchar *done_path = g_strconcat(path, ".ok", NULL);
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	g_assert_true(g_file_set_contents(done_path, "", 0, NULL));
	/* Two other pairs taken one after the other: the poll that took the second listed the
	 * slow pair as well. */
	drop_until_done(fixture, "first.xml", "B-FIRST", 703);
	drop_until_done(fixture, "second.xml", "B-SECOND", 705);
	g_autofree gchar *reason =
	        g_build_filename(fixture->drop, "rejected", "slow.xml.reason", NULL);
	g_assert_false(g_file_test(reason, G_FILE_TEST_EXISTS));
	g_assert_true(g_file_test(path, G_FILE_TEST_EXISTS));

	g_autofree gchar *digest =
	        g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)text, strlen(text));
	g_autofree gchar *done = g_strdup_printf("SHA256 %s\n", digest);
	g_assert_true(g_file_set_contents(done_path, done, -1, NULL));
	g_autofree gchar *seen = ph_test_wait_for_value(
	        ph_test_db_get_url(fixture->db),
	        "SELECT state FROM personnel_batch WHERE doc_batch_id = 'B-SLOW'", "done", 20000);
	if (g_strcmp0(seen, "done") != 0)
		show_log(fixture);
	g_assert_cmpstr(seen, ==, "done");
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM person"), ==, 3);
}

/* With a key file ([keys] file), a batch through the watched folder is applied from a sealed
 * spool file: the spool holds SHA256.gcm only, and no plaintext ID number (issue 9 §3). */
static void
test_sealed_spool(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *key_path = g_build_filename(fixture->hub->dir, "field.keys", NULL);
	g_assert_true(ph_field_keys_add(key_path, "k1", NULL, &error));
	g_assert_no_error(error);
	g_autofree gchar *keys = g_strdup_printf("[keys]\nfile = %s\n\n", key_path);
	ph_test_hub_signal(fixture->hub, SIGTERM);
	fixture_config(fixture, 1000, keys);
	ph_test_hub_start(fixture->hub);

	g_autofree gchar *id = make_id("19800101", 21);
	GString *xml = batch_begin("B-SEALED", "U0001");
	add_unit(xml, 0, "某市财政局");
	add_hire(xml, 1, id, "王五", "20150101");
	g_autofree gchar *text = batch_end(xml);
	g_autofree gchar *digest = drop_file(fixture, "sealed.xml", text, strlen(text));
	g_autofree gchar *seen = ph_test_wait_for_value(
	        ph_test_db_get_url(fixture->db),
	        "SELECT count(*) FROM personnel_batch WHERE state = 'done'", "1", 30000);
	if (g_strcmp0(seen, "1") != 0)
		show_log(fixture);
	g_assert_cmpstr(seen, ==, "1");
	g_autofree gchar *statuses =
	        query(fixture, "SELECT string_agg(status, ' ' ORDER BY seq) FROM personnel_result");
	g_assert_cmpstr(statuses, ==, "APPLIED APPLIED");
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM person"), ==, 1);

	/* the spool file: named by the plaintext's SHA-256, sealed, no ID number in it */
	g_autofree gchar *spool_path =
	        g_strdup_printf("%s/spool/%s.gcm", fixture->hub->dir, digest);
	g_autofree gchar *plain_path = g_strdup_printf("%s/spool/%s", fixture->hub->dir, digest);
	g_autofree gchar *stored = NULL;
	gsize length = 0;
	g_assert_true(g_file_get_contents(spool_path, &stored, &length, NULL));
	g_assert_false(g_file_test(plain_path, G_FILE_TEST_EXISTS));
	g_assert_cmpuint(length, >, strlen(text));
	g_assert_null(g_strstr_len(stored, (gssize)length, id));
	g_assert_null(g_strstr_len(stored, (gssize)length, "PersonnelBatch"));
}

/* SFTP pickup from the personnel system's outbox (a real sshd): the pair is taken under the
 * done-file rule, applied, and moved to outbox/processed/ on the server. */
static void
test_sftp_pickup(Fixture *fixture, gconstpointer data)
{
	g_autoptr(PhTestSshd) sshd = ph_test_sshd_new();
	g_autofree gchar *outbox = ph_test_sshd_path(sshd, "outbox", TRUE);
	g_autofree gchar *a = make_id("19800101", 61);
	GString *xml = batch_begin("B-SFTP", "U0001");
	add_unit(xml, 0, "某市财政局");
	add_hire(xml, 1, a, "张三", "20150101");
	g_autofree gchar *text = batch_end(xml);
	/* The SM3 form of the done file (the SHA-256 one is used by the folder tests). */
	g_autofree gchar *digest = ph_digest_hex(PH_DIGEST_SM3, text, strlen(text));
	g_autofree gchar *done = g_strdup_printf("SM3 %s 2\n", digest);
	g_autofree gchar *path = g_build_filename(outbox, "PERS_001.xml", NULL);
	g_autofree gchar *done_path = g_strconcat(path, ".ok", NULL);
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	g_assert_true(g_file_set_contents(done_path, done, -1, NULL));

	ph_test_hub_signal(fixture->hub, SIGTERM);
	g_autofree gchar *lines = ph_test_sshd_config_lines(sshd);
	g_auto(GStrv) parts = g_strsplit(lines, "\n", -1);
	g_autoptr(GString) extra = g_string_new("[plugin personnel]\nspool_dir = spool\n"
	                                        "poll_seconds = 1\nsftp_folder = outbox\n");
	for (guint i = 0; parts[i] != NULL; i++) {
		if (parts[i][0] != '\0')
			g_string_append_printf(extra, "sftp_%s\n", parts[i]);
	}
	ph_test_hub_write_config(fixture->hub, extra->str);
	ph_test_hub_start(fixture->hub);

	g_autofree gchar *seen = ph_test_wait_for_value(
	        ph_test_db_get_url(fixture->db),
	        "SELECT state FROM personnel_batch WHERE doc_batch_id = 'B-SFTP'", "done", 90000);
	if (g_strcmp0(seen, "done") != 0)
		show_log(fixture);
	g_assert_cmpstr(seen, ==, "done");
	g_autofree gchar *moved = g_build_filename(outbox, "processed", "PERS_001.xml.ok", NULL);
	for (guint i = 0; i < 50 && !g_file_test(moved, G_FILE_TEST_EXISTS); i++)
		g_usleep(100 * 1000);
	g_assert_true(g_file_test(moved, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	/* on the sender's server the pair moves to processed/, as the done-file rule says (only
	 * the hub's own watched folder deletes the data file) */
	g_autofree gchar *kept = g_build_filename(outbox, "processed", "PERS_001.xml", NULL);
	g_assert_true(g_file_test(kept, G_FILE_TEST_EXISTS));
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM person"), ==, 1);
}

/* One person's events in seq order, interleaved with another's: hired, left, hired again
 * (re-enrolment), then a wage — which works only in that order. Chunks of 2 events, so the
 * person's events fall into different transactions. */
static void
test_order(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *x = make_id("19800101", 71);
	g_autofree gchar *y = make_id("19810101", 73);
	GString *xml = batch_begin("B-ORDER", "U0001");
	add_unit(xml, 1, "某市财政局");
	add_hire(xml, 2, x, "张三", "20150101");
	add_hire(xml, 3, y, "李四", "20150101");
	add_event(xml, 5, "LEAVE", "20160101", x, "");
	add_event(xml, 6, "WAGE", "20160101", y, "<Wage>9000.00</Wage>");
	add_hire(xml, 8, x, "张三", "20170101");
	add_event(xml, 9, "WAGE", "20180101", x, "<Wage>9100.00</Wage>");
	g_autofree gchar *text = batch_end(xml);
	g_autofree gchar *batch = post_batch(fixture, text, strlen(text));
	g_autofree gchar *state = wait_batch(fixture, batch, 20000);
	g_assert_cmpstr(state, ==, "done");
	static const guint seqs[] = {1, 2, 3, 5, 6, 8, 9};
	for (guint i = 0; i < G_N_ELEMENTS(seqs); i++)
		assert_result(fixture, batch, seqs[i], "APPLIED -");
	/* x: 2015-01 … 2015-12, then again from 2017-01 with the 2018 wage. */
	g_autofree gchar *stints = query(fixture,
	                                 "SELECT string_agg(e.start_period || '-' || "
	                                 "coalesce(e.end_period::text, ''), ' ' ORDER BY "
	                                 "e.start_period) FROM enrolment e JOIN person p USING "
	                                 "(person_id) WHERE p.id_number = '%s'",
	                                 x);
	g_assert_cmpstr(stints, ==, "201501-201512 201701-");
	g_autofree gchar *wage = query(fixture,
	                               "SELECT w.wage FROM declared_wage w JOIN person p USING "
	                               "(person_id) WHERE p.id_number = '%s' AND "
	                               "w.effective_period = 201801",
	                               x);
	g_assert_cmpstr(wage, ==, "910000");
}

/* A HIRE the core refuses (a unit never registered) makes the same person's later events
 * in the batch DEPENDS_ON_REJECTED (README, "Order"), also when both fall into one chunk,
 * where the HIRE waits to go in by COPY with the chunk's other HIREs. */
static void
test_depends_on_refused_hire(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *x = make_id("19800101", 401); /* new: hired into U9999 */
	g_autofree gchar *y = make_id("19810101", 403); /* hired, left, hired into U9999 */
	GString *first = batch_begin("B-DEP-1", "U0001");
	add_unit(first, 0, "某市财政局");
	add_hire(first, 1, y, "李四", "20150101");
	add_event(first, 2, "LEAVE", "20160101", y, "");
	g_autofree gchar *first_batch = post_until_done(fixture, first);
	assert_result(fixture, first_batch, 2, "APPLIED -");

	static const gchar fields[] = "<AAC003>%s</AAC003><AAC004>1</AAC004>"
	                              "<AAC006>%.8s</AAC006><Wage>7500.00</Wage>"
	                              "<AAB001>U9999</AAB001>";
	g_autofree gchar *x_fields = g_strdup_printf(fields, "张三", x + 6);
	g_autofree gchar *y_fields = g_strdup_printf(fields, "李四", y + 6);
	GString *xml = batch_begin("B-DEP-2", "U0001");
	add_event(xml, 1, "HIRE", "20170101", x, x_fields);
	add_event(xml, 2, "WAGE", "20180101", x, "<Wage>8000.00</Wage>");
	add_event(xml, 3, "HIRE", "20170101", y, y_fields);
	add_event(xml, 4, "DEATH", "20180101", y, "");
	g_autofree gchar *batch = post_until_done(fixture, xml);
	/* Expected codes: README's table (UNKNOWN_UNIT: no such unit; DEPENDS_ON_REJECTED: an
	 * earlier event of the same person in this batch was rejected). */
	assert_result(fixture, batch, 1, "REJECTED UNKNOWN_UNIT");
	assert_result(fixture, batch, 2, "REJECTED DEPENDS_ON_REJECTED");
	assert_result(fixture, batch, 3, "REJECTED UNKNOWN_UNIT");
	assert_result(fixture, batch, 4, "REJECTED DEPENDS_ON_REJECTED");
	g_autofree gchar *status =
	        query(fixture, "SELECT status FROM person WHERE id_number = '%s'", y);
	g_assert_cmpstr(status, ==, "left");
}

/* Seq is the order of application (README, "Order"): a HIRE into the batch's unit before the
 * UNIT event that registers it finds no unit, also when both fall into one chunk, where the
 * HIRE waits to go in by COPY with the chunk's other HIREs. */
static void
test_unit_after_hire(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *x = make_id("19800101", 601);
	g_autofree gchar *y = make_id("19800101", 603);
	GString *xml = batch_begin("B-UNIT-LATE", "U0001");
	add_hire(xml, 1, x, "张三", "20150101");
	add_unit(xml, 2, "某市财政局");
	add_hire(xml, 3, y, "李四", "20150101");
	g_autofree gchar *batch = post_until_done(fixture, xml);
	/* Expected codes: README's table (UNKNOWN_UNIT: send the unit's UNIT event first). */
	assert_result(fixture, batch, 1, "REJECTED UNKNOWN_UNIT");
	assert_result(fixture, batch, 2, "APPLIED -");
	assert_result(fixture, batch, 3, "APPLIED -");
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM person"), ==, 1);
}

/* Codes without a table in the mapping folder still have their form (STANDARDS.md): AAB019
 * 单位类型 is C..2 and AAE160 变更原因 C..4; a longer value is refused as BAD_FIELD naming
 * the field, not stored in the unit or the enrolment. */
static void
test_code_lengths(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *x = make_id("19800101", 801);
	GString *xml = batch_begin("B-CODES", "U0001");
	add_unit(xml, 0, "某市财政局");
	add_hire(xml, 1, x, "张三", "20150101");
	g_string_append(xml, "<Event seq=\"2\" type=\"UNIT\" effective=\"20141001\">"
	                     "<AAB004>某市财政局</AAB004><AAB019>全额拨款事业单位</AAB019>"
	                     "</Event>\n");
	add_event(xml, 3, "LEAVE", "20160101", x, "<AAE160>63011</AAE160>");
	g_autofree gchar *batch = post_until_done(fixture, xml);
	assert_result(fixture, batch, 2, "REJECTED BAD_FIELD");
	assert_result(fixture, batch, 3, "REJECTED BAD_FIELD");
	g_autofree gchar *unit_why = message_of(fixture, batch, 2);
	g_assert_nonnull(strstr(unit_why, "AAB019"));
	g_autofree gchar *leave_why = message_of(fixture, batch, 3);
	g_assert_nonnull(strstr(leave_why, "AAE160"));
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM unit WHERE unit_type IS NOT NULL"), ==,
	                0);
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM enrolment WHERE end_period IS NULL"),
	                ==, 1);
}

/* A refusal of a value holding multi-byte characters (a credit code, an ID number with one
 * in its first six) is stored and answered: a receipt's message is UTF-8, and the batch is
 * not held up. (The core's checks quote whole characters since 03dfb72; before, they cut
 * them, and this batch was retried for ever.) */
static void
test_refusal_not_utf8(Fixture *fixture, gconstpointer data)
{
	GString *xml = batch_begin("B-UTF8", "U0001");
	/* 18 bytes: 中 (three) and 15 digits, so that the length check passes */
	g_string_append(xml, "<Event seq=\"1\" type=\"UNIT\" effective=\"20141001\">"
	                     "<AAB004>某市财政局</AAB004><BAB010>中111010500000001</BAB010>"
	                     "</Event>\n");
	/* 18 bytes with 中 across the sixth, where the masked number is cut */
	add_event(xml, 2, "WAGE", "20160101", "11110中1234567890", "<Wage>8000.00</Wage>");
	g_autofree gchar *batch = post_until_done(fixture, xml);
	assert_result(fixture, batch, 1, "REJECTED INVALID");
	g_autofree gchar *why = message_of(fixture, batch, 1);
	g_assert_true(g_utf8_validate(why, -1, NULL));
	g_assert_nonnull(strstr(why, "BAB010"));
	assert_result(fixture, batch, 2, "REJECTED BAD_ID");
	g_autofree gchar *id_why = message_of(fixture, batch, 2);
	g_assert_true(g_utf8_validate(id_why, -1, NULL));
	g_autofree gchar *receipt = get_receipt(fixture, batch, NULL);
	g_assert_true(g_utf8_validate(receipt, -1, NULL));
}

/* A field refused for its form is named in the message, so that a clerk knows what to
 * correct (given twice, holding elements, over 1,024 bytes: README's BAD_FIELD; an amount
 * that is not yuan with two decimals: BAD_AMOUNT). */
static void
test_field_named(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *long_name = g_strnfill(1100, 'a');
	g_autofree gchar *twice = g_strdup_printf("<AAC003>张三</AAC003><AAC003>张三</AAC003>"
	                                          "<AAC004>1</AAC004><AAC006>19800101</AAC006>"
	                                          "<Wage>7500.00</Wage>");
	g_autofree gchar *nested = g_strdup_printf("<AAC003>张三</AAC003><AAC004>1</AAC004>"
	                                           "<AAC006>19800101</AAC006>"
	                                           "<Wage><b>7500.00</b></Wage>");
	g_autofree gchar *longer = g_strdup_printf("<AAC003>%s</AAC003><AAC004>1</AAC004>"
	                                           "<AAC006>19800101</AAC006>"
	                                           "<Wage>7500.00</Wage>",
	                                           long_name);
	g_autofree gchar *cents = g_strdup_printf("<AAC003>张三</AAC003><AAC004>1</AAC004>"
	                                          "<AAC006>19800101</AAC006>"
	                                          "<Wage>7500.001</Wage>");
	const struct {
		const gchar *fields;
		const gchar *result;
		const gchar *named; /* the field the message must name */
	} cases[] = {
	        {twice, "REJECTED BAD_FIELD", "AAC003"},
	        {nested, "REJECTED BAD_FIELD", "Wage"},
	        {longer, "REJECTED BAD_FIELD", "AAC003"},
	        {cents, "REJECTED BAD_AMOUNT", "Wage"},
	};
	GString *xml = batch_begin("B-NAMED", "U0001");
	add_unit(xml, 0, "某市财政局");
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *id = make_id("19800101", 501 + 2 * i);
		add_event(xml, i + 1, "HIRE", "20150101", id, cases[i].fields);
	}
	g_autofree gchar *batch = post_until_done(fixture, xml);
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		assert_result(fixture, batch, i + 1, cases[i].result);
		g_autofree gchar *why = message_of(fixture, batch, i + 1);
		g_test_message("seq %u: %s", i + 1, why);
		g_assert_nonnull(strstr(why, cases[i].named));
	}
}

/* A national code table that cannot be loaded (standard/AAC005.xml missing from the mapping
 * folder) is the hub's fault, not the event's: the batch stays processing and is applied once
 * the table is back — no event is refused for it as UNKNOWN_CODE for good. */
static void
test_code_table_missing(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *mappings = g_build_filename(fixture->hub->dir, "mappings", NULL);
	g_autofree gchar *source = g_build_filename(g_getenv("PH_SOURCE_DIR"), "mappings", NULL);
	g_autofree gchar *table = g_build_filename(mappings, "standard", "AAC005.xml", NULL);
	g_autofree gchar *table_source = g_build_filename(source, "standard", "AAC005.xml", NULL);
	const gchar *copy[] = {"cp", "-r", source, mappings, NULL};
	gint status = 0;
	g_assert_true(g_spawn_sync(NULL, (gchar **)copy, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
	                           NULL, NULL, &status, &error));
	g_assert_no_error(error);
	g_assert_cmpint(status, ==, 0);
	g_assert_cmpint(g_unlink(table), ==, 0);
	ph_test_hub_signal(fixture->hub, SIGTERM);
	g_free(fixture->hub->mapping_dir);
	fixture->hub->mapping_dir = g_strdup(mappings);
	fixture_config(fixture, 1000, "");
	ph_test_hub_start(fixture->hub);

	g_autofree gchar *a = make_id("19800101", 301);
	GString *xml = batch_begin("B-TABLE", "U0001");
	add_unit(xml, 0, "某市财政局");
	add_hire(xml, 1, a, "张三", "20150101"); /* with AAC005 01 */
	g_autofree gchar *text = batch_end(xml);
	g_autofree gchar *batch = post_batch(fixture, text, strlen(text));
	g_autofree gchar *stopped = g_strdup_printf("personnel batch %s: stopped", batch);
	g_autofree gchar *state = NULL;
	for (guint i = 0; i < 200; i++) {
		g_free(state);
		state = query(fixture, "SELECT state FROM personnel_batch WHERE id = '%s'", batch);
		if (ph_test_hub_log_has(fixture->hub, stopped) || g_str_equal(state, "done") ||
		    g_str_equal(state, "rejected"))
			break;
		g_usleep(100 * 1000);
	}
	/* it stopped (said so), not merely never started */
	g_assert_true(ph_test_hub_log_has(fixture->hub, stopped));
	g_assert_cmpstr(state, ==, "processing");
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM personnel_result"), ==, 0);

	g_autofree gchar *contents = NULL;
	gsize length = 0;
	g_assert_true(g_file_get_contents(table_source, &contents, &length, NULL));
	g_assert_true(g_file_set_contents(table, contents, (gssize)length, NULL));
	g_autofree gchar *final = wait_batch(fixture, batch, 20000);
	g_assert_cmpstr(final, ==, "done");
	assert_result(fixture, batch, 0, "APPLIED -");
	assert_result(fixture, batch, 1, "APPLIED -");
}

/* AAE200 (视同缴费月数) is a whole number I..3 (STANDARDS.md): a value that is not one is
 * refused, never read as the number it starts with or as what is left of it in 32 bits. */
static void
test_deemed_months(Fixture *fixture, gconstpointer data)
{
	static const gchar *const values[] = {
	        "4294967536", /* 2^32 + 240: 240 once cut to 32 bits */
	        "24x",        /* 24 followed by a letter */
	        "abc",        /* no digits: 0 */
	        "-0",         /* a sign */
	};
	GString *xml = batch_begin("B-DEEMED", "U0001");
	add_unit(xml, 0, "某市财政局");
	for (guint i = 0; i < G_N_ELEMENTS(values); i++) {
		g_autofree gchar *id = make_id("19700101", 101 + 2 * i);
		g_autofree gchar *fields = g_strdup_printf(
		        "<AAC003>张三</AAC003><AAC004>1</AAC004><AAC006>19700101</AAC006>"
		        "<Wage>7500.00</Wage><AAE200>%s</AAE200><DeemedIndex>1.2000</DeemedIndex>",
		        values[i]);
		add_event(xml, i + 1, "HIRE", "20150101", id, fields);
	}
	g_autofree gchar *batch = post_until_done(fixture, xml);
	for (guint i = 0; i < G_N_ELEMENTS(values); i++)
		assert_result(fixture, batch, i + 1, "REJECTED BAD_FIELD");
	g_autofree gchar *why = message_of(fixture, batch, 1);
	g_assert_nonnull(strstr(why, "AAE200"));
	g_assert_cmpint(count(fixture, "SELECT count(*) FROM person"), ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/personnel/event-types", Fixture, NULL, fixture_set_up, test_event_types,
	           fixture_tear_down);
	g_test_add("/personnel/order", Fixture, GUINT_TO_POINTER(2), fixture_set_up, test_order,
	           fixture_tear_down);
	g_test_add("/personnel/rejections", Fixture, NULL, fixture_set_up, test_rejections,
	           fixture_tear_down);
	g_test_add("/personnel/deemed-months", Fixture, NULL, fixture_set_up, test_deemed_months,
	           fixture_tear_down);
	g_test_add("/personnel/field-named", Fixture, NULL, fixture_set_up, test_field_named,
	           fixture_tear_down);
	g_test_add("/personnel/code-lengths", Fixture, NULL, fixture_set_up, test_code_lengths,
	           fixture_tear_down);
	g_test_add("/personnel/refusal-not-utf8", Fixture, NULL, fixture_set_up,
	           test_refusal_not_utf8, fixture_tear_down);
	g_test_add("/personnel/unit-after-hire", Fixture, NULL, fixture_set_up,
	           test_unit_after_hire, fixture_tear_down);
	g_test_add("/personnel/depends-on-refused-hire", Fixture, NULL, fixture_set_up,
	           test_depends_on_refused_hire, fixture_tear_down);
	g_test_add("/personnel/code-table-missing", Fixture, NULL, fixture_set_up,
	           test_code_table_missing, fixture_tear_down);
	g_test_add("/personnel/resent", Fixture, NULL, fixture_set_up, test_resent,
	           fixture_tear_down);
	g_test_add("/personnel/rejected-whole", Fixture, NULL, fixture_set_up, test_rejected_whole,
	           fixture_tear_down);
	g_test_add("/personnel/gb18030", Fixture, NULL, fixture_set_up, test_gb18030,
	           fixture_tear_down);
	g_test_add("/personnel/bad-done-file", Fixture, NULL, fixture_set_up, test_bad_done_file,
	           fixture_tear_down);
	g_test_add("/personnel/done-file-being-written", Fixture, NULL, fixture_set_up,
	           test_done_file_being_written, fixture_tear_down);
	g_test_add("/personnel/garbage-1gib", Fixture, NULL, fixture_set_up, test_garbage,
	           fixture_tear_down);
	g_test_add("/personnel/many-problems", Fixture, NULL, fixture_set_up, test_many_problems,
	           fixture_tear_down);
	g_test_add("/personnel/long-attributes", Fixture, NULL, fixture_set_up,
	           test_long_attributes, fixture_tear_down);
	g_test_add("/personnel/sftp-pickup", Fixture, NULL, fixture_set_up, test_sftp_pickup,
	           fixture_tear_down);
	g_test_add("/personnel/demo", Fixture, NULL, fixture_set_up, test_demo, fixture_tear_down);
	g_test_add("/personnel/sealed-spool", Fixture, NULL, fixture_set_up, test_sealed_spool,
	           fixture_tear_down);
	g_test_add("/personnel/kill-resume", Fixture, GUINT_TO_POINTER(500), fixture_set_up,
	           test_kill_resume, fixture_tear_down);
	return g_test_run();
}
