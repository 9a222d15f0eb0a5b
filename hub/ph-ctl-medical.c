/* pensionctl medical compare --file F [--mapping NAME] | report ID [--summary]: the monthly
 * comparison (比对) of the medical insurance system's person file with the pension core.
 * The file streams through a delimited mapping (mappings/partners/medical-persons.xml) into
 * core/ph-medical-compare.c; the report is stored and printed as CSV. */
#include <json-glib/json-glib.h>
#include <string.h>

#include "ph-config.h"
#include "ph-ctl-store.h"
#include "ph-medical-compare.h"
#include "pension-hub.h"

#define PH_CTL_MEDICAL_USAGE   "medical compare --file FILE [--mapping NAME] | report ID [--summary]"
#define PH_CTL_MEDICAL_MAPPING "medical-persons"

/* "SHA256 hex" of the file, read in chunks. */
static gchar *
ph_ctl_medical_digest(GFile *file, GError **error)
{
	g_autoptr(GFileInputStream) input = g_file_read(file, NULL, error);
	if (input == NULL)
		return NULL;
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
	guchar buffer[65536];
	gssize got;
	while ((got = g_input_stream_read(G_INPUT_STREAM(input), buffer, sizeof buffer, NULL,
	                                  error)) > 0)
		g_checksum_update(checksum, buffer, (gsize)got);
	if (got < 0)
		return NULL;
	return g_strdup_printf("SHA256 %s", g_checksum_get_string(checksum));
}

static gboolean
ph_ctl_medical_stage(PhMedicalCompare *compare, PhMapping *mapping, GFile *file, const gchar *name,
                     GError **error)
{
	g_autoptr(GFileInputStream) input = g_file_read(file, NULL, error);
	if (input == NULL)
		return FALSE;
	g_autoptr(PhMappingReader) reader =
	        ph_mapping_reader_new(mapping, G_INPUT_STREAM(input), name);
	const PhRecord *record;
	while ((record = ph_mapping_reader_next(reader, error)) != NULL) {
		PhMedicalPerson person = {
		        ph_mapping_reader_get_line(reader), ph_record_get(record, "AAC002"),
		        ph_record_get(record, "AAC003"),    ph_record_get(record, "AAC004"),
		        ph_record_get(record, "AAC006"),    ph_record_get(record, "AAC084"),
		        ph_record_get(record, "AAE138")};
		if (!ph_medical_compare_add(compare, &person, error))
			return FALSE;
	}
	/* the whole file was read and its checks passed only when no error is set */
	return error == NULL || *error == NULL;
}

static void
ph_ctl_medical_print_summary(const gchar *summary_json, gboolean csv)
{
	g_autoptr(JsonNode) root = json_from_string(summary_json, NULL);
	JsonObject *report = root != NULL ? json_node_get_object(root) : NULL;
	if (report == NULL)
		return;
	JsonObject *summary = json_object_get_object_member(report, "summary");
	g_autoptr(GList) kinds = json_object_get_members(summary);
	kinds = g_list_sort(kinds, (GCompareFunc)g_strcmp0);
	if (csv)
		g_print("item,count\n");
	else
		g_print("report %" G_GINT64_FORMAT ": %s (%s)\n",
		        json_object_get_int_member(report, "report_id"),
		        json_object_get_string_member(report, "file_name"),
		        json_object_get_string_member(report, "digest"));
	const gchar *totals[] = {"file_records", "our_persons", "differences"};
	for (guint i = 0; i < G_N_ELEMENTS(totals); i++)
		g_print(csv ? "%s,%" G_GINT64_FORMAT "\n" : "  %-24s %" G_GINT64_FORMAT "\n",
		        totals[i], json_object_get_int_member(report, totals[i]));
	for (GList *kind = kinds; kind != NULL; kind = kind->next)
		g_print(csv ? "%s,%" G_GINT64_FORMAT "\n" : "  %-24s %" G_GINT64_FORMAT "\n",
		        (const gchar *)kind->data, json_object_get_int_member(summary, kind->data));
}

static int
ph_ctl_medical_compare(PhCtl *ctl, PhDb *db, int argc, char **argv)
{
	g_autofree gchar *path = NULL;
	g_autofree gchar *mapping_name = g_strdup(PH_CTL_MEDICAL_MAPPING);
	g_autoptr(GError) error = NULL;
	const GOptionEntry entries[] = {
	        {"file", 0, 0, G_OPTION_ARG_FILENAME, &path, "the medical person file", "FILE"},
	        {"mapping", 0, 0, G_OPTION_ARG_STRING, &mapping_name, "its layout", "NAME"},
	        {NULL},
	};
	if (!ph_ctl_store_parse(PH_CTL_MEDICAL_USAGE, entries, &argc, &argv) || path == NULL ||
	    argc != 1)
		return ph_ctl_usage(PH_CTL_MEDICAL_USAGE);
	PhConfig *config = ph_ctl_config(ctl, &error);
	if (config == NULL)
		return ph_ctl_fail(error);
	g_autoptr(PhMapping) mapping = ph_mapping_load_from_dir(
	        config->mapping_dir != NULL ? config->mapping_dir : ph_mapping_dir(), mapping_name,
	        &error);
	g_autoptr(GFile) file = g_file_new_for_commandline_arg(path);
	g_autofree gchar *name = g_file_get_basename(file);
	g_autofree gchar *digest = mapping != NULL ? ph_ctl_medical_digest(file, &error) : NULL;
	if (digest == NULL)
		return ph_ctl_fail(error);
	g_autoptr(PhMedicalCompare) compare = ph_medical_compare_begin(db, &error);
	gint64 report_id = 0;
	if (compare == NULL || !ph_ctl_medical_stage(compare, mapping, file, name, &error) ||
	    !ph_medical_compare_finish(compare, name, digest, ph_ctl_operator(ctl), &report_id,
	                               &error))
		return ph_ctl_fail(error);
	g_autofree gchar *summary = ph_medical_compare_summary_json(db, report_id, &error);
	if (summary == NULL)
		return ph_ctl_fail(error);
	ph_ctl_medical_print_summary(summary, FALSE);
	return PH_CTL_EXIT_OK;
}

/* One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line end. */
static void
ph_ctl_medical_csv_field(GString *line, const gchar *value, gboolean last)
{
	if (value != NULL && strpbrk(value, ",\"\r\n") != NULL) {
		g_string_append_c(line, '"');
		for (const gchar *c = value; *c != '\0'; c++) {
			if (*c == '"')
				g_string_append_c(line, '"');
			g_string_append_c(line, *c);
		}
		g_string_append_c(line, '"');
	} else if (value != NULL) {
		g_string_append(line, value);
	}
	g_string_append_c(line, last ? '\n' : ',');
}

static gboolean
ph_ctl_medical_print_line(const PhMedicalDifference *difference, gpointer user_data, GError **error)
{
	GString *line = user_data;
	g_autofree gchar *file_line =
	        difference->file_line > 0
	                ? g_strdup_printf("%" G_GINT64_FORMAT, difference->file_line)
	                : NULL;
	g_string_truncate(line, 0);
	g_string_append_printf(line, "%d,", difference->line_no);
	ph_ctl_medical_csv_field(line, difference->id_number, FALSE);
	ph_ctl_medical_csv_field(line, difference->difference, FALSE);
	ph_ctl_medical_csv_field(line, difference->field, FALSE);
	ph_ctl_medical_csv_field(line, difference->ours, FALSE);
	ph_ctl_medical_csv_field(line, difference->theirs, FALSE);
	ph_ctl_medical_csv_field(line, file_line, TRUE);
	g_print("%s", line->str);
	return TRUE;
}

static int
ph_ctl_medical_report(PhDb *db, int argc, char **argv)
{
	gboolean summary_only = FALSE;
	g_autoptr(GError) error = NULL;
	gint64 report_id = 0;
	const GOptionEntry entries[] = {
	        {"summary", 0, 0, G_OPTION_ARG_NONE, &summary_only, "only the summary", NULL},
	        {NULL},
	};
	if (!ph_ctl_store_parse(PH_CTL_MEDICAL_USAGE, entries, &argc, &argv) || argc != 2)
		return ph_ctl_usage(PH_CTL_MEDICAL_USAGE);
	if (!ph_ctl_store_parse_id(argv[1], &report_id, &error))
		return ph_ctl_fail(error);
	if (summary_only) {
		g_autofree gchar *summary = ph_medical_compare_summary_json(db, report_id, &error);
		if (summary == NULL)
			return ph_ctl_fail(error);
		ph_ctl_medical_print_summary(summary, TRUE);
		return PH_CTL_EXIT_OK;
	}
	g_autoptr(GString) line = g_string_new(NULL);
	g_print("line,AAC002,difference,field,ours,theirs,file_line\n");
	if (!ph_medical_compare_foreach(db, report_id, ph_ctl_medical_print_line, line, &error))
		return ph_ctl_fail(error);
	return PH_CTL_EXIT_OK;
}

int
ph_ctl_medical_main(PhCtl *ctl, int argc, char **argv)
{
	if (argc < 2 || (!g_str_equal(argv[1], "compare") && !g_str_equal(argv[1], "report")))
		return ph_ctl_usage(PH_CTL_MEDICAL_USAGE);
	PhDb *db = ph_ctl_store_db(ctl);
	if (db == NULL)
		return PH_CTL_EXIT_FAILED;
	if (g_str_equal(argv[1], "compare"))
		return ph_ctl_medical_compare(ctl, db, argc - 1, argv + 1);
	return ph_ctl_medical_report(db, argc - 1, argv + 1);
}
