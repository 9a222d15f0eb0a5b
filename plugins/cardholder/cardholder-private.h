/* The cardholder adapter's shared state and its parts: lookups (cardholder-lookup.c) and
 * change notices (cardholder-notice.c). Plugin-internal. */
#pragma once

#include <pension-hub/pension-hub.h>

G_BEGIN_DECLS

#define CARDHOLDER_MAPPING_QUERY  "cardholder-query"
#define CARDHOLDER_MAPPING_ANSWER "cardholder-answer"
#define CARDHOLDER_MAPPING_NOTICE "cardholder-notice"
#define CARDHOLDER_KIND_NOTICE    "cardholder.notice"
#define CARDHOLDER_JOB_REFRESH    "cardholder.refresh"

typedef struct {
	PhPlugin *plugin;
	gchar *url;           /* the cardholder base's query endpoint, https://… */
	gchar *ca;            /* the only CA trusted for its server certificate */
	gchar *region;        /* AAB301 of the asking agency */
	gint64 ttl_seconds;   /* an answer is refreshed after this */
	gint64 retry_seconds; /* a failed lookup is tried again after this, doubling */
	guint connect_timeout_ms;
	guint timeout_ms;
	guint attempts;       /* tries per lookup before it counts as failed */
	guint retry_delay_ms; /* between those tries, doubling */
	guint batch;          /* lookups per refresh round */
	GHashTable *banks;    /* AAE008 bank code → the hub's bank name */
	GMutex lock;          /* the mappings below are used by one thread at a time */
	PhMapping *query_mapping;
	PhMapping *answer_mapping;
	PhMapping *notice_mapping;
} Cardholder;

/* The card of one record (A or N) of the answer or notice mappings; strings borrowed
 * from @record (and the bank name from @cardholder). */
void cardholder_card_from_record(Cardholder *cardholder, const PhRecord *record,
                                 PhCardholderCard *card);

/* Reads the single record of @kind from @body with @mapping; NULL with @error when the
 * document does not hold exactly one. Caller holds the lock. */
PhRecord *cardholder_read_one(PhMapping *mapping, GBytes *body, const gchar *source,
                              GError **error);

/* Asks the cardholder base about one person (with the configured tries) and fills @record
 * with its answer. */
gboolean cardholder_lookup(Cardholder *cardholder, const gchar *id_number, const gchar *name,
                           PhRecord *answer, GError **error);

/* The refresh job: looks up persons whose answer is missing or expired. */
void cardholder_refresh(gpointer state);

/* POST /cardholder/v1/notices (partner cardholder): stored in the inbox, then applied. */
void cardholder_notice_receive(PhRequest *request, gpointer state);
gboolean cardholder_notice_apply(PhTxn *txn, const PhInboxMessage *message, gpointer state,
                                 GError **error);

G_END_DECLS
