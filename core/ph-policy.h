/* Policy parameters as data: the national defaults, provincial overrides by effective
 * date and per-case overrides, all as one PhPolicy value. Pure (JSON objects in, no files);
 * ph-policy-file.c reads the files. Core and hub may call it. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "ph-decimal.h"
#include "ph-period.h"

G_BEGIN_DECLS

/* Year-indexed tables cover these calendar years. */
#define PH_POLICY_FIRST_YEAR      1990
#define PH_POLICY_LAST_YEAR       2100
#define PH_POLICY_YEARS           (PH_POLICY_LAST_YEAR - PH_POLICY_FIRST_YEAR + 1)
#define PH_POLICY_MAX_AGE         100
#define PH_POLICY_MAX_DATED       16
#define PH_POLICY_MAX_BANDS       8
#define PH_POLICY_MAX_ADJUSTMENTS 16

/* Sanity limits that keep every product inside 128 bits (docs/rules.md, "overflow"). */
#define PH_MONEY_MAX_BASE    G_GINT64_CONSTANT(100000000)     /* 10^8 fen a month */
#define PH_MONEY_MAX_BALANCE G_GINT64_CONSTANT(1000000000000) /* 10^12 fen */

typedef enum {
	PH_INTEREST_MONTHLY, /* 月积数法 */
	PH_INTEREST_ANNUAL,  /* 年度计算法 */
} PhInterestMethod;

typedef enum {
	PH_TRANSITION_PATTERN_NONE,
	PH_TRANSITION_PATTERN_A, /* C × Zd × Nd × k */
	PH_TRANSITION_PATTERN_B, /* C × (1 + Z) / 2 × Nd × k */
} PhTransitionPattern;

/* A rate per calendar year; present[i] says whether year FIRST_YEAR + i has one. */
typedef struct {
	PhDecimal rate[PH_POLICY_YEARS];
	guint8 present[PH_POLICY_YEARS];
} PhYearRates;

/* A rate in force from a month on (employer rate schedule). */
typedef struct {
	PhPeriod from;
	PhDecimal rate;
} PhDatedRate;

typedef struct {
	gint min_age;
	gint64 amount;
} PhAgeBand;

/* One annual adjustment (RULES §6): applies from @effective to people whose benefit
 * started before @started_before. */
typedef struct {
	PhPeriod effective;
	PhPeriod started_before;
	gint64 fixed;
	PhDecimal basic_share;
	gint64 per_year;
	guint n_bands;
	PhAgeBand band[PH_POLICY_MAX_BANDS];
} PhAdjustmentRule;

typedef struct {
	PhPeriod reform_start;
	guint n_employer_rates;
	PhDatedRate employer_rate[PH_POLICY_MAX_DATED];
	PhDecimal individual_rate;
	PhDecimal annuity_employer_rate;
	PhDecimal annuity_individual_rate;
	PhDecimal base_lower_ratio;
	PhDecimal base_upper_ratio;
	gint64 avg_wage_monthly[PH_POLICY_YEARS];     /* 0: not published */
	gint64 pension_base_monthly[PH_POLICY_YEARS]; /* 0: not published */
	PhYearRates interest_rates;
	PhYearRates annuity_rates;
	gboolean annuity_rates_set; /* otherwise the annuity uses interest_rates */
	PhInterestMethod interest_method;
	PhDecimal annual_method_factor;
	gboolean has_transition_coefficient;
	PhDecimal transition_coefficient;
	PhTransitionPattern transition_pattern;
	PhPeriod transition_from;
	PhPeriod transition_to;
	PhYearRates transition_shares;
	gint32 months_divisor[PH_POLICY_MAX_AGE + 1]; /* 0: no entry */
	gint minimum_months;
	PhDecimal transfer_pooled_rate;
	gint64 funeral_grant;
	gint64 survivor_benefit;
	guint n_adjustments;
	PhAdjustmentRule adjustment[PH_POLICY_MAX_ADJUSTMENTS];
} PhPolicy;

void
ph_policy_init(PhPolicy *policy);
gboolean
ph_policy_apply_json(PhPolicy *policy, JsonObject *object, const gchar *path, gchar **field,
                     GError **error);
JsonNode *
ph_policy_to_json(const PhPolicy *policy);

gboolean
ph_policy_avg_wage(const PhPolicy *policy, gint year, gint64 *out, GError **error);
gboolean
ph_policy_pension_base(const PhPolicy *policy, gint year, gint64 *out, GError **error);
gboolean
ph_policy_employer_rate(const PhPolicy *policy, PhPeriod period, PhDecimal *out, GError **error);
gboolean
ph_policy_year_rate(const PhYearRates *rates, gint year, PhDecimal *out, gboolean *provisional);
const PhYearRates *
ph_policy_annuity_rates(const PhPolicy *policy);
gboolean
ph_policy_in_transition(const PhPolicy *policy, PhPeriod start);

G_END_DECLS
