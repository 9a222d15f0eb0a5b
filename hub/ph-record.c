/* The canonical record: keys and values live in one growing buffer so that a reader can
 * reuse one record for a million rows without a malloc per field. Hub layer. */
#include "ph-record.h"

#include <stdlib.h>
#include <string.h>

#include "ph-error.h"
#include "ph-json-text.h"

typedef struct {
	const gchar *static_key; /* a key that outlives the record, else NULL */
	gsize key;               /* offsets into buffer, each NUL-terminated */
	gsize value;
	gsize value_len;
	gboolean integer;
	guint32 key_hash;      /* of a stored key (0 for a static one): most compares end here */
	gboolean has_number;   /* an integer set as one: ph_record_get_int() need not parse */
	gboolean text_pending; /* its text not written yet (value_text()) */
	gint64 number;
} Entry;

struct _PhRecord {
	GString *buffer;
	Entry *entries; /* grown by hand: a reader appends millions, a call each would show */
	guint n_entries;
	guint n_allocated;
	gsize kind;
	guint hint;          /* where the next lookup starts: writers ask for keys in field order */
	gboolean has_static; /* some entry has a static key */
	GString *json_key;   /* ph_record_parse_json(): reused, not allocated per line */
	GString *json_value;
};

PhRecord *
ph_record_new(void)
{
	PhRecord *record = g_new0(PhRecord, 1);

	record->buffer = g_string_sized_new(512);
	record->n_allocated = 16;
	record->entries = g_new(Entry, record->n_allocated);
	ph_record_reset(record, "");
	return record;
}

void
ph_record_free(PhRecord *record)
{
	if (record == NULL)
		return;
	g_string_free(record->buffer, TRUE);
	if (record->json_key != NULL)
		g_string_free(record->json_key, TRUE);
	if (record->json_value != NULL)
		g_string_free(record->json_value, TRUE);
	g_free(record->entries);
	g_free(record);
}

/* Appends @text and a NUL to the buffer; returns its offset. */
static gsize
store(PhRecord *record, const gchar *text, gsize len)
{
	GString *buffer = record->buffer;
	gsize offset = buffer->len;

	if (offset + len + 2 > buffer->allocated_len) {
		g_string_set_size(buffer, offset + len + 1);
		buffer->len = offset;
	}
	memcpy(buffer->str + offset, text, len);
	buffer->str[offset + len] = '\0';
	buffer->len = offset + len + 1;
	buffer->str[buffer->len] = '\0';
	return offset;
}

static Entry *
new_entry(PhRecord *record)
{
	Entry *entry;

	if (record->n_entries == record->n_allocated) {
		record->n_allocated *= 2;
		record->entries = g_renew(Entry, record->entries, record->n_allocated);
	}
	entry = &record->entries[record->n_entries++];
	memset(entry, 0, sizeof *entry);
	return entry;
}

void
ph_record_reset(PhRecord *record, const gchar *kind)
{
	g_return_if_fail(record != NULL && kind != NULL);
	g_string_truncate(record->buffer, 0);
	record->n_entries = 0;
	record->has_static = FALSE;
	record->kind = store(record, kind, strlen(kind));
}

const gchar *
ph_record_get_kind(const PhRecord *record)
{
	return record->buffer->str + record->kind;
}

static const gchar *
key_of(const PhRecord *record, const Entry *entry)
{
	return entry->static_key != NULL ? entry->static_key : record->buffer->str + entry->key;
}

/* FNV-1a, never 0 (0 marks a static key, whose hash is not computed). */
static guint32
key_hash(const gchar *key)
{
	guint32 hash = 2166136261u;

	for (const guchar *p = (const guchar *)key; *p != '\0'; p++)
		hash = (hash ^ *p) * 16777619u;
	return hash != 0 ? hash : 1;
}

/* The entry of @key whose hash is @hash. */
static Entry *
find_hashed(const PhRecord *record, const gchar *key, guint32 hash)
{
	guint n = record->n_entries;

	for (guint k = 0; k < n; k++) {
		guint i = (record->hint + k) % n;
		Entry *entry = &record->entries[i];

		if (entry->key_hash != 0 && entry->key_hash != hash)
			continue;
		if (strcmp(key_of(record, entry), key) == 0) {
			/* A cache of the lookup position, not a change of the record. */
			((PhRecord *)record)->hint = i + 1;
			return entry;
		}
	}
	return NULL;
}

/* Readers and the computed fields ask with the mapping's own key strings: the same pointer
 * is found without comparing text. Writers ask in field order: the entry after the last
 * one found is tried first. Other keys compare by hash first. */
static Entry *
find(const PhRecord *record, const gchar *key)
{
	guint n = record->n_entries;
	Entry *next;

	for (guint i = 0; record->has_static && i < n; i++) {
		if (record->entries[i].static_key == key)
			return &record->entries[i];
	}
	if (n == 0)
		return NULL;
	next = &record->entries[record->hint % n];
	if (strcmp(key_of(record, next), key) == 0) {
		((PhRecord *)record)->hint = (record->hint % n) + 1;
		return next;
	}
	return find_hashed(record, key, key_hash(key));
}

/* @entry: the entry of @key, or NULL to add one (the key is not in the record). */
static Entry *
put_value(PhRecord *record, Entry *entry, const gchar *key, guint32 hash, const gchar *value,
          gsize len, gboolean integer)
{
	if (entry == NULL) {
		gsize key_offset = store(record, key, strlen(key));

		entry = new_entry(record);
		entry->key = key_offset;
		entry->key_hash = hash;
	}
	entry->value = store(record, value, len);
	entry->value_len = len;
	entry->integer = integer;
	entry->has_number = FALSE;
	entry->text_pending = FALSE;
	return entry;
}

static Entry *
set_value(PhRecord *record, const gchar *key, const gchar *value, gsize len, gboolean integer)
{
	guint32 hash = key_hash(key);

	return put_value(record, find_hashed(record, key, hash), key, hash, value, len, integer);
}

void
ph_record_set_len(PhRecord *record, const gchar *key, const gchar *value, gsize len)
{
	g_return_if_fail(record != NULL && key != NULL && value != NULL);
	set_value(record, key, value, len, FALSE);
}

void
ph_record_set(PhRecord *record, const gchar *key, const gchar *value)
{
	g_return_if_fail(value != NULL);
	ph_record_set_len(record, key, value, strlen(value));
}

/* An integer as decimal text, formatted without printf (a reader formats millions). */
typedef struct {
	gchar buffer[24];
	const gchar *digits;
	gsize len;
} IntText;

static void
int_text(IntText *text, gint64 value)
{
	guint64 magnitude = value < 0 ? (guint64)(-(value + 1)) + 1 : (guint64)value;
	gchar *p = text->buffer + sizeof text->buffer;

	do {
		*--p = (gchar)('0' + magnitude % 10);
		magnitude /= 10;
	} while (magnitude > 0);
	if (value < 0)
		*--p = '-';
	text->digits = p;
	text->len = (gsize)(text->buffer + sizeof text->buffer - p);
}

static Entry *
append_static(PhRecord *record, const gchar *key, const gchar *value, gsize len, gboolean integer)
{
	gsize offset = store(record, value, len);
	Entry *entry = new_entry(record);

	entry->static_key = key;
	record->has_static = TRUE;
	entry->value = offset;
	entry->value_len = len;
	entry->integer = integer;
	return entry;
}

void
ph_record_append_static(PhRecord *record, const gchar *key, const gchar *value, gsize len)
{
	g_return_if_fail(record != NULL && key != NULL && value != NULL);
	append_static(record, key, value, len, FALSE);
}

/* "-9223372036854775808" and its NUL. */
#define INT_TEXT_BYTES 21

/* The value text of @entry, an integer's written on first use into the room kept for it:
 * a reader appends millions that nobody reads as text. The buffer does not move, so text
 * returned earlier stays valid. */
static const gchar *
value_text(const PhRecord *record, const Entry *entry)
{
	gchar *text = record->buffer->str + entry->value;

	if (entry->text_pending) {
		/* Filling in what the record already holds, not a change of it. */
		Entry *mutable_entry = (Entry *)entry;
		IntText digits;

		int_text(&digits, entry->number);
		memcpy(text, digits.digits, digits.len);
		text[digits.len] = '\0';
		mutable_entry->value_len = digits.len;
		mutable_entry->text_pending = FALSE;
	}
	return text;
}

/* @fresh: the key is new and outlives the record (ph_record_append_static_int). */
static void
put_int(PhRecord *record, const gchar *key, gint64 value, gboolean fresh)
{
	static const gchar room[INT_TEXT_BYTES - 1] = {0};
	IntText text;
	Entry *entry;

	g_return_if_fail(record != NULL && key != NULL);
	if (fresh) {
		entry = append_static(record, key, room, sizeof room, TRUE);
		entry->text_pending = TRUE;
	} else {
		int_text(&text, value);
		entry = set_value(record, key, text.digits, text.len, TRUE);
	}
	/* As ph_record_get_int() reads text: at most 18 digits. */
	entry->has_number = value > -G_GINT64_CONSTANT(1000000000000000000) &&
	                    value < G_GINT64_CONSTANT(1000000000000000000);
	entry->number = value;
}

void
ph_record_set_int(PhRecord *record, const gchar *key, gint64 value)
{
	put_int(record, key, value, FALSE);
}

void
ph_record_append_static_int(PhRecord *record, const gchar *key, gint64 value)
{
	put_int(record, key, value, TRUE);
}

const gchar *
ph_record_get(const PhRecord *record, const gchar *key)
{
	Entry *entry;

	g_return_val_if_fail(record != NULL && key != NULL, NULL);
	entry = find(record, key);
	return entry != NULL ? value_text(record, entry) : NULL;
}

gboolean
ph_record_contains(const PhRecord *record, const gchar *key)
{
	g_return_val_if_fail(record != NULL && key != NULL, FALSE);
	return find(record, key) != NULL;
}

/* At most 18 digits after an optional '-': any such number fits a gint64. */
static gboolean
parse_int_text(const gchar *text, gint64 *value)
{
	const gchar *digits = text[0] == '-' ? text + 1 : text;
	guint64 magnitude = 0;
	gsize n = 0;

	for (; g_ascii_isdigit(digits[n]); n++)
		magnitude = magnitude * 10 + (guint64)(digits[n] - '0');
	if (n == 0 || n > 18 || digits[n] != '\0')
		return FALSE;
	*value = text[0] == '-' ? -(gint64)magnitude : (gint64)magnitude;
	return TRUE;
}

gboolean
ph_record_get_int(const PhRecord *record, const gchar *key, gint64 *value, GError **error)
{
	const Entry *entry;
	const gchar *text;

	g_return_val_if_fail(record != NULL && key != NULL && value != NULL, FALSE);
	entry = find(record, key);
	if (entry == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "record %s has no field %s",
		            ph_record_get_kind(record), key);
		return FALSE;
	}
	if (entry->has_number) {
		*value = entry->number;
		return TRUE;
	}
	text = value_text(record, entry);
	if (!parse_int_text(text, value)) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "record %s field %s: '%s' is not an integer",
		            ph_record_get_kind(record), key, text);
		return FALSE;
	}
	return TRUE;
}

guint
ph_record_get_size(const PhRecord *record)
{
	return record->n_entries;
}

const gchar *
ph_record_get_key(const PhRecord *record, guint index)
{
	g_return_val_if_fail(index < record->n_entries, NULL);
	return key_of(record, &record->entries[index]);
}

const gchar *
ph_record_get_value(const PhRecord *record, guint index)
{
	g_return_val_if_fail(index < record->n_entries, NULL);
	return value_text(record, &record->entries[index]);
}

gsize
ph_record_get_value_len(const PhRecord *record, guint index)
{
	const Entry *entry;

	g_return_val_if_fail(index < record->n_entries, 0);
	entry = &record->entries[index];
	value_text(record, entry); /* an integer's length is known once written */
	return entry->value_len;
}

gboolean
ph_record_is_int(const PhRecord *record, guint index)
{
	g_return_val_if_fail(index < record->n_entries, FALSE);
	return record->entries[index].integer;
}

/* At most six bytes out per byte in (\u00XX), and the quotes. */
#define JSON_STRING_MAX(len) ((len)*6 + 2)

/* Writes @text as a JSON string at @p; returns the end. */
static gchar *
json_string(gchar *p, const gchar *text, gsize len)
{
	*p++ = '"';
	p = ph_json_text_escape(p, text, len);
	*p++ = '"';
	return p;
}

void
ph_record_append_json(const PhRecord *record, GString *out)
{
	const gchar *kind = ph_record_get_kind(record);
	gsize kind_len = strlen(kind);
	gchar *p = ph_json_text_reserve(out, JSON_STRING_MAX(kind_len) + 10);

	memcpy(p, "{\"kind\":", 8);
	p = json_string(p + 8, kind, kind_len);
	for (guint i = 0; i < record->n_entries; i++) {
		const Entry *entry = &record->entries[i];
		const gchar *key = key_of(record, entry);
		const gchar *value = value_text(record, entry);
		gsize key_len = strlen(key);

		ph_json_text_end(out, p);
		p = ph_json_text_reserve(out, JSON_STRING_MAX(key_len) +
		                                      JSON_STRING_MAX(entry->value_len) + 4);
		*p++ = ',';
		p = json_string(p, key, key_len);
		*p++ = ':';
		if (entry->integer) {
			memcpy(p, value, entry->value_len);
			p += entry->value_len;
		} else {
			p = json_string(p, value, entry->value_len);
		}
	}
	*p++ = '}';
	ph_json_text_end(out, p);
}

/* A small parser for the flat objects of canonical JSON Lines: strings and integers only,
 * so that a million lines parse without building a tree for each. */
typedef struct {
	const gchar *p;
	const gchar *end;
} Cursor;

static void
skip_space(Cursor *cursor)
{
	while (cursor->p < cursor->end && g_ascii_isspace(*cursor->p))
		cursor->p++;
}

static gint
hex4(const gchar *p)
{
	gint value = 0;

	for (guint i = 0; i < 4; i++) {
		gint digit = g_ascii_xdigit_value(p[i]);

		if (digit < 0)
			return -1;
		value = value * 16 + digit;
	}
	return value;
}

static gboolean
parse_escape(Cursor *cursor, GString *out)
{
	static const gchar simple_in[] = "\"\\/bfnrt";
	static const gchar simple_out[] = "\"\\/\b\f\n\r\t";
	const gchar *found;
	gint unit, low;

	if (cursor->p >= cursor->end)
		return FALSE;
	found = strchr(simple_in, *cursor->p);
	if (*cursor->p != 'u') {
		if (found == NULL || *cursor->p == '\0')
			return FALSE;
		g_string_append_c(out, simple_out[found - simple_in]);
		cursor->p++;
		return TRUE;
	}
	if (cursor->end - cursor->p < 5 || (unit = hex4(cursor->p + 1)) < 0)
		return FALSE;
	cursor->p += 5;
	if (unit >= 0xD800 && unit <= 0xDBFF) {
		if (cursor->end - cursor->p < 6 || cursor->p[0] != '\\' || cursor->p[1] != 'u' ||
		    (low = hex4(cursor->p + 2)) < 0xDC00 || low > 0xDFFF)
			return FALSE;
		cursor->p += 6;
		unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
	} else if (unit >= 0xDC00 && unit <= 0xDFFF) {
		return FALSE;
	}
	if (unit == 0)
		return FALSE;
	g_string_append_unichar(out, (gunichar)unit);
	return TRUE;
}

/* Text parsed from a JSON line: in place when it had no escapes, else in a scratch buffer. */
typedef struct {
	const gchar *str;
	gsize len;
} Slice;

/* The rest of a string with escapes, from @start (after the opening quote) to @cursor
 * (at the first backslash), unescaped into @scratch. */
static gboolean
parse_escaped(Cursor *cursor, const gchar *start, guchar high, GString *scratch, Slice *out)
{
	g_string_truncate(scratch, 0);
	while (cursor->p < cursor->end) {
		g_string_append_len(scratch, start, cursor->p - start);
		if (cursor->p >= cursor->end || (guchar)*cursor->p < 0x20)
			return FALSE;
		/* ASCII and escapes (whole characters) need no check. */
		if (*cursor->p++ == '"') {
			out->str = scratch->str;
			out->len = scratch->len;
			return high < 0x80 || g_utf8_validate_len(scratch->str, scratch->len, NULL);
		}
		if (!parse_escape(cursor, scratch))
			return FALSE;
		start = cursor->p;
		while (cursor->p < cursor->end && *cursor->p != '"' && *cursor->p != '\\' &&
		       (guchar)*cursor->p >= 0x20) {
			high |= (guchar)*cursor->p;
			cursor->p++;
		}
	}
	return FALSE;
}

static gboolean
parse_string(Cursor *cursor, GString *scratch, Slice *out)
{
	guchar high = 0; /* the raw bytes ORed */
	const gchar *start;

	if (cursor->p >= cursor->end || *cursor->p != '"')
		return FALSE;
	start = ++cursor->p;
	while (cursor->p < cursor->end && *cursor->p != '"' && *cursor->p != '\\' &&
	       (guchar)*cursor->p >= 0x20) {
		high |= (guchar)*cursor->p;
		cursor->p++;
	}
	if (cursor->p >= cursor->end || *cursor->p != '"')
		return parse_escaped(cursor, start, high, scratch, out);
	out->str = start;
	out->len = (gsize)(cursor->p++ - start);
	return high < 0x80 || g_utf8_validate_len(out->str, out->len, NULL);
}

static gboolean
parse_integer(Cursor *cursor, Slice *out)
{
	const gchar *start = cursor->p;

	if (cursor->p < cursor->end && *cursor->p == '-')
		cursor->p++;
	while (cursor->p < cursor->end && g_ascii_isdigit(*cursor->p))
		cursor->p++;
	out->str = start;
	out->len = (gsize)(cursor->p - start);
	return cursor->p - start > (start[0] == '-' ? 1 : 0) && cursor->p - start <= 19;
}

/* The key is copied: the record's lookups need it NUL-terminated. */
static gboolean
parse_member(PhRecord *record, Cursor *cursor, GString *key, GString *scratch, gboolean *has_kind)
{
	gboolean is_string;
	guint32 hash;
	Slice text, value;

	skip_space(cursor);
	if (!parse_string(cursor, scratch, &text))
		return FALSE;
	g_string_truncate(key, 0);
	g_string_append_len(key, text.str, (gssize)text.len);
	skip_space(cursor);
	if (cursor->p >= cursor->end || *cursor->p++ != ':')
		return FALSE;
	skip_space(cursor);
	is_string = cursor->p < cursor->end && *cursor->p == '"';
	if (!(is_string ? parse_string(cursor, scratch, &value) : parse_integer(cursor, &value)))
		return FALSE;
	if (key->len == 4 && memcmp(key->str, "kind", 4) == 0) {
		/* "kind" may come after fields: store it and point the record at it. */
		if (!is_string || *has_kind)
			return FALSE;
		*has_kind = TRUE;
		record->kind = store(record, value.str, value.len);
		return TRUE;
	}
	hash = key_hash(key->str);
	if (find_hashed(record, key->str, hash) != NULL)
		return FALSE;
	put_value(record, NULL, key->str, hash, value.str, value.len, !is_string);
	return TRUE;
}

gboolean
ph_record_parse_json(PhRecord *record, const gchar *json, gsize len, GError **error)
{
	Cursor cursor = {json, json + len};
	GString *key, *value;
	gboolean has_kind = FALSE;
	gboolean ok = FALSE;

	g_return_val_if_fail(record != NULL && json != NULL, FALSE);
	if (record->json_key == NULL) {
		record->json_key = g_string_sized_new(32);
		record->json_value = g_string_sized_new(64);
	}
	key = record->json_key;
	value = record->json_value;
	ph_record_reset(record, "");
	skip_space(&cursor);
	if (cursor.p < cursor.end && *cursor.p++ == '{') {
		skip_space(&cursor);
		ok = cursor.p < cursor.end && *cursor.p == '}';
		while (!ok) {
			if (!parse_member(record, &cursor, key, value, &has_kind))
				break;
			skip_space(&cursor);
			if (cursor.p < cursor.end && *cursor.p == ',') {
				cursor.p++;
				continue;
			}
			ok = cursor.p < cursor.end && *cursor.p == '}';
			break;
		}
		if (ok)
			cursor.p++;
		skip_space(&cursor);
		ok = ok && cursor.p == cursor.end;
	}
	if (!ok) {
		const gchar *bad = NULL;

		/* Text that is not UTF-8 is named as such, not as bad JSON (a NUL is UTF-8, and
		 * bad JSON: g_utf8_validate_len() stops at it) */
		if (!g_utf8_validate_len(json, len, &bad) && *bad != '\0')
			g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
			            "byte %zu: invalid UTF-8 byte sequence",
			            (gsize)(bad - json) + 1);
		else
			g_set_error(
			        error, PH_ERROR, PH_ERROR_INVALID_INPUT,
			        "not a flat JSON object of strings and integers (near byte %zu)",
			        (gsize)(cursor.p - json));
		return FALSE;
	}
	if (!has_kind) {
		g_set_error_literal(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		                    "canonical record has no \"kind\"");
		return FALSE;
	}
	return TRUE;
}
