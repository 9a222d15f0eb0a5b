/* The host's SFTP transport (hub/ph-sftp.c) against a real OpenSSH sshd: upload through
 * .part and rename, no overwrite, listing, streamed and whole downloads, host key pinning
 * (changed and unknown keys refused), a server that is down. Suite integration. */
#include <glib/gstdio.h>
#include <string.h>

#include "pension-hub/ph-digest.h"
#include "pension-hub/ph-sftp.h"
#include "ph-test-sshd.h"

static PhTestSshd *sshd;

static PhSftpConfig
test_config(void)
{
	PhSftpConfig config = {
	        .host = "127.0.0.1",
	        .port = sshd->port,
	        .user = sshd->user,
	        .private_key_path = sshd->client_key,
	        .known_hosts_path = sshd->known_hosts,
	        .timeout_ms = 5000,
	};
	return config;
}

static PhSftp *
test_connect(void)
{
	g_autoptr(GError) error = NULL;
	PhSftpConfig config = test_config();
	PhSftp *sftp = ph_sftp_connect(&config, &error);
	g_assert_no_error(error);
	g_assert_nonnull(sftp);
	return sftp;
}

static gchar *
test_read_local(const gchar *relative)
{
	g_autofree gchar *path = ph_test_sshd_path(sshd, relative, FALSE);
	gchar *text = NULL;
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return NULL;
	return text;
}

/* A file written through the stream arrives whole under its final name, the .part is
 * gone, and a second upload under the same name is refused without touching the first.
 * The digest taken by the upload's writer thread is that of the bytes written. */
static void
test_upload_and_no_overwrite(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhSftp) sftp = test_connect();
	g_autofree gchar *folder = ph_test_sshd_path(sshd, "up", TRUE);
	g_autoptr(PhDigest) digest = ph_digest_new(PH_DIGEST_SM3);
	g_autoptr(PhSftpUpload) upload = ph_sftp_upload_new(sftp, "up", "A.txt");
	ph_sftp_upload_set_digest(upload, digest);
	GOutputStream *stream = ph_sftp_upload_get_stream(upload);
	/* 3 MB in 1000-byte writes: more than the 240 KB buffer many times over */
	g_autoptr(GString) expected = g_string_new(NULL);
	for (guint i = 0; i < 3000; i++) {
		gchar line[1000];
		memset(line, 'a' + (gchar)(i % 26), sizeof line - 1);
		line[sizeof line - 1] = '\n';
		g_string_append_len(expected, line, sizeof line);
		g_output_stream_write_all(stream, line, sizeof line, NULL, NULL, &error);
		g_assert_no_error(error);
	}
	g_assert_true(ph_sftp_upload_commit(upload, &error));
	g_assert_no_error(error);
	g_autofree gchar *got = test_read_local("up/A.txt");
	g_assert_cmpstr(got, ==, expected->str);
	/* the reference: SM3 of the expected bytes in one call */
	g_autofree gchar *hex = ph_digest_hex(PH_DIGEST_SM3, expected->str, expected->len);
	g_assert_cmpstr(ph_digest_get_hex(digest), ==, hex);
	g_autofree gchar *part = test_read_local("up/A.txt.part");
	g_assert_null(part);

	g_autoptr(GBytes) other = g_bytes_new_static("other", 5);
	g_assert_false(ph_sftp_put_bytes(sftp, "up", "A.txt", other, &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_CONFLICT);
	g_autofree gchar *again = test_read_local("up/A.txt");
	g_assert_cmpstr(again, ==, expected->str);
	g_autofree gchar *part2 = test_read_local("up/A.txt.part");
	g_assert_null(part2);
}

/* An upload dropped before commit leaves neither the file nor its .part. */
static void
test_upload_abandoned(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhSftp) sftp = test_connect();
	g_autofree gchar *folder = ph_test_sshd_path(sshd, "drop", TRUE);
	PhSftpUpload *upload = ph_sftp_upload_new(sftp, "drop", "B.txt");
	g_output_stream_write_all(ph_sftp_upload_get_stream(upload), "half", 4, NULL, NULL, &error);
	g_assert_no_error(error);
	ph_sftp_upload_free(upload);
	g_autoptr(GPtrArray) entries = ph_sftp_list(sftp, "drop", &error);
	g_assert_no_error(error);
	g_assert_cmpuint(entries->len, ==, 0);
}

/* Listing gives regular files only, sorted, with sizes; reading gives the bytes back,
 * whole or streamed through a digest; rename never overwrites. */
static void
test_list_read_rename(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhSftp) sftp = test_connect();
	g_autofree gchar *folder = ph_test_sshd_path(sshd, "box", TRUE);
	g_autofree gchar *sub = ph_test_sshd_path(sshd, "box/processed", TRUE);
	g_autofree gchar *b = g_build_filename(folder, "b.txt", NULL);
	g_autofree gchar *a = g_build_filename(folder, "a.txt", NULL);
	g_assert_true(g_file_set_contents(b, "bravo\n", -1, NULL));
	g_assert_true(g_file_set_contents(a, "alpha\n", -1, NULL));

	g_autoptr(GPtrArray) entries = ph_sftp_list(sftp, "box", &error);
	g_assert_no_error(error);
	g_assert_cmpuint(entries->len, ==, 2); /* processed/ is a folder: not listed */
	PhSftpEntry *first = g_ptr_array_index(entries, 0);
	g_assert_cmpstr(first->name, ==, "a.txt");
	g_assert_cmpuint(first->size, ==, 6);

	g_autoptr(GBytes) bytes = ph_sftp_get_bytes(sftp, "box/b.txt", 100, &error);
	g_assert_no_error(error);
	g_assert_cmpmem(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes), "bravo\n", 6);
	g_assert_null(ph_sftp_get_bytes(sftp, "box/b.txt", 5, &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
	g_clear_error(&error);
	g_assert_null(ph_sftp_get_bytes(sftp, "box/none.txt", 5, &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_NOT_FOUND);
	g_clear_error(&error);

	g_autoptr(PhDigest) digest = ph_digest_new(PH_DIGEST_SHA256);
	g_autoptr(GInputStream) raw = ph_sftp_open_read(sftp, "box/a.txt", &error);
	g_assert_no_error(error);
	g_autoptr(GInputStream) input = ph_digest_input_stream_new(raw, digest);
	gchar buffer[64];
	gsize n = 0;
	g_input_stream_read_all(input, buffer, sizeof buffer, &n, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(n, ==, 6);
	/* printf 'alpha\n' | sha256sum */
	g_assert_cmpstr(ph_digest_get_hex(digest), ==,
	                "b6a98d9ce9a2d9149288fa3df42d377c3e42737afdcdaf714e33c0a100b51060");

	g_assert_true(ph_sftp_rename(sftp, "box/a.txt", "box/processed/a.txt", &error));
	g_assert_no_error(error);
	g_assert_false(ph_sftp_rename(sftp, "box/b.txt", "box/processed/a.txt", &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_CONFLICT);
}

/* A host key other than the pinned one, and a host with no pin at all, are refused. */
static void
test_host_key_pinning(void)
{
	g_autoptr(GError) error = NULL;
	PhSftpConfig config = test_config();
	g_autofree gchar *empty = g_build_filename(sshd->dir, "known_hosts.empty", NULL);
	g_assert_true(g_file_set_contents(empty, "", 0, NULL));
	config.known_hosts_path = empty;
	g_test_expect_message("ph-hub", G_LOG_LEVEL_WARNING, "ALERT sftp *not pinned*");
	g_assert_null(ph_sftp_connect(&config, &error));
	g_test_assert_expected_messages();
	g_assert_error(error, PH_ERROR, PH_ERROR_FORBIDDEN);
	g_clear_error(&error);

	ph_test_sshd_use_second_host_key(sshd, TRUE);
	config = test_config();
	g_test_expect_message("ph-hub", G_LOG_LEVEL_WARNING, "ALERT sftp *CHANGED*");
	g_assert_null(ph_sftp_connect(&config, &error));
	g_test_assert_expected_messages();
	g_assert_error(error, PH_ERROR, PH_ERROR_FORBIDDEN);
	g_clear_error(&error);

	/* back to the pinned key: accepted again */
	ph_test_sshd_use_second_host_key(sshd, FALSE);
	g_autoptr(PhSftp) sftp = test_connect();
}

/* A server that is down is a transient failure, and a wrong client key is refused. */
static void
test_down_and_wrong_key(void)
{
	g_autoptr(GError) error = NULL;
	PhSftpConfig config = test_config();
	ph_test_sshd_stop(sshd);
	g_assert_null(ph_sftp_connect(&config, &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_TRANSIENT);
	g_clear_error(&error);
	ph_test_sshd_start(sshd);
	g_autoptr(PhSftp) sftp = test_connect();

	g_autofree gchar *host_key = g_build_filename(sshd->dir, "host_ed25519", NULL);
	config.private_key_path = host_key; /* a key authorized_keys does not list */
	g_assert_null(ph_sftp_connect(&config, &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_FORBIDDEN);
}

/* Writes @size bytes of a repeating pattern to @upload (stopping at the first failed write)
 * and commits; the bytes meant are in @expected when it is not NULL. */
static gboolean
test_write_and_commit(PhSftpUpload *upload, gsize size, GString *expected, GError **error)
{
	GOutputStream *stream = ph_sftp_upload_get_stream(upload);
	gchar block[4096];
	for (gsize done = 0; done < size; done += sizeof block) {
		memset(block, 'A' + (gchar)(done / sizeof block % 26), sizeof block);
		if (expected != NULL)
			g_string_append_len(expected, block, sizeof block);
		if (!g_output_stream_write_all(stream, block, sizeof block, NULL, NULL, NULL))
			break; /* the commit names the cause */
	}
	return ph_sftp_upload_commit(upload, error);
}

/* 20 MB: more than the upload queues while the session is still being set up (~15 MB), so
 * that the producer waits for the writer thread at least once. */
#define TEST_WHILE_CONNECTING_BYTES (20u << 20)

/* An upload begun on a session that is still connecting arrives whole, digested, and the
 * session is then usable as any other. */
static void
test_upload_while_connecting(void)
{
	g_autoptr(GError) error = NULL;
	PhSftpConfig config = test_config();
	g_autofree gchar *folder = ph_test_sshd_path(sshd, "early", TRUE);
	g_autoptr(PhSftp) sftp = ph_sftp_connect_start(&config);
	g_autoptr(PhDigest) digest = ph_digest_new(PH_DIGEST_SM3);
	g_autoptr(PhSftpUpload) upload = ph_sftp_upload_new(sftp, "early", "C.txt");
	ph_sftp_upload_set_digest(upload, digest);
	g_autoptr(GString) expected = g_string_new(NULL);
	gboolean committed =
	        test_write_and_commit(upload, TEST_WHILE_CONNECTING_BYTES, expected, &error);
	g_assert_no_error(error);
	g_assert_true(committed);
	g_autofree gchar *path = ph_test_sshd_path(sshd, "early/C.txt", FALSE);
	g_autofree gchar *got = NULL;
	gsize length = 0;
	g_assert_true(g_file_get_contents(path, &got, &length, NULL));
	g_assert_cmpuint(length, ==, expected->len);
	g_assert_true(memcmp(got, expected->str, length) == 0);
	g_autofree gchar *hex = ph_digest_hex(PH_DIGEST_SM3, expected->str, expected->len);
	g_assert_cmpstr(ph_digest_get_hex(digest), ==, hex);
	g_autoptr(GPtrArray) entries = ph_sftp_list(sftp, "early", &error);
	g_assert_no_error(error);
	g_assert_cmpuint(entries->len, ==, 1);
}

/* A session that fails to connect in the background fails every use with the error
 * ph_sftp_connect() gives, the upload's commit included, without the producer hanging
 * on a full queue; nothing is left on the server. */
static void
test_connect_start_failures(void)
{
	g_autoptr(GError) error = NULL;
	PhSftpConfig config = test_config();
	g_autofree gchar *folder = ph_test_sshd_path(sshd, "late", TRUE);
	ph_test_sshd_stop(sshd);
	PhSftp *sftp = ph_sftp_connect_start(&config);
	PhSftpUpload *upload = ph_sftp_upload_new(sftp, "late", "D.txt");
	g_assert_false(test_write_and_commit(upload, TEST_WHILE_CONNECTING_BYTES, NULL, &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_TRANSIENT);
	g_assert_nonnull(strstr(error->message, "cannot connect"));
	g_autofree gchar *message = g_strdup(error->message);
	g_clear_error(&error);
	ph_sftp_upload_free(upload);
	g_assert_null(ph_sftp_list(sftp, "late", &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_TRANSIENT);
	g_assert_cmpstr(error->message, ==, message);
	g_clear_error(&error);
	ph_sftp_free(sftp);
	ph_test_sshd_start(sshd);

	ph_test_sshd_use_second_host_key(sshd, TRUE);
	g_test_expect_message("ph-hub", G_LOG_LEVEL_WARNING, "ALERT sftp *CHANGED*");
	sftp = ph_sftp_connect_start(&config);
	upload = ph_sftp_upload_new(sftp, "late", "D.txt");
	g_assert_false(test_write_and_commit(upload, TEST_WHILE_CONNECTING_BYTES, NULL, &error));
	g_test_assert_expected_messages();
	g_assert_error(error, PH_ERROR, PH_ERROR_FORBIDDEN);
	g_clear_error(&error);
	ph_sftp_upload_free(upload);
	ph_sftp_free(sftp);
	ph_test_sshd_use_second_host_key(sshd, FALSE);
	g_autoptr(PhSftp) pinned = test_connect();
	g_autoptr(GPtrArray) entries = ph_sftp_list(pinned, "late", &error);
	g_assert_no_error(error);
	g_assert_cmpuint(entries->len, ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	sshd = ph_test_sshd_new();
	g_test_add_func("/sftp/upload-no-overwrite", test_upload_and_no_overwrite);
	g_test_add_func("/sftp/upload-abandoned", test_upload_abandoned);
	g_test_add_func("/sftp/list-read-rename", test_list_read_rename);
	g_test_add_func("/sftp/host-key-pinning", test_host_key_pinning);
	g_test_add_func("/sftp/down-and-wrong-key", test_down_and_wrong_key);
	g_test_add_func("/sftp/upload-while-connecting", test_upload_while_connecting);
	g_test_add_func("/sftp/connect-start-failures", test_connect_start_failures);
	gint rc = g_test_run();
	ph_test_sshd_free(sshd);
	return rc;
}
