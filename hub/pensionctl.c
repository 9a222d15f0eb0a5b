/* pensionctl: the operators' and integration engineers' command line. Dispatches to the
 * sub-command groups (ph-ctl-<group>.c); each group parses its own arguments. */
#include "ph-build-config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "ph-ctl.h"

typedef struct {
	const gchar *name;
	PhCtlCommand run;
	const gchar *summary;
} PhCtlEntry;

static const PhCtlEntry commands[] = {
    {"health", ph_ctl_health_main, "ask the running hub for /healthz; non-zero unless ok"},
    {"plugins", ph_ctl_plugins_main, "list the plugins of the plugin folder and their state"},
    {"calc", ph_ctl_calc_main, "pension calculators: benefit, contribution, account, transfer"},
    {"policy", ph_ctl_policy_main, "show the policy parameters in force for a region and month"},
    {"db", ph_ctl_db_main, "database schema: migrate, status"},
    {"inbox", ph_ctl_inbox_main, "inbound messages: list, show ID"},
    {"outbox", ph_ctl_outbox_main, "outbound messages: list, show ID, retry ID, retry --dead"},
    {"map", ph_ctl_map_main, "mapping files: check FILE..., convert --mapping NAME --to ..."},
    {"id", ph_ctl_id_main, "check citizen IDs, credit codes and card numbers"},
    {"payout", ph_ctl_payout_main, "bank payout batches: run, reissue, list, show BATCH"},
    {"transfer", ph_ctl_transfer_main, "cross-region transfer cases: list, show CASE, start"},
    {"cardholder", ph_ctl_cardholder_main, "cardholder base answers: show AAC002, override"},
    {"medical", ph_ctl_medical_main, "medical comparison: compare --file F, report ID"},
    {"contrib", ph_ctl_contrib_main, "monthly contribution run: run --period YYYY-MM"},
    {"interest", ph_ctl_interest_main, "yearly account interest: close --year YYYY"},
    {"adjust", ph_ctl_adjust_main, "annual pension adjustment: run --policy YYYY-MM"},
    {"person", ph_ctl_person_main, "one person's enrolment, contributions, balances, benefit"},
    {"audit", ph_ctl_audit_main, "audit chain: verify [--from ID --to ID], seal"},
    {"archive", ph_ctl_archive_main, "archival packages: verify PACKAGE [--ca FILE] (offline), show CASE"},
    {"documents", ph_ctl_documents_main, "kept files for the archive: list [--before DATE], prune --before DATE, orphans"},
    {"keys", ph_ctl_keys_main, "encryption at rest: status, add, rotate [--new] [--batch N]"},
    {NULL, NULL, NULL},
};

int
ph_ctl_fail(GError *error)
{
	g_printerr("pensionctl: %s\n", error != NULL ? error->message : "failed");
	return PH_CTL_EXIT_FAILED;
}

int
ph_ctl_usage(const gchar *usage)
{
	g_printerr("usage: pensionctl %s\n", usage);
	return PH_CTL_EXIT_USAGE;
}

static void
print_help(void)
{
	g_print("usage: pensionctl [--config FILE] COMMAND [ARGS...]\n\ncommands:\n");
	for (const PhCtlEntry *entry = commands; entry->name != NULL; entry++)
		g_print("  %-10s %s\n", entry->name, entry->summary);
}

int
main(int argc, char **argv)
{
	PhCtl ctl = {0};
	int first = 1;

	setlocale(LC_ALL, "");
	while (first < argc && g_str_has_prefix(argv[first], "--")) {
		if (g_str_equal(argv[first], "--config") && first + 1 < argc) {
			ctl.config_path = argv[first + 1];
			first += 2;
		} else if (g_str_has_prefix(argv[first], "--config=")) {
			ctl.config_path = argv[first] + strlen("--config=");
			first++;
		} else if (g_str_equal(argv[first], "--version")) {
			g_print("pensionctl %s\n", PH_VERSION);
			return PH_CTL_EXIT_OK;
		} else if (g_str_equal(argv[first], "--help")) {
			print_help();
			return PH_CTL_EXIT_OK;
		} else {
			break;
		}
	}
	if (first >= argc) {
		print_help();
		return PH_CTL_EXIT_USAGE;
	}
	for (const PhCtlEntry *entry = commands; entry->name != NULL; entry++) {
		if (g_str_equal(entry->name, argv[first])) {
			int status = entry->run(&ctl, argc - first, argv + first);
			ph_ctl_clear(&ctl);
			return status;
		}
	}
	g_printerr("pensionctl: unknown command '%s' (see pensionctl --help)\n", argv[first]);
	return PH_CTL_EXIT_USAGE;
}
