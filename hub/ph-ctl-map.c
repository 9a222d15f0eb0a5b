/* `pensionctl map check FILE...` and `pensionctl map convert --mapping NAME --to
 * canonical|partner IN OUT`: the integration engineer's tools for mapping files. Thin over
 * ph-mapping.h. pensionctl only. */
#include <string.h>

#include "ph-config.h"
#include "ph-ctl.h"
#include "ph-error.h"
#include "ph-mapping.h"

#define MAP_USAGE                                                                                  \
	"map check FILE...\n"                                                                      \
	"       pensionctl map convert --mapping NAME|FILE --to canonical|partner IN OUT"

static int
map_check(const gchar *dir, int argc, char **argv)
{
	int status = PH_CTL_EXIT_OK;

	if (argc < 1)
		return ph_ctl_usage(MAP_USAGE);
	for (int i = 0; i < argc; i++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *summary = NULL;

		if (!ph_mapping_check_file(dir, argv[i], &summary, &error)) {
			g_printerr("%s\n", error->message);
			status = PH_CTL_EXIT_FAILED;
			continue;
		}
		g_print("%s: ok, %s\n", argv[i], summary);
	}
	return status;
}

/* A name is looked up in the mapping directory; a path (with '/' or ".xml") is loaded as is,
 * so that a new file can be tried before it is installed. */
static PhMapping *
load_mapping(const gchar *dir, const gchar *name, GError **error)
{
	if (strchr(name, '/') != NULL || g_str_has_suffix(name, ".xml"))
		return ph_mapping_load_file(dir, name, error);
	return ph_mapping_load_from_dir(dir, name, error);
}

static int
map_convert(const gchar *dir, int argc, char **argv)
{
	const gchar *name = NULL, *direction = NULL;
	const gchar *paths[2] = {NULL, NULL};
	guint n_paths = 0;
	g_autoptr(PhMapping) mapping = NULL;
	g_autoptr(GError) error = NULL;
	gboolean ok;

	for (int i = 0; i < argc; i++) {
		if (g_str_equal(argv[i], "--mapping") && i + 1 < argc)
			name = argv[++i];
		else if (g_str_equal(argv[i], "--to") && i + 1 < argc)
			direction = argv[++i];
		else if (argv[i][0] != '-' && n_paths < 2)
			paths[n_paths++] = argv[i];
		else
			return ph_ctl_usage(MAP_USAGE);
	}
	if (direction != NULL && !g_str_equal(direction, "canonical") &&
	    !g_str_equal(direction, "partner")) {
		g_printerr("--to takes canonical or partner, not '%s'\n", direction);
		return ph_ctl_usage(MAP_USAGE);
	}
	if (name == NULL || direction == NULL || n_paths != 2)
		return ph_ctl_usage(MAP_USAGE);
	mapping = load_mapping(dir, name, &error);
	if (mapping == NULL)
		return ph_ctl_fail(error);
	ok = g_str_equal(direction, "canonical")
	             ? ph_mapping_convert_to_canonical(mapping, paths[0], paths[1], &error)
	             : ph_mapping_convert_to_partner(mapping, paths[0], paths[1], &error);
	return ok ? PH_CTL_EXIT_OK : ph_ctl_fail(error);
}

/* The hub's mapping folder: `[hub] mapping_dir` of the configuration when --config or
 * $PENSION_HUB_CONFIG names one (so the tools see what the daemon sees), else
 * ph_mapping_dir(). Without either, no configuration is needed at all: an integration
 * engineer's machine may have none. */
static gboolean
mapping_dir(PhCtl *ctl, const gchar **dir, GError **error)
{
	const gchar *from_env = g_getenv("PENSION_HUB_CONFIG");
	PhConfig *config;

	*dir = ph_mapping_dir();
	if (ctl->config_path == NULL && (from_env == NULL || from_env[0] == '\0'))
		return TRUE;
	config = ph_ctl_config(ctl, error);
	if (config == NULL)
		return FALSE;
	if (config->mapping_dir != NULL)
		*dir = config->mapping_dir;
	return TRUE;
}

int
ph_ctl_map_main(PhCtl *ctl, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	const gchar *dir = NULL;

	if (argc < 2)
		return ph_ctl_usage(MAP_USAGE);
	if (!g_str_equal(argv[1], "check") && !g_str_equal(argv[1], "convert"))
		return ph_ctl_usage(MAP_USAGE);
	if (!mapping_dir(ctl, &dir, &error))
		return ph_ctl_fail(error);
	if (g_str_equal(argv[1], "check"))
		return map_check(dir, argc - 2, argv + 2);
	return map_convert(dir, argc - 2, argv + 2);
}
