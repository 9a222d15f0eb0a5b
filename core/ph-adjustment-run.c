/* The annual adjustment run (see ph-adjustment-run.h). Core only. */
#include "ph-adjustment-run.h"

#include <string.h>

#include "ph-adjustment.h"
#include "ph-bulk.h"

/* Pensions in payment at $1 that started before $2 (alive at $1). */
#define PH_ADJUSTMENT_RUN_SELECT                                                                   \
	"SELECT b.person_id, p.birth_date, b.start_period, b.total_months, b.basic "               \
	"FROM benefit b JOIN person p ON p.person_id = b.person_id "                               \
	"LEFT JOIN death_settlement d ON d.person_id = b.person_id "                               \
	"WHERE b.eligible AND b.start_period < $2::integer "                                       \
	"AND (d.death_period IS NULL OR d.death_period >= $1::integer)"
#define PH_ADJUSTMENT_RUN_MISSING                                                                  \
	" AND NOT EXISTS (SELECT 1 FROM benefit_adjustment a WHERE a.person_id = b.person_id "     \
	"AND a.effective_period = $1::integer)"
#define PH_ADJUSTMENT_RUN_COPY                                                                     \
	"COPY benefit_adjustment (person_id, effective_period, increase) FROM STDIN"

typedef struct {
	const PhAdjustmentRule *rule;
	PhAdjustmentRunResult *result;
} PhAdjustmentRunState;

static gboolean
ph_adjustment_run_row(PGresult *rows, gint row, GString *copy, gpointer user_data, GError **error)
{
	PhAdjustmentRunState *state = user_data;
	const gchar *birth = PQgetvalue(rows, row, 1);
	gint64 increase = 0;
	PhAdjustmentInput input = {
	        .birth = (PhPeriod)(g_ascii_strtoll(birth, NULL, 10) / 100),
	        .start = (PhPeriod)ph_db_get_int64(rows, row, 2),
	        .contribution_months = (gint)ph_db_get_int64(rows, row, 3),
	        .basic = ph_db_get_int64(rows, row, 4),
	};

	if (!ph_adjustment_compute(state->rule, &input, &increase, error)) {
		g_prefix_error(error, "person %s: ", PQgetvalue(rows, row, 0));
		return FALSE;
	}
	g_string_append(copy, PQgetvalue(rows, row, 0));
	g_string_append_c(copy, '\t');
	ph_bulk_append_int(copy, state->result->effective, '\t');
	ph_bulk_append_int(copy, increase, '\n');
	state->result->increase += increase;
	return TRUE;
}

static const PhAdjustmentRule *
ph_adjustment_run_rule(const PhPolicy *policy, PhPeriod effective, GError **error)
{
	for (guint i = 0; i < policy->n_adjustments; i++) {
		if (policy->adjustment[i].effective == effective)
			return &policy->adjustment[i];
	}
	g_autofree gchar *month = ph_period_to_string(effective);
	ph_command_invalid(error, "policy", "no adjustment effective %s in the policy", month);
	return NULL;
}

static gboolean
ph_adjustment_run_begin(PhDb *db, const gchar *effective, gboolean *ran_before, GError **error)
{
	const gchar *params[] = {effective};
	g_autoptr(PGresult) rows = ph_db_query(
	        db,
	        "SELECT pg_advisory_xact_lock(1634954356, $1::integer), EXISTS (SELECT 1 FROM "
	        "adjustment_run WHERE effective_period = $1::integer)",
	        1, params, error);

	if (rows == NULL)
		return FALSE;
	*ran_before = g_str_equal(PQgetvalue(rows, 0, 1), "t");
	return TRUE;
}

JsonNode *
ph_adjustment_run_result_json(const PhAdjustmentRunResult *result)
{
	g_autofree gchar *effective = ph_period_to_string(result->effective);
	JsonObject *object = json_object_new();
	JsonNode *node = json_node_new(JSON_NODE_OBJECT);

	json_object_set_string_member(object, "policy", effective);
	json_object_set_int_member(object, "persons", result->persons);
	json_object_set_int_member(object, "increase", result->increase);
	json_object_set_boolean_member(object, "duplicate", result->duplicate);
	json_node_take_object(node, object);
	return node;
}

static gboolean
ph_adjustment_run_finish(PhDb *db, const PhCommandContext *context,
                         const PhAdjustmentRunResult *out, GError **error)
{
	gchar effective[24], persons[24], increase[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(effective, out->effective),
	                         PH_COMMAND_INT_TEXT(persons, out->persons),
	                         PH_COMMAND_INT_TEXT(increase, out->increase)};
	g_autoptr(PGresult) rows = ph_db_query(
	        db,
	        "INSERT INTO adjustment_run (effective_period, persons, increase) "
	        "VALUES ($1::integer, $2::bigint, $3::bigint) ON CONFLICT (effective_period) DO "
	        "UPDATE SET persons = adjustment_run.persons + EXCLUDED.persons, "
	        "increase = adjustment_run.increase + EXCLUDED.increase, "
	        "runs = adjustment_run.runs + 1, finished_at = now()",
	        3, params, error);
	if (rows == NULL)
		return FALSE;

	g_autofree gchar *month = ph_period_to_string(out->effective);
	g_autoptr(JsonNode) payload = ph_adjustment_run_result_json(out);
	g_autofree gchar *name = g_strdup_printf("adjustment-run:%s", month);
	return ph_command_record(db, context, "adjustment-run", name, NULL, 0, name, payload,
	                         error);
}

gboolean
ph_adjustment_run(PhDb *db, const PhCommandContext *context, PhPeriod effective,
                  PhAdjustmentRunResult *out, GError **error)
{
	PhAdjustmentRunState state = {NULL, out};
	gboolean ran_before = FALSE;
	gchar month[24], before[24];

	g_return_val_if_fail(db != NULL && context != NULL && out != NULL, FALSE);
	memset(out, 0, sizeof(*out));
	out->effective = effective;
	if (!ph_command_check_period(context->policy, "policy", effective, error) ||
	    (state.rule = ph_adjustment_run_rule(context->policy, effective, error)) == NULL ||
	    !ph_adjustment_run_begin(db, PH_COMMAND_INT_TEXT(month, effective), &ran_before, error))
		return FALSE;
	const gchar *params[] = {month, PH_COMMAND_INT_TEXT(before, state.rule->started_before)};
	const gchar *select = ran_before ? PH_ADJUSTMENT_RUN_SELECT PH_ADJUSTMENT_RUN_MISSING
	                                 : PH_ADJUSTMENT_RUN_SELECT;
	if (ran_before && !ph_bulk_analyze(db, "benefit_adjustment", error))
		return FALSE;
	if (!ph_bulk_run(db, select, 2, params, PH_ADJUSTMENT_RUN_COPY, ph_adjustment_run_row,
	                 &state, &out->persons, error))
		return FALSE;
	out->duplicate = ran_before && out->persons == 0;
	if (out->duplicate)
		return TRUE;
	return ph_adjustment_run_finish(db, context, out, error);
}
