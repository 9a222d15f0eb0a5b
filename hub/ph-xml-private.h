/* The host's side of the SDK's XML handles (<pension-hub/ph-xml.h>): the libxml2 document
 * behind a PhXmlDoc, for the signature code and host tests. Host-only. */
#pragma once

#include <libxml/tree.h>

#include "pension-hub.h"
#include "ph-xml.h"

G_BEGIN_DECLS

struct _PhXmlDoc {
	xmlDocPtr doc;
};

/* Initialises libxml2 once per process (idempotent, thread-safe). */
void ph_xml_init(void);
xmlDocPtr ph_xml_doc_get_xml(PhXmlDoc *doc);
/* A schema by absolute path, loaded once per process (for tools and tests). */
PhXmlSchema *ph_xml_schema_get_file(const gchar *path, GError **error);

G_END_DECLS
