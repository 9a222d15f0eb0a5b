/* Encryption at rest in tests and benchmarks that link the hub: installs a key file as the
 * process's field keys, as the daemon and pensionctl do at start-up. Header-only, since
 * libph-test does not link the hub. */
#pragma once

#include "ph-config.h"
#include "ph-field-cipher.h"
#include "ph-field-key.h"
#include "ph-test-hub.h"

/* Loads a config whose [keys] file is @key_path (its folder made for the call) and installs
 * it; fails the test otherwise. */
static inline void
ph_test_keys_install(const gchar *database_url, const gchar *key_path)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *extra = g_strdup_printf("[keys]\nfile = %s\n", key_path);
	g_autoptr(PhTestHub) hub = ph_test_hub_new(database_url, NULL, extra);
	g_autoptr(PhConfig) config = ph_config_load(hub->config_path, &error);
	g_assert_no_error(error);
	g_assert_true(ph_field_keys_install(config, &error));
	g_assert_no_error(error);
	g_assert_true(ph_field_cipher_is_installed());
}
