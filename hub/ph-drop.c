/* The SDK's watched-folder transport (<pension-hub/ph-drop.h>). Host code. */
#include "ph-drop.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

static gint
ph_drop_compare(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const gchar *const *)a, *(const gchar *const *)b);
}

gchar **
ph_drop_list(PhPlugin *plugin, const gchar *folder, GError **error)
{
	g_return_val_if_fail(folder != NULL, NULL);
	g_autoptr(GError) local = NULL;
	/* A configured folder that is not there yet is made (empty), not an error each poll. */
	if (!g_file_test(folder, G_FILE_TEST_EXISTS))
		g_mkdir_with_parents(folder, 0700);
	g_autoptr(GDir) dir = g_dir_open(folder, 0, &local);
	if (dir == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "cannot list %s: %s", folder,
		            local->message);
		return NULL;
	}
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	for (const gchar *name = g_dir_read_name(dir); name != NULL; name = g_dir_read_name(dir)) {
		g_autofree gchar *path = g_build_filename(folder, name, NULL);
		if (name[0] != '.' && g_file_test(path, G_FILE_TEST_IS_REGULAR))
			g_ptr_array_add(names, g_strdup(name));
	}
	g_ptr_array_sort(names, ph_drop_compare);
	g_ptr_array_add(names, NULL);
	return (gchar **)g_ptr_array_free(g_steal_pointer(&names), FALSE);
}

GInputStream *
ph_drop_open_read(PhPlugin *plugin, const gchar *path, GError **error)
{
	g_autoptr(GFile) file = g_file_new_for_path(path);
	g_autoptr(GError) local = NULL;
	GFileInputStream *stream = g_file_read(file, NULL, &local);
	if (stream == NULL) {
		gboolean missing = g_error_matches(local, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
		g_set_error(error, PH_ERROR, missing ? PH_ERROR_NOT_FOUND : PH_ERROR_FAILED,
		            "cannot open %s: %s", path, local->message);
		return NULL;
	}
	return G_INPUT_STREAM(stream);
}

GBytes *
ph_drop_get_bytes(PhPlugin *plugin, const gchar *path, gsize max_size, GError **error)
{
	g_autoptr(GInputStream) input = ph_drop_open_read(plugin, path, error);
	if (input == NULL)
		return NULL;
	g_autoptr(GBytes) bytes = g_input_stream_read_bytes(input, max_size + 1, NULL, error);
	if (bytes == NULL) {
		g_prefix_error(error, "cannot read %s: ", path);
		return NULL;
	}
	if (g_bytes_get_size(bytes) > max_size) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "%s: larger than %" G_GSIZE_FORMAT " bytes", path, max_size);
		return NULL;
	}
	return g_steal_pointer(&bytes);
}

gboolean
ph_drop_move(PhPlugin *plugin, const gchar *path, const gchar *folder, GError **error)
{
	g_autofree gchar *base = g_path_get_basename(path);
	if (g_mkdir_with_parents(folder, 0700) != 0) {
		int saved = errno;
		g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "cannot create %s: %s", folder,
		            g_strerror(saved));
		return FALSE;
	}
	for (guint attempt = 0; attempt < 1000; attempt++) {
		g_autofree gchar *name =
		        attempt == 0 ? g_strdup(base) : g_strdup_printf("%s.%u", base, attempt);
		g_autofree gchar *target = g_build_filename(folder, name, NULL);
		/* link + unlink never replaces an existing target (rename would). */
		if (link(path, target) == 0) {
			g_unlink(path);
			return TRUE;
		}
		if (errno != EEXIST) {
			int saved = errno;
			g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "cannot move %s to %s: %s",
			            path, folder, g_strerror(saved));
			return FALSE;
		}
	}
	g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "cannot move %s: %s holds 1000 of its name",
	            path, folder);
	return FALSE;
}

gboolean
ph_drop_put_bytes(PhPlugin *plugin, const gchar *path, GBytes *data, GError **error)
{
	g_autofree gchar *part = g_strconcat(path, ".part", NULL);
	gsize length = 0;
	const gchar *bytes = g_bytes_get_data(data, &length);
	g_autoptr(GError) local = NULL;
	if (!g_file_set_contents(part, bytes, (gssize)length, &local) ||
	    g_rename(part, path) != 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "cannot write %s: %s", path,
		            local != NULL ? local->message : g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

gboolean
ph_drop_remove(PhPlugin *plugin, const gchar *path, GError **error)
{
	g_return_val_if_fail(path != NULL, FALSE);
	if (g_unlink(path) == 0)
		return TRUE;
	int saved = errno;
	g_set_error(error, PH_ERROR, PH_ERROR_TRANSIENT, "cannot delete %s: %s", path,
	            g_strerror(saved));
	return FALSE;
}
