/* Records held as one slot per field (no PhRecord, no lookups by key): conversion to and
 * from PhRecord, canonical JSON written straight from the slots, and a scanner for the flat
 * JSON Lines we write ourselves. Mapping engine only; anything the scanner does not expect
 * goes back to ph_record_parse_json(), which decides. */
#include "ph-mapping-private.h"

#include <string.h>

#include "ph-json-text.h"

gchar *
ph_mapping_slots_json_text(const gchar *before, const gchar *text, const gchar *after, gsize *len)
{
	gsize text_len = strlen(text);
	g_autoptr(GString) out = g_string_new(before);
	gchar *p = ph_json_text_reserve(out, text_len * 6 + strlen(after) + 1);

	p = ph_json_text_escape(p, text, text_len);
	ph_json_text_end(out, p);
	g_string_append(out, after);
	*len = out->len;
	return g_string_free(g_steal_pointer(&out), FALSE);
}

gchar *
ph_mapping_slots_put_int(gchar *p, gint64 value)
{
	guint64 magnitude = value < 0 ? (guint64)(-(value + 1)) + 1 : (guint64)value;
	static const gchar pairs[] = "00010203040506070809101112131415161718192021222324"
	                             "25262728293031323334353637383940414243444546474849"
	                             "50515253545556575859606162636465666768697071727374"
	                             "75767778798081828384858687888990919293949596979899";
	gchar digits[24];
	gchar *d = digits + sizeof digits;

	/* Two digits a division: amounts have six to twelve. */
	while (magnitude >= 100) {
		d -= 2;
		memcpy(d, pairs + 2 * (magnitude % 100), 2);
		magnitude /= 100;
	}
	if (magnitude >= 10) {
		d -= 2;
		memcpy(d, pairs + 2 * magnitude, 2);
	} else {
		*--d = (gchar)('0' + magnitude);
	}
	if (value < 0)
		*--d = '-';
	memcpy(p, d, (gsize)(digits + sizeof digits - d));
	return p + (digits + sizeof digits - d);
}

/* The most bytes ph_mapping_slots_append_json() writes for @type and @slots. */
static gsize
json_room(const PhMappingRecord *type, const PhMappingSlot *slots)
{
	gsize room = type->json_kind_len + 2;

	for (guint i = 0; i < type->fields->len; i++) {
		const PhMappingField *field = g_ptr_array_index(type->fields, i);

		if (slots[i].state != PH_SLOT_ABSENT)
			room += field->json_key_len + slots[i].len * 6 + 24;
	}
	return room;
}

void
ph_mapping_slots_append_json(const PhMappingRecord *type, const PhMappingSlot *slots, GString *out)
{
	gchar *p = ph_json_text_reserve(out, json_room(type, slots));

	memcpy(p, type->json_kind, type->json_kind_len);
	p += type->json_kind_len;
	for (guint i = 0; i < type->fields->len; i++) {
		const PhMappingField *field = g_ptr_array_index(type->fields, i);
		const PhMappingSlot *slot = &slots[i];

		if (slot->state == PH_SLOT_ABSENT)
			continue;
		memcpy(p, field->json_key, field->json_key_len);
		p += field->json_key_len;
		if (slot->state == PH_SLOT_INT) {
			p = ph_mapping_slots_put_int(p, slot->number);
			continue;
		}
		*p++ = '"';
		p = ph_json_text_escape(p, slot->text, slot->len);
		*p++ = '"';
	}
	*p++ = '}';
	ph_json_text_end(out, p);
}

void
ph_mapping_slots_to_record(const PhMappingRecord *type, const PhMappingSlot *slots,
                           PhRecord *record)
{
	ph_record_reset(record, type->kind);
	for (guint i = 0; i < type->fields->len; i++) {
		const PhMappingField *field = g_ptr_array_index(type->fields, i);

		if (slots[i].state == PH_SLOT_TEXT)
			ph_record_append_static(record, field->key, slots[i].text, slots[i].len);
		else if (slots[i].state == PH_SLOT_INT)
			ph_record_append_static_int(record, field->key, slots[i].number);
	}
}

void
ph_mapping_slots_from_record(const PhMappingRecord *type, const PhRecord *record,
                             PhMappingSlot *slots)
{
	for (guint i = 0; i < type->fields->len; i++) {
		const PhMappingField *field = g_ptr_array_index(type->fields, i);
		const gchar *value = field->key != NULL ? ph_record_get(record, field->key) : NULL;

		slots[i].state = value != NULL ? PH_SLOT_TEXT : PH_SLOT_ABSENT;
		slots[i].text = value;
		slots[i].len = value != NULL ? strlen(value) : 0;
	}
}

/* The scanner: a line as ph_mapping_slots_append_json() writes it, or FALSE. */
typedef struct {
	const gchar *p;
	const gchar *end;
} Scan;

/* memcmp() for the short keys compared on every line, eight bytes at a time inline. */
static inline gboolean
same_bytes(const gchar *a, const gchar *b, gsize len)
{
	guint64 x, y;

	for (; len >= 8; a += 8, b += 8, len -= 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return FALSE;
	}
	for (; len > 0; a++, b++, len--) {
		if (*a != *b)
			return FALSE;
	}
	return TRUE;
}

static inline gboolean
scan_literal(Scan *scan, const gchar *text, gsize len)
{
	if ((gsize)(scan->end - scan->p) < len || !same_bytes(scan->p, text, len))
		return FALSE;
	scan->p += len;
	return TRUE;
}

/* The value's text where it lies in the line. */
static void
keep_value(PhMappingSlot *slot, const gchar *text, gsize len)
{
	slot->text = text;
	slot->len = len;
	slot->state = PH_SLOT_TEXT;
}

/* A string without escapes, valid UTF-8. */
static gboolean
scan_string(Scan *scan, PhMappingSlot *slot)
{
	const gchar *start = ++scan->p;
	gboolean high = FALSE;
	gsize len = ph_json_text_plain_run_high(start, (gsize)(scan->end - start), &high);

	if (start + len >= scan->end || start[len] != '"')
		return FALSE;
	if (high && !g_utf8_validate_len(start, len, NULL))
		return FALSE;
	keep_value(slot, start, len);
	scan->p = start + len + 1;
	return TRUE;
}

/* An integer as ph_record_parse_json() takes it: kept as its text. */
static gboolean
scan_integer(Scan *scan, PhMappingSlot *slot)
{
	const gchar *start = scan->p;
	gsize len;

	if (scan->p < scan->end && *scan->p == '-')
		scan->p++;
	while (scan->p < scan->end && g_ascii_isdigit(*scan->p))
		scan->p++;
	len = (gsize)(scan->p - start);
	if (len == (start[0] == '-' ? 1u : 0u) || len > 19)
		return FALSE;
	keep_value(slot, start, len);
	return TRUE;
}

/* The field at or after @from whose ,"KEY": starts at the cursor; G_MAXUINT for none. */
static guint
scan_key(Scan *scan, const PhMappingRecord *type, guint from)
{
	for (guint i = from; i < type->fields->len; i++) {
		const PhMappingField *field = g_ptr_array_index(type->fields, i);

		if (field->json_key != NULL &&
		    scan_literal(scan, field->json_key, field->json_key_len))
			return i;
	}
	return G_MAXUINT;
}

static const PhMappingRecord *
scan_kind(Scan *scan, const PhMapping *mapping)
{
	const gchar *start = scan->p;

	for (guint i = 0; i < mapping->records->len; i++) {
		const PhMappingRecord *type = g_ptr_array_index(mapping->records, i);

		/* {"kind":"D" with its closing quote: not the start of "DX". */
		if (scan_literal(scan, type->json_kind, type->json_kind_len))
			return type;
		scan->p = start;
	}
	return NULL;
}

gboolean
ph_mapping_slots_parse_json(const PhMapping *mapping, const gchar *line, gsize len,
                            const PhMappingRecord **type_out, PhMappingSlot *slots)
{
	Scan scan = {line, line + len};
	const PhMappingRecord *type;
	guint next = 0;

	type = scan_kind(&scan, mapping);
	if (type == NULL)
		return FALSE;
	for (guint i = 0; i < type->fields->len; i++)
		slots[i].state = PH_SLOT_ABSENT;
	while (scan.p < scan.end && *scan.p == ',') {
		guint index = scan_key(&scan, type, next);
		gboolean ok;

		if (index == G_MAXUINT || scan.p >= scan.end)
			return FALSE;
		ok = *scan.p == '"' ? scan_string(&scan, &slots[index])
		                    : scan_integer(&scan, &slots[index]);
		if (!ok)
			return FALSE;
		next = index + 1;
	}
	*type_out = type;
	return scan.p + 1 == scan.end && *scan.p == '}';
}

void
ph_mapping_slots_keep(const PhMappingRecord *type, PhMappingSlot *slots, GString *arena)
{
	gsize room = 0;
	gchar *p;

	for (guint i = 0; i < type->fields->len; i++)
		room += slots[i].state == PH_SLOT_TEXT ? slots[i].len + 1 : 0;
	g_string_set_size(arena, room);
	p = arena->str;
	for (guint i = 0; i < type->fields->len; i++) {
		if (slots[i].state != PH_SLOT_TEXT)
			continue;
		memcpy(p, slots[i].text, slots[i].len);
		p[slots[i].len] = '\0';
		slots[i].text = p;
		p += slots[i].len + 1;
	}
}

guint
ph_mapping_slots_max(const PhMapping *mapping)
{
	guint max = 0;

	for (guint i = 0; i < mapping->records->len; i++) {
		const PhMappingRecord *type = g_ptr_array_index(mapping->records, i);

		max = MAX(max, type->fields->len);
	}
	return max;
}
