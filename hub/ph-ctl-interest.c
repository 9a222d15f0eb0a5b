/* `pensionctl interest close --year YYYY`: the yearly interest close of every open account
 * (issue 3 §5), one transaction; a repeat closes only accounts still missing.
 * pensionctl only. */
#include "ph-ctl-core.h"
#include "ph-interest-close.h"

#define INTEREST_USAGE "interest close --year YYYY"

int
ph_ctl_interest_main(PhCtl *ctl, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	PhInterestCloseResult result;
	PhCtlCore core;
	gchar *end = NULL;
	const gchar *text = argc >= 2 && g_str_equal(argv[1], "close")
	                            ? ph_ctl_core_option(argc, argv, "--year", INTEREST_USAGE)
	                            : NULL;

	if (text == NULL)
		return argc >= 2 && g_str_equal(argv[1], "close") ? PH_CTL_EXIT_USAGE
		                                                  : ph_ctl_usage(INTEREST_USAGE);
	gint64 year = g_ascii_strtoll(text, &end, 10);
	if (end == text || *end != '\0' || year < 1000 || year > 9999)
		return ph_ctl_usage(INTEREST_USAGE);
	if (!ph_ctl_core_open(ctl, &core))
		return PH_CTL_EXIT_FAILED;
	gboolean ok = ph_interest_close(core.db, &core.context, (gint)year, &result, &error);
	g_autoptr(JsonNode) json = ok ? ph_interest_close_result_json(&result) : NULL;
	return ph_ctl_core_finish(&core, ok, error, json);
}
