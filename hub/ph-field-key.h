/* The key file of encryption at rest ([keys] file): AES-256-GCM field keys by id, the current
 * one, and the HMAC key of lookup columns; installed as the core's PhFieldCipher. Host-only.
 * Format and rotation: docs/security.md, "Encryption at rest". */
#pragma once

#include <glib.h>

#include "ph-config.h"

G_BEGIN_DECLS

typedef struct _PhFieldKeys PhFieldKeys;

/* Loads @path; PH_ERROR_CONFIG naming the file when it is missing, malformed, readable by
 * others than its owner, or names no current key. */
PhFieldKeys *ph_field_keys_load(const gchar *path, GError **error);
void ph_field_keys_free(PhFieldKeys *keys);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhFieldKeys, ph_field_keys_free)

/* The id new envelopes are sealed under (re-read from the file when it changed). */
gchar *ph_field_keys_current(PhFieldKeys *keys);

gchar *ph_field_keys_seal(PhFieldKeys *keys, const gchar *plaintext, GError **error);
gchar *ph_field_keys_open(PhFieldKeys *keys, const gchar *envelope, GError **error);
/* As ph_field_keys_open(), for @length bytes at @envelope (no NUL needed), the plaintext
 * appended to @out (nothing appended on failure); allocates nothing per value. */
gboolean ph_field_keys_open_append(PhFieldKeys *keys, const gchar *envelope, gsize length,
                                   GString *out, GError **error);
gchar *ph_field_keys_lookup(PhFieldKeys *keys, const gchar *plaintext);

/* The key id of an envelope, NULL for a plaintext value. */
gchar *ph_field_key_id(const gchar *stored);

/* Binary envelopes of message bodies (bytea columns): PH_FIELD_BYTES_MAGIC, the key id, ":",
 * then nonce[12] ‖ AES-256-GCM ciphertext ‖ tag[16], with the prefix up to that ":" and
 * @column ("inbox.body", …) as additional data, so that bytes moved under another key id or
 * into another kind of column do not open. docs/security.md, "Envelope and lookup". The first
 * byte is not ASCII: no text message begins like an envelope. */
#define PH_FIELD_BYTES_MAGIC                                                                       \
	"\x89"                                                                                     \
	"phb1:"

GBytes *ph_field_keys_seal_bytes(PhFieldKeys *keys, GBytes *plaintext, const gchar *column,
                                 GError **error);
/* PH_ERROR_PERMANENT naming @column and the key id when it does not decrypt, PH_ERROR_CONFIG
 * when the key is not in the key file. */
GBytes *ph_field_keys_open_bytes(PhFieldKeys *keys, GBytes *stored, const gchar *column,
                                 GError **error);
/* The key id of a binary envelope, NULL when @stored (may be NULL) is plaintext. */
gchar *ph_field_key_bytes_id(GBytes *stored);
/* The prefix of every binary envelope under @key_id (magic, id, ":"). */
gchar *ph_field_key_bytes_prefix(const gchar *key_id);

/* Creates @path (mode 0600) with a first key and a lookup key, or, when it exists, adds a new
 * key and makes it current. @key_id NULL: "k" + UTC time. @new_id (may be NULL) receives it. */
gboolean ph_field_keys_add(const gchar *path, const gchar *key_id, gchar **new_id, GError **error);

/* Loads [keys] file of @config and installs it as the core's field cipher for the process
 * (the keys stay loaded until exit). No [keys] file: nothing is installed, TRUE. */
gboolean ph_field_keys_install(const PhConfig *config, GError **error);
/* The installed keys, NULL when none. */
PhFieldKeys *ph_field_keys_installed(void);

G_END_DECLS
