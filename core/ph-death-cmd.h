/* Death (personnel DEATH): stops contributions or payments from the month after death,
 * settles the accounts with ph_death_settle (inheritable amounts, overpayment to recover,
 * funeral grant, survivor benefit) and emits `died`. Core only; the hub calls it through
 * ph-core-api.c. */
#pragma once

#include <glib.h>

#include "ph-command.h"

G_BEGIN_DECLS

typedef struct {
	const gchar *id_number;  /* AAC002 */
	const gchar *death_date; /* AAE138 YYYYMMDD */
} PhDeathCmdInput;

/* Business key: the person (one settlement each). */
gboolean ph_death_cmd_record(PhDb *db, const PhCommandContext *context,
                             const PhDeathCmdInput *input, PhCommandResult *outcome,
                             GError **error);

G_END_DECLS
