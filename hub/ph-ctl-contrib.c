/* `pensionctl contrib run --period YYYY-MM`: the monthly contribution run (issue 3 §5),
 * one transaction; a repeat charges only members still missing. pensionctl only. */
#include "ph-contribution-run.h"
#include "ph-ctl-core.h"

#define CONTRIB_USAGE "contrib run --period YYYY-MM"

static JsonNode *
ph_ctl_contrib_json(const PhContributionRunResult *result)
{
	g_autofree gchar *period = ph_period_to_string(result->period);
	JsonObject *object = json_object_new();
	JsonNode *node = json_node_new(JSON_NODE_OBJECT);

	json_object_set_string_member(object, "period", period);
	json_object_set_int_member(object, "members", result->members);
	json_object_set_int_member(object, "employer", result->employer);
	json_object_set_int_member(object, "individual", result->individual);
	json_object_set_int_member(object, "annuity", result->annuity);
	json_object_set_boolean_member(object, "duplicate", result->duplicate);
	json_node_take_object(node, object);
	return node;
}

int
ph_ctl_contrib_main(PhCtl *ctl, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	PhContributionRunResult result;
	PhCtlCore core;
	PhPeriod period = 0;
	const gchar *text = argc >= 2 && g_str_equal(argv[1], "run")
	                            ? ph_ctl_core_option(argc, argv, "--period", CONTRIB_USAGE)
	                            : NULL;

	if (text == NULL)
		return argc >= 2 && g_str_equal(argv[1], "run") ? PH_CTL_EXIT_USAGE
		                                                : ph_ctl_usage(CONTRIB_USAGE);
	if (!ph_period_parse(text, &period, &error))
		return ph_ctl_fail(error);
	if (!ph_ctl_core_open(ctl, &core))
		return PH_CTL_EXIT_FAILED;
	gboolean ok = ph_contribution_run(core.db, &core.context, period, &result, &error);
	g_autoptr(JsonNode) json = ok ? ph_ctl_contrib_json(&result) : NULL;
	return ph_ctl_core_finish(&core, ok, error, json);
}
