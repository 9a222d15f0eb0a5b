/* `pensionctl audit verify`: walks the hash chain of audit_log and checks the signed heads
 * in audit_seal, naming every entry changed, deleted or out of order. Host-only. */
#pragma once

#include <glib.h>

#include "ph-audit-seal.h"
#include "ph-db.h"

G_BEGIN_DECLS

typedef struct {
	gint64 entries;      /* entries walked */
	gint64 seals;        /* seals checked */
	gint64 last_seal;    /* newest sealed entry id, 0 when none */
	GPtrArray *findings; /* gchar *: one line per problem, "entry N ..." */
} PhAuditReport;

void ph_audit_report_free(PhAuditReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhAuditReport, ph_audit_report_free)

/* Walks entries with @from ≤ id ≤ @to (0: no bound) in id order and the seals of entries in
 * that range. @signer (may be NULL: seals are then not checked) holds the hub's certificate.
 * Fails only when the database fails; problems go to the report's findings. */
PhAuditReport *ph_audit_verify(PhDb *db, PhAuditSigner *signer, gint64 from, gint64 to,
                               GError **error);

G_END_DECLS
