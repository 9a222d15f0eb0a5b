/* Benchmark of the in-process benefit calculation (issue 3 §7: at least 100,000 cases a
 * second on one core). Prints our figures and, measured in the same run, the floor of
 * merely reading every case's months once. Not a test (it exits 0 whatever the figures):
 * run with `meson test -C build --benchmark`. */
#include "ph-build-config.h"

#include <stdio.h>

#include "ph-benefit.h"
#include "ph-calc.h"
#include "ph-policy-file.h"

#define N_PEOPLE   1000
#define MAX_MONTHS 480
#define TARGET     100000.0
#define SECONDS    1.0

typedef struct {
	PhBenefitInput input[N_PEOPLE];
	PhMonthBase months[N_PEOPLE][MAX_MONTHS];
} Population;

/* People retiring 2020–2026 with 120–360 months from 2014-10 (gaps included), bases
 * within the sample limits, deemed service, both transition and later starts. */
static void
make_population(Population *population, GRand *rand)
{
	for (guint i = 0; i < N_PEOPLE; i++) {
		PhBenefitInput *input = &population->input[i];
		PhPeriod start = ph_period_make(g_rand_int_range(rand, 2020, 2027),
		                                g_rand_int_range(rand, 1, 13));
		guint n = 0;
		for (PhPeriod p = 201410; p < start; p = ph_period_add(p, 1)) {
			if (g_rand_int_range(rand, 0, 20) == 0)
				continue;
			population->months[i][n].period = p;
			population->months[i][n].base = g_rand_int_range(rand, 320000, 1500000);
			n++;
		}
		input->birth = ph_period_add(start, -(60 * 12 + g_rand_int_range(rand, 0, 12)));
		input->start = start;
		input->deemed_months = g_rand_int_range(rand, 60, 360);
		input->deemed_index = g_rand_int_range(rand, 6000, 30000);
		input->months = population->months[i];
		input->n_months = n;
		input->has_old_method_amount = TRUE;
		input->old_method_amount = g_rand_int_range(rand, 300000, 900000);
	}
}

static void
sample_policy(PhPolicy *policy)
{
	for (gint year = 2013; year <= 2026; year++) {
		policy->avg_wage_monthly[year - PH_POLICY_FIRST_YEAR] =
		        500000 + 30011 * (year - 2013);
		policy->pension_base_monthly[year - PH_POLICY_FIRST_YEAR] =
		        600000 + 30011 * (year - 2013);
	}
	policy->has_transition_coefficient = TRUE;
	policy->transition_coefficient = ph_decimal_from_units(13, 3);
	policy->transition_pattern = PH_TRANSITION_PATTERN_A;
}

/* Runs ph_benefit_compute over the population until SECONDS have passed. */
static gdouble
benefit_rate(const PhPolicy *policy, Population *population, gboolean given_balances,
             gint64 *checksum)
{
	gint64 begin = g_get_monotonic_time();
	gint64 elapsed = 0;
	guint64 cases = 0;

	for (guint i = 0; i < N_PEOPLE; i++) {
		population->input[i].has_account_balance = given_balances;
		population->input[i].account_balance = 5000000 + i;
		population->input[i].has_annuity_balance = given_balances;
		population->input[i].annuity_balance = 2500000 + i;
	}
	while (elapsed < SECONDS * G_USEC_PER_SEC) {
		for (guint i = 0; i < N_PEOPLE; i++) {
			PhBenefit benefit;
			if (!ph_benefit_compute(policy, &population->input[i], &benefit, NULL,
			                        NULL))
				return -1;
			*checksum += benefit.monthly_total;
		}
		cases += N_PEOPLE;
		elapsed = g_get_monotonic_time() - begin;
	}
	return cases / (elapsed / (gdouble)G_USEC_PER_SEC);
}

/* The same cases as operators send them: JSON text parsed, computed and encoded. */
static gchar *
case_json(const PhBenefitInput *input)
{
	g_autoptr(GString) text = g_string_new(NULL);
	gchar birth[8], start[8], period[8];

	ph_period_format(input->birth, birth);
	ph_period_format(input->start, start);
	g_string_append_printf(
	        text,
	        "{\"birth\": \"%s\", \"retire\": \"%s\", \"deemed_months\": %d, "
	        "\"deemed_index\": \"%d.%04d\", \"old_method_amount\": %" G_GINT64_FORMAT
	        ", \"contributions\": [",
	        birth, start, input->deemed_months, input->deemed_index / 10000,
	        input->deemed_index % 10000, input->old_method_amount);
	for (guint m = 0; m < input->n_months; m++) {
		ph_period_format(input->months[m].period, period);
		g_string_append_printf(text,
		                       "%s{\"period\": \"%s\", \"base\": %" G_GINT64_FORMAT "}",
		                       m > 0 ? ", " : "", period, input->months[m].base);
	}
	g_string_append(text, "]}");
	return g_string_free(g_steal_pointer(&text), FALSE);
}

static gdouble
json_rate(const PhPolicy *policy, const Population *population)
{
	g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func(g_free);
	gint64 begin;
	gint64 elapsed = 0;
	guint64 cases = 0;

	for (guint i = 0; i < N_PEOPLE; i++)
		g_ptr_array_add(texts, case_json(&population->input[i]));
	begin = g_get_monotonic_time();
	while (elapsed < SECONDS * G_USEC_PER_SEC) {
		for (guint i = 0; i < N_PEOPLE; i++) {
			g_autoptr(JsonParser) parser = json_parser_new();
			g_autoptr(JsonNode) result = NULL;
			g_autofree gchar *field = NULL;
			g_autofree gchar *output = NULL;
			if (!json_parser_load_from_data(parser, texts->pdata[i], -1, NULL))
				return -1;
			result = ph_calc_run(PH_CALC_BENEFIT, policy, json_parser_get_root(parser),
			                     &field, NULL);
			if (result == NULL)
				return -1;
			output = json_to_string(result, FALSE);
		}
		cases += N_PEOPLE;
		elapsed = g_get_monotonic_time() - begin;
	}
	return cases / (elapsed / (gdouble)G_USEC_PER_SEC);
}

/* The reference: one plain pass over every month of every case (no rules at all). */
static gdouble
read_rate(const Population *population, gint64 *checksum)
{
	gint64 begin = g_get_monotonic_time();
	gint64 elapsed = 0;
	guint64 cases = 0;

	while (elapsed < SECONDS * G_USEC_PER_SEC) {
		for (guint i = 0; i < N_PEOPLE; i++) {
			const PhBenefitInput *input = &population->input[i];
			for (guint m = 0; m < input->n_months; m++)
				*checksum += input->months[m].base ^ input->months[m].period;
		}
		cases += N_PEOPLE;
		elapsed = g_get_monotonic_time() - begin;
	}
	return cases / (elapsed / (gdouble)G_USEC_PER_SEC);
}

int
main(void)
{
	g_autofree PhPolicy *policy = g_new0(PhPolicy, 1);
	g_autofree Population *population = g_new0(Population, 1);
	g_autoptr(GRand) rand = g_rand_new_with_seed(42);
	g_autoptr(GError) error = NULL;
	gint64 checksum = 0;
	gdouble rolled, given, through_json, reference;
	guint64 months = 0;

	if (!ph_policy_file_load_national(ph_policy_file_dir(), policy, &error)) {
		g_printerr("bench-calc: %s\n", error->message);
		return 1;
	}
	sample_policy(policy);
	make_population(population, rand);
	for (guint i = 0; i < N_PEOPLE; i++)
		months += population->input[i].n_months;
	rolled = benefit_rate(policy, population, FALSE, &checksum);
	given = benefit_rate(policy, population, TRUE, &checksum);
	through_json = json_rate(policy, population);
	reference = read_rate(population, &checksum);
	if (rolled < 0 || given < 0 || through_json < 0) {
		g_printerr("bench-calc: a benefit case failed\n");
		return 1;
	}
	printf("calc benefit, in-process, one core, %u people, %.0f months each on average\n",
	       N_PEOPLE, (gdouble)months / N_PEOPLE);
	printf("  ours, accounts rolled from the months:  %10.0f cases/s\n", rolled);
	printf("  ours, account balances given:           %10.0f cases/s\n", given);
	printf("  target (issue 3 §7):                    %10.0f cases/s  %s\n", TARGET,
	       rolled >= TARGET && given >= TARGET ? "met" : "NOT MET");
	printf("  ours, JSON in and out (as calc does):   %10.0f cases/s\n", through_json);
	printf("  reference, one read of every month:     %10.0f cases/s\n", reference);
	printf("  (checksum %" G_GINT64_FORMAT ")\n", checksum);
	/* a figure, not a verdict: only a failed case makes the run fail */
	return 0;
}
