/* Death settlement (RULES §5). Pure; core and hub call it. */
#include "ph-death.h"

#include <string.h>

#include "ph-error.h"

static gboolean
check_amount(gint64 amount, const gchar *name, GError **error)
{
	if (amount >= 0 && amount <= PH_MONEY_MAX_BALANCE)
		return TRUE;
	g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
	            "%s %" G_GINT64_FORMAT " is outside 0 … 10^12 fen", name, amount);
	return FALSE;
}

/**
 * ph_death_settle:
 *
 * Active member: the account (rolled to the death month by the caller) and the annuity
 * are inheritable. Retiree: max(0, account at retirement − individual-account pension
 * paid), and the annuity's remaining balance. Payment stops after the death month; months
 * paid beyond it are an overpayment. Funeral grant and survivor benefit are the
 * province's amounts.
 */
gboolean
ph_death_settle(const PhPolicy *policy, const PhDeathInput *input, PhDeathSettlement *out,
                GError **error)
{
	g_return_val_if_fail(policy != NULL && input != NULL && out != NULL, FALSE);
	memset(out, 0, sizeof(*out));
	if (!ph_period_valid(input->death)) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "death: not a valid month");
		return FALSE;
	}
	if (input->paid_through != 0 && !ph_period_valid(input->paid_through)) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "paid_through: not a valid month");
		return FALSE;
	}
	if (!check_amount(input->account_balance, "account_balance", error) ||
	    !check_amount(input->account_pension_paid, "account_pension_paid", error) ||
	    !check_amount(input->annuity_balance, "annuity_balance", error) ||
	    !check_amount(input->monthly_amount, "monthly_amount", error))
		return FALSE;
	out->inheritable_account = input->account_balance;
	if (input->retired)
		out->inheritable_account =
		        MAX(0, input->account_balance - input->account_pension_paid);
	out->inheritable_annuity = input->annuity_balance;
	if (input->paid_through != 0 && input->paid_through > input->death)
		out->overpaid_months = ph_period_diff(input->paid_through, input->death);
	out->overpayment = out->overpaid_months * input->monthly_amount;
	out->funeral_grant = policy->funeral_grant;
	out->survivor_benefit = policy->survivor_benefit;
	return TRUE;
}
