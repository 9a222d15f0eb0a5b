/* The inbound document behind a person's closed case: the personnel batch event (PH-PERS-1
 * RETIRE, DEATH, LEAVE) whose command raised the core event, found through the batch that was
 * being applied when the event was written, and kept as an excerpt of that batch. For
 * ph-archive-api.c only (docs/formats/archive.md, "Inbound personnel events"). Hub only. */
#pragma once

#include <glib.h>

#include "ph-config.h"
#include "ph-db.h"

G_BEGIN_DECLS

/* Looks for the APPLIED personnel event of @event_type ("RETIRE", "DEATH", "LEAVE") about
 * @id_number (AAC002) in the batches being processed at @created_at (the core event's time).
 * Sets *@name (e.g. "inbound-personnel-17-3.xml") and *@excerpt, or leaves both NULL and
 * returns TRUE when the case came from elsewhere (a clerk's pensionctl command). The batch's
 * bytes are read from [plugin personnel] spool_dir of @config. */
gboolean ph_archive_personnel_find(PhDb *db, const PhConfig *config, const gchar *event_type,
                                   const gchar *created_at, const gchar *id_number, gchar **name,
                                   GBytes **excerpt, GError **error);

G_END_DECLS
