/* The host's SFTP transport: the one place that wraps libssh2. Blocking sessions with
 * time-outs, pinned host keys and algorithms, uploads that never overwrite. Hub layer; plugins
 * reach it through the SDK header <pension-hub/ph-sftp.h> from worker threads. */
#include <libssh2.h>
#include <libssh2_sftp.h>
#include <string.h>

#include "pension-hub/ph-sftp.h"

/* Debian 12's libssh2 1.10 has no strict-KEX (Terrapin) counter-measure: keep to CTR
 * ciphers and encrypt-and-MAC SHA-2 MACs, which the attack does not reach. */
#define PH_SFTP_CIPHERS    "aes256-ctr,aes128-ctr"
#define PH_SFTP_MACS       "hmac-sha2-256,hmac-sha2-512"
#define PH_SFTP_TIMEOUT_MS 30000
/* libssh2 pipelines one write call into 30 000-byte packets; ~240 KB per call keeps eight
 * in flight, which is what gets close to OpenSSH's own sftp over loopback. */
#define PH_SFTP_CHUNK (240 * 1024)

struct _PhSftp {
	GSocketConnection *connection;
	LIBSSH2_SESSION *session;
	LIBSSH2_SFTP *sftp;
	gchar *peer;              /* "user@host:port", for messages */
	GThread *connecting;      /* ph_sftp_connect_start()'s thread, until waited for */
	PhSftpConfig *connect_to; /* its copy of the configuration */
	GError *connect_error;    /* its failure: every call on the session fails with it */
};

/* Chunks queued to an upload's writer thread at most; bounds its memory to ~1 MB. */
#define PH_SFTP_CHUNKS_IN_FLIGHT 4
/* More queued while the writer thread connects and opens the .part (~15 MB): a handshake
 * takes some 0.1 s over loopback, in which the producer (a payout file's generation) goes
 * on instead of waiting. Taken back as the first chunks are sent. */
#define PH_SFTP_CHUNKS_WHILE_OPENING 60

/* The caller produces the data (a mapping writer, a digest) while a writer thread of the
 * upload sends the previous chunks: on two cores the two overlap instead of adding up. The
 * session is used by the writer thread only, from upload_new to the end of the data. */
struct _PhSftpUpload {
	PhSftp *sftp;
	LIBSSH2_SFTP_HANDLE *handle;
	GOutputStream *stream;
	gchar *part_path;
	gchar *final_path;
	gboolean committed;
	GThread *writer;
	GAsyncQueue *chunks; /* GBytes to send; an empty one ends the thread */
	GAsyncQueue *slots;  /* tokens: a chunk may be queued when one is taken */
	guint withheld;      /* tokens the writer thread keeps back: the opening's surplus */
	PhDigest *digest;    /* updated by the writer thread, or NULL */
	gint failed;         /* atomic: the writer thread set writer_error */
	GError *writer_error;
};

static gpointer
ph_sftp_library_init(gpointer data)
{
	return GINT_TO_POINTER(libssh2_init(0) == 0);
}

static gboolean
ph_sftp_init_once(GError **error)
{
	static GOnce once = G_ONCE_INIT;
	if (!GPOINTER_TO_INT(g_once(&once, ph_sftp_library_init, NULL))) {
		g_set_error_literal(error, PH_ERROR, PH_ERROR_FAILED, "libssh2_init failed");
		return FALSE;
	}
	return TRUE;
}

static const gchar *
ph_sftp_session_message(LIBSSH2_SESSION *session)
{
	gchar *message = NULL;
	libssh2_session_last_error(session, &message, NULL, 0);
	return message != NULL ? message : "unknown libssh2 error";
}

/* Turns a failed libssh2 call on @sftp into an error: a protocol answer from the server is
 * judged by its SFTP status; anything else (time-out, socket) is a transport failure. */
static void
ph_sftp_set_error(PhSftp *sftp, GError **error, const gchar *what, const gchar *path)
{
	gint rc = libssh2_session_last_errno(sftp->session);
	if (rc == LIBSSH2_ERROR_SFTP_PROTOCOL) {
		gulong status = libssh2_sftp_last_error(sftp->sftp);
		gint code = PH_ERROR_PERMANENT;
		if (status == LIBSSH2_FX_NO_SUCH_FILE || status == LIBSSH2_FX_NO_SUCH_PATH)
			code = PH_ERROR_NOT_FOUND;
		else if (status == LIBSSH2_FX_FILE_ALREADY_EXISTS)
			code = PH_ERROR_CONFLICT;
		g_set_error(error, PH_ERROR, code, "sftp %s: %s %s: server status %lu", sftp->peer,
		            what, path, status);
		return;
	}
	g_set_error(error, PH_ERROR, PH_ERROR_TRANSIENT, "sftp %s: %s %s: %s", sftp->peer, what,
	            path, ph_sftp_session_message(sftp->session));
}

/* ---- the output stream under an upload ---- */

#define PH_TYPE_SFTP_OUTPUT_STREAM (ph_sftp_output_stream_get_type())
G_DECLARE_FINAL_TYPE(PhSftpOutputStream, ph_sftp_output_stream, PH, SFTP_OUTPUT_STREAM,
                     GOutputStream)

struct _PhSftpOutputStream {
	GOutputStream parent;
	PhSftpUpload *upload;
};

G_DEFINE_TYPE(PhSftpOutputStream, ph_sftp_output_stream, G_TYPE_OUTPUT_STREAM)

static gboolean
ph_sftp_upload_send(PhSftpUpload *upload, const guint8 *data, gsize count, GError **error)
{
	gsize done = 0;
	while (done < count) {
		ssize_t n = libssh2_sftp_write(upload->handle, (const gchar *)data + done,
		                               MIN(count - done, PH_SFTP_CHUNK));
		if (n < 0) {
			ph_sftp_set_error(upload->sftp, error, "write", upload->part_path);
			return FALSE;
		}
		done += (gsize)n;
	}
	return TRUE;
}

static gboolean ph_sftp_upload_open_part(PhSftpUpload *upload, GError **error);

static gpointer
ph_sftp_upload_writer(gpointer data)
{
	PhSftpUpload *upload = data;
	if (!ph_sftp_upload_open_part(upload, &upload->writer_error))
		g_atomic_int_set(&upload->failed, 1);
	for (;;) {
		g_autoptr(GBytes) chunk = g_async_queue_pop(upload->chunks);
		gsize count = 0;
		const guint8 *bytes = g_bytes_get_data(chunk, &count);
		if (count == 0)
			return NULL;
		if (upload->digest != NULL)
			ph_digest_update(upload->digest, bytes, count);
		/* after a failure keep draining, so that the producer never blocks */
		if (!g_atomic_int_get(&upload->failed) &&
		    !ph_sftp_upload_send(upload, bytes, count, &upload->writer_error))
			g_atomic_int_set(&upload->failed, 1);
		/* at least PH_SFTP_CHUNKS_IN_FLIGHT tokens always go round: never a dead lock */
		if (upload->withheld > 0)
			upload->withheld--;
		else
			g_async_queue_push(upload->slots, GINT_TO_POINTER(1));
	}
}

static gboolean
ph_sftp_upload_check_writer(PhSftpUpload *upload, GError **error)
{
	if (!g_atomic_int_get(&upload->failed))
		return TRUE;
	g_propagate_error(error, g_error_copy(upload->writer_error));
	return FALSE;
}

/* Ends the writer thread after the chunks queued so far; TRUE when all were sent. */
static gboolean
ph_sftp_upload_join_writer(PhSftpUpload *upload, GError **error)
{
	if (upload->writer == NULL)
		return ph_sftp_upload_check_writer(upload, error);
	g_async_queue_push(upload->chunks, g_bytes_new(NULL, 0));
	g_thread_join(g_steal_pointer(&upload->writer));
	return ph_sftp_upload_check_writer(upload, error);
}

static gssize
ph_sftp_output_stream_write(GOutputStream *stream, const void *buffer, gsize count,
                            GCancellable *cancellable, GError **error)
{
	PhSftpUpload *upload = PH_SFTP_OUTPUT_STREAM(stream)->upload;
	if (upload->writer == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "sftp: %s is closed",
		            upload->part_path);
		return -1;
	}
	if (count == 0 || !ph_sftp_upload_check_writer(upload, error))
		return count == 0 ? 0 : -1;
	g_async_queue_pop(upload->slots);
	g_async_queue_push(upload->chunks, g_bytes_new(buffer, count));
	return (gssize)count;
}

static void
ph_sftp_output_stream_class_init(PhSftpOutputStreamClass *klass)
{
	G_OUTPUT_STREAM_CLASS(klass)->write_fn = ph_sftp_output_stream_write;
}

static void
ph_sftp_output_stream_init(PhSftpOutputStream *self)
{
}

/* ---- the input stream of a download ---- */

#define PH_TYPE_SFTP_INPUT_STREAM (ph_sftp_input_stream_get_type())
G_DECLARE_FINAL_TYPE(PhSftpInputStream, ph_sftp_input_stream, PH, SFTP_INPUT_STREAM, GInputStream)

struct _PhSftpInputStream {
	GInputStream parent;
	PhSftp *sftp;
	LIBSSH2_SFTP_HANDLE *handle;
	gchar *path;
};

G_DEFINE_TYPE(PhSftpInputStream, ph_sftp_input_stream, G_TYPE_INPUT_STREAM)

static gssize
ph_sftp_input_stream_read(GInputStream *stream, void *buffer, gsize count,
                          GCancellable *cancellable, GError **error)
{
	PhSftpInputStream *self = PH_SFTP_INPUT_STREAM(stream);
	ssize_t n = libssh2_sftp_read(self->handle, buffer, count);
	if (n < 0) {
		ph_sftp_set_error(self->sftp, error, "read", self->path);
		return -1;
	}
	return n;
}

static gboolean
ph_sftp_input_stream_close(GInputStream *stream, GCancellable *cancellable, GError **error)
{
	PhSftpInputStream *self = PH_SFTP_INPUT_STREAM(stream);
	if (self->handle != NULL)
		libssh2_sftp_close_handle(self->handle);
	self->handle = NULL;
	return TRUE;
}

static void
ph_sftp_input_stream_finalize(GObject *object)
{
	PhSftpInputStream *self = PH_SFTP_INPUT_STREAM(object);
	g_free(self->path);
	G_OBJECT_CLASS(ph_sftp_input_stream_parent_class)->finalize(object);
}

static void
ph_sftp_input_stream_class_init(PhSftpInputStreamClass *klass)
{
	G_INPUT_STREAM_CLASS(klass)->read_fn = ph_sftp_input_stream_read;
	G_INPUT_STREAM_CLASS(klass)->close_fn = ph_sftp_input_stream_close;
	G_OBJECT_CLASS(klass)->finalize = ph_sftp_input_stream_finalize;
}

static void
ph_sftp_input_stream_init(PhSftpInputStream *self)
{
}

/* ---- connecting ---- */

/* The key type pinned for @host:@port in @hosts ("ssh-ed25519", …), or NULL when none is
 * (hashed entries cannot be matched by name; libssh2 still checks them after the
 * handshake). Offering only that type makes the server show the key that is pinned. */
static const gchar *
ph_sftp_pinned_type(LIBSSH2_KNOWNHOSTS *hosts, const gchar *host, guint port)
{
	g_autofree gchar *bracketed = g_strdup_printf("[%s]:%u", host, port);
	const gchar *wanted = port == 22 ? host : bracketed;
	struct libssh2_knownhost *entry = NULL;
	while (libssh2_knownhost_get(hosts, &entry, entry) == 0) {
		if (entry->name == NULL || g_strcmp0(entry->name, wanted) != 0)
			continue;
		switch (entry->typemask & LIBSSH2_KNOWNHOST_KEY_MASK) {
		case LIBSSH2_KNOWNHOST_KEY_ED25519:
			return "ssh-ed25519";
		case LIBSSH2_KNOWNHOST_KEY_ECDSA_256:
			return "ecdsa-sha2-nistp256";
		case LIBSSH2_KNOWNHOST_KEY_ECDSA_384:
			return "ecdsa-sha2-nistp384";
		case LIBSSH2_KNOWNHOST_KEY_ECDSA_521:
			return "ecdsa-sha2-nistp521";
		default:
			continue; /* RSA host keys do not work with libssh2 1.10 and OpenSSH 9 */
		}
	}
	return NULL;
}

static gboolean
ph_sftp_set_methods(PhSftp *sftp, const gchar *hostkey_type, GError **error)
{
	const struct {
		gint method;
		const gchar *prefs;
	} methods[] = {
	        {LIBSSH2_METHOD_HOSTKEY, hostkey_type},
	        {LIBSSH2_METHOD_CRYPT_CS, PH_SFTP_CIPHERS},
	        {LIBSSH2_METHOD_CRYPT_SC, PH_SFTP_CIPHERS},
	        {LIBSSH2_METHOD_MAC_CS, PH_SFTP_MACS},
	        {LIBSSH2_METHOD_MAC_SC, PH_SFTP_MACS},
	};
	for (guint i = 0; i < G_N_ELEMENTS(methods); i++) {
		if (libssh2_session_method_pref(sftp->session, methods[i].method,
		                                methods[i].prefs) != 0) {
			g_set_error(error, PH_ERROR, PH_ERROR_FAILED,
			            "sftp %s: method preference '%s': %s", sftp->peer,
			            methods[i].prefs, ph_sftp_session_message(sftp->session));
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
ph_sftp_check_host_key(PhSftp *sftp, LIBSSH2_KNOWNHOSTS *hosts, const PhSftpConfig *config,
                       guint port, GError **error)
{
	size_t length = 0;
	gint type = 0;
	const gchar *key = libssh2_session_hostkey(sftp->session, &length, &type);
	if (key == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_TRANSIENT, "sftp %s: no host key: %s",
		            sftp->peer, ph_sftp_session_message(sftp->session));
		return FALSE;
	}
	gint check = libssh2_knownhost_checkp(
	        hosts, config->host, (gint)port, key, length,
	        LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW, NULL);
	if (check == LIBSSH2_KNOWNHOST_CHECK_MATCH)
		return TRUE;
	g_autofree gchar *hex =
	        g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)key, length);
	const gchar *what = check == LIBSSH2_KNOWNHOST_CHECK_MISMATCH ? "CHANGED" : "not pinned";
	/* An alert for operators: never trusted on first use, never accepted when changed. */
	g_warning("ALERT sftp %s: host key %s in %s (key sha256 %s): connection refused",
	          sftp->peer, what, config->known_hosts_path, hex);
	g_set_error(error, PH_ERROR, PH_ERROR_FORBIDDEN, "sftp %s: host key %s in %s: refused",
	            sftp->peer, what, config->known_hosts_path);
	return FALSE;
}

static gboolean
ph_sftp_check_config(const PhSftpConfig *config, const gchar *public_key, GError **error)
{
	const gchar *files[] = {config->private_key_path, public_key, config->known_hosts_path};
	for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
		if (!g_file_test(files[i], G_FILE_TEST_IS_REGULAR)) {
			g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "sftp %s@%s: no file %s",
			            config->user, config->host, files[i]);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
ph_sftp_open_socket(PhSftp *sftp, const PhSftpConfig *config, guint port, guint timeout_ms,
                    GError **error)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GError) local = NULL;
	g_socket_client_set_timeout(client, (timeout_ms + 999) / 1000);
	/* Straight to the bank's host: libssh2 takes a plain TCP socket. With proxies enabled,
	 * GIO asked its default resolver (libproxy on Debian 12) in a thread of its own, and
	 * that lookup raced with the connect it served (ThreadSanitizer: memory freed by the
	 * connecting thread while libproxy still read it) — the heap corruption behind a hub
	 * that aborted at exit ("corrupted size vs. prev_size") after concurrent uploads and
	 * polls. */
	g_socket_client_set_enable_proxy(client, FALSE);
	sftp->connection =
	        g_socket_client_connect_to_host(client, config->host, (guint16)port, NULL, &local);
	if (sftp->connection == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_TRANSIENT, "sftp %s: cannot connect: %s",
		            sftp->peer, local->message);
		return FALSE;
	}
	return TRUE;
}

static gboolean
ph_sftp_login(PhSftp *sftp, const PhSftpConfig *config, const gchar *public_key, GError **error)
{
	if (libssh2_userauth_publickey_fromfile_ex(sftp->session, config->user,
	                                           (guint)strlen(config->user), public_key,
	                                           config->private_key_path, NULL) != 0) {
		gint rc = libssh2_session_last_errno(sftp->session);
		gboolean refused = rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED ||
		                   rc == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED;
		g_set_error(error, PH_ERROR, refused ? PH_ERROR_FORBIDDEN : PH_ERROR_TRANSIENT,
		            "sftp %s: login with %s refused: %s", sftp->peer,
		            config->private_key_path, ph_sftp_session_message(sftp->session));
		return FALSE;
	}
	sftp->sftp = libssh2_sftp_init(sftp->session);
	if (sftp->sftp == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_TRANSIENT, "sftp %s: no sftp subsystem: %s",
		            sftp->peer, ph_sftp_session_message(sftp->session));
		return FALSE;
	}
	return TRUE;
}

static gboolean
ph_sftp_handshake(PhSftp *sftp, const PhSftpConfig *config, guint port, GError **error)
{
	LIBSSH2_KNOWNHOSTS *hosts = libssh2_knownhost_init(sftp->session);
	gboolean ok = FALSE;
	if (libssh2_knownhost_readfile(hosts, config->known_hosts_path,
	                               LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "sftp %s: cannot read %s: %s",
		            sftp->peer, config->known_hosts_path,
		            ph_sftp_session_message(sftp->session));
		goto out;
	}
	const gchar *pinned = ph_sftp_pinned_type(hosts, config->host, port);
	if (!ph_sftp_set_methods(sftp, pinned != NULL ? pinned : "ssh-ed25519", error))
		goto out;
	gint fd = g_socket_get_fd(g_socket_connection_get_socket(sftp->connection));
	if (libssh2_session_handshake(sftp->session, fd) != 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_TRANSIENT, "sftp %s: handshake failed: %s",
		            sftp->peer, ph_sftp_session_message(sftp->session));
		goto out;
	}
	ok = ph_sftp_check_host_key(sftp, hosts, config, port, error);
out:
	libssh2_knownhost_free(hosts);
	return ok;
}

/* Connects @sftp, new, as @config says: socket, handshake, host key, login. */
static gboolean
ph_sftp_establish(PhSftp *sftp, const PhSftpConfig *config, GError **error)
{
	guint port = config->port != 0 ? config->port : 22;
	guint timeout_ms = config->timeout_ms != 0 ? config->timeout_ms : PH_SFTP_TIMEOUT_MS;
	g_autofree gchar *public_key =
	        config->public_key_path != NULL
	                ? g_strdup(config->public_key_path)
	                : g_strconcat(config->private_key_path, ".pub", NULL);
	if (!ph_sftp_init_once(error) || !ph_sftp_check_config(config, public_key, error))
		return FALSE;
	sftp->peer = g_strdup_printf("%s@%s:%u", config->user, config->host, port);
	if (!ph_sftp_open_socket(sftp, config, port, timeout_ms, error))
		return FALSE;
	sftp->session = libssh2_session_init();
	if (sftp->session == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "sftp %s: no session", sftp->peer);
		return FALSE;
	}
	libssh2_session_set_blocking(sftp->session, 1);
	libssh2_session_set_timeout(sftp->session, (glong)timeout_ms);
	return ph_sftp_handshake(sftp, config, port, error) &&
	       ph_sftp_login(sftp, config, public_key, error);
}

static gboolean
ph_sftp_config_is_complete(const PhSftpConfig *config)
{
	return config != NULL && config->host != NULL && config->user != NULL &&
	       config->private_key_path != NULL && config->known_hosts_path != NULL;
}

PhSftp *
ph_sftp_connect(const PhSftpConfig *config, GError **error)
{
	g_return_val_if_fail(ph_sftp_config_is_complete(config), NULL);
	g_autoptr(PhSftp) sftp = g_new0(PhSftp, 1);
	if (!ph_sftp_establish(sftp, config, error))
		return NULL;
	return g_steal_pointer(&sftp);
}

static void
ph_sftp_config_free(PhSftpConfig *config)
{
	g_free((gchar *)config->host);
	g_free((gchar *)config->user);
	g_free((gchar *)config->private_key_path);
	g_free((gchar *)config->public_key_path);
	g_free((gchar *)config->known_hosts_path);
	g_free(config);
}

static gpointer
ph_sftp_connect_thread(gpointer data)
{
	PhSftp *sftp = data;
	ph_sftp_establish(sftp, sftp->connect_to, &sftp->connect_error);
	return NULL;
}

PhSftp *
ph_sftp_connect_start(const PhSftpConfig *config)
{
	g_return_val_if_fail(ph_sftp_config_is_complete(config), NULL);
	PhSftp *sftp = g_new0(PhSftp, 1);
	sftp->connect_to = g_memdup2(config, sizeof *config);
	sftp->connect_to->host = g_strdup(config->host);
	sftp->connect_to->user = g_strdup(config->user);
	sftp->connect_to->private_key_path = g_strdup(config->private_key_path);
	sftp->connect_to->public_key_path = g_strdup(config->public_key_path);
	sftp->connect_to->known_hosts_path = g_strdup(config->known_hosts_path);
	sftp->connecting = g_thread_new("ph-sftp-connect", ph_sftp_connect_thread, sftp);
	return sftp;
}

/* Waits for ph_sftp_connect_start()'s thread, once; FALSE with its error when it failed.
 * Every call on a session starts here. */
static gboolean
ph_sftp_wait(PhSftp *sftp, GError **error)
{
	if (sftp->connecting != NULL) {
		g_thread_join(g_steal_pointer(&sftp->connecting));
		g_clear_pointer(&sftp->connect_to, ph_sftp_config_free);
	}
	if (sftp->connect_error == NULL)
		return TRUE;
	g_propagate_error(error, g_error_copy(sftp->connect_error));
	return FALSE;
}

void
ph_sftp_free(PhSftp *sftp)
{
	if (sftp == NULL)
		return;
	ph_sftp_wait(sftp, NULL);
	g_clear_error(&sftp->connect_error);
	if (sftp->sftp != NULL)
		libssh2_sftp_shutdown(sftp->sftp);
	if (sftp->session != NULL) {
		libssh2_session_disconnect(sftp->session, "pension-hub done");
		libssh2_session_free(sftp->session);
	}
	if (sftp->connection != NULL)
		g_io_stream_close(G_IO_STREAM(sftp->connection), NULL, NULL);
	g_clear_object(&sftp->connection);
	g_free(sftp->peer);
	g_free(sftp);
}

/* ---- files ---- */

static gchar *
ph_sftp_path(const gchar *folder, const gchar *name)
{
	if (folder == NULL || folder[0] == '\0')
		return g_strdup(name);
	return g_build_path("/", folder, name, NULL);
}

static LIBSSH2_SFTP_HANDLE *
ph_sftp_open(PhSftp *sftp, const gchar *path, gulong flags, GError **error)
{
	LIBSSH2_SFTP_HANDLE *handle = libssh2_sftp_open_ex(sftp->sftp, path, (guint)strlen(path),
	                                                   flags, 0640, LIBSSH2_SFTP_OPENFILE);
	if (handle == NULL)
		ph_sftp_set_error(sftp, error, "open", path);
	return handle;
}

gboolean
ph_sftp_stat(PhSftp *sftp, const gchar *path, guint64 *size, GError **error)
{
	LIBSSH2_SFTP_ATTRIBUTES attrs = {0};
	g_return_val_if_fail(sftp != NULL && path != NULL, FALSE);
	if (!ph_sftp_wait(sftp, error))
		return FALSE;
	if (libssh2_sftp_stat_ex(sftp->sftp, path, (guint)strlen(path), LIBSSH2_SFTP_STAT,
	                         &attrs) != 0) {
		ph_sftp_set_error(sftp, error, "stat", path);
		return FALSE;
	}
	if (size != NULL)
		*size = attrs.filesize;
	return TRUE;
}

static gboolean
ph_sftp_exists(PhSftp *sftp, const gchar *path, gboolean *exists, GError **error)
{
	g_autoptr(GError) local = NULL;
	*exists = ph_sftp_stat(sftp, path, NULL, &local);
	if (!*exists && !g_error_matches(local, PH_ERROR, PH_ERROR_NOT_FOUND)) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	return TRUE;
}

gboolean
ph_sftp_rename(PhSftp *sftp, const gchar *from, const gchar *to, GError **error)
{
	gboolean exists = FALSE;
	g_return_val_if_fail(sftp != NULL && from != NULL && to != NULL, FALSE);
	if (!ph_sftp_exists(sftp, to, &exists, error))
		return FALSE;
	if (exists) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFLICT,
		            "sftp %s: rename %s: %s exists and is never overwritten", sftp->peer,
		            from, to);
		return FALSE;
	}
	/* No OVERWRITE flag; SFTP v3 (OpenSSH) fails onto an existing file anyway. */
	if (libssh2_sftp_rename_ex(sftp->sftp, from, (guint)strlen(from), to, (guint)strlen(to),
	                           LIBSSH2_SFTP_RENAME_ATOMIC | LIBSSH2_SFTP_RENAME_NATIVE) != 0) {
		ph_sftp_set_error(sftp, error, "rename", from);
		return FALSE;
	}
	return TRUE;
}

gboolean
ph_sftp_remove(PhSftp *sftp, const gchar *path, GError **error)
{
	g_return_val_if_fail(sftp != NULL && path != NULL, FALSE);
	if (!ph_sftp_wait(sftp, error))
		return FALSE;
	if (libssh2_sftp_unlink_ex(sftp->sftp, path, (guint)strlen(path)) != 0) {
		ph_sftp_set_error(sftp, error, "remove", path);
		return FALSE;
	}
	return TRUE;
}

gboolean
ph_sftp_mkdir(PhSftp *sftp, const gchar *folder, GError **error)
{
	gboolean exists = FALSE;
	g_return_val_if_fail(sftp != NULL && folder != NULL, FALSE);
	if (!ph_sftp_exists(sftp, folder, &exists, error))
		return FALSE;
	if (exists)
		return TRUE;
	if (libssh2_sftp_mkdir_ex(sftp->sftp, folder, (guint)strlen(folder), 0750) != 0) {
		ph_sftp_set_error(sftp, error, "mkdir", folder);
		return FALSE;
	}
	return TRUE;
}

void
ph_sftp_entry_free(PhSftpEntry *entry)
{
	if (entry == NULL)
		return;
	g_free(entry->name);
	g_free(entry);
}

static gint
ph_sftp_entry_compare(gconstpointer a, gconstpointer b)
{
	const PhSftpEntry *x = *(PhSftpEntry *const *)a;
	const PhSftpEntry *y = *(PhSftpEntry *const *)b;
	return strcmp(x->name, y->name);
}

GPtrArray *
ph_sftp_list(PhSftp *sftp, const gchar *folder, GError **error)
{
	g_return_val_if_fail(sftp != NULL && folder != NULL, NULL);
	if (!ph_sftp_wait(sftp, error))
		return NULL;
	LIBSSH2_SFTP_HANDLE *dir = libssh2_sftp_open_ex(sftp->sftp, folder, (guint)strlen(folder),
	                                                0, 0, LIBSSH2_SFTP_OPENDIR);
	if (dir == NULL) {
		ph_sftp_set_error(sftp, error, "list", folder);
		return NULL;
	}
	g_autoptr(GPtrArray) entries =
	        g_ptr_array_new_with_free_func((GDestroyNotify)ph_sftp_entry_free);
	gchar name[1024];
	for (;;) {
		LIBSSH2_SFTP_ATTRIBUTES attrs = {0};
		gint n = libssh2_sftp_readdir_ex(dir, name, sizeof name, NULL, 0, &attrs);
		if (n == 0)
			break;
		if (n < 0) {
			ph_sftp_set_error(sftp, error, "list", folder);
			libssh2_sftp_close_handle(dir);
			return NULL;
		}
		if ((attrs.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) == 0 ||
		    !LIBSSH2_SFTP_S_ISREG(attrs.permissions))
			continue;
		PhSftpEntry *entry = g_new0(PhSftpEntry, 1);
		entry->name = g_strndup(name, (gsize)n);
		entry->size = attrs.filesize;
		entry->mtime = (gint64)attrs.mtime;
		g_ptr_array_add(entries, entry);
	}
	libssh2_sftp_close_handle(dir);
	g_ptr_array_sort(entries, ph_sftp_entry_compare);
	return g_steal_pointer(&entries);
}

GInputStream *
ph_sftp_open_read(PhSftp *sftp, const gchar *path, GError **error)
{
	g_return_val_if_fail(sftp != NULL && path != NULL, NULL);
	if (!ph_sftp_wait(sftp, error))
		return NULL;
	LIBSSH2_SFTP_HANDLE *handle = ph_sftp_open(sftp, path, LIBSSH2_FXF_READ, error);
	if (handle == NULL)
		return NULL;
	PhSftpInputStream *stream = g_object_new(PH_TYPE_SFTP_INPUT_STREAM, NULL);
	stream->sftp = sftp;
	stream->handle = handle;
	stream->path = g_strdup(path);
	return G_INPUT_STREAM(stream);
}

GBytes *
ph_sftp_get_bytes(PhSftp *sftp, const gchar *path, gsize max_size, GError **error)
{
	g_autoptr(GInputStream) input = ph_sftp_open_read(sftp, path, error);
	if (input == NULL)
		return NULL;
	/* One byte more than allowed tells a file at the limit from one over it. */
	g_autoptr(GBytes) bytes = g_input_stream_read_bytes(input, max_size + 1, NULL, error);
	if (bytes == NULL)
		return NULL;
	gsize size = g_bytes_get_size(bytes);
	/* read_bytes may stop short of a full buffer: read on until the end or the limit */
	g_autoptr(GByteArray) all = g_bytes_unref_to_array(g_steal_pointer(&bytes));
	while (size > 0 && all->len <= max_size) {
		guint8 buffer[4096];
		gssize n = g_input_stream_read(input, buffer, sizeof buffer, NULL, error);
		if (n < 0)
			return NULL;
		size = (gsize)n;
		g_byte_array_append(all, buffer, (guint)n);
	}
	if (all->len > max_size) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "sftp %s: %s is larger than %" G_GSIZE_FORMAT " bytes", sftp->peer,
		            path, max_size);
		return NULL;
	}
	return g_byte_array_free_to_bytes(g_steal_pointer(&all));
}

/* ---- uploads ---- */

/* The writer thread's first step: the session (once connected) and NAME.part, truncating a
 * stale one from an interrupted try. */
static gboolean
ph_sftp_upload_open_part(PhSftpUpload *upload, GError **error)
{
	if (!ph_sftp_wait(upload->sftp, error))
		return FALSE;
	upload->handle =
	        ph_sftp_open(upload->sftp, upload->part_path,
	                     LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC, error);
	return upload->handle != NULL;
}

PhSftpUpload *
ph_sftp_upload_new(PhSftp *sftp, const gchar *folder, const gchar *name)
{
	g_return_val_if_fail(sftp != NULL && name != NULL, NULL);
	PhSftpUpload *upload = g_new0(PhSftpUpload, 1);
	upload->sftp = sftp;
	upload->final_path = ph_sftp_path(folder, name);
	upload->part_path = g_strconcat(upload->final_path, ".part", NULL);
	upload->chunks = g_async_queue_new_full((GDestroyNotify)g_bytes_unref);
	upload->slots = g_async_queue_new();
	upload->withheld = PH_SFTP_CHUNKS_WHILE_OPENING;
	for (guint i = 0; i < PH_SFTP_CHUNKS_IN_FLIGHT + PH_SFTP_CHUNKS_WHILE_OPENING; i++)
		g_async_queue_push(upload->slots, GINT_TO_POINTER(1));
	upload->writer = g_thread_new("ph-sftp-upload", ph_sftp_upload_writer, upload);
	PhSftpOutputStream *raw = g_object_new(PH_TYPE_SFTP_OUTPUT_STREAM, NULL);
	raw->upload = upload;
	upload->stream = g_buffered_output_stream_new_sized(G_OUTPUT_STREAM(raw), PH_SFTP_CHUNK);
	g_object_unref(raw);
	return upload;
}

GOutputStream *
ph_sftp_upload_get_stream(PhSftpUpload *upload)
{
	g_return_val_if_fail(upload != NULL, NULL);
	return upload->stream;
}

void
ph_sftp_upload_set_digest(PhSftpUpload *upload, PhDigest *digest)
{
	g_return_if_fail(upload != NULL);
	/* the writer thread sees it with the first chunk the queue hands over */
	upload->digest = digest;
}

static gboolean
ph_sftp_upload_close_part(PhSftpUpload *upload, GError **error)
{
	PhSftp *sftp = upload->sftp;
	g_autoptr(GError) unflushed = NULL;
	gboolean flushed = g_output_stream_flush(upload->stream, NULL, &unflushed);
	/* the writer thread's failure (connecting, opening, sending) is the cause of any */
	if (!ph_sftp_upload_join_writer(upload, error))
		return FALSE;
	if (!flushed) {
		g_propagate_prefixed_error(error, g_steal_pointer(&unflushed),
		                           "sftp %s: %s: ", sftp->peer, upload->part_path);
		return FALSE;
	}
	if (libssh2_sftp_fsync(upload->handle) != 0) {
		ph_sftp_set_error(sftp, error, "fsync", upload->part_path);
		return FALSE;
	}
	gint rc = libssh2_sftp_close_handle(upload->handle);
	upload->handle = NULL;
	if (rc != 0) {
		ph_sftp_set_error(sftp, error, "close", upload->part_path);
		return FALSE;
	}
	return TRUE;
}

gboolean
ph_sftp_upload_commit(PhSftpUpload *upload, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_return_val_if_fail(upload != NULL && !upload->committed, FALSE);
	if (!ph_sftp_upload_close_part(upload, error))
		return FALSE;
	if (!ph_sftp_rename(upload->sftp, upload->part_path, upload->final_path, &local)) {
		if (g_error_matches(local, PH_ERROR, PH_ERROR_CONFLICT))
			ph_sftp_remove(upload->sftp, upload->part_path, NULL);
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	upload->committed = TRUE;
	return TRUE;
}

void
ph_sftp_upload_free(PhSftpUpload *upload)
{
	if (upload == NULL)
		return;
	ph_sftp_upload_join_writer(upload, NULL);
	if (upload->handle != NULL)
		libssh2_sftp_close_handle(upload->handle);
	if (!upload->committed && upload->sftp->sftp != NULL)
		ph_sftp_remove(upload->sftp, upload->part_path, NULL);
	/* Closing the stream flushes its buffer into an ended writer: that write fails quietly. */
	g_clear_object(&upload->stream);
	if (upload->chunks != NULL)
		g_async_queue_unref(upload->chunks);
	if (upload->slots != NULL)
		g_async_queue_unref(upload->slots);
	g_clear_error(&upload->writer_error);
	g_free(upload->part_path);
	g_free(upload->final_path);
	g_free(upload);
}

gboolean
ph_sftp_put_bytes(PhSftp *sftp, const gchar *folder, const gchar *name, GBytes *data,
                  GError **error)
{
	gsize size = 0;
	g_return_val_if_fail(data != NULL, FALSE);
	const guint8 *bytes = g_bytes_get_data(data, &size);
	g_autoptr(PhSftpUpload) upload = ph_sftp_upload_new(sftp, folder, name);
	if (!g_output_stream_write_all(upload->stream, bytes, size, NULL, NULL, error))
		return FALSE;
	return ph_sftp_upload_commit(upload, error);
}
