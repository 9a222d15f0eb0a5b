/* Operator actions of pensionctl name the operator in the audit chain (issue 9 §1): a clerk's
 * payout-account override (`cardholder override`) and the monthly medical comparison
 * (`medical compare`) record ph_ctl_operator's identity, [audit] operator or else
 * "operator:<unix user>", as every audited pensionctl command does; never a fixed "pensionctl".
 * Suite integration (PH_DATABASE_URL, PH_PKI); no daemon runs. */
#include <glib.h>
#include <string.h>

#include "ph-test-db.h"
#include "ph-test-hub.h"
#include "ph-test-peer.h"

/* A valid GB 11643 number (as in test-archive), male, born 1970-01-01 */
#define ID_MEMBER "110105197001010193"
#define ACCOUNT   "6217000010000000001"

typedef struct {
	PhTestDb *db;
	PhTestHub *hub;
	gchar *operator; /* the identity expected in the audit chain */
} Fixture;

/* @data: the [audit] operator configured, or NULL for none (then the unix user counts). */
static void
fixture_set_up(Fixture *fixture, gconstpointer data)
{
	const gchar *configured = data;
	fixture->db = ph_test_db_new();
	g_autofree gchar *extra =
	        configured != NULL ? g_strdup_printf("[audit]\noperator = %s\n", configured) : NULL;
	fixture->hub = ph_test_hub_new(ph_test_db_get_url(fixture->db), NULL, extra);
	fixture->operator= configured != NULL ? g_strdup(configured)
	                                      : g_strdup_printf("operator:%s", g_get_user_name());
}

static void
fixture_tear_down(Fixture *fixture, gconstpointer data)
{
	g_clear_pointer(&fixture->hub, ph_test_hub_free);
	g_clear_pointer(&fixture->db, ph_test_db_free);
	g_clear_pointer(&fixture->operator, g_free);
}

/* The actors of the audit entries of @action, comma-separated in order ("" for none). */
static gchar *
actors_of(Fixture *fixture, const gchar *action)
{
	g_autofree gchar *sql = g_strdup_printf(
	        "SELECT coalesce(string_agg(actor, ',' ORDER BY id), '') FROM audit_log WHERE "
	        "action = '%s'",
	        action);
	return ph_test_query_value(ph_test_db_get_url(fixture->db), sql);
}

/* An override set and removed: both payee-account entries (the override's and the removal's)
 * and the override row name the operator. */
static void
test_cardholder_override(Fixture *fixture, gconstpointer data)
{
	ph_test_enrol(fixture->db, ID_MEMBER, "李四", "19700101", "20240101");
	g_autofree gchar *set = NULL;
	g_assert_cmpint(ph_test_hub_run_ctl(fixture->hub, &set, "cardholder", "override", ID_MEMBER,
	                                    "--bank", "boc", "--account", ACCOUNT, "--reason",
	                                    "passbook seen", NULL),
	                ==, 0);
	g_autofree gchar *row_actor = ph_test_query_value(
	        ph_test_db_get_url(fixture->db), "SELECT actor FROM payee_account_override");
	g_assert_cmpstr(row_actor, ==, fixture->operator);
	g_autofree gchar *removed = NULL;
	g_assert_cmpint(ph_test_hub_run_ctl(fixture->hub, &removed, "cardholder", "override",
	                                    ID_MEMBER, "--remove", NULL),
	                ==, 0);
	g_autofree gchar *actors = actors_of(fixture, "payee-account");
	g_autofree gchar *expected = g_strdup_printf("%s,%s", fixture->operator, fixture->operator);
	g_assert_cmpstr(actors, ==, expected);
}

/* A comparison's report and its audit entry commit together: one "medical-compare" entry of
 * the operator naming the report. */
static void
test_medical_compare(Fixture *fixture, gconstpointer data)
{
	ph_test_enrol(fixture->db, ID_MEMBER, "李四", "19700101", "20240101");
	g_autofree gchar *file =
	        g_build_filename(fixture->hub->dir, "MED_PERSONS_202611.csv", NULL);
	g_assert_true(g_file_set_contents(file,
	                                  "AAC002,AAC003,AAC004,AAC006,AAC084,AAE138\n" ID_MEMBER
	                                  ",李四,1,19700101,0,\n",
	                                  -1, NULL));
	g_autofree gchar *none = actors_of(fixture, "medical-compare");
	g_assert_cmpstr(none, ==, "");
	g_autofree gchar *summary = NULL;
	g_assert_cmpint(ph_test_hub_run_ctl(fixture->hub, &summary, "medical", "compare", "--file",
	                                    file, NULL),
	                ==, 0);
	g_assert_nonnull(strstr(summary, "report 1: MED_PERSONS_202611.csv"));
	g_autofree gchar *actors = actors_of(fixture, "medical-compare");
	g_assert_cmpstr(actors, ==, fixture->operator);
	g_autofree gchar *object = ph_test_query_value(
	        ph_test_db_get_url(fixture->db),
	        "SELECT object FROM audit_log WHERE action = 'medical-compare'");
	g_assert_cmpstr(object, ==, "medical comparison 1");
	/* the chain still verifies with the new entries linked in */
	g_autofree gchar *verified = NULL;
	g_assert_cmpint(ph_test_hub_run_ctl(fixture->hub, &verified, "audit", "verify", NULL), ==,
	                0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* the operator from the config; without one, the unix user running pensionctl */
	static const gchar configured[] = "clerk:wang.li";
	g_test_add("/operator-audit/override/configured", Fixture, configured, fixture_set_up,
	           test_cardholder_override, fixture_tear_down);
	g_test_add("/operator-audit/override/unix-user", Fixture, NULL, fixture_set_up,
	           test_cardholder_override, fixture_tear_down);
	g_test_add("/operator-audit/medical-compare/configured", Fixture, configured,
	           fixture_set_up, test_medical_compare, fixture_tear_down);
	g_test_add("/operator-audit/medical-compare/unix-user", Fixture, NULL, fixture_set_up,
	           test_medical_compare, fixture_tear_down);
	return g_test_run();
}
