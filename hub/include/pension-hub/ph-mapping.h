/* The mapping engine: declarative partner layouts (fixed-width, delimited, XML) loaded from
 * mapping files, and streaming conversion between partner files and canonical records of
 * national codes. Part of the plugin SDK (GLib/GIO types only); the code is the host's.
 * Reference: docs/mappings.md. */
#pragma once

#include <gio/gio.h>

#include "ph-plugin.h"
#include "ph-record.h"

G_BEGIN_DECLS

typedef enum {
	PH_MAPPING_FORMAT_FIXED,
	PH_MAPPING_FORMAT_DELIMITED,
	PH_MAPPING_FORMAT_XML,
} PhMappingFormat;

typedef struct _PhMapping PhMapping;
typedef struct _PhMappingReader PhMappingReader;
typedef struct _PhMappingWriter PhMappingWriter;

/* The mapping directory: $PH_MAPPING_DIR when set, else the source tree's mappings/. It
 * holds schema/mapping.xsd, standard/<CODE>.xml and partners/<name>.xml. */
const gchar *ph_mapping_dir(void);

/* Loads partners/@name.xml from ph_mapping_dir() / from @dir. */
PhMapping *ph_mapping_load(const gchar *name, GError **error);
PhMapping *ph_mapping_load_from_dir(const gchar *dir, const gchar *name, GError **error);
/* Loads and checks one mapping file (schema, then meaning); code tables and value maps it
 * names come from @dir (NULL: ph_mapping_dir()). Errors name the file and line. */
PhMapping *ph_mapping_load_file(const gchar *dir, const gchar *path, GError **error);

PhMapping *ph_mapping_ref(PhMapping *mapping);
void ph_mapping_unref(PhMapping *mapping);
const gchar *ph_mapping_get_name(const PhMapping *mapping);
PhMappingFormat ph_mapping_get_format(const PhMapping *mapping);
const gchar *ph_mapping_get_encoding(const PhMapping *mapping);

/* Reads a partner file one canonical record at a time. @source names the input in error
 * messages ("PAYOUT_….txt line 3: record D field AAC003: …"). */
PhMappingReader *ph_mapping_reader_new(PhMapping *mapping, GInputStream *input,
                                       const gchar *source);
/* Fills the reader's record and returns it (owned by the reader, valid until the next
 * call); NULL at the end with no error, or NULL with @error set. At the end every
 * computed field (counts, sums) has been checked against the records read. */
const PhRecord *ph_mapping_reader_next(PhMappingReader *reader, GError **error);
/* Line (fixed, delimited, XML) of the record last returned, from 1. */
guint64 ph_mapping_reader_get_line(const PhMappingReader *reader);
void ph_mapping_reader_free(PhMappingReader *reader);

/* Writes a partner file one canonical record at a time. Computed fields absent from a
 * record are filled from the records written so far (trailers); given ones are checked at
 * ph_mapping_writer_finish(). A fixed-width header's count or sum may be left out only when
 * @output can seek (a file): it is filled in at the end; give it for a stream (SFTP). */
PhMappingWriter *ph_mapping_writer_new(PhMapping *mapping, GOutputStream *output,
                                       const gchar *target);
gboolean ph_mapping_writer_write(PhMappingWriter *writer, const PhRecord *record, GError **error);
/* Checks record order and computed fields and flushes; the stream is not closed. */
gboolean ph_mapping_writer_finish(PhMappingWriter *writer, GError **error);
void ph_mapping_writer_free(PhMappingWriter *writer);

/* Partner file -> canonical JSON Lines, or back. The output is written to a temporary
 * name beside @output_path and renamed only when the whole conversion succeeded. */
gboolean ph_mapping_convert_to_canonical(PhMapping *mapping, const gchar *input_path,
                                         const gchar *output_path, GError **error);
gboolean ph_mapping_convert_to_partner(PhMapping *mapping, const gchar *input_path,
                                       const gchar *output_path, GError **error);

/* For plugins: the mapping @name from the hub's configured mapping folder. The plugin must
 * have declared it with ph_plugin_use_mapping() in init. */
PhMapping *ph_plugin_get_mapping(PhPlugin *plugin, const gchar *name, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhMapping, ph_mapping_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhMappingReader, ph_mapping_reader_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhMappingWriter, ph_mapping_writer_free)

G_END_DECLS

G_BEGIN_DECLS

/* Checks any file of the mapping directory (a <mapping>, <codetable> or <valuemap>) as the
 * hub would load it; on success *@summary describes it ("mapping ph-bank-1-payout: fixed,
 * GB18030, 3 record kinds"). Errors name the file and line. */
gboolean ph_mapping_check_file(const gchar *dir, const gchar *path, gchar **summary,
                               GError **error);

G_END_DECLS
