/* Shared parts of the core sub-commands (see ph-ctl-core.h). pensionctl only. */
#include "ph-ctl-core.h"

#include <string.h>

#include "ph-config.h"
#include "ph-ctl-calc.h"
#include "ph-policy-file.h"

gboolean
ph_ctl_core_open(PhCtl *ctl, PhCtlCore *core)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	PhPeriod month = ph_period_make(g_date_time_get_year(now), g_date_time_get_month(now));
	PhConfig *config = ph_ctl_config(ctl, &error);

	memset(core, 0, sizeof(*core));
	if (config == NULL || (core->db = ph_ctl_db(ctl, &error)) == NULL) {
		ph_ctl_fail(error);
		return FALSE;
	}
	core->policy = g_new0(PhPolicy, 1);
	core->context.policy = core->policy;
	core->context.actor = ph_ctl_operator(ctl);
	if (!ph_policy_file_load(config->policy_dir != NULL ? config->policy_dir
	                                                    : ph_policy_file_dir(),
	                         config->region, month, core->policy, NULL, &error) ||
	    !ph_db_begin(core->db, &error)) {
		g_clear_pointer(&core->policy, g_free);
		ph_ctl_fail(error);
		return FALSE;
	}
	return TRUE;
}

int
ph_ctl_core_finish(PhCtlCore *core, gboolean ok, GError *error, JsonNode *result)
{
	g_autoptr(GError) commit_error = NULL;

	g_clear_pointer(&core->policy, g_free);
	if (!ok) {
		ph_db_rollback(core->db);
		return ph_ctl_fail(error);
	}
	if (!ph_db_commit(core->db, &commit_error))
		return ph_ctl_fail(commit_error);
	ph_ctl_calc_print_json(result);
	return PH_CTL_EXIT_OK;
}

const gchar *
ph_ctl_core_option(int argc, char **argv, const gchar *name, const gchar *usage)
{
	if (argc != 4 || !g_str_equal(argv[2], name)) {
		ph_ctl_usage(usage);
		return NULL;
	}
	return argv[3];
}
