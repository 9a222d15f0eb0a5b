/* SDK: the host's spool for raw batches too large for an inbox row (docs/store.md, "Spool").
 * The host copies the bytes into a spool folder under its control (written to a temporary
 * name, fsynced, renamed to their SHA-256) and stores the inbox row with a small JSON
 * reference {"spool": NAME, "sha256": HEX, "size": N, "name": ORIGINAL} as its body, so
 * that "stored before acknowledged" holds for files of any size while memory stays
 * bounded. With a key file ([keys] file) the file is sealed at rest in the kept-document format
 * (docs/security.md), the name and digest staying the plaintext's, and read back decrypted.
 * Implemented in hub/ph-spool.c. GLib/GIO only. */
#pragma once

#include <gio/gio.h>

#include "ph-error.h"
#include "ph-plugin.h"

G_BEGIN_DECLS

/* The personnel plugin's spool folder when `[plugin personnel] spool_dir` is not set
 * (relative to the configuration file); the host's `keys rotate` and archive look there too. */
#define PH_SPOOL_PERSONNEL_DEFAULT "spool/personnel"

typedef struct _PhSpoolFile PhSpoolFile;

/* Copies @input (read to its end, at most @max_bytes; 0: no limit) into @spool_dir
 * (created when missing). @name is the original name for the reference (may be NULL).
 * Over the limit: PH_ERROR_INVALID_INPUT. */
PhSpoolFile *ph_spool_write(PhPlugin *plugin, const gchar *spool_dir, GInputStream *input,
                            guint64 max_bytes, const gchar *name, GError **error);
/* The bytes' lowercase hex SHA-256 and size. */
const gchar *ph_spool_file_get_sha256(PhSpoolFile *file);
guint64 ph_spool_file_get_size(PhSpoolFile *file);
/* The reference stored as the inbox body. */
GBytes *ph_spool_file_get_reference(PhSpoolFile *file);
/* Frees the handle; the file is removed unless an inbox row refers to it. */
void ph_spool_file_free(PhSpoolFile *file);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhSpoolFile, ph_spool_file_free)

/* Stores the inbox row (@partner, @kind, @message_id) with the file's reference as its
 * body, as ph_request_store_inbox() does for a request: a first arrival returns @answer
 * and queues the message; a repeat with the same reference returns the first answer and
 * sets @duplicate; other bytes under the same id fail with PH_ERROR_CONFLICT. @inbox_id
 * (may be NULL) receives the row's id. Commits on its own. */
PhAnswer *ph_spool_store_inbox(PhPlugin *plugin, PhSpoolFile *file, const gchar *partner,
                               const gchar *kind, const gchar *message_id, const PhAnswer *answer,
                               gboolean *duplicate, gint64 *inbox_id, GError **error);

/* Opens the bytes a reference (an inbox body made by ph_spool_store_inbox) points to, in
 * @spool_dir; PH_ERROR_NOT_FOUND when the file is gone, PH_ERROR_INVALID_INPUT when the
 * reference is not one or the file's size differs from it. Reading a sealed file fails with
 * PH_ERROR_INVALID_INPUT naming the file and chunk when a chunk does not authenticate (no byte
 * of it is handed on); a sealed file without a key file is PH_ERROR_CONFIG. */
GInputStream *ph_spool_open(PhPlugin *plugin, const gchar *spool_dir, GBytes *reference,
                            GError **error);

G_END_DECLS
