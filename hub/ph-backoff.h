/* Retry delays: exponential backoff with jitter under a PhRetryPolicy. Used by the outbox
 * dispatcher and the inbox processor. Host-only; pure except for the random source. */
#pragma once

#include <glib.h>

#include "pension-hub.h"

G_BEGIN_DECLS

/* The ceiling before jitter for the retry after failed attempt @attempt (1-based):
 * min(max_delay_ms, initial_delay_ms * 2^(attempt-1)). */
guint64
ph_backoff_ceiling_ms(const PhRetryPolicy *policy, guint attempt);

/* The delay to wait: "equal jitter", uniformly in [ceiling/2 rounded up,
 * ceiling], so retries of many
 * messages failing together spread out yet never come sooner than half the ceiling. */
guint64
ph_backoff_delay_ms(const PhRetryPolicy *policy, guint attempt);

/* TRUE when attempt @attempt was the last the policy allows (max_attempts 0: no limit). */
gboolean
ph_backoff_exhausted(const PhRetryPolicy *policy, guint attempt);

G_END_DECLS
