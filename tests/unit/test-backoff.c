/* Retry delays of the outbox and inbox: exponential ceiling, equal jitter, attempt limit. */
#include "ph-backoff.h"

/* initial 1 s, at most 8 s, 5 attempts (the shape of a typical partner topic) */
static const PhRetryPolicy policy = {1000, 8000, 5};

static void
test_backoff_ceiling(void)
{
	/* ceiling(n) = min(8000, 1000 * 2^(n-1)), worked by hand */
	const struct {
		guint attempt;
		guint64 ceiling_ms;
	} cases[] = {{1, 1000}, {2, 2000}, {3, 4000}, {4, 8000}, {5, 8000}, {40, 8000}};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
		g_assert_cmpuint(ph_backoff_ceiling_ms(&policy, cases[i].attempt), ==,
		                 cases[i].ceiling_ms);
}

static void
test_backoff_jitter_range(void)
{
	/* Equal jitter: every delay in [ceiling/2, ceiling], and not always the same. */
	guint64 lowest = G_MAXUINT64, highest = 0;
	for (guint i = 0; i < 2000; i++) {
		guint64 delay = ph_backoff_delay_ms(&policy, 3);
		g_assert_cmpuint(delay, >=, 2000);
		g_assert_cmpuint(delay, <=, 4000);
		lowest = MIN(lowest, delay);
		highest = MAX(highest, delay);
	}
	g_assert_cmpuint(lowest, <, highest);
}

static void
test_backoff_degenerate_policies(void)
{
	/* A zero initial delay still waits 1 ms; a maximum below the initial is raised to it. */
	const PhRetryPolicy zero = {0, 0, 1};
	const PhRetryPolicy inverted = {5000, 1000, 1};
	g_assert_cmpuint(ph_backoff_ceiling_ms(&zero, 3), ==, 1);
	g_assert_cmpuint(ph_backoff_delay_ms(&zero, 3), ==, 1);
	g_assert_cmpuint(ph_backoff_ceiling_ms(&inverted, 4), ==, 5000);
}

static void
test_backoff_exhausted(void)
{
	const PhRetryPolicy unlimited = {1000, 8000, 0};
	g_assert_false(ph_backoff_exhausted(&policy, 4));
	g_assert_true(ph_backoff_exhausted(&policy, 5));
	g_assert_false(ph_backoff_exhausted(&unlimited, 1000000));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/backoff/ceiling", test_backoff_ceiling);
	g_test_add_func("/backoff/jitter-range", test_backoff_jitter_range);
	g_test_add_func("/backoff/degenerate-policies", test_backoff_degenerate_policies);
	g_test_add_func("/backoff/exhausted", test_backoff_exhausted);
	return g_test_run();
}
