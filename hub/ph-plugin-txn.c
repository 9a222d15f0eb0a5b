/* The SDK's transactions of a plugin's own (<pension-hub/ph-personnel-api.h>): a job that
 * commits a large batch in chunks opens them here, on its worker thread's connection.
 * Host code. */
#include "ph-personnel-api.h"
#include "ph-txn.h"
#include "ph-worker-db.h"

PhTxn *
ph_plugin_txn_begin(PhPlugin *plugin, GError **error)
{
	PhDb *db = ph_worker_db_get(error);
	if (db == NULL)
		return NULL;
	return ph_txn_begin(db, plugin, error);
}

gboolean
ph_plugin_txn_commit(PhTxn *txn, GError **error)
{
	return ph_txn_commit(txn, error);
}

void
ph_plugin_txn_free(PhTxn *txn)
{
	ph_txn_free(txn);
}

gboolean
ph_plugin_txn_set_replayable(PhTxn *txn, GError **error)
{
	return ph_db_exec(ph_txn_get_db(txn), "SET LOCAL synchronous_commit TO off", error);
}

#define PH_PLUGIN_TXN_SAVEPOINT "ph_plugin_txn_step"

gboolean
ph_plugin_txn_savepoint(PhTxn *txn, GError **error)
{
	return ph_db_exec(ph_txn_get_db(txn), "SAVEPOINT " PH_PLUGIN_TXN_SAVEPOINT, error);
}

gboolean
ph_plugin_txn_release(PhTxn *txn, GError **error)
{
	return ph_db_exec(ph_txn_get_db(txn), "RELEASE SAVEPOINT " PH_PLUGIN_TXN_SAVEPOINT, error);
}

gboolean
ph_plugin_txn_rollback_to(PhTxn *txn, GError **error)
{
	return ph_db_exec(ph_txn_get_db(txn),
	                  "ROLLBACK TO SAVEPOINT " PH_PLUGIN_TXN_SAVEPOINT "; "
	                  "RELEASE SAVEPOINT " PH_PLUGIN_TXN_SAVEPOINT,
	                  error);
}
