/* The document store's orphans: its own files that no kept document names (a file stored by
 * a booking whose commit failed, the .part of a killed hub), and their removal without ever
 * taking a file a keep is naming at that moment (docs/security.md, "Kept documents").
 * pensionctl documents orphans, and the spool letting go of a file no inbox row came to name
 * (ph-spool.c). Hub only. */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>

G_BEGIN_DECLS

/* The suffix of a file a removal set aside, to be judged where no keep reaches it. */
#define PH_DOCUMENT_ORPHAN_ASIDE ".sweep"

/* Whether @name is one of the store's own files: sealed (.gcm), plaintext (.bin), or the
 * .part of one being written. A file set aside is not: see PH_DOCUMENT_ORPHAN_ASIDE. */
gboolean ph_document_orphan_is_store_file(const gchar *name);

/* When @st's file was last written, in microseconds since the epoch (the file system's own
 * precision, as far as that goes). */
gint64 ph_document_orphan_written_us(const GStatBuf *st);

/* Removes @dir/@name, which no kept document named when the caller looked and which was last
 * written before @cutoff_us (ph_document_orphan_written_us) when it looked, unless a keep has
 * written it since: a keep of the same bytes puts a new file in its place before it names it
 * (ph-document-store.c).
 * The file is first set aside as NAME.sweep, where no keep reaches it, and judged there; a
 * young one is put back. @removed says which. A file already gone is not an error. */
gboolean ph_document_orphan_remove(const gchar *dir, const gchar *name, gint64 cutoff_us,
                                   gboolean *removed, GError **error);

/* Settles @dir/@name's copy set aside (NAME.sweep), also one an interrupted removal left:
 * removed when last written before @cutoff_us, else put back, unless a keep has written a new
 * NAME meanwhile (the same bytes: the names are the plaintext's digest). @removed says
 * which. */
gboolean ph_document_orphan_settle(const gchar *dir, const gchar *name, gint64 cutoff_us,
                                   gboolean *removed, GError **error);

/* Removes @dir/@name if it is still the file @own describes (device and inode: the one the
 * caller wrote), judged set aside as above; a keep of the same bytes since has put a new one
 * in its place, which is put back. @removed says which. No clock is involved. */
gboolean ph_document_orphan_remove_own(const gchar *dir, const gchar *name, const GStatBuf *own,
                                       gboolean *removed, GError **error);

G_END_DECLS
