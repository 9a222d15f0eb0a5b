/* The SDK's streaming XML reader (<pension-hub/ph-xml-stream.h>): libxml2's xmlTextReader
 * over a GInputStream, hardened for untrusted input. Host code; plugins see PhXmlStream. */
#include "ph-xml-stream.h"

#include <libxml/xmlreader.h>
#include <string.h>

#include "ph-xml-private.h"

struct _PhXmlStream {
	GInputStream *input; /* borrowed */
	gchar *source;
	guint64 max_bytes;
	guint max_depth;
	gchar **encodings;
	xmlTextReaderPtr reader;
	guint64 bytes_read;
	guint64 last_tag_at;        /* @bytes_read when the last tag was read */
	GError *read_error;         /* a failure of @input, kept for ph_xml_stream_next */
	gboolean over_limit;        /* @max_bytes was reached */
	gboolean over_between_tags; /* PH_XML_STREAM_BETWEEN_TAGS_MAX was reached */
	gchar *first_error;         /* libxml2's first complaint */
	gint first_error_line;
	gboolean started;     /* the first node was read (encoding checked) */
	gboolean pending_end; /* the current START was an empty element */
	gboolean failed;
	gchar *encoding;
};

static const gchar *const ph_xml_stream_default_encodings[] = {"UTF-8", "GB18030", NULL};

/* The most input read between two tags. libxml2 holds what comes between them in memory
 * (text split by comments at about twice its size), so a document of one huge field would
 * need memory as large as the file; fields of ours are a few KiB. */
#define PH_XML_STREAM_BETWEEN_TAGS_MAX (16 * 1024 * 1024)

static int
ph_xml_stream_read_cb(void *context, char *buffer, int length)
{
	PhXmlStream *stream = context;
	if (stream->max_bytes > 0 && stream->bytes_read >= stream->max_bytes) {
		stream->over_limit = TRUE;
		return -1;
	}
	if (stream->bytes_read - stream->last_tag_at > PH_XML_STREAM_BETWEEN_TAGS_MAX) {
		stream->over_between_tags = TRUE;
		return -1;
	}
	gsize wanted = (gsize)length;
	if (stream->max_bytes > 0)
		wanted = MIN(wanted, stream->max_bytes - stream->bytes_read);
	gssize got = g_input_stream_read(stream->input, buffer, wanted, NULL,
	                                 stream->read_error == NULL ? &stream->read_error : NULL);
	if (got < 0)
		return -1;
	stream->bytes_read += (guint64)got;
	return (int)got;
}

static int
ph_xml_stream_close_cb(void *context)
{
	return 0;
}

static void
ph_xml_stream_keep_error(void *user_data, xmlErrorPtr problem)
{
	PhXmlStream *stream = user_data;
	if (stream->first_error != NULL || problem == NULL)
		return;
	stream->first_error =
	        g_strstrip(g_strdup(problem->message != NULL ? problem->message : "?"));
	stream->first_error_line = problem->line;
}

PhXmlStream *
ph_xml_stream_new(GInputStream *input, const gchar *source, const PhXmlStreamLimits *limits)
{
	g_return_val_if_fail(G_IS_INPUT_STREAM(input), NULL);
	ph_xml_init();
	PhXmlStream *stream = g_new0(PhXmlStream, 1);
	const gchar *const *encodings = limits != NULL && limits->encodings != NULL
	                                        ? limits->encodings
	                                        : ph_xml_stream_default_encodings;
	stream->input = input;
	stream->source = g_strdup(source != NULL ? source : "xml");
	stream->max_bytes = limits != NULL ? limits->max_bytes : 0;
	stream->max_depth = limits != NULL && limits->max_depth > 0
	                            ? limits->max_depth
	                            : PH_XML_STREAM_DEFAULT_MAX_DEPTH;
	stream->encodings = g_strdupv((gchar **)encodings);
	/* NONET only: never NOENT (entity substitution), DTDLOAD, DTDATTR or HUGE. */
	stream->reader = xmlReaderForIO(ph_xml_stream_read_cb, ph_xml_stream_close_cb, stream, NULL,
	                                NULL, XML_PARSE_NONET | XML_PARSE_NOCDATA);
	if (stream->reader != NULL)
		xmlTextReaderSetStructuredErrorHandler(stream->reader, ph_xml_stream_keep_error,
		                                       stream);
	return stream;
}

void
ph_xml_stream_free(PhXmlStream *stream)
{
	if (stream == NULL)
		return;
	if (stream->reader != NULL)
		xmlFreeTextReader(stream->reader);
	g_clear_error(&stream->read_error);
	g_free(stream->source);
	g_free(stream->first_error);
	g_free(stream->encoding);
	g_strfreev(stream->encodings);
	g_free(stream);
}

static PhXmlStreamNode ph_xml_stream_fail(PhXmlStream *stream, GError **error, const gchar *format,
                                          ...) G_GNUC_PRINTF(3, 4);

static PhXmlStreamNode
ph_xml_stream_fail(PhXmlStream *stream, GError **error, const gchar *format, ...)
{
	va_list args;
	va_start(args, format);
	g_autofree gchar *reason = g_strdup_vprintf(format, args);
	va_end(args);
	stream->failed = TRUE;
	g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "%s line %u: %s", stream->source,
	            ph_xml_stream_get_line(stream), reason);
	return PH_XML_STREAM_ERROR;
}

/* Why xmlTextReaderRead failed: the input, the size limit, or the document. */
static PhXmlStreamNode
ph_xml_stream_read_failed(PhXmlStream *stream, GError **error)
{
	if (stream->read_error != NULL) {
		stream->failed = TRUE;
		g_propagate_prefixed_error(error, g_steal_pointer(&stream->read_error),
		                           "%s: cannot read: ", stream->source);
		return PH_XML_STREAM_ERROR;
	}
	if (stream->over_limit)
		return ph_xml_stream_fail(stream, error,
		                          "larger than the limit of %" G_GUINT64_FORMAT " bytes",
		                          stream->max_bytes);
	if (stream->over_between_tags)
		return ph_xml_stream_fail(stream, error, "more than %d bytes between two tags",
		                          PH_XML_STREAM_BETWEEN_TAGS_MAX);
	if (stream->first_error != NULL) {
		stream->failed = TRUE;
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "%s line %d: %s",
		            stream->source, stream->first_error_line, stream->first_error);
		return PH_XML_STREAM_ERROR;
	}
	return ph_xml_stream_fail(stream, error, "not well-formed");
}

static gboolean
ph_xml_stream_check_encoding(PhXmlStream *stream, GError **error)
{
	const xmlChar *declared = xmlTextReaderConstEncoding(stream->reader);
	stream->encoding = g_ascii_strup(declared != NULL ? (const gchar *)declared : "UTF-8", -1);
	for (guint i = 0; stream->encodings[i] != NULL; i++) {
		if (g_ascii_strcasecmp(stream->encodings[i], stream->encoding) == 0)
			return TRUE;
	}
	ph_xml_stream_fail(stream, error, "encoding %s is not allowed", stream->encoding);
	return FALSE;
}

/* One node of interest, or an error; skips what a reader of data never needs. */
static PhXmlStreamNode
ph_xml_stream_classify(PhXmlStream *stream, GError **error)
{
	switch (xmlTextReaderNodeType(stream->reader)) {
	case XML_READER_TYPE_ELEMENT:
		if ((guint)xmlTextReaderDepth(stream->reader) >= stream->max_depth)
			return ph_xml_stream_fail(stream, error,
			                          "elements nested deeper than %u levels",
			                          stream->max_depth);
		stream->pending_end = xmlTextReaderIsEmptyElement(stream->reader) == 1;
		return PH_XML_STREAM_START;
	case XML_READER_TYPE_END_ELEMENT:
		return PH_XML_STREAM_END;
	case XML_READER_TYPE_TEXT:
	case XML_READER_TYPE_CDATA:
		return PH_XML_STREAM_TEXT;
	case XML_READER_TYPE_DOCUMENT_TYPE:
		return ph_xml_stream_fail(stream, error,
		                          "a document type declaration (DTD) is not allowed");
	case XML_READER_TYPE_ENTITY_REFERENCE:
		return ph_xml_stream_fail(stream, error, "entity references are not allowed");
	default:
		return PH_XML_STREAM_DONE; /* skipped: comment, PI, whitespace */
	}
}

PhXmlStreamNode
ph_xml_stream_next(PhXmlStream *stream, GError **error)
{
	g_return_val_if_fail(stream != NULL, PH_XML_STREAM_ERROR);
	if (stream->failed || stream->reader == NULL)
		return ph_xml_stream_fail(stream, error, "the reader has failed before");
	if (stream->pending_end) {
		stream->pending_end = FALSE;
		return PH_XML_STREAM_END;
	}
	for (;;) {
		int status = xmlTextReaderRead(stream->reader);
		if (status < 0 || stream->over_limit || stream->over_between_tags ||
		    stream->read_error != NULL)
			return ph_xml_stream_read_failed(stream, error);
		int type = xmlTextReaderNodeType(stream->reader);
		if (type == XML_READER_TYPE_ELEMENT || type == XML_READER_TYPE_END_ELEMENT)
			stream->last_tag_at = stream->bytes_read;
		if (status == 0) {
			if (stream->first_error != NULL || !stream->started)
				return ph_xml_stream_read_failed(stream, error);
			return PH_XML_STREAM_DONE;
		}
		if (!stream->started) {
			stream->started = TRUE;
			if (!ph_xml_stream_check_encoding(stream, error))
				return PH_XML_STREAM_ERROR;
		}
		PhXmlStreamNode node = ph_xml_stream_classify(stream, error);
		if (node != PH_XML_STREAM_DONE)
			return node;
	}
}

const gchar *
ph_xml_stream_get_name(PhXmlStream *stream)
{
	const xmlChar *name = xmlTextReaderConstLocalName(stream->reader);
	return name != NULL ? (const gchar *)name : "";
}

const gchar *
ph_xml_stream_get_namespace(PhXmlStream *stream)
{
	const xmlChar *uri = xmlTextReaderConstNamespaceUri(stream->reader);
	return uri != NULL ? (const gchar *)uri : "";
}

guint
ph_xml_stream_get_depth(PhXmlStream *stream)
{
	int depth = xmlTextReaderDepth(stream->reader);
	return depth > 0 ? (guint)depth : 0;
}

const gchar *
ph_xml_stream_get_text(PhXmlStream *stream)
{
	const xmlChar *value = xmlTextReaderConstValue(stream->reader);
	return value != NULL ? (const gchar *)value : "";
}

gchar *
ph_xml_stream_get_attribute(PhXmlStream *stream, const gchar *name)
{
	xmlChar *value = xmlTextReaderGetAttribute(stream->reader, (const xmlChar *)name);
	if (value == NULL)
		return NULL;
	gchar *copy = g_strdup((const gchar *)value);
	xmlFree(value);
	return copy;
}

guint
ph_xml_stream_get_line(PhXmlStream *stream)
{
	int line = stream->reader != NULL ? xmlTextReaderGetParserLineNumber(stream->reader) : 0;
	return line > 0 ? (guint)line : 1;
}

const gchar *
ph_xml_stream_get_encoding(PhXmlStream *stream)
{
	return stream->encoding != NULL ? stream->encoding : "UTF-8";
}

guint64
ph_xml_stream_get_bytes_read(PhXmlStream *stream)
{
	return stream->bytes_read;
}
