/* SDK: the core's side of the cardholder base (持卡库) for the cardholder adapter
 * (plugins/cardholder): who is due for a lookup, cached answers with a time to live, and
 * the payout account that follows from them (the card's unless a clerk overrode it).
 * Implemented in hub/ph-cardholder-api.c over core/ph-cardholder.c. GLib only. */
#pragma once

#include <glib.h>

#include "ph-error.h"
#include "ph-plugin.h"

G_BEGIN_DECLS

/* The cardholder base's view of one AAC002, in national element codes. */
typedef struct {
	const gchar *id_number;   /* AAC002 */
	gboolean found;           /* FALSE: no card for this AAC002 */
	const gchar *name;        /* AAC003 on the card */
	const gchar *card_no;     /* AAZ500 */
	const gchar *card_status; /* AAZ502: "1" 正常 is the only status that may be paid to */
	const gchar *bank_code;   /* AAE008 */
	const gchar *bank;        /* the hub's bank name for AAE008; NULL: not a bank we pay via */
	const gchar *account;     /* AAE010 */
} PhCardholderCard;

/* What storing an answer did. */
typedef struct {
	gint64 person_id;
	gchar *verdict;         /* confirmed, name_mismatch, not_found */
	gchar *our_name;        /* AAC003 here: for the clerk when the names differ */
	gboolean payee_changed; /* the payout account was set or changed */
	gboolean payee_valid;   /* the payout account may be paid to */
} PhCardholderResult;

void ph_cardholder_api_result_clear(PhCardholderResult *result);

/* A member or retiree whose answer is missing or expired (and not waiting for a retry). */
typedef struct {
	gchar *id_number; /* AAC002 */
	gchar *name;      /* AAC003 */
} PhCardholderPerson;

void ph_cardholder_api_person_free(PhCardholderPerson *person);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhCardholderPerson, ph_cardholder_api_person_free)

/* Up to @limit persons to look up (PhCardholderPerson), oldest answers first. */
GPtrArray *ph_cardholder_api_list_due(PhPlugin *plugin, guint limit, GError **error);

/* Stores @card as the person's answer for @ttl_seconds and updates the payout account, in
 * one transaction of the calling worker thread. PH_ERROR_NOT_FOUND for an AAC002 that is
 * not a person here. */
gboolean ph_cardholder_api_store(PhPlugin *plugin, const PhCardholderCard *card, gint64 ttl_seconds,
                                 PhCardholderResult *result, GError **error);

/* A lookup failed (unreachable, refused): the cached answer stays in force, and the person
 * is due again after @retry_seconds, doubling with each failure up to an hour. */
gboolean ph_cardholder_api_note_failure(PhPlugin *plugin, const gchar *id_number,
                                        const gchar *reason, gint64 retry_seconds, GError **error);

/* A change notice (card re-issued, reported lost, account changed). */
typedef struct {
	const gchar *notice_id;  /* the base's id of the notice: applied once */
	const gchar *change;     /* reissued, lost, account_changed */
	const gchar *changed_on; /* AAE035 YYYYMMDD, may be NULL */
	PhCardholderCard card;   /* the card as it is after the change */
} PhCardholderNotice;

/* Applies @notice inside the inbox handler's transaction: the card becomes the person's
 * answer, and a changed account makes the month's failed payments eligible for re-issue.
 * A notice id seen before sets @duplicate. */
gboolean ph_cardholder_api_apply_notice(PhTxn *txn, const PhCardholderNotice *notice,
                                        gint64 ttl_seconds, PhCardholderResult *result,
                                        gboolean *duplicate, GError **error);

G_END_DECLS
