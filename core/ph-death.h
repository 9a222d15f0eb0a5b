/* Death settlement (RULES §5): inheritable account and annuity, overpayment after the
 * death month, funeral grant and survivor benefit. Pure; core and hub call it. */
#pragma once

#include <glib.h>

#include "ph-period.h"
#include "ph-policy.h"

G_BEGIN_DECLS

typedef struct {
	gboolean retired;
	PhPeriod death;
	gint64 account_balance;      /* active: rolled to the death month (ph_account_roll);
	                              * retiree: the balance at retirement */
	gint64 account_pension_paid; /* retiree: Σ individual-account pension paid */
	gint64 annuity_balance;      /* the remaining annuity balance */
	PhPeriod paid_through;       /* last month paid; 0 when none */
	gint64 monthly_amount;       /* paid per month, to value the overpayment */
} PhDeathInput;

typedef struct {
	gint64 inheritable_account;
	gint64 inheritable_annuity;
	gint overpaid_months; /* months after the death month that were paid */
	gint64 overpayment;   /* to recover */
	gint64 funeral_grant;
	gint64 survivor_benefit;
} PhDeathSettlement;

gboolean
ph_death_settle(const PhPolicy *policy, const PhDeathInput *input, PhDeathSettlement *out,
                GError **error);

G_END_DECLS
