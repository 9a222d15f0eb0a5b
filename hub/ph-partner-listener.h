/* The partner-facing HTTPS listener (mutual TLS, routes of plugins). Host-only. */
#pragma once

#include <libsoup/soup.h>

#include "ph-config.h"
#include "ph-registry.h"
#include "ph-workers.h"

G_BEGIN_DECLS

typedef struct _PhPartnerListener PhPartnerListener;

/* @config must outlive the listener (or until the next reload). */
PhPartnerListener *
ph_partner_listener_new(const PhConfig *config, PhRegistry *registry, PhWorkers *workers,
			GError **error);
/* @on_stored runs in a worker after a request's message was stored in the inbox (the
 * daemon wakes the dispatcher with it). */
void
ph_partner_listener_set_on_stored(PhPartnerListener *listener, void (*on_stored)(gpointer),
				  gpointer user_data);
gboolean
ph_partner_listener_start(PhPartnerListener *listener, GError **error);
/* The port actually bound (useful when the config says 0). */
guint
ph_partner_listener_get_port(PhPartnerListener *listener);
/* SIGHUP: new partners, certificate and CA; live connections keep their handshake. */
gboolean
ph_partner_listener_reload(PhPartnerListener *listener, const PhConfig *config, GError **error);
void
ph_partner_listener_stop(PhPartnerListener *listener);
void
ph_partner_listener_free(PhPartnerListener *listener);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhPartnerListener, ph_partner_listener_free)

G_END_DECLS
