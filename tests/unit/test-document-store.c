/* The kept-document store (hub/ph-document-store.c, issue 9 §2/§3): plaintext and sealed
 * files round trip byte for byte across chunk boundaries, a sealed file holds no plaintext ID
 * number, a file kept as it is read holds every byte read or skipped, the same bytes kept
 * twice make one file, and a changed byte, a dropped last chunk or
 * a changed plaintext file is detected. Its pull stream (hub/ph-document-stream.c), also under
 * sealed spool files: reads of any size, a changed or cut chunk failing with file and chunk
 * named and no byte of it handed on, a cut header, no keys; a plaintext spool file of before
 * read as it is. Suite unit. */
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>
#include <utime.h>

#include "pension-hub/ph-digest.h"
#include "pension-hub/ph-spool.h"
#include "ph-document-orphan.h"
#include "ph-document-rewrap.h"
#include "ph-document-store.h"
#include "ph-document-stream.h"
#include "ph-error.h"

/* A valid GB 11643 number (the test-keys one) */
#define ID_NUMBER "11010519491231002X"
/* the store's chunk: 1 MiB of plaintext (ph-document-store.c) */
#define CHUNK (1024 * 1024)
/* a sealed chunk adds a 12-byte nonce and a 16-byte tag (ph-document-store.h) */
#define SEALED_CHUNK (12 + CHUNK + 16)

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

/* A file kept as it is read (the bank's result file, one download): reads of 1..7919 bytes
 * and skips (which must read too, or the kept copy would lose bytes) hand on every byte, and
 * the kept file, sealed, reads back equal to them. */
static void
test_input_tee(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GByteArray) content = make_content(2 * CHUNK + 4321);
	g_autoptr(GInputStream) source = g_memory_input_stream_new_from_data(
	        g_memdup2(content->data, content->len), content->len, g_free);
	g_autoptr(PhDocumentWriter) writer =
	        ph_document_writer_new(fixture->dir, "result", fixture->keys, &error);
	g_assert_no_error(error);
	g_autoptr(GInputStream) tee = ph_document_writer_input_tee_new(writer, source);
	g_autofree guint8 *buffer = g_malloc(7919);
	gsize at = 0, step = 1;
	for (guint turn = 0;; turn++) {
		/* every third turn skips instead of reading */
		gssize n = turn % 3 == 2 ? g_input_stream_skip(tee, step, NULL, &error)
		                         : g_input_stream_read(tee, buffer, step, NULL, &error);
		g_assert_no_error(error);
		if (n == 0)
			break;
		if (turn % 3 != 2)
			g_assert_cmpmem(buffer, n, content->data + at, n);
		at += (gsize)n;
		step = step * 7 % 7919 + 1;
	}
	g_assert_cmpuint(at, ==, content->len);
	g_assert_true(g_input_stream_close(tee, NULL, &error));
	g_assert_no_error(error);
	g_assert_true(ph_document_writer_commit(writer, &error));
	g_assert_no_error(error);
	g_autofree gchar *sha256 = ph_digest_hex(PH_DIGEST_SHA256, content->data, content->len);
	g_assert_cmpstr(ph_document_writer_get_sha256(writer), ==, sha256);
	g_autofree gchar *path =
	        g_build_filename(fixture->dir, ph_document_writer_get_file_name(writer), NULL);
	g_autoptr(GByteArray) back = read_back(fixture, path, sha256, &error);
	g_assert_no_error(error);
	g_assert_cmpmem(back->data, back->len, content->data, content->len);
}

/* The same bytes kept again (a retry after kill -9) make one file, written anew, and leave no
 * .part. */
static void
test_kept_twice_one_file(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GByteArray) content = make_content(CHUNK + 17);
	g_autofree gchar *first = keep(fixture, content, fixture->keys);
	/* the first copy is a day old (an orphan by then, if its row never committed) */
	const gchar *path = first;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	struct utimbuf day_old = {(time_t)(now - 86400), (time_t)(now - 86400)};
	g_assert_cmpint(g_utime(path, &day_old), ==, 0);
	g_autofree gchar *second = keep(fixture, content, fixture->keys);
	g_assert_cmpstr(first, ==, second);
	/* kept again, it is written now: `documents orphans` leaves it alone */
	GStatBuf st;
	g_assert_cmpint(g_stat(path, &st), ==, 0);
	g_assert_cmpint((gint64)st.st_mtime, >=, now - 60);
	g_autoptr(GDir) dir = g_dir_open(fixture->dir, 0, NULL);
	guint files = 0;
	const gchar *name;
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_assert_false(g_str_has_suffix(name, ".part"));
		files += !g_str_equal(name, "field.keys");
	}
	g_assert_cmpuint(files, ==, 1);
}

/* Sets @path's time @hours_ago hours back. */
static void
set_age(const gchar *path, gint hours_ago)
{
	gint64 when = g_get_real_time() / G_USEC_PER_SEC - (gint64)hours_ago * 3600;
	struct utimbuf times = {(time_t)when, (time_t)when};
	g_assert_cmpint(g_utime(path, &times), ==, 0);
}

static void
assert_reads_back(Fixture *fixture, const gchar *path, GByteArray *content)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *sha256 = ph_digest_hex(PH_DIGEST_SHA256, content->data, content->len);
	g_autoptr(GByteArray) back = read_back(fixture, path, sha256, &error);
	g_assert_no_error(error);
	g_assert_cmpmem(back->data, back->len, content->data, content->len);
}

/* An orphan's removal (ph-document-orphan.c) sets the file aside and judges its time there:
 * one a keep has written since the caller looked (young now) is put back as it was; one last
 * written before the cutoff goes; one already gone is no error. Nothing stays set aside. */
static void
test_orphan_removal(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GByteArray) content = make_content(5000);
	g_autofree gchar *path = keep(fixture, content, fixture->keys);
	g_autofree gchar *name = g_path_get_basename(path);
	g_autofree gchar *aside = g_strconcat(path, PH_DOCUMENT_ORPHAN_ASIDE, NULL);
	gint64 cutoff = g_get_real_time() - (gint64)3600 * G_USEC_PER_SEC;
	gboolean removed = TRUE;
	g_assert_true(ph_document_orphan_remove(fixture->dir, name, cutoff, &removed, &error));
	g_assert_no_error(error);
	g_assert_false(removed);
	assert_reads_back(fixture, path, content);
	g_assert_false(g_file_test(aside, G_FILE_TEST_EXISTS));

	set_age(path, 2);
	g_assert_true(ph_document_orphan_remove(fixture->dir, name, cutoff, &removed, &error));
	g_assert_true(removed);
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(aside, G_FILE_TEST_EXISTS));
	g_assert_true(ph_document_orphan_remove(fixture->dir, name, cutoff, &removed, &error));
	g_assert_no_error(error);
	g_assert_false(removed);
}

/* A keep of the same bytes while a removal has the old copy set aside finds no file to mark
 * and writes a new one; settling the old copy then removes it for its age and leaves the new
 * one. A young copy set aside while a new file is there is dropped, the new one stays. */
static void
test_orphan_keep_while_aside(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GByteArray) content = make_content(5000);
	g_autofree gchar *path = keep(fixture, content, fixture->keys);
	g_autofree gchar *name = g_path_get_basename(path);
	g_autofree gchar *aside = g_strconcat(path, PH_DOCUMENT_ORPHAN_ASIDE, NULL);
	gint64 cutoff = g_get_real_time() - (gint64)3600 * G_USEC_PER_SEC;
	set_age(path, 48);
	for (guint young = 0; young < 2; young++) {
		g_assert_cmpint(g_rename(path, aside), ==, 0); /* the removal's first step */
		g_autofree gchar *again = keep(fixture, content, fixture->keys);
		g_assert_cmpstr(again, ==, path);
		gboolean removed = FALSE;
		g_assert_true(ph_document_orphan_settle(
		        fixture->dir, name, young ? G_MININT64 : cutoff, &removed, &error));
		g_assert_no_error(error);
		g_assert_cmpint(removed, ==, !young);
		g_assert_false(g_file_test(aside, G_FILE_TEST_EXISTS));
		assert_reads_back(fixture, path, content);
	}
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

/* Reads @input to its end in reads of 1..8191 bytes into @out; FALSE with @error on a failed
 * read, @out then holding what was handed on before it. */
static gboolean
drain(GInputStream *input, GByteArray *out, GError **error)
{
	guint8 buffer[8191];
	gsize step = 1;
	for (;;) {
		gssize got = g_input_stream_read(input, buffer, step, NULL, error);
		if (got < 0)
			return FALSE;
		if (got == 0)
			return TRUE;
		g_byte_array_append(out, buffer, (guint)got);
		step = step * 13 % sizeof buffer + 1;
	}
}

/* The pull stream (ph-document-stream.h) in reads of odd sizes, every size around the chunk
 * boundary, and none: the same bytes back, and the size the file's length implies. */
static void
test_stream_round_trip(Fixture *fixture, gconstpointer data)
{
	const gsize sizes[] = {0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 2 * CHUNK + 100};
	for (guint i = 0; i < G_N_ELEMENTS(sizes); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GByteArray) content = make_content(sizes[i]);
		g_autofree gchar *path = keep(fixture, content, fixture->keys);
		g_autoptr(GInputStream) input =
		        ph_document_stream_open(path, fixture->keys, TRUE, &error);
		g_assert_no_error(error);
		g_assert_cmpint(ph_document_stream_get_size(input), ==, (gint64)sizes[i]);
		g_autoptr(GByteArray) back = g_byte_array_new();
		g_assert_true(drain(input, back, &error));
		g_assert_no_error(error);
		g_assert_cmpmem(back->data, back->len, content->data, content->len);
		g_unlink(path);
	}
}

/* A changed byte in a chunk, the last chunk dropped (the one before is not marked final), a
 * chunk cut short: the read fails naming the file and chunk, after the bytes of the chunks
 * before only; a further read fails too. */
static void
test_stream_tampered(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GByteArray) content = make_content(2 * CHUNK + 100);
	const gsize last_chunk = 12 + 100 + 16;
	const struct {
		gsize cut;           /* bytes dropped from the end */
		gsize flip_from_end; /* the byte changed, counted from the end; 0: none */
		const gchar *expected;
		gsize handed_on; /* plaintext bytes before the failing chunk */
	} cases[] = {
	        {0, last_chunk + SEALED_CHUNK / 2, "chunk 1 does not authenticate", CHUNK},
	        {0, 1, "chunk 2 does not authenticate", 2 * CHUNK},
	        {last_chunk, 0, "chunk 1 does not authenticate", CHUNK},
	        {10, 0, "chunk 2 does not authenticate", 2 * CHUNK},
	        {last_chunk + SEALED_CHUNK + 5, 0, "chunk 0 does not authenticate", 0},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *path = keep(fixture, content, fixture->keys);
		g_autofree gchar *stored = NULL;
		gsize length = 0;
		g_assert_true(g_file_get_contents(path, &stored, &length, NULL));
		if (cases[i].flip_from_end > 0)
			stored[length - cases[i].flip_from_end] ^= 0x01;
		g_assert_true(
		        g_file_set_contents(path, stored, (gssize)(length - cases[i].cut), NULL));
		g_autoptr(GInputStream) input =
		        ph_document_stream_open(path, fixture->keys, TRUE, &error);
		g_assert_no_error(error);
		g_autoptr(GByteArray) back = g_byte_array_new();
		g_assert_false(drain(input, back, &error));
		g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
		g_test_message("%s", error->message);
		g_assert_nonnull(strstr(error->message, cases[i].expected));
		g_assert_nonnull(strstr(error->message, path));
		g_assert_cmpuint(back->len, ==, cases[i].handed_on);
		g_assert_cmpint(memcmp(back->data, content->data, back->len), ==, 0);
		g_clear_error(&error);
		guint8 byte;
		g_assert_cmpint(g_input_stream_read(input, &byte, 1, NULL, &error), ==, -1);
		g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
		g_unlink(path);
	}
}

/* A file cut inside its header, or not sealed at all, fails at the open naming it; a sealed
 * file without keys is a configuration error. */
static void
test_stream_bad_open(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GByteArray) content = make_content(1000);
	const struct {
		gsize keep; /* bytes kept from the start; 0: the whole file */
		gboolean keys;
		gint code;
	} cases[] = {
	        {20, TRUE, PH_ERROR_INVALID_INPUT}, /* magic (8) and length (4), envelope cut */
	        {5, TRUE, PH_ERROR_INVALID_INPUT},  /* no magic */
	        {0, FALSE, PH_ERROR_CONFIG},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *path = keep(fixture, content, fixture->keys);
		if (cases[i].keep > 0)
			g_assert_cmpint(truncate(path, (off_t)cases[i].keep), ==, 0);
		g_autoptr(GInputStream) input = ph_document_stream_open(
		        path, cases[i].keys ? fixture->keys : NULL, TRUE, &error);
		g_assert_null(input);
		g_assert_error(error, PH_ERROR, cases[i].code);
		g_assert_nonnull(strstr(error->message, path));
		g_unlink(path);
	}
}

/* Without a key file the spool writes the plaintext under its bare SHA-256 as before, and such
 * a file (spooled before sealing) is read back as it is, its size checked. */
static void
test_spool_plain(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GByteArray) content = make_content(CHUNK + 7);
	g_autoptr(GInputStream) source = g_memory_input_stream_new_from_data(
	        g_memdup2(content->data, content->len), content->len, g_free);
	g_autofree gchar *spool = g_build_filename(fixture->dir, "spool", NULL);
	g_autoptr(PhSpoolFile) file = ph_spool_write(NULL, spool, source, 0, "batch.xml", &error);
	g_assert_no_error(error);
	g_autofree gchar *sha256 = ph_digest_hex(PH_DIGEST_SHA256, content->data, content->len);
	g_assert_cmpstr(ph_spool_file_get_sha256(file), ==, sha256);
	g_autofree gchar *path = g_build_filename(spool, sha256, NULL);
	g_autofree gchar *stored = NULL;
	gsize stored_length = 0;
	g_assert_true(g_file_get_contents(path, &stored, &stored_length, NULL));
	g_assert_cmpuint(stored_length, ==, content->len);
	g_autoptr(GBytes) reference = ph_spool_file_get_reference(file);
	g_autoptr(GInputStream) input = ph_spool_open(NULL, spool, reference, &error);
	g_assert_no_error(error);
	g_autoptr(GByteArray) back = g_byte_array_new();
	g_assert_true(drain(input, back, &error));
	g_assert_no_error(error);
	g_assert_cmpmem(back->data, back->len, content->data, content->len);
	g_clear_object(&input);
	/* a file that is not the referenced size */
	g_assert_cmpint(truncate(path, 100), ==, 0);
	g_assert_null(ph_spool_open(NULL, spool, reference, &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
	g_clear_pointer(&file, ph_spool_file_free); /* not stored in an inbox: removed */
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	g_rmdir(spool);
}

/* @content spooled into @spool (no key file). */
static PhSpoolFile *
spool_bytes(const gchar *spool, GByteArray *content)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GInputStream) source = g_memory_input_stream_new_from_data(
	        g_memdup2(content->data, content->len), content->len, g_free);
	PhSpoolFile *file = ph_spool_write(NULL, spool, source, 0, "batch.xml", &error);
	g_assert_no_error(error);
	return file;
}

/* The same bytes arrive twice at once (a partner's retry while its first request is still in
 * flight): the first spools the file, the second finds it, puts its own in its place and
 * will name it in its inbox row; then the first fails to store its own row and lets its file
 * go. The file stays: it is not the one the first wrote (no clock involved). Alone, a file
 * not stored in the inbox is removed, and nothing is left set aside. */
static void
test_spool_same_bytes_twice(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GByteArray) content = make_content(5000);
	g_autofree gchar *spool = g_build_filename(fixture->dir, "spool", NULL);
	g_autofree gchar *sha256 = ph_digest_hex(PH_DIGEST_SHA256, content->data, content->len);
	g_autofree gchar *path = g_build_filename(spool, sha256, NULL);
	g_autofree gchar *aside = g_strconcat(path, ".sweep", NULL);
	PhSpoolFile *first = spool_bytes(spool, content);
	PhSpoolFile *second = spool_bytes(spool, content);
	ph_spool_file_free(first);
	g_assert_true(g_file_test(path, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(aside, G_FILE_TEST_EXISTS));
	ph_spool_file_free(second); /* found there, so never its own to remove */
	g_assert_true(g_file_test(path, G_FILE_TEST_EXISTS));
	g_assert_cmpint(g_unlink(path), ==, 0);

	PhSpoolFile *alone = spool_bytes(spool, content);
	ph_spool_file_free(alone);
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(aside, G_FILE_TEST_EXISTS));
	g_rmdir(spool);
}

/* The key file of the fixture, with @key_id's key taken out (mode kept at 0600). */
static void
drop_key(Fixture *fixture, const gchar *key_id)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = g_build_filename(fixture->dir, "field.keys", NULL);
	g_autoptr(GKeyFile) file = g_key_file_new();
	g_assert_true(g_key_file_load_from_file(file, path, G_KEY_FILE_NONE, &error));
	g_autofree gchar *name = g_strconcat("key.", key_id, NULL);
	g_assert_true(g_key_file_remove_key(file, "field-keys", name, &error));
	g_assert_true(g_key_file_save_to_file(file, path, &error));
	g_assert_no_error(error);
	g_assert_cmpint(g_chmod(path, 0600), ==, 0);
}

/* Loads the fixture's key file again as the fixture's keys. */
static void
reload_keys(Fixture *fixture)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = g_build_filename(fixture->dir, "field.keys", NULL);
	ph_field_keys_free(fixture->keys);
	fixture->keys = ph_field_keys_load(path, &error);
	g_assert_no_error(error);
}

/* keys rotate's re-wrap: a file sealed under k1 is re-wrapped under k2 and then reads back
 * byte for byte with k1 gone from the key file; a second re-wrap leaves the file as it is. */
static void
test_rewrap(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GByteArray) content = make_content(5 * CHUNK / 2);
	g_autofree gchar *sha256 = ph_digest_hex(PH_DIGEST_SHA256, content->data, content->len);
	g_autofree gchar *path = keep(fixture, content, fixture->keys);
	g_autofree gchar *keys_path = g_build_filename(fixture->dir, "field.keys", NULL);
	g_assert_true(ph_field_keys_add(keys_path, "k2", NULL, &error));
	reload_keys(fixture);
	g_autofree gchar *key_id = NULL;
	g_assert_true(ph_document_rewrap(path, fixture->keys, &key_id, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(key_id, ==, "k2");
	drop_key(fixture, "k1");
	reload_keys(fixture);
	g_autoptr(GByteArray) back = read_back(fixture, path, sha256, &error);
	g_assert_no_error(error);
	g_assert_cmpmem(back->data, back->len, content->data, content->len);
	g_autofree gchar *before = NULL;
	gsize before_length = 0;
	g_assert_true(g_file_get_contents(path, &before, &before_length, NULL));
	g_autofree gchar *again = NULL;
	g_assert_true(ph_document_rewrap(path, fixture->keys, &again, &error));
	g_assert_cmpstr(again, ==, "k2");
	g_autofree gchar *after = NULL;
	gsize after_length = 0;
	g_assert_true(g_file_get_contents(path, &after, &after_length, NULL));
	g_assert_cmpmem(after, after_length, before, before_length);
	/* not a sealed kept file: refused, nothing written beside it */
	g_autofree gchar *plain = g_build_filename(fixture->dir, "plain.bin", NULL);
	g_assert_true(g_file_set_contents(plain, "D00000001 not sealed", -1, NULL));
	g_assert_false(ph_document_rewrap(plain, fixture->keys, NULL, &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
	g_autofree gchar *part = g_strconcat(plain, ".rewrap.part", NULL);
	g_assert_false(g_file_test(part, G_FILE_TEST_EXISTS));
}

/* The spool's rotation: sealed files of a folder under an older key are counted, re-wrapped,
 * then none is left and each reads back with the older key removed; other files are left. */
static void
test_rotate_folder(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GByteArray) first = make_content(CHUNK + 10);
	g_autoptr(GByteArray) second = make_content(100);
	g_autofree gchar *first_path = keep(fixture, first, fixture->keys);
	g_autofree gchar *second_path = keep(fixture, second, fixture->keys);
	g_autofree gchar *keys_path = g_build_filename(fixture->dir, "field.keys", NULL);
	g_assert_true(ph_field_keys_add(keys_path, "k2", NULL, &error));
	reload_keys(fixture);
	gint64 count = -1;
	g_assert_true(ph_document_rotate_folder(fixture->dir, fixture->keys, TRUE, &count, &error));
	g_assert_no_error(error);
	g_assert_cmpint(count, ==, 2);
	g_assert_true(
	        ph_document_rotate_folder(fixture->dir, fixture->keys, FALSE, &count, &error));
	g_assert_cmpint(count, ==, 2);
	g_assert_true(ph_document_rotate_folder(fixture->dir, fixture->keys, TRUE, &count, &error));
	g_assert_cmpint(count, ==, 0);
	drop_key(fixture, "k1");
	reload_keys(fixture);
	GByteArray *contents[] = {first, second};
	const gchar *paths[] = {first_path, second_path};
	for (guint i = 0; i < G_N_ELEMENTS(paths); i++) {
		g_autofree gchar *sha256 =
		        ph_digest_hex(PH_DIGEST_SHA256, contents[i]->data, contents[i]->len);
		g_autoptr(GByteArray) back = read_back(fixture, paths[i], sha256, &error);
		g_assert_no_error(error);
		g_assert_cmpmem(back->data, back->len, contents[i]->data, contents[i]->len);
	}
	/* a folder that is not there holds nothing to rotate */
	g_autofree gchar *missing = g_build_filename(fixture->dir, "no-such-folder", NULL);
	g_assert_true(ph_document_rotate_folder(missing, fixture->keys, FALSE, &count, &error));
	g_assert_cmpint(count, ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/document-store/round-trip", Fixture, NULL, fixture_set_up, test_round_trip,
	           fixture_tear_down);
	g_test_add("/document-store/input-tee", Fixture, NULL, fixture_set_up, test_input_tee,
	           fixture_tear_down);
	g_test_add("/document-store/kept-twice-one-file", Fixture, NULL, fixture_set_up,
	           test_kept_twice_one_file, fixture_tear_down);
	g_test_add("/document-store/orphan-removal", Fixture, NULL, fixture_set_up,
	           test_orphan_removal, fixture_tear_down);
	g_test_add("/document-store/orphan-keep-while-aside", Fixture, NULL, fixture_set_up,
	           test_orphan_keep_while_aside, fixture_tear_down);
	g_test_add("/document-store/corruption-detected", Fixture, NULL, fixture_set_up,
	           test_corruption_detected, fixture_tear_down);
	g_test_add("/document-store/sealed-needs-keys", Fixture, NULL, fixture_set_up,
	           test_sealed_needs_keys, fixture_tear_down);
	g_test_add("/document-store/stream-round-trip", Fixture, NULL, fixture_set_up,
	           test_stream_round_trip, fixture_tear_down);
	g_test_add("/document-store/stream-tampered", Fixture, NULL, fixture_set_up,
	           test_stream_tampered, fixture_tear_down);
	g_test_add("/document-store/stream-bad-open", Fixture, NULL, fixture_set_up,
	           test_stream_bad_open, fixture_tear_down);
	g_test_add("/document-store/rewrap", Fixture, NULL, fixture_set_up, test_rewrap,
	           fixture_tear_down);
	g_test_add("/document-store/rotate-folder", Fixture, NULL, fixture_set_up,
	           test_rotate_folder, fixture_tear_down);
	g_test_add("/document-store/spool-same-bytes-twice", Fixture, NULL, fixture_set_up,
	           test_spool_same_bytes_twice, fixture_tear_down);
	g_test_add("/document-store/spool-plain", Fixture, NULL, fixture_set_up, test_spool_plain,
	           fixture_tear_down);
	return g_test_run();
}
