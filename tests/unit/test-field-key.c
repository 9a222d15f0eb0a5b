/* Encryption at rest (issue 9 §3): field envelopes round trip, refuse alteration and key
 * swaps, keyed lookups match an independent HMAC, a key file read again after a new key was
 * added, opening into a caller's buffer, the core's pass-through without a cipher, and binary
 * envelopes of message bodies (round trip, alteration, another column, truncation, unknown key).
 * Suite unit. */
#include <glib/gstdio.h>
#include <string.h>

#include "ph-error.h"
#include "ph-field-cipher.h"
#include "ph-field-key.h"

/* A valid citizen ID of the GB 11643 example (check digit X). */
#define ID_NUMBER "11010519491231002X"

typedef struct {
	gchar *dir;
	gchar *path;
} Fixture;

static void
fixture_setup(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	fixture->dir = g_dir_make_tmp("ph-keys-XXXXXX", &error);
	g_assert_no_error(error);
	fixture->path = g_build_filename(fixture->dir, "field.keys", NULL);
	g_assert_true(ph_field_keys_add(fixture->path, "k1", NULL, &error));
	g_assert_no_error(error);
}

static void
fixture_teardown(Fixture *fixture, gconstpointer data)
{
	g_unlink(fixture->path);
	g_rmdir(fixture->dir);
	g_free(fixture->path);
	g_free(fixture->dir);
}

static PhFieldKeys *
load(Fixture *fixture)
{
	g_autoptr(GError) error = NULL;
	PhFieldKeys *keys = ph_field_keys_load(fixture->path, &error);
	g_assert_no_error(error);
	return keys;
}

static void
test_round_trip(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhFieldKeys) keys = load(fixture);
	g_autofree gchar *first = ph_field_keys_seal(keys, ID_NUMBER, &error);
	g_autofree gchar *second = ph_field_keys_seal(keys, ID_NUMBER, &error);
	g_assert_no_error(error);
	g_assert_true(g_str_has_prefix(first, "enc1:k1:"));
	g_assert_null(strstr(first, ID_NUMBER));
	/* a fresh nonce each time: equal plaintexts do not show as equal ciphertexts */
	g_assert_cmpstr(first, !=, second);
	g_autofree gchar *opened = ph_field_keys_open(keys, first, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(opened, ==, ID_NUMBER);
	g_autofree gchar *empty = ph_field_keys_seal(keys, "", &error);
	g_autofree gchar *empty_opened = ph_field_keys_open(keys, empty, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(empty_opened, ==, "");
	g_autofree gchar *id = ph_field_key_id(first);
	g_assert_cmpstr(id, ==, "k1");
	g_assert_null(ph_field_key_id(ID_NUMBER));
}

static void
test_altered(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhFieldKeys) keys = load(fixture);
	g_autofree gchar *sealed = ph_field_keys_seal(keys, ID_NUMBER, &error);
	g_autofree gchar *flipped = g_strdup(sealed);
	gsize at = strlen("enc1:k1:") + 20; /* inside the ciphertext */
	flipped[at] = flipped[at] == 'A' ? 'B' : 'A';
	g_assert_null(ph_field_keys_open(keys, flipped, &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_FAILED);
	g_clear_error(&error);
	/* the key id is authenticated: the same bytes under another id do not open */
	g_assert_true(ph_field_keys_add(fixture->path, "k2", NULL, &error));
	g_autofree gchar *swapped = g_strconcat("enc1:k2:", sealed + strlen("enc1:k1:"), NULL);
	g_assert_null(ph_field_keys_open(keys, swapped, &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_FAILED);
	g_clear_error(&error);
	g_assert_null(ph_field_keys_open(keys, "enc1:k9:AAAA", &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_CONFIG);
	g_clear_error(&error);
	g_assert_null(ph_field_keys_open(keys, "enc1:k1:AAAA", &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_FAILED);
}

/* One thread's sealer keeps its cipher keyed between calls and hands out pooled nonces: a
 * thousand seals (several pools) never repeat a nonce, and seals that alternate between two
 * keys each open under the key their envelope names (a cached key schedule is never used for
 * the other key). */
static void
test_sealer(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhFieldKeys) first = load(fixture);
	g_assert_true(ph_field_keys_add(fixture->path, "k2", NULL, &error));
	g_autoptr(PhFieldKeys) second = load(fixture);
	g_autoptr(GHashTable) nonces = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (guint i = 0; i < 1000; i++) {
		PhFieldKeys *keys = i % 2 == 0 ? first : second;
		g_autofree gchar *sealed = ph_field_keys_seal(keys, ID_NUMBER, &error);
		g_assert_no_error(error);
		g_assert_true(g_str_has_prefix(sealed, i % 2 == 0 ? "enc1:k1:" : "enc1:k2:"));
		/* 12 bytes of nonce are the first 16 base64 characters */
		gchar *nonce = g_strndup(sealed + strlen("enc1:k1:"), 16);
		g_assert_true(g_hash_table_add(nonces, nonce));
		g_autofree gchar *opened = ph_field_keys_open(second, sealed, &error);
		g_assert_no_error(error);
		g_assert_cmpstr(opened, ==, ID_NUMBER);
	}
	g_assert_cmpuint(g_hash_table_size(nonces), ==, 1000);
}

/* The keys of k1 (current then), the keys once k2 was added and made current, an envelope
 * under each, and k1's with one character of its body changed. */
typedef struct {
	PhFieldKeys *old_keys;
	PhFieldKeys *keys;
	gchar *under_k1;
	gchar *under_k2;
	gchar *flipped;
} TwoKeys;

static void
two_keys_init(Fixture *fixture, TwoKeys *two)
{
	g_autoptr(GError) error = NULL;
	two->old_keys = load(fixture);
	g_assert_true(ph_field_keys_add(fixture->path, "k2", NULL, &error));
	two->keys = load(fixture);
	two->under_k1 = ph_field_keys_seal(two->old_keys, ID_NUMBER, &error);
	two->under_k2 = ph_field_keys_seal(two->keys, "6222020200112233445", &error);
	g_assert_no_error(error);
	two->flipped = g_strdup(two->under_k1);
	gsize at = strlen("enc1:k1:") + 20;
	two->flipped[at] = two->flipped[at] == 'A' ? 'B' : 'A';
}

static void
two_keys_clear(TwoKeys *two)
{
	ph_field_keys_free(two->old_keys);
	ph_field_keys_free(two->keys);
	g_free(two->under_k1);
	g_free(two->under_k2);
	g_free(two->flipped);
}

/* One thread's opening context stays keyed between opens too: opens under the same key, a
 * refused envelope (altered, or another key's bytes under this id) between good ones, and
 * opens switching between keys each give the right plaintext or the refusal, never a value
 * opened under the key of the open before. */
static void
test_opener(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	TwoKeys two;
	two_keys_init(fixture, &two);
	PhFieldKeys *keys = two.keys;
	const gchar *under_k1 = two.under_k1, *under_k2 = two.under_k2, *flipped = two.flipped;
	g_autofree gchar *swapped = g_strconcat("enc1:k1:", under_k2 + strlen("enc1:k2:"), NULL);
	struct {
		const gchar *envelope;
		const gchar *plaintext; /* NULL: refused */
	} opens[] = {
	        {under_k1, ID_NUMBER},
	        {under_k1, ID_NUMBER},
	        {flipped, NULL},
	        {under_k1, ID_NUMBER},
	        {under_k2, "6222020200112233445"},
	        {swapped, NULL},
	        {under_k2, "6222020200112233445"},
	        {under_k1, ID_NUMBER},
	};
	for (guint i = 0; i < G_N_ELEMENTS(opens); i++) {
		g_autofree gchar *opened = ph_field_keys_open(keys, opens[i].envelope, &error);
		g_assert_cmpstr(opened, ==, opens[i].plaintext);
		if (opens[i].plaintext == NULL)
			g_assert_error(error, PH_ERROR, PH_ERROR_FAILED);
		else
			g_assert_no_error(error);
		g_clear_error(&error);
	}
	two_keys_clear(&two);
}

/* Opening into a caller's buffer (the bank upload's reader): each value is given by its length
 * and followed by other bytes, as a binary COPY hands it over; it gives what
 * ph_field_keys_open() gives for the same envelope (the plaintext, or the same error and
 * nothing appended), after what the buffer held. */
static void
test_open_append(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	TwoKeys two;
	two_keys_init(fixture, &two);
	PhFieldKeys *keys = two.keys;
	const gchar *under_k1 = two.under_k1, *under_k2 = two.under_k2, *flipped = two.flipped;
	g_autofree gchar *empty = ph_field_keys_seal(keys, "", &error);
	g_assert_no_error(error);
	/* GLib's decoder skips what is not base64 (a newline in the body) */
	g_autofree gchar *broken = g_strdup(under_k1);
	broken[strlen("enc1:k1:") + 8] = '\0';
	g_autofree gchar *with_newline =
	        g_strconcat(broken, "\n", under_k1 + strlen("enc1:k1:") + 8, NULL);
	g_autofree gchar *truncated = g_strndup(under_k1, strlen(under_k1) - 1);
	g_autofree gchar *long_id = g_strnfill(80, 'k');
	g_autofree gchar *long_id_envelope = g_strconcat("enc1:", long_id, ":AAAA", NULL);
	/* a body longer than the stack's room: opened through the allocating path */
	g_autofree gchar *long_value = g_strnfill(200, '7');
	g_autofree gchar *long_body = ph_field_keys_seal(keys, long_value, &error);
	g_assert_no_error(error);
	const struct {
		const gchar *envelope;
		const gchar *plaintext; /* NULL: refused */
		gint code;
	} opens[] = {
	        {under_k1, ID_NUMBER, 0},
	        {under_k2, "6222020200112233445", 0},
	        {empty, "", 0},
	        {with_newline, ID_NUMBER, 0},
	        {truncated, NULL, PH_ERROR_FAILED},
	        {flipped, NULL, PH_ERROR_FAILED},
	        {under_k1, ID_NUMBER, 0}, /* after a refusal, the context keyed afresh */
	        {"enc1:k9:AAAA", NULL, PH_ERROR_CONFIG},   /* no such key */
	        {"enc1:k1:AAAA", NULL, PH_ERROR_FAILED},   /* shorter than nonce and tag */
	        {"enc1:k1", NULL, PH_ERROR_FAILED},        /* no body: malformed */
	        {long_id_envelope, NULL, PH_ERROR_CONFIG}, /* the allocating path */
	        {long_body, long_value, 0},
	};
	for (guint i = 0; i < G_N_ELEMENTS(opens); i++) {
		g_autoptr(GError) expected_error = NULL;
		g_autofree gchar *expected =
		        ph_field_keys_open(keys, opens[i].envelope, &expected_error);
		g_assert_cmpstr(expected, ==, opens[i].plaintext);
		/* the envelope followed by bytes that are not its own */
		g_autofree gchar *followed = g_strconcat(opens[i].envelope, "::enc1:zz", NULL);
		g_autoptr(GString) out = g_string_new("x|");
		gboolean ok = ph_field_keys_open_append(keys, followed, strlen(opens[i].envelope),
		                                        out, &error);
		g_assert_cmpint(ok, ==, opens[i].plaintext != NULL);
		if (ok) {
			g_assert_no_error(error);
			g_assert_cmpuint(out->len, ==, 2 + strlen(opens[i].plaintext));
			g_assert_cmpstr(out->str + 2, ==, opens[i].plaintext);
		} else {
			g_assert_error(error, PH_ERROR, opens[i].code);
			g_assert_error(expected_error, PH_ERROR, opens[i].code);
			g_assert_cmpstr(error->message, ==, expected_error->message);
			g_assert_cmpstr(out->str, ==, "x|");
		}
		g_clear_error(&error);
	}
	/* plaintexts of every length up to 40 bytes: each padding of the body (none, one, two) */
	for (gsize length = 0; length <= 40; length++) {
		g_autofree gchar *plaintext =
		        g_strndup("6222020200112233445511010519491231002X", MIN(length, 38));
		g_autofree gchar *longer = g_strdup_printf(
		        "%s%.*s", plaintext, (gint)(length - strlen(plaintext)), "ab");
		g_autofree gchar *sealed = ph_field_keys_seal(keys, longer, &error);
		g_autoptr(GString) out = g_string_new(NULL);
		g_assert_true(ph_field_keys_open_append(keys, sealed, strlen(sealed), out, &error));
		g_assert_no_error(error);
		g_assert_cmpstr(out->str, ==, longer);
	}
	two_keys_clear(&two);
}

/* One appending open of @envelope with @keys: the plaintext, or NULL with @error set. */
static gchar *
open_append(PhFieldKeys *keys, const gchar *envelope, GError **error)
{
	g_autoptr(GString) out = g_string_new(NULL);
	if (!ph_field_keys_open_append(keys, envelope, strlen(envelope), out, error))
		return NULL;
	return g_strdup(out->str);
}

/* The appending open decodes a body by table only in the form g_base64_encode() writes;
 * any other body goes through GLib's decoder as ph_field_keys_open()'s does, so every form
 * (a line break or stray characters inside, padding left out or in the middle, a group
 * cut short) opens or fails exactly as it does there. */
static void
test_open_append_base64_forms(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhFieldKeys) keys = load(fixture);
	g_autofree gchar *sealed = ph_field_keys_seal(keys, ID_NUMBER, &error);
	g_assert_no_error(error);
	const gchar *body = sealed + strlen("enc1:k1:");
	gsize half = strlen(body) / 2;
	g_autofree gchar *unpadded = g_strdup(sealed);
	while (g_str_has_suffix(unpadded, "="))
		unpadded[strlen(unpadded) - 1] = '\0';
	gchar *forms[] = {
	        g_strdup(sealed),
	        g_strdup_printf("enc1:k1:%.*s\n%s", (int)half, body, body + half),
	        g_strdup_printf("enc1:k1:%.*s!%s", (int)half, body, body + half),
	        /* four characters more: a body whose length alone does not send it to GLib */
	        g_strdup_printf("enc1:k1:%.*s!!!!%s", (int)half, body, body + half),
	        g_strdup_printf("enc1:k1:%.*s====%s", (int)half, body, body + half),
	        g_strdup_printf("enc1:k1:%.*s", (int)(strlen(body) - 1), body),
	        g_strdup(unpadded),
	};
	guint opened = 0;
	for (guint i = 0; i < G_N_ELEMENTS(forms); i++) {
		g_autoptr(GError) whole_error = NULL;
		g_autoptr(GError) append_error = NULL;
		g_autofree gchar *whole = ph_field_keys_open(keys, forms[i], &whole_error);
		g_autofree gchar *appended = open_append(keys, forms[i], &append_error);
		g_test_message("form %u: %s", i, whole != NULL ? "opens" : whole_error->message);
		g_assert_cmpstr(appended, ==, whole);
		g_assert_true((whole_error == NULL) == (append_error == NULL));
		opened += whole != NULL;
		g_free(forms[i]);
	}
	/* the canonical body opens, and so do a line break and stray characters GLib skips */
	g_assert_cmpuint(opened, >=, 4);
}

/* The key a thread remembers by id for the appending open is the key set's, and only until
 * the set is read again: a key removed from the file stops opening once the file was read
 * again (here by an envelope under an unknown key), as it did with a lookup per open, and
 * another set's key of the same id is never taken for it. */
static void
test_open_append_remembered(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	TwoKeys two;
	two_keys_init(fixture, &two);
	PhFieldKeys *keys = two.keys;
	g_autofree gchar *opened = open_append(keys, two.under_k1, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(opened, ==, ID_NUMBER);

	/* another file with a key of its own named k1: its envelope does not open under ours */
	Fixture other;
	fixture_setup(&other, NULL);
	g_autoptr(PhFieldKeys) other_keys = load(&other);
	g_autofree gchar *under_other =
	        ph_field_keys_seal(other_keys, "6222020200112233445", &error);
	g_assert_no_error(error);
	g_autofree gchar *refused = open_append(keys, under_other, &error);
	g_assert_null(refused);
	g_assert_error(error, PH_ERROR, PH_ERROR_FAILED);
	g_clear_error(&error);
	g_autofree gchar *opened_other = open_append(other_keys, under_other, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(opened_other, ==, "6222020200112233445");
	g_autofree gchar *refused_k1 = open_append(other_keys, two.under_k1, &error);
	g_assert_null(refused_k1);
	g_assert_error(error, PH_ERROR, PH_ERROR_FAILED);
	g_clear_error(&error);
	fixture_teardown(&other, NULL);

	/* k1 removed from the file (k2 current), then the file read again */
	g_autofree gchar *again = open_append(keys, two.under_k1, &error);
	g_assert_cmpstr(again, ==, ID_NUMBER);
	g_autoptr(GKeyFile) file = g_key_file_new();
	g_assert_true(g_key_file_load_from_file(file, fixture->path, G_KEY_FILE_NONE, &error));
	g_assert_true(g_key_file_remove_key(file, "field-keys", "key.k1", &error));
	g_assert_true(g_key_file_save_to_file(file, fixture->path, &error));
	g_assert_no_error(error);
	g_assert_cmpint(g_chmod(fixture->path, 0600), ==, 0); /* saved for anyone to read */
	g_autofree gchar *unknown = open_append(keys, "enc1:k9:AAAA", &error);
	g_assert_error(error, PH_ERROR, PH_ERROR_CONFIG);
	g_clear_error(&error);
	g_autofree gchar *removed = open_append(keys, two.under_k1, &error);
	g_assert_null(removed);
	g_assert_error(error, PH_ERROR, PH_ERROR_CONFIG);
	g_assert_nonnull(strstr(error->message, "key k1 is not in the key file"));
	g_clear_error(&error);
	g_autofree gchar *still = open_append(keys, two.under_k2, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(still, ==, "6222020200112233445");
	two_keys_clear(&two);
}

/* HMAC-SHA-256 under the file's lookup key, computed again with GLib's GHmac. */
static void
test_lookup(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhFieldKeys) keys = load(fixture);
	g_autoptr(GKeyFile) file = g_key_file_new();
	g_assert_true(g_key_file_load_from_file(file, fixture->path, G_KEY_FILE_NONE, &error));
	g_autofree gchar *lookup_b64 = g_key_file_get_string(file, "field-keys", "lookup", &error);
	g_assert_no_error(error);
	gsize key_length = 0;
	g_autofree guchar *key = g_base64_decode(lookup_b64, &key_length);
	g_assert_cmpuint(key_length, ==, 32);
	g_autofree gchar *hex =
	        g_compute_hmac_for_string(G_CHECKSUM_SHA256, key, key_length, ID_NUMBER, -1);
	g_autofree gchar *expected = g_strconcat("h1:", hex, NULL);
	g_autofree gchar *lookup = ph_field_keys_lookup(keys, ID_NUMBER);
	g_assert_cmpstr(lookup, ==, expected);
	/* rotation of the field keys leaves lookups unchanged */
	g_assert_true(ph_field_keys_add(fixture->path, "k2", NULL, &error));
	g_autoptr(PhFieldKeys) again = load(fixture);
	g_autofree gchar *lookup_again = ph_field_keys_lookup(again, ID_NUMBER);
	g_assert_cmpstr(lookup_again, ==, expected);
}

/* A reader loaded before a key was added opens values sealed under it (it reads the file
 * again), and a new key becomes the current one. */
static void
test_rotation(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhFieldKeys) reader = load(fixture);
	g_autofree gchar *old = ph_field_keys_seal(reader, ID_NUMBER, &error);
	g_autofree gchar *new_id = NULL;
	g_assert_true(ph_field_keys_add(fixture->path, "k2", &new_id, &error));
	g_assert_cmpstr(new_id, ==, "k2");
	g_autoptr(PhFieldKeys) writer = load(fixture);
	g_autofree gchar *current = ph_field_keys_current(writer);
	g_assert_cmpstr(current, ==, "k2");
	g_autofree gchar *sealed = ph_field_keys_seal(writer, ID_NUMBER, &error);
	g_assert_true(g_str_has_prefix(sealed, "enc1:k2:"));
	g_autofree gchar *opened = ph_field_keys_open(reader, sealed, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(opened, ==, ID_NUMBER);
	g_autofree gchar *opened_old = ph_field_keys_open(writer, old, &error);
	g_assert_cmpstr(opened_old, ==, ID_NUMBER);
	g_assert_false(ph_field_keys_add(fixture->path, "k2", NULL, &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_CONFIG);
}

static void
test_file_checks(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_chmod(fixture->path, 0644);
	g_assert_null(ph_field_keys_load(fixture->path, &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_CONFIG);
	g_assert_nonnull(strstr(error->message, "group or others"));
	g_clear_error(&error);
	g_assert_true(g_file_set_contents(fixture->path,
	                                  "[field-keys]\ncurrent = k1\nlookup = AAAA\n", -1, NULL));
	g_chmod(fixture->path, 0600);
	g_assert_null(ph_field_keys_load(fixture->path, &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_CONFIG);
	g_assert_nonnull(strstr(error->message, "current names no key"));
}

/* Binary envelopes of message bodies: the empty body, a text and 100 KB of every byte value
 * come back as they were; the stored form begins with the magic and key id and holds no
 * plaintext; a plaintext body has no key id. */
static void
test_bytes_round_trip(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhFieldKeys) keys = load(fixture);
	g_autoptr(GByteArray) large = g_byte_array_new();
	for (guint i = 0; i < 100 * 1024; i++)
		g_byte_array_append(large, (const guint8 *)&(guint8){i % 256}, 1);
	g_autoptr(GPtrArray) bodies = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	g_ptr_array_add(bodies, g_bytes_new_static("", 0));
	g_ptr_array_add(bodies, g_bytes_new_static(ID_NUMBER, strlen(ID_NUMBER)));
	g_ptr_array_add(bodies, g_bytes_new(large->data, large->len));
	for (guint i = 0; i < bodies->len; i++) {
		GBytes *body = g_ptr_array_index(bodies, i);
		g_autoptr(GBytes) stored = ph_field_keys_seal_bytes(keys, body, "t.c", &error);
		g_assert_no_error(error);
		/* prefix 0x89 "phb1:k1:" (9 bytes), nonce 12, tag 16 */
		g_assert_cmpuint(g_bytes_get_size(stored), ==, g_bytes_get_size(body) + 37);
		g_assert_cmpmem(g_bytes_get_data(stored, NULL), 9, "\x89phb1:k1:", 9);
		g_autofree gchar *id = ph_field_key_bytes_id(stored);
		g_assert_cmpstr(id, ==, "k1");
		g_assert_null(memmem(g_bytes_get_data(stored, NULL), g_bytes_get_size(stored),
		                     ID_NUMBER, strlen(ID_NUMBER)));
		g_autoptr(GBytes) opened = ph_field_keys_open_bytes(keys, stored, "t.c", &error);
		g_assert_no_error(error);
		g_assert_true(g_bytes_equal(opened, body));
	}
	g_assert_null(ph_field_key_bytes_id(g_ptr_array_index(bodies, 1)));
	g_assert_null(ph_field_key_bytes_id(NULL));
}

/* A body that does not open: each case is refused with the code and words given, never
 * returned. */
static void
test_bytes_refused(Fixture *fixture, gconstpointer data)
{
	g_autoptr(PhFieldKeys) keys = load(fixture);
	g_autoptr(GBytes) body = g_bytes_new_static(ID_NUMBER, strlen(ID_NUMBER));
	g_autoptr(GBytes) sealed = ph_field_keys_seal_bytes(keys, body, "t.c", NULL);
	gsize length = 0;
	g_autofree guint8 *altered = g_bytes_unref_to_data(g_bytes_ref(sealed), &length);
	altered[20] ^= 1;
	const struct {
		GBytes *stored;
		const gchar *column;
		gint code;
		const gchar *words;
	} cases[] = {
	        /* a flipped ciphertext bit fails the tag */
	        {g_bytes_new(altered, length), "t.c", PH_ERROR_PERMANENT, "t.c under key k1 does"},
	        /* the column is authenticated: the same bytes in another column fail */
	        {g_bytes_ref(sealed), "t.other", PH_ERROR_PERMANENT, "does not decrypt"},
	        /* shorter than nonce and tag */
	        {g_bytes_new_static("\x89phb1:k1:short", 14), "t.c", PH_ERROR_PERMANENT,
	         "does not decrypt"},
	        /* a key id not in the file (after reading it again) */
	        {g_bytes_new_static("\x89phb1:k9:0123456789012345678901234567", 37), "t.c",
	         PH_ERROR_CONFIG, "key k9 is not in the key file"},
	        /* the magic without a key id's end */
	        {g_bytes_new_static("\x89phb1:k1", 9), "t.c", PH_ERROR_PERMANENT, "malformed"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GBytes) stored = cases[i].stored;
		g_autoptr(GBytes) opened =
		        ph_field_keys_open_bytes(keys, stored, cases[i].column, &error);
		g_assert_null(opened);
		g_assert_error(error, PH_ERROR, cases[i].code);
		g_assert_nonnull(strstr(error->message, cases[i].words));
	}
}

/* Without a cipher the core stores plaintext and refuses to hand out an envelope. */
static void
test_core_without_cipher(void)
{
	g_autoptr(GError) error = NULL;
	ph_field_cipher_install(NULL);
	g_autofree gchar *stored = ph_field_seal(ID_NUMBER, &error);
	g_assert_cmpstr(stored, ==, ID_NUMBER);
	g_autofree gchar *lookup = ph_field_lookup(ID_NUMBER);
	g_assert_cmpstr(lookup, ==, ID_NUMBER);
	g_autofree gchar *plain = ph_field_open(ID_NUMBER, &error);
	g_assert_cmpstr(plain, ==, ID_NUMBER);
	g_assert_null(ph_field_open(NULL, &error));
	g_assert_no_error(error);
	g_assert_null(ph_field_open("enc1:k1:AAAA", &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_CONFIG);
	g_clear_error(&error);
	/* the same through the appending open: plaintext as it is, an envelope refused, named */
	g_autoptr(GString) out = g_string_new(NULL);
	g_assert_true(ph_field_open_append_named(ID_NUMBER "tail", strlen(ID_NUMBER), "AAC002", out,
	                                         &error));
	g_assert_no_error(error);
	g_assert_cmpstr(out->str, ==, ID_NUMBER);
	g_assert_false(ph_field_open_append_named("enc1:k1:AAAA", 12, "AAE010", out, &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_CONFIG);
	g_assert_true(g_str_has_prefix(error->message, "AAE010: "));
	g_assert_cmpstr(out->str, ==, ID_NUMBER);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/field-key/round-trip", Fixture, NULL, fixture_setup, test_round_trip,
	           fixture_teardown);
	g_test_add("/field-key/altered", Fixture, NULL, fixture_setup, test_altered,
	           fixture_teardown);
	g_test_add("/field-key/sealer", Fixture, NULL, fixture_setup, test_sealer,
	           fixture_teardown);
	g_test_add("/field-key/opener", Fixture, NULL, fixture_setup, test_opener,
	           fixture_teardown);
	g_test_add("/field-key/open-append", Fixture, NULL, fixture_setup, test_open_append,
	           fixture_teardown);
	g_test_add("/field-key/open-append-remembered", Fixture, NULL, fixture_setup,
	           test_open_append_remembered, fixture_teardown);
	g_test_add("/field-key/open-append-base64-forms", Fixture, NULL, fixture_setup,
	           test_open_append_base64_forms, fixture_teardown);
	g_test_add("/field-key/lookup", Fixture, NULL, fixture_setup, test_lookup,
	           fixture_teardown);
	g_test_add("/field-key/rotation", Fixture, NULL, fixture_setup, test_rotation,
	           fixture_teardown);
	g_test_add("/field-key/file-checks", Fixture, NULL, fixture_setup, test_file_checks,
	           fixture_teardown);
	g_test_add("/field-key/bytes-round-trip", Fixture, NULL, fixture_setup,
	           test_bytes_round_trip, fixture_teardown);
	g_test_add("/field-key/bytes-refused", Fixture, NULL, fixture_setup, test_bytes_refused,
	           fixture_teardown);
	g_test_add_func("/field-key/core-without-cipher", test_core_without_cipher);
	return g_test_run();
}
