/* The daemon's audit linker: every second, in a worker, links the audit entries that
 * transactions appended while another held the chain's lock (ph_audit_link). Host-only. */
#pragma once

#include <glib.h>

#include "ph-workers.h"

G_BEGIN_DECLS

typedef struct _PhAuditLinker PhAuditLinker;

PhAuditLinker *ph_audit_linker_start(PhWorkers *workers);
/* Stops the timer; a run in flight finishes under the workers' drain. */
void ph_audit_linker_stop(PhAuditLinker *linker);
/* Only after the workers drained. */
void ph_audit_linker_free(PhAuditLinker *linker);

G_END_DECLS
