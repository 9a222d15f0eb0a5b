/* Buffered line input and chunked output over GIO streams for the line-based layouts
 * (fixed-width, delimited): no allocation per line. Mapping engine only. */
#pragma once

#include <gio/gio.h>

#include "ph-mapping-private.h"

G_BEGIN_DECLS

typedef struct _PhLineInput PhLineInput;

PhLineInput *ph_mapping_io_input_new(GInputStream *input, gboolean crlf);
void ph_mapping_io_input_free(PhLineInput *lines);
/* The next line without its line end, valid until the next call; FALSE at the end (no
 * error) or with @error naming the line (wrong line end, too long, read failure). With
 * @lenient_end the last line may lack a line end. */
gboolean ph_mapping_io_input_next(PhLineInput *lines, const gchar **line, gsize *len,
                                  gboolean lenient_end, GError **error);
/* Line number (from 1) and file offset of the line last returned. */
guint64 ph_mapping_io_input_line(const PhLineInput *lines);
guint64 ph_mapping_io_input_offset(const PhLineInput *lines);

/* Output: append to the buffer, then ph_mapping_io_flush() writes it out once it is large
 * (or always with @force). */
gboolean ph_mapping_io_flush(GOutputStream *output, GString *buffer, gboolean force,
                             GError **error);

/* What the line-based layouts share: the file's encoding, the lines read or the bytes to
 * write, and buffers for one field. A layout's state starts with one of these. */
typedef struct _PhLineLayout PhLineLayout;

struct _PhLineLayout {
	PhMapping *mapping; /* borrowed: the reader or writer holds a reference */
	PhEncoding *encoding;
	PhLineInput *lines;    /* reading */
	GOutputStream *output; /* writing */
	GString *buffer;       /* writing: bytes not yet written */
	GString *text;         /* one field as UTF-8 */
	GString *encoded;      /* writing: one field in the file's encoding */
	guint64 flushed;       /* writing: bytes handed to the output so far */
};

gboolean ph_mapping_io_layout_init(PhLineLayout *layout, PhMapping *mapping, GInputStream *input,
                                   GOutputStream *output, GError **error);
void ph_mapping_io_layout_clear(PhLineLayout *layout);
/* The next line of a reader, with the byte order mark of the first line checked against
 * the mapping and removed. Same contract as ph_mapping_io_input_next(). */
gboolean ph_mapping_io_layout_next_line(PhLineLayout *layout, const gchar **line, gsize *len,
                                        gboolean lenient_end, GError **error);
/* Writes the buffer out once it is large, or always with @force. */
gboolean ph_mapping_io_layout_flush(PhLineLayout *layout, gboolean force, GError **error);
/* Ends the line being written and writes the buffer out once it is large. */
gboolean ph_mapping_io_layout_end_line(PhLineLayout *layout, GError **error);

/* Line sources for ph_mapping_ahead_new() (PhMappingAheadOps.next_line and line_count): a
 * PhLineLayout's lines as a reader takes them, and a PhLineInput's with the last line's end
 * optional (canonical JSON Lines). */
gboolean ph_mapping_io_layout_take_line(gpointer layout, const gchar **line, gsize *len,
                                        guint64 *line_no, guint64 *offset, GError **error);
guint64 ph_mapping_io_layout_line_count(gpointer layout);
gboolean ph_mapping_io_input_take_line(gpointer input, const gchar **line, gsize *len,
                                       guint64 *line_no, guint64 *offset, GError **error);
guint64 ph_mapping_io_input_line_count(gpointer input);
/* PhMappingAheadOps.take_run for the same two. */
void ph_mapping_io_layout_take_run(gpointer layout, PhLineRun *run);
void ph_mapping_io_input_take_run(gpointer input, PhLineRun *run);
/* PhMappingAheadOps.take_span, split, count and rewind for the same two. */
gboolean ph_mapping_io_layout_take_span(gpointer layout, gsize max_bytes, PhLineSpan *span);
gboolean ph_mapping_io_input_take_span(gpointer input, gsize max_bytes, PhLineSpan *span);
gsize ph_mapping_io_layout_split(gpointer layout, PhLineSpan *span, PhLineRun *run);
gsize ph_mapping_io_input_split(gpointer input, PhLineSpan *span, PhLineRun *run);
void ph_mapping_io_layout_count(gpointer layout, guint n_lines, guint64 last_offset);
void ph_mapping_io_input_count(gpointer input, guint n_lines, guint64 last_offset);
gboolean ph_mapping_io_layout_rewind(gpointer layout, guint64 offset);
gboolean ph_mapping_io_input_rewind(gpointer input, guint64 offset);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhLineInput, ph_mapping_io_input_free)

G_END_DECLS
