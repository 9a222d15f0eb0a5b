/* Tests of `pensionctl map check|convert` and `pensionctl id check` as integration
 * engineers run them: exit statuses, messages with line numbers, no partial output. */
#include "ph-build-config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

static gchar *
pensionctl_path(void)
{
	const gchar *build = g_getenv("PH_BUILD_DIR");

	return g_build_filename(build != NULL ? build : PH_BUILD_DIR, "hub", "pensionctl", NULL);
}

/* Runs pensionctl with the NULL-terminated arguments; returns the exit status. */
static gint
run(gchar **out, gchar **err, ...)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	gint status = -1;
	va_list args;
	const gchar *arg;

	g_ptr_array_add(argv, pensionctl_path());
	va_start(args, err);
	while ((arg = va_arg(args, const gchar *)) != NULL)
		g_ptr_array_add(argv, g_strdup(arg));
	va_end(args);
	g_ptr_array_add(argv, NULL);
	g_spawn_sync(NULL, (gchar **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err,
	             &status, &error);
	g_assert_no_error(error);
	g_test_message("stdout: %s\nstderr: %s", *out, *err);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static gchar *
data_path(const gchar *name)
{
	return g_test_build_filename(G_TEST_DIST, "data", "mappings", name, NULL);
}

static void
test_map_check(void)
{
	g_autofree gchar *good = g_build_filename(PH_SOURCE_DIR, "mappings", "partners",
	                                          "ph-bank-1-payout.xml", NULL);
	g_autofree gchar *broken = data_path("broken-schema.xml");
	g_autofree gchar *out = NULL, *err = NULL;

	g_assert_cmpint(run(&out, &err, "map", "check", good, NULL), ==, 0);
	g_assert_nonnull(strstr(out, "ok, mapping ph-bank-1-payout: fixed, GB18030, 3 record"));
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	/* The broken file's error names line 8, where the bad width is. */
	g_assert_cmpint(run(&out, &err, "map", "check", good, broken, NULL), ==, 1);
	g_assert_nonnull(strstr(err, "broken-schema.xml:8: "));
	g_assert_nonnull(strstr(err, "'sixteen' is not a valid value"));
}

static void
test_map_convert(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp("ph-map-ctl-XXXXXX", &error);
	g_autofree gchar *input = data_path("ph-bank-1-payout.txt");
	g_autofree gchar *canonical = g_build_filename(dir, "payout.jsonl", NULL);
	g_autofree gchar *back = g_build_filename(dir, "payout.txt", NULL);
	g_autofree gchar *original = NULL, *again = NULL;
	gsize original_len = 0, again_len = 0;
	g_autofree gchar *out = NULL, *err = NULL;

	g_assert_no_error(error);
	g_assert_cmpint(run(&out, &err, "map", "convert", "--mapping", "ph-bank-1-payout", "--to",
	                    "canonical", input, canonical, NULL),
	                ==, 0);
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(run(&out, &err, "map", "convert", "--mapping", "ph-bank-1-payout", "--to",
	                    "partner", canonical, back, NULL),
	                ==, 0);
	g_file_get_contents(input, &original, &original_len, NULL);
	g_file_get_contents(back, &again, &again_len, NULL);
	g_assert_cmpmem(again, again_len, original, original_len);
	/* an output that is a symbolic link (as /dev/stdout is) is written through, the link
	 * kept: a temporary file renamed onto it would replace the link itself */
	g_autofree gchar *target = g_build_filename(dir, "target.txt", NULL);
	g_autofree gchar *link = g_build_filename(dir, "link.txt", NULL);
	g_assert_true(g_file_set_contents(target, "", 0, NULL));
	g_assert_cmpint(symlink(target, link), ==, 0);
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(run(&out, &err, "map", "convert", "--mapping", "ph-bank-1-payout", "--to",
	                    "partner", canonical, link, NULL),
	                ==, 0);
	g_assert_true(g_file_test(link, G_FILE_TEST_IS_SYMLINK));
	g_autofree gchar *through = NULL;
	gsize through_len = 0;
	g_file_get_contents(target, &through, &through_len, NULL);
	g_assert_cmpmem(through, through_len, original, original_len);
	g_unlink(link);
	g_unlink(target);
	g_unlink(canonical);
	g_unlink(back);
	g_rmdir(dir);
}

static void
test_map_convert_failure(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp("ph-map-ctl-XXXXXX", &error);
	g_autofree gchar *input = g_build_filename(dir, "bad.jsonl", NULL);
	g_autofree gchar *output = g_build_filename(dir, "bad.txt", NULL);
	g_autofree gchar *out = NULL, *err = NULL;
	g_autoptr(GDir) listing = NULL;

	g_file_set_contents(input, "{\"kind\":\"H\",\"batch_no\":\"1\"}\n{\"kind\":\"X\"}\n", -1,
	                    &error);
	g_assert_no_error(error);
	g_assert_cmpint(run(&out, &err, "map", "convert", "--mapping", "ph-bank-1-payout", "--to",
	                    "partner", input, output, NULL),
	                ==, 1);
	g_assert_nonnull(strstr(err, "bad.jsonl line 1: "));
	/* an output in a folder that does not exist is named as asked, not by its temporary name */
	g_autofree gchar *nowhere = g_build_filename(dir, "missing", "out.txt", NULL);
	g_autofree gchar *out2 = NULL, *err2 = NULL;
	g_assert_cmpint(run(&out2, &err2, "map", "convert", "--mapping", "ph-bank-1-payout", "--to",
	                    "partner", input, nowhere, NULL),
	                ==, 1);
	g_autofree gchar *expected =
	        g_strdup_printf("cannot write %s: folder %s/missing does not exist", nowhere, dir);
	g_assert_nonnull(strstr(err2, expected));
	listing = g_dir_open(dir, 0, NULL);
	g_assert_cmpstr(g_dir_read_name(listing), ==, "bad.jsonl");
	g_assert_null(g_dir_read_name(listing));
	g_unlink(input);
	g_rmdir(dir);
}

/* Writes a copy of the installed file @from (in mappings/partners) as @folder/@to.xml, with
 * every "ph-bank-1-" name in it renamed to "my-bank-". */
static void
copy_renamed(const gchar *from, const gchar *folder, const gchar *to)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path =
	        g_build_filename(PH_SOURCE_DIR, "mappings", "partners", from, NULL);
	g_autofree gchar *file = g_strconcat(to, ".xml", NULL);
	g_autofree gchar *copy = g_build_filename(folder, file, NULL);
	g_autofree gchar *contents = NULL;
	g_autoptr(GString) text = NULL;

	g_file_get_contents(path, &contents, NULL, &error);
	g_assert_no_error(error);
	text = g_string_new(contents);
	g_string_replace(text, "\"ph-bank-1-", "\"my-bank-", 0);
	g_file_set_contents(copy, text->str, -1, &error);
	g_assert_no_error(error);
}

/* A new bank's mapping and its value map, tried together from a folder of their own before
 * they are installed: --mapping PATH finds the value map beside the mapping. Once installed
 * in a mapping folder named by the configuration's [hub] mapping_dir, --config finds them by
 * name, as the daemon would; without it pensionctl looks in its own folder and says where. */
static void
test_map_new_bank_folder(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp("ph-map-ctl-XXXXXX", &error);
	g_autofree gchar *partners = g_build_filename(dir, "mappings", "partners", NULL);
	g_autofree gchar *schema = g_build_filename(dir, "mappings", "schema", NULL);
	g_autofree gchar *standard = g_build_filename(dir, "mappings", "standard", NULL);
	g_autofree gchar *mapping = g_build_filename(partners, "my-bank-result.xml", NULL);
	g_autofree gchar *input = data_path("ph-bank-1-result.txt");
	g_autofree gchar *output = g_build_filename(dir, "result.jsonl", NULL);
	g_autofree gchar *config = g_build_filename(dir, "hub.conf", NULL);
	g_autofree gchar *out = NULL, *err = NULL;
	g_autofree gchar *text = NULL;

	g_assert_no_error(error);
	g_assert_cmpint(g_mkdir_with_parents(partners, 0700), ==, 0);
	g_assert_cmpint(symlink(PH_SOURCE_DIR "/mappings/schema", schema), ==, 0);
	g_assert_cmpint(symlink(PH_SOURCE_DIR "/mappings/standard", standard), ==, 0);
	copy_renamed("ph-bank-1-result.xml", partners, "my-bank-result");
	copy_renamed("ph-bank-1-status.xml", partners, "my-bank-status");

	g_assert_cmpint(run(&out, &err, "map", "convert", "--mapping", mapping, "--to", "canonical",
	                    input, output, NULL),
	                ==, 0);
	g_assert_true(g_file_test(output, G_FILE_TEST_IS_REGULAR));
	g_unlink(output);
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);

	g_assert_cmpint(run(&out, &err, "map", "convert", "--mapping", "my-bank-result", "--to",
	                    "canonical", input, output, NULL),
	                ==, 1);
	g_assert_nonnull(strstr(err, "no mapping my-bank-result (looked for " PH_SOURCE_DIR));
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);

	text = g_strdup_printf(
	        "[hub]\nagency = 110100000001\nregion = 110100\nplugin_dir = %s\n"
	        "mapping_dir = %s/mappings\npolicy_dir = %s\n\n"
	        "[database]\nurl = postgresql:///nowhere\n\n"
	        "[partner-listener]\nport = 0\ncertificate = %s\nkey = %s\nca = %s\n\n"
	        "[admin-listener]\naddress = 127.0.0.1\nport = 0\n",
	        dir, dir, dir, config, config, config);
	g_file_set_contents(config, text, -1, &error);
	g_assert_no_error(error);
	g_assert_cmpint(run(&out, &err, "--config", config, "map", "convert", "--mapping",
	                    "my-bank-result", "--to", "canonical", input, output, NULL),
	                ==, 0);
	g_assert_true(g_file_test(output, G_FILE_TEST_IS_REGULAR));

	g_unlink(output);
	g_unlink(config);
	g_unlink(mapping);
	g_autofree gchar *status = g_build_filename(partners, "my-bank-status.xml", NULL);
	g_unlink(status);
	g_unlink(schema);
	g_unlink(standard);
	g_rmdir(partners);
	g_autofree gchar *mappings = g_path_get_dirname(partners);
	g_rmdir(mappings);
	g_rmdir(dir);
}

static void
test_id_check(void)
{
	g_autofree gchar *out = NULL, *err = NULL;

	/* All valid: the STANDARDS.md example, its 15-digit form, a GB 32100 example, Luhn. */
	g_assert_cmpint(run(&out, &err, "id", "check", "11010519491231002X", "110105491231002",
	                    "91350100M000100Y43", "79927398713", NULL),
	                ==, 0);
	g_assert_nonnull(strstr(out, "110105491231002: valid citizen id, 18-character form "
	                             "11010519491231002X"));
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	/* One bad check character makes the exit status 1 and says why. */
	g_assert_cmpint(
	        run(&out, &err, "id", "check", "11010519491231002X", "110105194912310021", NULL),
	        ==, 1);
	g_assert_nonnull(strstr(out, "110105194912310021: invalid: citizen id "
	                             "'110105********0021' has a wrong check character"));
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(run(&out, &err, "id", "check", "--sex", "1", "11010519491231002X", NULL),
	                ==, 1);
	g_assert_nonnull(strstr(out, "but AAC004 is 1"));
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(run(&out, &err, "id", NULL), ==, 2);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* pensionctl map reads a configuration only when one is named; none is, unless a test
	 * names it. */
	g_unsetenv("PENSION_HUB_CONFIG");
	g_test_add_func("/mapping-ctl/map-check", test_map_check);
	g_test_add_func("/mapping-ctl/map-convert", test_map_convert);
	g_test_add_func("/mapping-ctl/map-convert-failure", test_map_convert_failure);
	g_test_add_func("/mapping-ctl/map-new-bank-folder", test_map_new_bank_folder);
	g_test_add_func("/mapping-ctl/id-check", test_id_check);
	return g_test_run();
}
