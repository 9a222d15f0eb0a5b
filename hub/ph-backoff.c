/* Exponential backoff with equal jitter. Host-only. */
#include "ph-backoff.h"

guint64
ph_backoff_ceiling_ms(const PhRetryPolicy *policy, guint attempt)
{
	guint64 delay = MAX(policy->initial_delay_ms, 1);
	guint64 limit = MAX(policy->max_delay_ms, delay);
	/* Doubling stops at the limit, so no shift ever overflows. */
	for (guint i = 1; i < attempt && delay < limit; i++)
		delay *= 2;
	return MIN(delay, limit);
}

guint64
ph_backoff_delay_ms(const PhRetryPolicy *policy, guint attempt)
{
	guint64 ceiling = ph_backoff_ceiling_ms(policy, attempt);
	/* Rounded up, so that a delay is never 0 ms (a ceiling of 1 ms stays 1 ms). */
	guint64 half = (ceiling + 1) / 2;
	/* g_random_double would do, but integers keep the arithmetic exact. */
	guint64 spread = ((guint64)g_random_int() << 32 | g_random_int()) % (ceiling - half + 1);
	return half + spread;
}

gboolean
ph_backoff_exhausted(const PhRetryPolicy *policy, guint attempt)
{
	return policy->max_attempts != 0 && attempt >= policy->max_attempts;
}
