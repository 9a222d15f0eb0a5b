/* The SDK's citizen ID check for the personnel adapter (<pension-hub/ph-personnel-api.h>),
 * a thin door to core/ph-identity.c. Host code. */
#include "ph-codetable.h"
#include "ph-identity.h"
#include "ph-personnel-api.h"
#include "ph-plugin-private.h"

gboolean
ph_personnel_check_citizen_id(const gchar *id_number, const gchar *birth_date, const gchar *sex,
                              GError **error)
{
	g_return_val_if_fail(id_number != NULL, FALSE);
	return ph_identity_check_citizen_id_person(id_number, birth_date, sex, error);
}

/* Code tables by name, loaded on first use from the mapping folder (one folder per
 * process: a new folder starts a new cache). */
static GMutex ph_personnel_check_lock;
static GHashTable *ph_personnel_check_tables;
static gchar *ph_personnel_check_dir;

static PhCodeTable *
ph_personnel_check_table(PhPlugin *plugin, const gchar *table, GError **error)
{
	const gchar *dir =
	        plugin != NULL && plugin->config != NULL ? plugin->config->mapping_dir : NULL;
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&ph_personnel_check_lock);
	if (ph_personnel_check_tables == NULL || g_strcmp0(dir, ph_personnel_check_dir) != 0) {
		g_clear_pointer(&ph_personnel_check_tables, g_hash_table_unref);
		g_free(ph_personnel_check_dir);
		ph_personnel_check_dir = g_strdup(dir);
		ph_personnel_check_tables = g_hash_table_new_full(
		        g_str_hash, g_str_equal, g_free, (GDestroyNotify)ph_codetable_free);
	}
	PhCodeTable *loaded = g_hash_table_lookup(ph_personnel_check_tables, table);
	if (loaded != NULL)
		return loaded;
	loaded = ph_codetable_load(dir, table, error);
	if (loaded != NULL)
		g_hash_table_insert(ph_personnel_check_tables, g_strdup(table), loaded);
	return loaded;
}

gboolean
ph_personnel_check_code(PhPlugin *plugin, const gchar *table, const gchar *value, GError **error)
{
	g_return_val_if_fail(table != NULL && value != NULL, FALSE);
	g_autoptr(GError) local = NULL;
	PhCodeTable *codes = ph_personnel_check_table(plugin, table, &local);
	if (codes == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "code table %s: %s", table,
		            local->message);
		return FALSE;
	}
	return ph_codetable_check(codes, value, error);
}
