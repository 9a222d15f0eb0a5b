/* A plugin built for another ABI: the host must refuse it without reading any field but
 * abi_version (the rest of the layout may differ). Written out by hand because
 * PH_PLUGIN_DEFINE always stamps the current ABI. */
#include <pension-hub/pension-hub.h>

static gpointer
wrongabi_init(PhPlugin *plugin, GError **error)
{
	g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "init of a wrong-ABI plugin was called");
	return NULL;
}

G_MODULE_EXPORT const PhPluginDescriptor *ph_plugin_wrongabi_describe(void);

G_MODULE_EXPORT const PhPluginDescriptor *
ph_plugin_wrongabi_describe(void)
{
	static const PhPluginDescriptor descriptor = {
	        PH_PLUGIN_ABI_VERSION + 1,    "wrongabi",    "1.0.0",
	        "built against a future SDK", wrongabi_init, NULL};
	return &descriptor;
}
