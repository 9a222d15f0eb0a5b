/* Writing JSON text fast into a GString: the one escaper of canonical JSON (PhRecord and the
 * mapping engine's slots write the same bytes through it). Hub internal. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Length of the leading run of @text that JSON copies as it is (no control character,
 * '"' or '\\'), eight bytes at a time, and in *@high whether the run holds a byte >= 0x80
 * (text that is not ASCII). */
gsize ph_json_text_plain_run_high(const gchar *text, gsize len, gboolean *high);

/* Writes @text escaped (without quotes) at @p, which has room for six bytes per byte
 * (\u00XX); returns the end. */
gchar *ph_json_text_escape(gchar *p, const gchar *text, gsize len);

/* Room for @n more bytes at the end of @out, returned; write them, then ph_json_text_end(). */
gchar *ph_json_text_reserve(GString *out, gsize n);
/* Sets @out's length to end at @end (within the reserved room). */
void ph_json_text_end(GString *out, gchar *end);

G_END_DECLS
