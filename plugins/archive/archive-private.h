/* archive: what the plugin's files share: its state (config of both deliveries, the manifest
 * signer, the outbox retry policy) and the two ways a package reaches the archive (HTTPS PUT in
 * archive.c, SFTP in archive-sftp.c). Plugin-internal. */
#pragma once

#include <pension-hub/pension-hub.h>

typedef enum {
	ARCHIVE_DELIVERY_HTTPS,
	ARCHIVE_DELIVERY_SFTP,
} ArchiveDelivery;

typedef struct {
	PhPlugin *plugin;
	ArchiveDelivery delivery;
	PhXmlSigner *signer;
	guint timeout_ms; /* per HTTPS delivery; per blocking SFTP step */
	PhRetryPolicy retry;
	/* delivery = https */
	gchar *url; /* the archive's package collection, https://…/archive/v1/packages */
	gchar *ca;  /* the only CA trusted for its server certificate */
	guint connect_timeout_ms;
	/* delivery = sftp */
	gchar *host;
	gchar *user;
	gchar *private_key;
	gchar *known_hosts;
	gchar *folder;         /* where packages go and receipts come back */
	guint receipt_wait_ms; /* how long one attempt waits for the receipt file */
	PhSftpConfig sftp;     /* points into the strings above */
} Archive;

/* A whole-number key within 1 … @max into a guint field. */
gboolean archive_config_uint(PhPlugin *plugin, const gchar *key, gint64 fallback, gint64 max,
                             guint *value, GError **error);

/* Reads the SFTP keys of [plugin archive] (delivery = sftp). */
gboolean archive_sftp_read_config(Archive *archive, GError **error);
void archive_sftp_clear_config(Archive *archive);

/* Puts the package on the archive's SFTP server as FOLDER/PACKAGE_ID.tar (never overwritten)
 * and waits for FOLDER/PACKAGE_ID.receipt; keeps the receipt as the case's state and returns
 * its id. PH_ERROR_TRANSIENT while the server is down or the receipt has not come yet (the
 * outbox retries; a retry finds the package already there); PH_ERROR_PERMANENT when the host
 * key or login is refused, other bytes are there under the package's name, or the receipt
 * holds no receipt id. */
gchar *archive_sftp_deliver(Archive *archive, const PhArchivePackage *package, GError **error);
