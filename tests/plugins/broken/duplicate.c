/* Built as libph-hello.so, so that it is named "hello" like hello.so: the second of the
 * two in file-name order must be refused as a duplicate. */
#include <pension-hub/pension-hub.h>

static gpointer
duplicate_init(PhPlugin *plugin, GError **error)
{
	g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "init of a duplicate plugin was called");
	return NULL;
}

PH_PLUGIN_DEFINE(hello, "9.9.9", "a second plugin called hello", duplicate_init, NULL)
