/* Persons: the one place where AAC002 becomes a lookup key and where person rows are read
 * and written, so that encryption at rest (issue 9) changes only this file. Core only. */
#pragma once

#include <glib.h>

#include "ph-db.h"
#include "ph-period.h"

G_BEGIN_DECLS

/* A person row as the commands need it. */
typedef struct {
	gint64 person_id;    /* AAC001 */
	gchar id_number[33]; /* AAC002 */
	gchar birth_date[9]; /* AAC006 */
	PhPeriod birth;
	gint deemed_months;      /* AAE200 */
	gint32 deemed_index;     /* 10^4 × Zd */
	gchar unit_code[17];     /* AAB001 now, "" when none */
	gchar status[12];        /* active, left, transferred, retired, dead */
	PhPeriod account_closed; /* 0 while the account is open */
} PhPerson;

/* The value stored in person.id_lookup for @id_number: its keyed hash (HMAC-SHA-256 under the
 * key file's lookup key; the number itself when no key file is configured). Every lookup by
 * AAC002 goes through this. */
gchar *ph_person_lookup_key(const gchar *id_number);

/* The one pair for stored AAC002 (person.id_number and its copies, e.g. payout_item): the
 * AES-256-GCM envelope to store, and the number from a stored value (a plaintext value from
 * before encryption was configured is returned as is). docs/security.md. */
gchar *ph_person_seal_id(const gchar *id_number, GError **error);
gchar *ph_person_open_id(const gchar *stored, GError **error);

/* AAC002 with the birth date hidden, for messages and logs. */
gchar *ph_person_mask(const gchar *id_number);

/* Finds and row-locks the person with @id_number; PH_ERROR_NOT_FOUND when unknown. */
gboolean ph_person_find(PhDb *db, const gchar *id_number, PhPerson *out, GError **error);
/* Finds the person with @id_number; FALSE without error when unknown. */
gboolean ph_person_lookup(PhDb *db, const gchar *id_number, PhPerson *out, gboolean *found,
                          GError **error);

/* Identity fields of a new person (HIRE). */
typedef struct {
	const gchar *id_number;  /* AAC002 */
	const gchar *name;       /* AAC003 */
	const gchar *sex;        /* AAC004 */
	const gchar *ethnicity;  /* AAC005, may be NULL */
	const gchar *birth_date; /* AAC006 YYYYMMDD */
	const gchar *work_start; /* AAC007 YYYYMMDD, may be NULL */
	gint deemed_months;      /* AAE200 */
	gint32 deemed_index;     /* 10^4 × Zd */
} PhPersonIdentity;

/* Inserts a person, or updates the identity of an existing one (re-enrolment: active
 * again, an account closed by a transfer out reopens at 0); returns the person id. */
gboolean ph_person_store(PhDb *db, const PhPersonIdentity *identity, const gchar *unit_code,
                         gint64 *person_id, GError **error);

/* Sets status, AAC031 and, when @account_closed is not 0, the account's closing month. */
gboolean ph_person_set_status(PhDb *db, gint64 person_id, const gchar *status,
                              const gchar *contribution_status, PhPeriod account_closed,
                              GError **error);

G_END_DECLS
