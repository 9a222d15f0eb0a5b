/* National code tables (mappings/standard/<CODE>.xml, e.g. AAC004 per GB/T 2261.1) and
 * partner value maps (mappings/partners/<name>.xml) that translate a partner's codes to
 * national codes and back. Hub layer (mapping engine, adapters). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _PhCodeTable PhCodeTable;
typedef struct _PhValueMap PhValueMap;

/* Loads standard/@code.xml from the mapping directory @dir (NULL: ph_mapping_dir()). */
PhCodeTable *ph_codetable_load(const gchar *dir, const gchar *code, GError **error);
void ph_codetable_free(PhCodeTable *table);
const gchar *ph_codetable_get_code(const PhCodeTable *table);
const gchar *ph_codetable_get_title(const PhCodeTable *table);
/* The source standard and its version, e.g. "GB/T 2261.1" and "2003". */
const gchar *ph_codetable_get_standard(const PhCodeTable *table);
const gchar *ph_codetable_get_version(const PhCodeTable *table);
guint ph_codetable_get_size(const PhCodeTable *table);
/* The label of @value (e.g. "女性" for AAC004 "2"), or NULL when the table lacks it. */
const gchar *ph_codetable_lookup(const PhCodeTable *table, const gchar *value);
/* FALSE with an error naming the value, table and standard when @value is not a code. */
gboolean ph_codetable_check(const PhCodeTable *table, const gchar *value, GError **error);

/* Loads partners/@name.xml (a <valuemap> file) from @dir (NULL: ph_mapping_dir()). */
PhValueMap *ph_valuemap_load(const gchar *dir, const gchar *name, GError **error);
/* Loads the <valuemap> file at @path, validated against @dir's schema; its name must be
 * @name. */
PhValueMap *ph_valuemap_load_file(const gchar *dir, const gchar *path, const gchar *name,
                                  GError **error);
void ph_valuemap_free(PhValueMap *map);
const gchar *ph_valuemap_get_name(const PhValueMap *map);
/* The national code table the map's national side belongs to, or NULL. */
const gchar *ph_valuemap_get_table(const PhValueMap *map);
/* Translates; a value no entry covers is an error naming the value and map unless the map
 * says unmapped="keep" (passed through) or "default". */
const gchar *ph_valuemap_to_national(const PhValueMap *map, const gchar *partner_value,
                                     GError **error);
const gchar *ph_valuemap_to_partner(const PhValueMap *map, const gchar *national_value,
                                    GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhCodeTable, ph_codetable_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhValueMap, ph_valuemap_free)

G_END_DECLS
