/* Simulator and member fixtures for the issue 8 integration tests (see ph-test-peer.h). */
#include "ph-test-peer.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pension-hub.h"
#include "ph-policy-file.h"
#include "ph-test-core.h"
#include "ph-transfer-cmd.h"
#include "ph-txn.h"

static gchar *
ph_test_peer_read(PhTestPeer *peer)
{
	gchar *text = NULL;
	if (!g_file_get_contents(peer->events, &text, NULL, NULL))
		return g_strdup("");
	return text;
}

guint
ph_test_peer_count(PhTestPeer *peer, const gchar *const *parts)
{
	g_autofree gchar *text = ph_test_peer_read(peer);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	guint count = 0;
	for (guint line = 0; lines[line] != NULL; line++) {
		gboolean all = lines[line][0] != '\0';
		for (guint part = 0; parts[part] != NULL && all; part++)
			all = strstr(lines[line], parts[part]) != NULL;
		count += all ? 1 : 0;
	}
	return count;
}

void
ph_test_peer_wait(PhTestPeer *peer, const gchar *const *parts, guint count)
{
	for (guint i = 0; i < 300; i++) {
		if (ph_test_peer_count(peer, parts) >= count)
			return;
		g_usleep(100 * 1000);
	}
	g_autofree gchar *text = ph_test_peer_read(peer);
	g_error("fewer than %u simulator events with '%s' in:\n%s", count, parts[0], text);
}

/* The simulator dies with the test, even when the test aborts. */
static void
ph_test_peer_child_setup(gpointer user_data)
{
	prctl(PR_SET_PDEATHSIG, SIGTERM);
}

void
ph_test_peer_start(PhTestPeer *peer, const gchar *program, const gchar *dir, guint port,
                   const gchar *pki, const gchar *const *options)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_free(peer->events);
	peer->events = g_strdup_printf("%s/%s-events.log", dir, program);
	g_ptr_array_add(argv, g_build_filename(g_getenv("PH_BUILD_DIR"), "tests", "peers", program,
	                                       program, NULL));
	g_ptr_array_add(argv, g_strdup_printf("--port=%u", port));
	g_ptr_array_add(argv, g_strdup_printf("--pki=%s", pki));
	g_ptr_array_add(argv, g_strdup_printf("--events=%s", peer->events));
	for (guint i = 0; options != NULL && options[i] != NULL; i++)
		g_ptr_array_add(argv, g_strdup(options[i]));
	g_ptr_array_add(argv, NULL);
	g_unlink(peer->events);
	g_spawn_async(NULL, (gchar **)argv->pdata, NULL,
	              G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL,
	              ph_test_peer_child_setup, NULL, &peer->pid, &error);
	g_assert_no_error(error);
	const gchar *ready[] = {"READY", NULL};
	ph_test_peer_wait(peer, ready, 1);
}

void
ph_test_peer_stop(PhTestPeer *peer)
{
	if (peer->pid != 0) {
		kill(peer->pid, SIGTERM);
		waitpid(peer->pid, NULL, 0);
		g_spawn_close_pid(peer->pid);
		peer->pid = 0;
	}
	g_clear_pointer(&peer->events, g_free);
}

void
ph_test_peer_switch(PhTestPeer *peer, gint signal_number, const gchar *state)
{
	const gchar *parts[] = {"SWITCH", state, NULL};
	guint before = ph_test_peer_count(peer, parts);
	g_assert_cmpint(kill(peer->pid, signal_number), ==, 0);
	ph_test_peer_wait(peer, parts, before + 1);
}

PhTestHub *
ph_test_adapter_hub(PhTestDb *db, const gchar *plugin, const gchar *plugin_config)
{
	PhTestHub *hub = ph_test_hub_new(ph_test_db_get_url(db), NULL, NULL);
	g_autofree gchar *extra = g_strdup_printf(
	        "[client-tls]\ncertificate = %s/hub.crt\nkey = %s/hub.key\n\n"
	        "[partner cardholder]\nsubject = CN=cardholder,OU=partners,O=pension-hub dev\n\n%s",
	        hub->pki, hub->pki, plugin_config);
	ph_test_hub_write_config(hub, extra);
	g_autofree gchar *file = g_strdup_printf("libph-%s.so", plugin);
	g_autofree gchar *target =
	        g_build_filename(g_getenv("PH_BUILD_DIR"), "plugins", plugin, file, NULL);
	g_autofree gchar *link = g_build_filename(hub->dir, "plugins", file, NULL);
	g_assert_cmpint(symlink(target, link), ==, 0);
	return hub;
}

gchar *
ph_test_pensionctl(PhTestHub *hub, const gchar *const *args, gint *exit_status)
{
	gchar *out = NULL;
	g_autofree gchar *err = NULL;
	*exit_status = ph_test_hub_ctl(hub, args, &out, &err);
	if (*exit_status != 0)
		g_test_message("pensionctl: %s", err);
	return out;
}

gint64
ph_test_enrol(PhTestDb *test_db, const gchar *id_number, const gchar *name, const gchar *birth,
              const gchar *effective)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhDb) db = ph_test_db_connect(test_db);
	g_autoptr(PhTxn) txn = ph_txn_begin(db, NULL, &error);
	g_assert_no_error(error);
	PhCommandOutcome outcome = {0};
	PhUnitRequest unit = {"U0001", "某市财政局", NULL, "55", "110105", "full"};
	g_assert_true(ph_core_register_unit(txn, &unit, &outcome, &error));
	g_assert_no_error(error);
	ph_core_outcome_clear(&outcome);
	PhEnrolRequest hire = {.id_number = id_number,
	                       .name = name,
	                       .sex = "1",
	                       .birth_date = birth,
	                       .unit_code = "U0001",
	                       .effective = effective,
	                       .wage = 750000};
	g_assert_true(ph_core_enrol(txn, &hire, &outcome, &error));
	g_assert_no_error(error);
	gint64 person_id = outcome.person_id;
	ph_core_outcome_clear(&outcome);
	g_assert_true(ph_txn_commit(txn, &error));
	g_assert_no_error(error);
	return person_id;
}

PhPolicy *
ph_test_policy_110100(void)
{
	g_autoptr(GError) error = NULL;
	PhPolicy *policy = g_new0(PhPolicy, 1);
	gboolean loaded =
	        ph_policy_file_load(ph_policy_file_dir(), "110100", 202410, policy, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(loaded);
	return policy;
}

gboolean
ph_test_transfer_in(PhDb *db, const PhCommandContext *context, const gchar *case_id,
                    const gchar *id_number, PhCommandResult *outcome, GError **error)
{
	PhMonthBase months[PH_TEST_CORE_RULES8_MONTHS];
	PhTransferInInput transfer = ph_test_core_rules8_transfer_in(case_id, id_number, months);
	transfer.has_deemed = TRUE;
	transfer.deemed_months = 240;
	transfer.deemed_index = 12000;
	return ph_transfer_cmd_in(db, context, &transfer, outcome, error);
}
