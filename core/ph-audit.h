/* The audit log: append-only, hash-chained entries in audit_log (0001_hub.sql). The one
 * writer of the chain; core commands and the hub call it inside their transaction. */
#pragma once

#include <glib.h>

#include "ph-db.h"

G_BEGIN_DECLS

/* Appends one entry in @db's open transaction (docs/core-store.md, "audit"; docs/security.md).
 * The entry is linked into the chain, hash = SHA-256(prev_hash ‖ canonical record), in this
 * transaction when the chain's lock is free, else by the next linker after this transaction
 * commits; either way in commit order and with no forks, and no append ever waits.
 * @payload (may be NULL) is stored as its SHA-256 only. */
gboolean ph_audit_append(PhDb *db, const gchar *actor, const gchar *action, const gchar *object,
                         GBytes *payload, GError **error);

/* The same without trying to link: the entry enters the chain at the next linker (within
 * about a second in the daemon). For the hot paths that run for every partner message
 * (inbox, outbox), where linking inline would cost every request several statements. */
gboolean ph_audit_append_queued(PhDb *db, const gchar *actor, const gchar *action,
                                const gchar *object, GBytes *payload, GError **error);

/* For a statement that queues its own audit entry beside the row it writes, in one round
 * trip (the inbox's receipt of every partner message): the INSERT's head, to be followed
 * by a SELECT of actor, action, object and the payload's SHA-256 (bytea, or NULL): the same
 * entry as ph_audit_append_queued() queues. */
#define PH_AUDIT_PENDING_INSERT "INSERT INTO audit_pending (actor, action, object, payload_digest) "

/* Links every committed pending entry into the chain, in its own transaction (@db must have
 * none open), waiting for the chain's lock. The daemon runs it every second; audit verify
 * runs it first. @linked (may be NULL) receives how many were linked. */
gboolean ph_audit_link(PhDb *db, guint *linked, GError **error);

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
