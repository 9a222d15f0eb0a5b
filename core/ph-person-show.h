/* One person as JSON for operators (`pensionctl person show AAC002`): identity, enrolment,
 * wages, contributions summary, ledger balances, benefit with its components, adjustments,
 * transfers, death settlement, payouts. Read-only; core only. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "ph-db.h"

G_BEGIN_DECLS

/* PH_ERROR_NOT_FOUND for an unknown person. */
JsonNode *ph_person_show(PhDb *db, const gchar *id_number, GError **error);

G_END_DECLS
