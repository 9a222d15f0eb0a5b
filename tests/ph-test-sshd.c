/* A real OpenSSH sshd for SFTP tests: keys, config, start, stop, host key change. */
#include "ph-test-sshd.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "ph-test-hub.h"

static void
ph_test_sshd_run(const gchar *const *argv)
{
	g_autoptr(GError) error = NULL;
	gint status = 0;
	g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
	             &status, &error);
	g_assert_no_error(error);
	g_spawn_check_wait_status(status, &error);
	g_assert_no_error(error);
}

static gchar *
ph_test_sshd_keygen(PhTestSshd *sshd, const gchar *name)
{
	gchar *path = g_build_filename(sshd->dir, name, NULL);
	const gchar *argv[] = {"ssh-keygen", "-q", "-t", "ed25519", "-N", "",
	                       "-C",         name, "-f", path,      NULL};
	ph_test_sshd_run(argv);
	return path;
}

/* "ssh-ed25519 AAAA…" of a public key file, without its comment. */
static gchar *
ph_test_sshd_public_key(const gchar *private_key)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = g_strconcat(private_key, ".pub", NULL);
	g_autofree gchar *text = NULL;
	g_file_get_contents(path, &text, NULL, &error);
	g_assert_no_error(error);
	g_auto(GStrv) fields = g_strsplit(g_strstrip(text), " ", 3);
	g_assert_nonnull(fields[1]);
	return g_strdup_printf("%s %s", fields[0], fields[1]);
}

static void
ph_test_sshd_write(const gchar *path, const gchar *text)
{
	g_autoptr(GError) error = NULL;
	g_file_set_contents(path, text, -1, &error);
	g_assert_no_error(error);
}

static void
ph_test_sshd_write_config(PhTestSshd *sshd)
{
	g_autofree gchar *host_key = g_build_filename(
	        sshd->dir, sshd->second_key ? "host2_ed25519" : "host_ed25519", NULL);
	g_autofree gchar *config =
	        g_strdup_printf("ListenAddress 127.0.0.1:%u\n"
	                        "HostKey %s\n"
	                        "PidFile %s/sshd.pid\n"
	                        "AuthorizedKeysFile %s/authorized_keys\n"
	                        "StrictModes no\n"
	                        "UsePAM no\n"
	                        "PermitRootLogin prohibit-password\n"
	                        "PasswordAuthentication no\n"
	                        "KbdInteractiveAuthentication no\n"
	                        "AllowTcpForwarding no\n"
	                        "X11Forwarding no\n"
	                        "LogLevel INFO\n"
	                        "Subsystem sftp internal-sftp -d %s\n",
	                        sshd->port, host_key, sshd->dir, sshd->dir, sshd->root);
	ph_test_sshd_write(sshd->config_path, config);
}

PhTestSshd *
ph_test_sshd_new(void)
{
	g_autoptr(GError) error = NULL;
	PhTestSshd *sshd = g_new0(PhTestSshd, 1);
	sshd->dir = g_dir_make_tmp("ph-test-sshd-XXXXXX", &error);
	g_assert_no_error(error);
	sshd->root = g_build_filename(sshd->dir, "root", NULL);
	g_assert_cmpint(g_mkdir(sshd->root, 0700), ==, 0);
	g_assert_cmpint(g_mkdir_with_parents("/run/sshd", 0755), ==, 0);
	sshd->user = g_strdup(g_get_user_name());
	sshd->port = ph_test_free_port();
	sshd->config_path = g_build_filename(sshd->dir, "sshd_config", NULL);
	sshd->log_path = g_build_filename(sshd->dir, "sshd.log", NULL);
	g_autofree gchar *host1 = ph_test_sshd_keygen(sshd, "host_ed25519");
	g_autofree gchar *host2 = ph_test_sshd_keygen(sshd, "host2_ed25519");
	sshd->client_key = ph_test_sshd_keygen(sshd, "client_ed25519");

	g_autofree gchar *client_pub = ph_test_sshd_public_key(sshd->client_key);
	g_autofree gchar *authorized = g_build_filename(sshd->dir, "authorized_keys", NULL);
	g_autofree gchar *authorized_text = g_strdup_printf("%s test-client\n", client_pub);
	ph_test_sshd_write(authorized, authorized_text);

	g_autofree gchar *host_pub = ph_test_sshd_public_key(host1);
	sshd->known_hosts = g_build_filename(sshd->dir, "known_hosts", NULL);
	g_autofree gchar *known = g_strdup_printf("[127.0.0.1]:%u %s\n", sshd->port, host_pub);
	ph_test_sshd_write(sshd->known_hosts, known);

	ph_test_sshd_write_config(sshd);
	ph_test_sshd_start(sshd);
	return sshd;
}

static gboolean
ph_test_sshd_answers(PhTestSshd *sshd)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	/* no proxy lookup: libproxy's thread races with the connect it serves (see
	 * ph_sftp_open_socket in hub/ph-sftp.c), here as in the hub */
	g_socket_client_set_enable_proxy(client, FALSE);
	g_autoptr(GSocketConnection) connection = g_socket_client_connect_to_host(
	        client, "127.0.0.1", (guint16)sshd->port, NULL, NULL);
	return connection != NULL;
}

/* sshd must not outlive a test that aborts */
static void
ph_test_sshd_child_setup(gpointer data)
{
	prctl(PR_SET_PDEATHSIG, SIGTERM);
}

void
ph_test_sshd_start(PhTestSshd *sshd)
{
	g_autoptr(GError) error = NULL;
	g_assert_cmpint(sshd->pid, ==, 0);
	/* exec keeps sshd's pid the one we hold; -e sends its log to stderr, kept in a file */
	g_autofree gchar *command =
	        g_strdup_printf("exec /usr/sbin/sshd -D -e -f '%s' </dev/null >/dev/null 2>>'%s'",
	                        sshd->config_path, sshd->log_path);
	const gchar *argv[] = {"/bin/sh", "-c", command, NULL};
	g_spawn_async(NULL, (gchar **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
	              ph_test_sshd_child_setup, NULL, &sshd->pid, &error);
	g_assert_no_error(error);
	for (guint i = 0; i < 200; i++) {
		if (ph_test_sshd_answers(sshd))
			return;
		if (waitpid(sshd->pid, NULL, WNOHANG) == sshd->pid) {
			sshd->pid = 0;
			g_autofree gchar *log = NULL;
			g_file_get_contents(sshd->log_path, &log, NULL, NULL);
			g_error("sshd exited at start: %s", log != NULL ? log : "(no log)");
		}
		g_usleep(50 * 1000);
	}
	g_error("sshd did not answer on port %u within 10 s", sshd->port);
}

void
ph_test_sshd_stop(PhTestSshd *sshd)
{
	if (sshd->pid == 0)
		return;
	kill(sshd->pid, SIGTERM);
	waitpid(sshd->pid, NULL, 0);
	g_spawn_close_pid(sshd->pid);
	sshd->pid = 0;
}

void
ph_test_sshd_use_second_host_key(PhTestSshd *sshd, gboolean second)
{
	ph_test_sshd_stop(sshd);
	sshd->second_key = second;
	ph_test_sshd_write_config(sshd);
	ph_test_sshd_start(sshd);
}

gchar *
ph_test_sshd_path(PhTestSshd *sshd, const gchar *relative, gboolean mkdir)
{
	gchar *path = g_build_filename(sshd->root, relative, NULL);
	if (mkdir)
		g_assert_cmpint(g_mkdir_with_parents(path, 0700), ==, 0);
	return path;
}

gchar *
ph_test_sshd_config_lines(PhTestSshd *sshd)
{
	return g_strdup_printf("host = 127.0.0.1\nport = %u\nuser = %s\nprivate_key = %s\n"
	                       "known_hosts = %s\n",
	                       sshd->port, sshd->user, sshd->client_key, sshd->known_hosts);
}

void
ph_test_sshd_free(PhTestSshd *sshd)
{
	if (sshd == NULL)
		return;
	ph_test_sshd_stop(sshd);
	const gchar *argv[] = {"rm", "-rf", sshd->dir, NULL};
	ph_test_sshd_run(argv);
	g_free(sshd->dir);
	g_free(sshd->root);
	g_free(sshd->user);
	g_free(sshd->client_key);
	g_free(sshd->known_hosts);
	g_free(sshd->config_path);
	g_free(sshd->log_path);
	g_free(sshd);
}
