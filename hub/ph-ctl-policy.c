/* `pensionctl policy show [--region R] [--at YYYY-MM]`: the policy parameters in force
 * for a region and month, with the files they come from. pensionctl only. */
#include "ph-ctl-calc.h"
#include "ph-ctl.h"
#include "ph-error.h"
#include "ph-policy-file.h"

#define POLICY_USAGE "policy show [--region R] [--at YYYY-MM]"

static PhPeriod
current_month(void)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_local();

	return ph_period_make(g_date_time_get_year(now), g_date_time_get_month(now));
}

static JsonNode *
describe(const gchar *region, PhPeriod at, GPtrArray *sources, const PhPolicy *policy)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	gchar month[8];

	ph_period_format(at, month);
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "region");
	if (region != NULL)
		json_builder_add_string_value(builder, region);
	else
		json_builder_add_null_value(builder);
	json_builder_set_member_name(builder, "at");
	json_builder_add_string_value(builder, month);
	json_builder_set_member_name(builder, "sources");
	json_builder_begin_array(builder);
	for (guint i = 0; i < sources->len; i++)
		json_builder_add_value(builder, json_node_copy(sources->pdata[i]));
	json_builder_end_array(builder);
	json_builder_set_member_name(builder, "policy");
	json_builder_add_value(builder, ph_policy_to_json(policy));
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

static int
policy_show(int argc, char **argv)
{
	g_autoptr(GPtrArray) sources =
	        g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree PhPolicy *policy = g_new0(PhPolicy, 1);
	const gchar *region = NULL;
	PhPeriod at = current_month();

	for (int i = 2; i < argc; i += 2) {
		if (i + 1 >= argc)
			return ph_ctl_usage(POLICY_USAGE);
		if (g_str_equal(argv[i], "--region")) {
			region = argv[i + 1];
		} else if (g_str_equal(argv[i], "--at")) {
			if (!ph_period_parse(argv[i + 1], &at, &error))
				return ph_ctl_fail(error);
		} else {
			return ph_ctl_usage(POLICY_USAGE);
		}
	}
	if (!ph_policy_file_load(ph_policy_file_dir(), region, at, policy, sources, &error))
		return ph_ctl_fail(error);
	root = describe(region, at, sources, policy);
	ph_ctl_calc_print_json(root);
	return PH_CTL_EXIT_OK;
}

int
ph_ctl_policy_main(PhCtl *ctl, int argc, char **argv)
{
	if (argc >= 2 && g_str_equal(argv[1], "show"))
		return policy_show(argc, argv);
	return ph_ctl_usage(POLICY_USAGE);
}
