/* The plugin SDK as the host implements it: a plugin's config keys, its registrations
 * (routes, inbox handlers, topics, jobs, mappings) and the host's view of one plugin.
 * Plugins call the ph_plugin_* functions of <pension-hub/ph-plugin.h>; the host calls the
 * rest (ph-plugin-private.h). State and transactions live in ph-txn.c. */
#include "ph-mapping.h"
#include "ph-plugin-private.h"

#include <string.h>

PhPlugin *
ph_plugin_new(PhPluginHost *host, const PhConfig *config, PhRegistry *registry, const gchar *file,
              const gchar *name)
{
	PhPlugin *plugin = g_new0(PhPlugin, 1);
	plugin->host = host;
	plugin->config = config;
	plugin->registry = registry;
	plugin->file = g_strdup(file);
	plugin->name = g_strdup(name);
	plugin->group = g_strdup_printf("plugin %s", name);
	plugin->state = PH_PLUGIN_STATE_FAILED;
	plugin->reason = g_strdup("not loaded yet");
	plugin->keys_read = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	plugin->mappings = g_ptr_array_new_with_free_func(g_free);
	return plugin;
}

static void
ph_plugin_close_module(PhPlugin *plugin)
{
	plugin->descriptor = NULL;
	if (plugin->module == NULL)
		return;
	if (!g_module_close(plugin->module))
		g_warning("cannot close plugin module %s: %s", plugin->file, g_module_error());
	plugin->module = NULL;
}

void
ph_plugin_free(PhPlugin *plugin)
{
	if (plugin == NULL)
		return;
	ph_plugin_shutdown(plugin);
	ph_plugin_close_module(plugin);
	g_free(plugin->file);
	g_free(plugin->name);
	g_free(plugin->version);
	g_free(plugin->group);
	g_free(plugin->reason);
	g_hash_table_unref(plugin->keys_read);
	g_ptr_array_unref(plugin->mappings);
	g_free(plugin);
}

/* ---- life cycle (host side) ---- */

static gchar *
ph_plugin_find_unread_key(PhPlugin *plugin)
{
	if (plugin->config == NULL || plugin->config->keyfile == NULL)
		return NULL;
	g_auto(GStrv) keys =
	        g_key_file_get_keys(plugin->config->keyfile, plugin->group, NULL, NULL);
	for (guint i = 0; keys != NULL && keys[i] != NULL; i++) {
		if (!g_hash_table_contains(plugin->keys_read, keys[i]))
			return g_strdup(keys[i]);
	}
	return NULL;
}

gboolean
ph_plugin_run_init(PhPlugin *plugin, GError **error)
{
	g_return_val_if_fail(plugin->descriptor != NULL, FALSE);
	g_autoptr(GError) local = NULL;

	/* Once its code has run, a module may have left pointers to its static data in GLib
	 * (a quark from g_quark_from_static_string(), as PH_ERROR is, an interned string, a
	 * GType): unloading it would leave them dangling, so it stays mapped for good. */
	if (plugin->module != NULL)
		g_module_make_resident(plugin->module);
	plugin->in_init = TRUE;
	plugin->data = plugin->descriptor->init(plugin, &local);
	plugin->in_init = FALSE;
	if (local != NULL) {
		g_propagate_prefixed_error(error, g_steal_pointer(&local), "init failed: ");
		return FALSE;
	}
	plugin->initialised = TRUE;

	g_autofree gchar *unread = ph_plugin_find_unread_key(plugin);
	if (unread != NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "%s: [%s] %s: unknown key",
		            plugin->config->path, plugin->group, unread);
		return FALSE;
	}
	plugin->state = PH_PLUGIN_STATE_LOADED;
	g_clear_pointer(&plugin->reason, g_free);
	return TRUE;
}

void
ph_plugin_shutdown(PhPlugin *plugin)
{
	ph_registry_remove_plugin(plugin->registry, plugin);
	if (!plugin->initialised)
		return;
	plugin->initialised = FALSE;
	if (plugin->descriptor != NULL && plugin->descriptor->shutdown != NULL)
		plugin->descriptor->shutdown(plugin->data);
	plugin->data = NULL;
}

void
ph_plugin_set_failed(PhPlugin *plugin, gchar *reason)
{
	ph_plugin_shutdown(plugin);
	ph_plugin_close_module(plugin);
	plugin->state = PH_PLUGIN_STATE_FAILED;
	g_free(plugin->reason);
	plugin->reason = reason;
}

/* ---- host-side getters ---- */

PhPluginState
ph_plugin_get_state(PhPlugin *plugin)
{
	g_return_val_if_fail(plugin != NULL, PH_PLUGIN_STATE_FAILED);
	return plugin->state;
}

const gchar *
ph_plugin_state_to_string(PhPluginState state)
{
	return state == PH_PLUGIN_STATE_LOADED ? "loaded" : "failed";
}

const PhPluginDescriptor *
ph_plugin_get_descriptor(PhPlugin *plugin)
{
	g_return_val_if_fail(plugin != NULL, NULL);
	return plugin->descriptor;
}

const gchar *
ph_plugin_get_version(PhPlugin *plugin)
{
	g_return_val_if_fail(plugin != NULL, NULL);
	return plugin->version;
}

guint32
ph_plugin_get_abi_version(PhPlugin *plugin)
{
	g_return_val_if_fail(plugin != NULL, 0);
	return plugin->abi_version;
}

const gchar *
ph_plugin_get_reason(PhPlugin *plugin)
{
	g_return_val_if_fail(plugin != NULL, NULL);
	return plugin->reason;
}

const gchar *
ph_plugin_get_file(PhPlugin *plugin)
{
	g_return_val_if_fail(plugin != NULL, NULL);
	return plugin->file;
}

gpointer
ph_plugin_get_data(PhPlugin *plugin)
{
	g_return_val_if_fail(plugin != NULL, NULL);
	return plugin->data;
}

PhPluginHost *
ph_plugin_get_host(PhPlugin *plugin)
{
	g_return_val_if_fail(plugin != NULL, NULL);
	return plugin->host;
}

GPtrArray *
ph_plugin_get_mappings(PhPlugin *plugin)
{
	g_return_val_if_fail(plugin != NULL, NULL);
	return plugin->mappings;
}

/* ---- SDK: identity ---- */

const gchar *
ph_plugin_get_name(PhPlugin *plugin)
{
	g_return_val_if_fail(plugin != NULL, NULL);
	return plugin->name;
}

/* ---- SDK: configuration, the group [plugin NAME] ---- */

static const gchar *
ph_plugin_config_path(PhPlugin *plugin)
{
	return plugin->config != NULL ? plugin->config->path : "(no config file)";
}

static gboolean
ph_plugin_config_fail(PhPlugin *plugin, const gchar *key, const gchar *why, GError **error)
{
	g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "%s: [%s] %s: %s",
	            ph_plugin_config_path(plugin), plugin->group, key, why);
	return FALSE;
}

/* The stripped value of @key, or NULL when the group lacks it. Records the key as read so
 * that the unknown-key check after init passes it. */
static gchar *
ph_plugin_config_lookup(PhPlugin *plugin, const gchar *key)
{
	if (plugin->in_init && !g_hash_table_contains(plugin->keys_read, key))
		g_hash_table_add(plugin->keys_read, g_strdup(key));
	if (plugin->config == NULL || plugin->config->keyfile == NULL)
		return NULL;
	gchar *value = g_key_file_get_string(plugin->config->keyfile, plugin->group, key, NULL);
	return value != NULL ? g_strstrip(value) : NULL;
}

/* The text of @key; FALSE with the error set when it is absent and @required, or empty. */
static gboolean
ph_plugin_config_text(PhPlugin *plugin, const gchar *key, gboolean required, gchar **text,
                      GError **error)
{
	*text = ph_plugin_config_lookup(plugin, key);
	if (*text == NULL && required)
		return ph_plugin_config_fail(plugin, key, "required key is missing", error);
	if (*text != NULL && (*text)[0] == '\0') {
		g_clear_pointer(text, g_free);
		return ph_plugin_config_fail(plugin, key, "empty value", error);
	}
	return TRUE;
}

gchar *
ph_plugin_config_get_string(PhPlugin *plugin, const gchar *key, const gchar *fallback,
                            GError **error)
{
	g_return_val_if_fail(plugin != NULL, NULL);
	g_return_val_if_fail(key != NULL, NULL);
	g_autofree gchar *text = NULL;
	if (!ph_plugin_config_text(plugin, key, fallback == NULL, &text, error))
		return NULL;
	return text != NULL ? g_steal_pointer(&text) : g_strdup(fallback);
}

gint64
ph_plugin_config_get_int(PhPlugin *plugin, const gchar *key, gint64 fallback, GError **error)
{
	g_return_val_if_fail(plugin != NULL, fallback);
	g_return_val_if_fail(key != NULL, fallback);
	g_autofree gchar *text = NULL;
	gint64 value = 0;
	if (!ph_plugin_config_text(plugin, key, FALSE, &text, error))
		return fallback;
	if (text == NULL)
		return fallback;
	if (!g_ascii_string_to_signed(text, 10, G_MININT64, G_MAXINT64, &value, NULL)) {
		g_autofree gchar *why = g_strdup_printf("'%s' is not a whole number", text);
		ph_plugin_config_fail(plugin, key, why, error);
		return fallback;
	}
	return value;
}

gboolean
ph_plugin_config_get_range(PhPlugin *plugin, const gchar *key, gint64 fallback, gint64 min,
                           gint64 max, gint64 *value, GError **error)
{
	g_return_val_if_fail(value != NULL, FALSE);
	g_autoptr(GError) local = NULL;
	*value = ph_plugin_config_get_int(plugin, key, fallback, &local);
	if (local != NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	if (*value >= min && *value <= max)
		return TRUE;
	g_autofree gchar *why = g_strdup_printf("%" G_GINT64_FORMAT " is not in %" G_GINT64_FORMAT
	                                        " … %" G_GINT64_FORMAT,
	                                        *value, min, max);
	return ph_plugin_config_fail(plugin, key, why, error);
}

gboolean
ph_plugin_config_get_boolean(PhPlugin *plugin, const gchar *key, gboolean fallback, GError **error)
{
	g_return_val_if_fail(plugin != NULL, fallback);
	g_return_val_if_fail(key != NULL, fallback);
	g_autofree gchar *text = NULL;
	if (!ph_plugin_config_text(plugin, key, FALSE, &text, error))
		return fallback;
	if (text == NULL)
		return fallback;
	if (g_str_equal(text, "true"))
		return TRUE;
	if (g_str_equal(text, "false"))
		return FALSE;
	g_autofree gchar *why = g_strdup_printf("'%s' is not true or false", text);
	ph_plugin_config_fail(plugin, key, why, error);
	return fallback;
}

gchar *
ph_plugin_config_get_path(PhPlugin *plugin, const gchar *key, const gchar *fallback, GError **error)
{
	g_autofree gchar *value = ph_plugin_config_get_string(plugin, key, fallback, error);
	if (value == NULL)
		return NULL;
	if (g_path_is_absolute(value) || plugin->config == NULL)
		return g_steal_pointer(&value);
	return ph_config_resolve_path(plugin->config, value);
}

/* ---- SDK: registrations, accepted only while init runs ---- */

static gboolean
ph_plugin_check_token(const gchar *what, const gchar *value, GError **error)
{
	if (value[0] != '\0' &&
	    strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789_.-") == strlen(value))
		return TRUE;
	g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
	            "%s '%s' is not a lowercase name of letters, digits, '_', '.' and '-'", what,
	            value);
	return FALSE;
}

static gboolean
ph_plugin_check_partners(PhPlugin *plugin, const gchar *route, const gchar *const *partners,
                         GError **error)
{
	if (partners[0] == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "route %s names no partner that may call it", route);
		return FALSE;
	}
	if (plugin->config == NULL || plugin->config->partners == NULL)
		return TRUE;
	for (guint i = 0; partners[i] != NULL; i++) {
		if (ph_config_find_partner(plugin->config, partners[i]) != NULL)
			continue;
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
		            "route %s names partner '%s', which has no [partner %s] in %s", route,
		            partners[i], partners[i], plugin->config->path);
		return FALSE;
	}
	return TRUE;
}

gboolean
ph_plugin_add_route(PhPlugin *plugin, const gchar *method, const gchar *path_prefix,
                    const gchar *const *partners, PhRouteHandler handler, GError **error)
{
	g_return_val_if_fail(plugin != NULL && plugin->in_init, FALSE);
	g_return_val_if_fail(method != NULL && path_prefix != NULL, FALSE);
	g_return_val_if_fail(partners != NULL && handler != NULL, FALSE);
	g_autofree gchar *route = g_strdup_printf("%s %s", method, path_prefix);

	if (method[0] == '\0' || strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(method)) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "route %s: method is not an uppercase HTTP method", route);
		return FALSE;
	}
	if (path_prefix[0] != '/') {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "route %s: path prefix does not start with '/'", route);
		return FALSE;
	}
	if (!ph_plugin_check_partners(plugin, route, partners, error))
		return FALSE;
	return ph_registry_add_route(plugin->registry, plugin, method, path_prefix, partners,
	                             handler, error);
}

gboolean
ph_plugin_add_inbox_handler(PhPlugin *plugin, const gchar *kind, PhInboxHandler handler,
                            GError **error)
{
	g_return_val_if_fail(plugin != NULL && plugin->in_init, FALSE);
	g_return_val_if_fail(kind != NULL && handler != NULL, FALSE);
	if (!ph_plugin_check_token("inbox kind", kind, error))
		return FALSE;
	return ph_registry_add_inbox_handler(plugin->registry, plugin, kind, handler, error);
}

static gboolean
ph_plugin_check_policy(const gchar *topic, const PhRetryPolicy *policy, GError **error)
{
	if (policy->max_attempts >= 1 && policy->initial_delay_ms >= 1 &&
	    policy->initial_delay_ms <= policy->max_delay_ms)
		return TRUE;
	g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
	            "topic %s: retry policy needs max_attempts >= 1 and "
	            "1 <= initial_delay_ms <= max_delay_ms (got %u, %u, %u)",
	            topic, policy->max_attempts, policy->initial_delay_ms, policy->max_delay_ms);
	return FALSE;
}

gboolean
ph_plugin_add_topic(PhPlugin *plugin, const gchar *topic, const PhRetryPolicy *policy,
                    PhDeliverFunc deliver, GError **error)
{
	g_return_val_if_fail(plugin != NULL && plugin->in_init, FALSE);
	g_return_val_if_fail(topic != NULL && policy != NULL && deliver != NULL, FALSE);
	if (!ph_plugin_check_token("topic", topic, error) ||
	    !ph_plugin_check_policy(topic, policy, error))
		return FALSE;
	return ph_registry_add_topic(plugin->registry, plugin, topic, policy, deliver, error);
}

gboolean
ph_plugin_add_job(PhPlugin *plugin, const gchar *name, guint interval_seconds, PhJobFunc job,
                  GError **error)
{
	g_return_val_if_fail(plugin != NULL && plugin->in_init, FALSE);
	g_return_val_if_fail(name != NULL && job != NULL, FALSE);
	if (!ph_plugin_check_token("job", name, error))
		return FALSE;
	if (interval_seconds == 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "job %s: interval must be at least one second", name);
		return FALSE;
	}
	return ph_registry_add_job(plugin->registry, plugin, name, interval_seconds, job, error);
}

gboolean
ph_plugin_subscribe(PhPlugin *plugin, const gchar *event_type, const gchar *topic,
                    GError **error)
{
	g_return_val_if_fail(plugin != NULL && plugin->in_init, FALSE);
	g_return_val_if_fail(event_type != NULL && topic != NULL, FALSE);
	if (!ph_plugin_check_token("event type", event_type, error) ||
	    !ph_plugin_check_token("topic", topic, error))
		return FALSE;
	/* Events must reach a deliverer: the topic has to be this plugin's own. */
	const PhTopic *owner = ph_registry_find_topic(plugin->registry, topic);
	if (owner == NULL || owner->plugin != plugin) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "subscription %s: topic %s is not one of this plugin's topics "
		            "(add it with ph_plugin_add_topic first)",
		            event_type, topic);
		return FALSE;
	}
	return ph_registry_add_subscription(plugin->registry, plugin, event_type, topic, error);
}

PhMapping *
ph_plugin_get_mapping(PhPlugin *plugin, const gchar *name, GError **error)
{
	g_return_val_if_fail(plugin != NULL && name != NULL, NULL);
	if (!g_ptr_array_find_with_equal_func(plugin->mappings, name, g_str_equal, NULL)) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
		            "mapping %s was not declared with ph_plugin_use_mapping() in init", name);
		return NULL;
	}
	return ph_mapping_load_from_dir(plugin->config->mapping_dir, name, error);
}

gboolean
ph_plugin_use_mapping(PhPlugin *plugin, const gchar *mapping_name, GError **error)
{
	g_return_val_if_fail(plugin != NULL && plugin->in_init, FALSE);
	g_return_val_if_fail(mapping_name != NULL, FALSE);
	if (!ph_plugin_check_token("mapping", mapping_name, error))
		return FALSE;
	if (plugin->config == NULL || plugin->config->mapping_dir == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
		            "mapping %s: no [hub] mapping_dir is configured", mapping_name);
		return FALSE;
	}
	/* Where the mapping engine looks (ph_mapping_load_from_dir): partners/NAME.xml. */
	g_autofree gchar *file_name = g_strconcat(mapping_name, ".xml", NULL);
	g_autofree gchar *path =
	        g_build_filename(plugin->config->mapping_dir, "partners", file_name, NULL);
	if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "mapping %s: no file %s",
		            mapping_name, path);
		return FALSE;
	}
	if (!g_ptr_array_find_with_equal_func(plugin->mappings, mapping_name, g_str_equal, NULL))
		g_ptr_array_add(plugin->mappings, g_strdup(mapping_name));
	return TRUE;
}
