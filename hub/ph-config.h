/* The hub's configuration: one GKeyFile (pension-hub.conf), checked strictly at load so
 * that a typo is an error naming the file, group and key rather than a silent default.
 * Relative paths are taken against the config file's folder. Host-only. */
#pragma once

#include <glib.h>

#include "ph-error.h"

G_BEGIN_DECLS

typedef struct {
	gchar *name;        /* from the group name [partner NAME] */
	gchar *subject;     /* certificate subject as RFC 4514 text, or NULL */
	gchar *pin_sha256;  /* lowercase hex SHA-256 of the certificate's DER, or NULL */
	gchar **roles;      /* free-form role names; routes name partners, not roles */
} PhPartnerConfig;

typedef struct {
	gchar *path; /* absolute path of the file */
	gchar *dir;  /* its folder */

	/* [hub] */
	gchar *agency; /* AAB034 of this hub's agency */
	gchar *region; /* AAB301 */
	gchar *plugin_dir;
	gchar *mapping_dir;
	gchar *policy_dir;
	guint workers;     /* threads for requests and jobs */
	guint dispatchers; /* threads for inbox processing and outbox delivery */
	guint drain_seconds;

	/* [database] */
	gchar *database_url;

	/* [partner-listener] */
	gchar *partner_address;
	guint partner_port;
	gchar *tls_certificate;
	gchar *tls_key;
	gchar *tls_ca;
	guint64 body_limit;

	/* [admin-listener] */
	gchar *admin_address;
	guint admin_port;

	/* [client-tls]: the hub's own certificate for outbound HTTPS */
	gchar *client_certificate;
	gchar *client_key;

	GPtrArray *partners; /* PhPartnerConfig */

	/* The whole file, for the plugins' own groups [plugin NAME]. */
	GKeyFile *keyfile;
} PhConfig;

/* --config FILE if given, else $PENSION_HUB_CONFIG, else /etc/pension-hub/pension-hub.conf */
const gchar *
ph_config_choose_path(const gchar *explicit_path);

PhConfig *
ph_config_load(const gchar *path, GError **error);
void
ph_config_free(PhConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhConfig, ph_config_free)

/* Makes a value from the file absolute against the file's folder. */
gchar *
ph_config_resolve_path(const PhConfig *config, const gchar *value);

const PhPartnerConfig *
ph_config_find_partner(const PhConfig *config, const gchar *name);
/* The partner whose subject or pin matches the certificate, or NULL. */
const PhPartnerConfig *
ph_config_match_certificate(const PhConfig *config, const gchar *subject,
			    const gchar *pin_sha256);

G_END_DECLS
