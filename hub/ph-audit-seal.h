/* Seals of the audit chain: the head entry's hash signed with the hub's key, stored in
 * audit_seal (0010_audit_seal.sql), checked by `pensionctl audit verify`. Host-only. */
#pragma once

#include <glib.h>

#include "ph-config.h"
#include "ph-db.h"
#include "ph-workers.h"

G_BEGIN_DECLS

typedef struct _PhAuditSigner PhAuditSigner;

/* The key and certificate of [audit] signing_key / signing_certificate, else those of
 * [client-tls]; PH_ERROR_CONFIG when neither is configured or they do not load. */
PhAuditSigner *ph_audit_signer_new(const PhConfig *config, GError **error);
PhAuditSigner *ph_audit_signer_new_from_files(const gchar *key_path, const gchar *cert_path,
                                              GError **error);
void ph_audit_signer_free(PhAuditSigner *signer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhAuditSigner, ph_audit_signer_free)

/* The canonical seal record that is signed: "ph-audit-seal-1\n" then "<byte length>:<bytes>\n"
 * for the audit id (decimal), the entry hash (lowercase hex) and the seal time. */
gchar *ph_audit_seal_canonical(gint64 audit_id, const gchar *hash_hex, const gchar *sealed_at);

/* Seals the newest audit entry unless it is sealed already; @audit_id (may be NULL)
 * receives the entry sealed, 0 when the log is empty or nothing was new. Own transaction. */
gboolean ph_audit_seal_head(PhDb *db, PhAuditSigner *signer, gint64 *audit_id, GError **error);

/* TRUE when @signature is the signer's signature over the seal record; FALSE with
 * PH_ERROR_INVALID_INPUT naming why (other signer, bad signature). */
gboolean ph_audit_seal_check(PhAuditSigner *signer, gint64 audit_id, const gchar *hash_hex,
                             const gchar *sealed_at, const gchar *signer_pin, GBytes *signature,
                             GError **error);

/* Seals the head every [audit] seal_seconds (default 300) in a worker while the daemon
 * runs; NULL (with a warning logged) when no key is configured. */
typedef struct _PhAuditSealer PhAuditSealer;
PhAuditSealer *ph_audit_sealer_start(const PhConfig *config, PhWorkers *workers);
void ph_audit_sealer_stop(PhAuditSealer *sealer);
/* Only after the workers drained. */
void ph_audit_sealer_free(PhAuditSealer *sealer);

G_END_DECLS
