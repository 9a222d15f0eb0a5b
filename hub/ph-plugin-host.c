/* The plugin host: opens each module of the plugin folder with G_MODULE_BIND_LOCAL (and not
 * LAZY, so that an unresolved symbol fails here and not in the middle of a request), checks
 * its descriptor before any of the plugin's code beyond the describe function runs, then
 * runs its init. A refused plugin costs a warning, never the hub. Called by the daemon and
 * by pensionctl. */
#include "ph-plugin-host.h"

#include <string.h>

/* Linux only, like the rest of the hub: G_MODULE_SUFFIX is deprecated after GLib 2.74. */
#define PH_PLUGIN_HOST_SUFFIX ".so"

typedef const PhPluginDescriptor *(*PhPluginDescribeFunc)(void);

struct _PhPluginHost {
	const PhConfig *config;
	PhRegistry *registry;
	GPtrArray *plugins; /* PhPlugin, every one tried, in order */
};

PhPluginHost *
ph_plugin_host_new(const PhConfig *config, PhRegistry *registry)
{
	g_return_val_if_fail(registry != NULL, NULL);
	PhPluginHost *host = g_new0(PhPluginHost, 1);
	/* Interned here from the host's copy of the name, not from a plugin's (see
	 * ph_plugin_run_init()). */
	(void)ph_error_quark();
	host->config = config;
	host->registry = registry;
	host->plugins = g_ptr_array_new_with_free_func((GDestroyNotify)ph_plugin_free);
	return host;
}

void
ph_plugin_host_free(PhPluginHost *host)
{
	if (host == NULL)
		return;
	ph_plugin_host_shutdown(host);
	g_ptr_array_unref(host->plugins);
	g_free(host);
}

gchar *
ph_plugin_host_name_from_file(const gchar *file)
{
	g_return_val_if_fail(file != NULL, NULL);
	g_autofree gchar *base = g_path_get_basename(file);
	if (!g_str_has_suffix(base, PH_PLUGIN_HOST_SUFFIX))
		return NULL;
	base[strlen(base) - strlen(PH_PLUGIN_HOST_SUFFIX)] = '\0';

	const gchar *name = base;
	if (g_str_has_prefix(name, "lib"))
		name += strlen("lib");
	if (g_str_has_prefix(name, "ph-"))
		name += strlen("ph-");
	if (!g_ascii_islower(name[0]) ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(name))
		return NULL;
	return g_strdelimit(g_strdup(name), "-", '_');
}

static PhPlugin *
ph_plugin_host_find_loaded(PhPluginHost *host, const gchar *name)
{
	for (guint i = 0; i < host->plugins->len; i++) {
		PhPlugin *plugin = g_ptr_array_index(host->plugins, i);
		if (plugin->state == PH_PLUGIN_STATE_LOADED && g_str_equal(plugin->name, name))
			return plugin;
	}
	return NULL;
}

static gboolean ph_plugin_host_refuse(GError **error, const gchar *format, ...) G_GNUC_PRINTF(2, 3);

static gboolean
ph_plugin_host_refuse(GError **error, const gchar *format, ...)
{
	va_list args;
	va_start(args, format);
	g_autofree gchar *message = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error_literal(error, PH_ERROR, PH_ERROR_INVALID_INPUT, message);
	return FALSE;
}

/* Only abi_version is read before it is known to match: the rest of the layout may differ
 * in another ABI. */
static gboolean
ph_plugin_host_check_descriptor(PhPluginHost *host, PhPlugin *plugin,
                                const PhPluginDescriptor *descriptor, GError **error)
{
	plugin->abi_version = descriptor->abi_version;
	if (descriptor->abi_version != PH_PLUGIN_ABI_VERSION)
		return ph_plugin_host_refuse(error, "ABI version %u, but this host loads ABI %u",
		                             descriptor->abi_version, PH_PLUGIN_ABI_VERSION);
	const struct {
		const gchar *field;
		const gchar *value;
	} fields[] = {
	        {"name", descriptor->name},
	        {"version", descriptor->version},
	        {"summary", descriptor->summary},
	};
	for (guint i = 0; i < G_N_ELEMENTS(fields); i++) {
		if (fields[i].value == NULL || fields[i].value[0] == '\0')
			return ph_plugin_host_refuse(error, "empty field '%s' in the descriptor",
			                             fields[i].field);
	}
	plugin->version = g_strdup(descriptor->version);
	if (descriptor->init == NULL)
		return ph_plugin_host_refuse(error, "no init function in the descriptor");
	if (!g_str_equal(descriptor->name, plugin->name))
		return ph_plugin_host_refuse(error,
		                             "descriptor name '%s' differs from the name '%s' that "
		                             "the file name gives",
		                             descriptor->name, plugin->name);
	PhPlugin *other = ph_plugin_host_find_loaded(host, plugin->name);
	if (other != NULL)
		return ph_plugin_host_refuse(error, "duplicate name '%s': already loaded from %s",
		                             plugin->name, other->file);
	plugin->descriptor = descriptor;
	return TRUE;
}

static gboolean
ph_plugin_host_open(PhPluginHost *host, PhPlugin *plugin, GError **error)
{
	PhPluginDescribeFunc describe = NULL;
	g_autofree gchar *symbol = g_strdup_printf("ph_plugin_%s_describe", plugin->name);

	plugin->module = g_module_open(plugin->file, G_MODULE_BIND_LOCAL);
	if (plugin->module == NULL)
		return ph_plugin_host_refuse(error, "cannot open module: %s", g_module_error());
	if (!g_module_symbol(plugin->module, symbol, (gpointer *)&describe) || describe == NULL)
		return ph_plugin_host_refuse(error, "missing symbol %s", symbol);
	const PhPluginDescriptor *descriptor = describe();
	if (descriptor == NULL)
		return ph_plugin_host_refuse(error, "%s() returned no descriptor", symbol);
	return ph_plugin_host_check_descriptor(host, plugin, descriptor, error);
}

static void
ph_plugin_host_load_file(PhPluginHost *host, const gchar *file)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *name = ph_plugin_host_name_from_file(file);
	g_autofree gchar *base = g_path_get_basename(file);
	PhPlugin *plugin =
	        ph_plugin_new(host, host->config, host->registry, file, name != NULL ? name : base);

	g_ptr_array_add(host->plugins, plugin);
	if (name == NULL)
		ph_plugin_host_refuse(&error,
		                      "file name gives no plugin name: expected NAME.so, "
		                      "libNAME.so or libph-NAME.so, NAME of a-z, 0-9, '_' and '-'");
	if (error == NULL && ph_plugin_host_open(host, plugin, &error) &&
	    ph_plugin_run_init(plugin, &error)) {
		g_debug("loaded plugin %s %s from %s", plugin->name, plugin->version, file);
		return;
	}
	g_warning("plugin %s refused: %s", file, error->message);
	ph_plugin_set_failed(plugin, g_strdup(error->message));
}

static gint
ph_plugin_host_compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const gchar *const *)a, *(const gchar *const *)b);
}

/* The module files of @dir, sorted so that the load order (and so which of two clashing
 * plugins wins) does not depend on the file system. */
static GPtrArray *
ph_plugin_host_list_modules(const gchar *dir, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(GDir) handle = g_dir_open(dir, 0, &local);
	if (handle == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "cannot read plugin folder %s: %s",
		            dir, local->message);
		return NULL;
	}
	g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
	const gchar *entry = NULL;
	while ((entry = g_dir_read_name(handle)) != NULL) {
		if (entry[0] == '.' || !g_str_has_suffix(entry, PH_PLUGIN_HOST_SUFFIX))
			continue;
		g_autofree gchar *path = g_build_filename(dir, entry, NULL);
		if (g_file_test(path, G_FILE_TEST_IS_REGULAR))
			g_ptr_array_add(files, g_canonicalize_filename(path, NULL));
	}
	g_ptr_array_sort(files, ph_plugin_host_compare_names);
	return g_steal_pointer(&files);
}

/* A [plugin NAME] group for which no module was found is most likely a misspelt name:
 * said, like an unknown key, rather than silently ignored. */
static void
ph_plugin_host_warn_orphan_groups(PhPluginHost *host, const gchar *dir)
{
	if (host->config == NULL || host->config->keyfile == NULL)
		return;
	g_auto(GStrv) groups = g_key_file_get_groups(host->config->keyfile, NULL);
	for (guint i = 0; groups[i] != NULL; i++) {
		if (!g_str_has_prefix(groups[i], "plugin "))
			continue;
		const gchar *name = groups[i] + strlen("plugin ");
		gboolean found = FALSE;
		for (guint j = 0; j < host->plugins->len && !found; j++)
			found = g_str_equal(((PhPlugin *)g_ptr_array_index(host->plugins, j))->name,
			                    name);
		if (!found)
			g_warning("%s: [%s]: no plugin %s in %s", host->config->path, groups[i],
			          name, dir);
	}
}

gboolean
ph_plugin_host_load_dir(PhPluginHost *host, const gchar *dir, GError **error)
{
	g_return_val_if_fail(host != NULL && dir != NULL, FALSE);
	g_autoptr(GPtrArray) files = ph_plugin_host_list_modules(dir, error);
	if (files == NULL)
		return FALSE;
	for (guint i = 0; i < files->len; i++)
		ph_plugin_host_load_file(host, g_ptr_array_index(files, i));
	ph_plugin_host_warn_orphan_groups(host, dir);
	return TRUE;
}

void
ph_plugin_host_shutdown(PhPluginHost *host)
{
	g_return_if_fail(host != NULL);
	for (guint i = host->plugins->len; i > 0; i--)
		ph_plugin_shutdown(g_ptr_array_index(host->plugins, i - 1));
}

GPtrArray *
ph_plugin_host_get_plugins(PhPluginHost *host)
{
	g_return_val_if_fail(host != NULL, NULL);
	return host->plugins;
}

PhPlugin *
ph_plugin_host_find(PhPluginHost *host, const gchar *name)
{
	g_return_val_if_fail(host != NULL && name != NULL, NULL);
	return ph_plugin_host_find_loaded(host, name);
}

guint
ph_plugin_host_count_failed(PhPluginHost *host)
{
	g_return_val_if_fail(host != NULL, 0);
	guint failed = 0;
	for (guint i = 0; i < host->plugins->len; i++) {
		PhPlugin *plugin = g_ptr_array_index(host->plugins, i);
		if (plugin->state == PH_PLUGIN_STATE_FAILED)
			failed++;
	}
	return failed;
}
