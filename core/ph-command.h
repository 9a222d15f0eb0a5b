/* What every core command shares: the caller's context (policy, actor), the outcome (stored
 * result, duplicate flag), input checks and the closing record (event + audit). Core only;
 * the hub reaches commands through ph-core-api.c and pensionctl. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "ph-db.h"
#include "ph-period.h"
#include "ph-policy.h"

G_BEGIN_DECLS

/* Who runs a command and under which parameters; both borrowed. */
typedef struct {
	const PhPolicy *policy;
	const gchar *actor; /* audit actor: "pensionctl", a plugin name */
} PhCommandContext;

/* What a command did. A repeat of a business key sets @duplicate and gives the stored
 * result; nothing is applied twice. */
typedef struct {
	gboolean duplicate;
	gint64 person_id; /* AAC001; 0 for commands about no one person */
	JsonNode *result; /* owned; the command's result as stored */
} PhCommandResult;

void ph_command_result_clear(PhCommandResult *outcome);

/* A repeat of a business key: when @stored (owned, may be NULL) is a stored result, it
 * becomes the result with the duplicate flag and TRUE is returned. */
gboolean ph_command_result_take_stored(PhCommandResult *result, gint64 person_id, JsonNode *stored);
/* The JSON of the first column of @sql's row for the one text parameter @key, or NULL in
 * *@stored when there is no row. */
gboolean ph_command_find_stored(PhDb *db, const gchar *sql, const gchar *key, JsonNode **stored,
                                GError **error);

/* Fails with PH_ERROR_INVALID_INPUT "FIELD: REASON". Always returns FALSE. */
gboolean ph_command_invalid(GError **error, const gchar *field, const gchar *format, ...)
        G_GNUC_PRINTF(3, 4);

/* A calendar date YYYYMMDD (AAC006, AAE138, effective) to its month. */
gboolean ph_command_parse_date(const gchar *field, const gchar *text, PhPeriod *period,
                               GError **error);
/* A month of the scheme: valid and not before the policy's reform start (2014-10). */
gboolean ph_command_check_period(const PhPolicy *policy, const gchar *field, PhPeriod period,
                                 GError **error);
/* A declared wage or base in fen: 0 … PH_MONEY_MAX_BASE. */
gboolean ph_command_check_wage(const gchar *field, gint64 wage, GError **error);
/* A required non-empty text of at most @max_length bytes. */
gboolean ph_command_check_text(const gchar *field, const gchar *text, gsize max_length,
                               GError **error);

/* Appends the core_event row (when @event_type is not NULL) and the audit entry of a
 * command, in the caller's transaction. @payload is borrowed. */
gboolean ph_command_record(PhDb *db, const PhCommandContext *context, const gchar *action,
                           const gchar *object, const gchar *event_type, gint64 person_id,
                           const gchar *business_key, JsonNode *payload, GError **error);

/* JSON text of a node (compact). */
gchar *ph_command_json_text(JsonNode *node);
/* Parses stored JSON text (a jsonb column); NULL when it is not JSON. */
JsonNode *ph_command_json_parse(const gchar *text);

/* Decimal text of a number, for text query parameters. */
#define PH_COMMAND_INT_TEXT(buffer, value)                                                         \
	(g_snprintf((buffer), sizeof(buffer), "%" G_GINT64_FORMAT, (gint64)(value)), (buffer))

G_END_DECLS
