/* Integration fixtures for the issue 8 adapters: a partner simulator from tests/peers run as
 * a child with an events file to wait on, and members made through the core's SDK commands.
 * Tests only. */
#pragma once

#include <glib.h>

#include "ph-command.h"
#include "ph-test-db.h"
#include "ph-test-hub.h"

G_BEGIN_DECLS

typedef struct {
	GPid pid;
	gchar *events; /* the simulator's --events file */
} PhTestPeer;

/* Starts tests/peers/@program/@program with --port, --pki, --events (in @dir) and @options,
 * and waits for its READY line. */
void ph_test_peer_start(PhTestPeer *peer, const gchar *program, const gchar *dir, guint port,
                        const gchar *pki, const gchar *const *options);
void ph_test_peer_stop(PhTestPeer *peer);
/* Sends @signal_number and waits for the event line "SWITCH @state" (down, up). */
void ph_test_peer_switch(PhTestPeer *peer, gint signal_number, const gchar *state);

/* Lines of the events file holding every one of @parts (NULL-terminated). */
guint ph_test_peer_count(PhTestPeer *peer, const gchar *const *parts);
/* Waits (up to 30 s, failing the test then) until at least @count lines hold @parts. */
void ph_test_peer_wait(PhTestPeer *peer, const gchar *const *parts, guint count);

/* A test hub (not started) for the database @db with the adapter plugins/@plugin linked in,
 * the hub's [client-tls] certificate, the partner cardholder (beside the fixture's medical
 * and personnel) and @plugin_config appended to the config. */
PhTestHub *ph_test_adapter_hub(PhTestDb *db, const gchar *plugin, const gchar *plugin_config);

/* Runs the built pensionctl with @hub's config and @args (NULL-terminated); returns its
 * standard output and sets @exit_status (-1 when it did not exit normally). */
gchar *ph_test_pensionctl(PhTestHub *hub, const gchar *const *args, gint *exit_status);

/* Registers unit U0001 and enrols @id_number (AAC002) as @name, born @birth (YYYYMMDD),
 * from @effective; returns the person id. */
gint64 ph_test_enrol(PhTestDb *db, const gchar *id_number, const gchar *name, const gchar *birth,
                     const gchar *effective);

/* Region 110100's policy for 2024-10, loaded as the daemon would (its average wages); free
 * it with g_free. */
PhPolicy *ph_test_policy_110100(void);

/* RULES §8's transfer in of @id_number (AAC002) by @case_id, dated 2024-10-01 from region
 * 310000: 240 deemed months at 1.2, 120 months 2014-10 … 2024-09 at a base of 7,500.00, the
 * balances 139,000.00 / 69,500.00; in @db's open transaction. */
gboolean ph_test_transfer_in(PhDb *db, const PhCommandContext *context, const gchar *case_id,
                             const gchar *id_number, PhCommandResult *outcome, GError **error);

G_END_DECLS
