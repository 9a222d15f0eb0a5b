/* A module that needs a host symbol the host does not have: without G_MODULE_BIND_LAZY
 * the host's g_module_open() fails at once, before any code of the module runs. */
#include <pension-hub/pension-hub.h>

gboolean ph_plugin_no_such_call(PhPlugin *plugin);

static gpointer
unresolved_init(PhPlugin *plugin, GError **error)
{
	ph_plugin_no_such_call(plugin);
	return NULL;
}

PH_PLUGIN_DEFINE(unresolved, "1.0.0", "calls a function the SDK lacks", unresolved_init, NULL)
