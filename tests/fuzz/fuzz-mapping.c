/* Shared body of the mapping-engine fuzz targets (fixed-width, delimited, XML readers): the
 * input must give records or a PH_ERROR, never a crash, a leak or a hang. Tests only. */
#include "ph-build-config.h"

#include "fuzz-mapping.h"

#include <gio/gio.h>
#include <string.h>

#include "ph-error.h"
#include "ph-mapping.h"

static PhMapping *
load_once(const gchar *name)
{
	static PhMapping *mapping = NULL;
	g_autoptr(GError) error = NULL;

	if (mapping != NULL)
		return mapping;
	if (g_str_has_suffix(name, ".xml")) {
		g_autofree gchar *path =
		        g_build_filename(PH_SOURCE_DIR, "tests", "data", "mappings", name, NULL);

		mapping = ph_mapping_load_file(PH_SOURCE_DIR "/mappings", path, &error);
	} else {
		mapping = ph_mapping_load_from_dir(PH_SOURCE_DIR "/mappings", name, &error);
	}
	if (mapping == NULL)
		g_printerr("fuzz: cannot load mapping %s: %s\n", name, error->message);
	return mapping;
}

/* Writes the records back; errors are fine (a reader may accept what a writer refuses,
 * e.g. a header count checked only at the end), crashes are not. */
static void
write_back(PhMapping *mapping, GPtrArray *records)
{
	g_autoptr(GOutputStream) output = g_memory_output_stream_new_resizable();
	g_autoptr(PhMappingWriter) writer = ph_mapping_writer_new(mapping, output, "fuzz-output");
	g_autoptr(PhRecord) record = ph_record_new();

	for (guint i = 0; i < records->len; i++) {
		const gchar *json = g_ptr_array_index(records, i);
		g_autoptr(GError) error = NULL;

		if (!ph_record_parse_json(record, json, strlen(json), &error) ||
		    !ph_mapping_writer_write(writer, record, &error))
			return;
	}
	ph_mapping_writer_finish(writer, NULL);
}

int
ph_fuzz_mapping_run(const gchar *name, const uint8_t *data, size_t size)
{
	PhMapping *mapping = load_once(name);
	g_autoptr(GInputStream) input = NULL;
	g_autoptr(PhMappingReader) reader = NULL;
	g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) json = g_string_new(NULL);
	const PhRecord *record;

	if (mapping == NULL)
		return 0;
	input = g_memory_input_stream_new_from_data(data, (gssize)size, NULL);
	reader = ph_mapping_reader_new(mapping, input, "fuzz-input");
	while ((record = ph_mapping_reader_next(reader, &error)) != NULL) {
		g_string_truncate(json, 0);
		ph_record_append_json(record, json);
		g_ptr_array_add(records, g_strdup(json->str));
	}
	if (error != NULL) {
		/* Every rejection is ours and says where. */
		g_assert_true(error->domain == PH_ERROR);
		g_assert_true(g_str_has_prefix(error->message, "fuzz-input"));
		return 0;
	}
	write_back(mapping, records);
	return 0;
}
