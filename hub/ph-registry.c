/* Registry of what plugins offer, keyed for lookup by the host's dispatching layers.
 * Written during start-up (plugin init) and read from worker threads, so a mutex guards
 * it; entries are freed only when their plugin is removed. */
#include "ph-registry.h"

#include <string.h>

struct _PhRegistry {
	GMutex lock;
	GPtrArray *routes;          /* PhRoute */
	GHashTable *inbox_handlers; /* kind → PhInboxBinding */
	GHashTable *topics;         /* topic → PhTopic */
	GHashTable *jobs;           /* name → PhJob */
	GPtrArray *subscriptions;   /* PhSubscription */
};

static void
ph_registry_route_free(PhRoute *route)
{
	g_free(route->method);
	g_free(route->path_prefix);
	g_strfreev(route->partners);
	g_free(route);
}

static void
ph_registry_inbox_binding_free(PhInboxBinding *binding)
{
	g_free(binding->kind);
	g_free(binding);
}

static void
ph_registry_topic_free(PhTopic *topic)
{
	g_free(topic->topic);
	g_free(topic);
}

static void
ph_registry_job_free(PhJob *job)
{
	g_free(job->name);
	g_free(job);
}

static void
ph_registry_subscription_free(PhSubscription *subscription)
{
	g_free(subscription->event_type);
	g_free(subscription->topic);
	g_free(subscription);
}

PhRegistry *
ph_registry_new(void)
{
	PhRegistry *registry = g_new0(PhRegistry, 1);
	g_mutex_init(&registry->lock);
	registry->routes = g_ptr_array_new_with_free_func((GDestroyNotify)ph_registry_route_free);
	registry->inbox_handlers = g_hash_table_new_full(
	    g_str_hash, g_str_equal, NULL, (GDestroyNotify)ph_registry_inbox_binding_free);
	registry->topics = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
						 (GDestroyNotify)ph_registry_topic_free);
	registry->jobs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					       (GDestroyNotify)ph_registry_job_free);
	registry->subscriptions =
	    g_ptr_array_new_with_free_func((GDestroyNotify)ph_registry_subscription_free);
	return registry;
}

void
ph_registry_free(PhRegistry *registry)
{
	if (registry == NULL)
		return;
	g_ptr_array_unref(registry->routes);
	g_hash_table_unref(registry->inbox_handlers);
	g_hash_table_unref(registry->topics);
	g_hash_table_unref(registry->jobs);
	g_ptr_array_unref(registry->subscriptions);
	g_mutex_clear(&registry->lock);
	g_free(registry);
}

static gboolean
ph_registry_refuse_taken(const gchar *what, const gchar *name, GError **error)
{
	g_set_error(error, PH_ERROR, PH_ERROR_CONFLICT, "%s '%s' is already registered by another plugin",
		    what, name);
	return FALSE;
}

gboolean
ph_registry_add_route(PhRegistry *registry, PhPlugin *plugin, const gchar *method,
		      const gchar *path_prefix, const gchar *const *partners,
		      PhRouteHandler handler, GError **error)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&registry->lock);
	for (guint i = 0; i < registry->routes->len; i++) {
		PhRoute *route = g_ptr_array_index(registry->routes, i);
		if (g_str_equal(route->method, method) && g_str_equal(route->path_prefix, path_prefix)) {
			g_autofree gchar *name = g_strdup_printf("%s %s", method, path_prefix);
			return ph_registry_refuse_taken("route", name, error);
		}
	}
	PhRoute *route = g_new0(PhRoute, 1);
	route->plugin = plugin;
	route->method = g_strdup(method);
	route->path_prefix = g_strdup(path_prefix);
	route->partners = g_strdupv((gchar **)partners);
	route->handler = handler;
	g_ptr_array_add(registry->routes, route);
	return TRUE;
}

gboolean
ph_registry_add_inbox_handler(PhRegistry *registry, PhPlugin *plugin, const gchar *kind,
			      PhInboxHandler handler, GError **error)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&registry->lock);
	if (g_hash_table_contains(registry->inbox_handlers, kind))
		return ph_registry_refuse_taken("inbox kind", kind, error);
	PhInboxBinding *binding = g_new0(PhInboxBinding, 1);
	binding->plugin = plugin;
	binding->kind = g_strdup(kind);
	binding->handler = handler;
	g_hash_table_insert(registry->inbox_handlers, binding->kind, binding);
	return TRUE;
}

gboolean
ph_registry_add_topic(PhRegistry *registry, PhPlugin *plugin, const gchar *topic,
		      const PhRetryPolicy *policy, PhDeliverFunc deliver, GError **error)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&registry->lock);
	if (g_hash_table_contains(registry->topics, topic))
		return ph_registry_refuse_taken("topic", topic, error);
	PhTopic *entry = g_new0(PhTopic, 1);
	entry->plugin = plugin;
	entry->topic = g_strdup(topic);
	entry->policy = *policy;
	entry->deliver = deliver;
	g_hash_table_insert(registry->topics, entry->topic, entry);
	return TRUE;
}

gboolean
ph_registry_add_job(PhRegistry *registry, PhPlugin *plugin, const gchar *name,
		    guint interval_seconds, PhJobFunc job, GError **error)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&registry->lock);
	if (g_hash_table_contains(registry->jobs, name))
		return ph_registry_refuse_taken("job", name, error);
	PhJob *entry = g_new0(PhJob, 1);
	entry->plugin = plugin;
	entry->name = g_strdup(name);
	entry->interval_seconds = interval_seconds;
	entry->job = job;
	g_hash_table_insert(registry->jobs, entry->name, entry);
	return TRUE;
}

gboolean
ph_registry_add_subscription(PhRegistry *registry, PhPlugin *plugin, const gchar *event_type,
			     const gchar *topic, GError **error)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&registry->lock);
	for (guint i = 0; i < registry->subscriptions->len; i++) {
		PhSubscription *subscription = g_ptr_array_index(registry->subscriptions, i);
		if (g_str_equal(subscription->event_type, event_type) &&
		    g_str_equal(subscription->topic, topic)) {
			g_autofree gchar *name = g_strdup_printf("%s → %s", event_type, topic);
			return ph_registry_refuse_taken("subscription", name, error);
		}
	}
	PhSubscription *subscription = g_new0(PhSubscription, 1);
	subscription->plugin = plugin;
	subscription->event_type = g_strdup(event_type);
	subscription->topic = g_strdup(topic);
	g_ptr_array_add(registry->subscriptions, subscription);
	return TRUE;
}

static gboolean
ph_registry_entry_is_plugins(gpointer key, gpointer value, gpointer plugin)
{
	/* Every entry type starts with its PhPlugin pointer. */
	return *(PhPlugin **)value == plugin;
}

void
ph_registry_remove_plugin(PhRegistry *registry, PhPlugin *plugin)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&registry->lock);
	for (guint i = registry->routes->len; i > 0; i--) {
		PhRoute *route = g_ptr_array_index(registry->routes, i - 1);
		if (route->plugin == plugin)
			g_ptr_array_remove_index(registry->routes, i - 1);
	}
	for (guint i = registry->subscriptions->len; i > 0; i--) {
		PhSubscription *subscription = g_ptr_array_index(registry->subscriptions, i - 1);
		if (subscription->plugin == plugin)
			g_ptr_array_remove_index(registry->subscriptions, i - 1);
	}
	g_hash_table_foreach_remove(registry->inbox_handlers, ph_registry_entry_is_plugins, plugin);
	g_hash_table_foreach_remove(registry->topics, ph_registry_entry_is_plugins, plugin);
	g_hash_table_foreach_remove(registry->jobs, ph_registry_entry_is_plugins, plugin);
}

const PhRoute *
ph_registry_find_route(PhRegistry *registry, const gchar *method, const gchar *path)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&registry->lock);
	const PhRoute *best = NULL;
	for (guint i = 0; i < registry->routes->len; i++) {
		const PhRoute *route = g_ptr_array_index(registry->routes, i);
		if (!g_str_equal(route->method, method) || !g_str_has_prefix(path, route->path_prefix))
			continue;
		if (best == NULL || strlen(route->path_prefix) > strlen(best->path_prefix))
			best = route;
	}
	return best;
}

const PhInboxBinding *
ph_registry_find_inbox_handler(PhRegistry *registry, const gchar *kind)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&registry->lock);
	return g_hash_table_lookup(registry->inbox_handlers, kind);
}

const PhTopic *
ph_registry_find_topic(PhRegistry *registry, const gchar *topic)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&registry->lock);
	return g_hash_table_lookup(registry->topics, topic);
}

GPtrArray *
ph_registry_list_jobs(PhRegistry *registry)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&registry->lock);
	GPtrArray *jobs = g_ptr_array_new();
	GHashTableIter iter;
	gpointer value;
	g_hash_table_iter_init(&iter, registry->jobs);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		g_ptr_array_add(jobs, value);
	return jobs;
}

GPtrArray *
ph_registry_list_subscriptions(PhRegistry *registry)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&registry->lock);
	GPtrArray *subscriptions = g_ptr_array_new();
	for (guint i = 0; i < registry->subscriptions->len; i++)
		g_ptr_array_add(subscriptions, g_ptr_array_index(registry->subscriptions, i));
	return subscriptions;
}

gchar **
ph_registry_list_topics(PhRegistry *registry)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&registry->lock);
	guint n = 0;
	g_autofree gpointer *keys = g_hash_table_get_keys_as_array(registry->topics, &n);
	gchar **names = g_new0(gchar *, n + 1);
	for (guint i = 0; i < n; i++)
		names[i] = g_strdup(keys[i]);
	return names;
}
