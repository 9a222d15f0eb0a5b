/* The plugin host: loads every module of the plugin directory, checks its descriptor,
 * runs its init and keeps a record of every plugin tried, loaded or failed. Called by the
 * daemon at start-up and by `pensionctl plugins`. Host-only.
 *
 * File naming rule: every regular file NAME.so (G_MODULE_SUFFIX) in the directory is a
 * module; the plugin name comes from the file name without the suffix, without a leading
 * "lib" and then a leading "ph-", dashes turned into underscores (bank.so, libbank.so and
 * libph-bank.so all give "bank"). The module must export ph_plugin_<name>_describe(), and
 * the descriptor's name must equal <name>. */
#pragma once

#include <glib.h>

#include "ph-config.h"
#include "ph-plugin-private.h"
#include "ph-registry.h"

G_BEGIN_DECLS

/* @config may be NULL (then plugins have no config keys and no mappings); @registry
 * receives every registration and must outlive the host. */
PhPluginHost *ph_plugin_host_new(const PhConfig *config, PhRegistry *registry);
/* Shuts down what is still loaded, then closes every module. */
void ph_plugin_host_free(PhPluginHost *host);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhPluginHost, ph_plugin_host_free)

/* Tries every module of @dir in file-name order. A plugin that is refused or whose init
 * fails is recorded as failed with a warning naming the file and the reason, and the
 * others still load. A [plugin NAME] group of the config with no module NAME is warned
 * about. Fails only when @dir cannot be read. */
gboolean ph_plugin_host_load_dir(PhPluginHost *host, const gchar *dir, GError **error);

/* Calls the shutdown of every loaded plugin in reverse load order, after removing its
 * registrations. Idempotent. */
void ph_plugin_host_shutdown(PhPluginHost *host);

/* Every plugin tried, in the order tried (element type PhPlugin *, owned by the host). */
GPtrArray *ph_plugin_host_get_plugins(PhPluginHost *host);
/* The loaded plugin called @name, or NULL. */
PhPlugin *ph_plugin_host_find(PhPluginHost *host, const gchar *name);
/* The number of plugins tried that failed. */
guint ph_plugin_host_count_failed(PhPluginHost *host);

/* Derives the plugin name from a module's file name (see above); NULL if it gives none. */
gchar *ph_plugin_host_name_from_file(const gchar *file);

G_END_DECLS
