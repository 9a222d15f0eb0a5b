/* The monthly contribution run (RULES §1) for every member enrolled in a period: members
 * are read on a second connection while the rows the rules make in C go out with COPY in
 * the caller's transaction (ph-bulk-stream.h). One audit entry per run. Core only;
 * pensionctl `contrib run` and the scheduler call it. */
#pragma once

#include <glib.h>

#include "ph-command.h"

G_BEGIN_DECLS

typedef struct {
	PhPeriod period;    /* AAE003 */
	gint64 members;     /* contribution rows written by this call */
	gint64 employer;    /* Σ AAE020 of those rows */
	gint64 individual;  /* Σ AAE022 */
	gint64 annuity;     /* Σ annuity employer + individual */
	gboolean duplicate; /* the period was run before and nobody was missing */
} PhContributionRunResult;

/* Writes the contribution of every member enrolled in @period who has none yet; a repeat
 * adds only members still missing (enrolled late), so it never charges anyone twice. @db's
 * transaction must be open and must not itself have written what the run reads (members,
 * wages, contributions): the reading connection sees only committed rows. It needs a direct
 * connection (a pooler in transaction mode cannot carry the snapshot across). */
gboolean ph_contribution_run(PhDb *db, const PhCommandContext *context, PhPeriod period,
                             PhContributionRunResult *out, GError **error);

/* The result as JSON (period, members, employer, individual, annuity, duplicate). */
JsonNode *ph_contribution_run_result_json(const PhContributionRunResult *result);

G_END_DECLS
