/* Delimited layout (CSV-like): a delimiter, optional quoting with doubled quotes, an
 * optional header line of column names. Splitting is character-aware so that a GB18030
 * trail byte equal to the delimiter never splits a field. Mapping engine only. */
#include "ph-mapping-private.h"

#include <string.h>

#include "ph-error.h"
#include "ph-mapping-io.h"

#define MAX_COLUMNS 256

/* One state for reading and writing; the cells are used only when reading. */
typedef struct {
	PhLineLayout base;
	GString *joined; /* a quoted value may span lines */
	GString *cells;  /* unquoted cells, each NUL-terminated */
	gsize starts[MAX_COLUMNS];
	gsize lens[MAX_COLUMNS];
	guint n_cells;
	gboolean header_done;
} Delimited;

static void
delimited_free(gpointer state)
{
	Delimited *delimited = state;

	ph_mapping_io_layout_clear(&delimited->base);
	g_string_free(delimited->joined, TRUE);
	g_string_free(delimited->cells, TRUE);
	g_free(delimited);
}

static gpointer
delimited_new(PhMapping *mapping, GInputStream *input, GOutputStream *output, GError **error)
{
	Delimited *delimited = g_new0(Delimited, 1);

	delimited->joined = g_string_sized_new(input != NULL ? 1024 : 16);
	delimited->cells = g_string_sized_new(input != NULL ? 1024 : 16);
	if (!ph_mapping_io_layout_init(&delimited->base, mapping, input, output, error)) {
		delimited_free(delimited);
		return NULL;
	}
	return delimited;
}

static gpointer
delimited_reader_new(PhMapping *mapping, GInputStream *input, GError **error)
{
	return delimited_new(mapping, input, NULL, error);
}

static guint64
delimited_reader_line(gpointer state)
{
	return ph_mapping_io_input_line(((Delimited *)state)->base.lines);
}

static gboolean
split_fail(GError **error, const gchar *reason, gsize offset)
{
	g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "byte %zu: %s", offset + 1, reason);
	return FALSE;
}

static gboolean
end_cell(Delimited *reader, gsize start, GError **error)
{
	if (reader->n_cells == MAX_COLUMNS)
		return split_fail(error, "more than 256 columns", 0);
	reader->starts[reader->n_cells] = start;
	reader->lens[reader->n_cells] = reader->cells->len - start;
	reader->n_cells++;
	g_string_append_c(reader->cells, '\0');
	return TRUE;
}

/* Splits @text into cells; *@open is TRUE when a quoted value runs past the end. */
static gboolean
split(Delimited *reader, const gchar *text, gsize len, gboolean *open, GError **error)
{
	gchar delimiter = reader->base.mapping->delimiter, quote = reader->base.mapping->quote;
	gboolean quoted = FALSE, was_quoted = FALSE;
	gsize start = 0, i = 0;

	reader->n_cells = 0;
	g_string_truncate(reader->cells, 0);
	while (i <= len) {
		gint char_len = i < len ? ph_encoding_char_len(reader->base.encoding,
		                                               (const guchar *)text + i, len - i)
		                        : 1;

		if (char_len <= 0)
			return split_fail(error, "invalid byte sequence", i);
		if (quoted && i == len) {
			*open = TRUE;
			return TRUE;
		}
		if (quoted && text[i] == quote) {
			if (i + 1 < len && text[i + 1] == quote) {
				g_string_append_c(reader->cells, quote);
				i += 2;
				continue;
			}
			quoted = FALSE;
			if (i + 1 < len && text[i + 1] != delimiter)
				return split_fail(error, "text after a closing quote", i + 1);
		} else if (!quoted && (i == len || text[i] == delimiter)) {
			if (!end_cell(reader, start, error))
				return FALSE;
			start = reader->cells->len;
			was_quoted = FALSE;
		} else if (!quoted && quote != 0 && text[i] == quote &&
		           reader->cells->len == start && !was_quoted) {
			quoted = was_quoted = TRUE;
		} else {
			g_string_append_len(reader->cells, text + i, char_len);
		}
		i += (gsize)char_len;
	}
	*open = FALSE;
	return TRUE;
}

static const PhMappingRecord *
match_record(Delimited *reader)
{
	const PhMappingRecord *fallback = NULL;

	for (guint i = 0; i < reader->base.mapping->records->len; i++) {
		const PhMappingRecord *type = g_ptr_array_index(reader->base.mapping->records, i);
		gboolean tagged = FALSE, match = TRUE;

		for (guint j = 0; j < type->fields->len; j++) {
			const PhMappingField *field = g_ptr_array_index(type->fields, j);

			if (!field->tag)
				continue;
			tagged = TRUE;
			match = match && j < reader->n_cells &&
			        g_str_equal(reader->cells->str + reader->starts[j],
			                    field->constant);
		}
		if (tagged && match)
			return type;
		if (!tagged)
			fallback = type;
	}
	return fallback;
}

/* An invalid byte sequence at @bad of @line: names the record kind and field it falls in,
 * found by splitting the valid text before it (a record kind whose tag column comes later,
 * or no kind at all, leaves only the column number). */
static gboolean
bad_byte(Delimited *reader, const gchar *line, gsize bad, GError **error)
{
	guint64 offset = ph_mapping_io_input_offset(reader->base.lines) + bad;
	const PhMappingRecord *type = NULL;
	gboolean open = FALSE;
	guint column = 0; /* from 1; 0 while unknown */

	g_string_append_len(reader->joined, line, (gssize)bad);
	if (split(reader, reader->joined->str, reader->joined->len, &open, NULL)) {
		column = open ? reader->n_cells + 1 : reader->n_cells;
		type = match_record(reader);
	}
	if (column == 0) /* the text before it does not split either */
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "byte %zu (file offset %" G_GUINT64_FORMAT "): invalid byte sequence",
		            bad + 1, offset);
	else if (type != NULL && column <= type->fields->len)
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "byte %zu (file offset %" G_GUINT64_FORMAT
		            "): record %s field %s: invalid byte sequence",
		            bad + 1, offset, type->kind,
		            PH_MAPPING_FIELD_NAME((const PhMappingField *)g_ptr_array_index(
		                    type->fields, column - 1)));
	else
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "byte %zu (file offset %" G_GUINT64_FORMAT
		            "): column %u: invalid byte sequence",
		            bad + 1, offset, column);
	return FALSE;
}

/* Reads one logical line (quoted values may hold line ends) and splits it. */
static gboolean
next_cells(Delimited *reader, GError **error)
{
	const gchar *line = NULL;
	gsize len = 0, bad = 0;
	gboolean open = FALSE;

	g_string_truncate(reader->joined, 0);
	do {
		if (!ph_mapping_io_layout_next_line(&reader->base, &line, &len, TRUE, error)) {
			if (open && error != NULL && *error == NULL)
				g_set_error_literal(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
				                    "a quoted value is not closed");
			return FALSE;
		}
		/* A quoted value keeps the line end the file has, so that it is written back
		 * as it was read (the reader refuses any other line end). */
		if (open)
			g_string_append(reader->joined, reader->base.mapping->crlf ? "\r\n" : "\n");
		if (!ph_encoding_scan(reader->base.encoding, line, len, &bad, NULL))
			return bad_byte(reader, line, bad, error);
		g_string_append_len(reader->joined, line, (gssize)len);
		if (!split(reader, reader->joined->str, reader->joined->len, &open, error))
			return FALSE;
	} while (open);
	return TRUE;
}

static const gchar *
column_name(const PhMappingField *field)
{
	return field->column != NULL ? field->column : PH_MAPPING_FIELD_NAME(field);
}

static gboolean
check_header(Delimited *reader, GError **error)
{
	const PhMappingRecord *type = g_ptr_array_index(reader->base.mapping->records, 0);

	reader->header_done = TRUE;
	if (!next_cells(reader, error)) {
		if (error != NULL && *error == NULL)
			g_set_error_literal(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
			                    "no header line");
		return FALSE;
	}
	for (guint i = 0; i < type->fields->len || i < reader->n_cells; i++) {
		const PhMappingField *field =
		        i < type->fields->len ? g_ptr_array_index(type->fields, i) : NULL;

		g_string_truncate(reader->base.text, 0);
		if (i < reader->n_cells &&
		    !ph_encoding_to_utf8(reader->base.encoding,
		                         reader->cells->str + reader->starts[i], reader->lens[i],
		                         reader->base.text, error))
			return FALSE;
		if (field == NULL || i >= reader->n_cells ||
		    !g_str_equal(reader->base.text->str, column_name(field))) {
			g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
			            "header column %u is '%s', expected '%s'", i + 1,
			            i < reader->n_cells ? reader->base.text->str : "",
			            field != NULL ? column_name(field) : "");
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
delimited_reader_next(gpointer state, PhRecord *record, const PhMappingRecord **type_out,
                      GError **error)
{
	Delimited *reader = state;
	const PhMappingRecord *type;

	if (reader->base.mapping->header && !reader->header_done && !check_header(reader, error))
		return FALSE;
	if (!next_cells(reader, error))
		return FALSE;
	type = match_record(reader);
	if (type == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "no record kind of mapping %s matches this line",
		            reader->base.mapping->name);
		return FALSE;
	}
	if (reader->n_cells != type->fields->len) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "record %s: %u columns, expected %u", type->kind, reader->n_cells,
		            type->fields->len);
		return FALSE;
	}
	ph_record_reset(record, type->kind);
	for (guint i = 0; i < type->fields->len; i++) {
		if (!ph_mapping_field_decode_bytes(
		            type, g_ptr_array_index(type->fields, i), reader->base.encoding,
		            reader->cells->str + reader->starts[i], reader->lens[i], record,
		            reader->base.text, error))
			return FALSE;
	}
	*type_out = type;
	return TRUE;
}

static gpointer
delimited_writer_new(PhMapping *mapping, GOutputStream *output, GError **error)
{
	return delimited_new(mapping, NULL, output, error);
}

/* Appends @text (UTF-8) as one cell, quoted only when it must be. */
static gboolean
append_cell(Delimited *writer, const gchar *text, gsize len, GError **error)
{
	gchar delimiter = writer->base.mapping->delimiter, quote = writer->base.mapping->quote;
	gboolean needs_quote = FALSE;

	g_string_truncate(writer->base.encoded, 0);
	if (!ph_encoding_from_utf8(writer->base.encoding, text, len, writer->base.encoded, error))
		return FALSE;
	for (gsize i = 0; i < len; i++)
		needs_quote = needs_quote || text[i] == delimiter || text[i] == '\r' ||
		              text[i] == '\n' || (quote != 0 && text[i] == quote);
	if (!needs_quote) {
		g_string_append_len(writer->base.buffer, writer->base.encoded->str,
		                    (gssize)writer->base.encoded->len);
		return TRUE;
	}
	if (quote == 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "'%s' holds the delimiter or a line end and the layout has no quote",
		            text);
		return FALSE;
	}
	g_string_append_c(writer->base.buffer, quote);
	for (gsize i = 0; i < writer->base.encoded->len; i++) {
		gint char_len = ph_encoding_char_len(writer->base.encoding,
		                                     (const guchar *)writer->base.encoded->str + i,
		                                     writer->base.encoded->len - i);

		if (writer->base.encoded->str[i] == quote)
			g_string_append_c(writer->base.buffer, quote);
		g_string_append_len(writer->base.buffer, writer->base.encoded->str + i,
		                    MAX(char_len, 1));
		i += (gsize)MAX(char_len, 1) - 1;
	}
	g_string_append_c(writer->base.buffer, quote);
	return TRUE;
}

static gboolean
write_header(Delimited *writer, GError **error)
{
	const PhMappingRecord *type = g_ptr_array_index(writer->base.mapping->records, 0);

	writer->header_done = TRUE;
	for (guint i = 0; i < type->fields->len; i++) {
		const gchar *name = column_name(g_ptr_array_index(type->fields, i));

		if (i > 0)
			g_string_append_c(writer->base.buffer, writer->base.mapping->delimiter);
		if (!append_cell(writer, name, strlen(name), error))
			return FALSE;
	}
	g_string_append(writer->base.buffer, writer->base.mapping->crlf ? "\r\n" : "\n");
	return TRUE;
}

static gboolean
delimited_writer_write(gpointer state, const PhMappingRecord *type, const PhRecord *record,
                       PhMappingTotals *totals, GError **error)
{
	Delimited *writer = state;
	gsize start = writer->base.buffer->len;

	if (writer->base.mapping->header && !writer->header_done && !write_header(writer, error))
		return FALSE;
	for (guint i = 0; i < type->fields->len; i++) {
		const PhMappingField *field = g_ptr_array_index(type->fields, i);

		if (i > 0)
			g_string_append_c(writer->base.buffer, writer->base.mapping->delimiter);
		if (!ph_mapping_field_encode(type, field, record, totals, writer->base.text,
		                             error)) {
			g_string_truncate(writer->base.buffer, start);
			return FALSE;
		}
		if (!append_cell(writer, writer->base.text->str, writer->base.text->len, error)) {
			g_string_truncate(writer->base.buffer, start);
			g_prefix_error(error, "record %s field %s: ", type->kind,
			               PH_MAPPING_FIELD_NAME(field));
			return FALSE;
		}
	}
	return ph_mapping_io_layout_end_line(&writer->base, error);
}

static gboolean
delimited_writer_finish(gpointer state, GError **error)
{
	Delimited *writer = state;

	if (writer->base.mapping->header && !writer->header_done && !write_header(writer, error))
		return FALSE;
	return ph_mapping_io_layout_flush(&writer->base, TRUE, error);
}

const PhLayoutOps ph_layout_delimited_ops = {
        .reader_new = delimited_reader_new,
        .reader_next = delimited_reader_next,
        .reader_line = delimited_reader_line,
        .reader_free = delimited_free,
        .writer_new = delimited_writer_new,
        .writer_write = delimited_writer_write,
        .writer_finish = delimited_writer_finish,
        .writer_free = delimited_free,
};
