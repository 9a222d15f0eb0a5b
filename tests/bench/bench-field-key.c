/* Benchmark (issue 9 §3): what encryption at rest adds per person on the bulk enrolment path
 * (one AES-256-GCM seal and one HMAC-SHA-256 lookup per AAC002) for 1,000,000 numbers, beside
 * the reference measured in the same run: formatting the same person's COPY line. Not a test. */
#include <glib/gstdio.h>
#include <string.h>

#include "ph-field-key.h"

#define BENCH_ROWS 1000000

static gchar *
bench_id(guint n)
{
	return g_strdup_printf("110105%08u%03u%c", 19600101 + n % 9000, n % 1000, 'X');
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp("ph-bench-keys-XXXXXX", &error);
	g_autofree gchar *path = g_build_filename(dir, "field.keys", NULL);
	g_assert_true(ph_field_keys_add(path, "k1", NULL, &error));
	g_autoptr(PhFieldKeys) keys = ph_field_keys_load(path, &error);
	g_assert_no_error(error);
	g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
	for (guint n = 0; n < BENCH_ROWS; n++)
		g_ptr_array_add(ids, bench_id(n));

	gint64 start = g_get_monotonic_time();
	gsize bytes = 0;
	for (guint n = 0; n < BENCH_ROWS; n++) {
		g_autofree gchar *sealed = ph_field_keys_seal(keys, ids->pdata[n], &error);
		g_autofree gchar *lookup = ph_field_keys_lookup(keys, ids->pdata[n]);
		bytes += strlen(sealed) + strlen(lookup);
	}
	gdouble ours = (g_get_monotonic_time() - start) / 1e6;

	/* the lookup alone: a bank result line's two echoes are hashed and nothing sealed */
	start = g_get_monotonic_time();
	for (guint n = 0; n < BENCH_ROWS; n++) {
		g_autofree gchar *lookup = ph_field_keys_lookup(keys, ids->pdata[n]);
		bytes += strlen(lookup);
	}
	gdouble lookup = (g_get_monotonic_time() - start) / 1e6;

	start = g_get_monotonic_time();
	g_autoptr(GString) copy = g_string_sized_new(256);
	for (guint n = 0; n < BENCH_ROWS; n++) {
		g_string_truncate(copy, 0);
		g_string_append_printf(
		        copy, "%u\t%s\t%s\t测试\t1\t01\t%.8s\t19860701\t240\t12000\tU0001\n", n,
		        (const gchar *)ids->pdata[n], (const gchar *)ids->pdata[n],
		        (const gchar *)ids->pdata[n] + 6);
		bytes += copy->len;
	}
	gdouble reference = (g_get_monotonic_time() - start) / 1e6;

	g_print("field encryption, %u AAC002 values (seal + lookup): %.2f s, %.2f us per person\n",
	        BENCH_ROWS, ours, ours * 1e6 / BENCH_ROWS);
	g_print("  of which the keyed hash (lookup) alone: %.2f s, %.2f us per value\n", lookup,
	        lookup * 1e6 / BENCH_ROWS);
	g_print("reference, formatting the same persons' COPY lines: %.2f s, %.2f us per person\n",
	        reference, reference * 1e6 / BENCH_ROWS);
	g_print("(%zu bytes produced)\n", bytes);
	g_unlink(path);
	g_rmdir(dir);
	return 0;
}
