/* A person's ledger (see ph-ledger.h). Core only; the interest itself is ph_account_roll. */
#include "ph-ledger.h"

#include "ph-account.h"
#include "ph-command.h"
#include "ph-error.h"

#include <string.h>

static gboolean
ph_ledger_opening(PhDb *db, gint64 person_id, PhAccountOpening *account, PhAccountOpening *annuity,
                  GError **error)
{
	gchar id[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(id, person_id)};
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "SELECT period / 100, account_balance, annuity_balance FROM account_entry "
	        "WHERE person_id = $1::bigint AND kind = 'interest' AND reference ~ '^[0-9]{4}$' "
	        "ORDER BY period DESC LIMIT 1",
	        1, params, error);

	if (result == NULL)
		return FALSE;
	account->present = annuity->present = PQntuples(result) > 0;
	if (!account->present)
		return TRUE;
	account->year = annuity->year = (gint)ph_db_get_int64(result, 0, 0);
	account->balance = ph_db_get_int64(result, 0, 1);
	annuity->balance = ph_db_get_int64(result, 0, 2);
	return TRUE;
}

/* The ledger rows after the opening year, as credits by month (before @close) and a
 * plain sum (from @close on). */
static gboolean
ph_ledger_credits(PhDb *db, gint64 person_id, gint after_year, PhPeriod close,
                  PhMonthTable *account, PhMonthTable *annuity, gint64 late[2], GError **error)
{
	gchar id[24], from[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(id, person_id),
	                         PH_COMMAND_INT_TEXT(from, after_year * 100 + 12)};
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "SELECT period, account_amount, annuity_amount FROM account_ledger "
	        "WHERE person_id = $1::bigint AND period > $2::integer AND kind <> 'interest' "
	        "ORDER BY period",
	        2, params, error);
	gint close_year = ph_period_year(close);
	gint first_year = close_year;

	if (result == NULL)
		return FALSE;
	if (PQntuples(result) > 0)
		first_year = MIN(first_year, (gint)ph_db_get_int64(result, 0, 0) / 100);
	if (!ph_month_table_init(account, first_year, close_year, error) ||
	    !ph_month_table_init(annuity, first_year, close_year, error))
		return FALSE;
	late[0] = late[1] = 0;
	for (gint row = 0; row < PQntuples(result); row++) {
		PhPeriod period = (PhPeriod)ph_db_get_int64(result, row, 0);
		gint64 amount = ph_db_get_int64(result, row, 1);
		gint64 annuity_amount = ph_db_get_int64(result, row, 2);
		if (period >= close) {
			late[0] += amount;
			late[1] += annuity_amount;
			continue;
		}
		gint year = ph_period_year(period) - first_year;
		gint month = ph_period_month(period) - 1;
		account->amount[year][month] += amount;
		annuity->amount[year][month] += annuity_amount;
	}
	return TRUE;
}

gboolean
ph_ledger_roll(PhDb *db, const PhPolicy *policy, gint64 person_id, PhPeriod close,
               PhLedgerRoll *out, GError **error)
{
	PhAccountOpening account_opening = {0};
	PhAccountOpening annuity_opening = {0};
	g_autofree PhMonthTable *account = g_new0(PhMonthTable, 1);
	g_autofree PhMonthTable *annuity = g_new0(PhMonthTable, 1);
	PhAccountRoll account_roll = {0};
	PhAccountRoll annuity_roll = {0};
	gint64 late[2];

	memset(out, 0, sizeof(*out));
	if (!ph_ledger_opening(db, person_id, &account_opening, &annuity_opening, error))
		return FALSE;
	if (account_opening.present && account_opening.year >= ph_period_year(close)) {
		g_autofree gchar *month = ph_period_to_string(close);
		return ph_command_invalid(error, "period",
		                          "%s is in a year whose interest is already closed (%d)",
		                          month, account_opening.year);
	}
	if (!ph_ledger_credits(db, person_id, account_opening.present ? account_opening.year : 0,
	                       close, account, annuity, late, error) ||
	    !ph_account_roll(policy, PH_ACCOUNT_INDIVIDUAL, account, &account_opening, close,
	                     &account_roll, error) ||
	    !ph_account_roll(policy, PH_ACCOUNT_ANNUITY, annuity, &annuity_opening, close,
	                     &annuity_roll, error))
		return FALSE;
	out->opening_year = account_opening.present ? account_opening.year : 0;
	out->account_balance = account_roll.balance + late[0];
	out->annuity_balance = annuity_roll.balance + late[1];
	out->account_interest = account_roll.interest;
	out->annuity_interest = annuity_roll.interest;
	out->provisional = account_roll.provisional || annuity_roll.provisional;
	return TRUE;
}

gboolean
ph_ledger_append(PhDb *db, gint64 person_id, PhPeriod period, const gchar *kind,
                 const gchar *reference, gint64 account_amount, gint64 annuity_amount,
                 GError **error)
{
	gchar id[24], month[24], account[24], annuity[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(id, person_id),
	                         PH_COMMAND_INT_TEXT(month, period),
	                         kind,
	                         reference,
	                         PH_COMMAND_INT_TEXT(account, account_amount),
	                         PH_COMMAND_INT_TEXT(annuity, annuity_amount)};
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "INSERT INTO account_entry (person_id, period, kind, reference, account_amount, "
	        "annuity_amount) VALUES ($1::bigint, $2::integer, $3, $4, $5::bigint, $6::bigint)",
	        G_N_ELEMENTS(params), params, error);
	return result != NULL;
}

gboolean
ph_ledger_append_closing_interest(PhDb *db, gint64 person_id, PhPeriod close,
                                  const PhLedgerRoll *roll, GError **error)
{
	g_autofree gchar *reference = g_strdup_printf("close-%d", close);

	if (roll->account_interest == 0 && roll->annuity_interest == 0)
		return TRUE;
	return ph_ledger_append(db, person_id, close, "interest", reference, roll->account_interest,
	                        roll->annuity_interest, error);
}

gboolean
ph_ledger_balance(PhDb *db, gint64 person_id, gint64 *account, gint64 *annuity, GError **error)
{
	gchar id[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(id, person_id)};
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "SELECT coalesce(sum(account_amount), 0), coalesce(sum(annuity_amount), 0) "
	        "FROM account_ledger WHERE person_id = $1::bigint",
	        1, params, error);

	if (result == NULL)
		return FALSE;
	*account = ph_db_get_int64(result, 0, 0);
	*annuity = ph_db_get_int64(result, 0, 1);
	return TRUE;
}

gboolean
ph_ledger_check_closable(PhDb *db, gint64 person_id, const gchar *status, PhPeriod close,
                         const gchar *field, GError **error)
{
	gchar id[24], month[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(id, person_id),
	                         PH_COMMAND_INT_TEXT(month, close)};

	if (!g_str_equal(status, "active") && !g_str_equal(status, "left"))
		return ph_command_invalid(error, "AAC002", "the person is %s", status);
	g_autoptr(PGresult) later =
	        ph_db_query(db,
	                    "SELECT min(period) FROM contribution WHERE person_id = $1::bigint "
	                    "AND period >= $2::integer",
	                    2, params, error);
	if (later == NULL)
		return FALSE;
	if (!PQgetisnull(later, 0, 0)) {
		g_autofree gchar *first =
		        ph_period_to_string((PhPeriod)ph_db_get_int64(later, 0, 0));
		g_autofree gchar *closing = ph_period_to_string(close);
		return ph_command_invalid(
		        error, field, "contributions exist from %s, not before %s", first, closing);
	}
	return TRUE;
}

GArray *
ph_ledger_months(PhDb *db, gint64 person_id, PhPeriod before, GError **error)
{
	gchar id[24], until[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(id, person_id),
	                         PH_COMMAND_INT_TEXT(until, before)};
	g_autoptr(PGresult) result =
	        ph_db_query(db,
	                    "SELECT period, base FROM contribution WHERE person_id = $1::bigint "
	                    "AND period < $2::integer ORDER BY period",
	                    2, params, error);

	if (result == NULL)
		return NULL;
	GArray *months =
	        g_array_sized_new(FALSE, FALSE, sizeof(PhMonthBase), (guint)PQntuples(result));
	for (gint row = 0; row < PQntuples(result); row++) {
		PhMonthBase month = {(PhPeriod)ph_db_get_int64(result, row, 0),
		                     ph_db_get_int64(result, row, 1)};
		g_array_append_val(months, month);
	}
	return months;
}
