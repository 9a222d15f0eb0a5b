/* What the partner simulators of issue 8 share (tests/peers/cardholder-sim, medical-sim):
 * an HTTPS server with mTLS from the dev PKI, one event line per thing that happened (on
 * stdout and in --events FILE, for tests to wait on), outage switches (--down, SIGUSR1 goes
 * down, SIGUSR2 comes back, --delay-ms) and a libcurl client to call the hub. Tests only. */
#pragma once

#include <libsoup/soup.h>
#include <stdio.h>

G_BEGIN_DECLS

typedef struct {
	const gchar *name; /* the partner: its certificate is $PKI/NAME.crt and NAME.key */
	gchar *pki;
	gint port;
	gchar *events_path;
	gboolean down;
	gint delay_ms;
	gchar *hub_url; /* https://127.0.0.1:8443, for calls to the hub */

	FILE *events;
	GMutex lock;
	SoupServer *server;
} PhPeer;

/* What a simulator is: its options (besides --port, --pki, --events, --down, --delay-ms,
 * --hub-url), its one route and what it does once listening. */
typedef struct {
	const GOptionEntry *entries;
	const gchar *summary; /* "- cardholder base simulator" */
	gint default_port;
	const gchar *path; /* the route, also named in the READY line */
	SoupServerCallback callback;
	GSourceFunc at_start; /* may be NULL; runs once the server listens */
	gpointer user_data;
} PhPeerSpec;

/* Parses the options, takes $PH_PKI when --pki is absent, opens the events file, installs
 * the signal switches, listens on 127.0.0.1:port with NAME.crt requiring a client
 * certificate that chains to the dev CA, logs READY and runs the main loop. Returns the
 * exit status: 2 for bad usage, 1 when it cannot listen. */
int ph_peer_main(PhPeer *peer, const PhPeerSpec *spec, int argc, char **argv);

/* Writes one event line to stdout and @events (may be NULL) under @lock; for simulators
 * that keep their own state (transfer-sim). */
void ph_peer_event_line(GMutex *lock, FILE *events, const gchar *line);
void ph_peer_event(PhPeer *peer, const gchar *format, ...) G_GNUC_PRINTF(2, 3);

/* TRUE when @message is a POST to take now; otherwise it has been answered: 405 for
 * another method, 503 (logged "DOWN refused @what") while down. */
gboolean ph_peer_take_post(PhPeer *peer, SoupServerMessage *message, const gchar *what);
/* The same for another @method (e.g. "PUT"). */
gboolean ph_peer_take(PhPeer *peer, SoupServerMessage *message, const gchar *method,
                      const gchar *what);
/* Holds the answer back for --delay-ms. */
void ph_peer_maybe_delay(PhPeer *peer, SoupServerMessage *message);
void ph_peer_respond(SoupServerMessage *message, guint status, const gchar *content_type,
                     const gchar *body);

/* A request to the hub with our certificate; returns the HTTP status (0: no answer). */
glong ph_peer_call_hub(PhPeer *peer, const gchar *method, const gchar *path,
                       const gchar *content_type, const gchar *body, gchar **answer);

G_END_DECLS
