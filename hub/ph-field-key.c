/* Field keys (ph-field-key.h): AES-256-GCM envelopes "enc1:<key id>:<base64(nonce ‖ ciphertext
 * ‖ tag)>" with the header as additional data, HMAC-SHA-256 lookups. Host-only. */
#include "ph-field-key.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ph-error.h"
#include "ph-field-cipher.h"

#define PH_FIELD_KEY_GROUP   "field-keys"
#define PH_FIELD_KEY_PREFIX  "key."
#define PH_FIELD_KEY_BYTES   32
#define PH_FIELD_NONCE_BYTES 12
#define PH_FIELD_TAG_BYTES   16
/* A writer looks at the file's modification time at most this often (µs), so that a key added
 * by `pensionctl keys rotate` is used by the running daemon without a restart. */
#define PH_FIELD_KEY_RECHECK_US (5 * G_USEC_PER_SEC)

/* Fetched once, and one context per thread: the implicit fetches of EVP_aes_256_gcm() and
 * HMAC() on every call cost more than sealing an 18-byte number. */
static EVP_CIPHER *ph_field_aes_gcm;
static EVP_MD *ph_field_sha256;
static GPrivate ph_field_md_context = G_PRIVATE_INIT((GDestroyNotify)EVP_MD_CTX_free);

static void
ph_field_fetch(void)
{
	static gsize fetched = 0;
	if (g_once_init_enter(&fetched)) {
		ph_field_aes_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
		ph_field_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
		g_once_init_leave(&fetched, 1);
	}
}

static EVP_MD_CTX *
ph_field_md_context_get(void)
{
	EVP_MD_CTX *context = g_private_get(&ph_field_md_context);
	if (context == NULL) {
		context = EVP_MD_CTX_new();
		g_private_set(&ph_field_md_context, context);
	}
	return context;
}

/* The SHA-256 state after absorbing @key ^ @pad (HMAC, RFC 2104, key ≤ 64 bytes). */
static EVP_MD_CTX *
ph_field_hmac_half(GBytes *key, guint8 pad)
{
	guint8 block[64];
	gsize length = 0;
	const guint8 *data = g_bytes_get_data(key, &length);
	memset(block, pad, sizeof(block));
	for (gsize i = 0; i < length && i < sizeof(block); i++)
		block[i] = data[i] ^ pad;
	EVP_MD_CTX *context = EVP_MD_CTX_new();
	EVP_DigestInit_ex(context, ph_field_sha256, NULL);
	EVP_DigestUpdate(context, block, sizeof(block));
	OPENSSL_cleanse(block, sizeof(block));
	return context;
}

struct _PhFieldKeys {
	gchar *path;
	GRWLock lock;
	GHashTable *keys; /* id → GBytes of PH_FIELD_KEY_BYTES */
	gchar *current;
	GBytes *lookup;
	/* HMAC with the key absorbed once: SHA-256 states after key ^ ipad and key ^ opad */
	EVP_MD_CTX *hmac_inner;
	EVP_MD_CTX *hmac_outer;
	gint generation;   /* atomic: taken anew by every load and reload (threads' caches) */
	gint64 mtime;      /* of the file when loaded */
	gint64 checked_at; /* monotonic µs of the last look at the file */
};

static gboolean
ph_field_keys_fail(const gchar *path, GError **error, const gchar *why)
{
	g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "key file %s: %s", path, why);
	return FALSE;
}

static GBytes *
ph_field_keys_decode(GKeyFile *file, const gchar *name)
{
	g_autofree gchar *text = g_key_file_get_string(file, PH_FIELD_KEY_GROUP, name, NULL);
	gsize length = 0;
	guchar *raw = text != NULL ? g_base64_decode(g_strstrip(text), &length) : NULL;
	if (raw == NULL || length != PH_FIELD_KEY_BYTES) {
		g_free(raw);
		return NULL;
	}
	return g_bytes_new_take(raw, length);
}

/* Reads the file into fresh tables; the caller swaps them in. */
static gboolean
ph_field_keys_read(const gchar *path, GHashTable **table, gchar **current, GBytes **lookup,
                   gint64 *mtime, GError **error)
{
	struct stat info;
	g_autoptr(GKeyFile) file = g_key_file_new();
	if (stat(path, &info) != 0)
		return ph_field_keys_fail(path, error, "cannot be read");
	if ((info.st_mode & 077) != 0)
		return ph_field_keys_fail(path, error, "must not be readable by group or others");
	if (!g_key_file_load_from_file(file, path, G_KEY_FILE_NONE, error)) {
		g_prefix_error(error, "key file %s: ", path);
		return FALSE;
	}
	g_autoptr(GHashTable) keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	                                                   (GDestroyNotify)g_bytes_unref);
	g_auto(GStrv) names = g_key_file_get_keys(file, PH_FIELD_KEY_GROUP, NULL, NULL);
	for (guint i = 0; names != NULL && names[i] != NULL; i++) {
		if (!g_str_has_prefix(names[i], PH_FIELD_KEY_PREFIX))
			continue;
		GBytes *key = ph_field_keys_decode(file, names[i]);
		if (key == NULL)
			return ph_field_keys_fail(path, error, "a key is not 32 bytes of base64");
		g_hash_table_insert(keys, g_strdup(names[i] + strlen(PH_FIELD_KEY_PREFIX)), key);
	}
	g_autofree gchar *id = g_key_file_get_string(file, PH_FIELD_KEY_GROUP, "current", NULL);
	g_autoptr(GBytes) hash_key = ph_field_keys_decode(file, "lookup");
	if (id == NULL || !g_hash_table_contains(keys, g_strstrip(id)))
		return ph_field_keys_fail(path, error, "current names no key of the file");
	if (hash_key == NULL)
		return ph_field_keys_fail(path, error, "lookup is not 32 bytes of base64");
	*table = g_steal_pointer(&keys);
	*current = g_steal_pointer(&id);
	*lookup = g_steal_pointer(&hash_key);
	*mtime = (gint64)info.st_mtim.tv_sec * G_USEC_PER_SEC + info.st_mtim.tv_nsec / 1000;
	return TRUE;
}

/* The last generation taken by any key set of the process: a set freed and another loaded at
 * its address never has a generation a thread's cache holds. */
static gint ph_field_keys_generations;

static gboolean
ph_field_keys_reload(PhFieldKeys *keys, GError **error)
{
	GHashTable *table = NULL;
	gchar *current = NULL;
	GBytes *lookup = NULL;
	gint64 mtime = 0;
	if (!ph_field_keys_read(keys->path, &table, &current, &lookup, &mtime, error))
		return FALSE;
	ph_field_fetch();
	EVP_MD_CTX *inner = ph_field_hmac_half(lookup, 0x36);
	EVP_MD_CTX *outer = ph_field_hmac_half(lookup, 0x5c);
	g_rw_lock_writer_lock(&keys->lock);
	g_clear_pointer(&keys->keys, g_hash_table_unref);
	g_free(keys->current);
	g_clear_pointer(&keys->lookup, g_bytes_unref);
	g_clear_pointer(&keys->hmac_inner, EVP_MD_CTX_free);
	g_clear_pointer(&keys->hmac_outer, EVP_MD_CTX_free);
	keys->keys = table;
	keys->current = current;
	keys->lookup = lookup;
	keys->hmac_inner = inner;
	keys->hmac_outer = outer;
	keys->mtime = mtime;
	keys->checked_at = g_get_monotonic_time();
	g_atomic_int_set(&keys->generation, g_atomic_int_add(&ph_field_keys_generations, 1) + 1);
	g_rw_lock_writer_unlock(&keys->lock);
	return TRUE;
}

PhFieldKeys *
ph_field_keys_load(const gchar *path, GError **error)
{
	g_return_val_if_fail(path != NULL, NULL);
	g_autoptr(PhFieldKeys) keys = g_new0(PhFieldKeys, 1);
	keys->path = g_strdup(path);
	g_rw_lock_init(&keys->lock);
	if (!ph_field_keys_reload(keys, error))
		return NULL;
	return g_steal_pointer(&keys);
}

void
ph_field_keys_free(PhFieldKeys *keys)
{
	if (keys == NULL)
		return;
	g_clear_pointer(&keys->keys, g_hash_table_unref);
	g_clear_pointer(&keys->lookup, g_bytes_unref);
	g_clear_pointer(&keys->hmac_inner, EVP_MD_CTX_free);
	g_clear_pointer(&keys->hmac_outer, EVP_MD_CTX_free);
	g_free(keys->current);
	g_free(keys->path);
	g_rw_lock_clear(&keys->lock);
	g_free(keys);
}

/* Re-reads the file when its modification time changed (looked at every few seconds). */
static void
ph_field_keys_refresh(PhFieldKeys *keys)
{
	struct stat info;
	gint64 now = g_get_monotonic_time();
	if (now - keys->checked_at < PH_FIELD_KEY_RECHECK_US)
		return;
	keys->checked_at = now;
	if (stat(keys->path, &info) != 0 ||
	    (gint64)info.st_mtim.tv_sec * G_USEC_PER_SEC + info.st_mtim.tv_nsec / 1000 ==
	            keys->mtime)
		return;
	g_autoptr(GError) error = NULL;
	if (!ph_field_keys_reload(keys, &error))
		g_warning("%s; keeping the keys loaded before", error->message);
}

gchar *
ph_field_keys_current(PhFieldKeys *keys)
{
	ph_field_keys_refresh(keys);
	g_rw_lock_reader_lock(&keys->lock);
	gchar *current = g_strdup(keys->current);
	g_rw_lock_reader_unlock(&keys->lock);
	return current;
}

/* The key @id (a new reference) and, when @id is NULL, the current one with its id. */
static GBytes *
ph_field_keys_get(PhFieldKeys *keys, const gchar *id, gchar **current_id)
{
	g_rw_lock_reader_lock(&keys->lock);
	const gchar *wanted = id != NULL ? id : keys->current;
	GBytes *key = g_hash_table_lookup(keys->keys, wanted);
	if (key != NULL)
		g_bytes_ref(key);
	if (current_id != NULL)
		*current_id = g_strdup(wanted);
	g_rw_lock_reader_unlock(&keys->lock);
	return key;
}

/* What one thread seals with: a cipher context already keyed with the last key it used (a
 * key schedule per 18-byte number cost more than the encryption), and random nonces drawn
 * from the DRBG a pool at a time instead of one RAND_bytes call each. The nonces stay 96
 * random bits each, as before; a forked child draws a fresh pool (@pid), never its parent's. */
#define PH_FIELD_NONCE_POOL (PH_FIELD_NONCE_BYTES * 256)
typedef struct {
	EVP_CIPHER_CTX *context;
	GBytes *key; /* held, so that its address cannot be another key's while it is cached */
	guint8 nonces[PH_FIELD_NONCE_POOL];
	gsize next; /* first unused byte of @nonces */
	pid_t pid;  /* of the process that drew @nonces */
} PhFieldSealer;

static void
ph_field_sealer_free(PhFieldSealer *sealer)
{
	EVP_CIPHER_CTX_free(sealer->context);
	g_clear_pointer(&sealer->key, g_bytes_unref);
	OPENSSL_cleanse(sealer->nonces, sizeof(sealer->nonces));
	g_free(sealer);
}

static GPrivate ph_field_sealer = G_PRIVATE_INIT((GDestroyNotify)ph_field_sealer_free);

static PhFieldSealer *
ph_field_sealer_get(void)
{
	PhFieldSealer *sealer = g_private_get(&ph_field_sealer);
	if (sealer == NULL) {
		sealer = g_new0(PhFieldSealer, 1);
		sealer->context = EVP_CIPHER_CTX_new();
		sealer->next = PH_FIELD_NONCE_POOL;
		g_private_set(&ph_field_sealer, sealer);
	}
	return sealer;
}

/* Copies a fresh random nonce to @nonce, each handed out once. */
static gboolean
ph_field_sealer_nonce(PhFieldSealer *sealer, guint8 *nonce)
{
	pid_t pid = getpid();
	if (sealer->next == PH_FIELD_NONCE_POOL || sealer->pid != pid) {
		if (RAND_bytes(sealer->nonces, PH_FIELD_NONCE_POOL) != 1)
			return FALSE;
		sealer->next = 0;
		sealer->pid = pid;
	}
	memcpy(nonce, sealer->nonces + sealer->next, PH_FIELD_NONCE_BYTES);
	OPENSSL_cleanse(sealer->nonces + sealer->next, PH_FIELD_NONCE_BYTES);
	sealer->next += PH_FIELD_NONCE_BYTES;
	return TRUE;
}

/* Sets @nonce on the sealer's context, keying it first when @key is not the one it holds. */
static gboolean
ph_field_sealer_start(PhFieldSealer *sealer, GBytes *key, const guint8 *nonce)
{
	if (sealer->key == key)
		return EVP_EncryptInit_ex(sealer->context, NULL, NULL, NULL, nonce) == 1;
	g_clear_pointer(&sealer->key, g_bytes_unref);
	if (EVP_EncryptInit_ex(sealer->context, ph_field_aes_gcm, NULL, g_bytes_get_data(key, NULL),
	                       nonce) != 1)
		return FALSE;
	sealer->key = g_bytes_ref(key);
	return TRUE;
}

/* AES-256-GCM of @length bytes at @plaintext into @sealed (nonce ‖ ciphertext ‖ tag, so
 * PH_FIELD_NONCE_BYTES + @length + PH_FIELD_TAG_BYTES long), authenticating @aad too. */
static gboolean
ph_field_gcm_seal(GBytes *key, const GString *aad, const guint8 *plaintext, gsize length,
                  guint8 *sealed)
{
	PhFieldSealer *sealer = ph_field_sealer_get();
	EVP_CIPHER_CTX *context = sealer->context;
	gint written = 0;
	gint final = 0;
	return ph_field_sealer_nonce(sealer, sealed) &&
	       ph_field_sealer_start(sealer, key, sealed) &&
	       EVP_EncryptUpdate(context, NULL, &written, (const guint8 *)aad->str,
	                         (gint)aad->len) == 1 &&
	       EVP_EncryptUpdate(context, sealed + PH_FIELD_NONCE_BYTES, &written, plaintext,
	                         (gint)length) == 1 &&
	       EVP_EncryptFinal_ex(context, sealed + PH_FIELD_NONCE_BYTES + written, &final) == 1 &&
	       EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, PH_FIELD_TAG_BYTES,
	                           sealed + PH_FIELD_NONCE_BYTES + length) == 1;
}

/* The longest key id and envelope body ph_field_keys_open_append() opens on the stack; an
 * envelope of a longer value (none of AAC002's or AAE010's) goes through the allocating path. */
#define PH_FIELD_ID_MAX   64
#define PH_FIELD_BODY_MAX 192

/* Each thread's opening context stays keyed, as the sealer's does: keying AES-GCM (the key
 * schedule and the GHASH table) cost more than opening a number (a batch read for the bank's
 * file opens two per item). The key last found by id is remembered too, with the generation
 * of the key set it was found in: a read-locked table lookup per number cost more than its
 * AES-GCM, and any reload (a key added, rotated or removed) makes the next open look again. */
typedef struct {
	EVP_CIPHER_CTX *context;
	GBytes *key;     /* held, so that its address cannot be another key's while it is cached */
	gint generation; /* of the key set @found was looked up in: one set's, never another's */
	gchar found_id[PH_FIELD_ID_MAX];
	gsize found_id_length;
	GBytes *found; /* held: the key of @found_id */
} PhFieldOpener;

static void
ph_field_opener_free(PhFieldOpener *opener)
{
	EVP_CIPHER_CTX_free(opener->context);
	g_clear_pointer(&opener->key, g_bytes_unref);
	g_clear_pointer(&opener->found, g_bytes_unref);
	g_free(opener);
}

static GPrivate ph_field_opener = G_PRIVATE_INIT((GDestroyNotify)ph_field_opener_free);

static PhFieldOpener *
ph_field_opener_get(void)
{
	PhFieldOpener *opener = g_private_get(&ph_field_opener);
	if (opener == NULL) {
		opener = g_new0(PhFieldOpener, 1);
		opener->context = EVP_CIPHER_CTX_new();
		g_private_set(&ph_field_opener, opener);
	}
	return opener;
}

/* The thread's context with @nonce set, keyed first when @key is not the one it holds. */
static EVP_CIPHER_CTX *
ph_field_opener_start(GBytes *key, const guint8 *nonce)
{
	PhFieldOpener *opener = ph_field_opener_get();
	if (opener->key == key)
		return EVP_DecryptInit_ex(opener->context, NULL, NULL, NULL, nonce) == 1
		               ? opener->context
		               : NULL;
	g_clear_pointer(&opener->key, g_bytes_unref);
	if (EVP_DecryptInit_ex(opener->context, ph_field_aes_gcm, NULL, g_bytes_get_data(key, NULL),
	                       nonce) != 1)
		return NULL;
	opener->key = g_bytes_ref(key);
	return opener->context;
}

/* The reverse of ph_field_gcm_seal(): @length - PH_FIELD_NONCE_BYTES - PH_FIELD_TAG_BYTES
 * bytes into @plaintext; FALSE when the tag does not match (altered, or another key or aad). */
static gboolean
ph_field_gcm_open(GBytes *key, const gchar *aad, gsize aad_length, const guint8 *sealed,
                  gsize length, guint8 *plaintext)
{
	gsize text_length = length - PH_FIELD_NONCE_BYTES - PH_FIELD_TAG_BYTES;
	EVP_CIPHER_CTX *context = ph_field_opener_start(key, sealed);
	gint written = 0;
	gint final = 0;
	gboolean opened =
	        context != NULL &&
	        EVP_DecryptUpdate(context, NULL, &written, (const guint8 *)aad, (gint)aad_length) ==
	                1 &&
	        EVP_DecryptUpdate(context, plaintext, &written, sealed + PH_FIELD_NONCE_BYTES,
	                          (gint)text_length) == 1 &&
	        EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, PH_FIELD_TAG_BYTES,
	                            (void *)(sealed + length - PH_FIELD_TAG_BYTES)) == 1 &&
	        EVP_DecryptFinal_ex(context, plaintext + written, &final) == 1;
	if (!opened) /* the next open keys the context afresh */
		g_clear_pointer(&((PhFieldOpener *)g_private_get(&ph_field_opener))->key,
		                g_bytes_unref);
	return opened;
}

gchar *
ph_field_keys_seal(PhFieldKeys *keys, const gchar *plaintext, GError **error)
{
	g_return_val_if_fail(keys != NULL && plaintext != NULL, NULL);
	g_autofree gchar *id = NULL;
	ph_field_keys_refresh(keys);
	g_autoptr(GBytes) key = ph_field_keys_get(keys, NULL, &id);
	g_autoptr(GString) header = g_string_new(PH_FIELD_ENVELOPE_PREFIX);
	g_string_append(header, id);
	gsize length = strlen(plaintext);
	g_autofree guint8 *sealed = g_malloc(PH_FIELD_NONCE_BYTES + length + PH_FIELD_TAG_BYTES);
	if (!ph_field_gcm_seal(key, header, (const guint8 *)plaintext, length, sealed)) {
		g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "field encryption failed");
		return NULL;
	}
	g_autofree gchar *body =
	        g_base64_encode(sealed, PH_FIELD_NONCE_BYTES + length + PH_FIELD_TAG_BYTES);
	return g_strconcat(header->str, ":", body, NULL);
}

gchar *
ph_field_key_id(const gchar *stored)
{
	if (!ph_field_is_sealed(stored))
		return NULL;
	const gchar *id = stored + strlen(PH_FIELD_ENVELOPE_PREFIX);
	const gchar *end = strchr(id, ':');
	return end != NULL ? g_strndup(id, (gsize)(end - id)) : NULL;
}

static gchar *
ph_field_keys_decrypt(GBytes *key, const gchar *header, const guint8 *sealed, gsize length)
{
	gsize text_length = length - PH_FIELD_NONCE_BYTES - PH_FIELD_TAG_BYTES;
	g_autofree gchar *plaintext = g_malloc(text_length + 1);
	g_autoptr(GString) aad = g_string_new(header);
	if (!ph_field_gcm_open(key, aad->str, aad->len, sealed, length, (guint8 *)plaintext))
		return NULL;
	plaintext[text_length] = '\0';
	return g_steal_pointer(&plaintext);
}

/* The key an envelope names; a key added since the file was loaded makes it read again once. */
static GBytes *
ph_field_keys_find(PhFieldKeys *keys, const gchar *id, GError **error)
{
	GBytes *key = ph_field_keys_get(keys, id, NULL);
	if (key == NULL && ph_field_keys_reload(keys, NULL))
		key = ph_field_keys_get(keys, id, NULL);
	if (key == NULL)
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
		            "encrypted field: key %s is not in the key file %s", id, keys->path);
	return key;
}

static gboolean
ph_field_keys_undecryptable(const gchar *id, GError **error)
{
	g_set_error(error, PH_ERROR, PH_ERROR_FAILED,
	            "encrypted field under key %s does not decrypt (altered or wrong key)", id);
	return FALSE;
}

gchar *
ph_field_keys_open(PhFieldKeys *keys, const gchar *envelope, GError **error)
{
	g_return_val_if_fail(keys != NULL && envelope != NULL, NULL);
	g_autofree gchar *id = ph_field_key_id(envelope);
	if (id == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_FAILED,
		            "encrypted field: malformed envelope");
		return NULL;
	}
	g_autoptr(GBytes) key = ph_field_keys_find(keys, id, error);
	if (key == NULL)
		return NULL;
	g_autofree gchar *header = g_strconcat(PH_FIELD_ENVELOPE_PREFIX, id, NULL);
	gsize length = 0;
	g_autofree guint8 *sealed = g_base64_decode(envelope + strlen(header) + 1, &length);
	gchar *plaintext = length >= PH_FIELD_NONCE_BYTES + PH_FIELD_TAG_BYTES
	                           ? ph_field_keys_decrypt(key, header, sealed, length)
	                           : NULL;
	if (plaintext == NULL)
		ph_field_keys_undecryptable(id, error);
	return plaintext;
}

/* ph_field_keys_find() of the @id_length bytes of @id (NUL-terminated), remembered by the
 * calling thread: the key returned is the thread's, valid until its next call. */
static GBytes *
ph_field_keys_find_remembered(PhFieldKeys *keys, const gchar *id, gsize id_length, GError **error)
{
	PhFieldOpener *opener = ph_field_opener_get();
	/* read before the lookup: a reload during it leaves the older generation remembered */
	gint generation = g_atomic_int_get(&keys->generation);
	if (opener->found != NULL && opener->generation == generation &&
	    opener->found_id_length == id_length && memcmp(opener->found_id, id, id_length) == 0)
		return opener->found;
	GBytes *key = ph_field_keys_find(keys, id, error);
	if (key == NULL)
		return NULL;
	g_clear_pointer(&opener->found, g_bytes_unref);
	opener->found = key;
	opener->generation = generation;
	memcpy(opener->found_id, id, id_length);
	opener->found_id_length = id_length;
	return key;
}

/* Base64 as g_base64_encode() writes it (groups of four, '=' only to pad the last) decoded
 * by table into @out; -1 for any other text, which GLib's decoder then takes as before (it
 * skips what is not base64), so that the same envelopes open and fail as they did. */
static guint8 ph_field_base64_rank[256];

static void
ph_field_base64_init(void)
{
	static gsize ranked = 0;
	static const gchar alphabet[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	if (g_once_init_enter(&ranked)) {
		memset(ph_field_base64_rank, 0xff, sizeof(ph_field_base64_rank));
		for (guint i = 0; i < 64; i++)
			ph_field_base64_rank[(guchar)alphabet[i]] = (guint8)i;
		g_once_init_leave(&ranked, 1);
	}
}

static gssize
ph_field_base64_decode(const gchar *text, gsize length, guint8 *out)
{
	const guchar *in = (const guchar *)text;
	gsize pad = 0;
	gsize at = 0;
	ph_field_base64_init();
	if (length == 0 || length % 4 != 0)
		return -1;
	if (in[length - 1] == '=')
		pad = in[length - 2] == '=' ? 2 : 1;
	for (gsize i = 0; i < length; i += 4) {
		gboolean last = i + 4 == length;
		guint a = ph_field_base64_rank[in[i]];
		guint b = ph_field_base64_rank[in[i + 1]];
		guint c = last && pad == 2 ? 0 : ph_field_base64_rank[in[i + 2]];
		guint d = last && pad > 0 ? 0 : ph_field_base64_rank[in[i + 3]];
		if ((a | b | c | d) > 63)
			return -1;
		guint32 bits = a << 18 | b << 12 | c << 6 | d;
		out[at++] = (guint8)(bits >> 16);
		out[at++] = (guint8)(bits >> 8);
		out[at++] = (guint8)bits;
	}
	return (gssize)(at - pad);
}

/* ph_field_keys_open() of @length bytes at @envelope, the plaintext appended to @out: the key
 * id and the decoded envelope stay on the stack, and the plaintext is decrypted in place. */
gboolean
ph_field_keys_open_append(PhFieldKeys *keys, const gchar *envelope, gsize length, GString *out,
                          GError **error)
{
	g_return_val_if_fail(keys != NULL && envelope != NULL && out != NULL, FALSE);
	gsize prefix = strlen(PH_FIELD_ENVELOPE_PREFIX);
	const gchar *id = envelope + MIN(prefix, length);
	const gchar *colon = memchr(id, ':', length - (gsize)(id - envelope));
	gsize id_length = colon != NULL ? (gsize)(colon - id) : 0;
	gsize body_length = colon != NULL ? length - (gsize)(colon + 1 - envelope) : 0;
	if (colon == NULL || id_length == 0 || id_length >= PH_FIELD_ID_MAX ||
	    body_length > PH_FIELD_BODY_MAX) {
		g_autofree gchar *copy = g_strndup(envelope, length);
		g_autofree gchar *plaintext = ph_field_keys_open(keys, copy, error);
		if (plaintext != NULL)
			g_string_append(out, plaintext);
		return plaintext != NULL;
	}
	gchar key_id[PH_FIELD_ID_MAX];
	memcpy(key_id, id, id_length);
	key_id[id_length] = '\0';
	GBytes *key = ph_field_keys_find_remembered(keys, key_id, id_length, error);
	if (key == NULL)
		return FALSE;
	guint8 sealed[PH_FIELD_BODY_MAX];
	gssize decoded = ph_field_base64_decode(colon + 1, body_length, sealed);
	gint state = 0;
	guint save = 0;
	gsize sealed_length =
	        decoded >= 0 ? (gsize)decoded
	                     : g_base64_decode_step(colon + 1, body_length, sealed, &state, &save);
	gsize at = out->len;
	if (sealed_length >= PH_FIELD_NONCE_BYTES + PH_FIELD_TAG_BYTES) {
		g_string_set_size(out,
		                  at + sealed_length - PH_FIELD_NONCE_BYTES - PH_FIELD_TAG_BYTES);
		/* the additional data is the envelope's header, "enc1:<key id>", as sealed */
		if (ph_field_gcm_open(key, envelope, (gsize)(colon - envelope), sealed,
		                      sealed_length, (guint8 *)out->str + at))
			return TRUE;
	}
	g_string_truncate(out, at);
	return ph_field_keys_undecryptable(key_id, error);
}

/* ---- binary envelopes of message bodies ---- */

gchar *
ph_field_key_bytes_prefix(const gchar *key_id)
{
	g_return_val_if_fail(key_id != NULL, NULL);
	return g_strconcat(PH_FIELD_BYTES_MAGIC, key_id, ":", NULL);
}

gchar *
ph_field_key_bytes_id(GBytes *stored)
{
	gsize length = 0;
	const gchar *data = stored != NULL ? g_bytes_get_data(stored, &length) : NULL;
	gsize magic = strlen(PH_FIELD_BYTES_MAGIC);
	if (length <= magic || memcmp(data, PH_FIELD_BYTES_MAGIC, magic) != 0)
		return NULL;
	const gchar *end = memchr(data + magic, ':', length - magic);
	return end != NULL ? g_strndup(data + magic, (gsize)(end - data) - magic) : NULL;
}

/* The additional data of a binary envelope: its prefix and the column it belongs to. */
static GString *
ph_field_key_bytes_aad(const gchar *prefix, const gchar *column)
{
	GString *aad = g_string_new(prefix);
	g_string_append(aad, column);
	return aad;
}

GBytes *
ph_field_keys_seal_bytes(PhFieldKeys *keys, GBytes *plaintext, const gchar *column, GError **error)
{
	g_return_val_if_fail(keys != NULL && plaintext != NULL && column != NULL, NULL);
	g_autofree gchar *id = NULL;
	ph_field_keys_refresh(keys);
	g_autoptr(GBytes) key = ph_field_keys_get(keys, NULL, &id);
	g_autofree gchar *prefix = ph_field_key_bytes_prefix(id);
	g_autoptr(GString) aad = ph_field_key_bytes_aad(prefix, column);
	gsize length = 0;
	const guint8 *data = g_bytes_get_data(plaintext, &length);
	gsize start = strlen(prefix);
	gsize total = start + PH_FIELD_NONCE_BYTES + length + PH_FIELD_TAG_BYTES;
	g_autofree guint8 *stored = g_malloc(total);
	memcpy(stored, prefix, start);
	if (!ph_field_gcm_seal(key, aad, data != NULL ? data : stored, length, stored + start)) {
		g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "%s: encryption failed", column);
		return NULL;
	}
	return g_bytes_new_take(g_steal_pointer(&stored), total);
}

GBytes *
ph_field_keys_open_bytes(PhFieldKeys *keys, GBytes *stored, const gchar *column, GError **error)
{
	g_return_val_if_fail(keys != NULL && stored != NULL && column != NULL, NULL);
	g_autofree gchar *id = ph_field_key_bytes_id(stored);
	if (id == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_PERMANENT, "%s: malformed envelope", column);
		return NULL;
	}
	g_autoptr(GBytes) key = ph_field_keys_find(keys, id, error);
	if (key == NULL)
		return NULL;
	g_autofree gchar *prefix = ph_field_key_bytes_prefix(id);
	g_autoptr(GString) aad = ph_field_key_bytes_aad(prefix, column);
	gsize length = 0;
	const guint8 *data = g_bytes_get_data(stored, &length);
	gsize start = strlen(prefix);
	gsize sealed = length - start;
	gsize text_length = sealed >= PH_FIELD_NONCE_BYTES + PH_FIELD_TAG_BYTES
	                            ? sealed - PH_FIELD_NONCE_BYTES - PH_FIELD_TAG_BYTES
	                            : 0;
	/* one byte more, so that an empty body has a buffer too */
	g_autofree guint8 *plaintext = g_malloc(text_length + 1);
	if (sealed < PH_FIELD_NONCE_BYTES + PH_FIELD_TAG_BYTES ||
	    !ph_field_gcm_open(key, aad->str, aad->len, data + start, sealed, plaintext)) {
		g_set_error(error, PH_ERROR, PH_ERROR_PERMANENT,
		            "%s under key %s does not decrypt (altered, moved from another column "
		            "or under a wrong key)",
		            column, id);
		return NULL;
	}
	return g_bytes_new_take(g_steal_pointer(&plaintext), text_length);
}

gchar *
ph_field_keys_lookup(PhFieldKeys *keys, const gchar *plaintext)
{
	g_return_val_if_fail(keys != NULL && plaintext != NULL, NULL);
	static const gchar hex[] = "0123456789abcdef";
	guint8 inner[EVP_MAX_MD_SIZE];
	guint8 digest[EVP_MAX_MD_SIZE];
	guint length = 0;
	EVP_MD_CTX *context = ph_field_md_context_get();
	g_rw_lock_reader_lock(&keys->lock);
	EVP_MD_CTX_copy_ex(context, keys->hmac_inner);
	EVP_DigestUpdate(context, plaintext, strlen(plaintext));
	EVP_DigestFinal_ex(context, inner, &length);
	EVP_MD_CTX_copy_ex(context, keys->hmac_outer);
	g_rw_lock_reader_unlock(&keys->lock);
	EVP_DigestUpdate(context, inner, length);
	EVP_DigestFinal_ex(context, digest, &length);
	gchar *text = g_malloc(3 + 2 * length + 1);
	memcpy(text, "h1:", 3);
	for (guint i = 0; i < length; i++) {
		text[3 + 2 * i] = hex[digest[i] >> 4];
		text[4 + 2 * i] = hex[digest[i] & 15];
	}
	text[3 + 2 * length] = '\0';
	return text;
}

static gchar *
ph_field_keys_random_base64(void)
{
	guint8 raw[PH_FIELD_KEY_BYTES];
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return NULL;
	gchar *text = g_base64_encode(raw, sizeof(raw));
	OPENSSL_cleanse(raw, sizeof(raw));
	return text;
}

gboolean
ph_field_keys_add(const gchar *path, const gchar *key_id, gchar **new_id, GError **error)
{
	g_return_val_if_fail(path != NULL, FALSE);
	g_autoptr(GKeyFile) file = g_key_file_new();
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree gchar *id =
	        key_id != NULL ? g_strdup(key_id) : g_date_time_format(now, "k%Y%m%d%H%M%S");
	g_autofree gchar *name = g_strconcat(PH_FIELD_KEY_PREFIX, id, NULL);
	g_autofree gchar *secret = ph_field_keys_random_base64();
	gboolean exists = g_file_test(path, G_FILE_TEST_EXISTS);

	if (strchr(id, ':') != NULL || strchr(id, '=') != NULL || id[0] == '\0')
		return ph_field_keys_fail(path, error, "a key id must not be empty or hold : or =");
	if (exists && !g_key_file_load_from_file(file, path, G_KEY_FILE_KEEP_COMMENTS, error))
		return FALSE;
	if (g_key_file_has_key(file, PH_FIELD_KEY_GROUP, name, NULL))
		return ph_field_keys_fail(path, error, "that key id exists already");
	if (!exists) {
		g_autofree gchar *lookup = ph_field_keys_random_base64();
		g_key_file_set_comment(file, NULL, NULL,
		                       " pension-hub field keys (docs/security.md): outside the "
		                       "database, mode 0600, backed up apart from it",
		                       NULL);
		g_key_file_set_string(file, PH_FIELD_KEY_GROUP, "lookup", lookup);
	}
	g_key_file_set_string(file, PH_FIELD_KEY_GROUP, name, secret);
	g_key_file_set_string(file, PH_FIELD_KEY_GROUP, "current", id);
	g_autofree gchar *text = g_key_file_to_data(file, NULL, NULL);
	g_autofree gchar *temporary = g_strconcat(path, ".new", NULL);
	gint fd = g_open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	gboolean ok =
	        fd >= 0 && write(fd, text, strlen(text)) == (gssize)strlen(text) && fsync(fd) == 0;
	if (fd >= 0)
		close(fd);
	if (!ok || g_rename(temporary, path) != 0) {
		g_unlink(temporary);
		return ph_field_keys_fail(path, error, "cannot be written");
	}
	if (new_id != NULL)
		*new_id = g_steal_pointer(&id);
	return TRUE;
}

/* ---- the process's installed keys ---- */

static PhFieldKeys *ph_field_keys_process;

static gchar *
ph_field_keys_cipher_seal(gpointer data, const gchar *plaintext, GError **error)
{
	return ph_field_keys_seal(data, plaintext, error);
}

static gchar *
ph_field_keys_cipher_open(gpointer data, const gchar *envelope, GError **error)
{
	return ph_field_keys_open(data, envelope, error);
}

static gchar *
ph_field_keys_cipher_lookup(gpointer data, const gchar *plaintext)
{
	return ph_field_keys_lookup(data, plaintext);
}

static gboolean
ph_field_keys_cipher_open_append(gpointer data, const gchar *envelope, gsize length, GString *out,
                                 GError **error)
{
	return ph_field_keys_open_append(data, envelope, length, out, error);
}

gboolean
ph_field_keys_install(const PhConfig *config, GError **error)
{
	g_return_val_if_fail(config != NULL, FALSE);
	g_autofree gchar *file = g_key_file_get_string(config->keyfile, "keys", "file", NULL);
	g_autofree gchar *path = ph_config_resolve_path(config, file);
	if (path == NULL)
		return TRUE;
	if (ph_field_keys_process != NULL && g_str_equal(ph_field_keys_process->path, path) &&
	    ph_field_cipher_is_installed())
		return TRUE;
	PhFieldKeys *keys = ph_field_keys_load(path, error);
	if (keys == NULL)
		return FALSE;
	const PhFieldCipher cipher = {ph_field_keys_cipher_seal, ph_field_keys_cipher_open,
	                              ph_field_keys_cipher_lookup, keys,
	                              ph_field_keys_cipher_open_append};
	/* The previous keys stay allocated: a worker may still hold the old cipher's data. */
	ph_field_keys_process = keys;
	ph_field_cipher_install(&cipher);
	return TRUE;
}

PhFieldKeys *
ph_field_keys_installed(void)
{
	return ph_field_keys_process;
}
