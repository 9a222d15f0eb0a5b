/* The config loader: a good file loads with paths made absolute; every kind of mistake is
 * an error naming the file, group and key. */
#include <glib/gstdio.h>
#include <string.h>

#include "ph-config.h"

typedef struct {
	gchar *dir;
	gchar *path;
} Fixture;

/* A config whose paths all exist (the folder itself stands in for files and folders). */
static const gchar *good_config =
    "[hub]\nagency = 110100000001\nregion = 110100\nplugin_dir = .\nmapping_dir = .\n"
    "policy_dir = .\n\n"
    "[database]\nurl = postgresql:///pension_hub?user=ph\nsocket_dir = .\n\n"
    "[partner-listener]\nport = 0\ncertificate = cert\nkey = cert\nca = cert\n\n"
    "[admin-listener]\naddress = 127.0.0.1\nport = 0\n\n"
    "[partner bank]\nsubject = CN=bank,OU=partners,O=pension-hub dev\nroles = bank, payout\n\n"
    "[partner medical]\npin = "
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n\n"
    "[plugin bank]\nanything = the plugin host checks these\n";

static void
fixture_set_up(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	fixture->dir = g_dir_make_tmp("ph-test-config-XXXXXX", &error);
	g_assert_no_error(error);
	g_autofree gchar *cert = g_build_filename(fixture->dir, "cert", NULL);
	g_file_set_contents(cert, "x", -1, &error);
	g_assert_no_error(error);
	fixture->path = g_build_filename(fixture->dir, "hub.conf", NULL);
}

static void
fixture_tear_down(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *cert = g_build_filename(fixture->dir, "cert", NULL);
	g_unlink(cert);
	g_unlink(fixture->path);
	g_rmdir(fixture->dir);
	g_free(fixture->dir);
	g_free(fixture->path);
}

static PhConfig *
load_text(Fixture *fixture, const gchar *text, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_file_set_contents(fixture->path, text, -1, &local);
	g_assert_no_error(local);
	return ph_config_load(fixture->path, error);
}

/* @old in the good config replaced by @new. */
static PhConfig *
load_changed(Fixture *fixture, const gchar *old, const gchar *new, GError **error)
{
	g_assert_nonnull(strstr(good_config, old));
	g_autoptr(GString) text = g_string_new(good_config);
	g_string_replace(text, old, new, 1);
	return load_text(fixture, text->str, error);
}

static void
test_good(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhConfig) config = load_text(fixture, good_config, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(config->agency, ==, "110100000001");
	g_assert_cmpstr(config->plugin_dir, ==, fixture->dir);
	g_autofree gchar *cert = g_build_filename(fixture->dir, "cert", NULL);
	g_assert_cmpstr(config->tls_ca, ==, cert);
	g_autofree gchar *url =
	    g_strdup_printf("postgresql:///pension_hub?user=ph&host=%s", fixture->dir);
	g_assert_cmpstr(config->database_url, ==, url);
	g_assert_cmpuint(config->workers, ==, 8); /* the default: good_config sets none */
	g_assert_cmpuint(config->body_limit, ==, 64 * 1024 * 1024);
	g_assert_cmpuint(config->partners->len, ==, 2);

	const PhPartnerConfig *bank = ph_config_find_partner(config, "bank");
	g_assert_nonnull(bank);
	g_assert_cmpstr(bank->roles[1], ==, "payout");
	g_assert_true(ph_config_match_certificate(config, "CN=bank,OU=partners,O=pension-hub dev",
						  NULL) == bank);
	g_assert_true(
	    ph_config_match_certificate(
		config, "CN=somebody",
		"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff") ==
	    ph_config_find_partner(config, "medical"));
	g_assert_null(ph_config_match_certificate(config, "CN=bank", NULL));
}

typedef struct {
	const gchar *old;
	const gchar *new;
	const gchar *expected; /* in the message, after the file name */
} BadCase;

static const BadCase bad_cases[] = {
    {"region = 110100\n", "region = 110100\nregoin = 1\n", "[hub] regoin: unknown key"},
    {"[admin-listener]", "[admin-listner]", "[admin-listner]: unknown group"},
    {"agency = 110100000001\n", "", "[hub] agency: required key is missing"},
    {"agency = 110100000001", "agency = ", "[hub] agency: empty value"},
    {"ca = cert", "ca = missing.crt", "[partner-listener] ca: "},
    {"port = 0\ncertificate", "port = 70000\ncertificate",
     "[partner-listener] port: '70000' is not a whole number from 0 to 65535"},
    {"address = 127.0.0.1", "address = 0.0.0.0",
     "[admin-listener] address: must be a loopback address"},
    {"subject = CN=bank,OU=partners,O=pension-hub dev\n", "",
     "[partner bank] subject: a partner needs a certificate subject or pin"},
    {"pin = 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
     "pin = 00112233", "[partner medical] pin: not 64 lowercase hex digits"},
    {"socket_dir = .", "socket_dir = nowhere", "[database] socket_dir: "},
};

static void
test_bad(Fixture *fixture, gconstpointer data)
{
	for (guint i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(PhConfig) config =
		    load_changed(fixture, bad_cases[i].old, bad_cases[i].new, &error);
		g_assert_null(config);
		g_assert_error(error, PH_ERROR, PH_ERROR_CONFIG);
		g_autofree gchar *expected = g_strdup_printf("%s: %s", fixture->path,
							     bad_cases[i].expected);
		if (!g_str_has_prefix(error->message, expected))
			g_error("case %u: got '%s', expected it to start with '%s'", i,
				error->message, expected);
	}
}

static void
test_missing_file(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhConfig) config = ph_config_load("/nonexistent/pension-hub.conf", &error);
	g_assert_null(config);
	g_assert_error(error, PH_ERROR, PH_ERROR_CONFIG);
	g_assert_true(g_str_has_prefix(error->message, "cannot read config /nonexistent/pension-hub.conf"));
}

static void
test_choose_path(void)
{
	g_setenv("PENSION_HUB_CONFIG", "/from/env.conf", TRUE);
	g_assert_cmpstr(ph_config_choose_path("/given.conf"), ==, "/given.conf");
	g_assert_cmpstr(ph_config_choose_path(NULL), ==, "/from/env.conf");
	g_unsetenv("PENSION_HUB_CONFIG");
	g_assert_cmpstr(ph_config_choose_path(NULL), ==, "/etc/pension-hub/pension-hub.conf");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/config/good", Fixture, NULL, fixture_set_up, test_good, fixture_tear_down);
	g_test_add("/config/bad", Fixture, NULL, fixture_set_up, test_bad, fixture_tear_down);
	g_test_add_func("/config/missing-file", test_missing_file);
	g_test_add_func("/config/choose-path", test_choose_path);
	return g_test_run();
}
