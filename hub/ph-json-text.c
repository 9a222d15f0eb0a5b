/* JSON text writing (see ph-json-text.h). Hub internal. */
#include "ph-json-text.h"

#include <string.h>

#define ONES  G_GUINT64_CONSTANT(0x0101010101010101)
#define HIGHS G_GUINT64_CONSTANT(0x8080808080808080)

/* TRUE when one of the eight bytes at @bytes is a control character, '"' or '\\' (the
 * zero-byte and less-than word tests, exact as to whether any byte matches). */
static gboolean
ph_json_text_special8(const gchar *bytes)
{
	guint64 word, quote, backslash;

	memcpy(&word, bytes, 8);
	quote = word ^ (ONES * '"');
	backslash = word ^ (ONES * '\\');
	return ((((word - ONES * 0x20) & ~word) | ((quote - ONES) & ~quote) |
	         ((backslash - ONES) & ~backslash)) &
	        HIGHS) != 0;
}

static gboolean
ph_json_text_special(guchar c)
{
	return c < 0x20 || c == '"' || c == '\\';
}

/* The plain run alone, for the escaper. */
static gsize
ph_json_text_plain_run(const gchar *text, gsize len)
{
	gsize i = 0;

	while (i + 8 <= len && !ph_json_text_special8(text + i))
		i += 8;
	/* Fewer than eight bytes left: as the word that ends the text (it overlaps what was
	 * tested), as most values end without anything to escape. */
	if (i < len && i + 8 > len && len >= 8 && !ph_json_text_special8(text + len - 8))
		return len;
	while (i < len && !ph_json_text_special((guchar)text[i]))
		i++;
	return i;
}

gsize
ph_json_text_plain_run_high(const gchar *text, gsize len, gboolean *high)
{
	guint64 bits = 0;
	gsize i = 0;

	for (; i + 8 <= len && !ph_json_text_special8(text + i); i += 8) {
		guint64 word;

		memcpy(&word, text + i, 8);
		bits |= word;
	}
	for (; i < len && !ph_json_text_special((guchar)text[i]); i++)
		bits |= (guchar)text[i];
	*high = (bits & HIGHS) != 0;
	return i;
}

gchar *
ph_json_text_escape(gchar *p, const gchar *text, gsize len)
{
	static const gchar hex[] = "0123456789abcdef";
	gsize plain = ph_json_text_plain_run(text, len);

	memcpy(p, text, plain);
	p += plain;
	for (gsize i = plain; i < len; i++) {
		guchar c = (guchar)text[i];

		if (!ph_json_text_special(c)) {
			*p++ = (gchar)c;
		} else if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = (gchar)c;
		} else if (c == '\n' || c == '\r' || c == '\t') {
			*p++ = '\\';
			*p++ = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
		} else {
			memcpy(p, "\\u00", 4);
			p[4] = hex[c >> 4];
			p[5] = hex[c & 0xF];
			p += 6;
		}
	}
	return p;
}

gchar *
ph_json_text_reserve(GString *out, gsize n)
{
	gsize at = out->len;

	if (at + n >= out->allocated_len) {
		g_string_set_size(out, at + n);
		out->len = at;
	}
	return out->str + at;
}

void
ph_json_text_end(GString *out, gchar *end)
{
	out->len = (gsize)(end - out->str);
	*end = '\0';
}
