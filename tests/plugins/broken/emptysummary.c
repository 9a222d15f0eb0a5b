/* A descriptor with an empty summary: refused before its init runs. */
#include <pension-hub/pension-hub.h>

static gpointer
emptysummary_init(PhPlugin *plugin, GError **error)
{
	g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "init of a refused plugin was called");
	return NULL;
}

PH_PLUGIN_DEFINE(emptysummary, "1.0.0", "", emptysummary_init, NULL)
