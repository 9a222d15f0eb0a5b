/* Sealing and opening message bodies with the installed keys (ph-field-body.h). Host-only. */
#include "ph-field-body.h"

#include "ph-error.h"
#include "ph-field-cipher.h"
#include "ph-field-key.h"

/* The keys bodies are sealed with: those of the installed field cipher (a process that
 * uninstalled it, as tests do, stores plaintext like the core). */
static PhFieldKeys *
ph_field_body_keys(void)
{
	return ph_field_cipher_is_installed() ? ph_field_keys_installed() : NULL;
}

GBytes *
ph_field_body_seal(GBytes *plaintext, const gchar *column, GError **error)
{
	g_return_val_if_fail(plaintext != NULL && column != NULL, NULL);
	PhFieldKeys *keys = ph_field_body_keys();
	if (keys == NULL)
		return g_bytes_ref(plaintext);
	return ph_field_keys_seal_bytes(keys, plaintext, column, error);
}

GBytes *
ph_field_body_open(GBytes *stored, const gchar *column, GError **error)
{
	g_return_val_if_fail(stored != NULL && column != NULL, NULL);
	g_autofree gchar *id = ph_field_key_bytes_id(stored);
	if (id == NULL)
		return g_bytes_ref(stored);
	PhFieldKeys *keys = ph_field_body_keys();
	if (keys == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
		            "%s is sealed under key %s but no [keys] file is configured", column,
		            id);
		return NULL;
	}
	return ph_field_keys_open_bytes(keys, stored, column, error);
}
