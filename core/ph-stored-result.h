/* The result a core command stores (benefit, death_settlement, transfer_case .result): its
 * AAC002 member is kept sealed at rest, its amounts in the clear. Core only; the readers of
 * those columns open it here. docs/security.md, "What is encrypted". */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The member of a stored result that holds the person's ID number. */
#define PH_STORED_RESULT_ID "AAC002"

/* The JSON text to store for @result: a copy whose AAC002 (when there is one) is its sealed
 * envelope (ph_field_seal: plaintext without a cipher). @result itself is left as it is, the
 * plaintext for the caller and the core event (sealed whole). */
gchar *ph_stored_result_text(JsonNode *result, GError **error);

/* Opens the AAC002 of the stored result *@result in place (a plaintext value written before a
 * key file stays as it is); *@result may be NULL. Fails naming AAC002, never the value, and
 * then frees *@result and sets it to NULL (so that callers on their error path leak nothing). */
gboolean ph_stored_result_open(JsonNode **result, GError **error);

G_END_DECLS
