/* The kept-document store (hub/ph-document-store.c, issue 9 §2/§3): plaintext and sealed
 * files round trip byte for byte across chunk boundaries, a sealed file holds no plaintext ID
 * number, the same bytes kept twice make one file, and a changed byte, a dropped last chunk or
 * a changed plaintext file is detected. Suite unit. */
#include <glib/gstdio.h>
#include <string.h>

#include "pension-hub/ph-digest.h"
#include "ph-document-store.h"

/* A valid GB 11643 number (the test-keys one) */
#define ID_NUMBER "11010519491231002X"
/* the store's chunk: 1 MiB of plaintext (ph-document-store.c) */
#define CHUNK (1024 * 1024)

typedef struct {
	gchar *dir;
	PhFieldKeys *keys;
} Fixture;

static void
fixture_set_up(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	fixture->dir = g_dir_make_tmp("ph-documents-XXXXXX", &error);
	g_assert_no_error(error);
	g_autofree gchar *path = g_build_filename(fixture->dir, "field.keys", NULL);
	g_assert_true(ph_field_keys_add(path, "k1", NULL, &error));
	g_assert_no_error(error);
	fixture->keys = ph_field_keys_load(path, &error);
	g_assert_no_error(error);
}

static void
fixture_tear_down(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GDir) dir = g_dir_open(fixture->dir, 0, NULL);
	const gchar *name;
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *path = g_build_filename(fixture->dir, name, NULL);
		g_unlink(path);
	}
	g_rmdir(fixture->dir);
	ph_field_keys_free(fixture->keys);
	g_free(fixture->dir);
}

/* @length bytes of payout-file-like lines, each with the ID number. */
static GByteArray *
make_content(gsize length)
{
	GByteArray *content = g_byte_array_sized_new((guint)length);
	for (guint line = 0; content->len < length; line++) {
		g_autofree gchar *text = g_strdup_printf(
		        "D%08u" ID_NUMBER "张三 62220202000000%05u\r\n", line, line % 100000);
		g_byte_array_append(content, (const guint8 *)text,
		                    (guint)MIN(strlen(text), length - content->len));
	}
	return content;
}

/* Keeps @content written in pieces of 1..7919 bytes; returns the stored file's path. */
static gchar *
keep(Fixture *fixture, GByteArray *content, PhFieldKeys *keys)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhDocumentWriter) writer =
	        ph_document_writer_new(fixture->dir, "payout", keys, &error);
	g_assert_no_error(error);
	gsize at = 0, step = 1;
	while (at < content->len) {
		gsize take = MIN(step, content->len - at);
		g_assert_true(ph_document_writer_write(writer, content->data + at, take, &error));
		g_assert_no_error(error);
		at += take;
		step = step * 7 % 7919 + 1;
	}
	g_assert_true(ph_document_writer_commit(writer, &error));
	g_assert_no_error(error);
	g_autofree gchar *sha256 = ph_digest_hex(PH_DIGEST_SHA256, content->data, content->len);
	g_assert_cmpstr(ph_document_writer_get_sha256(writer), ==, sha256);
	g_assert_cmpuint(ph_document_writer_get_size(writer), ==, content->len);
	g_autofree gchar *expected_name = g_strconcat(
	        sha256, keys != NULL ? PH_DOCUMENT_SEALED_SUFFIX : PH_DOCUMENT_PLAIN_SUFFIX, NULL);
	g_assert_cmpstr(ph_document_writer_get_file_name(writer), ==, expected_name);
	g_assert_cmpstr(ph_document_writer_get_key_id(writer), ==, keys != NULL ? "k1" : NULL);
	return g_build_filename(fixture->dir, expected_name, NULL);
}

static gboolean
collect(const guint8 *data, gsize length, gpointer user_data, GError **error)
{
	g_byte_array_append(user_data, data, (guint)length);
	return TRUE;
}

static GByteArray *
read_back(Fixture *fixture, const gchar *path, const gchar *sha256, GError **error)
{
	GByteArray *out = g_byte_array_new();
	if (!ph_document_store_read(path, fixture->keys, sha256, collect, out, error))
		g_clear_pointer(&out, g_byte_array_unref);
	return out;
}

static void
assert_round_trip(Fixture *fixture, gsize length, PhFieldKeys *keys)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GByteArray) content = make_content(length);
	g_autofree gchar *path = keep(fixture, content, keys);
	g_autofree gchar *sha256 = ph_digest_hex(PH_DIGEST_SHA256, content->data, content->len);
	g_autoptr(GByteArray) back = read_back(fixture, path, sha256, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(back->len, ==, content->len);
	g_assert_cmpmem(back->data, back->len, content->data, content->len);
	g_autofree gchar *stored = NULL;
	gsize stored_length = 0;
	g_assert_true(g_file_get_contents(path, &stored, &stored_length, NULL));
	/* sealed: no line of the file in the clear; plaintext: the bytes as given */
	gboolean clear = memmem(stored, stored_length, ID_NUMBER, strlen(ID_NUMBER)) != NULL;
	g_assert_cmpint(clear, ==, keys == NULL && length >= 40);
}

/* Lengths around the chunk: empty, short, one byte under, exactly one and two chunks (the
 * last full chunk is the final one), one over, and three and a half. */
static void
test_round_trip(Fixture *fixture, gconstpointer data)
{
	const gsize lengths[] = {0, 1, 100, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 7 * CHUNK / 2};
	for (guint sealed = 0; sealed < 2; sealed++) {
		for (guint i = 0; i < G_N_ELEMENTS(lengths); i++) {
			g_test_message("%s, %" G_GSIZE_FORMAT " bytes", sealed ? "sealed" : "plain",
			               lengths[i]);
			assert_round_trip(fixture, lengths[i], sealed ? fixture->keys : NULL);
		}
	}
}

/* The same bytes kept again (a retry after kill -9) make one file and leave no .part. */
static void
test_kept_twice_one_file(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GByteArray) content = make_content(CHUNK + 17);
	g_autofree gchar *first = keep(fixture, content, fixture->keys);
	g_autofree gchar *second = keep(fixture, content, fixture->keys);
	g_assert_cmpstr(first, ==, second);
	g_autoptr(GDir) dir = g_dir_open(fixture->dir, 0, NULL);
	guint files = 0;
	const gchar *name;
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_assert_false(g_str_has_suffix(name, ".part"));
		files += !g_str_equal(name, "field.keys");
	}
	g_assert_cmpuint(files, ==, 1);
}

/* Each change is detected, naming the file: a byte of the second chunk (authentication), the
 * last chunk dropped (the one before is not marked final), a plaintext byte (its SHA-256). */
static void
test_corruption_detected(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GByteArray) content = make_content(2 * CHUNK + 100);
	g_autofree gchar *sha256 = ph_digest_hex(PH_DIGEST_SHA256, content->data, content->len);
	/* the last sealed chunk: 12 bytes nonce, the 100 bytes, 16 bytes tag */
	const gsize last_chunk = 12 + 100 + 16;
	const struct {
		gboolean sealed;
		gsize cut; /* bytes dropped from the end */
		goffset flip_at;
		const gchar *expected;
	} cases[] = {
	        {TRUE, 0, CHUNK + CHUNK / 2, "chunk 1 does not authenticate"},
	        {TRUE, last_chunk, -1, "chunk 1 does not authenticate"},
	        {FALSE, 0, CHUNK + 5, "differs from the recorded"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *path =
		        keep(fixture, content, cases[i].sealed ? fixture->keys : NULL);
		g_autofree gchar *stored = NULL;
		gsize length = 0;
		g_assert_true(g_file_get_contents(path, &stored, &length, NULL));
		if (cases[i].flip_at >= 0)
			stored[cases[i].flip_at] ^= 0x01;
		g_assert_true(
		        g_file_set_contents(path, stored, (gssize)(length - cases[i].cut), NULL));
		g_autoptr(GByteArray) back = read_back(fixture, path, sha256, &error);
		g_assert_null(back);
		g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
		g_test_message("%s", error->message);
		g_assert_nonnull(strstr(error->message, cases[i].expected));
		g_assert_nonnull(strstr(error->message, path));
		g_unlink(path);
	}
}

/* A sealed file without keys is a configuration error, not a read of garbage. */
static void
test_sealed_needs_keys(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GByteArray) content = make_content(1000);
	g_autofree gchar *path = keep(fixture, content, fixture->keys);
	g_autoptr(GByteArray) out = g_byte_array_new();
	g_assert_false(ph_document_store_read(path, NULL, NULL, collect, out, &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_CONFIG);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/document-store/round-trip", Fixture, NULL, fixture_set_up, test_round_trip,
	           fixture_tear_down);
	g_test_add("/document-store/kept-twice-one-file", Fixture, NULL, fixture_set_up,
	           test_kept_twice_one_file, fixture_tear_down);
	g_test_add("/document-store/corruption-detected", Fixture, NULL, fixture_set_up,
	           test_corruption_detected, fixture_tear_down);
	g_test_add("/document-store/sealed-needs-keys", Fixture, NULL, fixture_set_up,
	           test_sealed_needs_keys, fixture_tear_down);
	return g_test_run();
}
