/* SDK: the host's SFTP transport (libssh2 in hub/ph-sftp.c), for plugins that exchange
 * batch files with a partner. Blocking: call it from a worker (deliver, job). GLib/GIO only. */
#pragma once

#include <gio/gio.h>

#include "ph-digest.h"
#include "ph-error.h"

G_BEGIN_DECLS

/**
 * PhSftpConfig:
 * @host: partner host name or address
 * @port: TCP port (0: 22)
 * @user: login name
 * @private_key_path: the hub's ed25519 client key (OpenSSH format, no passphrase)
 * @public_key_path: its public half (%NULL: @private_key_path + ".pub")
 * @known_hosts_path: OpenSSH known_hosts file pinning the partner's host key; a host key
 *   that is not in it, or differs from it, is refused (never trusted on first use)
 * @timeout_ms: time-out of every blocking step (0: 30 s)
 *
 * A plugin reads these from its own `[plugin NAME]` group in init and hands them over;
 * the host opens the socket and the files.
 */
typedef struct {
	const gchar *host;
	guint port;
	const gchar *user;
	const gchar *private_key_path;
	const gchar *public_key_path;
	const gchar *known_hosts_path;
	guint timeout_ms;
} PhSftpConfig;

/* One authenticated SFTP session; use it from one thread at a time. */
typedef struct _PhSftp PhSftp;

/* Connects, checks the host key against the pin and logs in. Errors:
 * PH_ERROR_TRANSIENT when the partner cannot be reached or drops the connection (worth a
 * retry); PH_ERROR_FORBIDDEN when the host key is unknown or changed (logged as an alert;
 * retrying cannot help until an operator updates known_hosts) or the login is refused;
 * PH_ERROR_CONFIG when a key or known_hosts file cannot be read. */
PhSftp *ph_sftp_connect(const PhSftpConfig *config, GError **error);
/* Connects as ph_sftp_connect() does, in a thread of its own, and returns at once, so that
 * the caller can prepare an upload's data meanwhile (ph_sftp_upload_new() on the session
 * takes what is written while the handshake goes on). Every call on the session waits
 * for the connection; when it failed, each fails with the error ph_sftp_connect() would
 * have given. */
PhSftp *ph_sftp_connect_start(const PhSftpConfig *config);
void ph_sftp_free(PhSftp *sftp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhSftp, ph_sftp_free)

/* ---- upload: NAME.part, fsync, rename to NAME (never onto an existing file), done last ---- */
typedef struct _PhSftpUpload PhSftpUpload;

/* Starts an upload of @folder/@name: its writer thread opens NAME.part (truncating a stale
 * one from an interrupted try) once the session is up, while the caller writes the data to
 * ph_sftp_upload_get_stream(); then commit. A failure to connect or open comes back from
 * the first write after it, or from the commit. */
PhSftpUpload *ph_sftp_upload_new(PhSftp *sftp, const gchar *folder, const gchar *name);
/* Buffered (~240 KB writes); owned by the upload. */
GOutputStream *ph_sftp_upload_get_stream(PhSftpUpload *upload);
/* Digests the data in the upload's writer thread as it is sent, so that the digest does not
 * slow the producer; set before the first write. @digest is complete once the upload is
 * committed (also when the commit fails with PH_ERROR_CONFLICT) and must outlive it. */
void ph_sftp_upload_set_digest(PhSftpUpload *upload, PhDigest *digest);
/* Flushes, fsyncs and closes NAME.part and renames it to NAME. NAME is never
 * overwritten: when it exists (an earlier try got that far), the new .part is removed and
 * the call fails with PH_ERROR_CONFLICT, so the caller can compare the existing file with
 * what it meant to send. Write the done file afterwards with ph_sftp_put_bytes(). */
gboolean ph_sftp_upload_commit(PhSftpUpload *upload, GError **error);
/* Closes and removes NAME.part unless committed. */
void ph_sftp_upload_free(PhSftpUpload *upload);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhSftpUpload, ph_sftp_upload_free)

/* Writes @data as @folder/@name through NAME.part, with the same rules (a done file). */
gboolean ph_sftp_put_bytes(PhSftp *sftp, const gchar *folder, const gchar *name, GBytes *data,
                           GError **error);

/* ---- listing, reading, moving ---- */
typedef struct {
	gchar *name;
	guint64 size;
	gint64 mtime; /* unix seconds */
} PhSftpEntry;

void ph_sftp_entry_free(PhSftpEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhSftpEntry, ph_sftp_entry_free)

/* Regular files of @folder (no "." entries, no sub-folders), sorted by name. */
GPtrArray *ph_sftp_list(PhSftp *sftp, const gchar *folder, GError **error);

/* Size of @path; PH_ERROR_NOT_FOUND when it does not exist. */
gboolean ph_sftp_stat(PhSftp *sftp, const gchar *path, guint64 *size, GError **error);

/* A stream reading @path (bounded memory: one read at a time). Valid while @sftp is. */
GInputStream *ph_sftp_open_read(PhSftp *sftp, const gchar *path, GError **error);

/* Reads @path whole; PH_ERROR_INVALID_INPUT when it is larger than @max_size. For done
 * files and other small files. */
GBytes *ph_sftp_get_bytes(PhSftp *sftp, const gchar *path, gsize max_size, GError **error);

/* Renames on the server; fails (PH_ERROR_CONFLICT) when @to exists. */
gboolean ph_sftp_rename(PhSftp *sftp, const gchar *from, const gchar *to, GError **error);
gboolean ph_sftp_remove(PhSftp *sftp, const gchar *path, GError **error);
/* Creates @folder unless it exists. */
gboolean ph_sftp_mkdir(PhSftp *sftp, const gchar *folder, GError **error);

G_END_DECLS
