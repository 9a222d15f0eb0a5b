/* SDK: the host's watched-folder transport (a local or mounted folder a partner system
 * drops files into), the local twin of <pension-hub/ph-sftp.h>: list, read, move aside,
 * delete.
 * The plugin names the folders from its config; the host opens the files
 * (hub/ph-drop.c). Blocking: call it from a worker (a job). GLib/GIO only. */
#pragma once

#include <gio/gio.h>

#include "ph-error.h"
#include "ph-plugin.h"

G_BEGIN_DECLS

/* Names of the regular files in @folder (no hidden files, no sub-folders), sorted; the
 * folder is created when it does not exist. */
gchar **ph_drop_list(PhPlugin *plugin, const gchar *folder, GError **error);
/* A stream reading @path; PH_ERROR_NOT_FOUND when it does not exist. */
GInputStream *ph_drop_open_read(PhPlugin *plugin, const gchar *path, GError **error);
/* Reads @path whole; PH_ERROR_INVALID_INPUT when larger than @max_size (done files). */
GBytes *ph_drop_get_bytes(PhPlugin *plugin, const gchar *path, gsize max_size, GError **error);
/* Moves @path into @folder (created when missing), keeping its name, or NAME.1, NAME.2 …
 * when that is taken: a file is never overwritten. */
gboolean ph_drop_move(PhPlugin *plugin, const gchar *path, const gchar *folder, GError **error);
/* Writes @data as @path through PATH.part and a rename (e.g. a reason file). */
gboolean ph_drop_put_bytes(PhPlugin *plugin, const gchar *path, GBytes *data, GError **error);
/* Deletes @path (a file taken whose content is kept elsewhere, e.g. sealed in the spool);
 * PH_ERROR_TRANSIENT when it cannot be deleted. */
gboolean ph_drop_remove(PhPlugin *plugin, const gchar *path, GError **error);

G_END_DECLS
