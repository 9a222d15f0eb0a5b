/* Loads and checks pension-hub.conf. Every group and key the hub itself owns is listed
 * here; anything else in those groups is an error, so that a misspelt key never silently
 * falls back to a default. [plugin NAME] groups are checked by the plugin host. */
#include "ph-config.h"

#include <gio/gio.h>

#include <string.h>

#define PH_CONFIG_DEFAULT_PATH "/etc/pension-hub/pension-hub.conf"

typedef struct {
	const gchar *group;
	const gchar *const *keys;
} PhConfigGroupKeys;

static const gchar *const hub_keys[] = {"agency",      "region",        "plugin_dir",
                                        "mapping_dir", "policy_dir",    "workers",
                                        "dispatchers", "drain_seconds",
                                        /* read by ph-document-store.c */
                                        "documents_dir", NULL};
static const gchar *const database_keys[] = {"url", "socket_dir", NULL};
static const gchar *const partner_listener_keys[] = {"address", "port",       "certificate", "key",
                                                     "ca",      "body_limit", NULL};
static const gchar *const admin_listener_keys[] = {"address", "port", NULL};
static const gchar *const client_tls_keys[] = {"certificate", "key", NULL};
static const gchar *const partner_keys[] = {"subject", "pin", "roles", NULL};
/* [audit] and [keys] are read by ph-audit-seal.c and ph-field-key.c (docs/security.md). */
static const gchar *const audit_keys[] = {"signing_key", "signing_certificate", "seal_seconds",
                                          "operator", NULL};
static const gchar *const keys_keys[] = {"file", NULL};

static const PhConfigGroupKeys fixed_groups[] = {
        {"hub", hub_keys},
        {"database", database_keys},
        {"partner-listener", partner_listener_keys},
        {"admin-listener", admin_listener_keys},
        {"client-tls", client_tls_keys},
        {"audit", audit_keys},
        {"keys", keys_keys},
};

const gchar *
ph_config_choose_path(const gchar *explicit_path)
{
	if (explicit_path != NULL)
		return explicit_path;
	const gchar *from_env = g_getenv("PENSION_HUB_CONFIG");
	if (from_env != NULL && from_env[0] != '\0')
		return from_env;
	return PH_CONFIG_DEFAULT_PATH;
}

static void
ph_config_partner_free(PhPartnerConfig *partner)
{
	g_free(partner->name);
	g_free(partner->subject);
	g_free(partner->pin_sha256);
	g_strfreev(partner->roles);
	g_free(partner);
}

void
ph_config_free(PhConfig *config)
{
	if (config == NULL)
		return;
	g_free(config->path);
	g_free(config->dir);
	g_free(config->agency);
	g_free(config->region);
	g_free(config->plugin_dir);
	g_free(config->mapping_dir);
	g_free(config->policy_dir);
	g_free(config->database_url);
	g_free(config->partner_address);
	g_free(config->tls_certificate);
	g_free(config->tls_key);
	g_free(config->tls_ca);
	g_free(config->admin_address);
	g_free(config->client_certificate);
	g_free(config->client_key);
	g_clear_pointer(&config->partners, g_ptr_array_unref);
	g_clear_pointer(&config->keyfile, g_key_file_unref);
	g_free(config);
}

gchar *
ph_config_resolve_path(const PhConfig *config, const gchar *value)
{
	if (value == NULL)
		return NULL;
	if (g_path_is_absolute(value))
		return g_strdup(value);
	g_autofree gchar *joined = g_build_filename(config->dir, value, NULL);
	return g_canonicalize_filename(joined, NULL);
}

static gboolean
ph_config_fail(const PhConfig *config, const gchar *group, const gchar *key, GError **error,
               const gchar *why)
{
	g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "%s: [%s] %s: %s", config->path, group, key,
	            why);
	return FALSE;
}

static gboolean
ph_config_check_keys(const PhConfig *config, const gchar *group, const gchar *const *known,
                     GError **error)
{
	g_auto(GStrv) keys = g_key_file_get_keys(config->keyfile, group, NULL, NULL);
	for (guint i = 0; keys != NULL && keys[i] != NULL; i++) {
		if (!g_strv_contains(known, keys[i]))
			return ph_config_fail(config, group, keys[i], error, "unknown key");
	}
	return TRUE;
}

/* Every group must be one the hub knows: a fixed one, [partner NAME] or [plugin NAME]. */
static gboolean
ph_config_check_groups(const PhConfig *config, GError **error)
{
	g_auto(GStrv) groups = g_key_file_get_groups(config->keyfile, NULL);
	for (guint i = 0; groups[i] != NULL; i++) {
		const gchar *group = groups[i];
		const gchar *const *known = NULL;
		for (guint j = 0; j < G_N_ELEMENTS(fixed_groups); j++) {
			if (g_str_equal(fixed_groups[j].group, group))
				known = fixed_groups[j].keys;
		}
		if (known == NULL && g_str_has_prefix(group, "partner "))
			known = partner_keys;
		if (known == NULL && g_str_has_prefix(group, "plugin "))
			continue;
		if (known == NULL) {
			g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "%s: [%s]: unknown group",
			            config->path, group);
			return FALSE;
		}
		if (!ph_config_check_keys(config, group, known, error))
			return FALSE;
	}
	return TRUE;
}

static gchar *
ph_config_string(const PhConfig *config, const gchar *group, const gchar *key,
                 const gchar *fallback, GError **error)
{
	if (!g_key_file_has_key(config->keyfile, group, key, NULL)) {
		if (fallback == NULL)
			ph_config_fail(config, group, key, error, "required key is missing");
		return g_strdup(fallback);
	}
	g_autofree gchar *value = g_key_file_get_string(config->keyfile, group, key, NULL);
	g_strstrip(value);
	if (value[0] == '\0') {
		ph_config_fail(config, group, key, error, "empty value");
		return NULL;
	}
	return g_steal_pointer(&value);
}

static gboolean
ph_config_uint(const PhConfig *config, const gchar *group, const gchar *key, guint64 fallback,
               guint64 min, guint64 max, guint64 *out, GError **error)
{
	g_autofree gchar *text = NULL;
	if (!g_key_file_has_key(config->keyfile, group, key, NULL)) {
		*out = fallback;
		return TRUE;
	}
	text = g_key_file_get_string(config->keyfile, group, key, NULL);
	g_strstrip(text);
	if (!g_ascii_string_to_unsigned(text, 10, min, max, out, NULL)) {
		g_autofree gchar *why =
		        g_strdup_printf("'%s' is not a whole number from %" G_GUINT64_FORMAT
		                        " to %" G_GUINT64_FORMAT,
		                        text, min, max);
		return ph_config_fail(config, group, key, error, why);
	}
	return TRUE;
}

/* A path that must name an existing file or folder. */
static gchar *
ph_config_existing_path(const PhConfig *config, const gchar *group, const gchar *key,
                        const gchar *fallback, gboolean required, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autofree gchar *value =
	        ph_config_string(config, group, key, required ? NULL : fallback, &local);
	if (local != NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return NULL;
	}
	if (value == NULL)
		return NULL;
	g_autofree gchar *path = ph_config_resolve_path(config, value);
	if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
		g_autofree gchar *why = g_strdup_printf("%s does not exist", path);
		ph_config_fail(config, group, key, error, why);
		return NULL;
	}
	return g_steal_pointer(&path);
}

static gboolean
ph_config_load_hub(PhConfig *config, GError **error)
{
	guint64 value = 0;
	if ((config->agency = ph_config_string(config, "hub", "agency", NULL, error)) == NULL)
		return FALSE;
	if ((config->region = ph_config_string(config, "hub", "region", NULL, error)) == NULL)
		return FALSE;
	if ((config->plugin_dir = ph_config_existing_path(config, "hub", "plugin_dir", NULL, TRUE,
	                                                  error)) == NULL)
		return FALSE;
	if ((config->mapping_dir = ph_config_existing_path(config, "hub", "mapping_dir", NULL, TRUE,
	                                                   error)) == NULL)
		return FALSE;
	if ((config->policy_dir = ph_config_existing_path(config, "hub", "policy_dir", NULL, TRUE,
	                                                  error)) == NULL)
		return FALSE;
	/* Workers mostly wait for PostgreSQL to flush a commit, so more of them than cores pays:
	 * on 2 cores, 8 keep-alive partners got 1,800–1,900 messages/s with 4 and 2,040–2,130
	 * with 8 (bench-inbox, 2026-11-27). */
	if (!ph_config_uint(config, "hub", "workers", 8, 1, 64, &value, error))
		return FALSE;
	config->workers = (guint)value;
	if (!ph_config_uint(config, "hub", "dispatchers", 2, 1, 64, &value, error))
		return FALSE;
	config->dispatchers = (guint)value;
	if (!ph_config_uint(config, "hub", "drain_seconds", 30, 1, 3600, &value, error))
		return FALSE;
	config->drain_seconds = (guint)value;
	return TRUE;
}

/* [database] url, plus socket_dir (relative to the file) so that a checked-in dev config
 * can point at the private cluster wherever the checkout lives. */
static gboolean
ph_config_load_database(PhConfig *config, GError **error)
{
	g_autofree gchar *url = ph_config_string(config, "database", "url", NULL, error);
	if (url == NULL)
		return FALSE;
	if (!g_key_file_has_key(config->keyfile, "database", "socket_dir", NULL)) {
		config->database_url = g_steal_pointer(&url);
		return TRUE;
	}
	g_autofree gchar *socket_dir =
	        ph_config_existing_path(config, "database", "socket_dir", NULL, TRUE, error);
	if (socket_dir == NULL)
		return FALSE;
	if (strstr(url, "host=") != NULL)
		return ph_config_fail(config, "database", "socket_dir", error,
		                      "url already names a host");
	config->database_url = g_strdup_printf("%s%shost=%s", url,
	                                       strchr(url, '?') != NULL ? "&" : "?", socket_dir);
	return TRUE;
}

static gboolean
ph_config_load_listeners(PhConfig *config, GError **error)
{
	guint64 value = 0;
	const gchar *group = "partner-listener";
	if ((config->partner_address =
	             ph_config_string(config, group, "address", "0.0.0.0", error)) == NULL)
		return FALSE;
	if (!ph_config_uint(config, group, "port", 8443, 0, 65535, &value, error))
		return FALSE;
	config->partner_port = (guint)value;
	if ((config->tls_certificate = ph_config_existing_path(config, group, "certificate", NULL,
	                                                       TRUE, error)) == NULL)
		return FALSE;
	if ((config->tls_key = ph_config_existing_path(config, group, "key", NULL, TRUE, error)) ==
	    NULL)
		return FALSE;
	if ((config->tls_ca = ph_config_existing_path(config, group, "ca", NULL, TRUE, error)) ==
	    NULL)
		return FALSE;
	if (!ph_config_uint(config, group, "body_limit", 64 * 1024 * 1024, 1024,
	                    G_GUINT64_CONSTANT(4) << 30, &config->body_limit, error))
		return FALSE;

	group = "admin-listener";
	if ((config->admin_address =
	             ph_config_string(config, group, "address", "127.0.0.1", error)) == NULL)
		return FALSE;
	/* The admin listener has no authentication of its own. */
	g_autoptr(GInetAddress) admin = g_inet_address_new_from_string(config->admin_address);
	if (admin == NULL || !g_inet_address_get_is_loopback(admin))
		return ph_config_fail(config, group, "address", error,
				      "must be a loopback address (127.0.0.1 or ::1)");
	if (!ph_config_uint(config, group, "port", 8080, 0, 65535, &value, error))
		return FALSE;
	config->admin_port = (guint)value;
	return TRUE;
}

static gboolean
ph_config_load_client_tls(PhConfig *config, GError **error)
{
	if (!g_key_file_has_group(config->keyfile, "client-tls"))
		return TRUE;
	config->client_certificate =
	        ph_config_existing_path(config, "client-tls", "certificate", NULL, TRUE, error);
	if (config->client_certificate == NULL)
		return FALSE;
	config->client_key =
	        ph_config_existing_path(config, "client-tls", "key", NULL, TRUE, error);
	return config->client_key != NULL;
}

static gboolean
ph_config_valid_pin(const gchar *pin)
{
	if (strlen(pin) != 64)
		return FALSE;
	for (const gchar *p = pin; *p != '\0'; p++) {
		if (!g_ascii_isxdigit(*p) || g_ascii_isupper(*p))
			return FALSE;
	}
	return TRUE;
}

static gboolean
ph_config_load_partner(PhConfig *config, const gchar *group, GError **error)
{
	PhPartnerConfig *partner = g_new0(PhPartnerConfig, 1);
	g_ptr_array_add(config->partners, partner);
	partner->name = g_strstrip(g_strdup(group + strlen("partner ")));
	if (partner->name[0] == '\0') {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "%s: [%s]: partner has no name",
		            config->path, group);
		return FALSE;
	}
	if (g_key_file_has_key(config->keyfile, group, "subject", NULL) &&
	    (partner->subject = ph_config_string(config, group, "subject", NULL, error)) == NULL)
		return FALSE;
	if (g_key_file_has_key(config->keyfile, group, "pin", NULL)) {
		if ((partner->pin_sha256 = ph_config_string(config, group, "pin", NULL, error)) ==
		    NULL)
			return FALSE;
		if (!ph_config_valid_pin(partner->pin_sha256))
			return ph_config_fail(config, group, "pin", error,
			                      "not 64 lowercase hex digits of a SHA-256");
	}
	if (partner->subject == NULL && partner->pin_sha256 == NULL)
		return ph_config_fail(config, group, "subject", error,
		                      "a partner needs a certificate subject or pin");
	partner->roles = g_key_file_get_string_list(config->keyfile, group, "roles", NULL, NULL);
	if (partner->roles == NULL)
		partner->roles = g_new0(gchar *, 1);
	for (guint i = 0; partner->roles[i] != NULL; i++)
		g_strstrip(partner->roles[i]);
	return TRUE;
}

static gboolean
ph_config_load_partners(PhConfig *config, GError **error)
{
	g_auto(GStrv) groups = g_key_file_get_groups(config->keyfile, NULL);
	for (guint i = 0; groups[i] != NULL; i++) {
		if (!g_str_has_prefix(groups[i], "partner "))
			continue;
		if (!ph_config_load_partner(config, groups[i], error))
			return FALSE;
	}
	return TRUE;
}

PhConfig *
ph_config_load(const gchar *path, GError **error)
{
	g_autoptr(PhConfig) config = g_new0(PhConfig, 1);
	g_autoptr(GError) local = NULL;
	g_autofree gchar *absolute = g_canonicalize_filename(path, NULL);

	config->path = g_steal_pointer(&absolute);
	config->dir = g_path_get_dirname(config->path);
	config->keyfile = g_key_file_new();
	config->partners = g_ptr_array_new_with_free_func((GDestroyNotify)ph_config_partner_free);
	g_key_file_set_list_separator(config->keyfile, ',');
	if (!g_key_file_load_from_file(config->keyfile, config->path, G_KEY_FILE_NONE, &local)) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "cannot read config %s: %s",
		            config->path, local->message);
		return NULL;
	}
	if (!ph_config_check_groups(config, error) || !ph_config_load_hub(config, error) ||
	    !ph_config_load_database(config, error) || !ph_config_load_listeners(config, error) ||
	    !ph_config_load_client_tls(config, error) || !ph_config_load_partners(config, error))
		return NULL;
	return g_steal_pointer(&config);
}

const PhPartnerConfig *
ph_config_find_partner(const PhConfig *config, const gchar *name)
{
	for (guint i = 0; i < config->partners->len; i++) {
		const PhPartnerConfig *partner = g_ptr_array_index(config->partners, i);
		if (g_str_equal(partner->name, name))
			return partner;
	}
	return NULL;
}

const PhPartnerConfig *
ph_config_match_certificate(const PhConfig *config, const gchar *subject, const gchar *pin_sha256)
{
	for (guint i = 0; i < config->partners->len; i++) {
		const PhPartnerConfig *partner = g_ptr_array_index(config->partners, i);
		if (partner->pin_sha256 != NULL && pin_sha256 != NULL &&
		    g_str_equal(partner->pin_sha256, pin_sha256))
			return partner;
		if (partner->subject != NULL && subject != NULL &&
		    g_str_equal(partner->subject, subject))
			return partner;
	}
	return NULL;
}
