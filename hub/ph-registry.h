/* What the loaded plugins offer: HTTP routes, inbox handlers, outbox topics, scheduled
 * jobs and mappings. Filled by the SDK's ph_plugin_add_*() during a plugin's init, read by
 * the listener, the inbox processor, the outbox dispatcher and the scheduler. Host-only. */
#pragma once

#include <glib.h>

#include "pension-hub.h"

G_BEGIN_DECLS

typedef struct {
	PhPlugin *plugin;
	gchar *method;
	gchar *path_prefix;
	gchar **partners; /* allowed partner names */
	PhRouteHandler handler;
} PhRoute;

typedef struct {
	PhPlugin *plugin;
	gchar *kind;
	PhInboxHandler handler;
} PhInboxBinding;

typedef struct {
	PhPlugin *plugin;
	gchar *topic;
	PhRetryPolicy policy;
	PhDeliverFunc deliver;
} PhTopic;

typedef struct {
	PhPlugin *plugin;
	gchar *name;
	guint interval_seconds;
	PhJobFunc job;
} PhJob;

typedef struct {
	PhPlugin *plugin;
	gchar *event_type;
	gchar *topic;
} PhSubscription;

typedef struct _PhRegistry PhRegistry;

PhRegistry *
ph_registry_new(void);
void
ph_registry_free(PhRegistry *registry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhRegistry, ph_registry_free)

/* Each add fails with PH_ERROR_CONFLICT when another plugin already holds the same
 * route (method + prefix), inbox kind, topic or job name. */
gboolean
ph_registry_add_route(PhRegistry *registry, PhPlugin *plugin, const gchar *method,
		      const gchar *path_prefix, const gchar *const *partners,
		      PhRouteHandler handler, GError **error);
gboolean
ph_registry_add_inbox_handler(PhRegistry *registry, PhPlugin *plugin, const gchar *kind,
			      PhInboxHandler handler, GError **error);
gboolean
ph_registry_add_topic(PhRegistry *registry, PhPlugin *plugin, const gchar *topic,
		      const PhRetryPolicy *policy, PhDeliverFunc deliver, GError **error);
gboolean
ph_registry_add_job(PhRegistry *registry, PhPlugin *plugin, const gchar *name,
		    guint interval_seconds, PhJobFunc job, GError **error);

/* Fails with PH_ERROR_CONFLICT when (@event_type, @topic) is already subscribed. */
gboolean
ph_registry_add_subscription(PhRegistry *registry, PhPlugin *plugin, const gchar *event_type,
			     const gchar *topic, GError **error);

/* Forgets everything @plugin registered (its init failed, or it is unloaded). */
void
ph_registry_remove_plugin(PhRegistry *registry, PhPlugin *plugin);

/* The route whose method matches and whose prefix is the longest prefix of @path. The
 * pointers stay valid until the plugin is removed; lookups are thread-safe. */
const PhRoute *
ph_registry_find_route(PhRegistry *registry, const gchar *method, const gchar *path);
const PhInboxBinding *
ph_registry_find_inbox_handler(PhRegistry *registry, const gchar *kind);
const PhTopic *
ph_registry_find_topic(PhRegistry *registry, const gchar *topic);
/* A copy of the job list (elements owned by the registry). */
GPtrArray *
ph_registry_list_jobs(PhRegistry *registry);
/* A copy of the subscription list (elements owned by the registry). */
GPtrArray *
ph_registry_list_subscriptions(PhRegistry *registry);
/* Names of all registered topics (for metrics); free with g_strfreev. */
gchar **
ph_registry_list_topics(PhRegistry *registry);

G_END_DECLS
