/* The audit log: append-only, hash-chained entries in audit_log (0001_hub.sql). The one
 * writer of the chain; core commands and the hub call it inside their transaction. */
#pragma once

#include <glib.h>

#include "ph-db.h"

G_BEGIN_DECLS

/* Appends one entry in @db's open transaction: hash = SHA-256(prev_hash ‖ canonical record)
 * (docs/core-store.md, "audit"). Appends serialise on a transaction advisory lock, so the
 * chain has no forks. @payload (may be NULL) is stored as its SHA-256 only. */
gboolean ph_audit_append(PhDb *db, const gchar *actor, const gchar *action, const gchar *object,
                         GBytes *payload, GError **error);

/* The canonical record that is hashed after the previous hash: each field as
 * "<byte length>:<bytes>\n" in the order at, actor, action, object, hex payload digest. */
gchar *ph_audit_canonical(const gchar *at, const gchar *actor, const gchar *action,
                          const gchar *object, const gchar *payload_digest_hex);

/* The entry hash SHA-256(@prev_hash ‖ @record); @prev_hash NULL for the first entry. Shared by
 * the writer and `pensionctl audit verify`. */
GBytes *ph_audit_chain_hash(GBytes *prev_hash, const gchar *record);

/* Lowercase hex of @bytes ("" for NULL). */
gchar *ph_audit_hex(GBytes *bytes);

G_END_DECLS
