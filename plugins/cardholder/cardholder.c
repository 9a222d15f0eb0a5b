/* cardholder: the social-security cardholder base (社会保障卡持卡人员基础信息库, 持卡库)
 * adapter. It confirms who a person is and which financial account is bound to their card:
 * outbound queries over mTLS (PH-CARD-1, docs/formats/cardholder.md) refreshed before their
 * answers expire, and inbound change notices. The core turns answers into payout accounts.
 * Plugin: SDK only. */
#include <string.h>

#include "cardholder-private.h"

static const gchar *const cardholder_partners[] = {"cardholder", NULL};

static void
cardholder_free(Cardholder *cardholder)
{
	if (cardholder == NULL)
		return;
	g_free(cardholder->url);
	g_free(cardholder->ca);
	g_free(cardholder->region);
	g_clear_pointer(&cardholder->banks, g_hash_table_unref);
	g_clear_pointer(&cardholder->query_mapping, ph_mapping_unref);
	g_clear_pointer(&cardholder->answer_mapping, ph_mapping_unref);
	g_clear_pointer(&cardholder->notice_mapping, ph_mapping_unref);
	g_mutex_clear(&cardholder->lock);
	g_free(cardholder);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Cardholder, cardholder_free)

/* "102=icbc,105=ccb": the cardholder base's AAE008 codes of the banks the hub pays via. */
static gboolean
cardholder_parse_banks(Cardholder *cardholder, const gchar *text, GError **error)
{
	g_auto(GStrv) pairs = g_strsplit(text, ",", -1);
	cardholder->banks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	for (guint i = 0; pairs[i] != NULL; i++) {
		g_strstrip(pairs[i]);
		if (pairs[i][0] == '\0')
			continue;
		g_auto(GStrv) pair = g_strsplit(pairs[i], "=", 2);
		if (pair[1] == NULL || *g_strstrip(pair[0]) == '\0' ||
		    *g_strstrip(pair[1]) == '\0') {
			g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
			            "[plugin cardholder] banks: '%s' is not AAE008=bank", pairs[i]);
			return FALSE;
		}
		g_hash_table_replace(cardholder->banks, g_strdup(pair[0]), g_strdup(pair[1]));
	}
	return TRUE;
}

/* Reads one whole-number key; FALSE with @error when it is set but out of [min, max]. */
static gboolean
cardholder_config_int(PhPlugin *plugin, const gchar *key, gint64 fallback, gint64 min, gint64 max,
                      gint64 *value, GError **error)
{
	g_autoptr(GError) local = NULL;
	*value = ph_plugin_config_get_int(plugin, key, fallback, &local);
	if (local != NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	if (*value < min || *value > max) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
		            "[plugin cardholder] %s: %" G_GINT64_FORMAT
		            " is not in %" G_GINT64_FORMAT " … %" G_GINT64_FORMAT,
		            key, *value, min, max);
		return FALSE;
	}
	return TRUE;
}

static gboolean
cardholder_read_numbers(Cardholder *cardholder, gint64 *refresh_seconds, GError **error)
{
	PhPlugin *plugin = cardholder->plugin;
	gint64 connect = 0, timeout = 0, attempts = 0, delay = 0, batch = 0;
	if (!cardholder_config_int(plugin, "ttl_seconds", 86400, 1, G_MAXINT32,
	                           &cardholder->ttl_seconds, error) ||
	    !cardholder_config_int(plugin, "retry_seconds", 300, 1, 86400,
	                           &cardholder->retry_seconds, error) ||
	    !cardholder_config_int(plugin, "connect_timeout_ms", 5000, 1, 600000, &connect,
	                           error) ||
	    !cardholder_config_int(plugin, "timeout_ms", 15000, 1, 600000, &timeout, error) ||
	    !cardholder_config_int(plugin, "attempts", 3, 1, 10, &attempts, error) ||
	    !cardholder_config_int(plugin, "retry_delay_ms", 500, 1, 60000, &delay, error) ||
	    !cardholder_config_int(plugin, "batch", 200, 1, 100000, &batch, error) ||
	    !cardholder_config_int(plugin, "refresh_seconds", 60, 1, 86400, refresh_seconds, error))
		return FALSE;
	cardholder->connect_timeout_ms = (guint)connect;
	cardholder->timeout_ms = (guint)timeout;
	cardholder->attempts = (guint)attempts;
	cardholder->retry_delay_ms = (guint)delay;
	cardholder->batch = (guint)batch;
	return TRUE;
}

static gboolean
cardholder_load_mappings(Cardholder *cardholder, GError **error)
{
	PhPlugin *plugin = cardholder->plugin;
	if (!ph_plugin_use_mapping(plugin, CARDHOLDER_MAPPING_QUERY, error) ||
	    !ph_plugin_use_mapping(plugin, CARDHOLDER_MAPPING_ANSWER, error) ||
	    !ph_plugin_use_mapping(plugin, CARDHOLDER_MAPPING_NOTICE, error))
		return FALSE;
	cardholder->query_mapping = ph_plugin_get_mapping(plugin, CARDHOLDER_MAPPING_QUERY, error);
	if (cardholder->query_mapping == NULL)
		return FALSE;
	cardholder->answer_mapping =
	        ph_plugin_get_mapping(plugin, CARDHOLDER_MAPPING_ANSWER, error);
	if (cardholder->answer_mapping == NULL)
		return FALSE;
	cardholder->notice_mapping =
	        ph_plugin_get_mapping(plugin, CARDHOLDER_MAPPING_NOTICE, error);
	return cardholder->notice_mapping != NULL;
}

static gpointer
cardholder_init(PhPlugin *plugin, GError **error)
{
	g_autoptr(Cardholder) cardholder = g_new0(Cardholder, 1);
	g_autofree gchar *banks = NULL;
	gint64 refresh_seconds = 0;

	g_mutex_init(&cardholder->lock);
	cardholder->plugin = plugin;
	if ((cardholder->url = ph_plugin_config_get_string(plugin, "url", NULL, error)) == NULL ||
	    (cardholder->ca = ph_plugin_config_get_path(plugin, "ca", NULL, error)) == NULL ||
	    (cardholder->region = ph_plugin_config_get_string(plugin, "region", NULL, error)) ==
	            NULL ||
	    (banks = ph_plugin_config_get_string(plugin, "banks", "", error)) == NULL ||
	    !cardholder_parse_banks(cardholder, banks, error) ||
	    !cardholder_read_numbers(cardholder, &refresh_seconds, error))
		return NULL;
	if (!g_str_has_prefix(cardholder->url, "https://")) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
		            "[plugin cardholder] url: '%s' is not an https:// address",
		            cardholder->url);
		return NULL;
	}
	if (!cardholder_load_mappings(cardholder, error) ||
	    !ph_plugin_add_route(plugin, "POST", "/cardholder/v1/notices", cardholder_partners,
	                         cardholder_notice_receive, error) ||
	    !ph_plugin_add_inbox_handler(plugin, CARDHOLDER_KIND_NOTICE, cardholder_notice_apply,
	                                 error) ||
	    !ph_plugin_add_job(plugin, CARDHOLDER_JOB_REFRESH, (guint)refresh_seconds,
	                       cardholder_refresh, error))
		return NULL;
	return g_steal_pointer(&cardholder);
}

static void
cardholder_shutdown(gpointer state)
{
	cardholder_free(state);
}

PH_PLUGIN_DEFINE(cardholder, "1.0.0",
                 "social-security cardholder base (持卡库): identity and card accounts over mTLS",
                 cardholder_init, cardholder_shutdown)
