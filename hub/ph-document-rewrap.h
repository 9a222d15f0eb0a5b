/* Key rotation of kept documents (docs/security.md, "Key rotation"): the data key in a sealed
 * file's header is wrapped again under the key file's current key, the chunks stay as they
 * are, so that a retired key can leave the key file. Host-only (`pensionctl keys`). */
#pragma once

#include <glib.h>

#include "ph-db.h"
#include "ph-field-key.h"

G_BEGIN_DECLS

/* Rewrites the header of the sealed kept file @path under the current key (a new file beside
 * it, fsynced, renamed over it) unless it is under it already; @key_id (may be NULL) gets the
 * header's key id after. PH_ERROR_INVALID_INPUT when @path is not a sealed kept file. */
gboolean ph_document_rewrap(const gchar *path, PhFieldKeys *keys, gchar **key_id, GError **error);

/* Re-wraps every file in @dir whose kept_document row names another key than the current
 * one, and records the new key id in its rows; @rewrapped gets the number of files. */
gboolean ph_document_rotate(PhDb *db, const gchar *dir, PhFieldKeys *keys, gint64 *rewrapped,
                            GError **error);

/* How many kept files are sealed under another key than the current one. */
gboolean ph_document_count_stale(PhDb *db, PhFieldKeys *keys, gint64 *stale, GError **error);

/* The sealed files (NAME.gcm) of the folder @dir not under the current key: re-wrapped, or
 * only counted when @count_only; @count gets how many. A missing folder holds none. For
 * folders whose files have no kept_document row (the personnel plugin's spool). */
gboolean ph_document_rotate_folder(const gchar *dir, PhFieldKeys *keys, gboolean count_only,
                                   gint64 *count, GError **error);

G_END_DECLS
