/* Enrolment of many HIREs at once (a personnel batch of a million hires): new persons
 * are written with COPY, the rest go through ph_enrolment_enrol one by one, so the outcome
 * of each input is what ph_enrolment_enrol would give. Core only; the hub calls it through
 * ph-personnel-api (hub/ph-personnel-enrol.c). */
#pragma once

#include <glib.h>

#include "ph-enrolment.h"

G_BEGIN_DECLS

/* Enrols @n inputs of distinct persons in @db's open transaction. @errors receives one
 * GError per input (NULL when applied) and @duplicates whether it was a repeat. The new
 * persons share one audit entry ("enrol", object "persons:FIRST-LAST", the COPY rows'
 * digest). Fails as a whole only on a database failure: then roll back. */
gboolean ph_enrolment_bulk_enrol(PhDb *db, const PhCommandContext *context,
                                 const PhEnrolInput *inputs, guint n, GError **errors,
                                 gboolean *duplicates, GError **error);

G_END_DECLS
