/* The durable inbox: every inbound message is stored before it is answered, deduplicated
 * on (partner, message id), then processed once by its kind's handler in the transaction
 * that marks it processed. Host-only (listener, transports, dispatcher, pensionctl). */
#pragma once

#include <glib.h>

#include "pension-hub.h"
#include "ph-db.h"
#include "ph-registry.h"

G_BEGIN_DECLS

typedef struct {
	gint64 id;
	gchar *partner;
	gchar *kind;
	gchar *message_id;
	gint64 body_size;
	GBytes *body;       /* NULL in ph_inbox_list() results */
	gchar *digest;      /* lowercase hex SHA-256 of the body */
	gchar *received_at; /* ISO 8601 UTC */
	gchar *state;       /* "pending", "processed" or "failed" */
	guint attempts;
	gchar *last_error;   /* NULL when none */
	gchar *processed_at; /* NULL until processed or failed */
	guint answer_status;
	gchar *answer_content_type;
	GBytes *answer_body; /* NULL in list results */
} PhInboxRecord;

void
ph_inbox_record_free(PhInboxRecord *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhInboxRecord, ph_inbox_record_free)

/* Stores a message and the answer to give. A first arrival returns a copy of @answer; the
 * same (partner, message id) with the same kind and bytes returns the answer stored at
 * the first arrival and sets @duplicate; other bytes fail with PH_ERROR_CONFLICT.
 * @id (may be NULL) receives the inbox row id. The row and its audit entry are written by
 * one statement: committed by itself when @db has no transaction open, else in that one. */
PhAnswer *
ph_inbox_store(PhDb *db, const gchar *partner, const gchar *kind, const gchar *message_id,
	       GBytes *body, const PhAnswer *answer, gboolean *duplicate, gint64 *id,
	       GError **error);

/* Records a refused inbound message with its bytes and the reason; @partner and @kind
 * may be NULL when not known. */
gboolean
ph_inbox_record_refusal(PhDb *db, const gchar *partner, const gchar *kind, GBytes *body,
			const gchar *reason, GError **error);

typedef struct {
	guint64 processed; /* handler succeeded, row marked processed */
	guint64 failed;    /* handler refused it for good (invalid input, permanent) */
	guint64 retried;   /* handler failed otherwise; rolled back, tried again later */
} PhInboxCounts;

/* Claims up to @limit due pending messages and processes them in one transaction, each
 * inside its own savepoint; adds to @counts (may be NULL) once that transaction committed
 * and sets @handled (may be NULL) to the number claimed (0: nothing was due). A message
 * whose kind has no handler stays pending and is looked at again a minute later. Fails
 * only when the database fails; then nothing of the batch is kept and it stays pending. */
gboolean
ph_inbox_process(PhDb *db, PhRegistry *registry, guint limit, PhInboxCounts *counts, guint *handled,
		 GError **error);

/* The newest @limit rows (PhInboxRecord, bodies not loaded), optionally only in @state. */
GPtrArray *
ph_inbox_list(PhDb *db, const gchar *state, guint limit, GError **error);

/* One row with its body and answer, or PH_ERROR_NOT_FOUND. */
PhInboxRecord *
ph_inbox_show(PhDb *db, gint64 id, GError **error);

G_END_DECLS
