/* The business-core test fixture (see ph-test-core.h). */
#include "ph-test-core.h"

#include "ph-policy-file.h"

static void
ph_test_core_apply(PhPolicy *policy, const gchar *overrides)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *field = NULL;
	g_autoptr(JsonNode) node = json_from_string(overrides, &error);
	g_assert_no_error(error);
	ph_policy_apply_json(policy, json_node_get_object(node), "policy", &field, &error);
	g_assert_no_error(error);
}

void
ph_test_core_set_up(PhTestCore *core, const gchar *policy_overrides)
{
	g_autoptr(GError) error = NULL;

	core->test_db = ph_test_db_new();
	core->db = ph_test_db_connect(core->test_db);
	core->policy = g_new0(PhPolicy, 1);
	ph_policy_file_load_national(ph_policy_file_dir(), core->policy, &error);
	g_assert_no_error(error);
	if (policy_overrides != NULL)
		ph_test_core_apply(core->policy, policy_overrides);
	core->context.policy = core->policy;
	core->context.actor = "test";
}

void
ph_test_core_tear_down(PhTestCore *core)
{
	g_clear_pointer(&core->db, ph_db_free);
	g_clear_pointer(&core->test_db, ph_test_db_free);
	g_clear_pointer(&core->policy, g_free);
}

void
ph_test_core_exec(PhTestCore *core, const gchar *sql)
{
	g_autoptr(GError) error = NULL;

	ph_db_exec(core->db, sql, &error);
	g_assert_no_error(error);
}

PhTransferInInput
ph_test_core_rules8_transfer_in(const gchar *case_id, const gchar *id_number,
                                PhMonthBase months[PH_TEST_CORE_RULES8_MONTHS])
{
	for (guint i = 0; i < PH_TEST_CORE_RULES8_MONTHS; i++)
		months[i] = (PhMonthBase){ph_period_add(201410, (gint)i), 750000};
	return (PhTransferInInput){.case_id = case_id,
	                           .id_number = id_number,
	                           .transfer_date = "20241001",
	                           .other_region = "310000",
	                           .months = months,
	                           .n_months = PH_TEST_CORE_RULES8_MONTHS,
	                           .pooled_fund = 10800000,
	                           .account_balance = 13900000,
	                           .annuity_balance = 6950000};
}
