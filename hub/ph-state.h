/* Plugins' private key-value state in the hub's database (table plugin_state). Host-only:
 * the SDK's ph_plugin_state_* and ph_txn_state_* are thin wrappers over it. */
#pragma once

#include <glib.h>

#include "ph-db.h"

G_BEGIN_DECLS

/* The value stored for (@plugin, @key), or NULL with PH_ERROR_NOT_FOUND. */
GBytes *
ph_state_get(PhDb *db, const gchar *plugin, const gchar *key, GError **error);

/* Stores @value for (@plugin, @key), replacing any earlier value. */
gboolean
ph_state_set(PhDb *db, const gchar *plugin, const gchar *key, GBytes *value, GError **error);

G_END_DECLS
