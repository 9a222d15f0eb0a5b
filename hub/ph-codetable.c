/* National code tables and partner value maps, loaded from the mapping directory and
 * validated like every mapping file. Hub layer. */
#include "ph-codetable.h"

#include <string.h>

#include "ph-error.h"
#include "ph-mapping-private.h"
#include "ph-mapping-schema.h"
#include "ph-mapping.h"

struct _PhCodeTable {
	gchar *code;
	gchar *title;
	gchar *standard;
	gchar *version;
	gboolean region;    /* match="region": GB/T 2260 codes checked by their prefecture */
	GHashTable *labels; /* value -> label */
};

typedef enum {
	UNMAPPED_ERROR,
	UNMAPPED_KEEP,
	UNMAPPED_DEFAULT,
} Unmapped;

struct _PhValueMap {
	gchar *name;
	gchar *table;
	Unmapped unmapped;
	gchar *default_national;
	gchar *default_partner;
	GHashTable *to_national; /* partner -> national */
	GHashTable *to_partner;  /* national -> partner (the preferred one, else the first) */
};

void
ph_codetable_free(PhCodeTable *table)
{
	if (table == NULL)
		return;
	g_free(table->code);
	g_free(table->title);
	g_free(table->standard);
	g_free(table->version);
	g_hash_table_unref(table->labels);
	g_free(table);
}

PhCodeTable *
ph_codetable_load(const gchar *dir, const gchar *code, GError **error)
{
	g_autofree gchar *file = g_strconcat(code, ".xml", NULL);
	g_autofree gchar *path = NULL;
	g_autoptr(xmlDoc) doc = NULL;
	g_autoptr(PhCodeTable) table = g_new0(PhCodeTable, 1);
	g_autoptr(GPtrArray) entries = NULL;
	g_autofree gchar *match = NULL;
	xmlNode *root;

	g_return_val_if_fail(code != NULL, NULL);
	dir = dir != NULL ? dir : ph_mapping_dir();
	path = g_build_filename(dir, "standard", file, NULL);
	table->labels = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	doc = ph_mapping_schema_load(dir, path, "codetable", error);
	if (doc == NULL)
		return NULL;
	root = xmlDocGetRootElement(doc);
	table->code = ph_mapping_schema_attr(root, "code");
	table->title = ph_mapping_schema_attr(root, "title");
	table->standard = ph_mapping_schema_attr(root, "standard");
	table->version = ph_mapping_schema_attr(root, "version");
	match = ph_mapping_schema_attr(root, "match");
	table->region = g_strcmp0(match, "region") == 0;
	if (!g_str_equal(table->code, code)) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "%s:%ld: table says code %s, not %s",
		            path, xmlGetLineNo(root), table->code, code);
		return NULL;
	}
	entries = ph_mapping_schema_children(root, "entry");
	for (guint i = 0; i < entries->len; i++) {
		xmlNode *entry = g_ptr_array_index(entries, i);
		gchar *value = ph_mapping_schema_attr(entry, "value");

		if (g_hash_table_contains(table->labels, value)) {
			g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
			            "%s:%ld: value '%s' listed twice", path, xmlGetLineNo(entry),
			            value);
			g_free(value);
			return NULL;
		}
		g_hash_table_insert(table->labels, value, ph_mapping_schema_attr(entry, "label"));
	}
	return g_steal_pointer(&table);
}

const gchar *
ph_codetable_get_code(const PhCodeTable *table)
{
	return table->code;
}

const gchar *
ph_codetable_get_title(const PhCodeTable *table)
{
	return table->title;
}

const gchar *
ph_codetable_get_standard(const PhCodeTable *table)
{
	return table->standard;
}

const gchar *
ph_codetable_get_version(const PhCodeTable *table)
{
	return table->version;
}

guint
ph_codetable_get_size(const PhCodeTable *table)
{
	return g_hash_table_size(table->labels);
}

/* A GB/T 2260 county code is accepted when its prefecture (first four digits + "00") is
 * listed: the tables carry provinces and prefectures, not every county. */
static const gchar *
lookup_region(const PhCodeTable *table, const gchar *value)
{
	gchar prefecture[7];

	if (strlen(value) != 6 || strspn(value, "0123456789") != 6)
		return NULL;
	memcpy(prefecture, value, 4);
	memcpy(prefecture + 4, "00", 3);
	return g_hash_table_lookup(table->labels, prefecture);
}

const gchar *
ph_codetable_lookup(const PhCodeTable *table, const gchar *value)
{
	const gchar *label;

	g_return_val_if_fail(table != NULL && value != NULL, NULL);
	label = g_hash_table_lookup(table->labels, value);
	if (label == NULL && table->region)
		label = lookup_region(table, value);
	return label;
}

gboolean
ph_codetable_check(const PhCodeTable *table, const gchar *value, GError **error)
{
	if (ph_codetable_lookup(table, value) != NULL)
		return TRUE;
	g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
	            "value '%s' is not in code table %s (%s, %s—%s)", value, table->code,
	            table->title, table->standard, table->version);
	return FALSE;
}

void
ph_valuemap_free(PhValueMap *map)
{
	if (map == NULL)
		return;
	g_free(map->name);
	g_free(map->table);
	g_free(map->default_national);
	g_free(map->default_partner);
	g_hash_table_unref(map->to_national);
	g_hash_table_unref(map->to_partner);
	g_free(map);
}

static gboolean
add_pair(PhValueMap *map, const gchar *path, xmlNode *node, GError **error)
{
	g_autofree gchar *partner = ph_mapping_schema_attr(node, "partner");
	g_autofree gchar *national = ph_mapping_schema_attr(node, "national");

	if (g_hash_table_contains(map->to_national, partner)) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
		            "%s:%ld: value map %s lists partner value '%s' twice", path,
		            xmlGetLineNo(node), map->name, partner);
		return FALSE;
	}
	if (ph_mapping_schema_attr_bool(node, "preferred", FALSE) ||
	    !g_hash_table_contains(map->to_partner, national))
		g_hash_table_insert(map->to_partner, g_strdup(national), g_strdup(partner));
	g_hash_table_insert(map->to_national, g_steal_pointer(&partner),
	                    g_steal_pointer(&national));
	return TRUE;
}

PhValueMap *
ph_valuemap_new_from_node(const gchar *path, xmlNode *node, GError **error)
{
	g_autoptr(PhValueMap) map = g_new0(PhValueMap, 1);
	g_autoptr(GPtrArray) pairs = ph_mapping_schema_children(node, "map");
	g_autofree gchar *unmapped = ph_mapping_schema_attr(node, "unmapped");

	map->name = ph_mapping_schema_attr(node, "name");
	map->table = ph_mapping_schema_attr(node, "table");
	map->default_national = ph_mapping_schema_attr(node, "default-national");
	map->default_partner = ph_mapping_schema_attr(node, "default-partner");
	map->unmapped = g_strcmp0(unmapped, "keep") == 0      ? UNMAPPED_KEEP
	                : g_strcmp0(unmapped, "default") == 0 ? UNMAPPED_DEFAULT
	                                                      : UNMAPPED_ERROR;
	map->to_national = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	map->to_partner = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	if (map->unmapped == UNMAPPED_DEFAULT &&
	    (map->default_national == NULL || map->default_partner == NULL)) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
		            "%s:%ld: value map %s: unmapped=\"default\" needs default-national "
		            "and default-partner",
		            path, xmlGetLineNo(node), map->name);
		return NULL;
	}
	for (guint i = 0; i < pairs->len; i++) {
		if (!add_pair(map, path, g_ptr_array_index(pairs, i), error))
			return NULL;
	}
	return g_steal_pointer(&map);
}

PhValueMap *
ph_valuemap_load(const gchar *dir, const gchar *name, GError **error)
{
	g_autofree gchar *file = NULL;
	g_autofree gchar *path = NULL;

	g_return_val_if_fail(name != NULL, NULL);
	file = g_strconcat(name, ".xml", NULL);
	dir = dir != NULL ? dir : ph_mapping_dir();
	path = g_build_filename(dir, "partners", file, NULL);
	return ph_valuemap_load_file(dir, path, name, error);
}

PhValueMap *
ph_valuemap_load_file(const gchar *dir, const gchar *path, const gchar *name, GError **error)
{
	g_autoptr(xmlDoc) doc = NULL;
	g_autoptr(PhValueMap) map = NULL;

	g_return_val_if_fail(path != NULL && name != NULL, NULL);
	dir = dir != NULL ? dir : ph_mapping_dir();
	doc = ph_mapping_schema_load(dir, path, "valuemap", error);
	if (doc == NULL)
		return NULL;
	map = ph_valuemap_new_from_node(path, xmlDocGetRootElement(doc), error);
	if (map != NULL && !g_str_equal(map->name, name)) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "%s: value map says name %s, not %s",
		            path, map->name, name);
		return NULL;
	}
	return g_steal_pointer(&map);
}

const gchar *
ph_valuemap_get_name(const PhValueMap *map)
{
	return map->name;
}

const gchar *
ph_valuemap_get_table(const PhValueMap *map)
{
	return map->table;
}

static const gchar *
translate(const PhValueMap *map, GHashTable *pairs, const gchar *value, const gchar *fallback,
          const gchar *side, GError **error)
{
	const gchar *found = g_hash_table_lookup(pairs, value);

	if (found != NULL)
		return found;
	if (map->unmapped == UNMAPPED_KEEP)
		return value;
	if (map->unmapped == UNMAPPED_DEFAULT)
		return fallback;
	g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
	            "%s value '%s' is not in value map %s%s%s", side, value, map->name,
	            map->table != NULL ? " for table " : "", map->table != NULL ? map->table : "");
	return NULL;
}

const gchar *
ph_valuemap_to_national(const PhValueMap *map, const gchar *partner_value, GError **error)
{
	g_return_val_if_fail(map != NULL && partner_value != NULL, NULL);
	return translate(map, map->to_national, partner_value, map->default_national, "partner",
	                 error);
}

const gchar *
ph_valuemap_to_partner(const PhValueMap *map, const gchar *national_value, GError **error)
{
	g_return_val_if_fail(map != NULL && national_value != NULL, NULL);
	return translate(map, map->to_partner, national_value, map->default_partner, "national",
	                 error);
}
