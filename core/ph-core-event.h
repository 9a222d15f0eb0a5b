/* The core's events: rows of core_event that partners must hear about (retired, died,
 * enrolment ended, transfer amounts, payout due), written in the command's transaction.
 * Core only; a later issue routes them to plugin outbox topics. */
#pragma once

#include <glib.h>

#include "ph-db.h"

G_BEGIN_DECLS

/* Event types. */
#define PH_CORE_EVENT_RETIRED          "retired"
#define PH_CORE_EVENT_DIED             "died"
#define PH_CORE_EVENT_ENROLMENT_ENDED  "enrolment_ended"
#define PH_CORE_EVENT_TRANSFER_AMOUNTS "transfer_amounts"
#define PH_CORE_EVENT_PAYOUT_DUE       "payout_due"

/* Appends one event; (type, business key) is unique, a repeat fails with CONFLICT.
 * @person_id 0 means none. @payload_json is JSON text. */
gboolean ph_core_event_append(PhDb *db, const gchar *type, gint64 person_id,
                              const gchar *business_key, const gchar *payload_json, GError **error);

G_END_DECLS
