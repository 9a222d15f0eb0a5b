/* `pensionctl keys rotate`: re-seals every stored sensitive field that is not under the
 * current key (or still plaintext) in short batches, so the daemon keeps reading and writing
 * meanwhile. Host-only. docs/security.md, "Key rotation". */
#pragma once

#include <glib.h>

#include "ph-db.h"
#include "ph-field-key.h"

G_BEGIN_DECLS

typedef struct {
	gint64 resealed; /* values put under the current key */
	gint64 hashed;   /* lookup columns turned from plaintext into keyed hashes */
	guint batches;   /* transactions committed */
	guint passes;    /* walks over the tables (the last one found nothing left) */
} PhFieldRotation;

/* One batch callback, after each commit (progress, tests); may be NULL. */
typedef void (*PhFieldRotateProgress)(const gchar *table, const PhFieldRotation *so_far,
                                      gpointer user_data);

/* Walks every sealed column (docs/security.md lists them) in ctid order, @batch rows per
 * transaction, until a whole pass changes nothing. */
gboolean ph_field_rotate(PhDb *db, PhFieldKeys *keys, guint batch, PhFieldRotateProgress progress,
                         gpointer user_data, PhFieldRotation *out, GError **error);

/* A transaction that began before the new key was current may have sealed values under an
 * older key and commit them after the last pass. Waits up to @wait_seconds for every
 * transaction of this database that began before @since (a timestamp the database gave) to
 * end: *@still_open is NULL when none is left, else names the oldest one left. Transactions
 * of other roles are seen only with pg_read_all_stats (docs/security.md). */
gboolean ph_field_rotate_wait_older(PhDb *db, const gchar *since, guint wait_seconds,
                                    gchar **still_open, GError **error);

/* How many stored values are not yet under the current key (a check after rotation). */
gboolean ph_field_rotate_count_stale(PhDb *db, PhFieldKeys *keys, gint64 *stale, GError **error);

/* One sealed column's count of values not yet under the current key (or not yet hashed). */
typedef void (*PhFieldStaleFunc)(const gchar *table, const gchar *column, gint64 stale,
                                 gpointer user_data);

/* As ph_field_rotate_count_stale(), calling @func (may be NULL) for every column. */
gboolean ph_field_rotate_foreach_stale(PhDb *db, PhFieldKeys *keys, PhFieldStaleFunc func,
                                       gpointer user_data, gint64 *stale, GError **error);

/* One count of values sealed under @key_id (NULL: plaintext) among @what. */
typedef void (*PhFieldKeyCountFunc)(const gchar *what, const gchar *key_id, gint64 count,
                                    gpointer user_data);

/* Core events ("core events") and the outbox rows and dead letters of subscribed topics routed
 * from them ("routed notifications"), counted by the key their payload is sealed under, in
 * order of @what and key id, plaintext first. */
gboolean ph_field_rotate_count_events(PhDb *db, PhFieldKeyCountFunc func, gpointer user_data,
                                      GError **error);

G_END_DECLS
