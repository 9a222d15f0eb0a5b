/* personnel: the adapter for the personnel and talent system (人事人才系统), profile
 * PH-PERS-1 — batches of hires, wage changes, retirements, deaths, moves and leaves by
 * HTTPS POST or a watched folder, applied to the core in chunks, answered by receipts.
 * See README.md. Built against the SDK only. */
#include "personnel.h"

#define PERSONNEL_DEFAULT_MAX_BYTES (G_GUINT64_CONSTANT(2) << 30)

static void
personnel_free(Personnel *personnel)
{
	if (personnel == NULL)
		return;
	g_free(personnel->spool_dir);
	g_free(personnel->drop_dir);
	g_free(personnel);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Personnel, personnel_free)

/* A whole number key of [plugin personnel] within [low, high]. */
static gboolean
personnel_config_range(PhPlugin *plugin, const gchar *key, gint64 fallback, gint64 low, gint64 high,
                       gint64 *out, GError **error)
{
	g_autoptr(GError) local = NULL;
	*out = ph_plugin_config_get_int(plugin, key, fallback, &local);
	if (local != NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	if (*out < low || *out > high) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
		            "[plugin personnel] %s: %" G_GINT64_FORMAT
		            " is outside %" G_GINT64_FORMAT " … %" G_GINT64_FORMAT,
		            key, *out, low, high);
		return FALSE;
	}
	return TRUE;
}

static gboolean
personnel_config(Personnel *personnel, PhPlugin *plugin, gint64 *poll_seconds, GError **error)
{
	gint64 chunk = 0, max_bytes = 0, page = 0;
	personnel->spool_dir =
	        ph_plugin_config_get_path(plugin, "spool_dir", "spool/personnel", error);
	if (personnel->spool_dir == NULL)
		return FALSE;
	/* The watched folder is optional: read it as text first to see whether it is set. */
	g_autofree gchar *drop = ph_plugin_config_get_string(plugin, "drop_dir", "", error);
	if (drop == NULL)
		return FALSE;
	if (drop[0] != '\0' && (personnel->drop_dir = ph_plugin_config_get_path(
	                                plugin, "drop_dir", NULL, error)) == NULL)
		return FALSE;
	if (!personnel_config_range(plugin, "chunk_events", 1000, 1, 100000, &chunk, error) ||
	    !personnel_config_range(plugin, "max_batch_bytes", PERSONNEL_DEFAULT_MAX_BYTES, 1024,
	                            G_MAXINT64, &max_bytes, error) ||
	    !personnel_config_range(plugin, "receipt_page", 10000, 1, 100000, &page, error) ||
	    !personnel_config_range(plugin, "poll_seconds", 2, 1, 3600, poll_seconds, error))
		return FALSE;
	personnel->chunk_events = (guint)chunk;
	personnel->max_batch_bytes = (guint64)max_bytes;
	personnel->receipt_page = (guint)page;
	return TRUE;
}

static gpointer
personnel_init(PhPlugin *plugin, GError **error)
{
	g_autoptr(Personnel) personnel = g_new0(Personnel, 1);
	gint64 poll_seconds = 0;
	personnel->plugin = plugin;
	if (!personnel_config(personnel, plugin, &poll_seconds, error) ||
	    !personnel_intake_register(personnel, error) ||
	    !ph_plugin_add_job(plugin, "personnel.process", (guint)poll_seconds,
	                       personnel_process_job, error))
		return NULL;
	if (personnel->drop_dir != NULL &&
	    !ph_plugin_add_job(plugin, "personnel.drop", (guint)poll_seconds, personnel_drop_job,
	                       error))
		return NULL;
	return g_steal_pointer(&personnel);
}

static void
personnel_shutdown(gpointer state)
{
	personnel_free(state);
}

PH_PLUGIN_DEFINE(personnel, "1.0.0",
                 "personnel and talent system (人事人才系统), PH-PERS-1 batches", personnel_init,
                 personnel_shutdown)
