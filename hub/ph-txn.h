/* The host's side of PhTxn: one open database transaction handed to a plugin (inbox
 * handlers), naming the plugin whose state it may touch. Also implements the SDK's
 * ph_txn_outbox_add, ph_txn_state_get/set and ph_plugin_state_get/set. Host-only. */
#pragma once

#include <glib.h>

#include "pension-hub.h"
#include "ph-db.h"

G_BEGIN_DECLS

struct _PhTxn {
	PhDb *db;           /* borrowed */
	PhPlugin *plugin;   /* may be NULL (host work, tests) */
	gchar *plugin_name; /* namespace of plugin_state */
	guint outbox_added; /* messages queued in this transaction */
	gboolean open;
};

/* BEGINs on @db for @plugin, whose name is the state namespace ("hub" when NULL: host
 * work and tests). */
PhTxn *
ph_txn_begin(PhDb *db, PhPlugin *plugin, GError **error);
/* Hands the open transaction to another plugin (the inbox learns the handler's plugin
 * only after it has claimed the message inside the transaction). */
void
ph_txn_set_plugin(PhTxn *txn, PhPlugin *plugin);
/* COMMITs; the txn is closed either way (a failed COMMIT has rolled back). */
gboolean
ph_txn_commit(PhTxn *txn, GError **error);
/* Rolls back if still open; never fails. */
void
ph_txn_rollback(PhTxn *txn);
/* Rolls back if still open, then frees. */
void
ph_txn_free(PhTxn *txn);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhTxn, ph_txn_free)

/* For core commands run inside the transaction. */
PhDb *
ph_txn_get_db(PhTxn *txn);
const gchar *
ph_txn_get_plugin_name(PhTxn *txn);
/* How many outbox messages were queued in this transaction (to wake the dispatcher). */
guint
ph_txn_get_outbox_added(PhTxn *txn);

G_END_DECLS
