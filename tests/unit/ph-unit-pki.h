/* Unit-suite helper: a throw-away PKI made by tests/unit/data/make-xmldsig-pki (a CA, a
 * signer, an expired signer, another CA); shared by the XML-DSig and archive package tests. */
#pragma once

#include <glib.h>

/* Makes the PKI in a new temporary folder and returns the folder (fails the test on error). */
static inline gchar *
ph_unit_pki_make(void)
{
	g_autoptr(GError) error = NULL;
	gchar *dir = g_dir_make_tmp("ph-unit-pki-XXXXXX", &error);
	g_assert_no_error(error);
	g_autofree gchar *script = g_build_filename(g_getenv("PH_SOURCE_DIR"), "tests", "unit",
	                                            "data", "make-xmldsig-pki", NULL);
	const gchar *argv[] = {script, dir, NULL};
	gint status = 0;
	g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status,
	             &error);
	g_assert_no_error(error);
	g_assert_true(g_spawn_check_wait_status(status, &error));
	g_assert_no_error(error);
	return dir;
}

static inline void
ph_unit_pki_remove(const gchar *dir)
{
	const gchar *argv[] = {"rm", "-rf", dir, NULL};
	g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
	             NULL);
}
