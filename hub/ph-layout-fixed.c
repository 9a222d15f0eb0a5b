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
	/* Where every tagged kind has one tag of one byte, all at one offset (H, D, T): the
	 * kind match_record() finds, by that byte of a line long enough to hold it. */
	gboolean one_byte_tags;
	gsize tag_offset;
	const PhMappingRecord *by_tag[256];
	PhMappingSlot *slots;        /* writing: the record, one per field */
	PhMappingAhead *ahead;       /* reading: lines decoded ahead, in order */
	guint n_fields;              /* of the widest record */
	gboolean json;               /* reading: the decoders also write canonical JSON Lines */
	PhMappingProgram **programs; /* per record kind, NULL where it has none */
	guint n_programs;
} Fixed;

/* What one thread needs to decode lines: its own converter (not shareable) and buffers. */
typedef struct {
	const Fixed *fixed;
	PhEncoding *encoding;
	GString *text;    /* the line's UTF-8 */
	GString *encoded; /* the error path */
	gsize *arena_at;  /* where a slot's text lies in text, or G_MAXSIZE */
	PhMappingSlot *slots;
	guint64 line;   /* of the line being decoded, for errors */
	guint64 offset; /* its file offset */
} Decoder;

static void
matcher_clear(gpointer data)
{
	g_ptr_array_unref(((Matcher *)data)->tags);
}

static void
fixed_free(gpointer state)
{
	Fixed *fixed = state;

	/* First: its threads read the input and the matchers. */
	ph_mapping_ahead_free(fixed->ahead);
	for (guint i = 0; i < fixed->n_programs; i++)
		ph_mapping_program_free(fixed->programs[i]);
	g_free(fixed->programs);
	ph_mapping_io_layout_clear(&fixed->base);
	g_array_unref(fixed->patches);
	g_array_unref(fixed->matchers);
	g_free(fixed->slots);
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

/* The kind of every first byte at once, where the tags allow (see Fixed.by_tag). */
static void
index_tags(Fixed *fixed)
{
	fixed->one_byte_tags = fixed->matchers->len > 0;
	for (guint i = 0; i < fixed->matchers->len && fixed->one_byte_tags; i++) {
		const Matcher *matcher = &g_array_index(fixed->matchers, Matcher, i);
		const PhMappingField *tag = g_ptr_array_index(matcher->tags, 0);

		if (i == 0)
			fixed->tag_offset = tag->offset;
		fixed->one_byte_tags = matcher->tags->len == 1 && tag->constant_len == 1 &&
		                       tag->offset == fixed->tag_offset;
	}
	for (guint byte = 0; byte < 256; byte++)
		fixed->by_tag[byte] = fixed->untagged;
	/* The first kind in mapping order wins a byte, as match_record() tries them. */
	for (guint i = fixed->matchers->len; fixed->one_byte_tags && i-- > 0;) {
		const Matcher *matcher = &g_array_index(fixed->matchers, Matcher, i);
		const PhMappingField *tag = g_ptr_array_index(matcher->tags, 0);

		fixed->by_tag[(guchar)tag->constant[0]] = matcher->type;
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
	index_tags(fixed);
	fixed->n_fields = ph_mapping_slots_max(mapping);
	fixed->slots = g_new0(PhMappingSlot, fixed->n_fields + 1);
	fixed->n_programs = mapping->records->len;
	fixed->programs = g_new0(PhMappingProgram *, fixed->n_programs);
	for (guint i = 0; i < fixed->n_programs; i++)
		fixed->programs[i] = ph_mapping_program_new(g_ptr_array_index(mapping->records, i));
	if (!ph_mapping_io_layout_init(&fixed->base, mapping, input, output, error)) {
		fixed_free(fixed);
		return NULL;
	}
	return fixed;
}

static gboolean
tags_match(const Matcher *matcher, const gchar *line, gsize len)
{
	for (guint i = 0; i < matcher->tags->len; i++) {
		const PhMappingField *field = g_ptr_array_index(matcher->tags, i);

		if (field->offset + field->constant_len > len ||
		    !ph_mapping_same_bytes(line + field->offset, field->constant,
		                           field->constant_len))
			return FALSE;
	}
	return TRUE;
}

/* Tagged record kinds first; an untagged kind takes any other line. */
static const PhMappingRecord *
match_record(const Fixed *fixed, const gchar *line, gsize len)
{
	if (fixed->one_byte_tags && len > fixed->tag_offset)
		return fixed->by_tag[(guchar)line[fixed->tag_offset]];
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
		/* The pads that end the last word: its high bytes (little-endian) that equal
		 * the pad are the zero bytes that lead word ^ pads. */
		if (*len >= 8 && G_BYTE_ORDER == G_LITTLE_ENDIAN)
			*len -= (gsize)__builtin_clzll(word ^ pads) / 8;
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
read_field_checked(Decoder *decoder, const PhMappingRecord *type, const PhMappingField *field,
                   const gchar *line, const gchar *text, gsize len, GError **error)
{
	gsize bad = 0;
	gboolean cut = FALSE;
	g_autoptr(GError) local = NULL;

	if (!ph_encoding_scan(decoder->encoding, line + field->offset, field->bytes, &bad, &cut)) {
		guint64 at = field->offset + bad;

		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "line %" G_GUINT64_FORMAT ", byte %" G_GUINT64_FORMAT
		            " (file offset %" G_GUINT64_FORMAT "): record %s field %s: %s",
		            decoder->line, at + 1, decoder->offset + at, type->kind,
		            PH_MAPPING_FIELD_NAME(field),
		            cut ? "a multi-byte character crosses the field's end"
		                : "invalid byte sequence");
		return FALSE;
	}
	g_string_truncate(decoder->encoded, 0);
	if (!ph_encoding_to_utf8(decoder->encoding, text, len, decoder->encoded, &local)) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "record %s field %s: %s",
		            type->kind, PH_MAPPING_FIELD_NAME(field), local->message);
		return FALSE;
	}
	g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "record %s field %s: cannot convert it",
	            type->kind, PH_MAPPING_FIELD_NAME(field));
	return FALSE;
}

/* TRUE when @text is ASCII, eight bytes at a time; inline, as it runs for every field. */
static inline gboolean
is_ascii(const gchar *text, gsize len)
{
	guint64 high = 0;
	gsize i = 0;

	for (; i + 8 <= len; i += 8) {
		guint64 word;

		memcpy(&word, text + i, 8);
		high |= word;
	}
	if (i < len && len >= 8) {
		/* The rest as the word that ends the text. */
		guint64 word;

		memcpy(&word, text + len - 8, 8);
		high |= word;
		i = len;
	}
	for (; i < len; i++)
		high |= (guchar)text[i];
	return (high & G_GUINT64_CONSTANT(0x8080808080808080)) == 0;
}

/* Padding is ASCII, so the field is whole characters exactly when its trimmed text is:
 * ASCII text needs no conversion, the rest one pass into the line's UTF-8 that also checks
 * it. */
static gboolean
read_field(Decoder *decoder, const PhMappingRecord *type, const PhMappingField *field,
           const gchar *line, GError **error)
{
	GString *utf8 = decoder->text;
	PhMappingSlot *slot = &decoder->slots[field->index];
	const gchar *text = line + field->offset;
	gsize len = field->bytes;
	gsize at = utf8->len;

	decoder->arena_at[field->index] = G_MAXSIZE;
	trim(field, &text, &len);
	if (is_ascii(text, len))
		return ph_mapping_field_decode_slot(type, field, text, len, slot, error);
	if (!ph_encoding_to_utf8(decoder->encoding, text, len, utf8, NULL))
		return read_field_checked(decoder, type, field, line, text, len, error);
	if (!ph_mapping_field_decode_slot(type, field, utf8->str + at, utf8->len - at, slot, error))
		return FALSE;
	/* Later fields may move the buffer: kept as an offset until the line is done. */
	if (slot->state == PH_SLOT_TEXT && slot->text >= utf8->str &&
	    slot->text <= utf8->str + utf8->len)
		decoder->arena_at[field->index] = (gsize)(slot->text - utf8->str);
	return TRUE;
}

static gboolean
read_fields(Decoder *decoder, const PhMappingRecord *type, const gchar *line, guint64 *in_utf8,
            GError **error)
{
	GString *utf8 = decoder->text;

	g_string_truncate(utf8, 0);
	for (guint i = 0; i < type->fields->len; i++) {
		if (!read_field(decoder, type, g_ptr_array_index(type->fields, i), line, error))
			return FALSE;
	}
	*in_utf8 = 0;
	for (guint i = 0; i < type->fields->len; i++) {
		if (decoder->arena_at[i] == G_MAXSIZE)
			continue;
		decoder->slots[i].text = utf8->str + decoder->arena_at[i];
		*in_utf8 |= i < 64 ? G_GUINT64_CONSTANT(1) << i : ~G_GUINT64_CONSTANT(0);
	}
	return TRUE;
}

/* One line into @slots; texts point into @line or into *@scratch. */
static gboolean
decode_line(gpointer data, const gchar *line, gsize len, guint64 line_no, guint64 offset,
            const PhMappingRecord **type_out, PhMappingSlot *slots, const GString **scratch,
            guint64 *in_scratch, GString *out, GError **error)
{
	Decoder *decoder = data;
	const PhMappingRecord *type = match_record(decoder->fixed, line, len);
	const PhMappingProgram *program;

	decoder->line = line_no;
	decoder->offset = offset;
	decoder->slots = slots;
	scratch[0] = decoder->text;
	if (type == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "no record kind of mapping %s starts like this line",
		            decoder->fixed->base.mapping->name);
		return FALSE;
	}
	if (len != type->width) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "record %s: %zu bytes, expected %zu", type->kind, len, type->width);
		return FALSE;
	}
	*type_out = type;
	program = decoder->fixed->programs[type->index];
	if (program != NULL &&
	    ph_mapping_program_run(program, decoder->encoding, line, slots, decoder->text,
	                           in_scratch, decoder->fixed->json ? out : NULL))
		return TRUE;
	if (!read_fields(decoder, type, line, in_scratch, error))
		return FALSE;
	if (decoder->fixed->json) {
		/* Written here, in a worker, straight into the batch's output, which the one
		 * thread that writes it out hands on without a copy. */
		ph_mapping_slots_append_json(type, slots, out);
		g_string_append_c(out, '\n');
	}
	return TRUE;
}

static gpointer
decoder_new(gpointer layout)
{
	Fixed *fixed = layout;
	Decoder *decoder = g_new0(Decoder, 1);

	decoder->fixed = fixed;
	/* The mapping was loaded with this encoding: it cannot fail here. */
	decoder->encoding = ph_encoding_new(fixed->base.mapping->encoding, NULL);
	decoder->text = g_string_sized_new(256);
	decoder->encoded = g_string_sized_new(256);
	decoder->arena_at = g_new0(gsize, fixed->n_fields);
	return decoder;
}

static void
decoder_free(gpointer data)
{
	Decoder *decoder = data;

	ph_encoding_free(decoder->encoding);
	g_string_free(decoder->text, TRUE);
	g_string_free(decoder->encoded, TRUE);
	g_free(decoder->arena_at);
	g_free(decoder);
}

static const PhMappingAheadOps decode_ops = {
        .take_run = ph_mapping_io_layout_take_run,
        .take_span = ph_mapping_io_layout_take_span,
        .split = ph_mapping_io_layout_split,
        .count = ph_mapping_io_layout_count,
        .rewind = ph_mapping_io_layout_rewind,
        .next_line = ph_mapping_io_layout_take_line,
        .line_count = ph_mapping_io_layout_line_count,
        .decoder_new = decoder_new,
        .decoder_free = decoder_free,
        .decode = decode_line,
};

static gpointer
fixed_reader_new(PhMapping *mapping, GInputStream *input, GError **error)
{
	Fixed *fixed = fixed_new(mapping, input, NULL, error);

	if (fixed == NULL)
		return NULL;
	fixed->ahead = ph_mapping_ahead_new(&decode_ops, fixed, &fixed->base, fixed->n_fields);
	return fixed;
}

static guint64
fixed_reader_line(gpointer state)
{
	return ph_mapping_ahead_line(((Fixed *)state)->ahead);
}

static gboolean
fixed_reader_next_slots(gpointer state, const PhMappingRecord **type_out,
                        const PhMappingSlot **slots, GError **error)
{
	return ph_mapping_ahead_next(((Fixed *)state)->ahead, type_out, slots, error);
}

/* The index of the field keyed @key in record kind @of, if any, marked in @keep. */
static void
keep_key(const PhMapping *mapping, guint of, const gchar *key, gboolean *keep)
{
	const PhMappingRecord *type = g_ptr_array_index(mapping->records, of);

	for (guint i = 0; key != NULL && i < type->fields->len; i++) {
		const PhMappingField *field = g_ptr_array_index(type->fields, i);

		if (g_strcmp0(field->key, key) == 0)
			keep[field->index] = TRUE;
	}
}

/* With the JSON Lines written by the decoders, the records' slots are read only by the
 * computed fields (ph-mapping-totals.c: a declared value, the field summed, the field a
 * condition tests): only those texts are kept past their line. */
static void
want_json(Fixed *fixed)
{
	const PhMapping *mapping = fixed->base.mapping;
	g_autofree gboolean *keep = g_new0(gboolean, fixed->n_fields + 1);

	fixed->json = TRUE;
	for (guint i = 0; i < mapping->computed->len; i++) {
		const PhMappingField *field = g_ptr_array_index(mapping->computed, i);

		keep[field->index] = TRUE;
		keep_key(mapping, field->of, field->sum_of, keep);
		keep_key(mapping, field->of, field->where, keep);
	}
	ph_mapping_ahead_keep_only(fixed->ahead, keep);
}

/* Only before the first line is read: the worker threads read the flag. */
static gboolean
fixed_reader_want_json(gpointer state)
{
	Fixed *fixed = state;

	if (!ph_mapping_ahead_started(fixed->ahead))
		want_json(fixed);
	return fixed->json;
}

static gboolean
fixed_reader_json_due(gpointer state)
{
	return ph_mapping_ahead_batch_done(((Fixed *)state)->ahead);
}

static const gchar *
fixed_reader_take_json(gpointer state, gboolean drop_last, gsize *len)
{
	return ph_mapping_ahead_take_output(((Fixed *)state)->ahead, drop_last, len);
}

static gboolean
fixed_reader_want_json_fd(gpointer state, gint fd, guint64 offset)
{
	Fixed *fixed = state;

	if (ph_mapping_ahead_started(fixed->ahead))
		return FALSE;
	want_json(fixed);
	ph_mapping_ahead_write_to(fixed->ahead, fd, offset);
	return TRUE;
}

static gboolean
fixed_reader_json_end(gpointer state, gboolean drop_last, guint64 *end, GError **error)
{
	return ph_mapping_ahead_output_end(((Fixed *)state)->ahead, drop_last, end, error);
}

static gboolean
fixed_reader_next_run(gpointer state, PhMappingRun *run)
{
	return ph_mapping_ahead_next_run(((Fixed *)state)->ahead, run);
}

static void
fixed_reader_take_run(gpointer state)
{
	ph_mapping_ahead_take_run(((Fixed *)state)->ahead);
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

/* Fits the encoded @value into the field's bytes at @dest: pads, or truncates at a
 * character boundary when the mapping allows, else refuses naming the value (@utf8). */
static gboolean
pad_into(const PhEncoding *encoding, const PhMappingRecord *type, const PhMappingField *field,
         const GString *utf8, const GString *value, gchar *dest, GError **error)
{
	gsize len = value->len;

	if (len > field->bytes && field->truncate)
		len = ph_encoding_fit(encoding, value->str, value->len, field->bytes);
	if (len > field->bytes) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "record %s field %s: '%s' is %zu bytes in %s, the field has %zu",
		            type->kind, PH_MAPPING_FIELD_NAME(field), utf8->str, len,
		            ph_encoding_get_name(encoding), field->bytes);
		return FALSE;
	}
	if (field->pad == '0' && len > 0 && value->str[0] == '-') {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "record %s field %s: negative value %s cannot be zero-padded",
		            type->kind, PH_MAPPING_FIELD_NAME(field), utf8->str);
		return FALSE;
	}
	if (field->align_right) {
		memset(dest, field->pad, field->bytes - len);
		memcpy(dest + field->bytes - len, value->str, len);
	} else {
		memcpy(dest, value->str, len);
		memset(dest + len, field->pad, field->bytes - len);
	}
	return TRUE;
}

/* What encoding one field needs: a converter (one per thread) and two buffers. */
typedef struct {
	PhEncoding *encoding;
	GString *text;    /* the field's partner text, UTF-8 */
	GString *encoded; /* the same in the file's encoding */
} FieldCodec;

/* The bytes of @field for the canonical @value (NULL: absent) at @dest, padded. */
static gboolean
encode_field(FieldCodec *codec, const PhMappingRecord *type, const PhMappingField *field,
             const gchar *value, PhMappingTotals *totals, gchar *dest, GError **error)
{
	/* ASCII is the same bytes in every supported encoding. */
	const GString *bytes = codec->text;
	g_autoptr(GError) local = NULL;

	if (!ph_mapping_field_encode_value(type, field, value, totals, codec->text, error))
		return FALSE;
	if (!ph_encoding_is_ascii(codec->text->str, codec->text->len)) {
		bytes = codec->encoded;
		g_string_truncate(codec->encoded, 0);
		if (!ph_encoding_from_utf8(codec->encoding, codec->text->str, codec->text->len,
		                           codec->encoded, &local)) {
			g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
			            "record %s field %s: %s", type->kind,
			            PH_MAPPING_FIELD_NAME(field), local->message);
			return FALSE;
		}
	}
	return pad_into(codec->encoding, type, field, codec->text, bytes, dest, error);
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

/* A field the writer's preparer (fixed_prepare) already encoded. */
static gboolean
prepared_field(const PhMappingSlot *prepared, guint index)
{
	return prepared != NULL && index < 63 &&
	       ((guint64)prepared->number >> index & G_GUINT64_CONSTANT(1)) != 0;
}

/* @slot, or for a computed field left out its running value in @running, as the text the
 * generic encoder gives it (decimal, '-' when negative) written to @digits. */
static const PhMappingSlot *
value_or_running(const PhMappingField *field, const PhMappingSlot *slot, PhMappingTotals *totals,
                 PhMappingSlot *running, gchar digits[24])
{
	if (slot->state == PH_SLOT_TEXT || field->compute == PH_COMPUTE_NONE || totals == NULL)
		return slot;
	running->state = PH_SLOT_TEXT;
	running->text = digits;
	running->len =
	        (gsize)(ph_mapping_slots_put_int(digits, ph_mapping_totals_get(totals, field)) -
	                digits);
	return running;
}

static gboolean
fixed_writer_write_slots(gpointer state, const PhMappingRecord *type, const PhMappingSlot *slots,
                         const PhMappingSlot *prepared, PhMappingTotals *totals, GError **error)
{
	Fixed *fixed = state;
	PhLineLayout *writer = &fixed->base;
	FieldCodec codec = {writer->encoding, writer->text, writer->encoded};
	const PhMappingProgram *program = fixed->programs[type->index];
	gsize start = writer->buffer->len;
	gchar *line;

	fixed->totals = totals;
	if (!note_patches(fixed, type, slots, writer->flushed + start, error))
		return FALSE;
	g_string_set_size(writer->buffer, start + type->width);
	line = writer->buffer->str + start;
	if (prepared != NULL && type->fields->len < 63 &&
	    (guint64)prepared->number == (G_GUINT64_CONSTANT(1) << type->fields->len) - 1) {
		/* Every field prepared: the line as it is. */
		memcpy(line, prepared->text, type->width);
		return ph_mapping_io_layout_end_line(writer, error);
	}
	for (guint i = 0; i < type->fields->len; i++) {
		const PhMappingField *field = g_ptr_array_index(type->fields, i);
		const gchar *value = slots[i].state == PH_SLOT_TEXT ? slots[i].text : NULL;
		PhMappingSlot running;
		gchar digits[24];

		if (prepared_field(prepared, i)) {
			memcpy(line + field->offset, prepared->text + field->offset, field->bytes);
			continue;
		}
		/* The compiled step where it takes the value, as the preparer does (the same
		 * bytes); the generic encoder decides every refusal. */
		if (program != NULL &&
		    ph_mapping_program_encode(
		            program, i, writer->encoding,
		            value_or_running(field, &slots[i], totals, &running, digits),
		            writer->encoded, line + field->offset))
			continue;
		if (!encode_field(&codec, type, field, value, totals, line + field->offset,
		                  error)) {
			g_string_truncate(writer->buffer, start);
			return FALSE;
		}
	}
	return ph_mapping_io_layout_end_line(writer, error);
}

static gboolean
fixed_writer_write(gpointer state, const PhMappingRecord *type, const PhRecord *record,
                   PhMappingTotals *totals, GError **error)
{
	Fixed *fixed = state;

	ph_mapping_slots_from_record(type, record, fixed->slots);
	return fixed_writer_write_slots(state, type, fixed->slots, NULL, totals, error);
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
	g_string_set_size(writer->buffer, field->bytes);
	/* A number: ASCII, the same bytes in every encoding. */
	if (!pad_into(writer->encoding, patch->type, field, writer->text, writer->text,
	              writer->buffer->str, error) ||
	    !g_seekable_seek(G_SEEKABLE(writer->output), (goffset)patch->offset, G_SEEK_SET, NULL,
	                     error) ||
	    !g_output_stream_write_all(writer->output, writer->buffer->str, writer->buffer->len,
	                               NULL, NULL, error))
		return FALSE;
	g_string_truncate(writer->buffer, 0);
	return TRUE;
}

/* The writer's second thread: encodes, from canonical values alone, the fields that do not
 * depend on the records before (all but computed fields left out); the writer copies
 * those and encodes the rest, so any error is still found in record and field order. */
typedef struct {
	const Fixed *fixed;
	FieldCodec codec;
	GString *line;
	GString *value; /* a value as a string, for the generic encoder */
} Preparer;

static gpointer
fixed_prepare_new(gpointer state)
{
	Fixed *fixed = state;
	Preparer *preparer = g_new0(Preparer, 1);

	/* The mapping was loaded with this encoding: it cannot fail here. */
	preparer->codec.encoding = ph_encoding_new(fixed->base.mapping->encoding, NULL);
	preparer->codec.text = g_string_sized_new(256);
	preparer->codec.encoded = g_string_sized_new(256);
	preparer->line = g_string_sized_new(1024);
	preparer->value = g_string_sized_new(256);
	preparer->fixed = fixed;
	return preparer;
}

static void
fixed_prepare_free(gpointer data)
{
	Preparer *preparer = data;

	ph_encoding_free(preparer->codec.encoding);
	g_string_free(preparer->codec.text, TRUE);
	g_string_free(preparer->codec.encoded, TRUE);
	g_string_free(preparer->line, TRUE);
	g_string_free(preparer->value, TRUE);
	g_free(preparer);
}

/* One field: the compiled step where it takes the value, else the generic encoder. */
static gboolean
prepare_field(Preparer *preparer, const PhMappingRecord *type, guint index,
              const PhMappingSlot *slot, gchar *dest)
{
	const PhMappingProgram *program = preparer->fixed->programs[type->index];
	const PhMappingField *field = g_ptr_array_index(type->fields, index);
	const gchar *value = NULL;

	if (program != NULL && ph_mapping_program_encode(program, index, preparer->codec.encoding,
	                                                 slot, preparer->codec.encoded, dest))
		return TRUE;
	/* Left out and computed: the running value, the writer's own. */
	if (slot->state != PH_SLOT_TEXT && field->compute != PH_COMPUTE_NONE)
		return FALSE;
	if (slot->state == PH_SLOT_TEXT) {
		g_string_truncate(preparer->value, 0);
		g_string_append_len(preparer->value, slot->text, (gssize)slot->len);
		value = preparer->value->str;
	}
	return encode_field(&preparer->codec, type, field, value, NULL, dest, NULL);
}

static gboolean
fixed_prepare(gpointer data, const PhMappingRecord *type, const PhMappingSlot *slots,
              PhMappingSlot *prepared, const GString **scratch)
{
	Preparer *preparer = data;
	guint64 done = 0;
	gboolean all = type->fields->len < 63;

	g_string_set_size(preparer->line, type->width);
	for (guint i = 0; i < type->fields->len && i < 63; i++) {
		const PhMappingField *field = g_ptr_array_index(type->fields, i);

		if (prepare_field(preparer, type, i, &slots[i],
		                  preparer->line->str + field->offset))
			done |= G_GUINT64_CONSTANT(1) << i;
		else
			all = FALSE;
	}
	prepared->state = PH_SLOT_TEXT;
	prepared->text = preparer->line->str;
	prepared->len = type->width;
	prepared->number = (gint64)done;
	*scratch = preparer->line;
	return all;
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
        .reader_want_json = fixed_reader_want_json,
        .reader_json_due = fixed_reader_json_due,
        .reader_take_json = fixed_reader_take_json,
        .reader_want_json_fd = fixed_reader_want_json_fd,
        .reader_json_end = fixed_reader_json_end,
        .reader_next_run = fixed_reader_next_run,
        .reader_take_run = fixed_reader_take_run,
        .writer_write_slots = fixed_writer_write_slots,
        .writer_prepare_new = fixed_prepare_new,
        .writer_prepare_free = fixed_prepare_free,
        .writer_prepare = fixed_prepare,
};
