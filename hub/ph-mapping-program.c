/* A fixed-width record kind compiled into flat steps: a plain line decoded and written as
 * canonical JSON in one pass, a plain field encoded back. Mapping engine only. */
#include "ph-mapping-private.h"

#include <string.h>

#include "ph-json-text.h"

#define ONES  G_GUINT64_CONSTANT(0x0101010101010101)
#define HIGHS G_GUINT64_CONSTANT(0x8080808080808080)

typedef enum {
	STEP_SKIP,   /* neither key nor constant: not read */
	STEP_TAG,    /* a constant without a key: compared, not kept */
	STEP_TEXT,   /* text, or digits when @digits */
	STEP_NUMBER, /* an integer or an amount */
} StepKind;

typedef struct {
	StepKind kind;
	const PhMappingField *field;
	guint64 pads; /* the pad byte eight times */
	gboolean trim_left;
	gboolean trim_right;
	gboolean digits;
	gboolean yuan;
	/* The field's JSON key (,"KEY":) padded to sixteen bytes, copied whole and the
	 * value written over the rest; key_len 0 where it is longer. */
	gchar key16[16];
	gsize key_len;
	guint64 bit; /* its slot's in a mask of slots (all ones past the 64th) */
} Step;

struct _PhMappingProgram {
	const PhMappingRecord *type;
	Step *steps; /* one per field, in field order */
	guint n_steps;
	gsize json_room;
	gsize utf8_room; /* the most UTF-8 the line's texts decode to */
};

/* The step of @field; FALSE when the field needs the generic code (value maps, code tables,
 * identity checks, a keyed or non-ASCII constant). */
static gboolean
compile_step(const PhMappingField *field, Step *step)
{
	gboolean number = field->type == PH_FIELD_INTEGER || field->type == PH_FIELD_AMOUNT;

	/* A constant is compared as the bytes of the line: only an ASCII one reads the same
	 * in every encoding. */
	if (field->map != NULL || field->table != NULL || field->check != PH_CHECK_NONE ||
	    (field->constant != NULL &&
	     (field->key != NULL || !ph_encoding_is_ascii(field->constant, field->constant_len))))
		return FALSE;
	*step = (Step){.field = field, .pads = ONES * (guchar)field->pad};
	/* As the generic reader trims: zero-padded numbers keep their zeros (they are the
	 * number), other numbers lose padding on both sides, text on its aligned side. */
	if (field->type != PH_FIELD_TEXT && field->pad == '0') {
		step->trim_left = step->trim_right = FALSE;
	} else {
		step->trim_right = field->type != PH_FIELD_TEXT || !field->align_right;
		step->trim_left = field->type != PH_FIELD_TEXT || field->align_right;
	}
	if (field->constant != NULL)
		step->kind = STEP_TAG;
	else if (field->key == NULL)
		step->kind = STEP_SKIP;
	else
		step->kind = number ? STEP_NUMBER : STEP_TEXT;
	if (field->json_key != NULL && field->json_key_len <= sizeof step->key16) {
		memcpy(step->key16, field->json_key, field->json_key_len);
		step->key_len = field->json_key_len;
	}
	step->digits = field->type == PH_FIELD_DIGITS;
	step->yuan = field->type == PH_FIELD_AMOUNT && field->yuan;
	return TRUE;
}

PhMappingProgram *
ph_mapping_program_new(const PhMappingRecord *type)
{
	g_autofree Step *steps = g_new0(Step, type->fields->len + 1);
	PhMappingProgram *program;
	gsize room = type->json_kind_len + 2;
	gsize utf8_room = 1;

	for (guint i = 0; i < type->fields->len; i++) {
		const PhMappingField *field = g_ptr_array_index(type->fields, i);

		if (!compile_step(field, &steps[i]))
			return NULL;
		steps[i].bit = i < 64 ? G_GUINT64_CONSTANT(1) << i : ~G_GUINT64_CONSTANT(0);
		/* Decoded text takes at most three bytes for two; a number at most 20. */
		room += field->json_key_len + 2 * field->bytes + 24;
		utf8_room += 2 * field->bytes + 4;
	}
	program = g_new0(PhMappingProgram, 1);
	program->type = type;
	program->steps = g_steal_pointer(&steps);
	program->n_steps = type->fields->len;
	program->json_room = room;
	program->utf8_room = utf8_room;
	return program;
}

void
ph_mapping_program_free(PhMappingProgram *program)
{
	if (program == NULL)
		return;
	g_free(program->steps);
	g_free(program);
}

/* Removes the pad bytes at either end the step trims, eight at a time at the end (names
 * and memos are mostly padding). */
static inline void
trim(const Step *step, const gchar **text, gsize *len)
{
	gchar pad = step->field->pad;

	if (step->trim_right) {
		guint64 word;

		while (*len >= 8 && (memcpy(&word, *text + *len - 8, 8), word == step->pads))
			*len -= 8;
		/* The pads that end the last word: its high bytes (little-endian) equal to the
		 * pad, the zero bytes that lead word ^ pads. */
		if (*len >= 8 && G_BYTE_ORDER == G_LITTLE_ENDIAN)
			*len -= (gsize)__builtin_clzll(word ^ step->pads) / 8;
		while (*len > 0 && (*text)[*len - 1] == pad)
			(*len)--;
	}
	if (step->trim_left) {
		while (*len > 0 && **text == pad) {
			(*text)++;
			(*len)--;
		}
	}
}

/* What the text holds, eight bytes at a time: bytes >= 0x80, and ASCII that JSON escapes
 * (a control character, '"' or '\\'); exact for ASCII words. */
enum {
	TEXT_HIGH = 1,
	TEXT_SPECIAL = 2,
};

static inline guint64
special8(guint64 word)
{
	guint64 quote = word ^ (ONES * '"');
	guint64 backslash = word ^ (ONES * '\\');

	return (((word - ONES * 0x20) & ~word) | ((quote - ONES) & ~quote) |
	        ((backslash - ONES) & ~backslash)) &
	       HIGHS;
}

/* Sixteen bytes at a time where the text has them (GCC's vector types: SSE2 on x86-64,
 * NEON on ARM, plain words elsewhere): the lanes JSON escapes and the high bits. */
typedef guchar Bytes16 __attribute__((vector_size(16)));

static inline void
classify16(const gchar *at, Bytes16 *high, Bytes16 *special)
{
	Bytes16 v;

	memcpy(&v, at, 16);
	*high |= v;
	*special |= (Bytes16)(v < 0x20) | (Bytes16)(v == '"') | (Bytes16)(v == '\\');
}

G_ALWAYS_INLINE static inline guint
classify(const gchar *text, gsize len)
{
	guint64 high = 0, special = 0;
	gsize i = 0;

	if (len >= 16) {
		Bytes16 high16 = {0}, special16 = {0};
		guint64 words[4];

		for (; i + 16 <= len; i += 16)
			classify16(text + i, &high16, &special16);
		/* The rest as the sixteen bytes that end the text. */
		if (i < len)
			classify16(text + len - 16, &high16, &special16);
		i = len;
		memcpy(words, &high16, 16);
		memcpy(words + 2, &special16, 16);
		high = words[0] | words[1];
		special = words[2] | words[3];
	}
	for (; i + 8 <= len; i += 8) {
		guint64 word;

		memcpy(&word, text + i, 8);
		high |= word;
		special |= special8(word);
	}
	if (i < len && len >= 8) {
		guint64 word;

		/* The rest as the word that ends the text. */
		memcpy(&word, text + len - 8, 8);
		high |= word;
		special |= special8(word);
		i = len;
	}
	if (i < len && len >= 4) {
		/* Four to seven (a short name, a code): its first and last four bytes, which
		 * cover it, as one word. */
		guint32 first, last;
		guint64 word;

		memcpy(&first, text, 4);
		memcpy(&last, text + len - 4, 4);
		word = (guint64)first | (guint64)last << 32;
		high |= word;
		special |= special8(word);
		i = len;
	}
	for (; i < len; i++) {
		guchar c = (guchar)text[i];

		high |= c;
		special |= c < 0x20 || c == '"' || c == '\\';
	}
	return ((high & HIGHS) != 0 ? TEXT_HIGH : 0) | (special != 0 ? TEXT_SPECIAL : 0);
}

static inline gboolean
all_digits(const gchar *text, gsize len)
{
	for (gsize i = 0; i < len; i++) {
		if ((guint)(guchar)text[i] - '0' > 9)
			return FALSE;
	}
	return TRUE;
}

/* A text field: ASCII is kept where it lies, GB18030 decoded into @utf8 (room made for the
 * whole line). FALSE for anything the generic code must judge or escape. */
static inline gboolean
run_text(const Step *step, PhEncoding *encoding, const gchar *text, gsize len, PhMappingSlot *slot,
         GString *utf8, guint64 *in_utf8)
{
	guint what = classify(text, len);
	gssize written;

	if (len == 0 && step->field->required)
		return FALSE;
	if (what == 0) {
		if (step->digits && !all_digits(text, len))
			return FALSE;
		*slot = (PhMappingSlot){.text = text, .len = len, .state = PH_SLOT_TEXT};
		return TRUE;
	}
	if (what != TEXT_HIGH || step->digits)
		return FALSE;
	/* No byte of @text is one JSON escapes, so no ASCII of its UTF-8 is: multi-byte
	 * characters decode to bytes >= 0x80 in UTF-8, and ASCII stays what it was. */
	written = ph_encoding_to_utf8_fast(encoding, text, len, utf8->str + utf8->len);
	if (written < 0)
		return FALSE;
	*slot = (PhMappingSlot){
	        .text = utf8->str + utf8->len, .len = (gsize)written, .state = PH_SLOT_TEXT};
	utf8->len += (gsize)written;
	*in_utf8 |= step->bit;
	return TRUE;
}

/* Eight ASCII bytes as a little-endian word (the first byte lowest): TRUE when all are
 * digits, with their value and how many zeros lead them (eight for zero). */
static inline gboolean
digits8(guint64 word, guint64 *value, gsize *zeros)
{
	guint64 v = word - ONES * '0';

	/* Each byte 0x30..0x3F, and still 0x3_ with 6 added (0x3A..0x3F become 0x4_). */
	if ((word & ONES * 0xF0) != ONES * 0x30 || ((word + ONES * 6) & ONES * 0xF0) != ONES * 0x30)
		return FALSE;
	*zeros = v == 0 ? 8 : (gsize)__builtin_ctzll(v) / 8;
	/* Pairs, then fours, then all eight: each step's multiplier is base * 2^shift + 1. */
	v = (v * 2561) >> 8 & G_GUINT64_CONSTANT(0x00FF00FF00FF00FF);
	v = (v * 6553601) >> 16 & G_GUINT64_CONSTANT(0x0000FFFF0000FFFF);
	*value = (v * G_GUINT64_CONSTANT(42949672960001)) >> 32;
	return TRUE;
}

/* ph_mapping_field_parse_digits() for 8 to 16 bytes (a serial, an amount of fen), word by
 * word: the first len - 8 digits with zeros before them, then the last eight. */
static inline gboolean
digits_8_to_16(const gchar *text, gsize len, gsize *zeros, gint64 *value)
{
	guint64 high = 0, low = 0, word;
	gsize k = len - 8, high_zeros = 8, low_zeros = 0;

	/* read as little-endian words on any host: digits8 takes the first byte as the lowest */
	memcpy(&word, text + k, 8);
	if (!digits8(GUINT64_FROM_LE(word), &low, &low_zeros))
		return FALSE;
	if (k > 0) {
		memcpy(&word, text, 8);
		word = GUINT64_FROM_LE(word);
		if (k < 8)
			word = word << (8 * (8 - k)) | (ONES * '0') >> (8 * k);
		if (!digits8(word, &high, &high_zeros))
			return FALSE;
	}
	/* The zeros put before the first k digits are not in the text. */
	*zeros = high_zeros < 8 ? high_zeros - (8 - k) : k + low_zeros;
	*value = (gint64)(high * 100000000 + low);
	return TRUE;
}

/* Plain digits as a count or fen, the common case: the value, and its canonical JSON as
 * the digits after the leading zeros (the number put_int writes), set in the slot's text.
 * FALSE for anything else (a sign, yuan, more digits than a gint64 of fen holds). */
static inline gboolean
plain_number(const gchar *text, gsize len, PhMappingSlot *slot)
{
	gsize zeros = 0;
	gint64 value = 0;

	/* As ph_mapping_field_parse_amount() reads fen: at most 18 significant digits (16
	 * digits never have more). */
	if (len >= 8 && len <= 16 ? !digits_8_to_16(text, len, &zeros, &value)
	                          : !ph_mapping_field_parse_digits(text, len, 18, &zeros, &value))
		return FALSE;
	/* Zero itself is written as one zero. */
	zeros = MIN(zeros, len - 1);
	*slot = (PhMappingSlot){
	        .text = text + zeros, .len = len - zeros, .number = value, .state = PH_SLOT_INT};
	return TRUE;
}

static inline gboolean
run_number(const Step *step, const gchar *text, gsize len, PhMappingSlot *slot)
{
	slot->state = PH_SLOT_ABSENT;
	if (len == 0)
		return !step->field->required; /* an optional number left empty: no key */
	if (!step->yuan && plain_number(text, len, slot))
		return TRUE;
	if (!ph_mapping_field_parse_amount(text, len, step->yuan, &slot->number))
		return FALSE;
	slot->text = NULL;
	slot->state = PH_SLOT_INT;
	return TRUE;
}

static inline gboolean
run_step(const Step *step, PhEncoding *encoding, const gchar *line, PhMappingSlot *slot,
         GString *utf8, guint64 *in_utf8)
{
	const PhMappingField *field = step->field;
	const gchar *text = line + field->offset;
	gsize len = field->bytes;

	trim(step, &text, &len);
	switch (step->kind) {
	case STEP_TEXT:
		return run_text(step, encoding, text, len, slot, utf8, in_utf8);
	case STEP_NUMBER:
		return run_number(step, text, len, slot);
	case STEP_TAG:
		slot->state = PH_SLOT_ABSENT;
		return len == field->constant_len &&
		       ph_mapping_same_bytes(text, field->constant, len);
	case STEP_SKIP:
		slot->state = PH_SLOT_ABSENT;
		return TRUE;
	}
	return FALSE;
}

/* @len bytes from @src at @p, returning their end: the short keys and values of a line
 * copied by a few overlapping word moves instead of a call each. */
static inline gchar *
put_bytes(gchar *p, const gchar *src, gsize len)
{
	guint64 a, b, c, d;
	guint32 x, y;

	if (len >= 8 && len <= 32) {
		gsize half = len > 16 ? 16 : 8; /* the first and last @half bytes cover them */

		memcpy(&a, src, 8);
		memcpy(&b, src + half - 8, 8);
		memcpy(&c, src + len - half, 8);
		memcpy(&d, src + len - 8, 8);
		memcpy(p, &a, 8);
		memcpy(p + half - 8, &b, 8);
		memcpy(p + len - half, &c, 8);
		memcpy(p + len - 8, &d, 8);
	} else if (len >= 4 && len < 8) {
		memcpy(&x, src, 4);
		memcpy(&y, src + len - 4, 4);
		memcpy(p, &x, 4);
		memcpy(p + len - 4, &y, 4);
	} else {
		memcpy(p, src, len);
	}
	return p + len;
}

/* One field of the record's JSON line at @p, as ph_mapping_slots_append_json() writes it
 * (nothing for an absent value); the texts need no escape (run_text made sure). */
static inline gchar *
put_field(gchar *p, const Step *step, const PhMappingSlot *slot)
{
	const PhMappingField *field = step->field;

	if (slot->state == PH_SLOT_ABSENT)
		return p;
	if (step->key_len > 0) {
		/* Within the room: the value's, at least sixteen bytes, follows. */
		memcpy(p, step->key16, sizeof step->key16);
		p += step->key_len;
	} else {
		p = put_bytes(p, field->json_key, field->json_key_len);
	}
	if (slot->state == PH_SLOT_INT && slot->text == NULL)
		return ph_mapping_slots_put_int(p, slot->number);
	if (slot->state == PH_SLOT_INT)
		return put_bytes(p, slot->text, slot->len);
	*p++ = '"';
	p = put_bytes(p, slot->text, slot->len);
	*p++ = '"';
	return p;
}

/* The JSON line is written field by field as the steps decode them, into room reserved
 * beyond the end of @json: it is taken (ph_json_text_end) only once every step took its
 * field, so a line left to the generic code appends nothing. */
gboolean
ph_mapping_program_run(const PhMappingProgram *program, PhEncoding *encoding, const gchar *line,
                       PhMappingSlot *slots, GString *utf8, guint64 *in_utf8, GString *json)
{
	const PhMappingRecord *type = program->type;
	gchar *p = NULL;

	*in_utf8 = 0;
	/* Room for every text of the line at once: the slots point there, nothing moves. */
	if (utf8->allocated_len <= program->utf8_room)
		g_string_set_size(utf8, program->utf8_room);
	utf8->len = 0;
	if (json != NULL)
		p = put_bytes(ph_json_text_reserve(json, program->json_room), type->json_kind,
		              type->json_kind_len);
	for (guint i = 0; i < program->n_steps; i++) {
		if (!run_step(&program->steps[i], encoding, line, &slots[i], utf8, in_utf8))
			return FALSE;
		if (p != NULL)
			p = put_field(p, &program->steps[i], &slots[i]);
	}
	if (p != NULL) {
		*p++ = '}';
		*p++ = '\n';
		ph_json_text_end(json, p);
	}
	return TRUE;
}

/* The canonical digits of a plain number as the generic encoder formats it: fen as they
 * are without leading zeros, yuan with two decimals. FALSE for anything else (a sign,
 * more digits than a gint64 of fen holds), which the generic encoder judges. */
static gboolean
format_number(const Step *step, const gchar *text, gsize len, gchar buffer[32], const gchar **out,
              gsize *out_len)
{
	PhMappingSlot digits;
	gchar *p = buffer;
	gsize n;

	if (len == 0 || !plain_number(text, len, &digits))
		return FALSE;
	n = digits.len;
	if (!step->yuan) {
		*out = digits.text;
		*out_len = n;
		return TRUE;
	}
	/* "5" -> "0.05", "1234" -> "12.34": the fen as two decimals. */
	if (n <= 2) {
		*p++ = '0';
	} else {
		memcpy(p, digits.text, n - 2);
		p += n - 2;
	}
	*p++ = '.';
	if (n == 1)
		*p++ = '0';
	memcpy(p, digits.text + n - MIN(n, 2), MIN(n, 2));
	p += MIN(n, 2);
	*out = buffer;
	*out_len = (gsize)(p - buffer);
	return TRUE;
}

/* The partner text (UTF-8) of a step for @slot, as the generic encoder makes it; FALSE
 * where it must decide (a value it may refuse, a running computed value). */
static gboolean
encode_value(const Step *step, const PhMappingSlot *slot, gchar buffer[32], const gchar **text,
             gsize *len)
{
	const PhMappingField *field = step->field;

	if (slot->state != PH_SLOT_TEXT) {
		if (field->compute != PH_COMPUTE_NONE || field->required)
			return FALSE;
		*text = step->kind == STEP_TAG ? field->constant : "";
		*len = step->kind == STEP_TAG ? field->constant_len : 0;
		return TRUE;
	}
	*text = slot->text;
	*len = slot->len;
	if (step->kind != STEP_TEXT && step->kind != STEP_NUMBER)
		return FALSE;
	if (*len == 0 && field->required)
		return FALSE;
	if (step->kind == STEP_NUMBER)
		return format_number(step, slot->text, slot->len, buffer, text, len);
	return !step->digits || all_digits(*text, *len);
}

gboolean
ph_mapping_program_encode(const PhMappingProgram *program, guint index, PhEncoding *encoding,
                          const PhMappingSlot *slot, GString *scratch, gchar *dest)
{
	const Step *step = &program->steps[index];
	const PhMappingField *field = step->field;
	gchar buffer[32];
	const gchar *text = NULL;
	gsize len = 0;

	if (!encode_value(step, slot, buffer, &text, &len))
		return FALSE;
	/* Numbers and digits are ASCII (encode_value made sure); text is tested. */
	if (step->kind == STEP_TEXT && !step->digits && (classify(text, len) & TEXT_HIGH) != 0) {
		gssize written;

		g_string_set_size(scratch, len);
		written = ph_encoding_from_utf8_fast(encoding, text, len, scratch->str);
		if (written < 0)
			return FALSE;
		text = scratch->str;
		len = (gsize)written;
	}
	/* Too long (cut or refused) or negative and zero-padded: the generic encoder. */
	if (len > field->bytes || (field->pad == '0' && len > 0 && text[0] == '-'))
		return FALSE;
	if (field->align_right) {
		memset(dest, field->pad, field->bytes - len);
		memcpy(dest + field->bytes - len, text, len);
	} else {
		memcpy(dest, text, len);
		memset(dest + len, field->pad, field->bytes - len);
	}
	return TRUE;
}
