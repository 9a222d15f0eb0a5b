/* The calculators behind `pensionctl calc`: decode a JSON case onto the rules' input
 * structs, run the rule, encode the result. Pure (no files); CLI and admin API call it. */
#include "ph-calc.h"

#include "ph-benefit.h"
#include "ph-contribution.h"
#include "ph-error.h"
#include "ph-index.h"
#include "ph-months-divisor.h"
#include "ph-transfer-amount.h"

/* One case being decoded: its object, the policy it carries, the months it lists. */
typedef struct {
	JsonObject *object;
	PhPolicy policy;
	GArray *months; /* PhMonthBase */
	gchar **field;
	GError **error;
} PhCalcCase;

static gboolean
fail(PhCalcCase *calc, const gchar *path, const gchar *message)
{
	if (calc->field != NULL) {
		g_free(*calc->field);
		*calc->field = g_strdup(path);
	}
	g_set_error(calc->error, PH_ERROR, PH_ERROR_INVALID_INPUT, "%s: %s", path, message);
	return FALSE;
}

static gboolean
check_keys(PhCalcCase *calc, const gchar *const *allowed)
{
	JsonObjectIter iter;
	const gchar *key;
	JsonNode *member;

	json_object_iter_init(&iter, calc->object);
	while (json_object_iter_next(&iter, &key, &member)) {
		if (!g_strv_contains(allowed, key))
			return fail(calc, key, "unknown key");
	}
	return TRUE;
}

static gboolean
node_is(JsonNode *node, GType type)
{
	return node != NULL && JSON_NODE_HOLDS_VALUE(node) &&
	       json_node_get_value_type(node) == type;
}

static gboolean
read_int(PhCalcCase *calc, JsonNode *node, const gchar *path, gint64 low, gint64 high, gint64 *out)
{
	g_autofree gchar *why = NULL;

	if (!node_is(node, G_TYPE_INT64))
		return fail(calc, path, "expected an integer");
	*out = json_node_get_int(node);
	if (*out >= low && *out <= high)
		return TRUE;
	why = g_strdup_printf("%" G_GINT64_FORMAT " is outside %" G_GINT64_FORMAT
	                      " … %" G_GINT64_FORMAT,
	                      *out, low, high);
	return fail(calc, path, why);
}

static gboolean
read_period(PhCalcCase *calc, JsonNode *node, const gchar *path, PhPeriod *out)
{
	g_autoptr(GError) local = NULL;

	if (!node_is(node, G_TYPE_STRING))
		return fail(calc, path, "expected a period \"YYYY-MM\"");
	if (!ph_period_parse(json_node_get_string(node), out, &local))
		return fail(calc, path, local->message);
	return TRUE;
}

/* Required members by name. */
static gboolean
member_int(PhCalcCase *calc, const gchar *key, gint64 low, gint64 high, gint64 *out)
{
	JsonNode *node = json_object_get_member(calc->object, key);

	if (node == NULL)
		return fail(calc, key, "required");
	return read_int(calc, node, key, low, high, out);
}

static gboolean
member_period(PhCalcCase *calc, const gchar *key, PhPeriod *out)
{
	JsonNode *node = json_object_get_member(calc->object, key);

	if (node == NULL)
		return fail(calc, key, "required");
	return read_period(calc, node, key, out);
}

/* Optional amount: *present says whether it was given. */
static gboolean
member_amount_optional(PhCalcCase *calc, const gchar *key, gint64 high, gboolean *present,
                       gint64 *out)
{
	*present = json_object_has_member(calc->object, key);
	if (!*present)
		return TRUE;
	return member_int(calc, key, 0, high, out);
}

/* An index such as "1.2000": a decimal string of at most 4 places, as 10^4 units. */
static gboolean
member_index(PhCalcCase *calc, const gchar *key, gint32 *out)
{
	JsonNode *node = json_object_get_member(calc->object, key);
	g_autoptr(GError) local = NULL;
	PhDecimal value;

	*out = 0;
	if (node == NULL)
		return TRUE;
	if (!node_is(node, G_TYPE_STRING))
		return fail(calc, key, "expected a decimal string such as \"1.2000\"");
	if (!ph_decimal_parse(json_node_get_string(node), &value, &local))
		return fail(calc, key, local->message);
	if (value.scale > PH_INDEX_SCALE || value.units < 0 || value.units > 100000000)
		return fail(calc, key, "index must be 0 … 10 with at most 4 decimal places");
	*out = (gint32)(value.units * ph_decimal_pow10(PH_INDEX_SCALE - value.scale));
	return TRUE;
}

/* The slow path of read_month(): find what is wrong, with its JSON path. */
static gboolean
month_error(PhCalcCase *calc, JsonNode *node, guint index, PhMonthBase *month)
{
	g_autofree gchar *path = g_strdup_printf("contributions[%u]", index);
	g_autofree gchar *period_path = g_strdup_printf("%s.period", path);
	g_autofree gchar *base_path = g_strdup_printf("%s.base", path);
	JsonObject *object;

	if (!JSON_NODE_HOLDS_OBJECT(node))
		return fail(calc, path, "expected an object {\"period\", \"base\"}");
	object = json_node_get_object(node);
	if (json_object_get_size(object) != 2 || !json_object_has_member(object, "period") ||
	    !json_object_has_member(object, "base"))
		return fail(calc, path, "expected exactly the keys \"period\" and \"base\"");
	/* the range of the base is the rules' to check (ph_month_table_from_bases) */
	return read_period(calc, json_object_get_member(object, "period"), period_path,
	                   &month->period) &&
	       read_int(calc, json_object_get_member(object, "base"), base_path, G_MININT64,
	                G_MAXINT64, &month->base);
}

/* The fast path allocates nothing; a month with anything wrong takes month_error(). */
static gboolean
read_month(PhCalcCase *calc, JsonNode *node, guint index, PhMonthBase *month)
{
	JsonObject *object = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
	JsonNode *period = object != NULL ? json_object_get_member(object, "period") : NULL;
	JsonNode *base = object != NULL ? json_object_get_member(object, "base") : NULL;

	if (object != NULL && json_object_get_size(object) == 2 && node_is(period, G_TYPE_STRING) &&
	    node_is(base, G_TYPE_INT64) &&
	    ph_period_parse(json_node_get_string(period), &month->period, NULL)) {
		month->base = json_node_get_int(base);
		return TRUE;
	}
	return month_error(calc, node, index, month);
}

static gboolean
member_contributions(PhCalcCase *calc)
{
	JsonNode *node = json_object_get_member(calc->object, "contributions");
	JsonArray *array;

	if (node == NULL)
		return TRUE;
	if (!JSON_NODE_HOLDS_ARRAY(node))
		return fail(calc, "contributions", "expected an array");
	array = json_node_get_array(node);
	if (json_array_get_length(array) > 12 * PH_MONTH_TABLE_MAX_YEARS)
		return fail(calc, "contributions", "too many months");
	g_array_set_size(calc->months, json_array_get_length(array));
	for (guint i = 0; i < json_array_get_length(array); i++) {
		if (!read_month(calc, json_array_get_element(array, i), i,
		                &g_array_index(calc->months, PhMonthBase, i)))
			return FALSE;
	}
	return TRUE;
}

static gboolean
member_opening(PhCalcCase *calc, PhAccountOpening *opening)
{
	JsonNode *node = json_object_get_member(calc->object, "account_opening");
	JsonObject *saved = calc->object;
	gint64 year = 0;
	gboolean ok;

	opening->present = node != NULL;
	if (node == NULL)
		return TRUE;
	if (!JSON_NODE_HOLDS_OBJECT(node))
		return fail(calc, "account_opening", "expected {\"year\", \"balance\"}");
	calc->object = json_node_get_object(node);
	ok = member_int(calc, "year", PH_POLICY_FIRST_YEAR, PH_POLICY_LAST_YEAR, &year) &&
	     member_int(calc, "balance", 0, PH_MONEY_MAX_BALANCE, &opening->balance);
	calc->object = saved;
	if (!ok) {
		g_autofree gchar *inner = g_strdup(*calc->field);
		g_prefix_error(calc->error, "account_opening.");
		g_free(*calc->field);
		*calc->field = g_strdup_printf("account_opening.%s", inner);
		return FALSE;
	}
	opening->year = (gint)year;
	return TRUE;
}

/* The case's policy: the defaults, then its "policy" object on top. */
static gboolean
member_policy(PhCalcCase *calc, const PhPolicy *defaults)
{
	JsonNode *node = json_object_get_member(calc->object, "policy");

	calc->policy = *defaults;
	if (node == NULL)
		return TRUE;
	if (!JSON_NODE_HOLDS_OBJECT(node))
		return fail(calc, "policy", "expected an object");
	return ph_policy_apply_json(&calc->policy, json_node_get_object(node), "policy",
	                            calc->field, calc->error);
}

static void
add_int(JsonBuilder *builder, const gchar *key, gint64 value)
{
	json_builder_set_member_name(builder, key);
	json_builder_add_int_value(builder, value);
}

static void
add_bool(JsonBuilder *builder, const gchar *key, gboolean value)
{
	json_builder_set_member_name(builder, key);
	json_builder_add_boolean_value(builder, value);
}

static void
add_string(JsonBuilder *builder, const gchar *key, const gchar *value)
{
	json_builder_set_member_name(builder, key);
	if (value != NULL)
		json_builder_add_string_value(builder, value);
	else
		json_builder_add_null_value(builder);
}

static void
add_index(JsonBuilder *builder, const gchar *key, gint32 index)
{
	g_autofree gchar *text = ph_decimal_format_scaled(index, PH_INDEX_SCALE);

	add_string(builder, key, text);
}

static void
add_period(JsonBuilder *builder, const gchar *key, PhPeriod period)
{
	gchar text[8];

	ph_period_format(period, text);
	add_string(builder, key, text);
}

static void
benefit_transition_json(JsonBuilder *builder, const PhBenefit *benefit)
{
	g_autofree gchar *share = NULL;

	json_builder_set_member_name(builder, "transition");
	json_builder_begin_object(builder);
	add_bool(builder, "applies", benefit->transition_applies);
	if (benefit->transition_applies) {
		share = ph_decimal_to_string(benefit->share);
		add_int(builder, "old_method_amount", benefit->old_method_amount);
	} else {
		json_builder_set_member_name(builder, "old_method_amount");
		json_builder_add_null_value(builder);
	}
	add_string(builder, "share", share);
	add_int(builder, "adjustment", benefit->adjustment);
	json_builder_end_object(builder);
}

static void
benefit_components_json(JsonBuilder *builder, const PhBenefit *benefit)
{
	json_builder_set_member_name(builder, "components");
	json_builder_begin_object(builder);
	add_int(builder, "basic", benefit->basic);
	add_int(builder, "individual_account", benefit->individual_account);
	add_int(builder, "transitional", benefit->transitional);
	add_int(builder, "annuity", benefit->annuity);
	json_builder_end_object(builder);
}

static void
benefit_counts_json(JsonBuilder *builder, const PhBenefit *benefit)
{
	json_builder_set_member_name(builder, "age");
	json_builder_begin_object(builder);
	add_int(builder, "years", benefit->age_years);
	add_int(builder, "months", benefit->age_months);
	json_builder_end_object(builder);
	json_builder_set_member_name(builder, "contribution_months");
	json_builder_begin_object(builder);
	add_int(builder, "deemed", benefit->deemed_months);
	add_int(builder, "actual", benefit->actual_months);
	add_int(builder, "total", benefit->total_months);
	json_builder_end_object(builder);
	json_builder_set_member_name(builder, "index");
	json_builder_begin_object(builder);
	add_index(builder, "deemed", benefit->index_deemed);
	add_index(builder, "actual", benefit->index_actual);
	add_index(builder, "average", benefit->index_average);
	json_builder_end_object(builder);
}

static JsonNode *
benefit_json(const PhBenefit *benefit)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autofree gchar *divisor = NULL;

	if (benefit->months_divisor != 0)
		divisor = ph_months_divisor_to_string(benefit->months_divisor);
	json_builder_begin_object(builder);
	add_bool(builder, "eligible", benefit->eligible);
	if (!benefit->eligible)
		add_string(builder, "reason", benefit->reason);
	benefit_counts_json(builder, benefit);
	add_string(builder, "months_divisor", divisor);
	add_int(builder, "account_balance", benefit->account_balance);
	add_int(builder, "annuity_balance", benefit->annuity_balance);
	add_bool(builder, "interest_provisional", benefit->interest_provisional);
	benefit_components_json(builder, benefit);
	add_int(builder, "new_method_total", benefit->new_method_total);
	benefit_transition_json(builder, benefit);
	add_int(builder, "monthly_total", benefit->monthly_total);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

static const gchar *const benefit_keys[] = {"birth",
                                            "retire",
                                            "deemed_months",
                                            "deemed_index",
                                            "contributions",
                                            "account_balance",
                                            "account_opening",
                                            "annuity_balance",
                                            "old_method_amount",
                                            "policy",
                                            NULL};

static JsonNode *
calc_benefit(PhCalcCase *calc)
{
	PhBenefitInput input = {0};
	PhBenefit benefit;
	gint64 deemed_months = 0;

	if (!check_keys(calc, benefit_keys) || !member_period(calc, "birth", &input.birth) ||
	    !member_period(calc, "retire", &input.start) ||
	    (json_object_has_member(calc->object, "deemed_months") &&
	     !member_int(calc, "deemed_months", 0, 600, &deemed_months)) ||
	    !member_index(calc, "deemed_index", &input.deemed_index) ||
	    !member_contributions(calc) || !member_opening(calc, &input.account_opening) ||
	    !member_amount_optional(calc, "account_balance", PH_MONEY_MAX_BALANCE,
	                            &input.has_account_balance, &input.account_balance) ||
	    !member_amount_optional(calc, "annuity_balance", PH_MONEY_MAX_BALANCE,
	                            &input.has_annuity_balance, &input.annuity_balance) ||
	    !member_amount_optional(calc, "old_method_amount", PH_MONEY_MAX_BASE,
	                            &input.has_old_method_amount, &input.old_method_amount))
		return NULL;
	if (input.has_account_balance && input.account_opening.present) {
		fail(calc, "account_opening", "give account_balance or account_opening, not both");
		return NULL;
	}
	input.deemed_months = (gint)deemed_months;
	input.months = (const PhMonthBase *)calc->months->data;
	input.n_months = calc->months->len;
	if (!ph_benefit_compute(&calc->policy, &input, &benefit, calc->field, calc->error))
		return NULL;
	return benefit_json(&benefit);
}

/* The parameters a month needs, checked first so that the error names the policy key. */
static gboolean
contribution_parameters(PhCalcCase *calc, PhPeriod period)
{
	PhDecimal rate;
	gint64 average = 0;

	if (period < calc->policy.reform_start)
		return fail(calc, "period", "before the start of the scheme (reform_start)");
	if (!ph_policy_avg_wage(&calc->policy, ph_period_year(period) - 1, &average, calc->error)) {
		*calc->field =
		        g_strdup_printf("policy.avg_wage_monthly.%d", ph_period_year(period) - 1);
		return FALSE;
	}
	if (!ph_policy_employer_rate(&calc->policy, period, &rate, calc->error)) {
		*calc->field = g_strdup("policy.employer_rate");
		return FALSE;
	}
	return TRUE;
}

static const gchar *const contribution_keys[] = {"period", "declared_wage", "policy", NULL};

static JsonNode *
calc_contribution(PhCalcCase *calc)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	PhContribution result;
	PhPeriod period = 0;
	gint64 wage = 0;

	if (!check_keys(calc, contribution_keys) || !member_period(calc, "period", &period) ||
	    !member_int(calc, "declared_wage", 0, PH_MONEY_MAX_BASE, &wage))
		return NULL;
	if (!contribution_parameters(calc, period) ||
	    !ph_contribution_compute(&calc->policy, period, wage, &result, calc->error))
		return NULL;
	json_builder_begin_object(builder);
	add_period(builder, "period", result.period);
	add_int(builder, "base", result.base);
	add_int(builder, "base_lower", result.base_lower);
	add_int(builder, "base_upper", result.base_upper);
	add_int(builder, "employer", result.employer);
	add_int(builder, "individual", result.individual);
	add_int(builder, "annuity_employer", result.annuity_employer);
	add_int(builder, "annuity_individual", result.annuity_individual);
	add_int(builder, "account_credit", result.account_credit);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

static const gchar *const account_keys[] = {"close", "contributions", "account_opening", "policy",
                                            NULL};

static JsonNode *
calc_account(PhCalcCase *calc)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	PhAccountOpening opening = {0};
	PhMonthTable bases;
	PhAccountRoll roll;
	PhPeriod close = 0;

	if (!check_keys(calc, account_keys) || !member_period(calc, "close", &close) ||
	    !member_contributions(calc) || !member_opening(calc, &opening))
		return NULL;
	if (close < calc->policy.reform_start) {
		fail(calc, "close", "before the start of the scheme (reform_start)");
		return NULL;
	}
	if (!ph_month_table_from_bases(&bases, &calc->policy,
	                               (const PhMonthBase *)calc->months->data, calc->months->len,
	                               close, calc->field, calc->error))
		return NULL;
	if (!ph_account_roll_bases(&calc->policy, PH_ACCOUNT_INDIVIDUAL, &bases, &opening, close,
	                           &roll, calc->error)) {
		*calc->field =
		        g_strdup(opening.present ? "account_opening" : "policy.interest_rates");
		return NULL;
	}
	json_builder_begin_object(builder);
	add_int(builder, "balance", roll.balance);
	add_int(builder, "credited", roll.credited);
	add_bool(builder, "interest_provisional", roll.provisional);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

static const gchar *const transfer_keys[] = {"month", "contributions", "account_opening", "policy",
                                             NULL};

static JsonNode *
calc_transfer(PhCalcCase *calc)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	PhTransferInput input = {0};
	PhTransferAmount amount;

	if (!check_keys(calc, transfer_keys) || !member_period(calc, "month", &input.month) ||
	    !member_contributions(calc) || !member_opening(calc, &input.account_opening))
		return NULL;
	input.months = (const PhMonthBase *)calc->months->data;
	input.n_months = calc->months->len;
	if (!ph_transfer_amount_compute(&calc->policy, &input, &amount, calc->field, calc->error))
		return NULL;
	json_builder_begin_object(builder);
	add_int(builder, "months", amount.months);
	add_int(builder, "pooled_fund", amount.pooled_fund);
	add_int(builder, "account_balance", amount.account_balance);
	add_int(builder, "total", amount.total);
	add_bool(builder, "interest_provisional", amount.interest_provisional);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

gboolean
ph_calc_kind_parse(const gchar *name, PhCalcKind *out)
{
	static const gchar *const names[] = {"benefit", "contribution", "account", "transfer"};

	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		if (g_strcmp0(name, names[i]) == 0) {
			*out = (PhCalcKind)i;
			return TRUE;
		}
	}
	return FALSE;
}

/**
 * ph_calc_run:
 * @defaults: the policy that keys left out of the case's "policy" fall back to
 * @input: the case, a JSON object
 * @field: (out): on failure, the JSON path of the member at fault ("" for the whole case)
 *
 * Returns: (transfer full): the result object, or %NULL with %PH_ERROR_INVALID_INPUT.
 */
JsonNode *
ph_calc_run(PhCalcKind kind, const PhPolicy *defaults, JsonNode *input, gchar **field,
            GError **error)
{
	g_autofree PhCalcCase *calc = g_new0(PhCalcCase, 1);
	g_autoptr(GArray) months = g_array_new(FALSE, TRUE, sizeof(PhMonthBase));
	JsonNode *result = NULL;

	g_return_val_if_fail(defaults != NULL && input != NULL && field != NULL, NULL);
	*field = NULL;
	if (!JSON_NODE_HOLDS_OBJECT(input)) {
		*field = g_strdup("");
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "the case must be a JSON object");
		return NULL;
	}
	calc->object = json_node_get_object(input);
	calc->months = months;
	calc->field = field;
	calc->error = error;
	if (!member_policy(calc, defaults))
		return NULL;
	if (kind == PH_CALC_BENEFIT)
		result = calc_benefit(calc);
	else if (kind == PH_CALC_CONTRIBUTION)
		result = calc_contribution(calc);
	else if (kind == PH_CALC_ACCOUNT)
		result = calc_account(calc);
	else
		result = calc_transfer(calc);
	if (result == NULL && *field == NULL)
		*field = g_strdup("");
	return result;
}

/* {"error": {"code": CODE, "field": FIELD, "message": MESSAGE}} */
JsonNode *
ph_calc_error_json(const gchar *code, const gchar *field, const gchar *message)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "error");
	json_builder_begin_object(builder);
	add_string(builder, "code", code);
	add_string(builder, "field", field != NULL ? field : "");
	add_string(builder, "message", message);
	json_builder_end_object(builder);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}
