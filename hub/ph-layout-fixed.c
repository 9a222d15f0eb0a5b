/* Fixed-width layout: fields measured in bytes of the file's encoding, aligned and padded,
 * never cutting a multi-byte character. Mapping engine only (through PhLayoutOps). */
#include "ph-mapping-private.h"

#include <string.h>

#include "ph-error.h"
#include "ph-mapping-io.h"

/* A computed field written before its value was known (a header's count): filled in at
 * the end when the output can seek. */
typedef struct {
	const PhMappingRecord *type;
	const PhMappingField *field;
	guint64 offset;
} Patch;

/* A tagged record kind and its tag fields, found once rather than on every line. */
typedef struct {
	const PhMappingRecord *type;
	GPtrArray *tags; /* PhMappingField, borrowed */
} Matcher;

typedef struct {
	PhLineLayout base;
	GArray *patches;         /* Patch */
	PhMappingTotals *totals; /* borrowed from the writer */
	GArray *matchers;        /* Matcher, tagged kinds in mapping order (reading) */
	const PhMappingRecord *untagged;
	PhMappingSlot *slots; /* the record being read or written, one per field */
	gsize *arena_at;      /* reading: where a slot's text lies in base.text, or G_MAXSIZE */
} Fixed;

static void
matcher_clear(gpointer data)
{
	g_ptr_array_unref(((Matcher *)data)->tags);
}

static void
fixed_free(gpointer state)
{
	Fixed *fixed = state;

	ph_mapping_io_layout_clear(&fixed->base);
	g_array_unref(fixed->patches);
	g_array_unref(fixed->matchers);
	g_free(fixed->slots);
	g_free(fixed->arena_at);
	g_free(fixed);
}

static void
find_tags(Fixed *fixed, const PhMapping *mapping)
{
	for (guint i = 0; i < mapping->records->len; i++) {
		const PhMappingRecord *type = g_ptr_array_index(mapping->records, i);
		Matcher matcher = {type, g_ptr_array_new()};

		for (guint j = 0; j < type->fields->len; j++) {
			PhMappingField *field = g_ptr_array_index(type->fields, j);

			if (field->tag)
				g_ptr_array_add(matcher.tags, field);
		}
		if (matcher.tags->len == 0) {
			fixed->untagged = type;
			g_ptr_array_unref(matcher.tags);
			continue;
		}
		g_array_append_val(fixed->matchers, matcher);
	}
}

static gpointer
fixed_new(PhMapping *mapping, GInputStream *input, GOutputStream *output, GError **error)
{
	Fixed *fixed = g_new0(Fixed, 1);

	fixed->patches = g_array_new(FALSE, FALSE, sizeof(Patch));
	fixed->matchers = g_array_new(FALSE, FALSE, sizeof(Matcher));
	g_array_set_clear_func(fixed->matchers, matcher_clear);
	find_tags(fixed, mapping);
	fixed->slots = g_new0(PhMappingSlot, ph_mapping_slots_max(mapping) + 1);
	fixed->arena_at = g_new0(gsize, ph_mapping_slots_max(mapping) + 1);
	if (!ph_mapping_io_layout_init(&fixed->base, mapping, input, output, error)) {
		fixed_free(fixed);
		return NULL;
	}
	return fixed;
}

static gpointer
fixed_reader_new(PhMapping *mapping, GInputStream *input, GError **error)
{
	return fixed_new(mapping, input, NULL, error);
}

static guint64
fixed_reader_line(gpointer state)
{
	return ph_mapping_io_input_line(((PhLineLayout *)state)->lines);
}

static gboolean
tags_match(const Matcher *matcher, const gchar *line, gsize len)
{
	for (guint i = 0; i < matcher->tags->len; i++) {
		const PhMappingField *field = g_ptr_array_index(matcher->tags, i);

		if (field->offset + field->constant_len > len ||
		    memcmp(line + field->offset, field->constant, field->constant_len) != 0)
			return FALSE;
	}
	return TRUE;
}

/* Tagged record kinds first; an untagged kind takes any other line. */
static const PhMappingRecord *
match_record(const Fixed *fixed, const gchar *line, gsize len)
{
	for (guint i = 0; i < fixed->matchers->len; i++) {
		const Matcher *matcher = &g_array_index(fixed->matchers, Matcher, i);

		if (tags_match(matcher, line, len))
			return matcher->type;
	}
	return fixed->untagged;
}

/* Removes padding: text by its alignment; zero-padded numbers keep their zeros (they are
 * the number), space-padded ones lose the spaces. */
static void
trim(const PhMappingField *field, const gchar **text, gsize *len)
{
	gchar pad = field->pad;

	if (field->type != PH_FIELD_TEXT && pad == '0')
		return;
	if (field->type != PH_FIELD_TEXT || !field->align_right) {
		/* Eight at a time: names and memos are mostly padding. */
		guint64 pads = G_GUINT64_CONSTANT(0x0101010101010101) * (guchar)pad;
		guint64 word;

		while (*len >= 8 && (memcpy(&word, *text + *len - 8, 8), word == pads))
			*len -= 8;
		while (*len > 0 && (*text)[*len - 1] == pad)
			(*len)--;
	}
	if (field->type != PH_FIELD_TEXT || field->align_right) {
		while (*len > 0 && **text == pad) {
			(*text)++;
			(*len)--;
		}
	}
}

/* The slow path of a field that does not convert at once: the scan names the bad byte by
 * line and file offset, else the conversion names what it could not convert. */
static gboolean
read_field_checked(PhLineLayout *reader, const PhMappingRecord *type, const PhMappingField *field,
                   const gchar *line, const gchar *text, gsize len, GError **error)
{
	gsize bad = 0;
	gboolean cut = FALSE;
	g_autoptr(GError) local = NULL;

	if (!ph_encoding_scan(reader->encoding, line + field->offset, field->bytes, &bad, &cut)) {
		guint64 at = field->offset + bad;

		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "line %" G_GUINT64_FORMAT ", byte %" G_GUINT64_FORMAT
		            " (file offset %" G_GUINT64_FORMAT "): record %s field %s: %s",
		            ph_mapping_io_input_line(reader->lines), at + 1,
		            ph_mapping_io_input_offset(reader->lines) + at, type->kind,
		            PH_MAPPING_FIELD_NAME(field),
		            cut ? "a multi-byte character crosses the field's end"
		                : "invalid byte sequence");
		return FALSE;
	}
	g_string_truncate(reader->encoded, 0);
	if (!ph_encoding_to_utf8(reader->encoding, text, len, reader->encoded, &local)) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "record %s field %s: %s",
		            type->kind, PH_MAPPING_FIELD_NAME(field), local->message);
		return FALSE;
	}
	g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "record %s field %s: cannot convert it",
	            type->kind, PH_MAPPING_FIELD_NAME(field));
	return FALSE;
}

/* Padding is ASCII, so the field is whole characters exactly when its trimmed text is:
 * ASCII text needs no conversion, the rest one pass into the line's UTF-8 (base.text) that
 * also checks it. */
static gboolean
read_field(Fixed *fixed, const PhMappingRecord *type, const PhMappingField *field,
           const gchar *line, GError **error)
{
	PhLineLayout *reader = &fixed->base;
	GString *utf8 = reader->text;
	PhMappingSlot *slot = &fixed->slots[field->index];
	const gchar *text = line + field->offset;
	gsize len = field->bytes;
	gsize at = utf8->len;

	fixed->arena_at[field->index] = G_MAXSIZE;
	trim(field, &text, &len);
	if (ph_encoding_is_ascii(text, len))
		return ph_mapping_field_decode_slot(type, field, text, len, slot, error);
	if (!ph_encoding_to_utf8(reader->encoding, text, len, utf8, NULL))
		return read_field_checked(reader, type, field, line, text, len, error);
	if (!ph_mapping_field_decode_slot(type, field, utf8->str + at, utf8->len - at, slot, error))
		return FALSE;
	/* Later fields may move the buffer: kept as an offset until the line is done. */
	if (slot->state == PH_SLOT_TEXT && slot->text >= utf8->str &&
	    slot->text <= utf8->str + utf8->len)
		fixed->arena_at[field->index] = (gsize)(slot->text - utf8->str);
	return TRUE;
}

static gboolean
read_fields(Fixed *fixed, const PhMappingRecord *type, const gchar *line, GError **error)
{
	GString *utf8 = fixed->base.text;

	g_string_truncate(utf8, 0);
	for (guint i = 0; i < type->fields->len; i++) {
		if (!read_field(fixed, type, g_ptr_array_index(type->fields, i), line, error))
			return FALSE;
	}
	for (guint i = 0; i < type->fields->len; i++) {
		if (fixed->arena_at[i] != G_MAXSIZE)
			fixed->slots[i].text = utf8->str + fixed->arena_at[i];
	}
	return TRUE;
}

static gboolean
fixed_reader_next_slots(gpointer state, const PhMappingRecord **type_out,
                        const PhMappingSlot **slots, GError **error)
{
	Fixed *fixed = state;
	PhLineLayout *reader = &fixed->base;
	const PhMappingRecord *type;
	const gchar *line = NULL;
	gsize len = 0;

	if (!ph_mapping_io_layout_next_line(reader, &line, &len, FALSE, error))
		return FALSE;
	type = match_record(fixed, line, len);
	if (type == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "no record kind of mapping %s starts like this line",
		            reader->mapping->name);
		return FALSE;
	}
	if (len != type->width) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "record %s: %zu bytes, expected %zu", type->kind, len, type->width);
		return FALSE;
	}
	if (!read_fields(fixed, type, line, error))
		return FALSE;
	*type_out = type;
	*slots = fixed->slots;
	return TRUE;
}

static gboolean
fixed_reader_next(gpointer state, PhRecord *record, const PhMappingRecord **type_out,
                  GError **error)
{
	const PhMappingSlot *slots = NULL;

	if (!fixed_reader_next_slots(state, type_out, &slots, error))
		return FALSE;
	ph_mapping_slots_to_record(*type_out, slots, record);
	return TRUE;
}

static gpointer
fixed_writer_new(PhMapping *mapping, GOutputStream *output, GError **error)
{
	return fixed_new(mapping, NULL, output, error);
}

/* Fits the encoded @value into the field's bytes: pads, or truncates at a character
 * boundary when the mapping allows, else refuses naming the value (writer->text). */
static gboolean
append_padded(PhLineLayout *writer, const PhMappingRecord *type, const PhMappingField *field,
              const GString *value, GError **error)
{
	gsize len = value->len;
	gsize at;
	gchar *dest;

	if (len > field->bytes && field->truncate)
		len = ph_encoding_fit(writer->encoding, value->str, value->len, field->bytes);
	if (len > field->bytes) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "record %s field %s: '%s' is %zu bytes in %s, the field has %zu",
		            type->kind, PH_MAPPING_FIELD_NAME(field), writer->text->str, len,
		            ph_encoding_get_name(writer->encoding), field->bytes);
		return FALSE;
	}
	if (field->pad == '0' && len > 0 && value->str[0] == '-') {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "record %s field %s: negative value %s cannot be zero-padded",
		            type->kind, PH_MAPPING_FIELD_NAME(field), writer->text->str);
		return FALSE;
	}
	at = writer->buffer->len;
	g_string_set_size(writer->buffer, at + field->bytes);
	dest = writer->buffer->str + at;
	if (field->align_right) {
		memset(dest, field->pad, field->bytes - len);
		memcpy(dest + field->bytes - len, value->str, len);
	} else {
		memcpy(dest, value->str, len);
		memset(dest + len, field->pad, field->bytes - len);
	}
	return TRUE;
}

/* A count or sum left out of a record that precedes what it counts. */
static gboolean
needs_patch(const PhMappingRecord *type, const PhMappingField *field, const PhMappingSlot *slot)
{
	return (field->compute == PH_COMPUTE_COUNT || field->compute == PH_COMPUTE_SUM) &&
	       type->position != PH_POSITION_LAST && slot->state == PH_SLOT_ABSENT;
}

/* Refused at once on a stream that cannot seek, before anything is sent. */
static gboolean
note_patches(Fixed *fixed, const PhMappingRecord *type, const PhMappingSlot *slots, guint64 start,
             GError **error)
{
	GOutputStream *output = fixed->base.output;

	for (guint i = 0; i < type->fields->len; i++) {
		const PhMappingField *field = g_ptr_array_index(type->fields, i);
		Patch patch = {type, field, start + field->offset};

		if (!needs_patch(type, field, &slots[i]))
			continue;
		/* Asked only here: can_seek costs a system call on a file. */
		if (!G_IS_SEEKABLE(output) || !g_seekable_can_seek(G_SEEKABLE(output))) {
			g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
			            "record %s field %s: not given, and the output cannot be "
			            "rewritten to fill it in at the end",
			            type->kind, field->key);
			return FALSE;
		}
		g_array_append_val(fixed->patches, patch);
	}
	return TRUE;
}

static gboolean
fixed_writer_write_slots(gpointer state, const PhMappingRecord *type, const PhMappingSlot *slots,
                         PhMappingTotals *totals, GError **error)
{
	Fixed *fixed = state;
	PhLineLayout *writer = &fixed->base;
	gsize start = writer->buffer->len;

	fixed->totals = totals;
	if (!note_patches(fixed, type, slots, writer->flushed + start, error))
		return FALSE;

	for (guint i = 0; i < type->fields->len; i++) {
		const PhMappingField *field = g_ptr_array_index(type->fields, i);
		/* ASCII is the same bytes in every supported encoding. */
		const GString *encoded = writer->text;
		const gchar *value = slots[i].state == PH_SLOT_TEXT ? slots[i].text : NULL;
		g_autoptr(GError) local = NULL;

		if (!ph_mapping_field_encode_value(type, field, value, totals, writer->text, error))
			goto failed;
		if (!ph_encoding_is_ascii(writer->text->str, writer->text->len)) {
			encoded = writer->encoded;
			g_string_truncate(writer->encoded, 0);
			if (!ph_encoding_from_utf8(writer->encoding, writer->text->str,
			                           writer->text->len, writer->encoded, &local)) {
				g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
				            "record %s field %s: %s", type->kind,
				            PH_MAPPING_FIELD_NAME(field), local->message);
				goto failed;
			}
		}
		if (!append_padded(writer, type, field, encoded, error))
			goto failed;
	}
	return ph_mapping_io_layout_end_line(writer, error);
failed:
	g_string_truncate(writer->buffer, start);
	return FALSE;
}

static gboolean
fixed_writer_write(gpointer state, const PhMappingRecord *type, const PhRecord *record,
                   PhMappingTotals *totals, GError **error)
{
	Fixed *fixed = state;

	ph_mapping_slots_from_record(type, record, fixed->slots);
	return fixed_writer_write_slots(state, type, fixed->slots, totals, error);
}

/* Writes the final value of one patched field over its placeholder. */
static gboolean
apply_patch(Fixed *fixed, const Patch *patch, GError **error)
{
	PhLineLayout *writer = &fixed->base;
	const PhMappingField *field = patch->field;

	g_string_truncate(writer->text, 0);
	ph_mapping_field_format_amount(ph_mapping_totals_get(fixed->totals, field),
	                               field->type == PH_FIELD_AMOUNT && field->yuan, writer->text);
	g_string_truncate(writer->buffer, 0);
	/* A number: ASCII, the same bytes in every encoding. */
	if (!append_padded(writer, patch->type, field, writer->text, error) ||
	    !g_seekable_seek(G_SEEKABLE(writer->output), (goffset)patch->offset, G_SEEK_SET, NULL,
	                     error) ||
	    !g_output_stream_write_all(writer->output, writer->buffer->str, writer->buffer->len,
	                               NULL, NULL, error))
		return FALSE;
	g_string_truncate(writer->buffer, 0);
	return TRUE;
}

static gboolean
fixed_writer_finish(gpointer state, GError **error)
{
	Fixed *fixed = state;
	PhLineLayout *writer = &fixed->base;

	if (!ph_mapping_io_layout_flush(writer, TRUE, error))
		return FALSE;
	if (fixed->patches->len == 0)
		return TRUE;
	if (!g_output_stream_flush(writer->output, NULL, error))
		return FALSE;
	for (guint i = 0; i < fixed->patches->len; i++) {
		if (!apply_patch(fixed, &g_array_index(fixed->patches, Patch, i), error))
			return FALSE;
	}
	return g_seekable_seek(G_SEEKABLE(writer->output), 0, G_SEEK_END, NULL, error);
}

const PhLayoutOps ph_layout_fixed_ops = {
        .reader_new = fixed_reader_new,
        .reader_next = fixed_reader_next,
        .reader_line = fixed_reader_line,
        .reader_free = fixed_free,
        .writer_new = fixed_writer_new,
        .writer_write = fixed_writer_write,
        .writer_finish = fixed_writer_finish,
        .writer_free = fixed_free,
        .reader_next_slots = fixed_reader_next_slots,
        .writer_write_slots = fixed_writer_write_slots,
};
