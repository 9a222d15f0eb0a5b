/* Helpers shared by the store sub-commands of pensionctl (db, inbox, outbox). */
#pragma once

#include <glib.h>

#include "ph-ctl.h"
#include "ph-db.h"

G_BEGIN_DECLS

/* Parses @argv with @entries (NULL-terminated) into the entries' variables; on a bad
 * option prints why and returns FALSE. argc/argv keep only the positional arguments. */
gboolean
ph_ctl_store_parse(const gchar *usage, const GOptionEntry *entries, int *argc, char ***argv);

/* A positive row id, or FALSE with PH_ERROR_INVALID_INPUT naming the argument. */
gboolean
ph_ctl_store_parse_id(const gchar *text, gint64 *id, GError **error);

/* Prints "LABEL: " and the bytes: as text when they are valid UTF-8, else as base64. */
void
ph_ctl_store_print_bytes(const gchar *label, GBytes *bytes);

/* The connection from the config (borrowed), or NULL after printing why. */
PhDb *
ph_ctl_store_db(PhCtl *ctl);

G_END_DECLS
