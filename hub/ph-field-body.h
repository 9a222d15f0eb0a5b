/* Message bodies at rest (inbox, refusals, outbox, dead letters): sealed under the process's
 * installed field keys when [keys] file is configured, opened where they are read; and the
 * sealed core event payloads inside the outbox rows the routing trigger writes. Host-only.
 * docs/security.md, "What is encrypted". */
#pragma once

#include <glib.h>

#include "ph-field-key.h"

G_BEGIN_DECLS

/* The additional data each kind of body column is sealed with. Outbox rows move to dead
 * letters and back by SQL, so both tables share one. */
#define PH_FIELD_BODY_INBOX        "inbox.body"
#define PH_FIELD_BODY_INBOX_ANSWER "inbox.answer_body"
#define PH_FIELD_BODY_REFUSAL      "inbox_refusal.body"
#define PH_FIELD_BODY_OUTBOX       "outbox.payload"
/* Plugins keep copies of what they sent in their state (the archive packs them). */
#define PH_FIELD_BODY_STATE "plugin_state.value"

/* The bytes to store for @plaintext: an envelope, or @plaintext itself (a new reference)
 * when no keys are installed. */
GBytes *ph_field_body_seal(GBytes *plaintext, const gchar *column, GError **error);

/* The plaintext of a stored body (a new reference); a body stored before keys were configured
 * is returned as it is. An envelope fails (PH_ERROR_PERMANENT) when it does not decrypt, and
 * with PH_ERROR_CONFIG when no keys are installed or its key is missing. */
GBytes *ph_field_body_open(GBytes *stored, const gchar *column, GError **error);

/* An outbox row routed from a core event whose payload is sealed (migration 0023): these bytes,
 * then the trigger's JSON {"event_id", "type", "business_key", "person_id", "payload":
 * "enc1:…", "created_at"}. Not ASCII, and not PH_FIELD_BYTES_MAGIC. */
#define PH_FIELD_BODY_EVENT_MAGIC                                                                  \
	"\x89"                                                                                     \
	"phe1:"

/* A routed core event with its payload opened, as a plugin gets it (the trigger's JSON with
 * "payload" the event's JSON again, a new reference); any other bytes (a message body, an event
 * routed in plaintext) are returned as they are. @keys NULL opens with the installed field
 * cipher. PH_ERROR_CONFIG when no keys are installed or the payload's key is missing, another
 * code (never CONFIG) when it does not decrypt or is no event payload; the error names the event.
 */
GBytes *ph_field_body_open_event(GBytes *plaintext, PhFieldKeys *keys, GError **error);

/* SQL: the plaintext size of bytea @column, whether it holds an envelope (prefix, 12-byte
 * nonce and 16-byte tag subtracted) or a body stored before keys were configured. */
#define PH_FIELD_BODY_SQL_SIZE(column)                                                             \
	"CASE WHEN substring(" column                                                              \
	" for 6) = '\\x89706862313a'::bytea THEN octet_length(" column                             \
	") - 34 - position('\\x3a'::bytea in substring(" column                                    \
	" from 7)) ELSE octet_length(" column ") END"

G_END_DECLS
