/* The host's store of cross-region transfer cases for the transfer adapter
 * (plugins/transfer): the case state machine's rows and every message in and out, kept in
 * transfer_exchange and transfer_message (core/migrations/0006_transfer.sql) so that
 * `pensionctl transfer list|show` can trace each step; and the core's transfer-out result
 * as a structure. Implemented in hub/ph-transfer-case.c, hub/ph-transfer-message.c and
 * hub/ph-transfer-core.c. GLib only. */
#pragma once

#include <glib.h>

#include "ph-core-api.h"
#include "ph-error.h"
#include "ph-plugin.h"

G_BEGIN_DECLS

typedef struct {
	gchar *case_id;
	gchar *direction;    /* "in" (this hub receives the member) or "out" */
	gchar *state;        /* LETTER_SENT, INFO_RECEIVED, … (transfer.md "Case states") */
	gchar *id_number;    /* AAC002 */
	gchar *other_agency; /* AAB034 of the other side */
	gchar *other_region; /* AAB301 of the other side */
	gchar *reason;       /* why it was rejected, else NULL */
	gint64 deadline;     /* unix seconds: the current step's deadline */
	gint64 created_at;   /* unix seconds */
	gint64 updated_at;   /* unix seconds */
} PhTransferCase;

void ph_transfer_case_free(PhTransferCase *transfer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhTransferCase, ph_transfer_case_free)

/* The case, locked for the rest of @txn (FOR UPDATE); PH_ERROR_NOT_FOUND when unknown. */
PhTransferCase *ph_transfer_case_lock(PhTxn *txn, const gchar *case_id, GError **error);
/* Inserts a new case (PH_ERROR_CONFLICT when the case id exists). */
gboolean ph_transfer_case_create(PhTxn *txn, const PhTransferCase *transfer, GError **error);
/* Writes state, reason and deadline of a locked case; a new deadline clears the overdue
 * report. */
gboolean ph_transfer_case_update(PhTxn *txn, const PhTransferCase *transfer, GError **error);
/* Open cases past their deadline not reported yet; marks them reported (its own
 * transaction). Element type PhTransferCase. */
GPtrArray *ph_transfer_case_take_overdue(PhPlugin *plugin, GError **error);

/* This hub's agency (AAB034) and region (AAB301) from `[hub]`; NULL when not configured. */
const gchar *ph_transfer_case_get_hub_agency(PhPlugin *plugin);
const gchar *ph_transfer_case_get_hub_region(PhPlugin *plugin);

/* Records a message of a case in @txn: @direction "in" or "out", @verdict (ACCEPTED,
 * QUEUED, …), @detail and @body (the document, may be NULL). */
typedef struct {
	const gchar *case_id;
	const gchar *msg_id;
	const gchar *direction;
	const gchar *msg_type;
	const gchar *verdict;
	const gchar *detail;
	GBytes *body;
} PhTransferMessage;

gboolean ph_transfer_message_add(PhTxn *txn, const PhTransferMessage *message, GError **error);
/* The same outside any transaction (refusals at the door; commits on its own). An outbound
 * message already recorded under the same msg_id is replaced: a document re-signed after the
 * platform answered EXPIRED keeps its MsgId, and what is recorded is what was sent last. */
gboolean ph_transfer_message_note(PhPlugin *plugin, const PhTransferMessage *message,
                                  GError **error);
/* The body of the latest message of the case with this direction and type, or NULL with
 * PH_ERROR_NOT_FOUND. */
GBytes *ph_transfer_message_find(PhTxn *txn, const gchar *case_id, const gchar *direction,
                                 const gchar *msg_type, GError **error);
/* Sets the verdict and detail of our outbound message @msg_id (delivery outcome). */
gboolean ph_transfer_message_set_verdict(PhPlugin *plugin, const gchar *msg_id,
                                         const gchar *verdict, const gchar *detail, GError **error);

/* ---- the core's view of a member and of a transfer out (hub/ph-transfer-core.c) ---- */

typedef struct {
	gchar *id_number;  /* AAC002 */
	gchar *name;       /* AAC003 */
	gchar *sex;        /* AAC004 */
	gchar *birth_date; /* AAC006 YYYYMMDD */
} PhTransferPerson;

void ph_transfer_person_clear(PhTransferPerson *person);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(PhTransferPerson, ph_transfer_person_clear)

/* The member's identity as the core keeps it; PH_ERROR_NOT_FOUND when unknown. */
gboolean ph_transfer_core_get_person(PhTxn *txn, const gchar *id_number, PhTransferPerson *person,
                                     GError **error);

/* The information sheet of a transfer out, as ph_core_transfer_out() computed it. */
typedef struct {
	PhTransferPerson person;
	gboolean duplicate;     /* computed before for this case; the stored result */
	gint deemed_months;     /* AAE200 */
	gint32 deemed_index;    /* 10^4 × Zd */
	gint actual_months;     /* AAE201 */
	GArray *periods;        /* gint32 YYYYMM of every actual month */
	GArray *bases;          /* gint64 fen, one per period */
	gint64 pooled_fund;     /* AIC103 */
	gint64 account_balance; /* AIC099 */
	gint64 total;           /* AIC102 */
	gint64 annuity_balance;
	gboolean interest_provisional;
} PhTransferOutSheet;

void ph_transfer_out_sheet_clear(PhTransferOutSheet *sheet);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(PhTransferOutSheet, ph_transfer_out_sheet_clear)

/* Runs ph_core_transfer_out() (RULES §4; it also suspends the member's contributions until
 * ph_core_transfer_out_complete() or _cancel()) and reads its result into @sheet. */
gboolean ph_transfer_core_compute_out(PhTxn *txn, const PhTransferOutRequest *request,
                                      PhTransferOutSheet *sheet, GError **error);

G_END_DECLS
