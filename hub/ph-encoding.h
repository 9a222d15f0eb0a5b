/* Text encodings of partner files: UTF-8 and GB18030 (GBK as its subset). Character
 * boundaries, conversion to and from UTF-8 and byte-width fitting that never cuts a
 * character. Hub layer (mapping engine, adapters through it). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
	PH_ENCODING_UTF8,
	PH_ENCODING_GB18030,
	PH_ENCODING_GBK, /* GB18030 without the four-byte sequences */
} PhEncodingKind;

typedef struct _PhEncoding PhEncoding;

/* @name: "UTF-8", "GB18030" or "GBK" (case-insensitive). One converter pair per object:
 * do not share an object between threads. */
PhEncoding *ph_encoding_new(const gchar *name, GError **error);
void ph_encoding_free(PhEncoding *encoding);
PhEncodingKind ph_encoding_get_kind(const PhEncoding *encoding);
const gchar *ph_encoding_get_name(const PhEncoding *encoding);

/* TRUE when @bytes are all ASCII, which reads the same in every supported encoding. */
gboolean ph_encoding_is_ascii(const gchar *bytes, gsize len);

/* Length in bytes of the character at @bytes: 1..4; 0 when the sequence is cut short by
 * @avail; -1 when the bytes are not a character of this encoding. */
gint ph_encoding_char_len(const PhEncoding *encoding, const guchar *bytes, gsize avail);

/* Checks that @bytes is a sequence of whole characters. On failure returns FALSE and sets
 * *@bad_offset to the offset of the first byte that does not start or complete one, and
 * *@cut to TRUE when the last character runs past @len rather than being invalid. */
gboolean ph_encoding_scan(const PhEncoding *encoding, const gchar *bytes, gsize len,
                          gsize *bad_offset, gboolean *cut);

/* Appends @bytes (in this encoding) to @utf8 as UTF-8. The error names the byte offset of
 * an invalid sequence within @bytes. */
gboolean ph_encoding_to_utf8(PhEncoding *encoding, const gchar *bytes, gsize len, GString *utf8,
                             GError **error);

/* The common case of ph_encoding_to_utf8() without a GString: @bytes as UTF-8 at @out,
 * which has room for 2 × @len + 4 bytes (those past the ones written may be written over);
 * the bytes written, or -1 for what only ph_encoding_to_utf8() converts or refuses (it
 * then says why). */
gssize ph_encoding_to_utf8_fast(PhEncoding *encoding, const gchar *bytes, gsize len, gchar *out);

/* Appends UTF-8 @text converted to this encoding to @out. A character that the encoding
 * cannot represent is an error naming it. */
gboolean ph_encoding_from_utf8(PhEncoding *encoding, const gchar *text, gsize len, GString *out,
                               GError **error);

/* The common case of ph_encoding_from_utf8() without a GString: UTF-8 @text in this
 * encoding at @out, which has room for @len bytes; the bytes written, or -1 for what only
 * ph_encoding_from_utf8() converts or refuses (it then says why). */
gssize ph_encoding_from_utf8_fast(PhEncoding *encoding, const gchar *text, gsize len, gchar *out);

/* The length of the longest prefix of @bytes (in this encoding, whole characters) that
 * fits in @width bytes. */
gsize ph_encoding_fit(const PhEncoding *encoding, const gchar *bytes, gsize len, gsize width);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhEncoding, ph_encoding_free)

G_END_DECLS
