/* medical: the urban employees' basic medical insurance (城镇职工基本医疗保险) adapter. The
 * medical system asks a person's pension status over mTLS and hears of every retirement and
 * death through the outbox (core events retired and died), JSON with national element
 * names (PH-MED-1, docs/formats/medical.md). The monthly comparison is pensionctl medical.
 * Plugin: SDK only. */
#include "medical-private.h"

static const gchar *const medical_partners[] = {"medical", NULL};

static void
medical_free(Medical *medical)
{
	if (medical == NULL)
		return;
	g_free(medical->notice_url);
	g_free(medical->ca);
	g_free(medical);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Medical, medical_free)

static gboolean
medical_config_int(PhPlugin *plugin, const gchar *key, gint64 fallback, gint64 max, guint *value,
                   GError **error)
{
	g_autoptr(GError) local = NULL;
	gint64 number = ph_plugin_config_get_int(plugin, key, fallback, &local);
	if (local != NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	if (number < 1 || number > max) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
		            "[plugin medical] %s: %" G_GINT64_FORMAT
		            " is not in 1 … %" G_GINT64_FORMAT,
		            key, number, max);
		return FALSE;
	}
	*value = (guint)number;
	return TRUE;
}

static gboolean
medical_read_config(Medical *medical, GError **error)
{
	PhPlugin *plugin = medical->plugin;
	if ((medical->notice_url =
	             ph_plugin_config_get_string(plugin, "notice_url", NULL, error)) == NULL ||
	    (medical->ca = ph_plugin_config_get_path(plugin, "ca", NULL, error)) == NULL ||
	    !medical_config_int(plugin, "connect_timeout_ms", 5000, 600000,
	                        &medical->connect_timeout_ms, error) ||
	    !medical_config_int(plugin, "timeout_ms", 15000, 600000, &medical->timeout_ms, error) ||
	    !medical_config_int(plugin, "retry_initial_ms", 5000, 3600000,
	                        &medical->retry.initial_delay_ms, error) ||
	    !medical_config_int(plugin, "retry_max_ms", 600000, 86400000,
	                        &medical->retry.max_delay_ms, error) ||
	    !medical_config_int(plugin, "max_attempts", 200, 100000, &medical->retry.max_attempts,
	                        error))
		return FALSE;
	if (!g_str_has_prefix(medical->notice_url, "https://")) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
		            "[plugin medical] notice_url: '%s' is not an https:// address",
		            medical->notice_url);
		return FALSE;
	}
	medical->retry.max_delay_ms =
	        MAX(medical->retry.max_delay_ms, medical->retry.initial_delay_ms);
	return TRUE;
}

static gpointer
medical_init(PhPlugin *plugin, GError **error)
{
	g_autoptr(Medical) medical = g_new0(Medical, 1);
	medical->plugin = plugin;
	if (!medical_read_config(medical, error) ||
	    !ph_plugin_add_route(plugin, "GET", "/medical/v1/persons/", medical_partners,
	                         medical_status_get, error) ||
	    !ph_plugin_add_topic(plugin, MEDICAL_TOPIC_NOTICE, &medical->retry,
	                         medical_notice_deliver, error) ||
	    !ph_plugin_subscribe(plugin, "retired", MEDICAL_TOPIC_NOTICE, error) ||
	    !ph_plugin_subscribe(plugin, "died", MEDICAL_TOPIC_NOTICE, error))
		return NULL;
	return g_steal_pointer(&medical);
}

static void
medical_shutdown(gpointer state)
{
	medical_free(state);
}

PH_PLUGIN_DEFINE(medical, "1.0.0",
                 "urban employees' medical insurance (城镇职工基本医疗保险): status and notices",
                 medical_init, medical_shutdown)
