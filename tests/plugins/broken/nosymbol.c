/* A module whose file name (nosymbol.so) promises ph_plugin_nosymbol_describe but which
 * exports another plugin's entry point: the host must refuse it as a missing symbol. */
#include <pension-hub/pension-hub.h>

static gpointer
nosymbol_init(PhPlugin *plugin, GError **error)
{
	return NULL;
}

PH_PLUGIN_DEFINE(renamed, "1.0.0", "file renamed after the build", nosymbol_init, NULL)
