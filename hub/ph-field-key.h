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
gchar *ph_field_keys_lookup(PhFieldKeys *keys, const gchar *plaintext);

/* The key id of an envelope, NULL for a plaintext value. */
gchar *ph_field_key_id(const gchar *stored);

/* Creates @path (mode 0600) with a first key and a lookup key, or, when it exists, adds a new
 * key and makes it current. @key_id NULL: "k" + UTC time. @new_id (may be NULL) receives it. */
gboolean ph_field_keys_add(const gchar *path, const gchar *key_id, gchar **new_id, GError **error);

/* Loads [keys] file of @config and installs it as the core's field cipher for the process
 * (the keys stay loaded until exit). No [keys] file: nothing is installed, TRUE. */
gboolean ph_field_keys_install(const PhConfig *config, GError **error);
/* The installed keys, NULL when none. */
PhFieldKeys *ph_field_keys_installed(void);

G_END_DECLS
