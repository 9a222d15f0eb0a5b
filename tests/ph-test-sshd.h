/* Test fixture: OpenSSH's sshd on a loopback port serving a local folder over internal-sftp,
 * with its own ed25519 host keys, client key, authorized_keys and known_hosts. For the
 * integration tests and benchmarks of SFTP transports only. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
	gchar *dir;         /* temporary folder: keys, sshd_config, log */
	gchar *root;        /* the folder SFTP sessions start in; relative paths land here */
	gchar *user;        /* the login (the user running the test) */
	gchar *client_key;  /* ed25519 private key of the client; .pub beside it */
	gchar *known_hosts; /* pins the first host key for 127.0.0.1:port */
	gchar *config_path; /* sshd_config */
	gchar *log_path;    /* sshd's stderr */
	guint port;
	gboolean second_key; /* serving the second, unpinned host key */
	GPid pid;            /* 0 when not running */
} PhTestSshd;

/* Generates the keys, writes the config and starts sshd (fails the test when it cannot:
 * /usr/sbin/sshd and ssh-keygen come with openssh-server, which deploy/dev installs). */
PhTestSshd *ph_test_sshd_new(void);
/* Stops sshd and removes the folder. */
void ph_test_sshd_free(PhTestSshd *sshd);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhTestSshd, ph_test_sshd_free)

/* Starts sshd (same port) and waits until the port answers; fails the test after 10 s. */
void ph_test_sshd_start(PhTestSshd *sshd);
/* Stops sshd with SIGTERM and waits for it (the "partner down" case). */
void ph_test_sshd_stop(PhTestSshd *sshd);
/* Restarts sshd with a second host key that known_hosts does not pin (@second TRUE), or
 * with the pinned one again. */
void ph_test_sshd_use_second_host_key(PhTestSshd *sshd, gboolean second);

/* An absolute path under the served folder (created as a folder when @mkdir). */
gchar *ph_test_sshd_path(PhTestSshd *sshd, const gchar *relative, gboolean mkdir);

/* Config lines for a plugin group: host, port, user, private_key, known_hosts. */
gchar *ph_test_sshd_config_lines(PhTestSshd *sshd);

G_END_DECLS
