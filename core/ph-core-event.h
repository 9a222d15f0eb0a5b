/* The core's events: rows of core_event that partners must hear about (retired, died,
 * enrolment ended, transfer amounts, payout due), written in the command's transaction; their
 * payloads sealed at rest when the host installed a field cipher. Core; the host opens them
 * (routed outbox rows, key rotation). docs/security.md, "Core events". */
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

/* What a sealed payload's plaintext begins with before its JSON: the field envelope binds no
 * column, so this tells an event payload from an envelope pasted in from another column (an
 * AAC002, a transfer document), which then does not open as an event. */
#define PH_CORE_EVENT_SEAL_TAG "core_event.payload\n"

/* Appends one event; (type, business key) is unique, a repeat fails with CONFLICT.
 * @person_id 0 means none. @payload_json is JSON text, stored as jsonb, or with a field cipher
 * installed as a jsonb string holding its envelope ("enc1:KEY:…" of the tag and the JSON). */
gboolean ph_core_event_append(PhDb *db, const gchar *type, gint64 person_id,
                              const gchar *business_key, const gchar *payload_json, GError **error);

/* The JSON of a sealed payload's plaintext (the tag removed); PH_ERROR_PERMANENT when it does
 * not begin with PH_CORE_EVENT_SEAL_TAG. */
gchar *ph_core_event_payload_unwrap(const gchar *plaintext, GError **error);

/* The JSON of a stored payload: @stored is the envelope of a sealed one (the jsonb string's
 * text) or the JSON text of one stored before a key file, returned as it is. Fails as
 * ph_field_open() (PH_ERROR_CONFIG: no cipher or its key is missing) or as unwrap. */
gchar *ph_core_event_payload_open(const gchar *stored, GError **error);

G_END_DECLS
