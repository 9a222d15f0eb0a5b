/* One field between partner text and canonical value: constants, types (digits, integers,
 * exact fen/yuan amounts), partner value maps, national code tables and identity checks.
 * The same code serves every layout. Mapping engine only. */
#include "ph-mapping-private.h"

#include <string.h>

#include "ph-error.h"
#include "ph-identity.h"

/* Significant digits that fit a gint64 of fen: 18 as fen, 16 as yuan (times 100). */
#define FEN_MAX_DIGITS  18
#define YUAN_MAX_DIGITS 16
/* "-92233720368547758.08" and a NUL fit. */
#define AMOUNT_TEXT_BYTES 32

static gboolean G_GNUC_PRINTF(4, 5)
        field_fail(GError **error, const PhMappingRecord *type, const PhMappingField *field,
                   const gchar *format, ...)
{
	va_list args;
	g_autofree gchar *message = NULL;

	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "record %s field %s: %s", type->kind,
	            PH_MAPPING_FIELD_NAME(field), message);
	return FALSE;
}

static gboolean
only_digits(const gchar *text, gsize len)
{
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isdigit(text[i]))
			return FALSE;
	}
	return TRUE;
}

gboolean
ph_mapping_field_parse_digits(const gchar *digits, gsize len, gsize max_digits, gsize *zeros,
                              gint64 *value)
{
	gsize lead = 0;
	gint64 number = 0;

	/* Eight zeros at a time: zero-padded amounts are mostly padding. */
	while (lead + 8 <= len && memcmp(digits + lead, "00000000", 8) == 0)
		lead += 8;
	while (lead < len && digits[lead] == '0')
		lead++;
	if (len - lead > max_digits)
		return FALSE;
	for (gsize i = lead; i < len; i++) {
		guint digit = (guint)(guchar)digits[i] - '0';

		if (digit > 9)
			return FALSE;
		number = number * 10 + digit;
	}
	*zeros = lead;
	*value = number;
	return TRUE;
}

gboolean
ph_mapping_field_parse_amount(const gchar *text, gsize len, gboolean yuan, gint64 *fen)
{
	gboolean negative = len > 0 && text[0] == '-';
	const gchar *digits = text + (negative ? 1 : 0);
	gsize n = len - (negative ? 1 : 0);
	const gchar *dot = yuan ? memchr(digits, '.', n) : NULL;
	gsize whole = dot != NULL ? (gsize)(dot - digits) : n;
	gsize decimals = dot != NULL ? n - whole - 1 : 0;
	gsize zeros = 0;
	gint64 value = 0;

	if (whole == 0 ||
	    !ph_mapping_field_parse_digits(digits, whole, yuan ? YUAN_MAX_DIGITS : FEN_MAX_DIGITS,
	                                   &zeros, &value))
		return FALSE;
	if (dot != NULL && (decimals == 0 || decimals > 2 || !only_digits(dot + 1, decimals)))
		return FALSE;
	if (yuan) {
		/* "12" -> 1200, "12.3" -> 1230, "12.34" -> 1234: exact, never through float. */
		value *= 100;
		if (decimals >= 1)
			value += (dot[1] - '0') * 10;
		if (decimals == 2)
			value += dot[2] - '0';
	}
	*fen = negative ? -value : value;
	return TRUE;
}

/* Decimal digits of @value ending at @end, at least @min_digits; returns where they start.
 * Without printf: a writer formats millions. */
static gchar *
format_digits(guint64 value, guint min_digits, gchar *end)
{
	gchar *p = end;

	do {
		*--p = (gchar)('0' + value % 10);
		value /= 10;
	} while (value > 0 || (guint)(end - p) < min_digits);
	return p;
}

/* @fen as text ending at the end of @text, NUL-terminated; returns where it starts. */
static gchar *
amount_text(gint64 fen, gboolean yuan, gchar text[AMOUNT_TEXT_BYTES])
{
	guint64 magnitude = fen < 0 ? (guint64)(-(fen + 1)) + 1 : (guint64)fen;
	gchar *end = text + AMOUNT_TEXT_BYTES - 1;
	gchar *start;

	*end = '\0';

	if (yuan) {
		/* "12.34": the fen as two digits after the point, the yuan before. */
		start = format_digits(magnitude % 100, 2, end);
		*--start = '.';
		start = format_digits(magnitude / 100, 1, start);
	} else {
		start = format_digits(magnitude, 1, end);
	}
	if (fen < 0)
		*--start = '-';
	return start;
}

void
ph_mapping_field_format_amount(gint64 fen, gboolean yuan, GString *out)
{
	gchar text[AMOUNT_TEXT_BYTES];

	g_string_append(out, amount_text(fen, yuan, text));
}

static gboolean
parse_integer(const gchar *text, gsize len, gint64 *value)
{
	return ph_mapping_field_parse_amount(text, len, FALSE, value);
}

static gboolean
check_identity(const PhMappingRecord *type, const PhMappingField *field, const gchar *value,
               GError **error)
{
	g_autoptr(GError) local = NULL;
	gboolean ok = TRUE;

	switch (field->check) {
	case PH_CHECK_CITIZEN_ID:
		ok = ph_identity_check_citizen_id(value, &local);
		break;
	case PH_CHECK_USCC:
		ok = ph_identity_check_uscc(value, &local);
		break;
	case PH_CHECK_LUHN:
		ok = ph_identity_check_luhn(value, &local);
		break;
	case PH_CHECK_NONE:
		break;
	}
	return ok || field_fail(error, type, field, "%s", local->message);
}

/* Code table and identity checks on a national (canonical) text value. */
static gboolean
check_national(const PhMappingRecord *type, const PhMappingField *field, const gchar *value,
               GError **error)
{
	g_autoptr(GError) local = NULL;

	if (value[0] == '\0')
		return TRUE;
	if (field->table != NULL && !ph_codetable_check(field->table, value, &local))
		return field_fail(error, type, field, "%s", local->message);
	return check_identity(type, field, value, error);
}

static gboolean
decode_text(const PhMappingRecord *type, const PhMappingField *field, const gchar *text, gsize len,
            PhMappingSlot *slot, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autofree gchar *copy = NULL;
	const gchar *national = text;

	if (field->type == PH_FIELD_DIGITS && !only_digits(text, len))
		return field_fail(error, type, field, "'%.*s' is not all digits", (int)len, text);
	if (field->map != NULL || field->table != NULL || field->check != PH_CHECK_NONE) {
		/* The checks want a string; a value the map leaves is @text itself. */
		copy = g_strndup(text, len);
		national = copy;
		if (field->map != NULL && len > 0 &&
		    (national = ph_valuemap_to_national(field->map, copy, &local)) == NULL)
			return field_fail(error, type, field, "%s", local->message);
		if (!check_national(type, field, national, error))
			return FALSE;
		len = strlen(national);
		national = national == copy ? text : national;
	}
	slot->state = PH_SLOT_TEXT;
	slot->text = national;
	slot->len = len;
	return TRUE;
}

gboolean
ph_mapping_field_decode_slot(const PhMappingRecord *type, const PhMappingField *field,
                             const gchar *text, gsize len, PhMappingSlot *slot, GError **error)
{
	gint64 number = 0;

	slot->state = PH_SLOT_ABSENT;
	if (field->constant != NULL &&
	    (len != field->constant_len || memcmp(text, field->constant, len) != 0))
		return field_fail(error, type, field, "expected '%s', found '%.*s'",
		                  field->constant, (int)len, text);
	if (field->key == NULL)
		return TRUE;
	if (len == 0 && field->required)
		return field_fail(error, type, field, "is empty");
	if (len == 0 && (field->type == PH_FIELD_INTEGER || field->type == PH_FIELD_AMOUNT))
		return TRUE; /* an optional number left empty: no key */
	if (field->type == PH_FIELD_TEXT || field->type == PH_FIELD_DIGITS)
		return decode_text(type, field, text, len, slot, error);
	if (!ph_mapping_field_parse_amount(text, len, field->type == PH_FIELD_AMOUNT && field->yuan,
	                                   &number))
		return field_fail(error, type, field, "'%.*s' is not %s", (int)len, text,
		                  field->type == PH_FIELD_INTEGER ? "an integer"
		                  : field->yuan ? "an amount in yuan with at most two decimals"
		                                : "an amount in fen");
	slot->state = PH_SLOT_INT;
	slot->number = number;
	return TRUE;
}

gboolean
ph_mapping_field_decode(const PhMappingRecord *type, const PhMappingField *field, const gchar *text,
                        gsize len, PhRecord *record, GError **error)
{
	PhMappingSlot slot;

	if (!ph_mapping_field_decode_slot(type, field, text, len, &slot, error))
		return FALSE;
	if (slot.state == PH_SLOT_TEXT)
		ph_record_append_static(record, field->key, slot.text, slot.len);
	else if (slot.state == PH_SLOT_INT)
		ph_record_append_static_int(record, field->key, slot.number);
	return TRUE;
}

gboolean
ph_mapping_field_decode_bytes(const PhMappingRecord *type, const PhMappingField *field,
                              PhEncoding *encoding, const gchar *bytes, gsize len, PhRecord *record,
                              GString *scratch, GError **error)
{
	g_autoptr(GError) local = NULL;

	/* ASCII is the same in every supported encoding: no conversion, no copy. */
	if (encoding == NULL || ph_encoding_is_ascii(bytes, len))
		return ph_mapping_field_decode(type, field, bytes, len, record, error);
	g_string_truncate(scratch, 0);
	if (!ph_encoding_to_utf8(encoding, bytes, len, scratch, &local))
		return field_fail(error, type, field, "%s", local->message);
	return ph_mapping_field_decode(type, field, scratch->str, scratch->len, record, error);
}

static gboolean
encode_number(const PhMappingRecord *type, const PhMappingField *field, const gchar *value,
              GString *out, GError **error)
{
	gint64 number = 0;

	if (!parse_integer(value, strlen(value), &number))
		return field_fail(error, type, field, "canonical value '%s' is not an integer",
		                  value);
	ph_mapping_field_format_amount(number, field->type == PH_FIELD_AMOUNT && field->yuan, out);
	return TRUE;
}

static gboolean
encode_text(const PhMappingRecord *type, const PhMappingField *field, const gchar *value,
            GString *out, GError **error)
{
	g_autoptr(GError) local = NULL;

	if (!check_national(type, field, value, error))
		return FALSE;
	if (field->map != NULL && value[0] != '\0' &&
	    (value = ph_valuemap_to_partner(field->map, value, &local)) == NULL)
		return field_fail(error, type, field, "%s", local->message);
	if (field->type == PH_FIELD_DIGITS && !only_digits(value, strlen(value)))
		return field_fail(error, type, field, "'%s' is not all digits", value);
	g_string_append(out, value);
	return TRUE;
}

gboolean
ph_mapping_field_encode(const PhMappingRecord *type, const PhMappingField *field,
                        const PhRecord *record, PhMappingTotals *totals, GString *out,
                        GError **error)
{
	const gchar *value = field->key != NULL ? ph_record_get(record, field->key) : NULL;

	return ph_mapping_field_encode_value(type, field, value, totals, out, error);
}

gboolean
ph_mapping_field_encode_value(const PhMappingRecord *type, const PhMappingField *field,
                              const gchar *value, PhMappingTotals *totals, GString *out,
                              GError **error)
{
	gchar computed[AMOUNT_TEXT_BYTES];

	g_string_truncate(out, 0);
	if (value == NULL && field->compute != PH_COMPUTE_NONE)
		value = amount_text(ph_mapping_totals_get(totals, field), FALSE, computed);
	if (value == NULL && field->constant != NULL)
		value = field->constant;
	if (value == NULL && field->required)
		return field_fail(error, type, field, "missing from the canonical record");
	if (value == NULL)
		return TRUE;
	if (field->constant != NULL && !g_str_equal(value, field->constant))
		return field_fail(error, type, field, "must be '%s', not '%s'", field->constant,
		                  value);
	if (field->required && value[0] == '\0')
		return field_fail(error, type, field, "is empty");
	if (field->type == PH_FIELD_INTEGER || field->type == PH_FIELD_AMOUNT)
		return encode_number(type, field, value, out, error);
	return encode_text(type, field, value, out, error);
}
