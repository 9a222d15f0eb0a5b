/* XML layout: records are elements at absolute paths, fields are element or attribute paths
 * relative to them, with namespaces. Input is hostile: streamed with xmlTextReader, no
 * network, no DTD, no entity expansion, size and depth capped. Output through
 * xmlTextWriter. Mapping engine only. */
#include "ph-mapping-private.h"

#include <libxml/xmlreader.h>
#include <libxml/xmlwriter.h>
#include <string.h>

#include "ph-error.h"
#include "ph-mapping-io.h"

#define DEFAULT_MAX_BYTES (G_GUINT64_CONSTANT(2) * 1024 * 1024 * 1024)
#define DEFAULT_MAX_DEPTH 64
#define MAX_STEPS         64
/* The most input one record (or field element) may span: it is built in memory whole, at
 * some 30 times its bytes for a crafted one of empty elements. Ours are a few KiB. */
#define MAX_RECORD_BYTES (1024 * 1024)

typedef struct {
	PhMapping *mapping;
	GInputStream *input;
	xmlTextReader *xml;
	guint64 bytes_read;
	guint64 max_bytes;
	guint max_depth;
	GString *errors;
	GError *read_error;     /* the input's own failure, which is not the file's fault */
	guint64 expanding_from; /* bytes_read when the element being expanded began; 0: none */
	GString *scratch;
	/* Per depth, the record kinds whose path matches the element path so far (bit i for
	 * record i), so that no element name is kept. */
	guint64 matching[MAX_STEPS];
	/* An open container record: emitted before its first nested record, or at its end. */
	const PhMappingRecord *container;
	gint container_depth;
	PhRecord *container_record;
	gboolean container_pending;
	gboolean skip_subtree; /* the last record was a leaf: step over its subtree */
	gboolean replay;       /* stay on the current node (a container was emitted first) */
	guint64 line;
} XmlReader;

static int
read_input(void *context, char *buffer, int len)
{
	XmlReader *reader = context;
	gssize got = g_input_stream_read(reader->input, buffer, (gsize)len, NULL,
	                                 reader->read_error == NULL ? &reader->read_error : NULL);

	if (got < 0)
		return -1;
	reader->bytes_read += (guint64)got;
	if (reader->bytes_read > reader->max_bytes) {
		g_string_append_printf(reader->errors, "larger than %" G_GUINT64_FORMAT " bytes",
		                       reader->max_bytes);
		return -1;
	}
	if (reader->expanding_from > 0 &&
	    reader->bytes_read - reader->expanding_from > MAX_RECORD_BYTES) {
		g_string_append_printf(reader->errors,
		                       "line %" G_GUINT64_FORMAT ": a record larger than %d bytes",
		                       reader->line, MAX_RECORD_BYTES);
		return -1;
	}
	return (int)got;
}

/* Why reading stopped: the input's own error when reading it failed (a dropped connection
 * says nothing about the file), else libxml2's first complaint about the file. */
static void
set_failure(XmlReader *reader, GError **error)
{
	/* ours (a kept copy that does not authenticate, a store that cannot write) keeps its
	 * code; a foreign one (a dropped connection) is transient */
	if (reader->read_error != NULL)
		g_set_error(error, PH_ERROR,
		            reader->read_error->domain == PH_ERROR ? reader->read_error->code
		                                                   : PH_ERROR_TRANSIENT,
		            "cannot read the input: %s", reader->read_error->message);
	else
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "%s",
		            reader->errors->len > 0 ? reader->errors->str : "not well-formed");
}

static void
collect_error(void *context, xmlErrorPtr error)
{
	XmlReader *reader = context;

	if (reader->errors->len > 0 || error->level < XML_ERR_ERROR)
		return;
	g_string_append_printf(reader->errors, "line %d: %s", error->line,
	                       error->message != NULL ? error->message : "not well-formed");
	g_strchomp(reader->errors->str);
	reader->errors->len = strlen(reader->errors->str);
}

static gpointer
xml_reader_new(PhMapping *mapping, GInputStream *input, GError **error)
{
	XmlReader *reader = g_new0(XmlReader, 1);

	reader->mapping = mapping;
	/* libxml2 asks for 4,000 bytes at a time: through a buffer of its own the file is read
	 * in 64 KiB reads (a 182 MB batch: 2,800 instead of 44,600 read calls). The caller's
	 * stream stays open, for the caller to close (a digest tee ends there). */
	reader->input = g_buffered_input_stream_new_sized(input, 64 * 1024);
	g_filter_input_stream_set_close_base_stream(G_FILTER_INPUT_STREAM(reader->input), FALSE);
	reader->max_bytes = mapping->max_bytes > 0 ? mapping->max_bytes : DEFAULT_MAX_BYTES;
	reader->max_depth =
	        mapping->max_depth > 0 ? MIN(mapping->max_depth, MAX_STEPS - 1) : DEFAULT_MAX_DEPTH;
	reader->errors = g_string_new(NULL);
	reader->scratch = g_string_new(NULL);
	reader->container_record = ph_record_new();
	/* No NOENT, DTDLOAD or HUGE: entities stay unexpanded and nothing is fetched. */
	reader->xml = xmlReaderForIO(read_input, NULL, reader, NULL, NULL,
	                             XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	                                     XML_PARSE_COMPACT | XML_PARSE_BIG_LINES);
	if (reader->xml == NULL) {
		g_set_error_literal(error, PH_ERROR, PH_ERROR_FAILED,
		                    "cannot create an XML reader");
		return reader;
	}
	xmlTextReaderSetStructuredErrorHandler(reader->xml, collect_error, reader);
	return reader;
}

static void
xml_reader_free(gpointer state)
{
	XmlReader *reader = state;

	if (reader->xml != NULL)
		xmlFreeTextReader(reader->xml);
	g_object_unref(reader->input);
	g_string_free(reader->errors, TRUE);
	g_clear_error(&reader->read_error);
	g_string_free(reader->scratch, TRUE);
	ph_record_free(reader->container_record);
	g_free(reader);
}

static guint64
xml_reader_line(gpointer state)
{
	return ((XmlReader *)state)->line;
}

static gboolean
step_matches(const PhMappingStep *step, const xmlChar *ns, const xmlChar *name)
{
	/* The local name first: it differs far more often than the namespace. */
	return strcmp(step->name, (const gchar *)name) == 0 &&
	       g_strcmp0(step->ns, (const gchar *)ns) == 0;
}

/* Narrows the record kinds that match the path down to this element; returns the one whose
 * path ends here, or NULL. */
static const PhMappingRecord *
record_here(XmlReader *reader, gint depth)
{
	const xmlChar *ns = xmlTextReaderConstNamespaceUri(reader->xml);
	const xmlChar *name = xmlTextReaderConstLocalName(reader->xml);
	guint64 candidates = depth == 0 ? G_MAXUINT64 : reader->matching[depth - 1];
	const PhMappingRecord *found = NULL;

	reader->matching[depth] = 0;
	for (guint i = 0; candidates != 0 && i < reader->mapping->records->len; i++) {
		const PhMappingRecord *type = g_ptr_array_index(reader->mapping->records, i);

		if ((candidates & (G_GUINT64_CONSTANT(1) << i)) == 0 ||
		    type->n_steps <= (guint)depth || !step_matches(&type->steps[depth], ns, name))
			continue;
		reader->matching[depth] |= G_GUINT64_CONSTANT(1) << i;
		if (type->n_steps == (guint)depth + 1)
			found = type;
	}
	return found;
}

static xmlNode *
child_element(xmlNode *node, const PhMappingStep *step)
{
	for (xmlNode *child = node->children; child != NULL; child = child->next) {
		if (child->type == XML_ELEMENT_NODE &&
		    step_matches(step, child->ns != NULL ? child->ns->href : NULL, child->name))
			return child;
	}
	return NULL;
}

/* The text of an element or attribute, without a copy when it is a single text node. */
static const xmlChar *
text_of(xmlNode *node, xmlChar **copy)
{
	xmlNode *child = node->children;

	if (child == NULL)
		return (const xmlChar *)"";
	if (child->next == NULL &&
	    (child->type == XML_TEXT_NODE || child->type == XML_CDATA_SECTION_NODE))
		return child->content;
	*copy = xmlNodeGetContent(node);
	return *copy;
}

/* Follows the field's steps from @node (those before @first_step already matched) and
 * decodes the text found; a missing element or attribute leaves the field out. */
static gboolean
decode_at(XmlReader *reader, const PhMappingRecord *type, const PhMappingField *field,
          xmlNode *node, guint first_step, PhRecord *record, GError **error)
{
	xmlChar *copy = NULL;
	const xmlChar *text;
	gboolean ok;

	for (guint i = first_step; node != NULL && i < field->n_steps; i++) {
		const PhMappingStep *step = &field->steps[i];

		node = step->attribute ? (xmlNode *)xmlHasNsProp(node, (const xmlChar *)step->name,
		                                                 (const xmlChar *)step->ns)
		                       : child_element(node, step);
	}
	if (node == NULL) {
		if (!field->required)
			return TRUE;
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "record %s field %s: missing",
		            type->kind, PH_MAPPING_FIELD_NAME(field));
		return FALSE;
	}
	text = text_of(node, &copy);
	ok = ph_mapping_field_decode(type, field, (const gchar *)text, strlen((const gchar *)text),
	                             record, error);
	xmlFree(copy);
	return ok;
}

/* An expanded subtree is not visited node by node: check its depth against the cap. */
static gboolean
deeper_than(xmlNode *node, guint room)
{
	if (room == 0)
		return TRUE;
	for (xmlNode *child = node->children; child != NULL; child = child->next) {
		if (child->type == XML_ELEMENT_NODE && deeper_than(child, room - 1))
			return TRUE;
	}
	return FALSE;
}

static xmlNode *
expand(XmlReader *reader, GError **error)
{
	gint depth = xmlTextReaderDepth(reader->xml);
	xmlNode *element;

	reader->expanding_from = MAX(reader->bytes_read, 1);
	element = xmlTextReaderExpand(reader->xml);
	reader->expanding_from = 0;
	if (element == NULL) {
		set_failure(reader, error);
		return NULL;
	}
	if (deeper_than(element, reader->max_depth - (guint)depth)) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "elements nested deeper than %u", reader->max_depth);
		return NULL;
	}
	return element;
}

static gboolean
read_leaf(XmlReader *reader, const PhMappingRecord *type, PhRecord *record, GError **error)
{
	xmlNode *element = expand(reader, error);

	if (element == NULL)
		return FALSE;
	ph_record_reset(record, type->kind);
	for (guint i = 0; i < type->fields->len; i++) {
		if (!decode_at(reader, type, g_ptr_array_index(type->fields, i), element, 0, record,
		               error))
			return FALSE;
	}
	reader->skip_subtree = TRUE;
	return TRUE;
}

/* A container's attributes are read when it opens; its field elements as they pass. */
static gboolean
open_container(XmlReader *reader, const PhMappingRecord *type, gint depth, GError **error)
{
	xmlNode *element = xmlTextReaderCurrentNode(reader->xml);

	reader->container = type;
	reader->container_depth = depth;
	reader->container_pending = TRUE;
	ph_record_reset(reader->container_record, type->kind);
	for (guint i = 0; i < type->fields->len; i++) {
		const PhMappingField *field = g_ptr_array_index(type->fields, i);

		if (field->steps[0].attribute &&
		    !decode_at(reader, type, field, element, 0, reader->container_record, error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
container_child(XmlReader *reader, GError **error)
{
	const PhMappingRecord *type = reader->container;
	xmlNode *child = NULL;

	for (guint i = 0; i < type->fields->len; i++) {
		const PhMappingField *field = g_ptr_array_index(type->fields, i);
		const xmlChar *ns = xmlTextReaderConstNamespaceUri(reader->xml);

		if (field->steps[0].attribute ||
		    !step_matches(&field->steps[0], ns, xmlTextReaderConstLocalName(reader->xml)))
			continue;
		if (child == NULL && (child = expand(reader, error)) == NULL)
			return FALSE;
		if (!decode_at(reader, type, field, child, 1, reader->container_record, error))
			return FALSE;
	}
	reader->skip_subtree = child != NULL;
	return TRUE;
}

static gboolean
emit_container(XmlReader *reader, PhRecord *record, const PhMappingRecord **type_out)
{
	guint size = ph_record_get_size(reader->container_record);

	ph_record_reset(record, reader->container->kind);
	for (guint i = 0; i < size; i++) {
		const gchar *key = ph_record_get_key(reader->container_record, i);

		if (ph_record_is_int(reader->container_record, i))
			ph_record_set_int(
			        record, key,
			        g_ascii_strtoll(ph_record_get_value(reader->container_record, i),
			                        NULL, 10));
		else
			ph_record_set_len(record, key,
			                  ph_record_get_value(reader->container_record, i),
			                  ph_record_get_value_len(reader->container_record, i));
	}
	reader->container_pending = FALSE;
	*type_out = reader->container;
	return TRUE;
}

static gboolean
advance(XmlReader *reader, GError **error)
{
	gint status;

	if (reader->replay) {
		reader->replay = FALSE;
		return TRUE;
	}
	status = reader->skip_subtree ? xmlTextReaderNext(reader->xml)
	                              : xmlTextReaderRead(reader->xml);
	reader->skip_subtree = FALSE;
	if (status < 0 || reader->errors->len > 0 || reader->read_error != NULL) {
		set_failure(reader, error);
		return FALSE;
	}
	return status == 1;
}

/* One node: returns TRUE with *@type_out set when a record is complete. */
static gboolean
visit(XmlReader *reader, PhRecord *record, const PhMappingRecord **type_out, GError **error)
{
	gint node_type = xmlTextReaderNodeType(reader->xml);
	gint depth = xmlTextReaderDepth(reader->xml);
	const PhMappingRecord *type;

	reader->line = (guint64)xmlTextReaderGetParserLineNumber(reader->xml);
	if (node_type == XML_READER_TYPE_DOCUMENT_TYPE) {
		g_set_error_literal(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		                    "a DTD is not allowed");
		return FALSE;
	}
	if (node_type == XML_READER_TYPE_END_ELEMENT && reader->container_pending &&
	    depth == reader->container_depth)
		return emit_container(reader, record, type_out);
	if (node_type != XML_READER_TYPE_ELEMENT)
		return TRUE;
	if ((guint)depth >= reader->max_depth) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "elements nested deeper than %u", reader->max_depth);
		return FALSE;
	}
	type = record_here(reader, depth);
	if (depth == 0 && reader->matching[0] == 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "root element {%s}%s is not the one mapping %s reads",
		            (const gchar *)xmlTextReaderConstNamespaceUri(reader->xml) ?: "",
		            (const gchar *)xmlTextReaderConstLocalName(reader->xml),
		            reader->mapping->name);
		return FALSE;
	}
	if (type != NULL && reader->container_pending) {
		reader->replay = TRUE;
		return emit_container(reader, record, type_out);
	}
	if (type == NULL)
		return reader->container_pending && depth == reader->container_depth + 1
		               ? container_child(reader, error)
		               : TRUE;
	if (!type->container) {
		*type_out = type;
		return read_leaf(reader, type, record, error);
	}
	if (!open_container(reader, type, depth, error))
		return FALSE;
	return xmlTextReaderIsEmptyElement(reader->xml) ? emit_container(reader, record, type_out)
	                                                : TRUE;
}

static gboolean
xml_reader_next(gpointer state, PhRecord *record, const PhMappingRecord **type_out, GError **error)
{
	XmlReader *reader = state;

	*type_out = NULL;
	while (*type_out == NULL) {
		if (!advance(reader, error))
			return FALSE;
		if (!visit(reader, record, type_out, error))
			return FALSE;
	}
	return TRUE;
}

typedef struct {
	PhMapping *mapping;
	GOutputStream *output;
	GString *buffer;
	GError *write_error;
	xmlTextWriter *xml;
	const PhMappingStep *open[MAX_STEPS]; /* the elements open now, outermost first */
	guint n_open;
	GString *text;
	gboolean started;
} XmlWriter;

static int
write_output(void *context, const char *bytes, int len)
{
	XmlWriter *writer = context;

	g_string_append_len(writer->buffer, bytes, len);
	if (writer->write_error == NULL &&
	    !ph_mapping_io_flush(writer->output, writer->buffer, FALSE, &writer->write_error))
		return -1;
	return len;
}

static gpointer
xml_writer_new(PhMapping *mapping, GOutputStream *output, GError **error)
{
	XmlWriter *writer = g_new0(XmlWriter, 1);
	xmlCharEncodingHandler *encoder = NULL;
	xmlOutputBuffer *buffer;

	writer->mapping = mapping;
	writer->output = g_object_ref(output);
	writer->buffer = g_string_sized_new(512 * 1024);
	writer->text = g_string_sized_new(256);
	/* Only a check: xmlTextWriterStartDocument() sets up its own encoder from the name. */
	encoder = xmlFindCharEncodingHandler(mapping->encoding);
	if (encoder == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "libxml2 cannot write %s",
		            mapping->encoding);
		return writer;
	}
	xmlCharEncCloseFunc(encoder);
	buffer = xmlOutputBufferCreateIO(write_output, NULL, writer, NULL);
	writer->xml = buffer != NULL ? xmlNewTextWriter(buffer) : NULL;
	if (writer->xml == NULL)
		g_set_error_literal(error, PH_ERROR, PH_ERROR_FAILED,
		                    "cannot create an XML writer");
	return writer;
}

static void
xml_writer_free(gpointer state)
{
	XmlWriter *writer = state;

	if (writer->xml != NULL)
		xmlFreeTextWriter(writer->xml);
	g_object_unref(writer->output);
	g_string_free(writer->buffer, TRUE);
	g_string_free(writer->text, TRUE);
	g_clear_error(&writer->write_error);
	g_free(writer);
}

/* The first declared namespace is written as the default one; others with their prefix. */
static const gchar *
prefix_of(const PhMapping *mapping, const gchar *ns)
{
	for (guint i = 0; ns != NULL && i + 1 < mapping->namespaces->len; i += 2) {
		if (g_str_equal(g_ptr_array_index(mapping->namespaces, i + 1), ns))
			return i == 0 ? NULL : g_ptr_array_index(mapping->namespaces, i);
	}
	return NULL;
}

static gboolean
writer_status(XmlWriter *writer, int status, GError **error)
{
	if (writer->write_error != NULL) {
		g_propagate_error(error, g_steal_pointer(&writer->write_error));
		return FALSE;
	}
	if (status < 0) {
		g_set_error_literal(error, PH_ERROR, PH_ERROR_FAILED,
		                    "libxml2 could not write the element");
		return FALSE;
	}
	return TRUE;
}

static int
start_element(XmlWriter *writer, const PhMappingStep *step, gboolean root)
{
	const gchar *prefix = prefix_of(writer->mapping, step->ns);
	int status = xmlTextWriterStartElementNS(writer->xml, (const xmlChar *)prefix,
	                                         (const xmlChar *)step->name, NULL);
	const GPtrArray *namespaces = writer->mapping->namespaces;

	for (guint i = 0; root && status >= 0 && i + 1 < namespaces->len; i += 2) {
		g_autofree gchar *name =
		        i == 0 ? g_strdup("xmlns")
		               : g_strconcat("xmlns:", (gchar *)g_ptr_array_index(namespaces, i),
		                             NULL);

		status = xmlTextWriterWriteAttribute(writer->xml, (const xmlChar *)name,
		                                     g_ptr_array_index(namespaces, i + 1));
	}
	return status;
}

static int
write_attribute(XmlWriter *writer, const PhMappingStep *step, const gchar *value)
{
	const gchar *prefix = prefix_of(writer->mapping, step->ns);

	if (step->ns == NULL)
		return xmlTextWriterWriteAttribute(writer->xml, (const xmlChar *)step->name,
		                                   (const xmlChar *)value);
	return xmlTextWriterWriteAttributeNS(
	        writer->xml, (const xmlChar *)(prefix ? prefix : "ns0"),
	        (const xmlChar *)step->name, NULL, (const xmlChar *)value);
}

static gboolean
steps_same(const PhMappingStep *a, const PhMappingStep *b)
{
	return g_strcmp0(a->ns, b->ns) == 0 && g_str_equal(a->name, b->name);
}

/* Makes @path[0..n) the open elements: keeps the common start (at most @keep_max
 * elements), closes the rest and opens what is missing. */
static int
move_to(XmlWriter *writer, const PhMappingStep *const *path, guint n, guint keep_max)
{
	guint keep = 0;
	int status = 0;

	while (keep < writer->n_open && keep < n && keep < keep_max &&
	       steps_same(writer->open[keep], path[keep]))
		keep++;
	while (writer->n_open > keep && status >= 0) {
		status = xmlTextWriterEndElement(writer->xml);
		writer->n_open--;
	}
	for (guint i = keep; i < n && status >= 0; i++) {
		status = start_element(writer, path[i], i == 0);
		writer->open[writer->n_open++] = path[i];
	}
	return status;
}

static gboolean
write_field(XmlWriter *writer, const PhMappingRecord *type, const PhMappingField *field,
            const PhRecord *record, PhMappingTotals *totals, const PhMappingStep **path,
            GError **error)
{
	guint n = type->n_steps;
	const PhMappingStep *last = &field->steps[field->n_steps - 1];
	int status;

	if (!ph_mapping_field_encode(type, field, record, totals, writer->text, error))
		return FALSE;
	if (writer->text->len == 0 && field->constant == NULL && !field->required)
		return TRUE;
	for (guint i = 0; i < field->n_steps - (last->attribute ? 1 : 0); i++)
		path[n++] = &field->steps[i];
	status = move_to(writer, path, n, n);
	if (status >= 0)
		status = last->attribute ? write_attribute(writer, last, writer->text->str)
		                         : xmlTextWriterWriteString(
		                                   writer->xml, (const xmlChar *)writer->text->str);
	if (!writer_status(writer, status, error)) {
		g_prefix_error(error, "record %s field %s: ", type->kind,
		               PH_MAPPING_FIELD_NAME(field));
		return FALSE;
	}
	return TRUE;
}

static gboolean
xml_writer_write(gpointer state, const PhMappingRecord *type, const PhRecord *record,
                 PhMappingTotals *totals, GError **error)
{
	XmlWriter *writer = state;
	const PhMappingStep *path[MAX_STEPS * 2];
	int status = 0;

	for (guint i = 0; i < type->n_steps; i++)
		path[i] = &type->steps[i];
	if (!writer->started) {
		writer->started = TRUE;
		status = xmlTextWriterStartDocument(writer->xml, NULL, writer->mapping->encoding,
		                                    NULL);
	}
	if (status >= 0)
		status = move_to(writer, path, type->n_steps, type->n_steps - 1);
	if (!writer_status(writer, status, error))
		return FALSE;
	/* Attributes of the record element before any child element. */
	for (guint pass = 0; pass < 2; pass++) {
		for (guint i = 0; i < type->fields->len; i++) {
			const PhMappingField *field = g_ptr_array_index(type->fields, i);
			gboolean own_attribute = field->n_steps == 1 && field->steps[0].attribute;

			if (own_attribute == (pass == 0) &&
			    !write_field(writer, type, field, record, totals, path, error))
				return FALSE;
		}
	}
	status = move_to(writer, path, type->n_steps - (type->container ? 0 : 1), G_MAXUINT);
	return writer_status(writer, status, error) &&
	       ph_mapping_io_flush(writer->output, writer->buffer, FALSE, error);
}

static gboolean
xml_writer_finish(gpointer state, GError **error)
{
	XmlWriter *writer = state;
	int status = writer->started ? xmlTextWriterEndDocument(writer->xml) : 0;

	writer->n_open = 0;
	if (status >= 0)
		status = xmlTextWriterFlush(writer->xml);
	return writer_status(writer, status, error) &&
	       ph_mapping_io_flush(writer->output, writer->buffer, TRUE, error);
}

const PhLayoutOps ph_layout_xml_ops = {
        .reader_new = xml_reader_new,
        .reader_next = xml_reader_next,
        .reader_line = xml_reader_line,
        .reader_free = xml_reader_free,
        .writer_new = xml_writer_new,
        .writer_write = xml_writer_write,
        .writer_finish = xml_writer_finish,
        .writer_free = xml_writer_free,
};
