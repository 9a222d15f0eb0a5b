/* pension-hub: the daemon. Everything it does is in ph-daemon.c; this is argument
 * parsing and the exit status. */
#include "ph-build-config.h"

#include <locale.h>

#include "ph-config.h"
#include "ph-daemon.h"

int
main(int argc, char **argv)
{
	g_autofree gchar *config_path = NULL;
	gboolean version = FALSE;
	g_autoptr(GError) error = NULL;
	const GOptionEntry entries[] = {
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
	     "configuration file (default: $PENSION_HUB_CONFIG, else "
	     "/etc/pension-hub/pension-hub.conf)",
	     "FILE"},
	    {"version", 0, 0, G_OPTION_ARG_NONE, &version, "print the version and exit", NULL},
	    {NULL}};
	g_autoptr(GOptionContext) context = g_option_context_new("- pension integration hub");

	setlocale(LC_ALL, "");
	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		g_printerr("pension-hub: %s\n", error->message);
		return 2;
	}
	if (version) {
		g_print("pension-hub %s\n", PH_VERSION);
		return 0;
	}
	g_autoptr(PhDaemon) daemon = ph_daemon_new(ph_config_choose_path(config_path), &error);
	if (daemon == NULL) {
		g_printerr("pension-hub: %s\n", error->message);
		return 1;
	}
	return ph_daemon_run(daemon);
}
