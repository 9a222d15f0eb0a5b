/* Writing canonical records as a partner file: record order and computed fields here, the
 * bytes in the layout. Hub layer; the bank adapter writes payout files through it. */
#include "ph-mapping-private.h"

#include "ph-error.h"

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

static gboolean
write_one(PhMappingWriter *writer, const PhRecord *record, GError **error)
{
	const gchar *kind = ph_record_get_kind(record);
	const PhMappingRecord *type = ph_mapping_find_record(writer->mapping, kind);

	if (writer->open_error != NULL) {
		g_propagate_error(error, g_error_copy(writer->open_error));
		return FALSE;
	}
	if (type == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "mapping %s has no record kind '%s'", writer->mapping->name, kind);
		return FALSE;
	}
	if (!check_keys(type, record, error) ||
	    !ph_mapping_reader_check_order(writer->mapping, writer->last_type, type,
	                                   writer->n_records, error) ||
	    !ph_mapping_totals_add(writer->totals, type, record, writer->n_records + 1, error) ||
	    !writer->ops->writer_write(writer->state, type, record, writer->totals, error))
		return FALSE;
	writer->last_type = type;
	writer->n_records++;
	return TRUE;
}

gboolean
ph_mapping_writer_write(PhMappingWriter *writer, const PhRecord *record, GError **error)
{
	g_return_val_if_fail(writer != NULL && record != NULL, FALSE);
	if (writer->failed) {
		g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "%s: an earlier write failed",
		            writer->target);
		return FALSE;
	}
	if (!write_one(writer, record, error)) {
		writer->failed = TRUE;
		g_prefix_error(error, "%s record %" G_GUINT64_FORMAT ": ", writer->target,
		               writer->n_records + 1);
		return FALSE;
	}
	return TRUE;
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
