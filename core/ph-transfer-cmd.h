/* Transfers between pooling areas (RULES §4): transfer out computes the amounts and the
 * information sheet and suspends contributions; its completion (the other side's RECEIPT)
 * ends the enrolment and settles the account, its cancellation resumes paying; transfer in applies
 * a received sheet (months, bases, balances). Idempotent by case id. Core only; the transfer
 * adapter calls them through ph-core-api.c. */
#pragma once

#include <glib.h>

#include "ph-command.h"
#include "ph-month-table.h"

G_BEGIN_DECLS

typedef struct {
	const gchar *case_id;       /* the transfer platform's case id */
	const gchar *id_number;     /* AAC002 */
	const gchar *transfer_date; /* YYYYMMDD; its month is the transfer month X */
	const gchar *other_region;  /* OAA027, may be NULL */
} PhTransferOutInput;

typedef struct {
	const gchar *case_id;
	const gchar *id_number;     /* AAC002, enrolled here already (HIRE) */
	const gchar *transfer_date; /* YYYYMMDD */
	const gchar *other_region;  /* OAA027, may be NULL */
	gboolean has_deemed;        /* set the deemed service from the sheet */
	gint deemed_months;         /* AAE200 */
	gint32 deemed_index;        /* 10^4 × Zd */
	const PhMonthBase *months;  /* the base history, every month before X */
	guint n_months;
	gint64 pooled_fund;     /* AIC103 */
	gint64 account_balance; /* AIC099 */
	gint64 annuity_balance;
} PhTransferInInput;

/* Emits `transfer_amounts` with the information sheet; the open enrolment and the person
 * become AAC031 = 2 (暂停缴费: the monthly run skips them) until the case ends. */
gboolean ph_transfer_cmd_out(PhDb *db, const PhCommandContext *context,
                             const PhTransferOutInput *input, PhCommandResult *outcome,
                             GError **error);
/* The other side confirmed (RECEIPT OK): the enrolment ends (AAC031 = 3, last month the one
 * before the transfer month), interest is closed and the sent balances leave the account.
 * A repeat is a duplicate. PH_ERROR_NOT_FOUND when @case_id is no transfer out. */
gboolean ph_transfer_cmd_complete_out(PhDb *db, const PhCommandContext *context,
                                      const gchar *case_id, PhCommandResult *outcome,
                                      GError **error);
/* The case was rejected or failed: a member still suspended by it pays again (AAC031 = 1);
 * PH_ERROR_CONFLICT when the case was completed. */
gboolean ph_transfer_cmd_cancel_out(PhDb *db, const PhCommandContext *context, const gchar *case_id,
                                    PhCommandResult *outcome, GError **error);
gboolean ph_transfer_cmd_in(PhDb *db, const PhCommandContext *context,
                            const PhTransferInInput *input, PhCommandResult *outcome,
                            GError **error);

G_END_DECLS
