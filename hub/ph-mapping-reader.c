/* Reading a partner file as canonical records: the layout decodes one record, this adds
 * what every format shares (record order, computed fields, the file and line in every
 * error). Hub layer; adapters stream large files through it. */
#include "ph-mapping-private.h"

#include <errno.h>
#include <unistd.h>

#include "ph-error.h"

struct _PhMappingReader {
	PhMapping *mapping;
	const PhLayoutOps *ops;
	gpointer state;
	gchar *source;
	PhRecord *record;
	PhMappingTotals *totals;
	GError *open_error;
	guint64 n_records;
	const PhMappingRecord *last_type;
	const PhMappingSlot *slots; /* the record last read, when the layout gives slots */
	guint64 line;
	gboolean finished;
	gboolean rejected; /* the layout gave a record that failed the shared rules */
	/* ph_mapping_reader_next_json_lines(): */
	gboolean json_asked;
	gboolean json_fast; /* the layout writes the JSON Lines */
	GString *json;      /* else they are written here */
	GError *json_error; /* held until the lines before it were returned */
};

static const PhLayoutOps *
layout_ops(const PhMapping *mapping)
{
	switch (mapping->format) {
	case PH_MAPPING_FORMAT_FIXED:
		return &ph_layout_fixed_ops;
	case PH_MAPPING_FORMAT_DELIMITED:
		return &ph_layout_delimited_ops;
	case PH_MAPPING_FORMAT_XML:
		return &ph_layout_xml_ops;
	}
	return NULL;
}

PhMappingReader *
ph_mapping_reader_new(PhMapping *mapping, GInputStream *input, const gchar *source)
{
	PhMappingReader *reader;

	g_return_val_if_fail(mapping != NULL && G_IS_INPUT_STREAM(input), NULL);
	reader = g_new0(PhMappingReader, 1);
	reader->mapping = ph_mapping_ref(mapping);
	reader->ops = layout_ops(mapping);
	reader->source = g_strdup(source != NULL ? source : "input");
	reader->record = ph_record_new();
	reader->totals = ph_mapping_totals_new(mapping, "line");
	reader->json = g_string_new(NULL);
	reader->state = reader->ops->reader_new(mapping, input, &reader->open_error);
	return reader;
}

void
ph_mapping_reader_free(PhMappingReader *reader)
{
	if (reader == NULL)
		return;
	if (reader->state != NULL)
		reader->ops->reader_free(reader->state);
	ph_mapping_totals_free(reader->totals);
	ph_record_free(reader->record);
	g_clear_error(&reader->open_error);
	g_clear_error(&reader->json_error);
	g_string_free(reader->json, TRUE);
	g_free(reader->source);
	ph_mapping_unref(reader->mapping);
	g_free(reader);
}

guint64
ph_mapping_reader_get_line(const PhMappingReader *reader)
{
	return reader->line;
}

static const PhMappingRecord *
record_at(const PhMapping *mapping, PhRecordPosition position)
{
	for (guint i = 0; i < mapping->records->len; i++) {
		const PhMappingRecord *record = g_ptr_array_index(mapping->records, i);

		if (record->position == position)
			return record;
	}
	return NULL;
}

/* Header first, trailer last, each once. Shared with the writer. */
static gboolean
check_order(const PhMapping *mapping, const PhMappingRecord *previous, const PhMappingRecord *type,
            guint64 n_records, GError **error)
{
	const PhMappingRecord *first = record_at(mapping, PH_POSITION_FIRST);

	if (previous != NULL && previous->position == PH_POSITION_LAST) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "record %s after the last record %s", type->kind, previous->kind);
		return FALSE;
	}
	if (first != NULL && (n_records == 0) != (type == first)) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            n_records == 0 ? "record %s where the first record must be %s"
		                           : "record %s again: it may only be the first record",
		            type->kind, first->kind);
		return FALSE;
	}
	return TRUE;
}

static gboolean
check_end(const PhMapping *mapping, const PhMappingRecord *previous, GError **error)
{
	const PhMappingRecord *first = record_at(mapping, PH_POSITION_FIRST);
	const PhMappingRecord *last = record_at(mapping, PH_POSITION_LAST);

	if (first != NULL && previous == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "no record %s (empty file)",
		            first->kind);
		return FALSE;
	}
	if (last != NULL && previous != last) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "ends without the last record %s", last->kind);
		return FALSE;
	}
	return TRUE;
}

/* The layout's next record: as slots when it can give them (the record is then built only
 * when @want_record), else in reader->record. */
static gboolean
layout_next(PhMappingReader *reader, gboolean want_record, const PhMappingRecord **type,
            GError **error)
{
	const PhLayoutOps *ops = reader->ops;

	reader->slots = NULL;
	if (ops->reader_next_slots == NULL)
		return ops->reader_next(reader->state, reader->record, type, error);
	if (!ops->reader_next_slots(reader->state, type, &reader->slots, error))
		return FALSE;
	if (want_record)
		ph_mapping_slots_to_record(*type, reader->slots, reader->record);
	return TRUE;
}

static gboolean
read_one(PhMappingReader *reader, gboolean want_record, gboolean *end, GError **error)
{
	const PhMappingRecord *type = NULL;
	g_autoptr(GError) local = NULL;
	gboolean counted;

	*end = FALSE;
	if (!layout_next(reader, want_record, &type, &local)) {
		reader->line = reader->ops->reader_line(reader->state);
		if (local != NULL) {
			g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
		*end = TRUE;
		return check_end(reader->mapping, reader->last_type, error) &&
		       ph_mapping_totals_check(reader->totals, error);
	}
	reader->line = reader->ops->reader_line(reader->state);
	reader->rejected = TRUE;
	if (!check_order(reader->mapping, reader->last_type, type, reader->n_records, error))
		return FALSE;
	counted = reader->slots != NULL
	                  ? ph_mapping_totals_add_slots(reader->totals, type, reader->slots,
	                                                reader->line, error)
	                  : ph_mapping_totals_add(reader->totals, type, reader->record,
	                                          reader->line, error);
	if (!counted)
		return FALSE;
	reader->rejected = FALSE;
	reader->last_type = type;
	reader->n_records++;
	return TRUE;
}

/* TRUE when a record was read; FALSE at the end or with @error set, naming the source. */
static gboolean
next(PhMappingReader *reader, gboolean want_record, GError **error)
{
	gboolean end = FALSE;
	g_autoptr(GError) local = NULL;

	if (reader->finished)
		return FALSE;
	if (reader->open_error != NULL) {
		reader->finished = TRUE;
		g_set_error(error, PH_ERROR, reader->open_error->code, "%s: %s", reader->source,
		            reader->open_error->message);
		return FALSE;
	}
	if (!read_one(reader, want_record, &end, &local)) {
		reader->finished = TRUE;
		/* Layout errors already say "line N: …" where they know better. */
		if (g_str_has_prefix(local->message, "line "))
			g_prefix_error(&local, "%s ", reader->source);
		else if (reader->line > 0)
			g_prefix_error(&local, "%s line %" G_GUINT64_FORMAT ": ", reader->source,
			               reader->line);
		else
			g_prefix_error(&local, "%s: ", reader->source);
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	reader->finished = end;
	return !end;
}

const PhRecord *
ph_mapping_reader_next(PhMappingReader *reader, GError **error)
{
	/* Once JSON Lines were asked for, the layout may keep only what the checks read. */
	g_return_val_if_fail(reader != NULL && !reader->json_asked, NULL);
	return next(reader, TRUE, error) ? reader->record : NULL;
}

/* Up to this much of JSON Lines is gathered per call where the layout does not write them. */
#define JSON_LINES_BYTES (256 * 1024)

/* The lines of the next records, one call of ph_mapping_reader_next_json_lines(). */
static const gchar *
json_lines(PhMappingReader *reader, gsize *len, GError **error)
{
	const PhLayoutOps *ops = reader->ops;

	g_string_truncate(reader->json, 0);
	while (next(reader, FALSE, error)) {
		if (reader->json_fast) {
			if (ops->reader_json_due(reader->state))
				break;
			continue;
		}
		if (reader->slots != NULL)
			ph_mapping_slots_append_json(reader->last_type, reader->slots,
			                             reader->json);
		else
			ph_record_append_json(reader->record, reader->json);
		g_string_append_c(reader->json, '\n');
		if (reader->json->len >= JSON_LINES_BYTES)
			break;
	}
	if (reader->json_fast)
		return ops->reader_take_json(reader->state, reader->rejected, len);
	*len = reader->json->len;
	return reader->json->str;
}

gboolean
ph_mapping_reader_next_json_lines(PhMappingReader *reader, const gchar **text, gsize *len,
                                  GError **error)
{
	const PhLayoutOps *ops;

	g_return_val_if_fail(reader != NULL && text != NULL && len != NULL, FALSE);
	ops = reader->ops;
	if (!reader->json_asked && reader->n_records == 0 && reader->state != NULL &&
	    ops->reader_want_json != NULL)
		reader->json_fast = ops->reader_want_json(reader->state);
	reader->json_asked = TRUE;
	*len = 0;
	*text = NULL;
	if (reader->json_error == NULL)
		*text = json_lines(reader, len, &reader->json_error);
	if (*len > 0)
		return TRUE;
	if (reader->json_error != NULL)
		g_propagate_error(error, g_steal_pointer(&reader->json_error));
	return FALSE;
}

/* Takes the next records a batch at a time where the layout hands them out so and they
 * pass the shared rules as a whole (a body record kind after the records before it, totals
 * that cannot fail); the first that may not is left to next(), which judges it alone. */
static void
take_runs(PhMappingReader *reader)
{
	const PhLayoutOps *ops = reader->ops;
	PhMappingRun run;

	if (ops->reader_next_run == NULL || reader->finished)
		return;
	while (ops->reader_next_run(reader->state, &run) &&
	       run.type->position == PH_POSITION_BODY &&
	       check_order(reader->mapping, reader->last_type, run.type, reader->n_records, NULL) &&
	       ph_mapping_totals_add_run(reader->totals, &run)) {
		ops->reader_take_run(reader->state);
		reader->n_records += run.n;
		reader->last_type = run.type;
		reader->line = run.last_line;
	}
}

/* Cuts the file at @end, where its offset is left. */
static gboolean
cut_at(gint fd, guint64 end, GError **error)
{
	if (ftruncate(fd, (off_t)end) == 0 && lseek(fd, (off_t)end, SEEK_SET) >= 0)
		return TRUE;
	g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "Error writing to file: %s",
	            g_strerror(errno));
	return FALSE;
}

gboolean
ph_mapping_reader_write_json_fd(PhMappingReader *reader, gint fd, gboolean *done, GError **error)
{
	const PhLayoutOps *ops;
	g_autoptr(GError) local = NULL;
	off_t start;
	guint64 end = 0;
	gboolean written;

	g_return_val_if_fail(reader != NULL && fd >= 0 && done != NULL, FALSE);
	ops = reader->ops;
	*done = FALSE;
	if (reader->json_asked || reader->n_records > 0 || reader->state == NULL ||
	    ops->reader_want_json_fd == NULL)
		return TRUE;
	start = lseek(fd, 0, SEEK_CUR);
	if (start < 0 || !ops->reader_want_json_fd(reader->state, fd, (guint64)start))
		return TRUE;
	reader->json_asked = TRUE;
	*done = TRUE;
	do
		take_runs(reader);
	while (next(reader, FALSE, &local));
	/* A reading error comes first: the pull path stops at it before writing more. */
	written = ops->reader_json_end(reader->state, reader->rejected, &end,
	                               local != NULL ? NULL : &local);
	if (!cut_at(fd, end, local != NULL ? NULL : &local) || !written || local != NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	return TRUE;
}

/* The writer needs the same order rules. */
gboolean
ph_mapping_reader_check_order(const PhMapping *mapping, const PhMappingRecord *previous,
                              const PhMappingRecord *type, guint64 n_records, GError **error)
{
	return check_order(mapping, previous, type, n_records, error);
}

gboolean
ph_mapping_reader_check_end(const PhMapping *mapping, const PhMappingRecord *previous,
                            GError **error)
{
	return check_end(mapping, previous, error);
}

const PhLayoutOps *
ph_mapping_reader_layout(const PhMapping *mapping)
{
	return layout_ops(mapping);
}
