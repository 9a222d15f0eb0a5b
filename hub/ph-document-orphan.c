/* The document store's orphans (see ph-document-orphan.h). A removal and a keep of the same
 * bytes may run at once: the keep puts its own new file in place (over an existing one),
 * the removal renames the file aside and only then judges it (its time, or its inode).
 * Whichever order the two come in, a file a keep is naming is either put back or written
 * anew, never removed. Hub only. */
#include "ph-document-orphan.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "ph-document-store.h"

gint64
ph_document_orphan_written_us(const GStatBuf *st)
{
	return (gint64)st->st_mtim.tv_sec * G_USEC_PER_SEC + st->st_mtim.tv_nsec / 1000;
}

gboolean
ph_document_orphan_is_store_file(const gchar *name)
{
	return g_str_has_suffix(name, PH_DOCUMENT_SEALED_SUFFIX) ||
	       g_str_has_suffix(name, PH_DOCUMENT_PLAIN_SUFFIX) || g_str_has_suffix(name, ".part");
}

/* Puts @aside back as @path, unless a keep wrote @path anew meanwhile: then the copy set
 * aside is dropped (the same bytes, by its name). */
static gboolean
ph_document_orphan_put_back(const gchar *aside, const gchar *path, GError **error)
{
	if (link(aside, path) != 0 && errno != EEXIST)
		return ph_document_errno(error, "put back", aside);
	if (g_unlink(aside) != 0)
		return ph_document_errno(error, "remove", aside);
	return TRUE;
}

/* The end of judging @aside, set aside from @path: put back when @keep, else removed. */
static gboolean
ph_document_orphan_decide(const gchar *aside, const gchar *path, gboolean keep, gboolean *removed,
                          GError **error)
{
	if (keep)
		return ph_document_orphan_put_back(aside, path, error);
	if (g_unlink(aside) != 0)
		return ph_document_errno(error, "remove", aside);
	*removed = TRUE;
	return TRUE;
}

/* Renames @path to @aside; FALSE in *@moved (and no error) when there is no such file. */
static gboolean
ph_document_orphan_set_aside(const gchar *path, const gchar *aside, gboolean *moved, GError **error)
{
	*moved = g_rename(path, aside) == 0;
	return *moved || errno == ENOENT || ph_document_errno(error, "set aside", path);
}

gboolean
ph_document_orphan_settle(const gchar *dir, const gchar *name, gint64 cutoff_us, gboolean *removed,
                          GError **error)
{
	g_autofree gchar *path = g_build_filename(dir, name, NULL);
	g_autofree gchar *aside = g_strconcat(path, PH_DOCUMENT_ORPHAN_ASIDE, NULL);
	*removed = FALSE;
	GStatBuf st;
	if (g_lstat(aside, &st) != 0)
		return errno == ENOENT || ph_document_errno(error, "read the time of", aside);
	return ph_document_orphan_decide(
	        aside, path, ph_document_orphan_written_us(&st) >= cutoff_us, removed, error);
}

gboolean
ph_document_orphan_remove_own(const gchar *dir, const gchar *name, const GStatBuf *own,
                              gboolean *removed, GError **error)
{
	g_autofree gchar *path = g_build_filename(dir, name, NULL);
	g_autofree gchar *aside = g_strconcat(path, PH_DOCUMENT_ORPHAN_ASIDE, NULL);
	gboolean moved = FALSE;
	*removed = FALSE;
	if (!ph_document_orphan_set_aside(path, aside, &moved, error))
		return FALSE;
	if (!moved)
		return TRUE; /* gone already */
	GStatBuf st;
	if (g_lstat(aside, &st) != 0)
		return ph_document_errno(error, "read", aside);
	gboolean replaced = st.st_dev != own->st_dev || st.st_ino != own->st_ino;
	return ph_document_orphan_decide(aside, path, replaced, removed, error);
}

gboolean
ph_document_orphan_remove(const gchar *dir, const gchar *name, gint64 cutoff_us, gboolean *removed,
                          GError **error)
{
	g_autofree gchar *path = g_build_filename(dir, name, NULL);
	g_autofree gchar *aside = g_strconcat(path, PH_DOCUMENT_ORPHAN_ASIDE, NULL);
	gboolean moved = FALSE;
	*removed = FALSE;
	if (!ph_document_orphan_set_aside(path, aside, &moved, error))
		return FALSE;
	if (!moved)
		return TRUE; /* gone already */
	return ph_document_orphan_settle(dir, name, cutoff_us, removed, error);
}
