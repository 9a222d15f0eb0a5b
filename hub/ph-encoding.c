/* UTF-8 and GB18030/GBK for partner files: boundary scanning is done here (it must be
 * exact and fast); the character tables come from the C library through g_iconv. Hub
 * layer. */
#include "ph-encoding.h"

#include <errno.h>
#include <string.h>

#include "ph-error.h"

struct _PhEncoding {
	PhEncodingKind kind;
	const gchar *name;
	GIConv to_utf8;   /* (GIConv)-1 for UTF-8 */
	GIConv from_utf8; /* (GIConv)-1 for UTF-8 */
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
