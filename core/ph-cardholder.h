/* The cardholder base's answers (持卡库, issue 8) as the core keeps them: a cached answer per
 * person with an expiry, the identity verdict, and the payout account that follows from it
 * (the card's account unless a clerk overrode it). Core only; the hub reaches it through
 * hub/ph-cardholder-api.c and pensionctl. */
#pragma once

#include <glib.h>

#include "ph-db.h"

G_BEGIN_DECLS

/* What the cardholder base said about one AAC002 (a query's answer or a change notice). */
typedef struct {
	const gchar *id_number;   /* AAC002 */
	gboolean found;           /* FALSE: the base has no card for this AAC002 */
	const gchar *name;        /* AAC003 on the card */
	const gchar *card_no;     /* AAZ500 */
	const gchar *card_status; /* AAZ502; "1" 正常 is the only one that may be paid to */
	const gchar *bank_code;   /* AAE008 */
	const gchar *bank;        /* the hub's bank name for AAE008, NULL when none is configured */
	const gchar *account;     /* AAE010 */
} PhCardholderAnswer;

/* The identity verdict of an answer. */
#define PH_CARDHOLDER_CONFIRMED     "confirmed"
#define PH_CARDHOLDER_NAME_MISMATCH "name_mismatch"
#define PH_CARDHOLDER_NOT_FOUND     "not_found"

/* What storing an answer did. */
typedef struct {
	gint64 person_id;
	const gchar *verdict;   /* one of the PH_CARDHOLDER_* above (static) */
	gchar *our_name;        /* AAC003 here, for the clerk when the names differ */
	gboolean payee_changed; /* payee_account was inserted or changed */
	gboolean payee_valid;   /* the payout account may be paid to */
} PhCardholderOutcome;

void ph_cardholder_outcome_clear(PhCardholderOutcome *outcome);

/* In @db's open transaction: stores @answer as the person's cached answer (valid for
 * @ttl_seconds; @source "query" or "notice"), forgets failed attempts, and brings
 * payee_account in line: a clerk's override when there is one, else the card's account,
 * valid only when the identity is confirmed, the card is normal (AAZ502 1) and the bank is
 * known. A change of account stamps payee_account.updated_at, which makes the month's
 * failed payments eligible for re-issue. PH_ERROR_NOT_FOUND when AAC002 is not ours. */
gboolean ph_cardholder_store(PhDb *db, const PhCardholderAnswer *answer, gint64 ttl_seconds,
                             const gchar *source, const gchar *actor, PhCardholderOutcome *outcome,
                             GError **error);

/* A change notice of the cardholder base: the card as it is after the change. */
typedef struct {
	const gchar *notice_id;  /* the base's id of the notice: applied once */
	const gchar *change;     /* reissued, lost, account_changed */
	const gchar *changed_on; /* AAE035 YYYYMMDD, may be NULL */
	PhCardholderAnswer card;
} PhCardholderChange;

/* Records @notice and stores its card as the person's answer (ph_cardholder_store with
 * source "notice"); a notice id seen before sets @duplicate and changes nothing. */
gboolean ph_cardholder_apply_notice(PhDb *db, const PhCardholderChange *notice, gint64 ttl_seconds,
                                    const gchar *actor, PhCardholderOutcome *outcome,
                                    gboolean *duplicate, GError **error);

/* Notes a failed lookup of @id_number: the cached answer (if any) stays in force, and the
 * person is not due again for @retry_seconds × 2^(failures − 1), at most an hour. */
gboolean ph_cardholder_note_failure(PhDb *db, const gchar *id_number, const gchar *reason,
                                    gint64 retry_seconds, GError **error);

/* A person whose answer is missing or expired and who is not waiting for a retry. */
typedef struct {
	gint64 person_id;
	gchar *id_number; /* AAC002 */
	gchar *name;      /* AAC003 */
} PhCardholderDue;

void ph_cardholder_due_free(PhCardholderDue *due);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhCardholderDue, ph_cardholder_due_free)

/* Up to @limit members and retirees (alive) to look up, oldest answers first. */
GPtrArray *ph_cardholder_list_due(PhDb *db, gint limit, GError **error);

/* A clerk's payout account for @id_number (it wins over the card's), or with @bank NULL
 * the override removed (the card's account applies again). */
gboolean ph_cardholder_set_override(PhDb *db, const gchar *id_number, const gchar *bank,
                                    const gchar *account, const gchar *reason, const gchar *actor,
                                    GError **error);

/* Persons whose identity the cardholder base did not confirm (name_mismatch, not_found),
 * the clerk's worklist: one JSON object per line {"AAC002", "AAC003" ours, "card_AAC003"
 * theirs, "verdict", "fetched_at"}, in the order the persons were registered. */
gchar *ph_cardholder_unconfirmed_json_lines(PhDb *db, GError **error);

/* The cached answer and the payout account of @id_number as one JSON object (for
 * pensionctl and partners' support); PH_ERROR_NOT_FOUND when AAC002 is not ours. */
gchar *ph_cardholder_show_json(PhDb *db, const gchar *id_number, GError **error);

G_END_DECLS
