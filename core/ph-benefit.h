/* The benefit at retirement (待遇核定, RULES §3): eligibility, indexes, the four new-method
 * components and the transition-period comparison. Pure; core and hub call it. */
#pragma once

#include <glib.h>

#include "ph-account.h"
#include "ph-month-table.h"
#include "ph-policy.h"

G_BEGIN_DECLS

typedef struct {
	PhPeriod birth;
	PhPeriod start;            /* S, the benefit start month ("retire") */
	gint deemed_months;        /* Md */
	gint32 deemed_index;       /* 10^4 × Zd */
	const PhMonthBase *months; /* every actual contribution month, any order */
	guint n_months;
	gboolean has_account_balance;
	gint64 account_balance; /* else rolled from the months to S */
	PhAccountOpening account_opening;
	gboolean has_annuity_balance;
	gint64 annuity_balance; /* else rolled from the months to S */
	gboolean has_old_method_amount;
	gint64 old_method_amount; /* O, required when S is in the transition period */
} PhBenefitInput;

typedef struct {
	gboolean eligible;
	gchar reason[96]; /* why not eligible; empty when eligible */
	gint age_years;
	gint age_months;
	gint deemed_months;
	gint actual_months;
	gint total_months;
	gint32 index_deemed;   /* 10^4 × Zd */
	gint32 index_actual;   /* 10^4 × Za */
	gint32 index_average;  /* 10^4 × Z */
	gint32 months_divisor; /* 10 × D; 0 when not eligible */
	gint64 account_balance;
	gint64 annuity_balance;
	gboolean interest_provisional;
	gint64 basic;
	gint64 individual_account;
	gint64 transitional;
	gint64 annuity;
	gint64 new_method_total;
	gboolean transition_applies;
	gint64 old_method_amount;
	PhDecimal share;      /* s; valid when transition_applies */
	gint64 adjustment;    /* paid − new_method_total */
	gint64 monthly_total; /* paid */
} PhBenefit;

gboolean
ph_benefit_compute(const PhPolicy *policy, const PhBenefitInput *input, PhBenefit *out,
                   gchar **field, GError **error);
gboolean
ph_benefit_transition(const PhPolicy *policy, PhPeriod start, gint64 new_method_total,
                      gint64 old_method_amount, PhBenefit *out, GError **error);

G_END_DECLS
