/* Subscriptions of core events, kept in the database where the routing trigger reads
 * them. */
#include "ph-event-routing.h"

#include "ph-plugin-private.h"

static gboolean
ph_event_routing_upsert(PhDb *db, const PhSubscription *subscription, GError **error)
{
	const gchar *params[] = {subscription->event_type, subscription->topic,
				 ph_plugin_get_name(subscription->plugin)};
	g_autoptr(PGresult) result = ph_db_query(
	    db,
	    "INSERT INTO event_subscription (event_type, topic, plugin) VALUES ($1, $2, $3) "
	    "ON CONFLICT (event_type, topic) DO UPDATE SET plugin = excluded.plugin",
	    3, params, error);
	return result != NULL;
}

gboolean
ph_event_routing_sync(PhDb *db, PhRegistry *registry, GError **error)
{
	g_autoptr(GPtrArray) subscriptions = ph_registry_list_subscriptions(registry);
	if (subscriptions->len == 0)
		return TRUE;
	if (!ph_db_begin(db, error))
		return FALSE;
	for (guint i = 0; i < subscriptions->len; i++) {
		if (!ph_event_routing_upsert(db, g_ptr_array_index(subscriptions, i), error)) {
			ph_db_rollback(db);
			g_prefix_error(error, "cannot record event subscriptions: ");
			return FALSE;
		}
	}
	return ph_db_commit(db, error);
}
