/* Enrolment commands (personnel UNIT, HIRE, WAGE, MOVE, LEAVE): units, enrolment periods in
 * 险种 120, declared wages. Each runs in the caller's transaction and is idempotent by its
 * business key. Core only; the hub calls them through ph-core-api.c. */
#pragma once

#include <glib.h>

#include "ph-command.h"
#include "ph-person.h"

G_BEGIN_DECLS

typedef struct {
	const gchar *unit_code;   /* AAB001 */
	const gchar *name;        /* AAB004 */
	const gchar *credit_code; /* BAB010, may be NULL */
	const gchar *unit_type;   /* AAB019, may be NULL */
	const gchar *region;      /* AAB301, may be NULL */
	const gchar *funding;     /* full, partial, self; NULL means full */
} PhUnitInput;

typedef struct {
	PhPersonIdentity person;
	const gchar *unit_code; /* AAB001 */
	const gchar *effective; /* YYYYMMDD; its month is AAE030 */
	gint64 wage;            /* declared monthly wage, fen */
} PhEnrolInput;

typedef struct {
	const gchar *id_number; /* AAC002 */
	const gchar *effective; /* YYYYMMDD */
	gint64 wage;            /* fen */
} PhWageInput;

typedef struct {
	const gchar *id_number; /* AAC002 */
	const gchar *effective; /* YYYYMMDD */
	const gchar *unit_code; /* AAB001, the new unit */
} PhMoveInput;

typedef struct {
	const gchar *id_number;   /* AAC002 */
	const gchar *effective;   /* YYYYMMDD; the last contribution month is the one before */
	const gchar *change_code; /* AAE160, may be NULL */
} PhLeaveInput;

/* Business key AAB001; a repeat with the same fields is a duplicate, other fields update. */
gboolean ph_enrolment_register_unit(PhDb *db, const PhCommandContext *context,
                                    const PhUnitInput *input, PhCommandResult *outcome,
                                    GError **error);
/* Business key (person, AAE030). */
gboolean ph_enrolment_enrol(PhDb *db, const PhCommandContext *context, const PhEnrolInput *input,
                            PhCommandResult *outcome, GError **error);
/* Business key (person, effective month); the same month with another wage is CONFLICT. */
gboolean ph_enrolment_set_wage(PhDb *db, const PhCommandContext *context, const PhWageInput *input,
                               PhCommandResult *outcome, GError **error);
/* Business key (person, unit): already in the unit is a duplicate. */
gboolean ph_enrolment_move(PhDb *db, const PhCommandContext *context, const PhMoveInput *input,
                           PhCommandResult *outcome, GError **error);
/* Business key (person, end month); emits enrolment_ended. */
gboolean ph_enrolment_leave(PhDb *db, const PhCommandContext *context, const PhLeaveInput *input,
                            PhCommandResult *outcome, GError **error);

/* The open enrolment of a person: @found FALSE when none. */
typedef struct {
	PhPeriod start;
	gchar unit_code[17];
} PhEnrolmentOpen;

gboolean ph_enrolment_get_open(PhDb *db, gint64 person_id, PhEnrolmentOpen *out, gboolean *found,
                               GError **error);
/* Closes the open enrolment with last month @end (AAE031), AAC031 @status, @reason. */
gboolean ph_enrolment_close(PhDb *db, gint64 person_id, PhPeriod end, const gchar *status,
                            const gchar *reason, const gchar *change_code, GError **error);
/* The checks of a HIRE that need no database (identity, dates, wage, deemed service);
 * gives the birth month and the enrolment start. Also used by ph-enrolment-bulk.c. */
gboolean ph_enrolment_check_identity(const PhPolicy *policy, const PhEnrolInput *input,
                                     PhPeriod *birth, PhPeriod *start, GError **error);

G_END_DECLS
