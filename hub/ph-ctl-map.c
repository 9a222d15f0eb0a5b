/* `pensionctl map check FILE...` and `pensionctl map convert --mapping NAME --to
 * canonical|partner IN OUT`: the integration engineer's tools for mapping files. Thin over
 * ph-mapping.h. pensionctl only. */
#include <string.h>

#include "ph-ctl.h"
#include "ph-error.h"
#include "ph-mapping.h"

#define MAP_USAGE                                                                                  \
	"map check FILE...\n"                                                                      \
	"       pensionctl map convert --mapping NAME|FILE --to canonical|partner IN OUT"

static int
map_check(int argc, char **argv)
{
	int status = PH_CTL_EXIT_OK;

	if (argc < 1)
		return ph_ctl_usage(MAP_USAGE);
	for (int i = 0; i < argc; i++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *summary = NULL;

		if (!ph_mapping_check_file(NULL, argv[i], &summary, &error)) {
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
load_mapping(const gchar *name, GError **error)
{
	if (strchr(name, '/') != NULL || g_str_has_suffix(name, ".xml"))
		return ph_mapping_load_file(NULL, name, error);
	return ph_mapping_load(name, error);
}

static int
map_convert(int argc, char **argv)
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
	if (name == NULL || direction == NULL || n_paths != 2 ||
	    (!g_str_equal(direction, "canonical") && !g_str_equal(direction, "partner")))
		return ph_ctl_usage(MAP_USAGE);
	mapping = load_mapping(name, &error);
	if (mapping == NULL)
		return ph_ctl_fail(error);
	ok = g_str_equal(direction, "canonical")
	             ? ph_mapping_convert_to_canonical(mapping, paths[0], paths[1], &error)
	             : ph_mapping_convert_to_partner(mapping, paths[0], paths[1], &error);
	return ok ? PH_CTL_EXIT_OK : ph_ctl_fail(error);
}

int
ph_ctl_map_main(PhCtl *ctl, int argc, char **argv)
{
	if (argc < 2)
		return ph_ctl_usage(MAP_USAGE);
	if (g_str_equal(argv[1], "check"))
		return map_check(argc - 2, argv + 2);
	if (g_str_equal(argv[1], "convert"))
		return map_convert(argc - 2, argv + 2);
	return ph_ctl_usage(MAP_USAGE);
}
