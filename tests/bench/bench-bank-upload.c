/* Benchmark of the bank payout upload (issue 5 §8): 1,000,000 payout records written through
 * the PH-BANK-1 mapping, digested with SM3 and uploaded over loopback SFTP (.part, fsync,
 * rename, done file) by the host transport, against OpenSSH's `sftp -b` put of the same file
 * to the same sshd in the same run; also the transport alone on that file, and the peak
 * RSS. Prints figures; not a test. */
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "pension-hub/ph-digest.h"
#include "pension-hub/ph-sftp.h"
#include "ph-mapping.h"
#include "ph-record.h"
#include "ph-test-hub.h"
#include "ph-test-sshd.h"

#define AMOUNT 350000

static PhSftpConfig
bench_config(PhTestSshd *sshd)
{
	PhSftpConfig config = {
	        .host = "127.0.0.1",
	        .port = sshd->port,
	        .user = sshd->user,
	        .private_key_path = sshd->client_key,
	        .known_hosts_path = sshd->known_hosts,
	};
	return config;
}

static gdouble
bench_seconds_since(gint64 start)
{
	return (gdouble)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
}

static gboolean
bench_write_records(PhMappingWriter *writer, guint records, GError **error)
{
	g_autoptr(PhRecord) record = ph_record_new();
	ph_record_reset(record, "H");
	ph_record_set(record, "batch_no", "0000000001");
	ph_record_set(record, "AAB034", "330100000001");
	ph_record_set(record, "payer_account", "33010000001234567890");
	ph_record_set(record, "AAE002", "202611");
	ph_record_set_int(record, "count", records);
	ph_record_set_int(record, "total", (gint64)records * AMOUNT);
	ph_record_set(record, "created", "20261127090000");
	if (!ph_mapping_writer_write(writer, record, error))
		return FALSE;
	for (guint i = 1; i <= records; i++) {
		gchar account[32];
		g_snprintf(account, sizeof account, "6222020200%09u", i);
		ph_record_reset(record, "D");
		ph_record_set(record, "AAC002", "110105196410150037");
		ph_record_set(record, "AAC003", i % 2 ? "张三" : "𠮷田花子");
		ph_record_set(record, "AAE010", account);
		ph_record_set_int(record, "AAE019", AMOUNT);
		ph_record_set(record, "purpose", "P001");
		ph_record_set(record, "memo", "2026年11月养老金");
		if (!ph_mapping_writer_write(writer, record, error))
			return FALSE;
	}
	ph_record_reset(record, "T");
	if (!ph_mapping_writer_write(writer, record, error))
		return FALSE;
	return ph_mapping_writer_finish(writer, error);
}

/* Ours: connect, then generate and upload in one pass with the digest in the upload's writer
 * thread, then the done file (the reference's time includes its connection too). */
static gdouble
bench_generate_upload(PhTestSshd *sshd, guint records, const gchar *name, GError **error)
{
	gint64 start = g_get_monotonic_time();
	PhSftpConfig config = bench_config(sshd);
	g_autoptr(PhSftp) sftp = ph_sftp_connect(&config, error);
	if (sftp == NULL)
		return -1;
	g_autoptr(PhMapping) mapping = ph_mapping_load("ph-bank-1-payout", error);
	if (mapping == NULL)
		return -1;
	/* as plugins/bank/bank-upload.c: SM3 in the upload's writer thread */
	g_autoptr(PhDigest) digest = ph_digest_new(PH_DIGEST_SM3);
	g_autoptr(PhSftpUpload) upload = ph_sftp_upload_new(sftp, "inbox", name, error);
	if (upload == NULL)
		return -1;
	ph_sftp_upload_set_digest(upload, digest);
	g_autoptr(PhMappingWriter) writer =
	        ph_mapping_writer_new(mapping, ph_sftp_upload_get_stream(upload), name);
	if (!bench_write_records(writer, records, error) || !ph_sftp_upload_commit(upload, error))
		return -1;
	g_autofree gchar *done_name = g_strconcat(name, ".ok", NULL);
	g_autofree gchar *done_text =
	        g_strdup_printf("SM3 %s %u %" G_GINT64_FORMAT "\n", ph_digest_get_hex(digest),
	                        records, (gint64)records * AMOUNT);
	g_autoptr(GBytes) done = g_bytes_new(done_text, strlen(done_text));
	if (!ph_sftp_put_bytes(sftp, "inbox", done_name, done, error))
		return -1;
	return bench_seconds_since(start);
}

/* Where our time goes: the same generation and SM3 into a stream that keeps nothing. */
static gdouble
bench_generate_only(guint records, GError **error)
{
	gint64 start = g_get_monotonic_time();
	g_autoptr(PhMapping) mapping = ph_mapping_load("ph-bank-1-payout", error);
	if (mapping == NULL)
		return -1;
	g_autoptr(GFile) null_file = g_file_new_for_path("/dev/null");
	g_autoptr(GFileOutputStream) null_output =
	        g_file_append_to(null_file, G_FILE_CREATE_NONE, NULL, error);
	if (null_output == NULL)
		return -1;
	g_autoptr(GOutputStream) buffered =
	        g_buffered_output_stream_new_sized(G_OUTPUT_STREAM(null_output), 240 * 1024);
	g_autoptr(PhDigest) digest = ph_digest_new(PH_DIGEST_SM3);
	g_autoptr(GOutputStream) tee = ph_digest_output_stream_new(buffered, digest);
	g_autoptr(PhMappingWriter) writer = ph_mapping_writer_new(mapping, tee, "null");
	if (!bench_write_records(writer, records, error))
		return -1;
	return bench_seconds_since(start);
}

/* The transport alone: a local file copied through ph_sftp_upload. */
static gdouble
bench_transport(PhSftp *sftp, const gchar *local, GError **error)
{
	gint64 start = g_get_monotonic_time();
	g_autoptr(GFile) file = g_file_new_for_path(local);
	g_autoptr(GFileInputStream) input = g_file_read(file, NULL, error);
	if (input == NULL)
		return -1;
	g_autoptr(PhSftpUpload) upload = ph_sftp_upload_new(sftp, "inbox", "TRANSPORT.txt", error);
	if (upload == NULL ||
	    g_output_stream_splice(ph_sftp_upload_get_stream(upload), G_INPUT_STREAM(input), 0,
	                           NULL, error) < 0 ||
	    !ph_sftp_upload_commit(upload, error))
		return -1;
	return bench_seconds_since(start);
}

static gdouble
bench_openssh_put(PhTestSshd *sshd, const gchar *local)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *batch_path = g_build_filename(sshd->dir, "sftp-batch", NULL);
	g_autofree gchar *batch = g_strdup_printf("put %s inbox/OPENSSH.txt\n", local);
	g_assert_true(g_file_set_contents(batch_path, batch, -1, NULL));
	g_autofree gchar *port = g_strdup_printf("%u", sshd->port);
	g_autofree gchar *known = g_strdup_printf("UserKnownHostsFile=%s", sshd->known_hosts);
	g_autofree gchar *target = g_strdup_printf("%s@127.0.0.1", sshd->user);
	const gchar *argv[] = {"sftp", "-q",
	                       "-b",   batch_path,
	                       "-i",   sshd->client_key,
	                       "-P",   port,
	                       "-o",   known,
	                       "-o",   "StrictHostKeyChecking=yes",
	                       "-o",   "BatchMode=yes",
	                       target, NULL};
	gint status = 0;
	gint64 start = g_get_monotonic_time();
	if (!g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
	                  &status, &error) ||
	    !g_spawn_check_wait_status(status, &error)) {
		g_printerr("sftp: %s\n", error->message);
		return -1;
	}
	return bench_seconds_since(start);
}

/* The files of the previous run (ours is regenerated each run; the others re-read it). */
static void
bench_remove_uploads(const gchar *inbox)
{
	const gchar *names[] = {"PAYOUT_330100000001_202611_0000000001.txt",
	                        "PAYOUT_330100000001_202611_0000000001.txt.ok", "OPENSSH.txt",
	                        "TRANSPORT.txt"};
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autofree gchar *path = g_build_filename(inbox, names[i], NULL);
		g_unlink(path);
	}
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	guint records = argc > 1 ? (guint)g_ascii_strtoull(argv[1], NULL, 10) : 1000000;
	g_test_init(&argc, &argv, NULL);
	g_autoptr(PhTestSshd) sshd = ph_test_sshd_new();
	g_autofree gchar *inbox = ph_test_sshd_path(sshd, "inbox", TRUE);
	/* Best of three runs of each, interleaved: the machine is shared, and the best run is
	 * the one least disturbed by others. */
	const gchar *name = "PAYOUT_330100000001_202611_0000000001.txt";
	g_autofree gchar *local = g_build_filename(inbox, name, NULL);
	gdouble ours = G_MAXDOUBLE, reference = G_MAXDOUBLE, transport = G_MAXDOUBLE;
	gdouble generate = G_MAXDOUBLE;
	for (guint run = 0; run < 3; run++) {
		bench_remove_uploads(inbox);
		/* MIN() evaluates its arguments twice: measure first */
		gdouble seconds = bench_generate_upload(sshd, records, name, &error);
		g_assert_no_error(error);
		ours = MIN(ours, seconds);
		/* the file as uploaded is the reference's input: the same bytes, from local disk */
		seconds = bench_openssh_put(sshd, local);
		reference = MIN(reference, seconds);
		PhSftpConfig config = bench_config(sshd);
		g_autoptr(PhSftp) sftp = ph_sftp_connect(&config, &error);
		g_assert_no_error(error);
		seconds = bench_transport(sftp, local, &error);
		g_assert_no_error(error);
		transport = MIN(transport, seconds);
		seconds = bench_generate_only(records, &error);
		g_assert_no_error(error);
		generate = MIN(generate, seconds);
	}
	GStatBuf st;
	g_stat(local, &st);

	g_print("bank payout upload, %u records, %.1f MB file, loopback sshd, best of 3\n", records,
	        (gdouble)st.st_size / 1e6);
	g_print("  ours: generate (PH-BANK-1, GB18030) + SM3 + upload + done file  %6.2f s\n",
	        ours);
	g_print("  ours: transport only (same file, connected already)             %6.2f s\n",
	        transport);
	g_print("  ours: generate + SM3 only, into /dev/null (where the time goes)  %6.2f s\n",
	        generate);
	g_print("  reference: OpenSSH sftp -b put of the same file                 %6.2f s\n",
	        reference);
	g_print("  ratio ours / reference: %.2f (limit 2.00); transport / reference: %.2f\n",
	        ours / reference, transport / reference);
	g_print("  peak RSS: %" G_GINT64_FORMAT " kB (limit 131072 kB)\n",
	        ph_test_proc_kib(0, "VmHWM"));
	return 0;
}
