/* The durable outbox: messages to partners, written in the transaction of the change that
 * causes them, claimed in leased batches, delivered by their topic's plugin, retried with
 * backoff, dead-lettered when they run out of attempts. Host-only (txn, dispatcher,
 * pensionctl). Design: docs/store.md. */
#pragma once

#include <glib.h>

#include "pension-hub.h"
#include "ph-db.h"

G_BEGIN_DECLS

/* Queues a message; call inside the caller's transaction. @key may be NULL; @id (may be
 * NULL) receives the row id. */
gboolean
ph_outbox_add(PhDb *db, const gchar *topic, const gchar *key, GBytes *payload, gint64 *id,
	      GError **error);

typedef enum {
	PH_OUTBOX_OUTCOME_NONE, /* not settled: released unchanged by finish */
	PH_OUTBOX_OUTCOME_DELIVERED,
	PH_OUTBOX_OUTCOME_RETRY, /* pending again after delay_ms */
	PH_OUTBOX_OUTCOME_DEAD,  /* moved to dead letters */
} PhOutboxOutcome;

typedef struct {
	PhOutboxMessage message; /* what the deliver function gets; strings owned here */
	PhOutboxOutcome outcome;
	guint64 delay_ms;
	gchar *error; /* the delivery error, for RETRY and DEAD */
} PhOutboxItem;

typedef struct {
	gchar *token;      /* the lease token stamped on every claimed row */
	gint64 lease_ends; /* monotonic µs; the database's lease started a little earlier */
	guint lease_seconds;
	GPtrArray *items; /* PhOutboxItem */
} PhOutboxBatch;

void
ph_outbox_batch_free(PhOutboxBatch *batch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhOutboxBatch, ph_outbox_batch_free)

/* Leases up to @limit due pending rows of @topics (NULL-terminated; rows of other topics
 * are never claimed, so a topic without a deliverer keeps its rows pending). Each claimed
 * row's attempt count goes up by one and it stays invisible to other claims for
 * @lease_seconds. Commits on its own. Returns an empty batch when nothing is due. */
PhOutboxBatch *
ph_outbox_claim(PhDb *db, const gchar *const *topics, guint limit, guint lease_seconds,
		GError **error);

/* TRUE while at least half the lease is left: a delivery started later might outlive the
 * lease, so the dispatcher stops there and finish hands the rest back. */
gboolean
ph_outbox_batch_may_deliver(PhOutboxBatch *batch);

void
ph_outbox_item_delivered(PhOutboxItem *item);
/* Retry after a backoff delay, or dead-letter when @delivery_error is PH_ERROR_PERMANENT
 * or the policy's attempts are used up. */
void
ph_outbox_item_failed(PhOutboxItem *item, const PhRetryPolicy *policy,
		      const GError *delivery_error);

/* Records every item's outcome in one transaction, only for rows still leased with the
 * batch's token, so calling it again after a lost reply changes nothing. */
gboolean
ph_outbox_finish(PhDb *db, PhOutboxBatch *batch, GError **error);

typedef struct {
	gint64 id;
	gchar *topic;
	gchar *key;
	gint64 payload_size;
	GBytes *payload; /* NULL in list results */
	gchar *state;    /* "pending", "delivered" or "dead" */
	guint attempts;
	gchar *created_at;      /* ISO 8601 UTC */
	gchar *next_attempt_at; /* pending only, else NULL */
	gchar *finished_at;     /* delivered_at or dead_at, else NULL */
	gchar *last_error;
} PhOutboxRecord;

void
ph_outbox_record_free(PhOutboxRecord *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhOutboxRecord, ph_outbox_record_free)

/* The newest @limit messages (PhOutboxRecord without payloads) of the outbox and dead
 * letters; @state ("pending", "delivered", "dead") and @topic may be NULL for all. */
GPtrArray *
ph_outbox_list(PhDb *db, const gchar *state, const gchar *topic, guint limit, GError **error);

/* One message with its payload, from the outbox or dead letters; PH_ERROR_NOT_FOUND. */
PhOutboxRecord *
ph_outbox_show(PhDb *db, gint64 id, GError **error);

/* A dead letter goes back to the outbox with its attempts reset; a pending row becomes due
 * now. PH_ERROR_CONFLICT when it is delivered or being delivered, NOT_FOUND if unknown. */
gboolean
ph_outbox_retry(PhDb *db, gint64 id, GError **error);

/* Every dead letter (of @topic, or all when NULL) back to the outbox; @count (may be
 * NULL) receives how many. */
gboolean
ph_outbox_retry_dead(PhDb *db, const gchar *topic, guint *count, GError **error);

/* Pending rows per topic (topic → gint64 *), e.g. to warn about topics nobody delivers. */
GHashTable *
ph_outbox_count_pending(PhDb *db, GError **error);

G_END_DECLS
