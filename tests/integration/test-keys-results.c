/* The stored results of core commands with a key file (issue 9 §3): after a retirement, a
 * death settlement and a transfer out, no table holds a citizen ID in the clear (the
 * whole-database scan of ph-test-scan.h), the stored AAC002 is an envelope, and what is read
 * back (a repeated command, `person show`) holds it opened; results stored before the key file
 * are sealed by `keys rotate`, which `keys status` counts first. Suite integration. */
#include <glib/gstdio.h>
#include <string.h>

#include "ph-death-cmd.h"
#include "ph-enrolment.h"
#include "ph-field-cipher.h"
#include "ph-field-key.h"
#include "ph-field-rotate.h"
#include "ph-person-show.h"
#include "ph-retirement.h"
#include "ph-test-core.h"
#include "ph-test-hub.h"
#include "ph-test-keys.h"
#include "ph-test-scan.h"
#include "ph-transfer-cmd.h"

/* GB 11643 numbers (check characters by the MOD 11-2 weights): the RULES §8 person, born
 * 1964-10, who retires and dies; a member born 1970-02 who transfers out. */
#define ID_RETIREE "110105196410150037"
#define ID_LEAVER  "110105197002020094"

/* The national policy with the average wage 5,000.00 of RULES §8 and the death grants. */
static const gchar *const policy_json = "{" PH_TEST_CORE_RULES8_POLICY "}";

static const gchar *const plaintext_ids[] = {ID_RETIREE, ID_LEAVER, NULL};

static gchar *key_path;

typedef PhTestCore Fixture;

static void
fixture_set_up(Fixture *fixture, gconstpointer data)
{
	ph_test_core_set_up(fixture, policy_json);
	if (GPOINTER_TO_INT(data))
		ph_test_keys_install(ph_test_db_get_url(fixture->test_db), key_path);
	else
		ph_field_cipher_install(NULL);
}

static void
fixture_tear_down(Fixture *fixture, gconstpointer data)
{
	ph_test_core_tear_down(fixture);
}

/* Runs one command in a transaction; its result (owned) with the duplicate flag. */
typedef gboolean (*Command)(Fixture *fixture, gconstpointer input, PhCommandResult *outcome,
                            GError **error);

static JsonNode *
run(Fixture *fixture, Command command, gconstpointer input, gboolean *duplicate)
{
	g_autoptr(GError) error = NULL;
	PhCommandResult outcome = {0};
	g_assert_true(ph_db_begin(fixture->db, &error));
	gboolean ok = command(fixture, input, &outcome, &error);
	g_assert_no_error(error);
	g_assert_true(ok);
	g_assert_true(ph_db_commit(fixture->db, &error));
	*duplicate = outcome.duplicate;
	JsonNode *result = g_steal_pointer(&outcome.result);
	ph_command_result_clear(&outcome);
	return result;
}

static gboolean
do_unit(Fixture *fixture, gconstpointer input, PhCommandResult *outcome, GError **error)
{
	return ph_enrolment_register_unit(fixture->db, &fixture->context, input, outcome, error);
}

static gboolean
do_enrol(Fixture *fixture, gconstpointer input, PhCommandResult *outcome, GError **error)
{
	return ph_enrolment_enrol(fixture->db, &fixture->context, input, outcome, error);
}

static gboolean
do_transfer_in(Fixture *fixture, gconstpointer input, PhCommandResult *outcome, GError **error)
{
	return ph_transfer_cmd_in(fixture->db, &fixture->context, input, outcome, error);
}

static gboolean
do_retire(Fixture *fixture, gconstpointer input, PhCommandResult *outcome, GError **error)
{
	return ph_retirement_retire(fixture->db, &fixture->context, input, outcome, error);
}

static gboolean
do_death(Fixture *fixture, gconstpointer input, PhCommandResult *outcome, GError **error)
{
	return ph_death_cmd_record(fixture->db, &fixture->context, input, outcome, error);
}

static gboolean
do_transfer_out(Fixture *fixture, gconstpointer input, PhCommandResult *outcome, GError **error)
{
	return ph_transfer_cmd_out(fixture->db, &fixture->context, input, outcome, error);
}

static gboolean
do_complete_out(Fixture *fixture, gconstpointer input, PhCommandResult *outcome, GError **error)
{
	return ph_transfer_cmd_complete_out(fixture->db, &fixture->context, input, outcome, error);
}

/* Runs @command and asserts its result names @id as AAC002 (no result is fine for the
 * commands that store none here). */
static void
run_expecting(Fixture *fixture, Command command, gconstpointer input, const gchar *id,
              gboolean expect_duplicate)
{
	gboolean duplicate = FALSE;
	g_autoptr(JsonNode) result = run(fixture, command, input, &duplicate);
	g_assert_cmpint(duplicate, ==, expect_duplicate);
	g_assert_nonnull(result);
	g_assert_cmpstr(json_object_get_string_member(json_node_get_object(result), "AAC002"), ==,
	                id);
}

static PhEnrolInput
enrol_input(const gchar *id, const gchar *birth, const gchar *effective)
{
	PhEnrolInput input = {
	        .person = {.id_number = id,
	                   .name = "张三",
	                   .sex = "1",
	                   .ethnicity = "01",
	                   .birth_date = birth},
	        .unit_code = "U0001",
	        .effective = effective,
	        .wage = 750000,
	};
	return input;
}

/* The RULES §8 person: enrolled 2024-09 with 240 deemed months and 120 months transferred in,
 * retired from 2024-10, died 2024-11; the leaver enrolled 2024-01, transferred out 2024-07
 * (completed). Each result-storing command is run twice: the repeat reads the stored result. */
static void
run_cases(Fixture *fixture)
{
	gboolean duplicate = FALSE;
	const PhUnitInput unit = {"U0001", "某市财政局", NULL, "55", "110105", "full"};
	g_autoptr(JsonNode) registered = run(fixture, do_unit, &unit, &duplicate);
	PhEnrolInput retiree = enrol_input(ID_RETIREE, "19641015", "20240901");
	retiree.person.deemed_months = 240;
	retiree.person.deemed_index = 12000;
	g_autoptr(JsonNode) hired = run(fixture, do_enrol, &retiree, &duplicate);
	PhEnrolInput leaver = enrol_input(ID_LEAVER, "19700202", "20240101");
	g_autoptr(JsonNode) hired_too = run(fixture, do_enrol, &leaver, &duplicate);
	PhMonthBase months[PH_TEST_CORE_RULES8_MONTHS];
	const PhTransferInInput in = ph_test_core_rules8_transfer_in("CASE-IN", ID_RETIREE, months);
	g_autoptr(JsonNode) transferred = run(fixture, do_transfer_in, &in, &duplicate);
	const PhRetireInput retire = {ID_RETIREE, "20241001", "2", FALSE, 0};
	const PhDeathCmdInput death = {ID_RETIREE, "20241115"};
	const PhTransferOutInput out = {"CASE-OUT", ID_LEAVER, "20240701", "310000"};
	for (gint round = 0; round < 2; round++) {
		run_expecting(fixture, do_retire, &retire, ID_RETIREE, round == 1);
		run_expecting(fixture, do_death, &death, ID_RETIREE, round == 1);
		run_expecting(fixture, do_transfer_out, &out, ID_LEAVER, round == 1);
	}
	/* completing reads the stored sheet back as the result */
	run_expecting(fixture, do_complete_out, "CASE-OUT", ID_LEAVER, FALSE);
}

/* The AAC002 members of the three result columns that are envelopes. */
static gint64
count_sealed_results(Fixture *fixture)
{
	return ph_test_db_query_int(
	        fixture->db,
	        "SELECT (SELECT count(*) FROM benefit WHERE starts_with(result->>'AAC002', "
	        "'enc1:')) + (SELECT count(*) FROM death_settlement WHERE "
	        "starts_with(result->>'AAC002', 'enc1:')) + (SELECT count(*) FROM transfer_case "
	        "WHERE starts_with(result->>'AAC002', 'enc1:'))");
}

/* `person show` (what pensionctl prints) has the benefit's and the death's AAC002 opened. */
static void
expect_shown(Fixture *fixture)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) shown = ph_person_show(fixture->db, ID_RETIREE, &error);
	g_assert_no_error(error);
	JsonObject *person = json_node_get_object(shown);
	g_assert_cmpstr(json_object_get_string_member(
	                        json_object_get_object_member(person, "benefit"), "AAC002"),
	                ==, ID_RETIREE);
	g_assert_cmpstr(json_object_get_string_member(
	                        json_object_get_object_member(person, "death"), "AAC002"),
	                ==, ID_RETIREE);
	/* the amounts stay as they were stored: RULES §8 total 6756.00 yuan */
	g_assert_cmpint(json_object_get_int_member(json_object_get_object_member(person, "benefit"),
	                                           "monthly_total"),
	                ==, 675600);
}

/* `pensionctl person show` with the key file in its config prints the number opened in the
 * person, the benefit and the death, and no envelope. */
static void
expect_cli_shown(Fixture *fixture)
{
	g_autofree gchar *extra = g_strdup_printf("[keys]\nfile = %s\n", key_path);
	g_autoptr(PhTestHub) hub =
	        ph_test_hub_new(ph_test_db_get_url(fixture->test_db), NULL, extra);
	g_autofree gchar *out = NULL;
	g_assert_cmpint(ph_test_hub_run_ctl(hub, &out, "person", "show", ID_RETIREE, NULL), ==, 0);
	guint shown = 0;
	for (const gchar *p = out; (p = strstr(p, "\"AAC002\" : \"" ID_RETIREE "\"")) != NULL; p++)
		shown++;
	g_assert_cmpuint(shown, ==, 3);
	g_assert_null(strstr(out, "enc1:"));
}

/* With the key file: nothing in the clear anywhere, three envelopes, reads opened. */
static void
test_sealed(Fixture *fixture, gconstpointer data)
{
	run_cases(fixture);
	g_autoptr(GPtrArray) found = ph_test_scan_plaintext(fixture->db, plaintext_ids);
	g_assert_cmpuint(found->len, ==, 0);
	/* benefit, death settlement, transfer out (a transfer in stores no AAC002) */
	g_assert_cmpint(count_sealed_results(fixture), ==, 3);
	expect_shown(fixture);
	expect_cli_shown(fixture);
}

static void
note_stale(const gchar *table, const gchar *column, gint64 stale, gpointer user_data)
{
	if (stale > 0)
		g_hash_table_insert(user_data, g_strdup_printf("%s.%s", table, column),
		                    GINT_TO_POINTER((gint)stale));
}

/* Written before the key file: the scan finds the three results in the clear (so it can
 * fail), `keys status` counts them by column, `keys rotate` seals them, and the repeats and
 * `person show` still read them. */
static void
test_converted(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	run_cases(fixture);
	g_autoptr(GPtrArray) before = ph_test_scan_plaintext(fixture->db, plaintext_ids);
	g_assert_true(g_ptr_array_find_with_equal_func(before, "benefit.result: 1 rows",
	                                               g_str_equal, NULL));
	g_assert_true(g_ptr_array_find_with_equal_func(before, "death_settlement.result: 1 rows",
	                                               g_str_equal, NULL));
	g_assert_true(g_ptr_array_find_with_equal_func(before, "transfer_case.result: 1 rows",
	                                               g_str_equal, NULL));
	ph_test_keys_install(ph_test_db_get_url(fixture->test_db), key_path);
	g_autoptr(PhFieldKeys) keys = ph_field_keys_load(key_path, &error);
	g_assert_no_error(error);
	gint64 stale = -1;
	g_autoptr(GHashTable) by_column =
	        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_assert_true(ph_field_rotate_foreach_stale(fixture->db, keys, note_stale, by_column,
	                                            &stale, &error));
	g_assert_no_error(error);
	static const gchar *const results[] = {"benefit.result", "death_settlement.result",
	                                       "transfer_case.result"};
	for (guint i = 0; i < G_N_ELEMENTS(results); i++)
		g_assert_cmpint(GPOINTER_TO_INT(g_hash_table_lookup(by_column, results[i])), ==, 1);
	PhFieldRotation rotation = {0};
	g_assert_true(ph_field_rotate(fixture->db, keys, 2, NULL, NULL, &rotation, &error));
	g_assert_no_error(error);
	g_assert_true(ph_field_rotate_count_stale(fixture->db, keys, &stale, &error));
	g_assert_cmpint(stale, ==, 0);
	g_autoptr(GPtrArray) after = ph_test_scan_plaintext(fixture->db, plaintext_ids);
	g_assert_cmpuint(after->len, ==, 0);
	g_assert_cmpint(count_sealed_results(fixture), ==, 3);
	/* the amounts beside the sealed member are untouched */
	g_assert_cmpint(ph_test_db_query_int(fixture->db,
	                                     "SELECT (result->>'monthly_total')::bigint "
	                                     "FROM benefit"),
	                ==, 675600);
	expect_shown(fixture);
	const PhRetireInput retire = {ID_RETIREE, "20241001", "2", FALSE, 0};
	run_expecting(fixture, do_retire, &retire, ID_RETIREE, TRUE);
	run_expecting(fixture, do_complete_out, "CASE-OUT", ID_LEAVER, TRUE);
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_test_init(&argc, &argv, NULL);
	g_autofree gchar *key_dir = g_dir_make_tmp("ph-test-keys-results-XXXXXX", &error);
	g_assert_no_error(error);
	key_path = g_build_filename(key_dir, "field.keys", NULL);
	g_assert_true(ph_field_keys_add(key_path, "k1", NULL, &error));
	g_assert_no_error(error);
	g_test_add("/keys-results/sealed", Fixture, GINT_TO_POINTER(TRUE), fixture_set_up,
	           test_sealed, fixture_tear_down);
	g_test_add("/keys-results/converted", Fixture, GINT_TO_POINTER(FALSE), fixture_set_up,
	           test_converted, fixture_tear_down);
	int status = g_test_run();
	g_unlink(key_path);
	g_rmdir(key_dir);
	g_free(key_path);
	return status;
}
