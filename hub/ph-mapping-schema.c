/* Safe parsing and XSD validation of mapping-directory files. Mapping files are written by
 * integration engineers, but they are still input: no network, no DTD, no entities. Mapping
 * engine only. */
#include "ph-mapping-schema.h"

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include "ph-error.h"

#define MAPPING_NS        "urn:pension-hub:mapping:1"
#define MAPPING_MAX_BYTES (16 * 1024 * 1024)

/* Not in ph-xml-autocleanup.h: only the mapping loader compiles schemas itself. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlSchema, xmlSchemaFree)

typedef struct {
	GString *messages;
	const gchar *path;
} ErrorSink;

static void
collect_error(void *data, xmlErrorPtr error)
{
	ErrorSink *sink = data;
	g_autofree gchar *message = g_strchomp(g_strdup(error->message ? error->message : "?"));

	if (sink->messages->len > 0)
		g_string_append(sink->messages, "\n");
	g_string_append_printf(sink->messages, "%s:%d: %s", sink->path, error->line, message);
}

static xmlDoc *
parse_file(const gchar *path, GError **error)
{
	g_autoptr(xmlParserCtxt) parser = xmlNewParserCtxt();
	g_autofree gchar *contents = NULL;
	gsize len = 0;
	g_autoptr(GError) read_error = NULL;
	xmlDoc *doc;

	if (!g_file_get_contents(path, &contents, &len, &read_error)) {
		g_set_error(error, PH_ERROR, PH_ERROR_NOT_FOUND, "cannot read mapping file: %s",
		            read_error->message);
		return NULL;
	}
	if (len > MAPPING_MAX_BYTES) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "%s: larger than %d bytes", path,
		            MAPPING_MAX_BYTES);
		return NULL;
	}
	doc = xmlCtxtReadMemory(parser, contents, (int)len, path, NULL,
	                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL) {
		xmlErrorPtr last = xmlCtxtGetLastError(parser);

		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "%s:%d: %s", path,
		            last != NULL ? last->line : 0,
		            last != NULL && last->message != NULL ? g_strchomp(last->message)
		                                                  : "not well-formed");
		return NULL;
	}
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "%s:%ld: a DTD is not allowed", path,
		            xmlGetLineNo((xmlNode *)doc->intSubset));
		xmlFreeDoc(doc);
		return NULL;
	}
	return doc;
}

static gboolean
validate(const gchar *dir, const gchar *path, xmlDoc *doc, GError **error)
{
	g_autofree gchar *xsd = g_build_filename(dir, "schema", "mapping.xsd", NULL);
	g_autoptr(xmlSchemaParserCtxt) schema_parser = xmlSchemaNewParserCtxt(xsd);
	g_autoptr(xmlSchema) schema = NULL;
	g_autoptr(xmlSchemaValidCtxt) valid = NULL;
	g_autoptr(GString) messages = g_string_new(NULL);
	ErrorSink sink = {messages, xsd};

	xmlSchemaSetParserStructuredErrors(schema_parser, collect_error, &sink);
	schema = xmlSchemaParse(schema_parser);
	if (schema == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "cannot load the mapping schema: %s",
		            messages->len > 0 ? messages->str : xsd);
		return FALSE;
	}
	valid = xmlSchemaNewValidCtxt(schema);
	sink.path = path;
	xmlSchemaSetValidStructuredErrors(valid, collect_error, &sink);
	if (xmlSchemaValidateDoc(valid, doc) != 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "%s", messages->str);
		return FALSE;
	}
	return TRUE;
}

xmlDoc *
ph_mapping_schema_load(const gchar *dir, const gchar *path, const gchar *root, GError **error)
{
	g_autoptr(xmlDoc) doc = NULL;
	xmlNode *element;

	g_return_val_if_fail(dir != NULL && path != NULL, NULL);
	doc = parse_file(path, error);
	if (doc == NULL)
		return NULL;
	if (!validate(dir, path, doc, error))
		return NULL;
	element = xmlDocGetRootElement(doc);
	if (root != NULL && !xmlStrEqual(element->name, (const xmlChar *)root)) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "%s:%ld: expected <%s>, found <%s>",
		            path, xmlGetLineNo(element), root, (const gchar *)element->name);
		return NULL;
	}
	return g_steal_pointer(&doc);
}

gchar *
ph_mapping_schema_attr(xmlNode *node, const gchar *name)
{
	xmlChar *value = xmlGetNoNsProp(node, (const xmlChar *)name);
	gchar *copy;

	if (value == NULL)
		return NULL;
	copy = g_strdup((const gchar *)value);
	xmlFree(value);
	return copy;
}

gboolean
ph_mapping_schema_attr_bool(xmlNode *node, const gchar *name, gboolean fallback)
{
	g_autofree gchar *value = ph_mapping_schema_attr(node, name);

	if (value == NULL)
		return fallback;
	return g_str_equal(value, "true") || g_str_equal(value, "1");
}

GPtrArray *
ph_mapping_schema_children(xmlNode *node, const gchar *name)
{
	GPtrArray *children = g_ptr_array_new();

	for (xmlNode *child = node->children; child != NULL; child = child->next) {
		if (child->type != XML_ELEMENT_NODE || child->ns == NULL ||
		    !xmlStrEqual(child->ns->href, (const xmlChar *)MAPPING_NS))
			continue;
		if (name == NULL || xmlStrEqual(child->name, (const xmlChar *)name))
			g_ptr_array_add(children, child);
	}
	return children;
}
