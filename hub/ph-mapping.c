/* Loading mapping files: schema validation first, then the checks a schema cannot make
 * (kinds, keys, widths, computed fields, tables, namespaces), each naming its line. Hub
 * layer. */
#include "ph-build-config.h"

#include "ph-mapping-private.h"

#include <string.h>

#include "ph-error.h"
#include "ph-mapping-schema.h"

typedef struct {
	PhMapping *mapping;
	const gchar *dir;
	const gchar *path;
} Loader;

const gchar *
ph_mapping_dir(void)
{
	const gchar *dir = g_getenv("PH_MAPPING_DIR");

	return dir != NULL && dir[0] != '\0' ? dir : PH_SOURCE_DIR "/mappings";
}

static void
free_steps(PhMappingStep *steps, guint n_steps)
{
	for (guint i = 0; i < n_steps; i++) {
		g_free(steps[i].ns);
		g_free(steps[i].name);
	}
	g_free(steps);
}

static void
field_free(PhMappingField *field)
{
	g_free(field->key);
	g_free(field->constant);
	g_free(field->column);
	free_steps(field->steps, field->n_steps);
	g_free(field->of_kind);
	g_free(field->sum_of);
	g_free(field->where);
	g_free(field->where_value);
	g_free(field->json_key);
	g_free(field);
}

static void
record_free(PhMappingRecord *record)
{
	g_free(record->kind);
	g_free(record->json_kind);
	g_ptr_array_unref(record->fields);
	g_hash_table_unref(record->keys);
	free_steps(record->steps, record->n_steps);
	g_free(record);
}

PhMapping *
ph_mapping_ref(PhMapping *mapping)
{
	g_return_val_if_fail(mapping != NULL, NULL);
	g_atomic_int_inc(&mapping->ref);
	return mapping;
}

void
ph_mapping_unref(PhMapping *mapping)
{
	if (mapping == NULL || !g_atomic_int_dec_and_test(&mapping->ref))
		return;
	g_free(mapping->name);
	g_free(mapping->path);
	g_free(mapping->title);
	g_free(mapping->encoding);
	g_ptr_array_unref(mapping->namespaces);
	g_ptr_array_unref(mapping->records);
	g_ptr_array_unref(mapping->computed);
	g_ptr_array_unref(mapping->tables);
	g_ptr_array_unref(mapping->maps);
	g_free(mapping);
}

const gchar *
ph_mapping_get_name(const PhMapping *mapping)
{
	return mapping->name;
}

PhMappingFormat
ph_mapping_get_format(const PhMapping *mapping)
{
	return mapping->format;
}

const gchar *
ph_mapping_get_encoding(const PhMapping *mapping)
{
	return mapping->encoding;
}

const PhMappingRecord *
ph_mapping_find_record(const PhMapping *mapping, const gchar *kind)
{
	for (guint i = 0; i < mapping->records->len; i++) {
		const PhMappingRecord *record = g_ptr_array_index(mapping->records, i);

		if (g_str_equal(record->kind, kind))
			return record;
	}
	return NULL;
}

static gboolean G_GNUC_PRINTF(4, 5)
        fail_at(GError **error, const Loader *loader, glong line, const gchar *format, ...)
{
	va_list args;
	g_autofree gchar *message = NULL;

	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "%s:%ld: %s", loader->path, line, message);
	return FALSE;
}

/* Errors about an element of the mapping file name its line. */
#define fail(error, loader, node, ...) fail_at(error, loader, xmlGetLineNo(node), __VA_ARGS__)

static PhCodeTable *
find_table(Loader *loader, const gchar *code, GError **error)
{
	PhCodeTable *table;

	for (guint i = 0; i < loader->mapping->tables->len; i++) {
		table = g_ptr_array_index(loader->mapping->tables, i);
		if (g_str_equal(ph_codetable_get_code(table), code))
			return table;
	}
	table = ph_codetable_load(loader->dir, code, error);
	if (table != NULL)
		g_ptr_array_add(loader->mapping->tables, table);
	return table;
}

static PhValueMap *
find_map(Loader *loader, const gchar *name, GError **error)
{
	PhValueMap *map;

	for (guint i = 0; i < loader->mapping->maps->len; i++) {
		map = g_ptr_array_index(loader->mapping->maps, i);
		if (g_str_equal(ph_valuemap_get_name(map), name))
			return map;
	}
	/* A mapping tried from outside the mapping folder (`map convert --mapping PATH`) finds
	 * its value maps beside it first, so a new bank's files can be tried together before
	 * they are installed. */
	g_autofree gchar *folder = g_path_get_dirname(loader->path);
	g_autofree gchar *file = g_strconcat(name, ".xml", NULL);
	g_autofree gchar *beside = g_build_filename(folder, file, NULL);
	map = g_file_test(beside, G_FILE_TEST_IS_REGULAR)
	              ? ph_valuemap_load_file(loader->dir, beside, name, error)
	              : ph_valuemap_load(loader->dir, name, error);
	if (map != NULL)
		g_ptr_array_add(loader->mapping->maps, map);
	return map;
}

static const gchar *
namespace_uri(const PhMapping *mapping, const gchar *prefix)
{
	for (guint i = 0; i + 1 < mapping->namespaces->len; i += 2) {
		if (g_str_equal(g_ptr_array_index(mapping->namespaces, i), prefix))
			return g_ptr_array_index(mapping->namespaces, i + 1);
	}
	return NULL;
}

/* "p:A/p:B/@c" -> steps; prefixes must be declared; an attribute only as the last step. */
static gboolean
parse_path(Loader *loader, xmlNode *node, const gchar *path, PhMappingStep **steps, guint *n_steps,
           GError **error)
{
	g_auto(GStrv) parts = g_strsplit(path, "/", -1);
	guint n = g_strv_length(parts);

	*steps = g_new0(PhMappingStep, n);
	*n_steps = n;
	for (guint i = 0; i < n; i++) {
		gchar *part = parts[i];
		gchar *colon;
		PhMappingStep *step = &(*steps)[i];

		step->attribute = part[0] == '@';
		if (step->attribute && i + 1 != n)
			return fail(error, loader, node, "path '%s': an attribute must be last",
			            path);
		part += step->attribute ? 1 : 0;
		colon = strchr(part, ':');
		if (colon != NULL) {
			const gchar *uri;

			*colon = '\0';
			uri = namespace_uri(loader->mapping, part);
			if (uri == NULL)
				return fail(error, loader, node,
				            "path '%s': namespace prefix '%s' is not declared",
				            path, part);
			step->ns = g_strdup(uri);
			part = colon + 1;
		}
		if (part[0] == '\0' || xmlValidateNCName((const xmlChar *)part, 0) != 0)
			return fail(error, loader, node, "path '%s': '%s' is not an XML name", path,
			            part);
		step->name = g_strdup(part);
	}
	return TRUE;
}

static const struct {
	const gchar *name;
	gint value;
} field_types[] = {{"text", PH_FIELD_TEXT},
                   {"digits", PH_FIELD_DIGITS},
                   {"integer", PH_FIELD_INTEGER},
                   {"amount", PH_FIELD_AMOUNT}},
  computes[] = {{"count", PH_COMPUTE_COUNT},
                {"sum", PH_COMPUTE_SUM},
                {"sequence", PH_COMPUTE_SEQUENCE}},
  checks[] = {
          {"citizen-id", PH_CHECK_CITIZEN_ID}, {"uscc", PH_CHECK_USCC}, {"luhn", PH_CHECK_LUHN}};

#define LOOKUP(table, name, fallback) lookup_enum(table, G_N_ELEMENTS(table), name, fallback)

static gint
lookup_enum(const void *table, gsize n, const gchar *name, gint fallback)
{
	const struct {
		const gchar *name;
		gint value;
	} *entries = table;

	for (gsize i = 0; name != NULL && i < n; i++) {
		if (g_str_equal(entries[i].name, name))
			return entries[i].value;
	}
	return fallback;
}

static void
read_field_attrs(PhMappingField *field, xmlNode *node)
{
	g_autofree gchar *type = ph_mapping_schema_attr(node, "type");
	g_autofree gchar *unit = ph_mapping_schema_attr(node, "unit");
	g_autofree gchar *align = ph_mapping_schema_attr(node, "align");
	g_autofree gchar *pad = ph_mapping_schema_attr(node, "pad");
	g_autofree gchar *bytes = ph_mapping_schema_attr(node, "bytes");
	g_autofree gchar *overflow = ph_mapping_schema_attr(node, "overflow");
	g_autofree gchar *compute = ph_mapping_schema_attr(node, "compute");
	g_autofree gchar *check = ph_mapping_schema_attr(node, "check");
	g_autofree gchar *differs = ph_mapping_schema_attr(node, "differs");

	field->line = (guint)xmlGetLineNo(node);
	field->key = ph_mapping_schema_attr(node, "key");
	field->constant = ph_mapping_schema_attr(node, "const");
	field->constant_len = field->constant != NULL ? strlen(field->constant) : 0;
	field->tag = ph_mapping_schema_attr_bool(node, "tag", FALSE);
	field->column = ph_mapping_schema_attr(node, "column");
	field->type = LOOKUP(field_types, type, PH_FIELD_TEXT);
	field->yuan = g_strcmp0(unit, "yuan") == 0;
	field->align_right =
	        align != NULL ? g_str_equal(align, "right") : field->type != PH_FIELD_TEXT;
	field->pad = pad != NULL ? pad[0] : field->type != PH_FIELD_TEXT ? '0' : ' ';
	field->bytes = bytes != NULL ? (gsize)g_ascii_strtoull(bytes, NULL, 10) : 0;
	/* A fixed-width number cannot be told from its padding when empty: always required. */
	field->required = ph_mapping_schema_attr_bool(node, "required", FALSE) ||
	                  (xmlStrEqual(node->parent->parent->name, (const xmlChar *)"fixed") &&
	                   field->type != PH_FIELD_TEXT && field->type != PH_FIELD_DIGITS);
	field->truncate = g_strcmp0(overflow, "truncate") == 0;
	field->compute = LOOKUP(computes, compute, PH_COMPUTE_NONE);
	field->check = LOOKUP(checks, check, PH_CHECK_NONE);
	field->of_kind = ph_mapping_schema_attr(node, "of");
	field->sum_of = ph_mapping_schema_attr(node, "sum-of");
	field->where = ph_mapping_schema_attr(node, "where");
	field->where_value = ph_mapping_schema_attr(node, "equals");
	if (differs != NULL) {
		field->where_differs = TRUE;
		g_free(field->where_value);
		field->where_value = g_steal_pointer(&differs);
	}
}

static gboolean
check_field_shape(Loader *loader, xmlNode *node, PhMappingField *field, GError **error)
{
	PhMapping *mapping = loader->mapping;

	if (field->key == NULL && field->constant == NULL)
		return fail(error, loader, node, "a field needs a key or a const");
	if (g_strcmp0(field->key, "kind") == 0)
		return fail(error, loader, node, "'kind' is reserved for the record kind");
	if (field->tag && field->constant == NULL)
		return fail(error, loader, node, "a tag field needs a const");
	if (mapping->format == PH_MAPPING_FORMAT_FIXED && field->bytes == 0)
		return fail(error, loader, node, "a fixed-width field needs bytes");
	if (mapping->format == PH_MAPPING_FORMAT_FIXED && field->constant != NULL &&
	    strlen(field->constant) > field->bytes)
		return fail(error, loader, node, "const '%s' is longer than %zu bytes",
		            field->constant, field->bytes);
	if (mapping->format == PH_MAPPING_FORMAT_FIXED && field->type != PH_FIELD_TEXT &&
	    field->pad != '0' && field->pad != ' ')
		return fail(error, loader, node, "a number is padded with '0' or ' '");
	if (mapping->format == PH_MAPPING_FORMAT_XML && field->n_steps == 0)
		return fail(error, loader, node, "an XML field needs a path");
	if (field->compute != PH_COMPUTE_NONE && field->type != PH_FIELD_INTEGER &&
	    field->type != PH_FIELD_AMOUNT)
		return fail(error, loader, node, "a computed field is an integer or an amount");
	if (field->compute == PH_COMPUTE_SUM && field->type != PH_FIELD_AMOUNT)
		return fail(error, loader, node, "a sum is an amount");
	if (field->compute != PH_COMPUTE_NONE && field->key == NULL)
		return fail(error, loader, node, "a computed field needs a key");
	return TRUE;
}

static gboolean
parse_field(Loader *loader, PhMappingRecord *record, xmlNode *node, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autofree gchar *path = ph_mapping_schema_attr(node, "path");
	g_autofree gchar *table = ph_mapping_schema_attr(node, "table");
	g_autofree gchar *map = ph_mapping_schema_attr(node, "map");
	PhMappingField *field = g_new0(PhMappingField, 1);

	g_ptr_array_add(record->fields, field);
	read_field_attrs(field, node);
	if (path != NULL && !parse_path(loader, node, path, &field->steps, &field->n_steps, error))
		return FALSE;
	if (!check_field_shape(loader, node, field, error))
		return FALSE;
	for (guint i = 0; field->key != NULL && i + 1 < record->fields->len; i++) {
		PhMappingField *other = g_ptr_array_index(record->fields, i);

		if (g_strcmp0(other->key, field->key) == 0)
			return fail(error, loader, node, "key %s appears twice in record %s",
			            field->key, record->kind);
	}
	if (table != NULL && (field->table = find_table(loader, table, &local)) == NULL)
		return fail(error, loader, node, "%s", local->message);
	if (map != NULL && (field->map = find_map(loader, map, &local)) == NULL)
		return fail(error, loader, node, "%s", local->message);
	if (field->key != NULL) {
		g_hash_table_add(record->keys, field->key);
		field->json_key =
		        ph_mapping_slots_json_text(",\"", field->key, "\":", &field->json_key_len);
	}
	field->index = record->fields->len - 1;
	field->offset = record->width;
	record->width += field->bytes;
	return TRUE;
}

static gboolean
parse_record(Loader *loader, xmlNode *node, GError **error)
{
	PhMapping *mapping = loader->mapping;
	PhMappingRecord *record = g_new0(PhMappingRecord, 1);
	g_autofree gchar *position = ph_mapping_schema_attr(node, "position");
	g_autofree gchar *path = ph_mapping_schema_attr(node, "path");
	g_autoptr(GPtrArray) fields = ph_mapping_schema_children(node, "field");

	record->kind = ph_mapping_schema_attr(node, "kind");
	record->json_kind = ph_mapping_slots_json_text("{\"kind\":\"", record->kind, "\"",
	                                               &record->json_kind_len);
	record->line = (guint)xmlGetLineNo(node);
	record->index = mapping->records->len;
	record->fields = g_ptr_array_new_with_free_func((GDestroyNotify)field_free);
	record->keys = g_hash_table_new(g_str_hash, g_str_equal);
	record->position = g_strcmp0(position, "first") == 0  ? PH_POSITION_FIRST
	                   : g_strcmp0(position, "last") == 0 ? PH_POSITION_LAST
	                                                      : PH_POSITION_BODY;
	record->container = ph_mapping_schema_attr_bool(node, "container", FALSE);
	if (ph_mapping_find_record(mapping, record->kind) != NULL) {
		fail(error, loader, node, "record kind %s appears twice", record->kind);
		record_free(record);
		return FALSE;
	}
	g_ptr_array_add(mapping->records, record);
	if (mapping->format == PH_MAPPING_FORMAT_XML && path == NULL)
		return fail(error, loader, node, "an XML record needs a path");
	if (path != NULL &&
	    !parse_path(loader, node, path, &record->steps, &record->n_steps, error))
		return FALSE;
	for (guint i = 0; i < fields->len; i++) {
		if (!parse_field(loader, record, g_ptr_array_index(fields, i), error))
			return FALSE;
	}
	return TRUE;
}

static const PhMappingField *
find_field(const PhMappingRecord *record, const gchar *key)
{
	for (guint i = 0; i < record->fields->len; i++) {
		const PhMappingField *field = g_ptr_array_index(record->fields, i);

		if (g_strcmp0(field->key, key) == 0)
			return field;
	}
	return NULL;
}

static gboolean
resolve_compute(Loader *loader, xmlNode *layout, PhMappingRecord *record, PhMappingField *field,
                GError **error)
{
	const gchar *of_kind = field->of_kind != NULL ? field->of_kind : record->kind;
	const PhMappingRecord *of = ph_mapping_find_record(loader->mapping, of_kind);
	const PhMappingField *summed;
	const gchar *where = field->where;

	if (of == NULL)
		return fail_at(error, loader, field->line, "field %s counts unknown record %s",
		               field->key, of_kind);
	if (field->compute == PH_COMPUTE_SEQUENCE && of != record)
		return fail_at(error, loader, field->line, "a sequence counts its own record");
	field->of = of->index;
	if (field->compute == PH_COMPUTE_SUM) {
		summed = field->sum_of != NULL ? find_field(of, field->sum_of) : NULL;
		if (summed == NULL || summed->type != PH_FIELD_AMOUNT)
			return fail_at(error, loader, field->line,
			               "field %s: sum-of must name an amount of record %s",
			               field->key, of->kind);
	}
	if (where != NULL && (find_field(of, where) == NULL || field->where_value == NULL))
		return fail_at(error, loader, field->line,
		               "field %s: where must name a field of record %s and give "
		               "equals or differs",
		               field->key, of->kind);
	field->computation = loader->mapping->computed->len;
	g_ptr_array_add(loader->mapping->computed, field);
	return TRUE;
}

static gboolean
check_records(Loader *loader, xmlNode *layout, GError **error)
{
	PhMapping *mapping = loader->mapping;
	guint untagged = 0, first = 0, last = 0;

	for (guint i = 0; i < mapping->records->len; i++) {
		PhMappingRecord *record = g_ptr_array_index(mapping->records, i);
		gboolean tagged = FALSE;

		for (guint j = 0; j < record->fields->len; j++) {
			PhMappingField *field = g_ptr_array_index(record->fields, j);

			tagged = tagged || field->tag;
			if (field->compute != PH_COMPUTE_NONE &&
			    !resolve_compute(loader, layout, record, field, error))
				return FALSE;
		}
		untagged += tagged ? 0 : 1;
		first += record->position == PH_POSITION_FIRST ? 1 : 0;
		last += record->position == PH_POSITION_LAST ? 1 : 0;
	}
	if (mapping->format != PH_MAPPING_FORMAT_XML && untagged > 1)
		return fail(error, loader, layout,
		            "%u record kinds have no tag field: at most one may match any line",
		            untagged);
	if (first > 1 || last > 1)
		return fail(error, loader, layout, "at most one first and one last record");
	if (mapping->header && mapping->records->len != 1)
		return fail(error, loader, layout, "a header line needs exactly one record kind");
	return TRUE;
}

static gboolean
steps_equal(const PhMappingStep *a, const PhMappingStep *b)
{
	return g_strcmp0(a->ns, b->ns) == 0 && g_str_equal(a->name, b->name) &&
	       a->attribute == b->attribute;
}

/* XML records share the root element; only a container may hold other records. */
static gboolean
check_xml_paths(Loader *loader, xmlNode *layout, GError **error)
{
	PhMapping *mapping = loader->mapping;
	const PhMappingRecord *head = g_ptr_array_index(mapping->records, 0);

	for (guint i = 0; i < mapping->records->len; i++) {
		const PhMappingRecord *record = g_ptr_array_index(mapping->records, i);

		if (!steps_equal(&record->steps[0], &head->steps[0]))
			return fail_at(error, loader, record->line,
			               "record %s starts at another root element", record->kind);
		for (guint j = 0; j < mapping->records->len; j++) {
			const PhMappingRecord *outer = g_ptr_array_index(mapping->records, j);
			gboolean inside = outer != record && outer->n_steps < record->n_steps;

			for (guint k = 0; inside && k < outer->n_steps; k++)
				inside = steps_equal(&outer->steps[k], &record->steps[k]);
			if (inside && !outer->container)
				return fail_at(error, loader, record->line,
				               "record %s lies inside record %s, which is "
				               "not a container",
				               record->kind, outer->kind);
		}
	}
	return TRUE;
}

static gboolean
parse_layout_attrs(Loader *loader, xmlNode *layout, GError **error)
{
	PhMapping *mapping = loader->mapping;
	g_autofree gchar *line_end = ph_mapping_schema_attr(layout, "line-end");
	g_autofree gchar *delimiter = ph_mapping_schema_attr(layout, "delimiter");
	g_autofree gchar *quote = ph_mapping_schema_attr(layout, "quote");
	g_autofree gchar *max_bytes = ph_mapping_schema_attr(layout, "max-bytes");
	g_autofree gchar *max_depth = ph_mapping_schema_attr(layout, "max-depth");
	g_autoptr(GPtrArray) namespaces = ph_mapping_schema_children(layout, "namespace");

	mapping->format = xmlStrEqual(layout->name, (const xmlChar *)"fixed")
	                          ? PH_MAPPING_FORMAT_FIXED
	                  : xmlStrEqual(layout->name, (const xmlChar *)"delimited")
	                          ? PH_MAPPING_FORMAT_DELIMITED
	                          : PH_MAPPING_FORMAT_XML;
	mapping->encoding = ph_mapping_schema_attr(layout, "encoding");
	mapping->crlf = g_strcmp0(line_end, "CRLF") == 0;
	mapping->bom = ph_mapping_schema_attr_bool(layout, "bom", FALSE);
	mapping->delimiter = delimiter != NULL ? delimiter[0] : 0;
	mapping->quote = quote != NULL ? quote[0] : 0;
	mapping->header = ph_mapping_schema_attr_bool(layout, "header", FALSE);
	mapping->max_bytes = max_bytes != NULL ? g_ascii_strtoull(max_bytes, NULL, 10) : 0;
	mapping->max_depth = max_depth != NULL ? (guint)g_ascii_strtoull(max_depth, NULL, 10) : 0;
	if (mapping->bom && g_strcmp0(mapping->encoding, "UTF-8") != 0)
		return fail(error, loader, layout, "a byte order mark is for UTF-8 files only");
	if (mapping->delimiter != 0 &&
	    (mapping->delimiter == mapping->quote || (guchar)mapping->delimiter >= 0x80 ||
	     mapping->delimiter == '\r' || mapping->delimiter == '\n'))
		return fail(error, loader, layout, "the delimiter must be ASCII, not the quote");
	for (guint i = 0; i < namespaces->len; i++) {
		xmlNode *node = g_ptr_array_index(namespaces, i);

		g_ptr_array_add(mapping->namespaces, ph_mapping_schema_attr(node, "prefix"));
		g_ptr_array_add(mapping->namespaces, ph_mapping_schema_attr(node, "uri"));
	}
	return TRUE;
}

static gboolean
parse_valuemaps(Loader *loader, xmlNode *root, GError **error)
{
	g_autoptr(GPtrArray) maps = ph_mapping_schema_children(root, "valuemap");

	for (guint i = 0; i < maps->len; i++) {
		PhValueMap *map =
		        ph_valuemap_new_from_node(loader->path, g_ptr_array_index(maps, i), error);

		if (map == NULL)
			return FALSE;
		g_ptr_array_add(loader->mapping->maps, map);
	}
	return TRUE;
}

static gboolean
parse_mapping(Loader *loader, xmlNode *root, GError **error)
{
	g_autoptr(GPtrArray) layouts = ph_mapping_schema_children(root, NULL);
	g_autoptr(GPtrArray) records = NULL;
	xmlNode *layout = g_ptr_array_index(layouts, layouts->len - 1);

	loader->mapping->name = ph_mapping_schema_attr(root, "name");
	loader->mapping->title = ph_mapping_schema_attr(root, "title");
	if (!parse_valuemaps(loader, root, error) || !parse_layout_attrs(loader, layout, error))
		return FALSE;
	records = ph_mapping_schema_children(layout, "record");
	for (guint i = 0; i < records->len; i++) {
		if (!parse_record(loader, g_ptr_array_index(records, i), error))
			return FALSE;
	}
	if (loader->mapping->format == PH_MAPPING_FORMAT_XML &&
	    !check_xml_paths(loader, layout, error))
		return FALSE;
	return check_records(loader, layout, error);
}

PhMapping *
ph_mapping_load_file(const gchar *dir, const gchar *path, GError **error)
{
	g_autoptr(PhMapping) mapping = g_new0(PhMapping, 1);
	g_autoptr(xmlDoc) doc = NULL;
	g_autoptr(PhEncoding) encoding = NULL;
	Loader loader = {mapping, dir != NULL ? dir : ph_mapping_dir(), path};

	g_return_val_if_fail(path != NULL, NULL);
	mapping->ref = 1;
	mapping->path = g_strdup(path);
	mapping->namespaces = g_ptr_array_new_with_free_func(g_free);
	mapping->records = g_ptr_array_new_with_free_func((GDestroyNotify)record_free);
	mapping->computed = g_ptr_array_new();
	mapping->tables = g_ptr_array_new_with_free_func((GDestroyNotify)ph_codetable_free);
	mapping->maps = g_ptr_array_new_with_free_func((GDestroyNotify)ph_valuemap_free);
	doc = ph_mapping_schema_load(loader.dir, path, "mapping", error);
	if (doc == NULL || !parse_mapping(&loader, xmlDocGetRootElement(doc), error))
		return NULL;
	encoding = ph_encoding_new(mapping->encoding, error);
	if (encoding == NULL)
		return NULL;
	return g_steal_pointer(&mapping);
}

static gboolean
valid_name(const gchar *name)
{
	return name[0] != '\0' && name[0] != '.' &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-") == strlen(name);
}

PhMapping *
ph_mapping_load_from_dir(const gchar *dir, const gchar *name, GError **error)
{
	g_autofree gchar *file = NULL;
	g_autofree gchar *path = NULL;
	g_autoptr(PhMapping) mapping = NULL;

	g_return_val_if_fail(dir != NULL && name != NULL, NULL);
	if (!valid_name(name)) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "mapping name '%s' must be lower-case letters, digits, '.', '_', '-'",
		            name);
		return NULL;
	}
	file = g_strconcat(name, ".xml", NULL);
	path = g_build_filename(dir, "partners", file, NULL);
	if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
		g_set_error(error, PH_ERROR, PH_ERROR_NOT_FOUND, "no mapping %s (looked for %s)",
		            name, path);
		return NULL;
	}
	mapping = ph_mapping_load_file(dir, path, error);
	if (mapping != NULL && !g_str_equal(mapping->name, name)) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "%s says name %s, not %s", path,
		            mapping->name, name);
		return NULL;
	}
	return g_steal_pointer(&mapping);
}

PhMapping *
ph_mapping_load(const gchar *name, GError **error)
{
	return ph_mapping_load_from_dir(ph_mapping_dir(), name, error);
}

static gchar *
describe(const PhMapping *mapping)
{
	static const gchar *const formats[] = {"fixed", "delimited", "xml"};

	return g_strdup_printf("mapping %s: %s, %s, %u record kind%s", mapping->name,
	                       formats[mapping->format], mapping->encoding, mapping->records->len,
	                       mapping->records->len == 1 ? "" : "s");
}

gboolean
ph_mapping_check_file(const gchar *dir, const gchar *path, gchar **summary, GError **error)
{
	g_autoptr(xmlDoc) doc = NULL;
	g_autoptr(PhMapping) mapping = NULL;
	g_autoptr(PhValueMap) map = NULL;
	g_autofree gchar *name = NULL;
	xmlNode *root;

	g_return_val_if_fail(path != NULL && summary != NULL, FALSE);
	dir = dir != NULL ? dir : ph_mapping_dir();
	doc = ph_mapping_schema_load(dir, path, NULL, error);
	if (doc == NULL)
		return FALSE;
	root = xmlDocGetRootElement(doc);
	name = ph_mapping_schema_attr(
	        root, xmlStrEqual(root->name, (const xmlChar *)"codetable") ? "code" : "name");
	if (xmlStrEqual(root->name, (const xmlChar *)"valuemap")) {
		map = ph_valuemap_new_from_node(path, root, error);
		*summary = map != NULL ? g_strdup_printf("value map %s", name) : NULL;
		return map != NULL;
	}
	if (xmlStrEqual(root->name, (const xmlChar *)"codetable")) {
		g_autofree gchar *standard = ph_mapping_schema_attr(root, "standard");
		g_autofree gchar *version = ph_mapping_schema_attr(root, "version");

		*summary = g_strdup_printf("code table %s (%s—%s)", name, standard, version);
		return TRUE;
	}
	mapping = ph_mapping_load_file(dir, path, error);
	if (mapping == NULL)
		return FALSE;
	*summary = describe(mapping);
	return TRUE;
}
