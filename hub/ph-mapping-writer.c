/* Writing canonical records as a partner file: record order and computed fields here, the
 * bytes in the layout. Hub layer; the bank adapter writes payout files through it. */
#include "ph-mapping-private.h"

#include <string.h>

#include "ph-error.h"
#include "ph-mapping-io.h"

/* The keys of the last record of one kind, in order, and for each field the entry holding
 * its value: a record with the same keys in the same order (compared byte by byte) passes
 * check_keys() as that one did and needs no lookups by name. */
typedef struct {
	GString *keys; /* each key with its NUL, in the record's order */
	guint n_keys;
	gint *entry_of; /* per field: the record's entry with its key, or -1 */
	gboolean valid;
} KeyPlan;

struct _PhMappingWriter {
	PhMapping *mapping;
	const PhLayoutOps *ops;
	gpointer state;
	gchar *target;
	PhMappingTotals *totals;
	GError *open_error;
	const PhMappingRecord *last_type;
	guint64 n_records;
	gboolean failed;
	PhMappingSlot *slots; /* the record being written, one per field */
	guint n_fields;       /* of the widest record kind */
	PhRecord *record;     /* ph_mapping_writer_write_json(): lines the scanner leaves */
	GString *arena;       /* ph_mapping_writer_write_json(): the values of one line */
	KeyPlan *plans;       /* per record kind */
};

PhMappingWriter *
ph_mapping_writer_new(PhMapping *mapping, GOutputStream *output, const gchar *target)
{
	PhMappingWriter *writer;

	g_return_val_if_fail(mapping != NULL && G_IS_OUTPUT_STREAM(output), NULL);
	writer = g_new0(PhMappingWriter, 1);
	writer->mapping = ph_mapping_ref(mapping);
	writer->ops = ph_mapping_reader_layout(mapping);
	writer->target = g_strdup(target != NULL ? target : "output");
	writer->totals = ph_mapping_totals_new(mapping, "record");
	writer->n_fields = ph_mapping_slots_max(mapping);
	writer->slots = g_new0(PhMappingSlot, writer->n_fields + 1);
	writer->record = ph_record_new();
	writer->arena = g_string_sized_new(1024);
	writer->plans = g_new0(KeyPlan, mapping->records->len);
	writer->state = writer->ops->writer_new(mapping, output, &writer->open_error);
	return writer;
}

void
ph_mapping_writer_free(PhMappingWriter *writer)
{
	if (writer == NULL)
		return;
	if (writer->state != NULL)
		writer->ops->writer_free(writer->state);
	ph_mapping_totals_free(writer->totals);
	g_free(writer->slots);
	ph_record_free(writer->record);
	g_string_free(writer->arena, TRUE);
	for (guint i = 0; i < writer->mapping->records->len; i++) {
		if (writer->plans[i].keys != NULL)
			g_string_free(writer->plans[i].keys, TRUE);
		g_free(writer->plans[i].entry_of);
	}
	g_free(writer->plans);
	g_clear_error(&writer->open_error);
	g_free(writer->target);
	ph_mapping_unref(writer->mapping);
	g_free(writer);
}

/* A key the layout does not write would be lost without a word: refuse it. */
static gboolean
check_keys(const PhMappingRecord *type, const PhRecord *record, GError **error)
{
	for (guint i = 0; i < ph_record_get_size(record); i++) {
		const gchar *key = ph_record_get_key(record, i);

		if (!g_hash_table_contains(type->keys, key)) {
			g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
			            "record %s: the layout has no field %s", type->kind, key);
			return FALSE;
		}
	}
	return TRUE;
}

/* Whether @record has the plan's keys in the plan's order. */
static gboolean
plan_matches(const KeyPlan *plan, const PhRecord *record)
{
	const gchar *want = plan->keys != NULL ? plan->keys->str : NULL;

	if (!plan->valid || ph_record_get_size(record) != plan->n_keys)
		return FALSE;
	for (guint j = 0; j < plan->n_keys; j++) {
		const gchar *key = ph_record_get_key(record, j);
		gsize k = 0;

		while (want[k] == key[k] && want[k] != '\0')
			k++;
		if (want[k] != key[k])
			return FALSE;
		want += k + 1;
	}
	return TRUE;
}

/* The entry of @record whose key is @key; -1 for none, and for two (ph_record_get() would
 * pick one by where it looked last: such records keep the lookups by name). */
static gint
plan_entry(const PhRecord *record, const gchar *key, gboolean *twice)
{
	gint found = -1;

	for (guint j = 0; j < ph_record_get_size(record); j++) {
		if (!g_str_equal(ph_record_get_key(record, j), key))
			continue;
		*twice = *twice || found >= 0;
		found = (gint)j;
	}
	return found;
}

/* Remembers the keys of @record, which passed check_keys() for @type. */
static void
plan_learn(KeyPlan *plan, const PhMappingRecord *type, const PhRecord *record)
{
	gboolean twice = FALSE;

	if (plan->keys == NULL) {
		plan->keys = g_string_sized_new(256);
		plan->entry_of = g_new(gint, type->fields->len);
	}
	g_string_truncate(plan->keys, 0);
	plan->n_keys = ph_record_get_size(record);
	for (guint j = 0; j < plan->n_keys; j++)
		g_string_append_len(plan->keys, ph_record_get_key(record, j),
		                    (gssize)strlen(ph_record_get_key(record, j)) + 1);
	for (guint i = 0; i < type->fields->len; i++) {
		const PhMappingField *field = g_ptr_array_index(type->fields, i);

		plan->entry_of[i] =
		        field->key != NULL ? plan_entry(record, field->key, &twice) : -1;
	}
	plan->valid = !twice;
}

/* ph_mapping_slots_from_record() by the plan's entries. */
static void
plan_slots(const KeyPlan *plan, const PhMappingRecord *type, const PhRecord *record,
           PhMappingSlot *slots)
{
	for (guint i = 0; i < type->fields->len; i++) {
		const gchar *value = plan->entry_of[i] >= 0
		                             ? ph_record_get_value(record, (guint)plan->entry_of[i])
		                             : NULL;

		slots[i].state = value != NULL ? PH_SLOT_TEXT : PH_SLOT_ABSENT;
		slots[i].text = value;
		slots[i].len = value != NULL ? strlen(value) : 0;
	}
}

/* Order, computed fields, then the bytes; @record is NULL when the record is only slots
 * (the layout then writes slots). */
static gboolean
write_slots(PhMappingWriter *writer, const PhMappingRecord *type, const PhMappingSlot *slots,
            const PhMappingSlot *prepared, const PhRecord *record, GError **error)
{
	const PhLayoutOps *ops = writer->ops;

	if (!ph_mapping_reader_check_order(writer->mapping, writer->last_type, type,
	                                   writer->n_records, error) ||
	    !ph_mapping_totals_add_slots(writer->totals, type, slots, writer->n_records + 1, error))
		return FALSE;
	if (ops->writer_write_slots != NULL
	            ? !ops->writer_write_slots(writer->state, type, slots, prepared, writer->totals,
	                                       error)
	            : !ops->writer_write(writer->state, type, record, writer->totals, error))
		return FALSE;
	writer->last_type = type;
	writer->n_records++;
	return TRUE;
}

static gboolean
write_one(PhMappingWriter *writer, const PhRecord *record, GError **error)
{
	const gchar *kind = ph_record_get_kind(record);
	const PhMappingRecord *type = ph_mapping_find_record(writer->mapping, kind);
	KeyPlan *plan;

	if (writer->open_error != NULL) {
		g_propagate_error(error, g_error_copy(writer->open_error));
		return FALSE;
	}
	if (type == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "mapping %s has no record kind '%s'", writer->mapping->name, kind);
		return FALSE;
	}
	plan = &writer->plans[type->index];
	if (!plan_matches(plan, record)) {
		if (!check_keys(type, record, error))
			return FALSE;
		plan_learn(plan, type, record);
	}
	if (plan->valid)
		plan_slots(plan, type, record, writer->slots);
	else
		ph_mapping_slots_from_record(type, record, writer->slots);
	return write_slots(writer, type, writer->slots, NULL, record, error);
}

static gboolean
refuse_after_failure(PhMappingWriter *writer, GError **error)
{
	g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "%s: an earlier write failed",
	            writer->target);
	return FALSE;
}

/* A failed write fails the writer, and its error names the record. */
static gboolean
written(PhMappingWriter *writer, gboolean ok, GError **error)
{
	if (!ok) {
		writer->failed = TRUE;
		g_prefix_error(error, "%s record %" G_GUINT64_FORMAT ": ", writer->target,
		               writer->n_records + 1);
	}
	return ok;
}

gboolean
ph_mapping_writer_write(PhMappingWriter *writer, const PhRecord *record, GError **error)
{
	g_return_val_if_fail(writer != NULL && record != NULL, FALSE);
	if (writer->failed)
		return refuse_after_failure(writer, error);
	return written(writer, write_one(writer, record, error), error);
}

/* JSON Lines read ahead: lines in our own flat form become slots and, where the layout
 * can, fields encoded in a second thread; any other line is kept as it is (slot n_fields,
 * type NULL) for ph_record_parse_json(). */
typedef struct {
	PhMappingWriter *writer;
	GString *arena;
	gpointer preparer;
} JsonDecoder;

static gpointer
json_decoder_new(gpointer data)
{
	PhMappingWriter *writer = data;
	JsonDecoder *decoder = g_new0(JsonDecoder, 1);

	decoder->writer = writer;
	decoder->arena = g_string_sized_new(1024);
	if (writer->ops->writer_prepare_new != NULL && writer->state != NULL)
		decoder->preparer = writer->ops->writer_prepare_new(writer->state);
	return decoder;
}

static void
json_decoder_free(gpointer data)
{
	JsonDecoder *decoder = data;

	if (decoder->preparer != NULL)
		decoder->writer->ops->writer_prepare_free(decoder->preparer);
	g_string_free(decoder->arena, TRUE);
	g_free(decoder);
}

static gboolean
json_decode(gpointer data, const gchar *line, gsize len, guint64 line_no, guint64 offset,
            const PhMappingRecord **type, PhMappingSlot *slots, const GString **scratch,
            guint64 *in_scratch, GString *out, GError **error)
{
	JsonDecoder *decoder = data;
	guint n = decoder->writer->n_fields;

	slots[n].state = PH_SLOT_ABSENT;
	slots[n + 1].state = PH_SLOT_ABSENT;
	/* A layout that writes only records (delimited, XML) gets the line as it is. */
	if (decoder->writer->ops->writer_write_slots == NULL ||
	    !ph_mapping_slots_parse_json(decoder->writer->mapping, line, len, type, slots)) {
		*type = NULL;
		slots[n].state = PH_SLOT_TEXT;
		slots[n].text = line;
		slots[n].len = len;
		return TRUE;
	}
	/* The texts stay in the line where the preparer encoded every field; else the writer
	 * gets them as strings. Each buffer used is named in @scratch, in no gaps. */
	if (decoder->preparer != NULL &&
	    decoder->writer->ops->writer_prepare(decoder->preparer, *type, slots, &slots[n + 1],
	                                         scratch++))
		return TRUE;
	ph_mapping_slots_keep(*type, slots, decoder->arena);
	*scratch = decoder->arena;
	return TRUE;
}

static const PhMappingAheadOps json_ops = {
        .take_run = ph_mapping_io_input_take_run,
        .take_span = ph_mapping_io_input_take_span,
        .split = ph_mapping_io_input_split,
        .count = ph_mapping_io_input_count,
        .rewind = ph_mapping_io_input_rewind,
        .next_line = ph_mapping_io_input_take_line,
        .line_count = ph_mapping_io_input_line_count,
        .decoder_new = json_decoder_new,
        .decoder_free = json_decoder_free,
        .decode = json_decode,
};

/* One line read ahead, as ph_record_parse_json() and ph_mapping_writer_write() would. */
static gboolean
write_line(PhMappingWriter *writer, const PhMappingRecord *type, const PhMappingSlot *slots,
           GError **error)
{
	const PhMappingSlot *line = &slots[writer->n_fields];
	const PhMappingSlot *prepared = &slots[writer->n_fields + 1];

	/* type NULL: a layout without writer_write_slots, or a line not parsed into slots */
	if (type == NULL || writer->failed || writer->open_error != NULL)
		return ph_record_parse_json(writer->record, line->text, line->len, error) &&
		       ph_mapping_writer_write(writer, writer->record, error);
	return written(writer,
	               write_slots(writer, type, slots,
	                           prepared->state == PH_SLOT_TEXT ? prepared : NULL, NULL, error),
	               error);
}

gboolean
ph_mapping_writer_write_lines(PhMappingWriter *writer, GInputStream *input, const gchar *source,
                              GError **error)
{
	g_autoptr(PhLineInput) lines = NULL;
	PhMappingAhead *ahead;
	const PhMappingRecord *type = NULL;
	const PhMappingSlot *slots = NULL;
	g_autoptr(GError) local = NULL;
	gboolean ok = TRUE;

	g_return_val_if_fail(writer != NULL && G_IS_INPUT_STREAM(input), FALSE);
	lines = ph_mapping_io_input_new(input, FALSE);
	ahead = ph_mapping_ahead_new(&json_ops, writer, lines, writer->n_fields + 2);
	while (ok && ph_mapping_ahead_next(ahead, &type, &slots, &local)) {
		ok = write_line(writer, type, slots, &local);
		if (!ok)
			g_set_error(error, PH_ERROR, local->code,
			            "%s line %" G_GUINT64_FORMAT ": %s", source,
			            ph_mapping_ahead_line(ahead), local->message);
	}
	if (ok && local != NULL) {
		g_set_error(error, PH_ERROR, local->code, "%s %s", source, local->message);
		ok = FALSE;
	}
	ph_mapping_ahead_free(ahead);
	return ok;
}

gboolean
ph_mapping_writer_finish(PhMappingWriter *writer, GError **error)
{
	g_return_val_if_fail(writer != NULL, FALSE);
	if (writer->failed || writer->open_error != NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "%s: %s", writer->target,
		            writer->open_error != NULL ? writer->open_error->message
		                                       : "an earlier write failed");
		return FALSE;
	}
	writer->failed = TRUE;
	if (!ph_mapping_reader_check_end(writer->mapping, writer->last_type, error) ||
	    !ph_mapping_totals_check(writer->totals, error) ||
	    !writer->ops->writer_finish(writer->state, error)) {
		g_prefix_error(error, "%s: ", writer->target);
		return FALSE;
	}
	writer->failed = FALSE;
	return TRUE;
}
