/* `pensionctl contrib run --period YYYY-MM`: the monthly contribution run (issue 3 §5),
 * one transaction; a repeat charges only members still missing. pensionctl only. */
#include "ph-contribution-run.h"
#include "ph-ctl-core.h"

#define CONTRIB_USAGE "contrib run --period YYYY-MM"

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
	g_autoptr(JsonNode) json = ok ? ph_contribution_run_result_json(&result) : NULL;
	return ph_ctl_core_finish(&core, ok, error, json);
}
