/* `pensionctl adjust run --policy YYYY-MM`: applies the policy's annual adjustment that
 * takes effect in that month (its id) to every pension in payment (issue 3 §5), one
 * transaction; a repeat adds only pensions still missing. pensionctl only. */
#include "ph-adjustment-run.h"
#include "ph-ctl-core.h"

#define ADJUST_USAGE "adjust run --policy YYYY-MM (the adjustment's effective month)"

int
ph_ctl_adjust_main(PhCtl *ctl, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	PhAdjustmentRunResult result;
	PhCtlCore core;
	PhPeriod effective = 0;
	const gchar *text = argc >= 2 && g_str_equal(argv[1], "run")
	                            ? ph_ctl_core_option(argc, argv, "--policy", ADJUST_USAGE)
	                            : NULL;

	if (text == NULL)
		return argc >= 2 && g_str_equal(argv[1], "run") ? PH_CTL_EXIT_USAGE
		                                                : ph_ctl_usage(ADJUST_USAGE);
	if (!ph_period_parse(text, &effective, &error))
		return ph_ctl_fail(error);
	if (!ph_ctl_core_open(ctl, &core))
		return PH_CTL_EXIT_FAILED;
	gboolean ok = ph_adjustment_run(core.db, &core.context, effective, &result, &error);
	g_autoptr(JsonNode) json = ok ? ph_adjustment_run_result_json(&result) : NULL;
	return ph_ctl_core_finish(&core, ok, error, json);
}
