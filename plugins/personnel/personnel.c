/* personnel: the adapter for the personnel and talent system (人事人才系统), profile
 * PH-PERS-1 — batches of hires, wage changes, retirements, deaths, moves and leaves by
 * HTTPS POST, a watched folder or SFTP pickup, applied to the core in chunks, answered by
 * receipts.
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
	g_free(personnel->sftp_folder);
	for (guint i = 0; i < G_N_ELEMENTS(personnel->sftp_strings); i++)
		g_free(personnel->sftp_strings[i]);
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

/* SFTP pickup: sftp_host empty or absent means none; every key is read either way. */
static gboolean
personnel_config_sftp(Personnel *personnel, PhPlugin *plugin, GError **error)
{
	gint64 port = 0, timeout = 0;
	gchar **strings = personnel->sftp_strings;
	if ((strings[0] = ph_plugin_config_get_string(plugin, "sftp_host", "", error)) == NULL ||
	    (strings[1] = ph_plugin_config_get_string(plugin, "sftp_user", "", error)) == NULL ||
	    (strings[2] = ph_plugin_config_get_path(plugin, "sftp_private_key",
	                                            "keys/personnel_ed25519", error)) == NULL ||
	    (strings[3] = ph_plugin_config_get_path(plugin, "sftp_known_hosts",
	                                            "keys/personnel_known_hosts", error)) == NULL ||
	    (personnel->sftp_folder =
	             ph_plugin_config_get_string(plugin, "sftp_folder", "outbox", error)) == NULL ||
	    !personnel_config_range(plugin, "sftp_port", 22, 1, 65535, &port, error) ||
	    !personnel_config_range(plugin, "sftp_timeout_ms", 30000, 100, 600000, &timeout, error))
		return FALSE;
	if (strings[0][0] == '\0')
		return TRUE;
	if (strings[1][0] == '\0') {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
		            "[plugin personnel] sftp_user: required with sftp_host");
		return FALSE;
	}
	personnel->sftp = (PhSftpConfig){.host = strings[0],
	                                 .port = (guint)port,
	                                 .user = strings[1],
	                                 .private_key_path = strings[2],
	                                 .known_hosts_path = strings[3],
	                                 .timeout_ms = (guint)timeout};
	return TRUE;
}

static gboolean
personnel_config(Personnel *personnel, PhPlugin *plugin, gint64 *poll_seconds, GError **error)
{
	gint64 chunk = 0, max_bytes = 0, page = 0;
	personnel->spool_dir =
	        ph_plugin_config_get_path(plugin, "spool_dir", PH_SPOOL_PERSONNEL_DEFAULT, error);
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
	    !personnel_config_range(plugin, "poll_seconds", 2, 1, 3600, poll_seconds, error) ||
	    !personnel_config_sftp(personnel, plugin, error))
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
	    !ph_plugin_add_job(plugin, "personnel.drop", (guint)poll_seconds,
	                       personnel_pickup_drop_job, error))
		return NULL;
	if (personnel->sftp.host != NULL &&
	    !ph_plugin_add_job(plugin, "personnel.pickup", (guint)poll_seconds,
	                       personnel_pickup_sftp_job, error))
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
