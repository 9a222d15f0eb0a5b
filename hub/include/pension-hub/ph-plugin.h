/* The plugin SDK: what a partner adapter (a GModule in the plugin directory) exports and
 * what it may ask of the host. Plugins include <pension-hub/pension-hub.h> only.
 * A plugin never opens a database connection, a socket or a file of its own. GLib only. */
#pragma once

#include <glib.h>
#include <gmodule.h>

#include "ph-error.h"

G_BEGIN_DECLS

/* Bump when any structure or function below changes incompatibly. */
#define PH_PLUGIN_ABI_VERSION 1

typedef struct _PhPlugin PhPlugin;   /* the host's handle for one loaded plugin */
typedef struct _PhRequest PhRequest; /* one HTTP request on the partner listener */
typedef struct _PhTxn PhTxn;         /* one open database transaction of the host */

/**
 * PhPluginDescriptor:
 * @abi_version: %PH_PLUGIN_ABI_VERSION at the plugin's build
 * @name: short lowercase name, unique among loaded plugins; also the config group
 *   `[plugin NAME]` and the log domain `ph-NAME`
 * @version: the plugin's own version
 * @summary: one line saying what partner it connects
 * @init: registers routes, topics, jobs and mappings; returns the plugin's state
 *   (may be %NULL) or sets @error, and the host then keeps running without the plugin
 * @shutdown: frees the state returned by @init (may be %NULL)
 */
typedef struct {
	guint32 abi_version;
	const gchar *name;
	const gchar *version;
	const gchar *summary;
	gpointer (*init)(PhPlugin *plugin, GError **error);
	void (*shutdown)(gpointer state);
} PhPluginDescriptor;

/* The name-derived entry point: `ph_plugin_<name>_describe`, e.g.
 * PH_PLUGIN_DEFINE(bank, "1.0.0", "payout banks over SFTP", bank_init, bank_shutdown) */
#define PH_PLUGIN_DEFINE(name_, version_, summary_, init_, shutdown_)                     \
	G_MODULE_EXPORT const PhPluginDescriptor *ph_plugin_##name_##_describe(void);      \
	G_MODULE_EXPORT const PhPluginDescriptor *ph_plugin_##name_##_describe(void)       \
	{                                                                                   \
		static const PhPluginDescriptor descriptor = {                             \
		    PH_PLUGIN_ABI_VERSION, #name_, version_, summary_, init_, shutdown_};   \
		return &descriptor;                                                         \
	}

/* ---- configuration: the plugin's own group `[plugin NAME]` of the hub's key file ----
 * Every key in the group must be read in init; a key nobody read is reported as
 * unknown (naming file, group and key) and the plugin is refused. */
gchar *
ph_plugin_config_get_string(PhPlugin *plugin, const gchar *key, const gchar *fallback,
			    GError **error);
gint64
ph_plugin_config_get_int(PhPlugin *plugin, const gchar *key, gint64 fallback, GError **error);
/* The same kept within @min … @max: FALSE with PH_ERROR_CONFIG naming file, group and key
 * when the value is not a whole number or out of range. */
gboolean
ph_plugin_config_get_range(PhPlugin *plugin, const gchar *key, gint64 fallback, gint64 min,
			   gint64 max, gint64 *value, GError **error);
gboolean
ph_plugin_config_get_boolean(PhPlugin *plugin, const gchar *key, gboolean fallback,
			     GError **error);
/* A path from the config, made absolute against the config file's folder. */
gchar *
ph_plugin_config_get_path(PhPlugin *plugin, const gchar *key, const gchar *fallback,
			  GError **error);

/* ---- HTTP routes on the partner listener ----
 * The handler runs in a worker thread, may block, and must set a status. Only partners
 * named in @partners (NULL-terminated) reach it; others get 403 from the host. */
typedef void (*PhRouteHandler)(PhRequest *request, gpointer state);

gboolean
ph_plugin_add_route(PhPlugin *plugin, const gchar *method, const gchar *path_prefix,
		    const gchar *const *partners, PhRouteHandler handler, GError **error);

const gchar *
ph_request_get_method(PhRequest *request);
const gchar *
ph_request_get_path(PhRequest *request);
/* The partner name the client certificate maps to. */
const gchar *
ph_request_get_partner(PhRequest *request);
const gchar *
ph_request_get_header(PhRequest *request, const gchar *name);
GBytes *
ph_request_get_body(PhRequest *request);
void
ph_request_respond(PhRequest *request, guint status, const gchar *content_type, GBytes *body);

/* ---- inbox: every inbound message is stored before it is answered ----
 * Stores (partner, message id, bytes) for @kind. On a first arrival the host answers
 * with @answer and queues the message for the kind's handler; on a repeat with the same
 * bytes it returns the first answer and sets @duplicate; with other bytes it fails with
 * PH_ERROR_CONFLICT. The returned answer is the stored one (status and body). */
typedef struct {
	guint status;
	gchar *content_type;
	GBytes *body;
} PhAnswer;

void
ph_answer_free(PhAnswer *answer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhAnswer, ph_answer_free)

PhAnswer *
ph_request_store_inbox(PhRequest *request, const gchar *kind, const gchar *message_id,
		       const PhAnswer *answer, gboolean *duplicate, GError **error);

/* Records a message refused before it could be stored (bad signature, stale, not for us)
 * with the request's bytes, its partner, @kind (may be NULL) and @reason, so that every
 * refusal can be audited. Commits on its own. */
gboolean
ph_request_record_refusal(PhRequest *request, const gchar *kind, const gchar *reason,
			  GError **error);

typedef struct {
	gint64 id;
	const gchar *partner;
	const gchar *kind;
	const gchar *message_id;
	GBytes *body;
	gint64 received_at; /* unix microseconds */
} PhInboxMessage;

/* Applies the message's effects inside @txn; the host marks the inbox row processed in
 * the same transaction and commits. An error with PH_ERROR_INVALID_INPUT or
 * PH_ERROR_PERMANENT marks the message failed (kept, with the reason); any other error
 * rolls back and the message is tried again later. */
typedef gboolean (*PhInboxHandler)(PhTxn *txn, const PhInboxMessage *message, gpointer state,
				   GError **error);

gboolean
ph_plugin_add_inbox_handler(PhPlugin *plugin, const gchar *kind, PhInboxHandler handler,
			    GError **error);

/* ---- outbox: every message to a partner leaves through it ---- */
typedef struct {
	guint initial_delay_ms; /* first retry after this, then doubling with jitter */
	guint max_delay_ms;
	guint max_attempts; /* then the row moves to dead letters with its last error */
} PhRetryPolicy;

typedef struct {
	gint64 id;
	const gchar *topic;
	const gchar *key; /* business key, e.g. a batch or case id */
	GBytes *payload;
	guint attempt; /* 1 on the first delivery */
} PhOutboxMessage;

/* Delivers one message to the partner; runs in a worker thread and may block.
 * FALSE with PH_ERROR_PERMANENT dead-letters at once; any other error is retried. */
typedef gboolean (*PhDeliverFunc)(const PhOutboxMessage *message, gpointer state,
				  GError **error);

gboolean
ph_plugin_add_topic(PhPlugin *plugin, const gchar *topic, const PhRetryPolicy *policy,
		    PhDeliverFunc deliver, GError **error);

/* Queues a message in the same transaction as the change that causes it. */
gboolean
ph_txn_outbox_add(PhTxn *txn, const gchar *topic, const gchar *key, GBytes *payload,
		  GError **error);

/* ---- core events (retired, died, enrolment_ended, transfer_amounts, payout_due, …) ----
 * Every event of @event_type that the core records from now on is queued on @topic (one
 * of this plugin's own topics) in the same transaction as the command that caused it, so
 * none is lost or queued twice. The payload is JSON: {"event_id", "type", "business_key",
 * "person_id", "payload", "created_at"}; the outbox key is "TYPE:BUSINESS_KEY". A
 * subscription stays in the database while the plugin is not loaded: events then wait in
 * the outbox for its return. See docs/plugin-guide.md. */
gboolean
ph_plugin_subscribe(PhPlugin *plugin, const gchar *event_type, const gchar *topic,
		    GError **error);

/* ---- scheduled jobs (polls) ----
 * Run in a worker thread every @interval_seconds, never two at once for one job. */
typedef void (*PhJobFunc)(gpointer state);

gboolean
ph_plugin_add_job(PhPlugin *plugin, const gchar *name, guint interval_seconds, PhJobFunc job,
		  GError **error);

/* ---- mappings the plugin uses (checked at load; see docs/mappings.md) ---- */
gboolean
ph_plugin_use_mapping(PhPlugin *plugin, const gchar *mapping_name, GError **error);

/* ---- private key-value state, kept in the hub's database ---- */
GBytes *
ph_plugin_state_get(PhPlugin *plugin, const gchar *key, GError **error);
gboolean
ph_plugin_state_set(PhPlugin *plugin, const gchar *key, GBytes *value, GError **error);
/* The same inside a transaction the plugin was handed. */
GBytes *
ph_txn_state_get(PhTxn *txn, const gchar *key, GError **error);
gboolean
ph_txn_state_set(PhTxn *txn, const gchar *key, GBytes *value, GError **error);

const gchar *
ph_plugin_get_name(PhPlugin *plugin);

G_END_DECLS
