/* The digest of a payout batch's items as they go into its file, and of a result file's lines
 * as they come back (payout_batch.items_digest, migration 0024). Hub layer (the payout API;
 * benchmarks). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _PhPayoutDigest PhPayoutDigest;

PhPayoutDigest *ph_payout_digest_new(void);
/* One item or line, in the order they are written or read: serial, AAC002 (NULL when a line
 * does not echo it, which then never equals an item), AAE010 and amount. */
void ph_payout_digest_add(PhPayoutDigest *digest, gint serial, const gchar *id_number,
                          const gchar *account, gint64 amount);
/* SHA-256 hex of everything added; nothing may be added after. */
const gchar *ph_payout_digest_get_hex(PhPayoutDigest *digest);
void ph_payout_digest_free(PhPayoutDigest *digest);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhPayoutDigest, ph_payout_digest_free)

G_END_DECLS
