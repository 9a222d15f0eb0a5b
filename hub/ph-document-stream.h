/* The plaintext of a kept document or spool file as a pull stream (ph-document-store.h format):
 * a sealed file is opened chunk by chunk, so memory stays at two chunks. Host-only. */
#pragma once

#include <gio/gio.h>

#include "ph-field-key.h"

G_BEGIN_DECLS

/* Opens @path. @sealed TRUE: the file must carry the sealed header (PH_ERROR_INVALID_INPUT
 * naming it otherwise), whose data key @keys opens (NULL: PH_ERROR_CONFIG); each read then
 * hands on only chunks that authenticate, and fails with PH_ERROR_INVALID_INPUT naming the file
 * and the chunk when one does not (changed, cut short, reordered). @sealed FALSE: the file's
 * bytes as they are. A missing file: PH_ERROR_NOT_FOUND. */
GInputStream *ph_document_stream_open(const gchar *path, PhFieldKeys *keys, gboolean sealed,
                                      GError **error);
/* The plaintext size of a sealed stream as its file's length implies (before authentication),
 * or -1 when the length fits no sealed file; for a plaintext stream the file's size. */
gint64 ph_document_stream_get_size(GInputStream *stream);

G_END_DECLS
