/* Policy parameters as data: decoding policy JSON objects onto a PhPolicy, encoding one
 * back, and the lookups the rules use. Pure (no files); core and hub may call it. */
#include "ph-policy.h"

#include <stdlib.h>
#include <string.h>

#include "ph-error.h"

typedef gboolean (*PhPolicyKeyFunc)(PhPolicy *policy, JsonNode *node, gsize offset,
                                    const gchar *path, gchar **field, GError **error);

typedef struct {
	const gchar *key;
	PhPolicyKeyFunc apply;
	gsize offset; /* of the member in PhPolicy the key sets */
	const gchar *low;
	const gchar *high;
} PhPolicyKey;

static gboolean fail(gchar **field, const gchar *path, GError **error, const gchar *format, ...)
        G_GNUC_PRINTF(4, 5);

static gboolean
fail(gchar **field, const gchar *path, GError **error, const gchar *format, ...)
{
	va_list args;
	g_autofree gchar *message = NULL;

	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	if (field != NULL) {
		g_free(*field);
		*field = g_strdup(path);
	}
	g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "%s: %s", path, message);
	return FALSE;
}

static const gchar *
node_string(JsonNode *node)
{
	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(node);
}

static gboolean
node_int(JsonNode *node, gint64 *out)
{
	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64)
		return FALSE;
	*out = json_node_get_int(node);
	return TRUE;
}

static gboolean
read_decimal(JsonNode *node, const gchar *low, const gchar *high, PhDecimal *out, const gchar *path,
             gchar **field, GError **error)
{
	const gchar *text = node_string(node);
	PhDecimal low_value;
	PhDecimal high_value;
	g_autoptr(GError) local = NULL;

	if (text == NULL)
		return fail(field, path, error, "expected a decimal string such as \"0.08\"");
	if (!ph_decimal_parse(text, out, &local))
		return fail(field, path, error, "%s", local->message);
	ph_decimal_parse(low, &low_value, NULL);
	ph_decimal_parse(high, &high_value, NULL);
	if (!ph_decimal_in_range(*out, low_value, high_value))
		return fail(field, path, error, "%s is outside %s … %s", text, low, high);
	return TRUE;
}

static gboolean
read_int(JsonNode *node, gint64 low, gint64 high, gint64 *out, const gchar *path, gchar **field,
         GError **error)
{
	if (!node_int(node, out))
		return fail(field, path, error, "expected an integer");
	if (*out < low || *out > high)
		return fail(field, path, error,
		            "%" G_GINT64_FORMAT " is outside %" G_GINT64_FORMAT
		            " … %" G_GINT64_FORMAT,
		            *out, low, high);
	return TRUE;
}

static gboolean
read_period(JsonNode *node, PhPeriod *out, const gchar *path, gchar **field, GError **error)
{
	const gchar *text = node_string(node);
	g_autoptr(GError) local = NULL;

	if (text == NULL)
		return fail(field, path, error, "expected a period \"YYYY-MM\"");
	if (!ph_period_parse(text, out, &local))
		return fail(field, path, error, "%s", local->message);
	return TRUE;
}

static gboolean
read_object(JsonNode *node, JsonObject **out, const gchar *path, gchar **field, GError **error)
{
	if (!JSON_NODE_HOLDS_OBJECT(node))
		return fail(field, path, error, "expected an object");
	*out = json_node_get_object(node);
	return TRUE;
}

/* A key of a per-year map: "YYYY" inside the policy's year range. */
static gboolean
read_year_key(const gchar *key, gint *year, const gchar *path, gchar **field, GError **error)
{
	gchar *end = NULL;
	gint64 value = g_ascii_strtoll(key, &end, 10);

	if (strlen(key) != 4 || *end != '\0' || value < PH_POLICY_FIRST_YEAR ||
	    value > PH_POLICY_LAST_YEAR)
		return fail(field, path, error, "'%s' is not a year %d … %d", key,
		            PH_POLICY_FIRST_YEAR, PH_POLICY_LAST_YEAR);
	*year = (gint)value;
	return TRUE;
}

static gboolean apply_decimal(PhPolicy *policy, JsonNode *node, gsize offset, const gchar *path,
                              gchar **field, GError **error);

typedef gboolean (*PhYearEntryFunc)(gpointer table, gint year, JsonNode *member, const gchar *path,
                                    gchar **field, GError **error);

/* Calls @func for each "YYYY": value member of a per-year map. */
static gboolean
read_year_map(JsonNode *node, PhYearEntryFunc func, gpointer table, const gchar *path,
              gchar **field, GError **error)
{
	JsonObject *object = NULL;
	JsonObjectIter iter;
	const gchar *key;
	JsonNode *member;

	if (!read_object(node, &object, path, field, error))
		return FALSE;
	json_object_iter_init(&iter, object);
	while (json_object_iter_next(&iter, &key, &member)) {
		g_autofree gchar *member_path = g_strdup_printf("%s.%s", path, key);
		gint year = 0;
		if (!read_year_key(key, &year, member_path, field, error) ||
		    !func(table, year, member, member_path, field, error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
money_entry(gpointer table, gint year, JsonNode *member, const gchar *path, gchar **field,
            GError **error)
{
	return read_int(member, 1, PH_MONEY_MAX_BASE,
	                &((gint64 *)table)[year - PH_POLICY_FIRST_YEAR], path, field, error);
}

static gboolean
rate_entry(gpointer table, gint year, JsonNode *member, const gchar *path, gchar **field,
           GError **error)
{
	PhYearRates *rates = table;

	rates->present[year - PH_POLICY_FIRST_YEAR] = 1;
	return read_decimal(member, "0", "1", &rates->rate[year - PH_POLICY_FIRST_YEAR], path,
	                    field, error);
}

static gboolean
apply_money_by_year(PhPolicy *policy, JsonNode *node, gsize offset, const gchar *path,
                    gchar **field, GError **error)
{
	return read_year_map(node, money_entry, (gchar *)policy + offset, path, field, error);
}

static gboolean
apply_rates_by_year(PhPolicy *policy, JsonNode *node, gsize offset, const gchar *path,
                    gchar **field, GError **error)
{
	if (!read_year_map(node, rate_entry, (gchar *)policy + offset, path, field, error))
		return FALSE;
	if (offset == G_STRUCT_OFFSET(PhPolicy, annuity_rates))
		policy->annuity_rates_set = TRUE;
	return TRUE;
}

static gint
compare_dated(gconstpointer a, gconstpointer b)
{
	return ((const PhDatedRate *)a)->from - ((const PhDatedRate *)b)->from;
}

/* The employer rate is a complete schedule: a new one replaces the old one whole. */
static gboolean
apply_employer_rate(PhPolicy *policy, JsonNode *node, gsize offset, const gchar *path,
                    gchar **field, GError **error)
{
	JsonObject *object = NULL;
	JsonObjectIter iter;
	const gchar *key;
	JsonNode *member;
	guint count = 0;

	if (!read_object(node, &object, path, field, error))
		return FALSE;
	if (json_object_get_size(object) == 0 || json_object_get_size(object) > PH_POLICY_MAX_DATED)
		return fail(field, path, error, "expected 1 … %d dated rates", PH_POLICY_MAX_DATED);
	json_object_iter_init(&iter, object);
	while (json_object_iter_next(&iter, &key, &member)) {
		g_autofree gchar *member_path = g_strdup_printf("%s.%s", path, key);
		g_autoptr(GError) local = NULL;
		PhDatedRate *entry = &policy->employer_rate[count++];
		if (!ph_period_parse(key, &entry->from, &local))
			return fail(field, member_path, error, "%s", local->message);
		if (!read_decimal(member, "0", "1", &entry->rate, member_path, field, error))
			return FALSE;
	}
	policy->n_employer_rates = count;
	qsort(policy->employer_rate, count, sizeof(PhDatedRate), compare_dated);
	return TRUE;
}

static gboolean
apply_months_divisor(PhPolicy *policy, JsonNode *node, gsize offset, const gchar *path,
                     gchar **field, GError **error)
{
	JsonObject *object = NULL;
	JsonObjectIter iter;
	const gchar *key;
	JsonNode *member;

	if (!read_object(node, &object, path, field, error))
		return FALSE;
	json_object_iter_init(&iter, object);
	while (json_object_iter_next(&iter, &key, &member)) {
		g_autofree gchar *member_path = g_strdup_printf("%s.%s", path, key);
		gchar *end = NULL;
		gint64 age = g_ascii_strtoll(key, &end, 10);
		gint64 months = 0;
		if (*key == '\0' || *end != '\0' || age < 16 || age > PH_POLICY_MAX_AGE)
			return fail(field, member_path, error, "'%s' is not an age 16 … %d", key,
			            PH_POLICY_MAX_AGE);
		if (!read_int(member, 1, 1000, &months, member_path, field, error))
			return FALSE;
		policy->months_divisor[age] = (gint32)months;
	}
	return TRUE;
}

/* A string member that must be one of @names; *out is the index of the match. */
static gboolean
read_choice(JsonNode *node, const gchar *const *names, gint *out, const gchar *path, gchar **field,
            GError **error)
{
	const gchar *text = node_string(node);
	g_autofree gchar *list = g_strjoinv("\", \"", (gchar **)names);

	for (gint i = 0; text != NULL && names[i] != NULL; i++) {
		if (g_str_equal(text, names[i])) {
			*out = i;
			return TRUE;
		}
	}
	return fail(field, path, error, "expected one of \"%s\"", list);
}

static gboolean
apply_interest_method(PhPolicy *policy, JsonNode *node, gsize offset, const gchar *path,
                      gchar **field, GError **error)
{
	const gchar *const names[] = {"monthly", "annual", NULL};
	const PhInterestMethod methods[] = {PH_INTEREST_MONTHLY, PH_INTEREST_ANNUAL};
	gint choice = 0;

	if (!read_choice(node, names, &choice, path, field, error))
		return FALSE;
	policy->interest_method = methods[choice];
	return TRUE;
}

static gboolean
apply_transition_pattern(PhPolicy *policy, JsonNode *node, gsize offset, const gchar *path,
                         gchar **field, GError **error)
{
	const gchar *const names[] = {"A", "B", NULL};
	const PhTransitionPattern patterns[] = {PH_TRANSITION_PATTERN_A, PH_TRANSITION_PATTERN_B};
	gint choice = 0;

	if (!read_choice(node, names, &choice, path, field, error))
		return FALSE;
	policy->transition_pattern = patterns[choice];
	return TRUE;
}

static gboolean
apply_period(PhPolicy *policy, JsonNode *node, gsize offset, const gchar *path, gchar **field,
             GError **error)
{
	return read_period(node, (PhPeriod *)((gchar *)policy + offset), path, field, error);
}

static gboolean
apply_money(PhPolicy *policy, JsonNode *node, gsize offset, const gchar *path, gchar **field,
            GError **error)
{
	return read_int(node, 0, PH_MONEY_MAX_BALANCE, (gint64 *)((gchar *)policy + offset), path,
	                field, error);
}

static gboolean
apply_minimum_months(PhPolicy *policy, JsonNode *node, gsize offset, const gchar *path,
                     gchar **field, GError **error)
{
	gint64 months = 0;

	if (!read_int(node, 1, 600, &months, path, field, error))
		return FALSE;
	policy->minimum_months = (gint)months;
	return TRUE;
}

static gboolean apply_adjustments(PhPolicy *policy, JsonNode *node, gsize offset, const gchar *path,
                                  gchar **field, GError **error);

#define DECIMAL_KEY(name, low, high)                                                               \
	{                                                                                          \
#name, apply_decimal, G_STRUCT_OFFSET(PhPolicy, name), low, high                   \
	}

static const PhPolicyKey policy_keys[] = {
        {"reform_start", apply_period, G_STRUCT_OFFSET(PhPolicy, reform_start), NULL, NULL},
        {"employer_rate", apply_employer_rate, 0, NULL, NULL},
        DECIMAL_KEY(individual_rate, "0", "1"),
        DECIMAL_KEY(annuity_employer_rate, "0", "1"),
        DECIMAL_KEY(annuity_individual_rate, "0", "1"),
        DECIMAL_KEY(base_lower_ratio, "0", "10"),
        DECIMAL_KEY(base_upper_ratio, "0", "10"),
        {"avg_wage_monthly", apply_money_by_year, G_STRUCT_OFFSET(PhPolicy, avg_wage_monthly), NULL,
         NULL},
        {"pension_base_monthly", apply_money_by_year,
         G_STRUCT_OFFSET(PhPolicy, pension_base_monthly), NULL, NULL},
        {"interest_rates", apply_rates_by_year, G_STRUCT_OFFSET(PhPolicy, interest_rates), NULL,
         NULL},
        {"annuity_rates", apply_rates_by_year, G_STRUCT_OFFSET(PhPolicy, annuity_rates), NULL,
         NULL},
        {"interest_method", apply_interest_method, 0, NULL, NULL},
        DECIMAL_KEY(annual_method_factor, "1", "2"),
        DECIMAL_KEY(transition_coefficient, "0", "0.05"),
        {"transition_pattern", apply_transition_pattern, 0, NULL, NULL},
        {"transition_from", apply_period, G_STRUCT_OFFSET(PhPolicy, transition_from), NULL, NULL},
        {"transition_to", apply_period, G_STRUCT_OFFSET(PhPolicy, transition_to), NULL, NULL},
        {"transition_shares", apply_rates_by_year, G_STRUCT_OFFSET(PhPolicy, transition_shares),
         NULL, NULL},
        {"months_divisor", apply_months_divisor, 0, NULL, NULL},
        {"minimum_months", apply_minimum_months, 0, NULL, NULL},
        DECIMAL_KEY(transfer_pooled_rate, "0", "1"),
        {"funeral_grant", apply_money, G_STRUCT_OFFSET(PhPolicy, funeral_grant), NULL, NULL},
        {"survivor_benefit", apply_money, G_STRUCT_OFFSET(PhPolicy, survivor_benefit), NULL, NULL},
        {"adjustments", apply_adjustments, 0, NULL, NULL},
};

static const PhPolicyKey *
find_key(const gchar *key)
{
	for (guint i = 0; i < G_N_ELEMENTS(policy_keys); i++) {
		if (g_str_equal(policy_keys[i].key, key))
			return &policy_keys[i];
	}
	return NULL;
}

static gboolean
apply_decimal(PhPolicy *policy, JsonNode *node, gsize offset, const gchar *path, gchar **field,
              GError **error)
{
	const PhPolicyKey *entry = NULL;

	for (guint i = 0; i < G_N_ELEMENTS(policy_keys) && entry == NULL; i++) {
		if (policy_keys[i].apply == apply_decimal && policy_keys[i].offset == offset)
			entry = &policy_keys[i];
	}
	if (!read_decimal(node, entry->low, entry->high, (PhDecimal *)((gchar *)policy + offset),
	                  path, field, error))
		return FALSE;
	if (offset == G_STRUCT_OFFSET(PhPolicy, transition_coefficient))
		policy->has_transition_coefficient = TRUE;
	return TRUE;
}

static gboolean
apply_age_bands(PhAdjustmentRule *rule, JsonNode *node, const gchar *path, gchar **field,
                GError **error)
{
	JsonArray *bands;

	if (!JSON_NODE_HOLDS_ARRAY(node))
		return fail(field, path, error, "expected an array");
	bands = json_node_get_array(node);
	if (json_array_get_length(bands) > PH_POLICY_MAX_BANDS)
		return fail(field, path, error, "at most %d age bands", PH_POLICY_MAX_BANDS);
	for (guint i = 0; i < json_array_get_length(bands); i++) {
		g_autofree gchar *band_path = g_strdup_printf("%s[%u]", path, i);
		g_autofree gchar *age_path = g_strdup_printf("%s.min_age", band_path);
		g_autofree gchar *amount_path = g_strdup_printf("%s.amount", band_path);
		JsonNode *band = json_array_get_element(bands, i);
		JsonObject *object = NULL;
		gint64 age = 0;
		if (!read_object(band, &object, band_path, field, error))
			return FALSE;
		if (!json_object_has_member(object, "min_age") ||
		    !json_object_has_member(object, "amount"))
			return fail(field, band_path, error, "needs min_age and amount");
		if (!read_int(json_object_get_member(object, "min_age"), 0, PH_POLICY_MAX_AGE, &age,
		              age_path, field, error) ||
		    !read_int(json_object_get_member(object, "amount"), 0, PH_MONEY_MAX_BASE,
		              &rule->band[i].amount, amount_path, field, error))
			return FALSE;
		rule->band[i].min_age = (gint)age;
	}
	rule->n_bands = json_array_get_length(bands);
	return TRUE;
}

static gboolean
apply_adjustment_member(PhAdjustmentRule *rule, const gchar *key, JsonNode *member,
                        const gchar *path, gchar **field, GError **error)
{
	if (g_str_equal(key, "effective"))
		return read_period(member, &rule->effective, path, field, error);
	if (g_str_equal(key, "started_before"))
		return read_period(member, &rule->started_before, path, field, error);
	if (g_str_equal(key, "fixed"))
		return read_int(member, 0, PH_MONEY_MAX_BASE, &rule->fixed, path, field, error);
	if (g_str_equal(key, "per_year"))
		return read_int(member, 0, PH_MONEY_MAX_BASE, &rule->per_year, path, field, error);
	if (g_str_equal(key, "basic_share"))
		return read_decimal(member, "0", "1", &rule->basic_share, path, field, error);
	if (g_str_equal(key, "age_bands"))
		return apply_age_bands(rule, member, path, field, error);
	return fail(field, path, error, "unknown key");
}

/* Adjustment rules form one list: a new list replaces the old one whole. */
static gboolean
apply_adjustments(PhPolicy *policy, JsonNode *node, gsize offset, const gchar *path, gchar **field,
                  GError **error)
{
	JsonArray *rules;

	if (!JSON_NODE_HOLDS_ARRAY(node))
		return fail(field, path, error, "expected an array");
	rules = json_node_get_array(node);
	if (json_array_get_length(rules) > PH_POLICY_MAX_ADJUSTMENTS)
		return fail(field, path, error, "at most %d rules", PH_POLICY_MAX_ADJUSTMENTS);
	for (guint i = 0; i < json_array_get_length(rules); i++) {
		g_autofree gchar *rule_path = g_strdup_printf("%s[%u]", path, i);
		PhAdjustmentRule *rule = &policy->adjustment[i];
		JsonObject *object = NULL;
		JsonObjectIter iter;
		const gchar *key;
		JsonNode *member;
		memset(rule, 0, sizeof(*rule));
		if (!read_object(json_array_get_element(rules, i), &object, rule_path, field,
		                 error))
			return FALSE;
		json_object_iter_init(&iter, object);
		while (json_object_iter_next(&iter, &key, &member)) {
			g_autofree gchar *member_path = g_strdup_printf("%s.%s", rule_path, key);
			if (!apply_adjustment_member(rule, key, member, member_path, field, error))
				return FALSE;
		}
		if (rule->effective == 0 || rule->started_before == 0)
			return fail(field, rule_path, error, "needs effective and started_before");
	}
	policy->n_adjustments = json_array_get_length(rules);
	return TRUE;
}

/* An empty policy: every table empty, monthly interest; the national file fills it. */
void
ph_policy_init(PhPolicy *policy)
{
	g_return_if_fail(policy != NULL);
	memset(policy, 0, sizeof(*policy));
	policy->interest_method = PH_INTEREST_MONTHLY;
}

/**
 * ph_policy_apply_json:
 * @object: policy keys (see docs/rules.md); keys left out keep their values
 * @path: the JSON path of @object, used in error messages ("policy")
 * @field: (out) (optional): the JSON path of the offending member on failure
 *
 * Per-year maps and the divisor table merge key by key; the employer-rate schedule and
 * the adjustment list are replaced whole. On failure @policy may be half changed: apply
 * to a copy when that matters.
 */
gboolean
ph_policy_apply_json(PhPolicy *policy, JsonObject *object, const gchar *path, gchar **field,
                     GError **error)
{
	JsonObjectIter iter;
	const gchar *key;
	JsonNode *member;

	g_return_val_if_fail(policy != NULL && object != NULL && path != NULL, FALSE);
	json_object_iter_init(&iter, object);
	while (json_object_iter_next(&iter, &key, &member)) {
		g_autofree gchar *member_path = g_strdup_printf("%s.%s", path, key);
		const PhPolicyKey *entry = find_key(key);
		if (entry == NULL)
			return fail(field, member_path, error, "unknown policy key");
		if (!entry->apply(policy, member, entry->offset, member_path, field, error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
year_in_range(gint year)
{
	return year >= PH_POLICY_FIRST_YEAR && year <= PH_POLICY_LAST_YEAR;
}

gboolean
ph_policy_avg_wage(const PhPolicy *policy, gint year, gint64 *out, GError **error)
{
	if (!year_in_range(year) || policy->avg_wage_monthly[year - PH_POLICY_FIRST_YEAR] == 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "no average wage (avg_wage_monthly) for %d", year);
		return FALSE;
	}
	*out = policy->avg_wage_monthly[year - PH_POLICY_FIRST_YEAR];
	return TRUE;
}

gboolean
ph_policy_pension_base(const PhPolicy *policy, gint year, gint64 *out, GError **error)
{
	if (!year_in_range(year) ||
	    policy->pension_base_monthly[year - PH_POLICY_FIRST_YEAR] == 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "no pension base (pension_base_monthly) for %d", year);
		return FALSE;
	}
	*out = policy->pension_base_monthly[year - PH_POLICY_FIRST_YEAR];
	return TRUE;
}

gboolean
ph_policy_employer_rate(const PhPolicy *policy, PhPeriod period, PhDecimal *out, GError **error)
{
	for (guint i = policy->n_employer_rates; i > 0; i--) {
		if (policy->employer_rate[i - 1].from <= period) {
			*out = policy->employer_rate[i - 1].rate;
			return TRUE;
		}
	}
	g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
	            "no employer rate in force in %04d-%02d", ph_period_year(period),
	            ph_period_month(period));
	return FALSE;
}

/**
 * ph_policy_year_rate:
 * @provisional: (out): set when @year has no rate and an earlier year's is used
 *
 * The rate of @year, else the latest earlier one (RULES §2).
 *
 * Returns: %FALSE when neither exists.
 */
gboolean
ph_policy_year_rate(const PhYearRates *rates, gint year, PhDecimal *out, gboolean *provisional)
{
	if (year > PH_POLICY_LAST_YEAR)
		year = PH_POLICY_LAST_YEAR;
	for (gint y = year; y >= PH_POLICY_FIRST_YEAR; y--) {
		if (rates->present[y - PH_POLICY_FIRST_YEAR]) {
			*out = rates->rate[y - PH_POLICY_FIRST_YEAR];
			*provisional = y != year;
			return TRUE;
		}
	}
	return FALSE;
}

const PhYearRates *
ph_policy_annuity_rates(const PhPolicy *policy)
{
	return policy->annuity_rates_set ? &policy->annuity_rates : &policy->interest_rates;
}

gboolean
ph_policy_in_transition(const PhPolicy *policy, PhPeriod start)
{
	return policy->transition_from != 0 && start >= policy->transition_from &&
	       start <= policy->transition_to;
}

static void
add_decimal(JsonBuilder *builder, const gchar *key, PhDecimal value)
{
	g_autofree gchar *text = ph_decimal_to_string(value);

	json_builder_set_member_name(builder, key);
	json_builder_add_string_value(builder, text);
}

static void
add_period(JsonBuilder *builder, const gchar *key, PhPeriod period)
{
	gchar text[8];

	ph_period_format(period, text);
	json_builder_set_member_name(builder, key);
	json_builder_add_string_value(builder, text);
}

static void
add_money_by_year(JsonBuilder *builder, const gchar *key, const gint64 *table)
{
	json_builder_set_member_name(builder, key);
	json_builder_begin_object(builder);
	for (gint i = 0; i < PH_POLICY_YEARS; i++) {
		g_autofree gchar *year = g_strdup_printf("%d", PH_POLICY_FIRST_YEAR + i);
		if (table[i] == 0)
			continue;
		json_builder_set_member_name(builder, year);
		json_builder_add_int_value(builder, table[i]);
	}
	json_builder_end_object(builder);
}

static void
add_rates_by_year(JsonBuilder *builder, const gchar *key, const PhYearRates *table)
{
	json_builder_set_member_name(builder, key);
	json_builder_begin_object(builder);
	for (gint i = 0; i < PH_POLICY_YEARS; i++) {
		g_autofree gchar *year = g_strdup_printf("%d", PH_POLICY_FIRST_YEAR + i);
		if (table->present[i])
			add_decimal(builder, year, table->rate[i]);
	}
	json_builder_end_object(builder);
}

static void
add_employer_rates(JsonBuilder *builder, const PhPolicy *policy)
{
	json_builder_set_member_name(builder, "employer_rate");
	json_builder_begin_object(builder);
	for (guint i = 0; i < policy->n_employer_rates; i++) {
		gchar from[8];
		ph_period_format(policy->employer_rate[i].from, from);
		add_decimal(builder, from, policy->employer_rate[i].rate);
	}
	json_builder_end_object(builder);
}

static void
add_months_divisor(JsonBuilder *builder, const PhPolicy *policy)
{
	json_builder_set_member_name(builder, "months_divisor");
	json_builder_begin_object(builder);
	for (gint age = 0; age <= PH_POLICY_MAX_AGE; age++) {
		g_autofree gchar *key = g_strdup_printf("%d", age);
		if (policy->months_divisor[age] == 0)
			continue;
		json_builder_set_member_name(builder, key);
		json_builder_add_int_value(builder, policy->months_divisor[age]);
	}
	json_builder_end_object(builder);
}

static void
add_int(JsonBuilder *builder, const gchar *key, gint64 value)
{
	json_builder_set_member_name(builder, key);
	json_builder_add_int_value(builder, value);
}

static void
add_adjustment(JsonBuilder *builder, const PhAdjustmentRule *rule)
{
	json_builder_begin_object(builder);
	add_period(builder, "effective", rule->effective);
	add_period(builder, "started_before", rule->started_before);
	add_int(builder, "fixed", rule->fixed);
	add_decimal(builder, "basic_share", rule->basic_share);
	add_int(builder, "per_year", rule->per_year);
	json_builder_set_member_name(builder, "age_bands");
	json_builder_begin_array(builder);
	for (guint i = 0; i < rule->n_bands; i++) {
		json_builder_begin_object(builder);
		add_int(builder, "min_age", rule->band[i].min_age);
		add_int(builder, "amount", rule->band[i].amount);
		json_builder_end_object(builder);
	}
	json_builder_end_array(builder);
	json_builder_end_object(builder);
}

static void
add_string(JsonBuilder *builder, const gchar *key, const gchar *value)
{
	json_builder_set_member_name(builder, key);
	json_builder_add_string_value(builder, value);
}

static void
add_transition(JsonBuilder *builder, const PhPolicy *policy)
{
	const gchar *patterns[] = {NULL, "A", "B"};

	if (policy->has_transition_coefficient)
		add_decimal(builder, "transition_coefficient", policy->transition_coefficient);
	if (policy->transition_pattern != PH_TRANSITION_PATTERN_NONE)
		add_string(builder, "transition_pattern", patterns[policy->transition_pattern]);
	if (policy->transition_from != 0) {
		add_period(builder, "transition_from", policy->transition_from);
		add_period(builder, "transition_to", policy->transition_to);
	}
	add_rates_by_year(builder, "transition_shares", &policy->transition_shares);
}

/**
 * ph_policy_to_json:
 *
 * Returns: (transfer full): @policy as a policy object with the keys that
 * ph_policy_apply_json() reads, so that the output can be fed back in.
 */
JsonNode *
ph_policy_to_json(const PhPolicy *policy)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();

	json_builder_begin_object(builder);
	if (policy->reform_start != 0)
		add_period(builder, "reform_start", policy->reform_start);
	add_employer_rates(builder, policy);
	add_decimal(builder, "individual_rate", policy->individual_rate);
	add_decimal(builder, "annuity_employer_rate", policy->annuity_employer_rate);
	add_decimal(builder, "annuity_individual_rate", policy->annuity_individual_rate);
	add_decimal(builder, "base_lower_ratio", policy->base_lower_ratio);
	add_decimal(builder, "base_upper_ratio", policy->base_upper_ratio);
	add_money_by_year(builder, "avg_wage_monthly", policy->avg_wage_monthly);
	add_money_by_year(builder, "pension_base_monthly", policy->pension_base_monthly);
	add_rates_by_year(builder, "interest_rates", &policy->interest_rates);
	add_rates_by_year(builder, "annuity_rates", ph_policy_annuity_rates(policy));
	add_string(builder, "interest_method",
	           policy->interest_method == PH_INTEREST_ANNUAL ? "annual" : "monthly");
	add_decimal(builder, "annual_method_factor", policy->annual_method_factor);
	add_transition(builder, policy);
	add_months_divisor(builder, policy);
	add_int(builder, "minimum_months", policy->minimum_months);
	add_decimal(builder, "transfer_pooled_rate", policy->transfer_pooled_rate);
	add_int(builder, "funeral_grant", policy->funeral_grant);
	add_int(builder, "survivor_benefit", policy->survivor_benefit);
	json_builder_set_member_name(builder, "adjustments");
	json_builder_begin_array(builder);
	for (guint i = 0; i < policy->n_adjustments; i++)
		add_adjustment(builder, &policy->adjustment[i]);
	json_builder_end_array(builder);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}
