/* Hardened parsing of untrusted XML, XSD validation and value getters for plugins (the SDK's
 * <pension-hub/ph-xml.h>). The one place that parses partner XML with libxml2. Host code. */
#include "ph-xml-private.h"

#include <libxml/xmlerror.h>
#include <string.h>

#include "ph-plugin-private.h"
#include "ph-xml-autocleanup.h"

/* Per-parse state reached from libxml2's SAX callbacks through ctxt->_private. */
typedef struct {
	xmlSAXHandler *sax;
	gboolean has_doctype;
	gchar *first_error;
	gint first_error_line;
} PhXmlParseState;

static void
ph_xml_refuse_doctype(void *user_data, const xmlChar *name, const xmlChar *external_id,
                      const xmlChar *system_id)
{
	xmlParserCtxtPtr ctxt = user_data;
	PhXmlParseState *state = ctxt->_private;
	state->has_doctype = TRUE;
	xmlStopParser(ctxt);
}

static void
ph_xml_refuse_entity(void *user_data, const xmlChar *name, int type, const xmlChar *public_id,
                     const xmlChar *system_id, xmlChar *content)
{
	ph_xml_refuse_doctype(user_data, name, public_id, system_id);
}

/* Keeps libxml2's first complaint for the error message instead of printing it. */
static void
ph_xml_keep_error(void *user_data, xmlErrorPtr problem)
{
	xmlParserCtxtPtr ctxt = user_data;
	PhXmlParseState *state = ctxt != NULL ? ctxt->_private : NULL;
	if (state == NULL || state->first_error != NULL || problem == NULL)
		return;
	state->first_error =
	        g_strstrip(g_strdup(problem->message != NULL ? problem->message : "?"));
	state->first_error_line = problem->line;
}

/* Whether elements nest deeper than @limit levels under and including @node. */
static gboolean
ph_xml_too_deep(xmlNodePtr node, guint limit)
{
	if (limit == 0)
		return TRUE;
	for (xmlNodePtr child = node->children; child != NULL; child = child->next) {
		if (child->type == XML_ELEMENT_NODE && ph_xml_too_deep(child, limit - 1))
			return TRUE;
	}
	return FALSE;
}

void
ph_xml_init(void)
{
	static gsize initialised = 0;
	if (g_once_init_enter(&initialised)) {
		xmlInitParser();
		g_once_init_leave(&initialised, 1);
	}
}

static xmlDocPtr
ph_xml_read(GBytes *bytes, PhXmlParseState *state, GError **error)
{
	gsize size = 0;
	const gchar *data = g_bytes_get_data(bytes, &size);
	g_autoptr(xmlParserCtxt) ctxt = xmlNewParserCtxt();
	if (ctxt == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "xml: cannot make a parser");
		return NULL;
	}
	ctxt->_private = state;
	ctxt->sax->internalSubset = ph_xml_refuse_doctype;
	ctxt->sax->externalSubset = ph_xml_refuse_doctype;
	ctxt->sax->entityDecl = ph_xml_refuse_entity;
	ctxt->sax->serror = ph_xml_keep_error;
	ctxt->sax->error = NULL;
	ctxt->sax->warning = NULL;
	/* NONET only: never NOENT (entity substitution), DTDLOAD, DTDATTR or HUGE. */
	xmlDocPtr doc = xmlCtxtReadMemory(ctxt, data, (int)size, NULL, NULL,
	                                  XML_PARSE_NONET | XML_PARSE_NOCDATA);
	if (state->has_doctype) {
		g_clear_pointer(&doc, xmlFreeDoc);
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "xml: a document type declaration (DTD) is not allowed");
		return NULL;
	}
	if (doc == NULL || !ctxt->wellFormed) {
		g_clear_pointer(&doc, xmlFreeDoc);
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "xml line %d: %s",
		            state->first_error_line,
		            state->first_error != NULL ? state->first_error : "not well-formed");
		return NULL;
	}
	return doc;
}

PhXmlDoc *
ph_xml_doc_parse(GBytes *bytes, const PhXmlLimits *limits, GError **error)
{
	g_return_val_if_fail(bytes != NULL, NULL);
	gsize max_bytes = limits != NULL && limits->max_bytes > 0 ? limits->max_bytes
	                                                          : PH_XML_DEFAULT_MAX_BYTES;
	guint max_depth = limits != NULL && limits->max_depth > 0 ? limits->max_depth
	                                                          : PH_XML_DEFAULT_MAX_DEPTH;
	gsize size = g_bytes_get_size(bytes);
	if (size > max_bytes || size > G_MAXINT) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "xml: %" G_GSIZE_FORMAT " bytes, over the limit of %" G_GSIZE_FORMAT,
		            size, max_bytes);
		return NULL;
	}
	ph_xml_init();
	PhXmlParseState state = {0};
	xmlDocPtr doc = ph_xml_read(bytes, &state, error);
	g_free(state.first_error);
	if (doc == NULL)
		return NULL;
	xmlNodePtr root = xmlDocGetRootElement(doc);
	if (root == NULL || ph_xml_too_deep(root, max_depth)) {
		xmlFreeDoc(doc);
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "xml: elements nested deeper than %u levels", max_depth);
		return NULL;
	}
	PhXmlDoc *result = g_new0(PhXmlDoc, 1);
	result->doc = doc;
	return result;
}

void
ph_xml_doc_free(PhXmlDoc *doc)
{
	if (doc == NULL)
		return;
	xmlFreeDoc(doc->doc);
	g_free(doc);
}

xmlDocPtr
ph_xml_doc_get_xml(PhXmlDoc *doc)
{
	return doc->doc;
}

const gchar *
ph_xml_doc_get_root_name(PhXmlDoc *doc)
{
	return (const gchar *)xmlDocGetRootElement(doc->doc)->name;
}

const gchar *
ph_xml_doc_get_root_namespace(PhXmlDoc *doc)
{
	xmlNsPtr ns = xmlDocGetRootElement(doc->doc)->ns;
	return ns != NULL ? (const gchar *)ns->href : "";
}

static gboolean
ph_xml_node_is(xmlNodePtr node, const gchar *name, xmlNsPtr ns)
{
	if (node->type != XML_ELEMENT_NODE || g_strcmp0((const gchar *)node->name, name) != 0)
		return FALSE;
	if (ns == NULL || node->ns == NULL)
		return ns == node->ns;
	return xmlStrEqual(ns->href, node->ns->href);
}

/* Appends every element under @node that matches @steps to @found. */
static void
ph_xml_collect(xmlNodePtr node, gchar **steps, xmlNsPtr ns, GPtrArray *found)
{
	if (steps[0] == NULL) {
		g_ptr_array_add(found, node);
		return;
	}
	for (xmlNodePtr child = node->children; child != NULL; child = child->next) {
		if (ph_xml_node_is(child, steps[0], ns))
			ph_xml_collect(child, steps + 1, ns, found);
	}
}

static GPtrArray *
ph_xml_find(PhXmlDoc *doc, const gchar *path)
{
	xmlNodePtr root = xmlDocGetRootElement(doc->doc);
	g_auto(GStrv) steps = g_strsplit(path, "/", -1);
	GPtrArray *found = g_ptr_array_new();
	ph_xml_collect(root, steps, root->ns, found);
	return found;
}

static gchar *
ph_xml_node_text(xmlNodePtr node)
{
	xmlChar *content = xmlNodeGetContent(node);
	gchar *text = g_strstrip(g_strdup(content != NULL ? (const gchar *)content : ""));
	xmlFree(content);
	return text;
}

gchar *
ph_xml_doc_get_text(PhXmlDoc *doc, const gchar *path)
{
	g_return_val_if_fail(doc != NULL && path != NULL, NULL);
	g_autoptr(GPtrArray) found = ph_xml_find(doc, path);
	return found->len > 0 ? ph_xml_node_text(found->pdata[0]) : NULL;
}

gchar **
ph_xml_doc_get_texts(PhXmlDoc *doc, const gchar *path)
{
	g_return_val_if_fail(doc != NULL && path != NULL, NULL);
	g_autoptr(GPtrArray) found = ph_xml_find(doc, path);
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
	for (guint i = 0; i < found->len; i++) {
		g_autofree gchar *text = ph_xml_node_text(found->pdata[i]);
		g_strv_builder_add(builder, text);
	}
	return g_strv_builder_end(builder);
}

gchar **
ph_xml_doc_get_attributes(PhXmlDoc *doc, const gchar *path, const gchar *name)
{
	g_return_val_if_fail(doc != NULL && path != NULL && name != NULL, NULL);
	g_autoptr(GPtrArray) found = ph_xml_find(doc, path);
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
	for (guint i = 0; i < found->len; i++) {
		xmlChar *value = xmlGetNoNsProp(found->pdata[i], (const xmlChar *)name);
		g_strv_builder_add(builder, value != NULL ? (const gchar *)value : "");
		xmlFree(value);
	}
	return g_strv_builder_end(builder);
}

guint
ph_xml_doc_count(PhXmlDoc *doc, const gchar *path)
{
	g_return_val_if_fail(doc != NULL && path != NULL, 0);
	g_autoptr(GPtrArray) found = ph_xml_find(doc, path);
	return found->len;
}

/* ---- schemas: parsed once per path, shared read-only by every thread ---- */

struct _PhXmlSchema {
	xmlSchemaPtr schema;
	gchar *path;
};

static GMutex ph_xml_schema_lock;
static GHashTable *ph_xml_schemas; /* path → PhXmlSchema, kept for the process */

static void
ph_xml_keep_schema_error(void *user_data, xmlErrorPtr problem)
{
	gchar **first = user_data;
	if (*first != NULL || problem == NULL)
		return;
	*first = g_strdup_printf("line %d: %s", problem->line,
	                         problem->message != NULL ? g_strstrip(problem->message) : "?");
}

static PhXmlSchema *
ph_xml_schema_load(const gchar *path, GError **error)
{
	g_autofree gchar *problem = NULL;
	g_autoptr(xmlSchemaParserCtxt) parser = xmlSchemaNewParserCtxt(path);
	xmlSchemaSetParserStructuredErrors(parser, ph_xml_keep_schema_error, &problem);
	xmlSchemaPtr schema = xmlSchemaParse(parser);
	if (schema == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "schema %s: %s", path,
		            problem != NULL ? problem : "cannot be loaded");
		return NULL;
	}
	PhXmlSchema *result = g_new0(PhXmlSchema, 1);
	result->schema = schema;
	result->path = g_strdup(path);
	return result;
}

PhXmlSchema *
ph_xml_schema_get_file(const gchar *path, GError **error)
{
	g_return_val_if_fail(path != NULL, NULL);
	ph_xml_init();
	g_mutex_lock(&ph_xml_schema_lock);
	if (ph_xml_schemas == NULL)
		ph_xml_schemas = g_hash_table_new(g_str_hash, g_str_equal);
	PhXmlSchema *schema = g_hash_table_lookup(ph_xml_schemas, path);
	if (schema == NULL) {
		schema = ph_xml_schema_load(path, error);
		if (schema != NULL)
			g_hash_table_insert(ph_xml_schemas, schema->path, schema);
	}
	g_mutex_unlock(&ph_xml_schema_lock);
	return schema;
}

PhXmlSchema *
ph_xml_schema_get(PhPlugin *plugin, const gchar *name, GError **error)
{
	g_return_val_if_fail(name != NULL && strchr(name, '/') == NULL, NULL);
	const gchar *dir =
	        plugin != NULL && plugin->config != NULL && plugin->config->mapping_dir != NULL
	                ? plugin->config->mapping_dir
	                : g_getenv("PH_MAPPING_DIR");
	if (dir == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
		            "schema %s: no [hub] mapping_dir is configured", name);
		return NULL;
	}
	g_autofree gchar *path = g_build_filename(dir, "schema", name, NULL);
	return ph_xml_schema_get_file(path, error);
}

gboolean
ph_xml_schema_validate(PhXmlSchema *schema, PhXmlDoc *doc, GError **error)
{
	g_return_val_if_fail(schema != NULL && doc != NULL, FALSE);
	g_autofree gchar *problem = NULL;
	g_autoptr(xmlSchemaValidCtxt) validator = xmlSchemaNewValidCtxt(schema->schema);
	xmlSchemaSetValidStructuredErrors(validator, ph_xml_keep_schema_error, &problem);
	if (xmlSchemaValidateDoc(validator, doc->doc) != 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "not valid against %s: %s",
		            schema->path, problem != NULL ? problem : "invalid");
		return FALSE;
	}
	return TRUE;
}
