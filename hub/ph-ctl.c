/* pensionctl's shared context: the configuration and database connection that the
 * sub-commands share, made on first use. Only pensionctl links this. */
#include "ph-ctl.h"

#include "ph-config.h"
#include "ph-field-key.h"
#include "ph-db.h"

gpointer
ph_ctl_config(PhCtl *ctl, GError **error)
{
	if (ctl->config != NULL)
		return ctl->config;
	g_autoptr(PhConfig) config = ph_config_load(ph_config_choose_path(ctl->config_path), error);
	/* encryption at rest: every command reads and writes sealed fields (docs/security.md) */
	if (config == NULL || !ph_field_keys_install(config, error))
		return NULL;
	ctl->config = g_steal_pointer(&config);
	return ctl->config;
}

gpointer
ph_ctl_db(PhCtl *ctl, GError **error)
{
	if (ctl->db != NULL)
		return ctl->db;
	PhConfig *config = ph_ctl_config(ctl, error);
	if (config == NULL)
		return NULL;
	ctl->db = ph_db_connect(config->database_url, error);
	return ctl->db;
}

void
ph_ctl_clear(PhCtl *ctl)
{
	g_clear_pointer((PhDb **)&ctl->db, ph_db_free);
	g_clear_pointer((PhConfig **)&ctl->config, ph_config_free);
}
