/* What the core sub-commands of pensionctl (contrib, interest, adjust, person) share: the
 * database, the policy in force for the configured region, one transaction per command
 * and the JSON answer. pensionctl only. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "ph-command.h"
#include "ph-ctl.h"

G_BEGIN_DECLS

typedef struct {
	PhDb *db;         /* borrowed from the PhCtl */
	PhPolicy *policy; /* owned */
	PhCommandContext context;
} PhCtlCore;

/* Connects, loads the policy ([hub] policy_dir and region, this month) and BEGINs; prints
 * why and returns FALSE on failure. */
gboolean ph_ctl_core_open(PhCtl *ctl, PhCtlCore *core);
/* COMMITs and prints @result when @ok, else rolls back and prints @error; frees the
 * policy. Returns the exit status. */
int ph_ctl_core_finish(PhCtlCore *core, gboolean ok, GError *error, JsonNode *result);

/* The single option "--NAME VALUE" of a sub-command, or NULL after printing the usage. */
const gchar *ph_ctl_core_option(int argc, char **argv, const gchar *name, const gchar *usage);

G_END_DECLS
