/* SDK: the host's streaming XML reader for large partner batches (a million events): one
 * node at a time over a GInputStream, in bounded memory, hardened as every outside XML is
 * (no network, no DTD, no entity expansion, depth and size limits, declared encoding
 * checked). libxml2's xmlTextReader stays inside the host (hub/ph-xml-stream.c). GLib/GIO. */
#pragma once

#include <gio/gio.h>

#include "ph-error.h"

G_BEGIN_DECLS

typedef struct _PhXmlStream PhXmlStream;

/**
 * PhXmlStreamLimits:
 * @max_bytes: input bytes read at most (0: no limit; the caller bounds the file). Whatever
 *   the limit, more than 16 MiB of input between two tags (one huge text, or text split by
 *   comments, which libxml2 holds in memory whole) is refused as PH_ERROR_INVALID_INPUT
 * @max_depth: element nesting (0: %PH_XML_STREAM_DEFAULT_MAX_DEPTH)
 * @encodings: NULL-terminated encodings the XML declaration may name, compared without
 *   case (NULL: "UTF-8" and "GB18030"); a document without a declaration is UTF-8
 */
typedef struct {
	guint64 max_bytes;
	guint max_depth;
	const gchar *const *encodings;
} PhXmlStreamLimits;

#define PH_XML_STREAM_DEFAULT_MAX_DEPTH 32

typedef enum {
	PH_XML_STREAM_ERROR, /* @error is set; the stream can read no more */
	PH_XML_STREAM_DONE,  /* the end of a well-formed document */
	PH_XML_STREAM_START, /* an element starts (an empty one is followed by its END) */
	PH_XML_STREAM_END,   /* an element ends */
	PH_XML_STREAM_TEXT,  /* character data (text or CDATA) inside an element */
} PhXmlStreamNode;

/* Reads @input (borrowed; it must outlive the stream). @source names the input in errors
 * ("batch.xml line 3: …"). @limits may be NULL for the defaults. */
PhXmlStream *ph_xml_stream_new(GInputStream *input, const gchar *source,
                               const PhXmlStreamLimits *limits);
void ph_xml_stream_free(PhXmlStream *stream);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhXmlStream, ph_xml_stream_free)

/* The next element start, element end or text; comments, processing instructions and
 * whitespace between elements are skipped. Every problem is PH_ERROR_INVALID_INPUT naming
 * the source, line and reason (not well-formed, truncated, DTD, too deep, too large,
 * encoding not allowed), except a read error of @input, which keeps its own code. */
PhXmlStreamNode ph_xml_stream_next(PhXmlStream *stream, GError **error);

/* Of the current node: local name and namespace URI ("" when none) of an element. */
const gchar *ph_xml_stream_get_name(PhXmlStream *stream);
const gchar *ph_xml_stream_get_namespace(PhXmlStream *stream);
/* Element depth, the root element being 0. */
guint ph_xml_stream_get_depth(PhXmlStream *stream);
/* The text of a TEXT node (UTF-8, whatever the document's encoding). */
const gchar *ph_xml_stream_get_text(PhXmlStream *stream);
/* An attribute (no namespace) of the current START element, or NULL. */
gchar *ph_xml_stream_get_attribute(PhXmlStream *stream, const gchar *name);
/* Line of the current node, from 1. */
guint ph_xml_stream_get_line(PhXmlStream *stream);
/* The encoding the declaration named, upper-case ("UTF-8" when none). */
const gchar *ph_xml_stream_get_encoding(PhXmlStream *stream);
/* Input bytes consumed so far. */
guint64 ph_xml_stream_get_bytes_read(PhXmlStream *stream);

G_END_DECLS
