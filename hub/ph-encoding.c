/* UTF-8 and GB18030/GBK for partner files: boundary scanning is done here (it must be
 * exact and fast); the character tables come from the C library through g_iconv, read once
 * into lookup tables for the two-byte range. Hub layer. */
#include "ph-encoding.h"

#include <errno.h>
#include <string.h>

#include "ph-error.h"

/* The two-byte range of GB18030/GBK (lead 81-FE, trail 40-FE) decoded once through the C
 * library's own converter, so that the common characters need no g_iconv per field and the
 * result is iconv's by construction. Four-byte sequences outside it are arithmetic
 * (supplementary planes) or go through g_iconv (the rare four-byte BMP characters). */
#define GB_LEADS          126 /* 81..FE */
#define GB_TRAILS         191 /* 40..FE; 7F is not a trail and stays empty */
#define SUPPLEMENTARY_MAX 16

typedef struct {
	/* UTF-8 bytes of a two-byte code, packed from the low byte, the length in the top
	 * byte; 0 when the code is not a character iconv knows (the slow path decides). */
	guint32 to_utf8[GB_LEADS * GB_TRAILS];
	/* The two-byte code (lead << 8 | trail) of a BMP character, 0 when it has none. */
	guint16 from_bmp[0x10000];
	/* Supplementary characters that have a two-byte code (GB 18030—2005 maps FE51 to
	 * U+20087, …): these are not written in their four-byte form, iconv writes them. */
	gunichar two_byte_supplementary[SUPPLEMENTARY_MAX];
	guint n_two_byte_supplementary; /* more than the array holds: all goes through iconv */
} GbTables;

struct _PhEncoding {
	PhEncodingKind kind;
	const gchar *name;
	GIConv to_utf8;         /* (GIConv)-1 for UTF-8 */
	GIConv from_utf8;       /* (GIConv)-1 for UTF-8 */
	const GbTables *tables; /* built at the first non-ASCII conversion */
};

static const struct {
	const gchar *name;
	PhEncodingKind kind;
} known_encodings[] = {
        {"UTF-8", PH_ENCODING_UTF8},
        {"GB18030", PH_ENCODING_GB18030},
        {"GBK", PH_ENCODING_GBK},
};

PhEncoding *
ph_encoding_new(const gchar *name, GError **error)
{
	g_autoptr(PhEncoding) encoding = g_new0(PhEncoding, 1);

	g_return_val_if_fail(name != NULL, NULL);
	encoding->to_utf8 = (GIConv)-1;
	encoding->from_utf8 = (GIConv)-1;
	for (guint i = 0; i < G_N_ELEMENTS(known_encodings); i++) {
		if (g_ascii_strcasecmp(name, known_encodings[i].name) == 0) {
			encoding->kind = known_encodings[i].kind;
			encoding->name = known_encodings[i].name;
		}
	}
	if (encoding->name == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
		            "unknown encoding '%s' (UTF-8, GB18030 or GBK)", name);
		return NULL;
	}
	if (encoding->kind == PH_ENCODING_UTF8)
		return g_steal_pointer(&encoding);
	encoding->to_utf8 = g_iconv_open("UTF-8", encoding->name);
	encoding->from_utf8 = g_iconv_open(encoding->name, "UTF-8");
	if (encoding->to_utf8 == (GIConv)-1 || encoding->from_utf8 == (GIConv)-1) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "the C library cannot convert %s: %s",
		            encoding->name, g_strerror(errno));
		return NULL;
	}
	return g_steal_pointer(&encoding);
}

void
ph_encoding_free(PhEncoding *encoding)
{
	if (encoding == NULL)
		return;
	if (encoding->to_utf8 != (GIConv)-1)
		g_iconv_close(encoding->to_utf8);
	if (encoding->from_utf8 != (GIConv)-1)
		g_iconv_close(encoding->from_utf8);
	g_free(encoding);
}

PhEncodingKind
ph_encoding_get_kind(const PhEncoding *encoding)
{
	return encoding->kind;
}

const gchar *
ph_encoding_get_name(const PhEncoding *encoding)
{
	return encoding->name;
}

static gint
utf8_char_len(const guchar *bytes, gsize avail)
{
	gunichar ch = g_utf8_get_char_validated((const gchar *)bytes, (gssize)avail);

	if (ch == (gunichar)-2)
		return 0;
	if (ch == (gunichar)-1)
		return -1;
	return (gint)g_unichar_to_utf8(ch, NULL);
}

/* GB18030: 00-7F single; 81-FE followed by 40-7E/80-FE (two bytes) or by 30-39, 81-FE,
 * 30-39 (four bytes). GBK has only the first two forms. */
static gint
gb_char_len(PhEncodingKind kind, const guchar *bytes, gsize avail)
{
	if (bytes[0] < 0x80)
		return 1;
	if (bytes[0] == 0x80 || bytes[0] == 0xFF)
		return -1;
	if (avail < 2)
		return 0;
	if ((bytes[1] >= 0x40 && bytes[1] <= 0x7E) || (bytes[1] >= 0x80 && bytes[1] <= 0xFE))
		return 2;
	if (kind == PH_ENCODING_GBK || bytes[1] < 0x30 || bytes[1] > 0x39)
		return -1;
	if (avail < 3)
		return 0;
	if (bytes[2] < 0x81 || bytes[2] > 0xFE)
		return -1;
	if (avail < 4)
		return 0;
	if (bytes[3] < 0x30 || bytes[3] > 0x39)
		return -1;
	return 4;
}

gint
ph_encoding_char_len(const PhEncoding *encoding, const guchar *bytes, gsize avail)
{
	g_return_val_if_fail(encoding != NULL && bytes != NULL, -1);
	if (avail == 0)
		return 0;
	if (bytes[0] < 0x80)
		return 1;
	if (encoding->kind == PH_ENCODING_UTF8)
		return utf8_char_len(bytes, avail);
	return gb_char_len(encoding->kind, bytes, avail);
}

/* Length of the leading run of ASCII bytes, eight at a time: most fields are ASCII. */
static gsize
ascii_run(const guchar *text, gsize len)
{
	gsize offset = 0;

	for (; offset + 8 <= len; offset += 8) {
		guint64 word;

		memcpy(&word, text + offset, 8);
		if ((word & G_GUINT64_CONSTANT(0x8080808080808080)) != 0)
			break;
	}
	while (offset < len && text[offset] < 0x80)
		offset++;
	return offset;
}

gboolean
ph_encoding_scan(const PhEncoding *encoding, const gchar *bytes, gsize len, gsize *bad_offset,
                 gboolean *cut)
{
	const guchar *text = (const guchar *)bytes;
	gsize offset = 0;

	while (offset < len) {
		gint char_len;

		offset += ascii_run(text + offset, len - offset);
		if (offset >= len)
			break;
		char_len = ph_encoding_char_len(encoding, text + offset, len - offset);
		if (char_len <= 0) {
			if (bad_offset != NULL)
				*bad_offset = offset;
			if (cut != NULL)
				*cut = char_len == 0;
			return FALSE;
		}
		offset += (gsize)char_len;
	}
	return TRUE;
}

gboolean
ph_encoding_is_ascii(const gchar *bytes, gsize len)
{
	return ascii_run((const guchar *)bytes, len) == len;
}

/* Fills the entries of one two-byte code: iconv decodes it, and it is the code iconv
 * writes for its character only when the round trip gives it back. */
static void
gb_tables_add(GbTables *tables, const PhEncoding *encoding, guchar lead, guchar trail)
{
	gchar code[2] = {(gchar)lead, (gchar)trail};
	gchar utf8[8], back[8];
	gchar *in = code, *out = utf8;
	gsize in_left = sizeof code, out_left = sizeof utf8, n;
	guint32 entry = 0;

	g_iconv(encoding->to_utf8, NULL, NULL, NULL, NULL);
	if (g_iconv(encoding->to_utf8, &in, &in_left, &out, &out_left) == (gsize)-1 || in_left != 0)
		return;
	n = sizeof utf8 - out_left;
	if (n == 4 && tables->n_two_byte_supplementary++ < SUPPLEMENTARY_MAX)
		tables->two_byte_supplementary[tables->n_two_byte_supplementary - 1] =
		        g_utf8_get_char(utf8);
	if (n < 2 || n > 3)
		return; /* not a BMP character beyond ASCII: left to iconv */
	for (gsize i = 0; i < n; i++)
		entry |= (guint32)(guchar)utf8[i] << (8 * i);
	tables->to_utf8[(lead - 0x81) * GB_TRAILS + (trail - 0x40)] = entry | (guint32)n << 24;
	in = utf8;
	in_left = n;
	out = back;
	out_left = sizeof back;
	g_iconv(encoding->from_utf8, NULL, NULL, NULL, NULL);
	if (g_iconv(encoding->from_utf8, &in, &in_left, &out, &out_left) != (gsize)-1 &&
	    sizeof back - out_left == 2 && memcmp(back, code, 2) == 0)
		tables->from_bmp[g_utf8_get_char(utf8)] = (guint16)(lead << 8 | trail);
}

/* The tables of @encoding's kind, built once per process with its converters (the caller
 * owns them; other threads wait in g_once_init_enter()). */
static const GbTables *
gb_tables(PhEncoding *encoding)
{
	static gsize built[PH_ENCODING_GBK + 1];
	gsize *slot = &built[encoding->kind];

	if (encoding->tables != NULL)
		return encoding->tables;
	if (g_once_init_enter(slot)) {
		GbTables *tables = g_new0(GbTables, 1);

		for (guint lead = 0x81; lead <= 0xFE; lead++) {
			for (guint trail = 0x40; trail <= 0xFE; trail++) {
				if (trail != 0x7F)
					gb_tables_add(tables, encoding, (guchar)lead,
					              (guchar)trail);
			}
		}
		g_once_init_leave(slot, (gsize)tables);
	}
	encoding->tables = (const GbTables *)*slot;
	return encoding->tables;
}

/* GB18030 four-byte sequences 90 30 81 30 .. E3 32 9A 35 are U+10000 .. U+10FFFF in
 * order (GB 18030—2005 §6.3.3): counted in bases 10, 126, 10. */
static gboolean
gb_four_byte_decode(const guchar *bytes, gsize avail, gunichar *ch)
{
	guint32 linear;

	if (avail < 4 || bytes[0] < 0x90 || bytes[0] > 0xE3 || bytes[1] < 0x30 || bytes[1] > 0x39 ||
	    bytes[2] < 0x81 || bytes[2] > 0xFE || bytes[3] < 0x30 || bytes[3] > 0x39)
		return FALSE;
	linear = (((guint32)(bytes[0] - 0x90) * 10 + (bytes[1] - 0x30)) * 126 + (bytes[2] - 0x81)) *
	                 10 +
	         (bytes[3] - 0x30);
	*ch = 0x10000 + linear;
	return *ch <= 0x10FFFF;
}

static void
gb_four_byte_encode(gunichar ch, guchar *out)
{
	guint32 linear = ch - 0x10000;

	out[3] = (guchar)(0x30 + linear % 10);
	linear /= 10;
	out[2] = (guchar)(0x81 + linear % 126);
	linear /= 126;
	out[1] = (guchar)(0x30 + linear % 10);
	out[0] = (guchar)(0x90 + linear / 10);
}

/* GB18030/GBK to UTF-8 through the tables, at @out (room for 2 × @len + 4 bytes); the
 * bytes written, or -1 for anything they do not hold (invalid, cut short, four-byte BMP,
 * unmapped): the exact slow path decides those. */
static gssize
gb_decode_into(PhEncoding *encoding, const guchar *text, gsize len, guchar *out)
{
	const GbTables *tables = encoding->tables != NULL ? encoding->tables : gb_tables(encoding);
	const guchar *p = text, *end = text + len;
	guchar *start = out;

	while (p < end) {
		guint lead = p[0], trail;
		guint32 entry;
		gunichar ch;

		if (lead < 0x80) {
			*out++ = (guchar)lead;
			p++;
			continue;
		}
		/* A lead byte 81..FE with a byte after it. */
		if (lead - 0x81 > 0xFE - 0x81 || end - p < 2)
			return -1;
		trail = p[1];
		if (trail - 0x40 <= 0xFE - 0x40) {
			entry = tables->to_utf8[(lead - 0x81) * GB_TRAILS + (trail - 0x40)];
			if (entry == 0)
				return -1;
			/* One 4-byte store, its length byte last: it may run two past the
			 * character, within the room (the next character writes over it). */
			entry = GUINT32_TO_LE(entry);
			memcpy(out, &entry, 4);
			out += GUINT32_FROM_LE(entry) >> 24;
			p += 2;
			continue;
		}
		if (encoding->kind != PH_ENCODING_GB18030 ||
		    !gb_four_byte_decode(p, (gsize)(end - p), &ch))
			return -1;
		/* U+10000..U+10FFFF: four bytes of UTF-8. */
		out[0] = (guchar)(0xF0 | ch >> 18);
		out[1] = (guchar)(0x80 | (ch >> 12 & 0x3F));
		out[2] = (guchar)(0x80 | (ch >> 6 & 0x3F));
		out[3] = (guchar)(0x80 | (ch & 0x3F));
		out += 4;
		p += 4;
	}
	return out - start;
}

gssize
ph_encoding_to_utf8_fast(PhEncoding *encoding, const gchar *bytes, gsize len, gchar *out)
{
	if (encoding->kind != PH_ENCODING_UTF8)
		return gb_decode_into(encoding, (const guchar *)bytes, len, (guchar *)out);
	if (!g_utf8_validate_len(bytes, len, NULL))
		return -1;
	memcpy(out, bytes, len);
	return (gssize)len;
}

static gboolean
gb_two_byte_supplementary(const GbTables *tables, gunichar ch)
{
	if (tables->n_two_byte_supplementary > SUPPLEMENTARY_MAX)
		return TRUE;
	for (guint i = 0; i < tables->n_two_byte_supplementary; i++) {
		if (tables->two_byte_supplementary[i] == ch)
			return TRUE;
	}
	return FALSE;
}

/* The character at @p (before @end) when it is well-formed UTF-8 that g_utf8_validate()
 * accepts (shortest form, no surrogate, no NUL, at most U+10FFFF), its length in *@len;
 * else (gunichar)-1, and the caller's slow path judges the text. */
static inline gunichar
utf8_strict_char(const guchar *p, const guchar *end, gsize *len)
{
	guchar c = p[0];
	gsize avail = (gsize)(end - p);
	gunichar ch;

	if (c >= 0xC2 && c <= 0xDF && avail >= 2 && (p[1] & 0xC0) == 0x80) {
		*len = 2;
		return (gunichar)(c & 0x1F) << 6 | (p[1] & 0x3F);
	}
	if (c >= 0xE0 && c <= 0xEF && avail >= 3 && (p[1] & 0xC0) == 0x80 &&
	    (p[2] & 0xC0) == 0x80) {
		ch = (gunichar)(c & 0x0F) << 12 | (gunichar)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
		*len = 3;
		return ch >= 0x800 && (ch < 0xD800 || ch > 0xDFFF) ? ch : (gunichar)-1;
	}
	if (c >= 0xF0 && c <= 0xF4 && avail >= 4 && (p[1] & 0xC0) == 0x80 &&
	    (p[2] & 0xC0) == 0x80 && (p[3] & 0xC0) == 0x80) {
		ch = (gunichar)(c & 0x07) << 18 | (gunichar)(p[1] & 0x3F) << 12 |
		     (gunichar)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
		*len = 4;
		return ch >= 0x10000 && ch <= 0x10FFFF ? ch : (gunichar)-1;
	}
	return (gunichar)-1;
}

/* UTF-8 to GB18030/GBK through the tables, checking the UTF-8 as it goes, at @out (room
 * for @len bytes: no character takes more bytes there than in UTF-8); the bytes written, or
 * -1 for anything else: text g_utf8_validate() refuses or a character the tables do not
 * hold (the slow path names the bad byte, converts the character or names it). */
static gssize
gb_encode_into(PhEncoding *encoding, const guchar *text, gsize len, guchar *out)
{
	const GbTables *tables = gb_tables(encoding);
	const guchar *p = text;
	const guchar *end = p + len;
	guchar *dest = out;

	while (p < end) {
		gsize char_len = 1;
		gunichar ch = *p < 0x80 ? *p : utf8_strict_char(p, end, &char_len);
		guint16 code = ch < 0x10000 ? tables->from_bmp[ch] : 0;

		if (ch < 0x80 && ch != 0) {
			*dest++ = (guchar)ch;
		} else if (code != 0) {
			*dest++ = (guchar)(code >> 8);
			*dest++ = (guchar)code;
		} else if (ch >= 0x10000 && ch <= 0x10FFFF &&
		           encoding->kind == PH_ENCODING_GB18030 &&
		           !gb_two_byte_supplementary(tables, ch)) {
			gb_four_byte_encode(ch, dest);
			dest += 4;
		} else {
			return -1;
		}
		p += char_len;
	}
	return dest - out;
}

/* A conversion through the tables (gb_decode_into, gb_encode_into) appended to @out, which
 * it needs @room bytes of; FALSE, with @out as it was, where the tables do not hold. */
typedef gssize (*TableConvert)(PhEncoding *encoding, const guchar *in, gsize len, guchar *out);

static gboolean
table_append(PhEncoding *encoding, TableConvert convert, const gchar *in, gsize len, gsize room,
             GString *out)
{
	gsize start = out->len;
	gssize written;

	g_string_set_size(out, start + room);
	written = convert(encoding, (const guchar *)in, len, (guchar *)out->str + start);
	g_string_set_size(out, start + (written >= 0 ? (gsize)written : 0));
	return written >= 0;
}

gssize
ph_encoding_from_utf8_fast(PhEncoding *encoding, const gchar *text, gsize len, gchar *out)
{
	if (encoding->kind != PH_ENCODING_UTF8)
		return gb_encode_into(encoding, (const guchar *)text, len, (guchar *)out);
	if (!g_utf8_validate_len(text, len, NULL))
		return -1;
	memcpy(out, text, len);
	return (gssize)len;
}

/* Runs @converter over the whole input, growing @out; on EILSEQ/EINVAL reports the input
 * offset through *@bad_offset. */
static gboolean
iconv_append(GIConv converter, const gchar *bytes, gsize len, GString *out, gsize *bad_offset)
{
	gchar *in = (gchar *)bytes;
	gsize in_left = len;
	gsize start = out->len;

	g_iconv(converter, NULL, NULL, NULL, NULL);
	g_string_set_size(out, start + len * 2 + 8);
	for (;;) {
		gchar *dest = out->str + start;
		gsize room = out->len - start;
		gsize result = g_iconv(converter, &in, &in_left, &dest, &room);

		start = (gsize)(dest - out->str);
		if (result != (gsize)-1) {
			g_string_set_size(out, start);
			return TRUE;
		}
		if (errno != E2BIG) {
			g_string_set_size(out, start);
			*bad_offset = (gsize)(in - bytes);
			return FALSE;
		}
		g_string_set_size(out, out->len * 2);
	}
}

gboolean
ph_encoding_to_utf8(PhEncoding *encoding, const gchar *bytes, gsize len, GString *utf8,
                    GError **error)
{
	gsize bad_offset = 0;
	gboolean cut = FALSE;

	g_return_val_if_fail(encoding != NULL && utf8 != NULL, FALSE);
	if (ph_encoding_is_ascii(bytes, len)) {
		g_string_append_len(utf8, bytes, (gssize)len);
		return TRUE;
	}
	if (encoding->kind == PH_ENCODING_UTF8 && g_utf8_validate_len(bytes, len, NULL)) {
		g_string_append_len(utf8, bytes, (gssize)len);
		return TRUE;
	}
	if (encoding->kind != PH_ENCODING_UTF8 &&
	    table_append(encoding, gb_decode_into, bytes, len, len * 2 + 4, utf8))
		return TRUE;
	if (!ph_encoding_scan(encoding, bytes, len, &bad_offset, &cut)) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "%s byte sequence at byte %zu (0x%02x)", cut ? "incomplete" : "invalid",
		            bad_offset, (guchar)bytes[bad_offset]);
		return FALSE;
	}
	if (encoding->kind == PH_ENCODING_UTF8) {
		g_string_append_len(utf8, bytes, (gssize)len);
		return TRUE;
	}
	if (!iconv_append(encoding->to_utf8, bytes, len, utf8, &bad_offset)) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "byte sequence at byte %zu (0x%02x) is not a %s character", bad_offset,
		            (guchar)bytes[bad_offset], encoding->name);
		return FALSE;
	}
	return TRUE;
}

gboolean
ph_encoding_from_utf8(PhEncoding *encoding, const gchar *text, gsize len, GString *out,
                      GError **error)
{
	gsize bad_offset = 0;
	const gchar *end = NULL;

	g_return_val_if_fail(encoding != NULL && out != NULL, FALSE);
	if (ph_encoding_is_ascii(text, len)) {
		g_string_append_len(out, text, (gssize)len);
		return TRUE;
	}
	/* The common case checks and converts in one pass. */
	if (encoding->kind != PH_ENCODING_UTF8 &&
	    table_append(encoding, gb_encode_into, text, len, len, out))
		return TRUE;
	if (!g_utf8_validate_len(text, len, &end)) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "invalid UTF-8 at byte %zu",
		            (gsize)(end - text));
		return FALSE;
	}
	if (encoding->kind == PH_ENCODING_UTF8) {
		g_string_append_len(out, text, (gssize)len);
		return TRUE;
	}
	if (!iconv_append(encoding->from_utf8, text, len, out, &bad_offset)) {
		gchar character[8] = {0};

		g_unichar_to_utf8(g_utf8_get_char(text + bad_offset), character);
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "character '%s' (U+%04X) cannot be written in %s", character,
		            g_utf8_get_char(text + bad_offset), encoding->name);
		return FALSE;
	}
	return TRUE;
}

gsize
ph_encoding_fit(const PhEncoding *encoding, const gchar *bytes, gsize len, gsize width)
{
	gsize offset = 0;

	while (offset < len) {
		gint char_len = ph_encoding_char_len(encoding, (const guchar *)bytes + offset,
		                                     len - offset);

		if (char_len <= 0 || offset + (gsize)char_len > width)
			break;
		offset += (gsize)char_len;
	}
	return offset;
}
