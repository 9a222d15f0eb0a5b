/* PhTxn and the SDK's transactional and state calls. Host-only; plugins reach these
 * through <pension-hub/pension-hub.h>. */
#include "ph-txn.h"

#include "ph-outbox.h"
#include "ph-state.h"
#include "ph-worker-db.h"

PhTxn *
ph_txn_begin(PhDb *db, PhPlugin *plugin, GError **error)
{
	g_return_val_if_fail(db != NULL, NULL);
	if (!ph_db_begin(db, error))
		return NULL;
	PhTxn *txn = g_new0(PhTxn, 1);
	txn->db = db;
	txn->open = TRUE;
	ph_txn_set_plugin(txn, plugin);
	return txn;
}

void
ph_txn_set_plugin(PhTxn *txn, PhPlugin *plugin)
{
	g_return_if_fail(txn != NULL);
	txn->plugin = plugin;
	g_free(txn->plugin_name);
	txn->plugin_name = g_strdup(plugin != NULL ? ph_plugin_get_name(plugin) : "hub");
}

gboolean
ph_txn_commit(PhTxn *txn, GError **error)
{
	g_return_val_if_fail(txn != NULL && txn->open, FALSE);
	txn->open = FALSE;
	if (ph_db_commit(txn->db, error))
		return TRUE;
	ph_db_rollback(txn->db);
	return FALSE;
}

void
ph_txn_rollback(PhTxn *txn)
{
	if (txn == NULL || !txn->open)
		return;
	txn->open = FALSE;
	ph_db_rollback(txn->db);
}

void
ph_txn_free(PhTxn *txn)
{
	if (txn == NULL)
		return;
	ph_txn_rollback(txn);
	g_free(txn->plugin_name);
	g_free(txn);
}

PhDb *
ph_txn_get_db(PhTxn *txn)
{
	return txn->db;
}

const gchar *
ph_txn_get_plugin_name(PhTxn *txn)
{
	return txn->plugin_name;
}

guint
ph_txn_get_outbox_added(PhTxn *txn)
{
	return txn->outbox_added;
}

gboolean
ph_txn_outbox_add(PhTxn *txn, const gchar *topic, const gchar *key, GBytes *payload, GError **error)
{
	g_return_val_if_fail(txn != NULL && txn->open, FALSE);
	if (!ph_outbox_add(txn->db, topic, key, payload, NULL, error))
		return FALSE;
	txn->outbox_added++;
	return TRUE;
}

GBytes *
ph_txn_state_get(PhTxn *txn, const gchar *key, GError **error)
{
	g_return_val_if_fail(txn != NULL && txn->open, NULL);
	return ph_state_get(txn->db, txn->plugin_name, key, error);
}

gboolean
ph_txn_state_set(PhTxn *txn, const gchar *key, GBytes *value, GError **error)
{
	g_return_val_if_fail(txn != NULL && txn->open, FALSE);
	return ph_state_set(txn->db, txn->plugin_name, key, value, error);
}

GBytes *
ph_plugin_state_get(PhPlugin *plugin, const gchar *key, GError **error)
{
	g_return_val_if_fail(plugin != NULL, NULL);
	PhDb *db = ph_worker_db_get(error);
	if (db == NULL)
		return NULL;
	return ph_state_get(db, ph_plugin_get_name(plugin), key, error);
}

gboolean
ph_plugin_state_set(PhPlugin *plugin, const gchar *key, GBytes *value, GError **error)
{
	g_return_val_if_fail(plugin != NULL, FALSE);
	PhDb *db = ph_worker_db_get(error);
	if (db == NULL)
		return FALSE;
	return ph_state_set(db, ph_plugin_get_name(plugin), key, value, error);
}
