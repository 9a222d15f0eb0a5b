/* Reading files of the mapping directory (layouts, code tables, value maps): parsed with no
 * network, no DTD and no entities, validated against schema/mapping.xsd, errors with file
 * and line. Mapping engine only. */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

#include "ph-xml-autocleanup.h"

G_BEGIN_DECLS

/* Parses @path and validates it; its root element must be @root (NULL: any root the
 * schema allows). */
xmlDoc *ph_mapping_schema_load(const gchar *dir, const gchar *path, const gchar *root,
                               GError **error);

/* The attribute @name of @node as a new string, or NULL. */
gchar *ph_mapping_schema_attr(xmlNode *node, const gchar *name);
/* An xs:boolean attribute ("true"/"1"), @fallback when absent. */
gboolean ph_mapping_schema_attr_bool(xmlNode *node, const gchar *name, gboolean fallback);
/* Element children of @node in the mapping namespace named @name (NULL: any). */
GPtrArray *ph_mapping_schema_children(xmlNode *node, const gchar *name);

G_END_DECLS
