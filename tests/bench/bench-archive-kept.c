/* Benchmark of a payout batch's archival package with a kept payout file (issue 9 §2): a
 * 150 MB file kept sealed in the document store, then built into a PH-ARCHIVE-1 package
 * (two streamed passes: SM3, size and SHA-256 check, then into the container) and verified
 * offline from the mapped package, against GNU tar packing the same plaintext into an archive
 * in the same run; and the peak RSS, which must stay far below the file's size (the file is
 * streamed, never held). Prints figures; not a test. */
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "pension-hub/ph-digest.h"
#include "ph-archive-package.h"
#include "ph-document-store.h"
#include "ph-test-hub.h"

static gdouble
bench_seconds_since(gint64 start)
{
	return (gdouble)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
}

/* @megabytes of payout lines (each with an ID number and an account) into @writer, and the
 * same plaintext into @plain for the reference. */
static void
bench_fill(PhDocumentWriter *writer, FILE *plain, guint megabytes)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) chunk = g_string_new(NULL);
	guint64 total = (guint64)megabytes * 1000 * 1000;
	for (guint line = 1; (guint64)ph_document_writer_get_size(writer) < total;) {
		g_string_truncate(chunk, 0);
		for (guint i = 0; i < 4096; i++, line++)
			g_string_append_printf(chunk,
			                       "D%08u110105196410150037张三      6222020200%09u "
			                       "000000350000P0012026年11月养老金\r\n",
			                       line, line);
		g_assert_true(ph_document_writer_write(writer, chunk->str, chunk->len, &error));
		g_assert_no_error(error);
		g_assert_cmpuint(fwrite(chunk->str, 1, chunk->len, plain), ==, chunk->len);
	}
	g_assert_true(ph_document_writer_commit(writer, &error));
	g_assert_no_error(error);
}

static gdouble
bench_build(const gchar *dir, PhArchiveKept *kept, PhFieldKeys *keys, PhXmlSigner *signer,
            GBytes **package)
{
	g_autoptr(GError) error = NULL;
	const gchar *event_text = "{\"event_id\": 1, \"type\": \"payout_due\"}\n";
	g_autoptr(GBytes) event = g_bytes_new_static(event_text, strlen(event_text));
	g_autoptr(GBytes) empty = g_bytes_new(NULL, 0);
	const PhArchiveDocument documents[] = {
	        {"event-1.json", "generated", "AAE002", event},
	        {"outbound-bank-PAYOUT_330100000001_202611_0000000001.txt", "outbound", "AAE002",
	         empty},
	};
	PhArchiveKept *const kept_of[] = {NULL, kept};
	const PhArchiveCase archive_case = {
	        "payout", "payout_due:2026-11#1", "2026-11-27T09:00:00.000Z", 0, NULL,
	        NULL,     "330100000001"};
	gint64 start = g_get_monotonic_time();
	*package = ph_archive_package_build_kept(&archive_case, documents, kept_of, 2, keys, dir,
	                                         signer, &error);
	g_assert_no_error(error);
	return bench_seconds_since(start);
}

static gdouble
bench_verify(GBytes *package, const gchar *ca)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhXmlVerifier) verifier = ph_xml_verifier_new(ca, &error);
	g_assert_no_error(error);
	PhArchiveCheck check = {0};
	gint64 start = g_get_monotonic_time();
	g_assert_true(ph_archive_package_verify(package, verifier, &check, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(check.documents, ==, 2);
	ph_archive_check_clear(&check);
	return bench_seconds_since(start);
}

static gdouble
bench_tar(const gchar *dir, const gchar *plain_name)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *out = g_build_filename(dir, "reference.tar", NULL);
	const gchar *argv[] = {"tar", "-cf", out, "-C", dir, plain_name, NULL};
	gint status = 0;
	gint64 start = g_get_monotonic_time();
	g_assert_true(g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
	                           NULL, NULL, &status, &error));
	g_assert_no_error(error);
	gdouble seconds = bench_seconds_since(start);
	g_assert_true(g_spawn_check_wait_status(status, NULL));
	g_unlink(out);
	return seconds;
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	guint megabytes = argc > 1 ? (guint)g_ascii_strtoull(argv[1], NULL, 10) : 150;
	g_test_init(&argc, &argv, NULL);
	const gchar *pki = g_getenv("PH_PKI");
	g_autofree gchar *pki_dir =
	        pki != NULL ? g_strdup(pki)
	                    : g_build_filename(g_getenv("PH_SOURCE_DIR"), "var", "pki", NULL);
	g_autofree gchar *key = g_build_filename(pki_dir, "hub.key", NULL);
	g_autofree gchar *certificate = g_build_filename(pki_dir, "hub.crt", NULL);
	g_autofree gchar *ca = g_build_filename(pki_dir, "ca.crt", NULL);
	g_autoptr(PhXmlSigner) signer = ph_xml_signer_new(key, certificate, &error);
	g_assert_no_error(error);
	/* on disk beside the build, not in a tmpfs: the fsyncs and page cache are the real ones */
	g_autofree gchar *base =
	        g_build_filename(g_getenv("PH_BUILD_DIR"), "bench-archive-kept", NULL);
	g_assert_cmpint(g_mkdir_with_parents(base, 0700), ==, 0);
	g_autofree gchar *dir = g_build_filename(base, "XXXXXX", NULL);
	g_assert_nonnull(g_mkdtemp(dir));
	g_autofree gchar *key_path = g_build_filename(dir, "field.keys", NULL);
	g_assert_true(ph_field_keys_add(key_path, "k1", NULL, &error));
	g_autoptr(PhFieldKeys) keys = ph_field_keys_load(key_path, &error);
	g_assert_no_error(error);

	g_autofree gchar *plain_path = g_build_filename(dir, "plain.txt", NULL);
	FILE *plain = fopen(plain_path, "wb");
	g_assert_nonnull(plain);
	g_autoptr(PhDocumentWriter) writer = ph_document_writer_new(dir, "payout", keys, &error);
	g_assert_no_error(error);
	bench_fill(writer, plain, megabytes);
	fclose(plain);
	g_autoptr(PhArchiveKept) kept = g_new0(PhArchiveKept, 1);
	kept->path = g_build_filename(dir, ph_document_writer_get_file_name(writer), NULL);
	kept->sha256 = g_strdup(ph_document_writer_get_sha256(writer));
	guint64 size = ph_document_writer_get_size(writer);
	gint64 rss_before = ph_test_proc_kib(0, "VmHWM");

	/* best of three, interleaved: the machine is shared */
	gdouble build = G_MAXDOUBLE, verify = G_MAXDOUBLE, reference = G_MAXDOUBLE;
	gsize package_size = 0;
	gint64 rss_built = 0;
	for (guint run = 0; run < 3; run++) {
		g_autoptr(GBytes) package = NULL;
		gdouble seconds = bench_build(dir, kept, keys, signer, &package);
		build = MIN(build, seconds);
		package_size = g_bytes_get_size(package);
		/* before the verify reads the mapped package (its pages count as resident) */
		if (run == 0)
			rss_built = ph_test_proc_kib(0, "VmHWM");
		seconds = bench_verify(package, ca);
		verify = MIN(verify, seconds);
		seconds = bench_tar(dir, "plain.txt");
		reference = MIN(reference, seconds);
	}
	g_print("archival package of a payout batch with its kept payout file, %.1f MB sealed, "
	        "best of 3\n",
	        (gdouble)size / 1e6);
	g_print("  ours: build (2 streamed passes: open, SM3, SHA-256 check; into the ustar)  "
	        "%6.2f s\n",
	        build);
	g_print("  ours: verify offline (mapped: SHA-256 and SM3 of every member, signature) "
	        "%6.2f s\n",
	        verify);
	g_print("  reference: GNU tar -cf of the same plaintext                               "
	        "%6.2f s\n",
	        reference);
	g_print("  ratio build / reference: %.2f; package %.1f MB\n", build / reference,
	        (gdouble)package_size / 1e6);
	g_print("  peak RSS: before building %" G_GINT64_FORMAT
	        " kB, after building %" G_GINT64_FORMAT " kB (the file is %" G_GUINT64_FORMAT
	        " kB); after verifying %" G_GINT64_FORMAT
	        " kB (the mapped package's file pages, read), anonymous now %" G_GINT64_FORMAT
	        " kB\n",
	        rss_before, rss_built, size / 1024, ph_test_proc_kib(0, "VmHWM"),
	        ph_test_proc_kib(0, "RssAnon"));
	ph_test_remove_tree(dir); /* the run's files */
	return 0;
}
