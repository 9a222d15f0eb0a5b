/* The yearly interest close (see ph-interest-close.h). Core only. */
#include "ph-interest-close.h"

#include "ph-error.h"
#include <string.h>

#include "ph-account.h"
#include "ph-bulk.h"

/* Per open account: the previous year's closing balances ($3), the year credits of its
 * latest contribution row of the year — December's, found by month, else a probe — and
 * the year's other ledger entries (transfers in) as "period:account:annuity,…" ($1 … $2
 * the year's months; docs/core-store.md). */
#define PH_INTEREST_CLOSE_SELECT                                                                   \
	"SELECT p.person_id, o.account_balance, o.annuity_balance, coalesce(d.period, c.period), " \
	"coalesce(d.year_account, c.year_account), coalesce(d.year_annuity, c.year_annuity), "     \
	"e.entries FROM person p "                                                                 \
	"LEFT JOIN account_entry o ON o.person_id = p.person_id AND o.kind = 'interest' "          \
	"AND o.reference = $3 "                                                                    \
	"LEFT JOIN contribution d ON d.person_id = p.person_id AND d.period = $2::integer "        \
	"LEFT JOIN LATERAL (SELECT period, year_account, year_annuity FROM contribution x "        \
	"WHERE d.person_id IS NULL AND x.person_id = p.person_id "                                 \
	"AND x.period BETWEEN $1::integer AND $2::integer ORDER BY x.period DESC LIMIT 1) c "      \
	"ON true LEFT JOIN (SELECT person_id, string_agg(period || ':' || account_amount || ':' "  \
	"|| annuity_amount, ',') AS entries FROM account_entry WHERE kind <> 'interest' "          \
	"AND period BETWEEN $1::integer AND $2::integer GROUP BY person_id) e "                    \
	"ON e.person_id = p.person_id WHERE p.account_closed_period IS NULL "                      \
	"AND (o.person_id IS NOT NULL OR d.person_id IS NOT NULL OR c.period IS NOT NULL "         \
	"OR e.person_id IS NOT NULL)"
#define PH_INTEREST_CLOSE_MISSING                                                                  \
	" AND NOT EXISTS (SELECT 1 FROM account_entry n WHERE n.person_id = p.person_id "          \
	"AND n.kind = 'interest' AND n.reference = $4)"

/* A person whose year credits are unknown: the months themselves. */
#define PH_INTEREST_CLOSE_MONTHS                                                                   \
	"SELECT string_agg(period || ':' || account_credit || ':' || annuity_credit, ',') "        \
	"FROM contribution WHERE person_id = $1::bigint "                                          \
	"AND period BETWEEN $2::integer AND $3::integer"

#define PH_INTEREST_CLOSE_COPY                                                                     \
	"COPY account_entry (person_id, period, kind, reference, account_amount, "                 \
	"annuity_amount, account_balance, annuity_balance, provisional) FROM STDIN"

typedef struct {
	PhDb *db;
	const PhPolicy *policy;
	PhInterestCloseResult *result;
	PhMonthTable account;
	PhMonthTable annuity;
} PhInterestCloseState;

/* Adds "period:account:annuity,…" to the two tables of the year. */
static gboolean
ph_interest_close_parse(PhInterestCloseState *state, const gchar *rows, GError **error)
{
	gint year = state->result->year;
	const gchar *cursor = rows;

	while (*cursor != '\0') {
		gchar *end = NULL;
		gint64 period = g_ascii_strtoll(cursor, &end, 10);
		gint64 account = g_ascii_strtoll(end + 1, &end, 10);
		gint64 annuity = g_ascii_strtoll(end + 1, &end, 10);
		gint month = (gint)(period % 100);
		if (period / 100 != year || month < 1 || month > 12) {
			g_set_error(error, PH_ERROR, PH_ERROR_FAILED,
			            "ledger row of period %" G_GINT64_FORMAT " outside %d", period,
			            year);
			return FALSE;
		}
		state->account.amount[0][month - 1] += account;
		state->annuity.amount[0][month - 1] += annuity;
		cursor = *end == ',' ? end + 1 : end;
	}
	return TRUE;
}

/* A person whose latest row has no year credits: reads the months themselves. */
static gboolean
ph_interest_close_months(PhInterestCloseState *state, const gchar *person_id, GError **error)
{
	gchar first[24], last[24];
	gint year = state->result->year;
	const gchar *params[] = {person_id, PH_COMMAND_INT_TEXT(first, year * 100 + 1),
	                         PH_COMMAND_INT_TEXT(last, year * 100 + 12)};
	g_autoptr(PGresult) months =
	        ph_db_query(state->db, PH_INTEREST_CLOSE_MONTHS, 3, params, error);

	return months != NULL && ph_interest_close_parse(state, PQgetvalue(months, 0, 0), error);
}

/* The year's credits by month: the latest row's year credits (or its months), then the
 * other ledger entries. */
static gboolean
ph_interest_close_fill(PhInterestCloseState *state, PGresult *rows, gint row, GError **error)
{
	gint year = state->result->year;

	if (!ph_month_table_init(&state->account, year, year, error) ||
	    !ph_month_table_init(&state->annuity, year, year, error))
		return FALSE;
	if (!PQgetisnull(rows, row, 3)) {
		gboolean known = !PQgetisnull(rows, row, 4) &&
		                 ph_bulk_parse_int_array(PQgetvalue(rows, row, 4),
		                                         state->account.amount[0], 12) &&
		                 ph_bulk_parse_int_array(PQgetvalue(rows, row, 5),
		                                         state->annuity.amount[0], 12);
		if (!known) {
			memset(state->account.amount[0], 0, sizeof(state->account.amount[0]));
			memset(state->annuity.amount[0], 0, sizeof(state->annuity.amount[0]));
			if (!ph_interest_close_months(state, PQgetvalue(rows, row, 0), error))
				return FALSE;
		}
	}
	return ph_interest_close_parse(state, PQgetvalue(rows, row, 6), error);
}

static gboolean
ph_interest_close_row(PGresult *rows, gint row, GString *copy, gpointer user_data, GError **error)
{
	PhInterestCloseState *state = user_data;
	PhInterestCloseResult *result = state->result;
	PhAccountOpening account_opening = {!PQgetisnull(rows, row, 1), result->year - 1,
	                                    ph_db_get_int64(rows, row, 1)};
	PhAccountOpening annuity_opening = {account_opening.present, result->year - 1,
	                                    ph_db_get_int64(rows, row, 2)};
	PhPeriod close = ph_period_make(result->year + 1, 1);
	PhAccountRoll account = {0};
	PhAccountRoll annuity = {0};

	if (!ph_interest_close_fill(state, rows, row, error) ||
	    !ph_account_roll(state->policy, PH_ACCOUNT_INDIVIDUAL, &state->account,
	                     &account_opening, close, &account, error) ||
	    !ph_account_roll(state->policy, PH_ACCOUNT_ANNUITY, &state->annuity, &annuity_opening,
	                     close, &annuity, error)) {
		g_prefix_error(error, "person %s: ", PQgetvalue(rows, row, 0));
		return FALSE;
	}
	g_string_append(copy, PQgetvalue(rows, row, 0));
	g_string_append_c(copy, '\t');
	ph_bulk_append_int(copy, result->year * 100 + 12, '\t');
	g_string_append(copy, "interest\t");
	ph_bulk_append_int(copy, result->year, '\t');
	ph_bulk_append_int(copy, account.interest, '\t');
	ph_bulk_append_int(copy, annuity.interest, '\t');
	ph_bulk_append_int(copy, account.balance, '\t');
	ph_bulk_append_int(copy, annuity.balance, '\t');
	g_string_append(copy, account.provisional || annuity.provisional ? "t\n" : "f\n");
	result->interest += account.interest;
	result->annuity_interest += annuity.interest;
	result->provisional |= account.provisional || annuity.provisional;
	return TRUE;
}

/* The year must be over and follow a closed year, unless the ledger starts in it. */
static gboolean
ph_interest_close_check(PhDb *db, const PhPolicy *policy, gint year, gboolean *closed_before,
                        GError **error)
{
	gchar text[24], first[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(text, year),
	                         PH_COMMAND_INT_TEXT(first, year * 100 + 1)};
	g_autoptr(PGresult) result =
	        ph_db_query(db,
	                    "SELECT pg_advisory_xact_lock(1768846195, $1::integer), "
	                    "extract(year FROM now())::integer, "
	                    "EXISTS (SELECT 1 FROM interest_close WHERE year = $1::integer), "
	                    "EXISTS (SELECT 1 FROM interest_close WHERE year = $1::integer - 1), "
	                    "EXISTS (SELECT 1 FROM contribution WHERE period < $2::integer) OR "
	                    "EXISTS (SELECT 1 FROM account_entry WHERE period < $2::integer)",
	                    2, params, error);

	if (result == NULL)
		return FALSE;
	if (year < ph_period_year(policy->reform_start))
		return ph_command_invalid(error, "year", "%d is before the scheme began", year);
	if (year >= (gint)ph_db_get_int64(result, 0, 1))
		return ph_command_invalid(error, "year", "%d is not over yet", year);
	*closed_before = g_str_equal(PQgetvalue(result, 0, 2), "t");
	if (!*closed_before && !g_str_equal(PQgetvalue(result, 0, 3), "t") &&
	    g_str_equal(PQgetvalue(result, 0, 4), "t"))
		return ph_command_invalid(error, "year", "close %d first", year - 1);
	return TRUE;
}

JsonNode *
ph_interest_close_result_json(const PhInterestCloseResult *result)
{
	JsonObject *object = json_object_new();
	JsonNode *node = json_node_new(JSON_NODE_OBJECT);

	json_object_set_int_member(object, "year", result->year);
	json_object_set_int_member(object, "accounts", result->accounts);
	json_object_set_int_member(object, "interest", result->interest);
	json_object_set_int_member(object, "annuity_interest", result->annuity_interest);
	json_object_set_boolean_member(object, "interest_provisional", result->provisional);
	json_object_set_boolean_member(object, "duplicate", result->duplicate);
	json_node_take_object(node, object);
	return node;
}

static gboolean
ph_interest_close_finish(PhDb *db, const PhCommandContext *context,
                         const PhInterestCloseResult *out, GError **error)
{
	gchar year[24], accounts[24], interest[24], annuity[24];
	const gchar *params[] = {
	        PH_COMMAND_INT_TEXT(year, out->year), PH_COMMAND_INT_TEXT(accounts, out->accounts),
	        PH_COMMAND_INT_TEXT(interest, out->interest),
	        PH_COMMAND_INT_TEXT(annuity, out->annuity_interest), out->provisional ? "t" : "f"};
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "INSERT INTO interest_close (year, accounts, interest, annuity_interest, "
	        "provisional) "
	        "VALUES ($1::integer, $2::bigint, $3::bigint, $4::bigint, $5::boolean) "
	        "ON CONFLICT (year) DO UPDATE SET accounts = interest_close.accounts + "
	        "EXCLUDED.accounts, interest = interest_close.interest + EXCLUDED.interest, "
	        "annuity_interest = interest_close.annuity_interest + EXCLUDED.annuity_interest, "
	        "provisional = interest_close.provisional OR EXCLUDED.provisional, "
	        "finished_at = now()",
	        G_N_ELEMENTS(params), params, error);
	if (result == NULL)
		return FALSE;

	g_autoptr(JsonNode) payload = ph_interest_close_result_json(out);
	g_autofree gchar *object = g_strdup_printf("interest-close:%d", out->year);
	return ph_command_record(db, context, "interest-close", object, NULL, 0, object, payload,
	                         error);
}

gboolean
ph_interest_close(PhDb *db, const PhCommandContext *context, gint year, PhInterestCloseResult *out,
                  GError **error)
{
	g_autofree PhInterestCloseState *state = g_new0(PhInterestCloseState, 1);
	gboolean closed_before = FALSE;
	gchar first[24], last[24], previous[24], current[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(first, year * 100 + 1),
	                         PH_COMMAND_INT_TEXT(last, year * 100 + 12),
	                         PH_COMMAND_INT_TEXT(previous, year - 1),
	                         PH_COMMAND_INT_TEXT(current, year)};

	g_return_val_if_fail(db != NULL && context != NULL && out != NULL, FALSE);
	memset(out, 0, sizeof(*out));
	out->year = year;
	state->db = db;
	state->policy = context->policy;
	state->result = out;
	if (year < PH_POLICY_FIRST_YEAR || year > PH_POLICY_LAST_YEAR)
		return ph_command_invalid(error, "year", "%d is out of range", year);
	if (!ph_interest_close_check(db, context->policy, year, &closed_before, error))
		return FALSE;
	const gchar *select = closed_before ? PH_INTEREST_CLOSE_SELECT PH_INTEREST_CLOSE_MISSING
	                                    : PH_INTEREST_CLOSE_SELECT;
	if (closed_before && !ph_bulk_analyze(db, "account_entry", error))
		return FALSE;
	if (!ph_bulk_run(db, select, closed_before ? 4 : 3, params, PH_INTEREST_CLOSE_COPY,
	                 ph_interest_close_row, state, &out->accounts, error))
		return FALSE;
	out->duplicate = closed_before && out->accounts == 0;
	if (out->duplicate)
		return TRUE;
	return ph_interest_close_finish(db, context, out, error);
}
