/* The yearly interest close (see ph-interest-close.h). Core only. */
#include "ph-interest-close.h"

#include "ph-error.h"
#include <string.h>

#include "ph-account.h"
#include "ph-bulk.h"
#include "ph-bulk-stream.h"

/* Per open account, in person order: last year's closing balances; the year credits of its
 * latest contribution row of the year (December's, else the latest one by a probe), or the
 * months themselves as rows {period, account, annuity} when that row does not carry them;
 * and the year's other ledger entries (transfers in) the same way. Each input is read
 * through an index in person order (0009, 0017) and merged with the persons, nothing hashed
 * or sorted (docs/core-store.md, "interest close"). The inputs are subqueries with one row
 * per person: PostgreSQL 15 uses an index's order on the nullable side of an outer join
 * only from a subquery, and a merge join keeps no copy of an inner side known to be unique.
 * %1$d the previous year, %2$d and %3$d the first and last month of the year, %4$s and
 * %5$s the repeat's join and condition. */
#define PH_INTEREST_CLOSE_SELECT                                                                   \
	"SELECT p.person_id, o.account_balance, o.annuity_balance, y.account, y.annuity, "         \
	"CASE WHEN y.period IS NOT NULL AND (coalesce(array_length(y.account, 1), 0) <> 12 "       \
	"OR coalesce(array_length(y.annuity, 1), 0) <> 12) THEN (SELECT array_agg(ARRAY["          \
	"m.period, m.account_credit, m.annuity_credit]) FROM contribution m "                      \
	"WHERE m.person_id = p.person_id AND m.period BETWEEN %2$d AND %3$d) END, e.entries "      \
	"FROM person p "                                                                           \
	"LEFT JOIN (SELECT DISTINCT ON (person_id) person_id, account_balance, annuity_balance "   \
	"FROM account_entry WHERE kind = 'interest' AND reference = '%1$d' ORDER BY person_id) o " \
	"ON o.person_id = p.person_id "                                                            \
	"LEFT JOIN (SELECT DISTINCT ON (person_id) person_id, period, year_account, year_annuity " \
	"FROM contribution WHERE period = %3$d ORDER BY person_id) d "                             \
	"ON d.person_id = p.person_id "                                                            \
	"LEFT JOIN LATERAL (SELECT period, year_account, year_annuity FROM contribution x "        \
	"WHERE d.person_id IS NULL AND x.person_id = p.person_id "                                 \
	"AND x.period BETWEEN %2$d AND %3$d ORDER BY x.period DESC LIMIT 1) c ON true "            \
	"LEFT JOIN (SELECT person_id, array_agg(ARRAY[period, account_amount, annuity_amount]) "   \
	"AS entries FROM account_entry WHERE kind <> 'interest' AND period BETWEEN %2$d AND %3$d " \
	"GROUP BY person_id ORDER BY person_id) e ON e.person_id = p.person_id "                   \
	"CROSS JOIN LATERAL (SELECT coalesce(d.period, c.period) AS period, "                      \
	"coalesce(d.year_account, c.year_account) AS account, "                                    \
	"coalesce(d.year_annuity, c.year_annuity) AS annuity) y %4$s"                              \
	"WHERE p.account_closed_period IS NULL "                                                   \
	"AND (o.person_id IS NOT NULL OR y.period IS NOT NULL OR e.person_id IS NOT NULL)%5$s"

/* A repeat adds only the accounts that have no interest entry of the year yet. */
#define PH_INTEREST_CLOSE_MISSING_JOIN                                                             \
	"LEFT JOIN (SELECT DISTINCT ON (person_id) person_id FROM account_entry "                  \
	"WHERE kind = 'interest' AND reference = '%d' ORDER BY person_id) n "                      \
	"ON n.person_id = p.person_id "
#define PH_INTEREST_CLOSE_MISSING " AND n.person_id IS NULL"

#define PH_INTEREST_CLOSE_COPY                                                                     \
	"COPY account_entry (person_id, period, kind, reference, account_amount, "                 \
	"annuity_amount, account_balance, annuity_balance, provisional) FROM STDIN"

/* The columns of a row of PH_INTEREST_CLOSE_SELECT. */
enum {
	PH_INTEREST_CLOSE_PERSON,
	PH_INTEREST_CLOSE_ACCOUNT_BALANCE,
	PH_INTEREST_CLOSE_ANNUITY_BALANCE,
	PH_INTEREST_CLOSE_YEAR_ACCOUNT,
	PH_INTEREST_CLOSE_YEAR_ANNUITY,
	PH_INTEREST_CLOSE_MONTHS,
	PH_INTEREST_CLOSE_ENTRIES,
	PH_INTEREST_CLOSE_COLUMNS
};

typedef struct {
	const PhPolicy *policy;
	PhInterestCloseResult *result;
	GArray *values; /* gint64, one field's array at a time */
	PhMonthTable account;
	PhMonthTable annuity;
} PhInterestCloseState;

/* Adds the rows {period, account, annuity} of a bigint[][] field to the year's tables. */
static gboolean
ph_interest_close_add(PhInterestCloseState *state, const PhBulkStreamRow *row, guint field,
                      GError **error)
{
	gint year = state->result->year;

	g_array_set_size(state->values, 0);
	if (!ph_bulk_stream_int64_array(row, field, state->values) || state->values->len % 3 != 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "ledger rows of %d unreadable", year);
		return FALSE;
	}
	for (guint i = 0; i < state->values->len; i += 3) {
		gint64 period = g_array_index(state->values, gint64, i);
		gint month = (gint)(period % 100);
		if (period / 100 != year || month < 1 || month > 12) {
			g_set_error(error, PH_ERROR, PH_ERROR_FAILED,
			            "ledger row of period %" G_GINT64_FORMAT " outside %d", period,
			            year);
			return FALSE;
		}
		state->account.amount[0][month - 1] += g_array_index(state->values, gint64, i + 1);
		state->annuity.amount[0][month - 1] += g_array_index(state->values, gint64, i + 2);
	}
	return TRUE;
}

/* A year_account or year_annuity field: exactly the twelve months. */
static gboolean
ph_interest_close_year(PhInterestCloseState *state, const PhBulkStreamRow *row, guint field,
                       gint64 *months)
{
	g_array_set_size(state->values, 0);
	if (!ph_bulk_stream_int64_array(row, field, state->values) || state->values->len != 12)
		return FALSE;
	memcpy(months, state->values->data, 12 * sizeof(gint64));
	return TRUE;
}

/* The year's credits by month: the latest row's months (when it does not carry the year's
 * credits) or its year credits, then the other ledger entries. */
static gboolean
ph_interest_close_fill(PhInterestCloseState *state, const PhBulkStreamRow *row, GError **error)
{
	gint year = state->result->year;

	if (!ph_month_table_init(&state->account, year, year, error) ||
	    !ph_month_table_init(&state->annuity, year, year, error))
		return FALSE;
	if (!ph_bulk_stream_is_null(row, PH_INTEREST_CLOSE_MONTHS)) {
		if (!ph_interest_close_add(state, row, PH_INTEREST_CLOSE_MONTHS, error))
			return FALSE;
	} else if (!ph_bulk_stream_is_null(row, PH_INTEREST_CLOSE_YEAR_ACCOUNT) &&
	           !(ph_interest_close_year(state, row, PH_INTEREST_CLOSE_YEAR_ACCOUNT,
	                                    state->account.amount[0]) &&
	             ph_interest_close_year(state, row, PH_INTEREST_CLOSE_YEAR_ANNUITY,
	                                    state->annuity.amount[0]))) {
		g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "year credits unreadable");
		return FALSE;
	}
	return ph_bulk_stream_is_null(row, PH_INTEREST_CLOSE_ENTRIES) ||
	       ph_interest_close_add(state, row, PH_INTEREST_CLOSE_ENTRIES, error);
}

/* An opening balance: present when last year's interest entry is. */
static PhAccountOpening
ph_interest_close_opening(const PhBulkStreamRow *row, guint field, gint year)
{
	PhAccountOpening opening = {FALSE, year - 1, 0};

	opening.present = ph_bulk_stream_int64(row, field, &opening.balance);
	return opening;
}

/* The interest entry of one account as a COPY line. */
static void
ph_interest_close_append(GString *copy, gint64 person, gint year, const PhAccountRoll *account,
                         const PhAccountRoll *annuity)
{
	ph_bulk_append_int(copy, person, '\t');
	ph_bulk_append_int(copy, year * 100 + 12, '\t');
	g_string_append(copy, "interest\t");
	ph_bulk_append_int(copy, year, '\t');
	ph_bulk_append_int(copy, account->interest, '\t');
	ph_bulk_append_int(copy, annuity->interest, '\t');
	ph_bulk_append_int(copy, account->balance, '\t');
	ph_bulk_append_int(copy, annuity->balance, '\t');
	g_string_append(copy, account->provisional || annuity->provisional ? "t\n" : "f\n");
}

/* One account: its year rolled by the rules (RULES §2). */
static gboolean
ph_interest_close_row(const PhBulkStreamRow *row, GString *copy, gpointer user_data, GError **error)
{
	PhInterestCloseState *state = user_data;
	PhInterestCloseResult *result = state->result;
	PhAccountOpening account_opening =
	        ph_interest_close_opening(row, PH_INTEREST_CLOSE_ACCOUNT_BALANCE, result->year);
	PhAccountOpening annuity_opening =
	        ph_interest_close_opening(row, PH_INTEREST_CLOSE_ANNUITY_BALANCE, result->year);
	PhPeriod close = ph_period_make(result->year + 1, 1);
	PhAccountRoll account = {0};
	PhAccountRoll annuity = {0};
	gint64 person = 0;

	if (row->n_fields != PH_INTEREST_CLOSE_COLUMNS ||
	    !ph_bulk_stream_int64(row, PH_INTEREST_CLOSE_PERSON, &person)) {
		g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "interest close row unreadable");
		return FALSE;
	}
	annuity_opening.present = account_opening.present;
	if (!ph_interest_close_fill(state, row, error) ||
	    !ph_account_roll(state->policy, PH_ACCOUNT_INDIVIDUAL, &state->account,
	                     &account_opening, close, &account, error) ||
	    !ph_account_roll(state->policy, PH_ACCOUNT_ANNUITY, &state->annuity, &annuity_opening,
	                     close, &annuity, error)) {
		g_prefix_error(error, "person %" G_GINT64_FORMAT ": ", person);
		return FALSE;
	}
	ph_interest_close_append(copy, person, result->year, &account, &annuity);
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
	g_autoptr(GArray) values = g_array_sized_new(FALSE, FALSE, sizeof(gint64), 36);
	gboolean closed_before = FALSE;

	g_return_val_if_fail(db != NULL && context != NULL && out != NULL, FALSE);
	memset(out, 0, sizeof(*out));
	out->year = year;
	state->policy = context->policy;
	state->result = out;
	state->values = values;
	if (year < PH_POLICY_FIRST_YEAR || year > PH_POLICY_LAST_YEAR)
		return ph_command_invalid(error, "year", "%d is out of range", year);
	if (!ph_interest_close_check(db, context->policy, year, &closed_before, error))
		return FALSE;
	g_autofree gchar *missing_join =
	        closed_before ? g_strdup_printf(PH_INTEREST_CLOSE_MISSING_JOIN, year)
	                      : g_strdup("");
	g_autofree gchar *select =
	        g_strdup_printf(PH_INTEREST_CLOSE_SELECT, year - 1, year * 100 + 1, year * 100 + 12,
	                        missing_join, closed_before ? PH_INTEREST_CLOSE_MISSING : "");
	if (!ph_bulk_stream_run(db, PH_BULK_STREAM_MERGE_PLAN, select, PH_INTEREST_CLOSE_COPY,
	                        ph_interest_close_row, state, &out->accounts, error))
		return FALSE;
	out->duplicate = closed_before && out->accounts == 0;
	if (out->duplicate)
		return TRUE;
	return ph_interest_close_finish(db, context, out, error);
}
