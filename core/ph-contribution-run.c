/* The monthly contribution run (see ph-contribution-run.h). Core only. */
#include "ph-contribution-run.h"

#include <string.h>

#include "ph-bulk.h"
#include "ph-bulk-stream.h"
#include "ph-error.h"
#include "ph-contribution.h"

/* Members enrolled in the month (%1$d) with the wage declared for it (the latest effective
 * month up to it, by a probe of the member's own wages: grouping all of them in person order
 * instead reads the whole wage history each month, measured 6.2 s against 3.9 s of the
 * reader's CPU with ten wages per member) and the year credits of their latest earlier row
 * of the year (%2$s), whose year credits the new row extends; %3$s and %4$s the repeat's
 * join and condition. Read on a second connection while the caller's transaction writes
 * (ph-bulk-stream.h); the other inputs are read through an index in person order and
 * merged, nothing hashed or sorted (PH_BULK_STREAM_MERGE_PLAN; measured: a hashing plan
 * spilled to disk for over five minutes; docs/core-store.md, "contribution run"). */
#define PH_CONTRIBUTION_RUN_SELECT                                                                 \
	"SELECT e.person_id, e.unit_code, w.wage, y.period, y.account, y.annuity "                 \
	"FROM enrolment e JOIN LATERAL (SELECT wage FROM declared_wage dw "                        \
	"WHERE dw.person_id = e.person_id AND dw.effective_period <= %1$d "                        \
	"ORDER BY dw.effective_period DESC LIMIT 1) w ON true %2$s%3$s"                            \
	"WHERE e.start_period <= %1$d AND e.status <> '2' "                                        \
	"AND (e.end_period IS NULL OR e.end_period >= %1$d)%4$s"

/* The previous row: last month's (%1$d) through the index on (period, person_id) in person
 * order, else the latest since January (%2$d) by a probe of the member's own rows; a
 * subquery with one row per person, as PostgreSQL 15 merges on an index's order on the
 * nullable side of an outer join only from one. %3$d is this month. */
#define PH_CONTRIBUTION_RUN_PREVIOUS                                                               \
	"LEFT JOIN (SELECT DISTINCT ON (person_id) person_id, period, year_account, year_annuity " \
	"FROM contribution WHERE period = %1$d ORDER BY person_id) d "                             \
	"ON d.person_id = e.person_id "                                                            \
	"LEFT JOIN LATERAL (SELECT x.period, x.year_account, x.year_annuity FROM contribution x "  \
	"WHERE d.person_id IS NULL AND x.person_id = e.person_id AND x.period >= %2$d "            \
	"AND x.period < %3$d ORDER BY x.period DESC LIMIT 1) c ON true "                           \
	"CROSS JOIN LATERAL (SELECT coalesce(d.period, c.period)::bigint AS period, "              \
	"coalesce(d.year_account, c.year_account) AS account, "                                    \
	"coalesce(d.year_annuity, c.year_annuity) AS annuity) y "
/* January has no earlier row of the year. */
#define PH_CONTRIBUTION_RUN_JANUARY                                                                \
	"CROSS JOIN (SELECT NULL::bigint AS period, NULL::bigint[] AS account, "                   \
	"NULL::bigint[] AS annuity) y "

/* A repeat charges only the members without a row of the month; a first run skips that
 * join (docs/core-store.md). */
#define PH_CONTRIBUTION_RUN_MISSING_JOIN                                                           \
	"LEFT JOIN (SELECT DISTINCT ON (person_id) person_id FROM contribution "                   \
	"WHERE period = %d ORDER BY person_id) n ON n.person_id = e.person_id "
#define PH_CONTRIBUTION_RUN_MISSING " AND n.person_id IS NULL"

/* The columns of a row of PH_CONTRIBUTION_RUN_SELECT. */
enum {
	PH_CONTRIBUTION_RUN_PERSON,
	PH_CONTRIBUTION_RUN_UNIT,
	PH_CONTRIBUTION_RUN_WAGE,
	PH_CONTRIBUTION_RUN_PREVIOUS_PERIOD,
	PH_CONTRIBUTION_RUN_YEAR_ACCOUNT,
	PH_CONTRIBUTION_RUN_YEAR_ANNUITY,
	PH_CONTRIBUTION_RUN_COLUMNS
};

#define PH_CONTRIBUTION_RUN_COPY                                                                   \
	"COPY contribution (person_id, period, source, unit_code, wage, base, employer, "          \
	"individual, annuity_employer, annuity_individual, account_credit, annuity_credit, "       \
	"year_account, year_annuity) FROM STDIN"

/* Later rows of the year that do not hold this month's credits (written before it) lose
 * their year credits: NULL sends the interest close to the months themselves. */
#define PH_CONTRIBUTION_RUN_STALE                                                                  \
	"UPDATE contribution c SET year_account = NULL, year_annuity = NULL "                      \
	"FROM contribution n WHERE n.period = $1::integer AND c.person_id = n.person_id "          \
	"AND c.period > $1::integer AND c.period <= $2::integer AND c.year_account IS NOT NULL "   \
	"AND (c.year_account[$3::integer] IS DISTINCT FROM n.account_credit "                      \
	"OR c.year_annuity[$3::integer] IS DISTINCT FROM n.annuity_credit)"

typedef struct {
	const PhPolicy *policy;
	PhContributionRunResult *result;
} PhContributionRunState;

/* The row's year credits: the previous row's with this month's added; none before it in
 * the year gives zeros; a previous row whose year credits are unknown gives unknown. */
static void
ph_contribution_run_year(const PhBulkStreamRow *row, gint month, gint64 account_credit,
                         gint64 annuity_credit, GString *copy)
{
	gint64 account[12] = {0};
	gint64 annuity[12] = {0};

	if (!ph_bulk_stream_is_null(row, PH_CONTRIBUTION_RUN_PREVIOUS_PERIOD) &&
	    (!ph_bulk_stream_int64_n(row, PH_CONTRIBUTION_RUN_YEAR_ACCOUNT, account, 12) ||
	     !ph_bulk_stream_int64_n(row, PH_CONTRIBUTION_RUN_YEAR_ANNUITY, annuity, 12))) {
		g_string_append(copy, "\\N\t\\N\n");
		return;
	}
	account[month - 1] = account_credit;
	annuity[month - 1] = annuity_credit;
	ph_bulk_append_int_array(copy, account, 12, '\t');
	ph_bulk_append_int_array(copy, annuity, 12, '\n');
}

static gboolean
ph_contribution_run_row(const PhBulkStreamRow *row, GString *copy, gpointer user_data,
                        GError **error)
{
	PhContributionRunState *state = user_data;
	PhContribution contribution;
	gint64 person = 0, wage = 0, annuity_credit = 0;

	if (row->n_fields != PH_CONTRIBUTION_RUN_COLUMNS ||
	    !ph_bulk_stream_int64(row, PH_CONTRIBUTION_RUN_PERSON, &person) ||
	    !ph_bulk_stream_int64(row, PH_CONTRIBUTION_RUN_WAGE, &wage) ||
	    ph_bulk_stream_is_null(row, PH_CONTRIBUTION_RUN_UNIT)) {
		g_set_error(error, PH_ERROR, PH_ERROR_DATABASE, "member row unreadable");
		return FALSE;
	}
	if (!ph_contribution_compute(state->policy, state->result->period, wage, &contribution,
	                             error) ||
	    !ph_contribution_credit(state->policy, PH_ACCOUNT_ANNUITY, contribution.base,
	                            &annuity_credit, error)) {
		g_prefix_error(error, "person %" G_GINT64_FORMAT ": ", person);
		return FALSE;
	}
	ph_bulk_append_int(copy, person, '\t');
	ph_bulk_append_int(copy, state->result->period, '\t');
	g_string_append(copy, "R\t");
	ph_bulk_append_text_len(copy, (const gchar *)row->data[PH_CONTRIBUTION_RUN_UNIT],
	                        (gsize)row->length[PH_CONTRIBUTION_RUN_UNIT], '\t');
	ph_bulk_append_int(copy, wage, '\t');
	ph_bulk_append_int(copy, contribution.base, '\t');
	ph_bulk_append_int(copy, contribution.employer, '\t');
	ph_bulk_append_int(copy, contribution.individual, '\t');
	ph_bulk_append_int(copy, contribution.annuity_employer, '\t');
	ph_bulk_append_int(copy, contribution.annuity_individual, '\t');
	ph_bulk_append_int(copy, contribution.account_credit, '\t');
	ph_bulk_append_int(copy, annuity_credit, '\t');
	ph_contribution_run_year(row, ph_period_month(state->result->period),
	                         contribution.account_credit, annuity_credit, copy);
	state->result->employer += contribution.employer;
	state->result->individual += contribution.individual;
	state->result->annuity += contribution.annuity_employer + contribution.annuity_individual;
	return TRUE;
}

/* Refuses a period the rules cannot charge before reading any member. */
static gboolean
ph_contribution_run_check(const PhPolicy *policy, PhPeriod period, GError **error)
{
	gint64 lower = 0, upper = 0;
	PhDecimal rate;

	if (!ph_command_check_period(policy, "period", period, error))
		return FALSE;
	if (!ph_contribution_limits(policy, period, &lower, &upper, error) ||
	    !ph_policy_employer_rate(policy, period, &rate, error)) {
		g_prefix_error(error, "period: ");
		return FALSE;
	}
	return TRUE;
}

/* Serialises runs of one period and says whether it ran before. */
static gboolean
ph_contribution_run_begin(PhDb *db, const gchar *period, gboolean *ran_before, GError **error)
{
	const gchar *params[] = {period};
	g_autoptr(PGresult) lock = ph_db_query(
	        db, "SELECT pg_advisory_xact_lock(1668248178, $1::integer)", 1, params, error);
	if (lock == NULL)
		return FALSE;
	g_autoptr(PGresult) result = ph_db_query(
	        db, "SELECT 1 FROM contribution_run WHERE period = $1::integer", 1, params, error);
	if (result == NULL)
		return FALSE;
	*ran_before = PQntuples(result) > 0;
	return TRUE;
}

JsonNode *
ph_contribution_run_result_json(const PhContributionRunResult *result)
{
	g_autofree gchar *period = ph_period_to_string(result->period);
	JsonObject *object = json_object_new();
	JsonNode *node = json_node_new(JSON_NODE_OBJECT);

	json_object_set_string_member(object, "period", period);
	json_object_set_int_member(object, "members", result->members);
	json_object_set_int_member(object, "employer", result->employer);
	json_object_set_int_member(object, "individual", result->individual);
	json_object_set_int_member(object, "annuity", result->annuity);
	json_object_set_boolean_member(object, "duplicate", result->duplicate);
	json_node_take_object(node, object);
	return node;
}

static gboolean
ph_contribution_run_finish(PhDb *db, const PhCommandContext *context,
                           const PhContributionRunResult *out, GError **error)
{
	gchar period[24], members[24], employer[24], individual[24], annuity[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(period, out->period),
	                         PH_COMMAND_INT_TEXT(members, out->members),
	                         PH_COMMAND_INT_TEXT(employer, out->employer),
	                         PH_COMMAND_INT_TEXT(individual, out->individual),
	                         PH_COMMAND_INT_TEXT(annuity, out->annuity)};
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "INSERT INTO contribution_run (period, members, employer, individual, annuity) "
	        "VALUES ($1::integer, $2::bigint, $3::bigint, $4::bigint, $5::bigint) "
	        "ON CONFLICT (period) DO UPDATE SET members = contribution_run.members + "
	        "EXCLUDED.members, employer = contribution_run.employer + EXCLUDED.employer, "
	        "individual = contribution_run.individual + EXCLUDED.individual, "
	        "annuity = contribution_run.annuity + EXCLUDED.annuity, "
	        "runs = contribution_run.runs + 1, finished_at = now()",
	        G_N_ELEMENTS(params), params, error);
	if (result == NULL)
		return FALSE;

	g_autoptr(JsonNode) payload = ph_contribution_run_result_json(out);
	g_autofree gchar *month = ph_period_to_string(out->period);
	g_autofree gchar *object = g_strdup_printf("contribution-run:%s", month);
	return ph_command_record(db, context, "contribution-run", object, NULL, 0, object, payload,
	                         error);
}

static gboolean
ph_contribution_run_mark_stale(PhDb *db, PhPeriod period, GError **error)
{
	gchar month[24], december[24], index[24];
	const gchar *params[] = {
	        PH_COMMAND_INT_TEXT(month, period),
	        PH_COMMAND_INT_TEXT(december, ph_period_make(ph_period_year(period), 12)),
	        PH_COMMAND_INT_TEXT(index, ph_period_month(period))};
	g_autoptr(PGresult) later = ph_db_query(db,
	                                        "SELECT 1 FROM contribution_run WHERE period > "
	                                        "$1::integer AND period <= $2::integer",
	                                        2, params, error);

	if (later == NULL)
		return FALSE;
	if (PQntuples(later) == 0)
		return TRUE;
	g_autoptr(PGresult) updated = ph_db_query(db, PH_CONTRIBUTION_RUN_STALE, 3, params, error);
	return updated != NULL;
}

/* The members' query for @period; @ran_before adds the repeat's condition. */
static gchar *
ph_contribution_run_select(PhPeriod period, gboolean ran_before)
{
	gint month = ph_period_month(period);
	g_autofree gchar *previous =
	        month == 1
	                ? g_strdup(PH_CONTRIBUTION_RUN_JANUARY)
	                : g_strdup_printf(PH_CONTRIBUTION_RUN_PREVIOUS,
	                                  (gint)ph_period_make(ph_period_year(period), month - 1),
	                                  (gint)ph_period_make(ph_period_year(period), 1),
	                                  (gint)period);
	g_autofree gchar *missing =
	        ran_before ? g_strdup_printf(PH_CONTRIBUTION_RUN_MISSING_JOIN, (gint)period)
	                   : g_strdup("");

	return g_strdup_printf(PH_CONTRIBUTION_RUN_SELECT, (gint)period, previous, missing,
	                       ran_before ? PH_CONTRIBUTION_RUN_MISSING : "");
}

gboolean
ph_contribution_run(PhDb *db, const PhCommandContext *context, PhPeriod period,
                    PhContributionRunResult *out, GError **error)
{
	PhContributionRunState state = {context->policy, out};
	gboolean ran_before = FALSE;
	gchar month[24];

	g_return_val_if_fail(db != NULL && context != NULL && out != NULL, FALSE);
	memset(out, 0, sizeof(*out));
	out->period = period;
	if (!ph_contribution_run_check(context->policy, period, error) ||
	    !ph_contribution_run_begin(db, PH_COMMAND_INT_TEXT(month, period), &ran_before, error))
		return FALSE;
	if (ran_before && !ph_bulk_analyze(db, "contribution", error))
		return FALSE;
	g_autofree gchar *select = ph_contribution_run_select(period, ran_before);
	if (!ph_bulk_stream_run(db, PH_BULK_STREAM_MERGE_PLAN, select, PH_CONTRIBUTION_RUN_COPY,
	                        ph_contribution_run_row, &state, &out->members, error) ||
	    (out->members > 0 && !ph_contribution_run_mark_stale(db, period, error)))
		return FALSE;
	out->duplicate = ran_before && out->members == 0;
	if (out->duplicate)
		return TRUE;
	return ph_contribution_run_finish(db, context, out, error);
}
