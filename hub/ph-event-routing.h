/* Core events → plugin topics: writes the loaded plugins' subscriptions into the
 * event_subscription table, whose trigger (migration 0004) queues each new core event on
 * every subscribed topic in the event's own transaction. Daemon start-up only. Host-only. */
#pragma once

#include "ph-db.h"
#include "ph-registry.h"

G_BEGIN_DECLS

/* Adds or updates every subscription in @registry (one transaction). Subscriptions of
 * plugins not loaded now are kept, so their events wait in the outbox. */
gboolean
ph_event_routing_sync(PhDb *db, PhRegistry *registry, GError **error);

G_END_DECLS
