/* The canonical record inside the hub: a record kind and ordered key/value pairs named by
 * national data-element codes (lower-case keys are hub-local names where no national code
 * exists). Values are UTF-8 text or integers (amounts in fen, counts). Hub layer; the
 * mapping engine produces and consumes these, adapters read them. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _PhRecord PhRecord;

PhRecord *ph_record_new(void);
void ph_record_free(PhRecord *record);
/* Empties the record for reuse (no allocation in the steady state) and names its kind. */
void ph_record_reset(PhRecord *record, const gchar *kind);
const gchar *ph_record_get_kind(const PhRecord *record);

/* Sets @key, replacing an earlier value; the key keeps its first position. */
void ph_record_set(PhRecord *record, const gchar *key, const gchar *value);
void ph_record_set_len(PhRecord *record, const gchar *key, const gchar *value, gsize len);
void ph_record_set_int(PhRecord *record, const gchar *key, gint64 value);
/* Fast paths for readers that fill a fresh record: @key is not in the record yet and
 * outlives its contents (a key owned by a loaded mapping); it is not copied. */
void ph_record_append_static(PhRecord *record, const gchar *key, const gchar *value, gsize len);
void ph_record_append_static_int(PhRecord *record, const gchar *key, gint64 value);

/* The value of @key or NULL; valid until the record changes. An integer reads as its
 * decimal text. */
const gchar *ph_record_get(const PhRecord *record, const gchar *key);
/* TRUE when the record has @key (without producing its text). */
gboolean ph_record_contains(const PhRecord *record, const gchar *key);
/* Reads @key as an integer; FALSE (error set) when absent or not an integer. */
gboolean ph_record_get_int(const PhRecord *record, const gchar *key, gint64 *value, GError **error);

guint ph_record_get_size(const PhRecord *record);
const gchar *ph_record_get_key(const PhRecord *record, guint index);
const gchar *ph_record_get_value(const PhRecord *record, guint index);
gsize ph_record_get_value_len(const PhRecord *record, guint index);
gboolean ph_record_is_int(const PhRecord *record, guint index);

/* Appends the record as one JSON object (no newline): {"kind":"D","AAC002":"…",…}. */
void ph_record_append_json(const PhRecord *record, GString *out);
/* Parses one flat JSON object of strings and integers; "kind" names the record kind. */
gboolean ph_record_parse_json(PhRecord *record, const gchar *json, gsize len, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhRecord, ph_record_free)

G_END_DECLS
