/* `pensionctl plugins [--json]`: loads the configured plugin folder in this process, as the
 * daemon would, and lists every plugin tried with its state. Exits 1 when any failed, so a
 * deployment script can stop on it. Only pensionctl links this. */
#include <json-glib/json-glib.h>

#include "ph-ctl.h"
#include "ph-plugin-host.h"

static void
ph_ctl_plugins_print_table(GPtrArray *plugins)
{
	g_print("%-16s %-10s %-4s %s\n", "NAME", "VERSION", "ABI", "STATE");
	for (guint i = 0; i < plugins->len; i++) {
		PhPlugin *plugin = g_ptr_array_index(plugins, i);
		PhPluginState state = ph_plugin_get_state(plugin);
		const gchar *version = ph_plugin_get_version(plugin);
		guint32 abi = ph_plugin_get_abi_version(plugin);
		g_autofree gchar *abi_text = abi != 0 ? g_strdup_printf("%u", abi) : g_strdup("-");

		g_print("%-16s %-10s %-4s %s%s%s\n", ph_plugin_get_name(plugin),
		        version != NULL ? version : "-", abi_text, ph_plugin_state_to_string(state),
		        state == PH_PLUGIN_STATE_FAILED ? ": " : "",
		        state == PH_PLUGIN_STATE_FAILED ? ph_plugin_get_reason(plugin) : "");
	}
}

static void
ph_ctl_plugins_add_member(JsonBuilder *builder, const gchar *key, const gchar *value)
{
	json_builder_set_member_name(builder, key);
	if (value != NULL)
		json_builder_add_string_value(builder, value);
	else
		json_builder_add_null_value(builder);
}

/* An array of {name, version, abi, state, reason}: version and abi are null when the
 * descriptor was never read, reason is null when the plugin loaded. */
static void
ph_ctl_plugins_print_json(GPtrArray *plugins)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	json_builder_begin_array(builder);
	for (guint i = 0; i < plugins->len; i++) {
		PhPlugin *plugin = g_ptr_array_index(plugins, i);
		PhPluginState state = ph_plugin_get_state(plugin);
		guint32 abi = ph_plugin_get_abi_version(plugin);

		json_builder_begin_object(builder);
		ph_ctl_plugins_add_member(builder, "name", ph_plugin_get_name(plugin));
		ph_ctl_plugins_add_member(builder, "version", ph_plugin_get_version(plugin));
		json_builder_set_member_name(builder, "abi");
		if (abi != 0)
			json_builder_add_int_value(builder, abi);
		else
			json_builder_add_null_value(builder);
		ph_ctl_plugins_add_member(builder, "state", ph_plugin_state_to_string(state));
		ph_ctl_plugins_add_member(builder, "reason", ph_plugin_get_reason(plugin));
		json_builder_end_object(builder);
	}
	json_builder_end_array(builder);

	g_autoptr(JsonGenerator) generator = json_generator_new();
	g_autoptr(JsonNode) root = json_builder_get_root(builder);
	json_generator_set_pretty(generator, TRUE);
	json_generator_set_root(generator, root);
	g_autofree gchar *text = json_generator_to_data(generator, NULL);
	g_print("%s\n", text);
}

int
ph_ctl_plugins_main(PhCtl *ctl, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	gboolean json = FALSE;

	if (argc == 2 && g_str_equal(argv[1], "--json"))
		json = TRUE;
	else if (argc != 1)
		return ph_ctl_usage("plugins [--json]");

	PhConfig *config = ph_ctl_config(ctl, &error);
	if (config == NULL)
		return ph_ctl_fail(error);
	g_autoptr(PhRegistry) registry = ph_registry_new();
	g_autoptr(PhPluginHost) host = ph_plugin_host_new(config, registry);
	if (!ph_plugin_host_load_dir(host, config->plugin_dir, &error))
		return ph_ctl_fail(error);

	GPtrArray *plugins = ph_plugin_host_get_plugins(host);
	if (json)
		ph_ctl_plugins_print_json(plugins);
	else
		ph_ctl_plugins_print_table(plugins);
	return ph_plugin_host_count_failed(host) == 0 ? PH_CTL_EXIT_OK : PH_CTL_EXIT_FAILED;
}
