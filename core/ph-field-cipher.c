/* The process-wide field cipher (ph-field-cipher.h). Core; filled by the host. */
#include "ph-field-cipher.h"

#include <string.h>

#include "ph-error.h"

static PhFieldCipher ph_field_cipher;
static gboolean ph_field_cipher_set;

void
ph_field_cipher_install(const PhFieldCipher *cipher)
{
	ph_field_cipher_set = cipher != NULL;
	if (cipher != NULL)
		ph_field_cipher = *cipher;
}

gboolean
ph_field_cipher_is_installed(void)
{
	return ph_field_cipher_set;
}

gboolean
ph_field_is_sealed(const gchar *stored)
{
	return stored != NULL && g_str_has_prefix(stored, PH_FIELD_ENVELOPE_PREFIX);
}

gchar *
ph_field_seal(const gchar *plaintext, GError **error)
{
	g_return_val_if_fail(plaintext != NULL, NULL);
	if (!ph_field_cipher_set)
		return g_strdup(plaintext);
	return ph_field_cipher.seal(ph_field_cipher.data, plaintext, error);
}

static gboolean
ph_field_cipher_missing(GError **error)
{
	g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
	            "an encrypted field was read but no key file is configured ([keys] file)");
	return FALSE;
}

gchar *
ph_field_open(const gchar *stored, GError **error)
{
	if (!ph_field_is_sealed(stored))
		return g_strdup(stored);
	if (!ph_field_cipher_set) {
		ph_field_cipher_missing(error);
		return NULL;
	}
	return ph_field_cipher.open(ph_field_cipher.data, stored, error);
}

static gboolean
ph_field_open_append(const gchar *stored, gsize length, GString *out, GError **error)
{
	gsize prefix = strlen(PH_FIELD_ENVELOPE_PREFIX);
	if (length < prefix || memcmp(stored, PH_FIELD_ENVELOPE_PREFIX, prefix) != 0) {
		g_string_append_len(out, stored, (gssize)length);
		return TRUE;
	}
	if (!ph_field_cipher_set)
		return ph_field_cipher_missing(error);
	if (ph_field_cipher.open_append != NULL)
		return ph_field_cipher.open_append(ph_field_cipher.data, stored, length, out,
		                                   error);
	g_autofree gchar *envelope = g_strndup(stored, length);
	g_autofree gchar *plaintext = ph_field_cipher.open(ph_field_cipher.data, envelope, error);
	if (plaintext == NULL)
		return FALSE;
	g_string_append(out, plaintext);
	return TRUE;
}

gboolean
ph_field_open_append_named(const gchar *stored, gsize length, const gchar *field, GString *out,
                           GError **error)
{
	g_return_val_if_fail(stored != NULL && field != NULL && out != NULL, FALSE);
	if (ph_field_open_append(stored, length, out, error))
		return TRUE;
	g_prefix_error(error, "%s: ", field);
	return FALSE;
}

gchar *
ph_field_lookup(const gchar *plaintext)
{
	g_return_val_if_fail(plaintext != NULL, NULL);
	if (!ph_field_cipher_set)
		return g_strdup(plaintext);
	return ph_field_cipher.lookup(ph_field_cipher.data, plaintext);
}

gchar *
ph_field_seal_account(const gchar *account, GError **error)
{
	if (account == NULL || *account == '\0')
		return g_strdup(account);
	return ph_field_seal(account, error);
}

gchar *
ph_field_open_named(const gchar *stored, const gchar *field, GError **error)
{
	gchar *plaintext = ph_field_open(stored, error);
	if (plaintext == NULL && stored != NULL)
		g_prefix_error(error, "%s: ", field);
	return plaintext;
}

gchar *
ph_field_open_account(const gchar *stored, GError **error)
{
	return ph_field_open_named(stored, "AAE010", error);
}
