/* Buffered line reading and chunked writing over GIO streams for the line-based layouts.
 * Lines are returned in place so that a million-line file costs no malloc per line.
 * Mapping engine only. */
#include "ph-mapping-io.h"

#include <errno.h>
#include <gio/gfiledescriptorbased.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ph-error.h"

#define CHUNK_BYTES    (256 * 1024)
#define LINE_MAX_BYTES (1024 * 1024)
#define UTF8_BOM       "\xef\xbb\xbf"

struct _PhLineInput {
	GInputStream *input;
	gboolean crlf;
	gchar *buffer;
	gsize size;  /* allocated */
	gsize start; /* next unread byte */
	gsize end;   /* bytes held */
	gboolean eof;
	guint64 line;
	guint64 offset;      /* file offset of buffer[0] */
	guint64 line_offset; /* file offset of the current line */
	gint fd;             /* a regular file read by offset, else -1 */
	guint64 fd_start;    /* its position when reading began: offsets count from there */
};

/* The descriptor of a stream over a regular file that can seek (a local file as g_file_read()
 * opens it), whose lines can then be read by offset a batch at a time; -1 for any other
 * stream (a pipe, a filter such as the bank adapter's digest tee), read as before. */
static gint
regular_fd(GInputStream *input, guint64 *start)
{
	struct stat st;
	gint fd;

	if (!G_IS_FILE_DESCRIPTOR_BASED(input) || !G_IS_SEEKABLE(input) ||
	    !g_seekable_can_seek(G_SEEKABLE(input)))
		return -1;
	fd = g_file_descriptor_based_get_fd(G_FILE_DESCRIPTOR_BASED(input));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return -1;
	*start = (guint64)g_seekable_tell(G_SEEKABLE(input));
	return fd;
}

PhLineInput *
ph_mapping_io_input_new(GInputStream *input, gboolean crlf)
{
	PhLineInput *lines = g_new0(PhLineInput, 1);

	lines->input = g_object_ref(input);
	lines->crlf = crlf;
	lines->size = CHUNK_BYTES * 2;
	lines->buffer = g_malloc(lines->size);
	lines->fd = regular_fd(input, &lines->fd_start);
	return lines;
}

void
ph_mapping_io_input_free(PhLineInput *lines)
{
	if (lines == NULL)
		return;
	g_object_unref(lines->input);
	g_free(lines->buffer);
	g_free(lines);
}

/* Moves the unread bytes to the front and reads more; FALSE only on a read error. */
static gboolean
fill(PhLineInput *lines, GError **error)
{
	gssize got;

	if (lines->start > 0) {
		memmove(lines->buffer, lines->buffer + lines->start, lines->end - lines->start);
		lines->offset += lines->start;
		lines->end -= lines->start;
		lines->start = 0;
	}
	if (lines->size - lines->end < CHUNK_BYTES) {
		lines->size *= 2;
		lines->buffer = g_realloc(lines->buffer, lines->size);
	}
	got = g_input_stream_read(lines->input, lines->buffer + lines->end,
	                          lines->size - lines->end, NULL, error);
	if (got < 0)
		return FALSE;
	lines->eof = got == 0;
	lines->end += (gsize)got;
	return TRUE;
}

static gboolean
line_fail(PhLineInput *lines, GError **error, const gchar *reason)
{
	g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "line %" G_GUINT64_FORMAT ": %s",
	            lines->line, reason);
	return FALSE;
}

gboolean
ph_mapping_io_input_next(PhLineInput *lines, const gchar **line, gsize *len, gboolean lenient_end,
                         GError **error)
{
	gchar *newline = NULL;
	gsize length;

	for (;;) {
		gsize held = lines->end - lines->start;

		newline = memchr(lines->buffer + lines->start, '\n', held);
		if (newline != NULL || lines->eof)
			break;
		if (held > LINE_MAX_BYTES) {
			lines->line++;
			return line_fail(lines, error, "longer than 1 MiB");
		}
		if (!fill(lines, error))
			return FALSE;
	}
	if (newline == NULL && lines->start == lines->end)
		return FALSE;
	lines->line++;
	lines->line_offset = lines->offset + lines->start;
	*line = lines->buffer + lines->start;
	if (newline == NULL) {
		length = lines->end - lines->start;
		lines->start = lines->end;
		*len = length;
		return lenient_end || line_fail(lines, error, "has no line end");
	}
	length = (gsize)(newline - *line);
	lines->start += length + 1;
	if (length > 0 && (*line)[length - 1] == '\r')
		length--;
	else if (lines->crlf)
		return line_fail(lines, error, "ends in LF, expected CRLF");
	if (!lines->crlf && length < (gsize)(newline - *line))
		return line_fail(lines, error, "ends in CRLF, expected LF");
	*len = length;
	return TRUE;
}

guint64
ph_mapping_io_input_line(const PhLineInput *lines)
{
	return lines->line;
}

guint64
ph_mapping_io_input_offset(const PhLineInput *lines)
{
	return lines->line_offset;
}

gboolean
ph_mapping_io_flush(GOutputStream *output, GString *buffer, gboolean force, GError **error)
{
	if (buffer->len == 0 || (!force && buffer->len < CHUNK_BYTES))
		return TRUE;
	if (!g_output_stream_write_all(output, buffer->str, buffer->len, NULL, NULL, error))
		return FALSE;
	g_string_truncate(buffer, 0);
	return TRUE;
}

gboolean
ph_mapping_io_layout_init(PhLineLayout *layout, PhMapping *mapping, GInputStream *input,
                          GOutputStream *output, GError **error)
{
	layout->mapping = mapping;
	layout->encoding = ph_encoding_new(mapping->encoding, error);
	if (layout->encoding == NULL)
		return FALSE;
	layout->lines = input != NULL ? ph_mapping_io_input_new(input, mapping->crlf) : NULL;
	layout->output = output != NULL ? g_object_ref(output) : NULL;
	layout->buffer = g_string_sized_new(output != NULL ? 2 * CHUNK_BYTES : 16);
	layout->text = g_string_sized_new(256);
	layout->encoded = g_string_sized_new(256);
	if (output != NULL && mapping->bom)
		g_string_append(layout->buffer, UTF8_BOM);
	return TRUE;
}

void
ph_mapping_io_layout_clear(PhLineLayout *layout)
{
	ph_encoding_free(layout->encoding);
	g_clear_pointer(&layout->lines, ph_mapping_io_input_free);
	g_clear_object(&layout->output);
	if (layout->buffer != NULL)
		g_string_free(layout->buffer, TRUE);
	if (layout->text != NULL)
		g_string_free(layout->text, TRUE);
	if (layout->encoded != NULL)
		g_string_free(layout->encoded, TRUE);
}

gboolean
ph_mapping_io_layout_flush(PhLineLayout *layout, gboolean force, GError **error)
{
	gsize pending = layout->buffer->len;

	if (!ph_mapping_io_flush(layout->output, layout->buffer, force, error))
		return FALSE;
	if (layout->buffer->len == 0)
		layout->flushed += pending;
	return TRUE;
}

gboolean
ph_mapping_io_layout_end_line(PhLineLayout *layout, GError **error)
{
	g_string_append(layout->buffer, layout->mapping->crlf ? "\r\n" : "\n");
	return ph_mapping_io_layout_flush(layout, FALSE, error);
}

gboolean
ph_mapping_io_layout_next_line(PhLineLayout *layout, const gchar **line, gsize *len,
                               gboolean lenient_end, GError **error)
{
	gboolean has_bom;

	if (!ph_mapping_io_input_next(layout->lines, line, len, lenient_end, error))
		return FALSE;
	if (ph_mapping_io_input_line(layout->lines) != 1)
		return TRUE;
	has_bom = *len >= 3 && memcmp(*line, UTF8_BOM, 3) == 0;
	/* EF BB BF is also a GB18030 character and a half: say what the file most likely is */
	if (ph_encoding_get_kind(layout->encoding) != PH_ENCODING_UTF8) {
		if (has_bom)
			g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
			            "line 1: starts with a UTF-8 byte order mark, but mapping %s "
			            "reads %s: is the file in another encoding?",
			            layout->mapping->name, layout->mapping->encoding);
		return !has_bom;
	}
	if (has_bom != layout->mapping->bom) {
		g_set_error(
		        error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		        has_bom ? "line 1: starts with a UTF-8 byte order mark, which mapping %s "
		                  "does not expect (bom=\"true\")"
		                : "line 1: mapping %s expects a UTF-8 byte order mark",
		        layout->mapping->name);
		return FALSE;
	}
	if (has_bom) {
		*line += 3;
		*len -= 3;
	}
	return TRUE;
}

/* Line sources for ph-mapping-ahead.c: a layout's lines (line-end and byte order mark rules,
 * no last line without its end) and plain lines (canonical JSON Lines, where it may lack
 * one). @taken: whether a line was. */
static gboolean
numbered(const PhLineInput *lines, gboolean taken, guint64 *line_no, guint64 *offset)
{
	*line_no = lines->line;
	*offset = lines->line_offset;
	return taken;
}

gboolean
ph_mapping_io_layout_take_line(gpointer layout, const gchar **line, gsize *len, guint64 *line_no,
                               guint64 *offset, GError **error)
{
	PhLineLayout *lines = layout;

	return numbered(lines->lines,
	                ph_mapping_io_layout_next_line(lines, line, len, FALSE, error), line_no,
	                offset);
}

guint64
ph_mapping_io_layout_line_count(gpointer layout)
{
	return ((PhLineLayout *)layout)->lines->line;
}

gboolean
ph_mapping_io_input_take_line(gpointer input, const gchar **line, gsize *len, guint64 *line_no,
                              guint64 *offset, GError **error)
{
	PhLineInput *lines = input;

	return numbered(lines, ph_mapping_io_input_next(lines, line, len, TRUE, error), line_no,
	                offset);
}

guint64
ph_mapping_io_input_line_count(gpointer input)
{
	return ((PhLineInput *)input)->line;
}

/* The length of the line at @p (before @end) when ph_mapping_io_input_next() would return
 * it as it is: its newline there, the line end the mapping wants, and well short of the
 * longest line (near that limit, whether it is refused depends on how the bytes were read:
 * the line-by-line reader decides); else -1. *@cr: it ends in CRLF. */
static inline gssize
plain_line(gboolean crlf, const gchar *p, const gchar *end, gboolean *cr)
{
	const gchar *newline = memchr(p, '\n', (gsize)(end - p));
	gsize length;

	if (newline == NULL || newline - p >= LINE_MAX_BYTES / 2)
		return -1;
	length = (gsize)(newline - p);
	*cr = length > 0 && p[length - 1] == '\r';
	return *cr == crlf ? (gssize)length : -1;
}

/* Takes the plain lines that start in [@start, @end) into @run, not numbered (line_at
 * counted from @base, file offsets from @offset for @start); returns the bytes taken. */
static gsize
split_run(gboolean crlf, const gchar *start, const gchar *end, guint64 offset, gsize base,
          PhLineRun *run)
{
	const gchar *p = start;

	while (run->n_lines < run->max_lines && base + (gsize)(p - start) < run->max_bytes) {
		gboolean cr = FALSE;
		gssize length = plain_line(crlf, p, end, &cr);
		guint n = run->n_lines;

		if (length < 0)
			break;
		run->line_at[n] = base + (gsize)(p - start);
		run->line_len[n] = (gsize)length - (cr ? 1 : 0);
		run->line_offset[n] = offset + (guint64)(p - start);
		run->n_lines++;
		p += length + 1;
	}
	return (gsize)(p - start);
}

/* The whole lines already in the buffer, in one pass and one copy. */
void
ph_mapping_io_input_take_run(gpointer input, PhLineRun *run)
{
	PhLineInput *lines = input;
	const gchar *start = lines->buffer + lines->start;
	guint first = run->n_lines;
	gsize taken = split_run(lines->crlf, start, lines->buffer + lines->end,
	                        lines->offset + lines->start, run->bytes->len, run);

	for (guint i = first; i < run->n_lines; i++)
		run->line_no[i] = ++lines->line;
	if (run->n_lines > first)
		lines->line_offset = run->line_offset[run->n_lines - 1];
	g_string_append_len(run->bytes, start, (gssize)taken);
	lines->start += taken;
}

/* Moves the stream to @at (counted from where reading began) and empties the buffer, so
 * that what follows is read from there as before. */
static gboolean
move_to(PhLineInput *lines, guint64 at)
{
	if (!g_seekable_seek(G_SEEKABLE(lines->input), (goffset)(lines->fd_start + at), G_SEEK_SET,
	                     NULL, NULL))
		return FALSE;
	lines->offset = at;
	lines->start = lines->end = 0;
	lines->eof = FALSE;
	return TRUE;
}

/* @want bytes of the file at @pos into @dest, fewer at its end or where reading failed;
 * -1 when nothing could be read (the line-by-line reader then names the failure). */
static gssize
read_at(gint fd, gchar *dest, gsize want, guint64 pos)
{
	gsize got = 0;

	while (got < want) {
		gssize done = pread(fd, dest + got, want - got, (off_t)(pos + got));

		if (done < 0 && errno == EINTR)
			continue;
		if (done < 0)
			return got > 0 ? (gssize)got : -1;
		if (done == 0)
			break;
		got += (gsize)done;
	}
	return (gssize)got;
}

/* The end of a span of about @max_bytes at file position @pos: the line that crosses
 * @max_bytes ends it, found by reading a little there (@buffer as scratch); 0 when no
 * line ends soon after (a long line, the end of the file). */
static gsize
span_end(const PhLineInput *lines, guint64 pos, gsize max_bytes, gsize slack, GString *buffer)
{
	const gchar *newline;
	gssize got;

	g_string_set_size(buffer, slack);
	got = read_at(lines->fd, buffer->str, slack, pos + max_bytes - 1);
	newline = got > 0 ? memchr(buffer->str, '\n', (gsize)got) : NULL;
	return newline != NULL ? max_bytes + (gsize)(newline - buffer->str) : 0;
}

/* The span at @pos read now, whole lines of it up to the one that crosses @max_bytes,
 * else the last line that ends there: its length, 0 where no line ends. */
static gsize
span_read(const PhLineInput *lines, guint64 pos, gsize max_bytes, gsize slack, GString *buffer)
{
	const gchar *data = buffer->str, *last;
	gssize got;

	g_string_set_size(buffer, max_bytes + slack);
	got = read_at(lines->fd, buffer->str, max_bytes + slack, pos);
	if (got <= 0)
		return 0;
	data = buffer->str;
	last = (gsize)got > max_bytes
	               ? memchr(data + max_bytes - 1, '\n', (gsize)got - max_bytes + 1)
	               : NULL;
	if (last == NULL)
		last = memrchr(data, '\n', MIN(max_bytes, (gsize)got));
	return last != NULL ? (gsize)(last + 1 - data) : 0;
}

/* The next bytes of a regular file, whole lines up to the one that crosses @max_bytes,
 * the first of them plain: where it ends is found by reading a few bytes there and at the
 * start, the bytes themselves are read later by whichever thread splits them
 * (ph_mapping_io_input_split), so that the kernel's copy runs on both cores; near the end
 * of the file they are read here. The caller counts them (ph_mapping_io_input_count).
 * Read, not mapped: in a virtual machine of two cores the page faults, and mapping and
 * unmapping (each flushing the other core's TLB), cost more than the kernel's copy, which
 * also leaves the lines in the cache of the core that decodes them. The stream moves past
 * them; the line count does not. */
gboolean
ph_mapping_io_input_take_span(gpointer input, gsize max_bytes, PhLineSpan *span)
{
	PhLineInput *lines = input;
	guint64 at = lines->offset + lines->start;
	guint64 pos = lines->fd_start + at;
	GString *buffer = span->buffer;
	/* Enough to end the line that crosses @max_bytes, which is rarely long. */
	gsize slack = MAX(4096, max_bytes / 64);
	gsize len;
	gboolean cr = FALSE;
	gssize got;

	if (lines->fd < 0)
		return FALSE;
	span->data = NULL;
	len = span_end(lines, pos, max_bytes, slack, buffer);
	if (len > 0) {
		/* The first line, which must be plain. */
		got = read_at(lines->fd, buffer->str, MIN(slack, len), pos);
		if (got <= 0 || plain_line(lines->crlf, buffer->str, buffer->str + got, &cr) < 0)
			return FALSE;
	} else {
		len = span_read(lines, pos, max_bytes, slack, buffer);
		if (len == 0 || plain_line(lines->crlf, buffer->str, buffer->str + len, &cr) < 0)
			return FALSE;
		span->data = buffer->str;
	}
	if (!move_to(lines, at + len))
		return FALSE;
	span->len = len;
	span->offset = at;
	return TRUE;
}

/* Reads the span's bytes if take_span left them, then finds its lines. Bytes the file no
 * longer holds (cut meanwhile) end the lines there: the input goes back to that line, and
 * the line-by-line reader says what it finds. */
gsize
ph_mapping_io_input_split(gpointer input, PhLineSpan *span, PhLineRun *run)
{
	const PhLineInput *lines = input;
	gsize len = span->len;

	if (span->data == NULL) {
		gssize got;

		g_string_set_size(span->buffer, span->len);
		got = read_at(lines->fd, span->buffer->str, span->len,
		              lines->fd_start + span->offset);
		len = got > 0 ? (gsize)got : 0;
		span->data = span->buffer->str;
	}
	/* Only the line-end rule is read: fixed since the input was made. */
	return split_run(lines->crlf, span->data, span->data + len, span->offset, 0, run);
}

void
ph_mapping_io_input_count(gpointer input, guint n_lines, guint64 last_offset)
{
	PhLineInput *lines = input;

	lines->line += n_lines;
	if (n_lines > 0)
		lines->line_offset = last_offset;
}

gboolean
ph_mapping_io_input_rewind(gpointer input, guint64 offset)
{
	return move_to(input, offset);
}

/* The first line is left to ph_mapping_io_layout_next_line(): its byte order mark. */
void
ph_mapping_io_layout_take_run(gpointer layout, PhLineRun *run)
{
	PhLineLayout *lines = layout;

	if (lines->lines->line > 0)
		ph_mapping_io_input_take_run(lines->lines, run);
}

gboolean
ph_mapping_io_layout_take_span(gpointer layout, gsize max_bytes, PhLineSpan *span)
{
	PhLineLayout *lines = layout;

	return lines->lines->line > 0 &&
	       ph_mapping_io_input_take_span(lines->lines, max_bytes, span);
}

gsize
ph_mapping_io_layout_split(gpointer layout, PhLineSpan *span, PhLineRun *run)
{
	return ph_mapping_io_input_split(((PhLineLayout *)layout)->lines, span, run);
}

void
ph_mapping_io_layout_count(gpointer layout, guint n_lines, guint64 last_offset)
{
	ph_mapping_io_input_count(((PhLineLayout *)layout)->lines, n_lines, last_offset);
}

gboolean
ph_mapping_io_layout_rewind(gpointer layout, guint64 offset)
{
	return ph_mapping_io_input_rewind(((PhLineLayout *)layout)->lines, offset);
}
