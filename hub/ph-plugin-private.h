/* The host's side of a plugin handle (PhPlugin): what the plugin host, the listener, the
 * inbox processor, the outbox dispatcher and the scheduler may ask of one plugin. Host-only;
 * plugins see PhPlugin as opaque through <pension-hub/pension-hub.h>. */
#pragma once

#include <gmodule.h>

#include "pension-hub.h"
#include "ph-config.h"
#include "ph-registry.h"

G_BEGIN_DECLS

typedef struct _PhPluginHost PhPluginHost;

typedef enum {
	PH_PLUGIN_STATE_LOADED, /* init succeeded; its registrations are live */
	PH_PLUGIN_STATE_FAILED, /* refused or failed; nothing of it is registered */
} PhPluginState;

struct _PhPlugin {
	PhPluginHost *host;
	const PhConfig *config; /* may be NULL: no [plugin NAME] keys, no mappings */
	PhRegistry *registry;
	gchar *file;         /* absolute path of the module */
	gchar *name;         /* from the descriptor, else derived from the file name */
	gchar *version;      /* from the descriptor, NULL when it was not read */
	guint32 abi_version; /* 0 when it was not read */
	gchar *group;        /* "plugin NAME" */
	GModule *module;     /* NULL once closed (every failed plugin) */
	const PhPluginDescriptor *descriptor; /* inside the module: NULL once it is closed */
	PhPluginState state;
	gchar *reason;         /* why it failed, NULL when loaded */
	gpointer data;         /* what init returned; handed to every callback */
	gboolean in_init;      /* registrations and key records happen only during init */
	gboolean initialised;  /* init succeeded and shutdown has not run yet */
	GHashTable *keys_read; /* config keys asked for during init */
	GPtrArray *mappings;   /* names given to ph_plugin_use_mapping() */
};

/* Made by the host for every module it tries, before the descriptor is read. */
PhPlugin *ph_plugin_new(PhPluginHost *host, const PhConfig *config, PhRegistry *registry,
                        const gchar *file, const gchar *name);
void ph_plugin_free(PhPlugin *plugin);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhPlugin, ph_plugin_free)

/* Runs the descriptor's init (the descriptor must have been checked), then refuses a key
 * of its [plugin NAME] group that init did not read. On success the plugin is loaded. */
gboolean ph_plugin_run_init(PhPlugin *plugin, GError **error);
/* Removes its registrations and, when init had succeeded, runs its shutdown. Idempotent. */
void ph_plugin_shutdown(PhPlugin *plugin);
/* Shuts it down, closes its module and records why; the reason is shown by
 * `pensionctl plugins`. Takes @reason. */
void ph_plugin_set_failed(PhPlugin *plugin, gchar *reason);

PhPluginState ph_plugin_get_state(PhPlugin *plugin);
/* "loaded" or "failed". */
const gchar *ph_plugin_state_to_string(PhPluginState state);
/* NULL when the module was refused before its descriptor was read, or once it is closed. */
const PhPluginDescriptor *ph_plugin_get_descriptor(PhPlugin *plugin);
const gchar *ph_plugin_get_version(PhPlugin *plugin);
guint32 ph_plugin_get_abi_version(PhPlugin *plugin);
const gchar *ph_plugin_get_reason(PhPlugin *plugin);
const gchar *ph_plugin_get_file(PhPlugin *plugin);
/* The state pointer its init returned, handed to its handlers. */
gpointer ph_plugin_get_data(PhPlugin *plugin);
PhPluginHost *ph_plugin_get_host(PhPlugin *plugin);
/* Names of the mappings it declared (element type gchar *), owned by the plugin. */
GPtrArray *ph_plugin_get_mappings(PhPlugin *plugin);

G_END_DECLS
