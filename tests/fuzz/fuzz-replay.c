/* Replay driver: feeds every file of the corpus folders given on the command line to the
 * target's LLVMFuzzerTestOneInput, so the seed corpus runs as an ordinary GTest in the unit
 * suite without libFuzzer. Tests only. */
#include <glib.h>

#include "fuzz-mapping.h"

static void
replay_file(gconstpointer data)
{
	const gchar *path = data;
	g_autofree gchar *contents = NULL;
	gsize len = 0;
	g_autoptr(GError) error = NULL;

	g_file_get_contents(path, &contents, &len, &error);
	g_assert_no_error(error);
	g_assert_cmpint(LLVMFuzzerTestOneInput((const uint8_t *)contents, len), ==, 0);
}

int
main(int argc, char **argv)
{
	g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);

	g_test_init(&argc, &argv, NULL);
	for (int i = 1; i < argc; i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GDir) dir = g_dir_open(argv[i], 0, &error);
		const gchar *name;

		g_assert_no_error(error);
		while ((name = g_dir_read_name(dir)) != NULL) {
			gchar *path = g_build_filename(argv[i], name, NULL);
			g_autofree gchar *test = g_strdup_printf("/fuzz-replay/%s", name);

			g_ptr_array_add(paths, path);
			g_test_add_data_func(test, path, replay_file);
		}
	}
	return g_test_run();
}
