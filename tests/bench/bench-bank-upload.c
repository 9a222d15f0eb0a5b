/* Benchmark of the bank payout upload (issue 5 §8). Ours is the product's path: a batch of
 * 1,000,000 items stored as `payout run` stores it (AAC002 and AAE010 sealed under a key file,
 * as production runs) delivered by the bank plugin itself (libph-bank.so loaded by the plugin
 * host, its bank.upload deliver function called as the outbox would): the items read and
 * opened in one transaction with their digest stored, the PH-BANK-1 file written through the
 * mapping, kept sealed in the document store, digested with SM3 and uploaded over loopback
 * SFTP (.part, fsync, rename), the done file uploaded and kept, the batch marked sent. The
 * reference is OpenSSH's `sftp -b` put of the same file to the same sshd in the same run.
 * Information lines show the parts: the database read alone, the old benchmark's path from
 * generated records on, the transport alone, generation alone; and the peak RSS. Prints
 * figures; not a test. */
#include <glib/gstdio.h>
#include <sys/resource.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "pension-hub/ph-digest.h"
#include "pension-hub/ph-payout-api.h"
#include "pension-hub/ph-sftp.h"
#include "ph-bulk.h"
#include "ph-config.h"
#include "ph-document-store.h"
#include "ph-field-cipher.h"
#include "ph-field-key.h"
#include "ph-mapping.h"
#include "ph-payout-digest.h"
#include "ph-plugin-host.h"
#include "ph-record.h"
#include "ph-registry.h"
#include "ph-test-db.h"
#include "ph-test-hub.h"
#include "ph-test-sshd.h"
#include "ph-worker-db.h"

#define AMOUNT 350000
/* bank_file_payout_name() of the seeded batch and bank */
#define BENCH_FILE "PAYOUT_330100000001_202611_0000000001.txt"

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

/* User and system CPU seconds of this process (@who RUSAGE_SELF: all its threads) or of its
 * waited-for children (RUSAGE_CHILDREN): what the load does not change, unlike the seconds. */
static gdouble
bench_cpu(gint who)
{
	struct rusage usage;
	g_assert_cmpint(getrusage(who, &usage), ==, 0);
	return (gdouble)usage.ru_utime.tv_sec + (gdouble)usage.ru_utime.tv_usec / 1e6 +
	       (gdouble)usage.ru_stime.tv_sec + (gdouble)usage.ru_stime.tv_usec / 1e6;
}

/* CPU seconds the whole machine has spent busy: every core, every process (ours,
 * PostgreSQL's backend, sshd, and anything else running), from /proc/stat. Over a run, what
 * the run needed of the two cores: the run cannot be shorter than that over the cores. */
static gdouble
bench_machine_busy(void)
{
	g_autofree gchar *text = NULL;
	g_assert_true(g_file_get_contents("/proc/stat", &text, NULL, NULL));
	guint64 user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0;
	g_assert_cmpint(sscanf(text, "cpu %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
	                             " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
	                             " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
	                             " %" G_GUINT64_FORMAT,
	                       &user, &nice, &system, &idle, &iowait, &irq, &softirq),
	                ==, 7);
	return (gdouble)(user + nice + system + irq + softirq) / (gdouble)sysconf(_SC_CLK_TCK);
}

/* The records as the adapter writes them, each also digested as the payout API does for
 * the batch's items' digest while the file is generated (ph_payout_api_foreach_line). */
static gboolean
bench_write_records(PhMappingWriter *writer, guint records, GError **error)
{
	g_autoptr(PhPayoutDigest) items = ph_payout_digest_new();
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
		ph_payout_digest_add(items, (gint)i, "110105196410150037", account, AMOUNT);
		if (!ph_mapping_writer_write(writer, record, error))
			return FALSE;
	}
	ph_record_reset(record, "T");
	if (!ph_mapping_writer_write(writer, record, error))
		return FALSE;
	return ph_mapping_writer_finish(writer, error) && ph_payout_digest_get_hex(items) != NULL;
}

/* The bytes kept in the document store @documents as ph_document_api_keep_bytes does. */
static gboolean
bench_keep_bytes(const gchar *documents, PhFieldKeys *keys, GBytes *bytes, GError **error)
{
	g_autoptr(PhDocumentWriter) writer = ph_document_writer_new(documents, "done", keys, error);
	return writer != NULL &&
	       ph_document_writer_write(writer, g_bytes_get_data(bytes, NULL),
	                                g_bytes_get_size(bytes), error) &&
	       ph_document_writer_commit(writer, error);
}

/* The old benchmark's path, now an information line: from generated records on (no database
 * read), connect, then generate and upload in one pass with the digest in the upload's writer
 * thread and the kept copy teed off the generated bytes, then the done file, uploaded and
 * kept. */
static gdouble
bench_generate_upload(PhTestSshd *sshd, guint records, const gchar *name, const gchar *documents,
                      PhFieldKeys *keys, GError **error)
{
	gint64 start = g_get_monotonic_time();
	PhSftpConfig config = bench_config(sshd);
	/* as plugins/bank/bank-upload.c: connected while the file's first part is generated */
	g_autoptr(PhSftp) sftp = ph_sftp_connect_start(&config);
	g_autoptr(PhMapping) mapping = ph_mapping_load("ph-bank-1-payout", error);
	if (mapping == NULL)
		return -1;
	/* as plugins/bank/bank-upload.c: SM3 in the upload's writer thread */
	g_autoptr(PhDigest) digest = ph_digest_new(PH_DIGEST_SM3);
	g_autoptr(PhDocumentWriter) kept = ph_document_writer_new(documents, "payout", keys, error);
	if (kept == NULL)
		return -1;
	g_autoptr(PhSftpUpload) upload = ph_sftp_upload_new(sftp, "inbox", name);
	ph_sftp_upload_set_digest(upload, digest);
	g_autoptr(GOutputStream) tee =
	        ph_document_writer_tee_new(kept, ph_sftp_upload_get_stream(upload));
	g_autoptr(PhMappingWriter) writer = ph_mapping_writer_new(mapping, tee, name);
	if (!bench_write_records(writer, records, error) || !ph_sftp_upload_commit(upload, error) ||
	    !ph_document_writer_commit(kept, error))
		return -1;
	g_autofree gchar *done_name = g_strconcat(name, ".ok", NULL);
	g_autofree gchar *done_text =
	        g_strdup_printf("SM3 %s %u %" G_GINT64_FORMAT "\n", ph_digest_get_hex(digest),
	                        records, (gint64)records * AMOUNT);
	g_autoptr(GBytes) done = g_bytes_new(done_text, strlen(done_text));
	if (!ph_sftp_put_bytes(sftp, "inbox", done_name, done, error) ||
	    !bench_keep_bytes(documents, keys, done, error))
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
	g_autoptr(PhSftpUpload) upload = ph_sftp_upload_new(sftp, "inbox", "TRANSPORT.txt");
	if (g_output_stream_splice(ph_sftp_upload_get_stream(upload), G_INPUT_STREAM(input), 0,
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

/* The files of the previous run (ours is regenerated each run; the others re-read it), and
 * the copies kept in @documents. */
static void
bench_remove_uploads(const gchar *inbox, const gchar *documents)
{
	g_autoptr(GDir) dir = g_dir_open(documents, 0, NULL);
	const gchar *kept;
	while (dir != NULL && (kept = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *path = g_build_filename(documents, kept, NULL);
		g_unlink(path);
	}
	const gchar *names[] = {BENCH_FILE, BENCH_FILE ".ok", "OPENSSH.txt", "TRANSPORT.txt"};
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autofree gchar *path = g_build_filename(inbox, names[i], NULL);
		g_unlink(path);
	}
}

/* Item @serial's numbers and name as the seeded batch holds them. */
static void
bench_item(guint serial, gchar id_number[24], gchar account[24], const gchar **name)
{
	g_snprintf(id_number, 24, "1101051950%08u", serial);
	g_snprintf(account, 24, "6222020200%09u", serial);
	*name = serial % 2 ? "张三" : "𠮷田花子";
}

/* Batch 1 of @records items as `payout run` stores it with a key file: AAC002 and AAE010
 * sealed (copied from the person and the account, sealed there once), the account's keyed
 * hash as its lookup; built, not yet sent. */
static void
bench_seed_batch(PhDb *db, guint records)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *batch = g_strdup_printf(
	        "INSERT INTO payout_batch (batch_no, bank, period, kind, created, item_count, "
	        "total) VALUES (1, 'icbc', 202611, 'regular', '20261127090000', %u, "
	        "%" G_GINT64_FORMAT ")",
	        records, (gint64)records * AMOUNT);
	g_assert_true(ph_db_exec(db, batch, &error));
	g_autoptr(GString) copy = g_string_sized_new(PH_BULK_BATCH * 200);
	for (guint serial = 1; serial <= records; serial++) {
		gchar id_number[24], account[24];
		const gchar *name = NULL;
		bench_item(serial, id_number, account, &name);
		g_autofree gchar *sealed_id = ph_field_seal(id_number, &error);
		g_autofree gchar *sealed_account = ph_field_seal_account(account, &error);
		g_autofree gchar *lookup = ph_field_lookup(account);
		g_assert_no_error(error);
		/* sealed, unless PH_BENCH_PLAINTEXT=1 left the key file out */
		g_assert_true(ph_field_is_sealed(sealed_id) == ph_field_cipher_is_installed());
		g_string_append_printf(copy, "1\t%u\t%u\t202611\t%s\t%s\t%s\t%d\t%s\n", serial,
		                       serial, sealed_id, name, sealed_account, AMOUNT, lookup);
		if (serial % PH_BULK_BATCH == 0 || serial == records) {
			g_assert_true(
			        ph_bulk_copy_in(db,
			                        "COPY payout_item (batch_no, serial, "
			                        "person_id, period, id_number, name, account, "
			                        "amount, account_lookup) FROM STDIN",
			                        copy->str, copy->len, &error));
			g_assert_no_error(error);
			g_string_truncate(copy, 0);
		}
	}
	g_assert_true(ph_db_exec(db, "VACUUM ANALYZE payout_item", &error));
	g_assert_no_error(error);
}

/* The bank plugin as the daemon loads it, with the config of @hub; its bank.upload topic. */
static const PhTopic *
bench_load_plugin(PhTestHub *hub, const PhConfig *config, PhRegistry *registry, PhPluginHost **host)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_build_filename(hub->dir, "plugins", NULL);
	g_autofree gchar *target = g_build_filename(g_getenv("PH_BUILD_DIR"), "plugins", "bank",
	                                            "libph-bank.so", NULL);
	g_autofree gchar *link = g_build_filename(dir, "libph-bank.so", NULL);
	g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
	g_assert_cmpint(symlink(target, link), ==, 0);
	*host = ph_plugin_host_new(config, registry);
	g_assert_true(ph_plugin_host_load_dir(*host, dir, &error));
	g_assert_no_error(error);
	g_assert_nonnull(ph_plugin_host_find(*host, "bank"));
	const PhTopic *topic = ph_registry_find_topic(registry, "bank.upload");
	g_assert_nonnull(topic);
	return topic;
}

/* Batch 1 built again, as before its first upload. */
static void
bench_reset_batch(PhDb *db)
{
	g_autoptr(GError) error = NULL;
	g_assert_true(ph_db_exec(db,
	                         "UPDATE payout_batch SET state = 'built', profile = NULL, "
	                         "file_name = NULL, digest = NULL, sent_at = NULL, "
	                         "items_digest = NULL WHERE batch_no = 1",
	                         &error));
	g_assert_no_error(error);
}

/* Ours: the plugin delivers the batch's bank.upload message, as the outbox's worker would:
 * read, open, generate, keep, digest, upload, done file, mark sent. */
static gdouble
bench_deliver(PhDb *db, const PhTopic *topic, gdouble *cpu, gdouble *machine)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) payload = g_bytes_new_static("1", 1);
	const PhOutboxMessage message = {1, "bank.upload", "1", payload, 1};
	bench_reset_batch(db);
	gint64 start = g_get_monotonic_time();
	gdouble cpu_start = bench_cpu(RUSAGE_SELF), machine_start = bench_machine_busy();
	g_assert_true(topic->deliver(&message, topic->plugin->data, &error));
	g_assert_no_error(error);
	gdouble seconds = bench_seconds_since(start);
	*cpu = bench_cpu(RUSAGE_SELF) - cpu_start;
	*machine = bench_machine_busy() - machine_start;
	g_autoptr(PGresult) sent = ph_db_query(
	        db, "SELECT state, items_digest IS NOT NULL FROM payout_batch WHERE batch_no = 1",
	        0, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(PQgetvalue(sent, 0, 0), ==, "sent");
	g_assert_cmpstr(PQgetvalue(sent, 0, 1), ==, "t");
	return seconds;
}

static gboolean
bench_count_line(const PhPayoutLine *line, gpointer user_data, GError **error)
{
	(*(guint *)user_data)++;
	return TRUE;
}

/* The database part alone: the batch's lines read, opened and digested as the plugin reads
 * them, written nowhere. */
static gdouble
bench_read_lines(guint records, gdouble *machine)
{
	g_autoptr(GError) error = NULL;
	guint lines = 0;
	gint64 start = g_get_monotonic_time();
	gdouble machine_start = bench_machine_busy();
	g_assert_true(ph_payout_api_foreach_line(NULL, 1, bench_count_line, &lines, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(lines, ==, records);
	*machine = bench_machine_busy() - machine_start;
	return bench_seconds_since(start);
}

/* The CPU seconds of the file's SM3 digest alone (the done file's, the bank's default). */
static gdouble
bench_sm3_cpu(const gchar *local)
{
	FILE *file = fopen(local, "rb");
	g_assert_nonnull(file);
	g_autofree guint8 *buffer = g_malloc(1 << 20);
	g_autoptr(PhDigest) digest = ph_digest_new(PH_DIGEST_SM3);
	gdouble start = bench_cpu(RUSAGE_SELF);
	gsize got;
	while ((got = fread(buffer, 1, 1 << 20, file)) > 0)
		ph_digest_update(digest, buffer, got);
	fclose(file);
	g_assert_nonnull(ph_digest_get_hex(digest));
	return bench_cpu(RUSAGE_SELF) - start;
}

/* The seeded items checked in the file the plugin sent: its first and last few records
 * (read without reading the whole file, which would count in the peak RSS) carry the first
 * and the last item's opened numbers. */
static void
bench_check_file(const gchar *local, guint records)
{
	gchar head[1024] = "", tail[1024] = "";
	gchar id_number[24], account[24];
	const gchar *name = NULL;
	FILE *file = fopen(local, "rb");
	g_assert_nonnull(file);
	gsize got = fread(head, 1, sizeof head - 1, file);
	head[got] = '\0';
	g_assert_cmpint(fseek(file, -(long)(sizeof tail - 1), SEEK_END), ==, 0);
	got = fread(tail, 1, sizeof tail - 1, file);
	tail[got] = '\0';
	fclose(file);
	bench_item(1, id_number, account, &name);
	g_assert_nonnull(strstr(head, id_number));
	g_assert_nonnull(strstr(head, account));
	bench_item(records, id_number, account, &name);
	g_assert_nonnull(strstr(tail, id_number));
	g_assert_nonnull(strstr(tail, account));
}

/* The config of a hub with @keys_config and one bank, icbc, at @sshd (test-bank's icbc). */
static gchar *
bench_bank_config(PhTestSshd *sshd, const gchar *keys_config)
{
	g_autofree gchar *lines = ph_test_sshd_config_lines(sshd);
	g_auto(GStrv) split = g_strsplit(lines, "\n", -1);
	GString *text = g_string_new(keys_config);
	g_string_append(text, "[plugin bank]\nbanks = icbc\nicbc.agency = 330100000001\n"
	                      "icbc.payer_account = 33010000001234567890\n"
	                      "icbc.inbox = inbox\nicbc.outbox = outbox\n");
	for (guint i = 0; split[i] != NULL; i++)
		if (split[i][0] != '\0')
			g_string_append_printf(text, "icbc.%s\n", split[i]);
	return g_string_free(text, FALSE);
}

static gchar *
bench_uptime(void)
{
	g_autofree gchar *text = NULL;
	if (!g_file_get_contents("/proc/loadavg", &text, NULL, NULL))
		return g_strdup("?");
	return g_strndup(text, strcspn(text, " "));
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	guint records = argc > 1 ? (guint)g_ascii_strtoull(argv[1], NULL, 10) : 1000000;
	/* "ours": only ours, three times (for a profiler: perf record -a while it runs) */
	gboolean ours_only = argc > 2 && g_str_equal(argv[2], "ours");
	g_test_init(&argc, &argv, NULL);
	g_autoptr(PhTestDb) test_db = ph_test_db_new();
	g_autoptr(PhDb) db = ph_test_db_connect(test_db);
	ph_worker_db_init(ph_test_db_get_url(test_db));
	g_autoptr(PhTestSshd) sshd = ph_test_sshd_new();
	g_autofree gchar *inbox = ph_test_sshd_path(sshd, "inbox", TRUE);
	/* a hub's folder and config: the key file as production has one, the bank's connection */
	g_autoptr(PhTestHub) hub = ph_test_hub_new(ph_test_db_get_url(test_db), NULL, "");
	g_autofree gchar *keys_config = ph_test_hub_keys_config(hub);
	g_autofree gchar *extra = bench_bank_config(sshd, keys_config);
	ph_test_hub_write_config(hub, extra);
	g_autoptr(PhConfig) config = ph_config_load(hub->config_path, &error);
	g_assert_no_error(error);
	g_assert_true(ph_field_keys_install(config, &error));
	g_assert_no_error(error);
	PhFieldKeys *keys = ph_field_keys_installed();
	g_autofree gchar *documents = ph_document_store_dir(config);
	bench_seed_batch(db, records);
	g_autoptr(PhRegistry) registry = ph_registry_new();
	PhPluginHost *host = NULL;
	const PhTopic *topic = bench_load_plugin(hub, config, registry, &host);

	/* Best of three runs of each, interleaved: the machine is shared, and the best run is
	 * the one least disturbed by others. */
	g_autofree gchar *local = g_build_filename(inbox, BENCH_FILE, NULL);
	g_autofree gchar *load_before = bench_uptime();
	gdouble ours = G_MAXDOUBLE, reference = G_MAXDOUBLE, transport = G_MAXDOUBLE;
	gdouble generate = G_MAXDOUBLE, from_records = G_MAXDOUBLE, read = G_MAXDOUBLE;
	gdouble ours_cpu = G_MAXDOUBLE, reference_cpu = G_MAXDOUBLE;
	/* the machine's busy core-seconds during the best run of each */
	gdouble ours_machine = 0, reference_machine = 0, read_machine = 0, sm3 = G_MAXDOUBLE;
	gint64 size = 0;
	gint64 rss_setup = ph_test_proc_kib(0, "VmHWM"), rss_ours = 0;
	for (guint run = 0; run < 3; run++) {
		bench_remove_uploads(inbox, documents);
		/* MIN() evaluates its arguments twice: measure first */
		gdouble cpu = 0, machine = 0;
		gdouble seconds = bench_deliver(db, topic, &cpu, &machine);
		if (seconds < ours)
			ours_machine = machine;
		ours = MIN(ours, seconds);
		ours_cpu = MIN(ours_cpu, cpu);
		if (run == 0) {
			rss_ours = ph_test_proc_kib(0, "VmHWM");
			bench_check_file(local, records);
		}
		GStatBuf st;
		g_assert_cmpint(g_stat(local, &st), ==, 0);
		size = st.st_size;
		if (ours_only)
			continue;
		/* the file as uploaded is the reference's input: the same bytes, from local disk */
		gdouble children = bench_cpu(RUSAGE_CHILDREN);
		machine = bench_machine_busy();
		seconds = bench_openssh_put(sshd, local);
		machine = bench_machine_busy() - machine;
		if (seconds < reference)
			reference_machine = machine;
		reference = MIN(reference, seconds);
		reference_cpu = MIN(reference_cpu, bench_cpu(RUSAGE_CHILDREN) - children);
		PhSftpConfig sftp_config = bench_config(sshd);
		g_autoptr(PhSftp) sftp = ph_sftp_connect(&sftp_config, &error);
		g_assert_no_error(error);
		seconds = bench_transport(sftp, local, &error);
		g_assert_no_error(error);
		transport = MIN(transport, seconds);
		seconds = bench_read_lines(records, &machine);
		if (seconds < read)
			read_machine = machine;
		read = MIN(read, seconds);
		cpu = bench_sm3_cpu(local);
		sm3 = MIN(sm3, cpu);
		seconds = bench_generate_only(records, &error);
		g_assert_no_error(error);
		generate = MIN(generate, seconds);
		bench_remove_uploads(inbox, documents);
		seconds = bench_generate_upload(sshd, records, BENCH_FILE, documents, keys, &error);
		g_assert_no_error(error);
		from_records = MIN(from_records, seconds);
	}
	g_autofree gchar *load_after = bench_uptime();

	g_print("bank payout upload, %u items, %.1f MB file, loopback sshd, best of 3, "
	        "load %s -> %s\n",
	        records, (gdouble)size / 1e6, load_before, load_after);
	g_print("  ours: the plugin's bank.upload from the stored batch (sealed items read,\n"
	        "        opened and digested, PH-BANK-1, kept sealed, SM3, upload, done file)  "
	        "%6.2f s\n",
	        ours);
	if (!ours_only) {
		g_print("  reference: OpenSSH sftp -b put of the same file                      "
		        "%6.2f s\n",
		        reference);
		g_print("  ratio ours / reference: %.2f (limit 2.00)\n", ours / reference);
		g_print("  information: CPU of ours' process (all its threads; not PostgreSQL's, "
		        "not\n"
		        "        sshd's) %.2f core-s, of the reference's sftp client %.2f core-s\n",
		        ours_cpu, reference_cpu);
		gdouble cores = (gdouble)sysconf(_SC_NPROCESSORS_ONLN);
		gdouble fixed = read_machine + sm3 + reference_machine;
		g_print("  information: the machine's busy CPU (every core and process: ours,\n"
		        "        PostgreSQL, sshd) in ours' best run %.2f core-s, in the reference's\n"
		        "        %.2f core-s; on %.0f cores ours needs at least %.2f s; the limit\n"
		        "        leaves %.2f core-s\n",
		        ours_machine, reference_machine, cores, ours_machine / cores,
		        2 * reference * cores);
		g_print("  information: of those, the parts any delivery pays: the items read and\n"
		        "        opened %.2f core-s (PostgreSQL's and ours), SM3 of the file %.2f,\n"
		        "        the transport as the reference pays it %.2f: %.2f core-s, leaving\n"
		        "        %.2f to generate the file and keep it sealed\n",
		        read_machine, sm3, reference_machine, fixed, 2 * reference * cores - fixed);
		g_print("  information: the batch's lines read and opened alone (no file)        "
		        "%6.2f s\n",
		        read);
		g_print("  information: from generated records on (no database), kept, uploaded  "
		        "%6.2f s\n",
		        from_records);
		g_print("  information: transport only (same file, connected already)            "
		        "%6.2f s\n",
		        transport);
		g_print("  information: generate + SM3 only, into /dev/null                      "
		        "%6.2f s\n",
		        generate);
	}
	g_print("  peak RSS: %" G_GINT64_FORMAT " kB after set-up (seeding), %" G_GINT64_FORMAT
	        " kB after ours' first run, %" G_GINT64_FORMAT " kB at the end (limit 131072 kB)\n",
	        rss_setup, rss_ours, ph_test_proc_kib(0, "VmHWM"));
	ph_plugin_host_free(host);
	return 0;
}
