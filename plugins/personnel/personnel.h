/* The personnel adapter's private declarations (profile PH-PERS-1): the plugin state, one
 * event as read from a batch, and the steps intake → check → apply → receipt. Plugin-only. */
#pragma once

#include <pension-hub/pension-hub.h>

G_BEGIN_DECLS

#define PERSONNEL_NAMESPACE "urn:pension-hub:personnel:1"
#define PERSONNEL_KIND      "personnel.batch"

typedef struct {
	PhPlugin *plugin;
	gchar *spool_dir;        /* raw batches, written by the host */
	gchar *drop_dir;         /* watched folder, NULL when none */
	guint chunk_events;      /* events per committed chunk */
	guint64 max_batch_bytes; /* files larger are refused */
	guint receipt_page;      /* events per receipt page at most */
	/* SFTP pickup from the personnel system's server; sftp.host NULL when none */
	PhSftpConfig sftp;
	gchar *sftp_folder;
	gchar *sftp_strings[4]; /* owned: host, user, private key, known_hosts */
} Personnel;

/* The elements an event may carry, by national code (and the profile's own names). */
typedef enum {
	PERSONNEL_AAB004,
	PERSONNEL_BAB010,
	PERSONNEL_AAB301,
	PERSONNEL_AAB019,
	PERSONNEL_FUNDING,
	PERSONNEL_AAC002,
	PERSONNEL_AAC003,
	PERSONNEL_AAC004,
	PERSONNEL_AAC005,
	PERSONNEL_AAC006,
	PERSONNEL_AAC007,
	PERSONNEL_WAGE,
	PERSONNEL_AAE200,
	PERSONNEL_DEEMED_INDEX,
	PERSONNEL_AIC161,
	PERSONNEL_OLD_METHOD_AMOUNT,
	PERSONNEL_AAE138,
	PERSONNEL_AAB001,
	PERSONNEL_AAE160,
	PERSONNEL_N_FIELDS
} PersonnelField;

typedef enum {
	PERSONNEL_UNIT,
	PERSONNEL_HIRE,
	PERSONNEL_WAGE_CHANGE,
	PERSONNEL_RETIRE,
	PERSONNEL_DEATH,
	PERSONNEL_MOVE,
	PERSONNEL_LEAVE,
	PERSONNEL_UNKNOWN_TYPE
} PersonnelType;

/* One event; strings live in the reader's chunk storage until personnel_reader_reset. */
typedef struct {
	gint64 seq;
	PersonnelType type;
	const gchar *type_text;
	const gchar *effective;
	const gchar *fields[PERSONNEL_N_FIELDS];
	guint line;
	const gchar *problem; /* a structural problem of this event (rejected), or NULL */
} PersonnelEvent;

/* ---- reading a batch (personnel-reader.c) ---- */
typedef struct _PersonnelReader PersonnelReader;

typedef struct {
	gchar *batch_id;  /* batchId */
	gchar *unit_code; /* AAB001 */
	gint64 events;
} PersonnelHeader;

void personnel_header_clear(PersonnelHeader *header);

PersonnelReader *personnel_reader_new(GInputStream *input, const gchar *source, guint64 max_bytes);
void personnel_reader_free(PersonnelReader *reader);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PersonnelReader, personnel_reader_free)
/* Reads the root element: PersonnelBatch in the profile's namespace with a batchId. */
gboolean personnel_reader_open(PersonnelReader *reader, PersonnelHeader *header, GError **error);
/* The next event (TRUE), or FALSE at the end (no error) or on a document error. Seqs must
 * increase through the document. */
gboolean personnel_reader_next(PersonnelReader *reader, PersonnelEvent *event, GError **error);
/* Frees the strings of the events read so far. */
void personnel_reader_reset(PersonnelReader *reader);
/* Hands over the strings of the events read so far (a new store takes their place). */
GStringChunk *personnel_reader_take_strings(PersonnelReader *reader);
/* The whole check before anything is applied: well-formed, the profile's shape, seqs
 * increasing; counts the events. */
gboolean personnel_reader_check(PersonnelReader *reader, PersonnelHeader *header, GError **error);

PersonnelType personnel_type_from_text(const gchar *text);
const gchar *personnel_field_name(PersonnelField field);

/* ---- reading ahead in a thread (personnel-feed.c) ---- */
typedef struct {
	GArray *events;        /* PersonnelEvent, seqs after the cursor */
	GStringChunk *strings; /* the events' strings */
	gboolean last;         /* the document ends after these */
	GError *error;         /* why reading stopped early (then last is set) */
} PersonnelFeedChunk;

typedef struct _PersonnelFeed PersonnelFeed;

/* Starts reading @input (a reference is taken) after seq @after_seq. */
PersonnelFeed *personnel_feed_start(GInputStream *input, const gchar *source, gint64 after_seq,
                                    guint chunk_events);
/* The next chunk (blocks until read); the last one has last set. */
PersonnelFeedChunk *personnel_feed_next(PersonnelFeed *feed);
void personnel_feed_chunk_free(PersonnelFeedChunk *chunk);
/* Stops the reader, waits for its thread and frees the feed. */
void personnel_feed_stop(PersonnelFeed *feed);

/* ---- checking one event (personnel-check.c) ---- */
typedef struct {
	const gchar *code; /* BAD_ID, UNKNOWN_PERSON, … (README) */
	gchar *message;
} PersonnelRejection;

void personnel_rejection_clear(PersonnelRejection *rejection);
/* The checks that need no database: required fields per type, forms, codes, ID check
 * digit and agreement. FALSE with @rejection filled when the event must be rejected, or
 * with @error (PH_ERROR_CONFIG: a code table cannot be loaded) when it cannot be checked. */
gboolean personnel_check_event(Personnel *personnel, const PersonnelEvent *event,
                               PersonnelRejection *rejection, GError **error);
/* Yuan with at most two decimals ("7500.00") to fen. */
gboolean personnel_parse_money(const gchar *text, gint64 *fen);
/* The person (AAC002) or unit ("unit:AAB001") an event is about, for dependencies; a
 * rejection stores it keyed (a person by ph_personnel_result_subject(): personnel-process.c). */
gchar *personnel_event_subject(const PersonnelEvent *event, const gchar *batch_unit);

/* ---- applying (personnel-apply.c) ---- */
/* Runs the event's core command in @txn. TRUE with *@duplicate, or FALSE: with
 * @rejection filled for an event the core refused, or with @error for a failure of the
 * chunk (database), which must then be rolled back. */
gboolean personnel_apply_event(Personnel *personnel, PhTxn *txn, const PersonnelEvent *event,
                               const gchar *batch_unit, gboolean *duplicate,
                               PersonnelRejection *rejection, GError **error);
/* Sorts a core error into a rejection (TRUE) or a chunk failure (FALSE). */
gboolean personnel_apply_classify(const GError *failure, PersonnelRejection *rejection);
void personnel_apply_hire_request(const PersonnelEvent *event, const gchar *batch_unit,
                                  PhEnrolRequest *request);

/* ---- one chunk: its events' effects, results and the cursor in one transaction
 * (personnel-process.c) ---- */
typedef struct _PersonnelChunk PersonnelChunk;

/* Where a chunk's time goes (microseconds), summed over a batch for its log line: where
 * the ingest waits is what decides what to speed up. */
typedef enum {
	PERSONNEL_PHASE_WAIT_START,  /* for the chunk ahead to commit, before starting */
	PERSONNEL_PHASE_EVENTS,      /* checks and core commands other than bulk HIREs */
	PERSONNEL_PHASE_HIRES,       /* bulk HIREs: checks, COPY, key maintenance */
	PERSONNEL_PHASE_RESULTS,     /* COPY of the per-event results */
	PERSONNEL_PHASE_WAIT_COMMIT, /* for the chunk ahead to commit, before committing */
	PERSONNEL_PHASE_COMMIT,      /* cursor and commit */
	PERSONNEL_PHASES
} PersonnelPhase;

/* @rejected (subject → first rejected seq) is the batch's, shared under @rejected_lock. */
PersonnelChunk *personnel_chunk_new(Personnel *personnel, PhPersonnelBatch *batch,
                                    GHashTable *rejected, GMutex *rejected_lock);
/* Rolls back what was not committed. */
void personnel_chunk_free(PersonnelChunk *chunk);
/* Applies @events and writes their results in a transaction of the calling thread, left
 * open for personnel_chunk_commit. */
gboolean personnel_chunk_apply(PersonnelChunk *chunk, GArray *events, GError **error);
/* Advances the batch's cursor past the chunk (@done: the batch is finished) and commits. */
gboolean personnel_chunk_commit(PersonnelChunk *chunk, gboolean done, GError **error);
/* Counts the time from @since (g_get_monotonic_time) to now against @phase. */
void personnel_chunk_spent(PersonnelChunk *chunk, PersonnelPhase phase, gint64 since);
/* Adds the chunk's time per phase to @spent. */
void personnel_chunk_add_spent(const PersonnelChunk *chunk, gint64 spent[PERSONNEL_PHASES]);

/* ---- applying a batch's chunks two at a time (personnel-lane.c) ---- */
typedef struct _PersonnelLanes PersonnelLanes;

PersonnelLanes *personnel_lanes_start(Personnel *personnel, PhPersonnelBatch *batch,
                                      GHashTable *rejected);
/* Hands @chunk (taken) to a lane; FALSE once a chunk failed (nothing more is taken). */
gboolean personnel_lanes_push(PersonnelLanes *lanes, PersonnelFeedChunk *chunk);
/* Waits for the lanes to apply what they took and stops them; FALSE with the first
 * failure. */
gboolean personnel_lanes_finish(PersonnelLanes *lanes, GError **error);

/* ---- processing (personnel-process.c) ---- */
/* The job: processes due batches, each in chunks, until none is due. */
void personnel_process_job(gpointer state);

/* ---- intake and receipts (personnel-intake.c, personnel-receipt.c) ---- */
gboolean personnel_intake_register(Personnel *personnel, GError **error);
PhAnswer *personnel_intake_store(Personnel *personnel, const gchar *partner, PhSpoolFile *file,
                                 const gchar *name, gboolean *duplicate, GError **error);
/* The jobs polling the watched folder and the SFTP outbox (personnel-pickup.c). */
void personnel_pickup_drop_job(gpointer state);
void personnel_pickup_sftp_job(gpointer state);
/* The hub's batch id for these bytes (from their SHA-256). */
gchar *personnel_batch_id(const gchar *partner, const gchar *sha256);
void personnel_receipt_get(PhRequest *request, gpointer state);
/* JSON helpers: a string literal (or null), an answer, an error answer. */
void personnel_json_string(GString *json, const gchar *text);
void personnel_respond_json(PhRequest *request, guint status, const gchar *json);
void personnel_respond_error(PhRequest *request, guint status, const gchar *message);

G_END_DECLS
