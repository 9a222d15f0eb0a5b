/* Sensitive fields at rest (AAC002, AAE010): the one pair of functions every reader and writer
 * of those columns calls. The core holds no key and links no crypto library: the host installs
 * a PhFieldCipher at start-up (hub/ph-field-key.c). docs/security.md, "Encryption at rest". */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Stored values that begin with this are envelopes "enc1:<key id>:<base64>"; anything else is
 * a plaintext value written before encryption was configured (read as is until rotated). */
#define PH_FIELD_ENVELOPE_PREFIX "enc1:"

typedef struct {
	/* The envelope of @plaintext under the current key. */
	gchar *(*seal)(gpointer data, const gchar *plaintext, GError **error);
	/* The plaintext of an envelope; PH_ERROR_FAILED when it does not decrypt. */
	gchar *(*open)(gpointer data, const gchar *envelope, GError **error);
	/* The keyed hash of @plaintext for lookup columns ("h1:<hex>"). */
	gchar *(*lookup)(gpointer data, const gchar *plaintext);
	gpointer data;
	/* As open, for @length bytes of @envelope (no NUL needed), the plaintext appended to @out
	 * without a string allocated per value; NULL: open is used. */
	gboolean (*open_append)(gpointer data, const gchar *envelope, gsize length, GString *out,
	                        GError **error);
} PhFieldCipher;

/* Installs @cipher for the process (NULL: none, values stay plaintext: tools and tests without
 * a key file). Call once at start-up, before any worker thread runs. */
void ph_field_cipher_install(const PhFieldCipher *cipher);
gboolean ph_field_cipher_is_installed(void);

/* The value to store for @plaintext: an envelope, or @plaintext itself without a cipher. */
gchar *ph_field_seal(const gchar *plaintext, GError **error);
/* The plaintext of a stored value; a value that is no envelope is returned as is; NULL stays
 * NULL. Fails when it is an envelope and no cipher is installed or it does not decrypt. */
gchar *ph_field_open(const gchar *stored, GError **error);
/* The lookup key for @plaintext: the keyed hash, or @plaintext itself without a cipher. */
gchar *ph_field_lookup(const gchar *plaintext);

/* As ph_field_open(), a failure naming @field (its element code, never the value). */
gchar *ph_field_open_named(const gchar *stored, const gchar *field, GError **error);

/* As ph_field_open_named(), for @length bytes of @stored (a value as a binary COPY gives it,
 * no NUL needed), the plaintext appended to @out; what a reader of a million values calls,
 * since it allocates nothing per value (the bank's upload opens two per item). */
gboolean ph_field_open_append_named(const gchar *stored, gsize length, const gchar *field,
                                    GString *out, GError **error);

/* TRUE when @stored is an envelope. */
gboolean ph_field_is_sealed(const gchar *stored);

/* AAE010 (bank account numbers), the one pair for every account column: sealed like AAC002,
 * except that NULL and an empty value (a card without an account) are stored as they are, so
 * that "has an account" stays a plain SQL test. Open fails naming AAE010, never the value. */
gchar *ph_field_seal_account(const gchar *account, GError **error);
gchar *ph_field_open_account(const gchar *stored, GError **error);

G_END_DECLS
