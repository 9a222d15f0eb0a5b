/* The months divisor D (计发月数) for an age in years and months. Pure; core and hub call
 * it. D is kept in tenths of a month so that the interpolated value is exact. */
#include "ph-months-divisor.h"

#include "ph-error.h"

static gboolean
table_entry(const PhPolicy *policy, gint age, gint32 *out, GError **error)
{
	if (age < 0 || age > PH_POLICY_MAX_AGE || policy->months_divisor[age] == 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "no months divisor (months_divisor) for age %d", age);
		return FALSE;
	}
	*out = policy->months_divisor[age];
	return TRUE;
}

/**
 * ph_months_divisor_tenths:
 * @tenths: (out): 10 × D
 *
 * D = D[a] for whole years; for a years and b > 0 months,
 * D = round to 0.1 of D[a] − (D[a] − D[a + 1]) × b / 12, that is
 * 10 × D = round((120 × D[a] − 10 × (D[a] − D[a + 1]) × b) / 12), halves away from zero.
 */
gboolean
ph_months_divisor_tenths(const PhPolicy *policy, gint years, gint months, gint32 *tenths,
                         GError **error)
{
	gint32 current = 0;
	gint32 next = 0;
	gint64 result = 0;

	g_return_val_if_fail(months >= 0 && months < 12, FALSE);
	if (!table_entry(policy, years, &current, error))
		return FALSE;
	if (months == 0) {
		*tenths = current * 10;
		return TRUE;
	}
	if (!table_entry(policy, years + 1, &next, error))
		return FALSE;
	ph_decimal_div_round((PhWide)120 * current - (PhWide)10 * (current - next) * months, 12,
	                     &result);
	if (result <= 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "months divisor for age %d years %d months is not positive", years,
		            months);
		return FALSE;
	}
	*tenths = (gint32)result;
	return TRUE;
}

/* "139" for whole months, "138.4" otherwise. */
gchar *
ph_months_divisor_to_string(gint32 tenths)
{
	if (tenths % 10 == 0)
		return g_strdup_printf("%d", tenths / 10);
	return g_strdup_printf("%d.%d", tenths / 10, tenths % 10);
}
