/* Rolling an individual account or an occupational annuity account to a closing month
 * with interest (RULES §2), monthly or annual method. Pure; core and hub call it. */
#pragma once

#include <glib.h>

#include "ph-month-table.h"
#include "ph-policy.h"

G_BEGIN_DECLS

typedef enum {
	PH_ACCOUNT_INDIVIDUAL, /* interest_rates */
	PH_ACCOUNT_ANNUITY,    /* annuity_rates, else interest_rates */
} PhAccountKind;

/* A balance B at the end of @year (account_opening); credits up to that year are in it. */
typedef struct {
	gboolean present;
	gint year;
	gint64 balance;
} PhAccountOpening;

typedef struct {
	gint64 balance;       /* at the closing month */
	gint64 credited;      /* credits rolled in after the opening */
	gint64 interest;      /* Σ i1 + i2 */
	gboolean provisional; /* a year's rate was missing and an earlier one used */
} PhAccountRoll;

gboolean
ph_account_roll(const PhPolicy *policy, PhAccountKind kind, const PhMonthTable *credits,
                const PhAccountOpening *opening, PhPeriod close, PhAccountRoll *out,
                GError **error);
gboolean
ph_account_roll_bases(const PhPolicy *policy, PhAccountKind kind, const PhMonthTable *bases,
                      const PhAccountOpening *opening, PhPeriod close, PhAccountRoll *out,
                      GError **error);
gboolean
ph_account_year_interest(const PhPolicy *policy, PhDecimal rate, gint64 balance,
                         const gint64 credit[12], gint k, gint64 *interest, GError **error);

G_END_DECLS
