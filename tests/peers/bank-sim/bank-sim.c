/* bank-sim: a payout bank for tests, demos and integration engineers (README.md). Watches the
 * local folders an sshd serves: takes each complete payout file (NAME with NAME.ok) from the
 * inbox, checks it against its done file, and answers RESULT_NAME + RESULT_NAME.ok in the
 * outbox, with failures on request. Same layouts as the hub (the mapping engine). */
#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "pension-hub/ph-digest.h"
#include "ph-mapping.h"
#include "ph-record.h"

typedef struct {
	gchar *inbox;
	gchar *outbox;
	gchar **fail_ids; /* AAC002=CODE */
	gchar **deaths;   /* AAC002 reported dead: 1001 / MD07 */
	gint fail_every;  /* every Nth item fails with fail_code */
	gchar *fail_code;
	gboolean wrong_total;
	gboolean once;
	gint interval_ms;
	gchar *digest;
} BankSim;

typedef struct {
	gboolean pain;
	gchar *batch_no;
	GPtrArray *records; /* PhRecord of the payout's details, in file order */
	PhRecord *header;
} BankSimPayout;

static void
bank_sim_payout_clear(BankSimPayout *payout)
{
	g_free(payout->batch_no);
	g_clear_pointer(&payout->records, g_ptr_array_unref);
	g_clear_pointer(&payout->header, ph_record_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(BankSimPayout, bank_sim_payout_clear)

static volatile sig_atomic_t bank_sim_stop;

static void
bank_sim_on_signal(int signal_number)
{
	bank_sim_stop = 1;
}

static gboolean
bank_sim_read_payout(const gchar *path, gboolean pain, BankSimPayout *payout, GError **error)
{
	g_autoptr(PhMapping) mapping =
	        ph_mapping_load(pain ? "iso20022-pain001" : "ph-bank-1-payout", error);
	if (mapping == NULL)
		return FALSE;
	g_autoptr(GFile) file = g_file_new_for_path(path);
	g_autoptr(GFileInputStream) input = g_file_read(file, NULL, error);
	if (input == NULL)
		return FALSE;
	g_autoptr(PhMappingReader) reader =
	        ph_mapping_reader_new(mapping, G_INPUT_STREAM(input), path);
	const PhRecord *record;
	g_autoptr(GError) local = NULL;
	payout->pain = pain;
	payout->records = g_ptr_array_new_with_free_func((GDestroyNotify)ph_record_free);
	payout->header = ph_record_new();
	while ((record = ph_mapping_reader_next(reader, &local)) != NULL) {
		const gchar *kind = ph_record_get_kind(record);
		PhRecord *copy = g_str_equal(kind, "D") ? ph_record_new() : NULL;
		if (g_str_equal(kind, "H") || g_str_equal(kind, "PI"))
			payout->batch_no = g_strdup(ph_record_get(record, "batch_no"));
		if (g_str_equal(kind, "H"))
			copy = payout->header;
		if (copy == NULL)
			continue;
		ph_record_reset(copy, kind);
		for (guint i = 0; i < ph_record_get_size(record); i++)
			ph_record_set(copy, ph_record_get_key(record, i),
			              ph_record_get_value(record, i));
		if (copy != payout->header)
			g_ptr_array_add(payout->records, copy);
	}
	if (local != NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	return TRUE;
}

/* The status of item @index for person @id: "0000" or a failure code; @message set. */
static const gchar *
bank_sim_status(BankSim *sim, guint index, const gchar *id, const gchar **message,
                const gchar **reason)
{
	*message = "";
	*reason = NULL;
	if (sim->deaths != NULL && g_strv_contains((const gchar *const *)sim->deaths, id)) {
		*message = "账户持有人已死亡 DECEASED";
		*reason = "MD07";
		return "1001";
	}
	for (guint i = 0; sim->fail_ids != NULL && sim->fail_ids[i] != NULL; i++) {
		gsize len = strlen(id);
		if (strncmp(sim->fail_ids[i], id, len) == 0 && sim->fail_ids[i][len] == '=') {
			*message = "账户异常";
			*reason = "AC04";
			return sim->fail_ids[i] + len + 1;
		}
	}
	if (sim->fail_every > 0 && (index + 1) % (guint)sim->fail_every == 0) {
		*message = "账户已冻结";
		*reason = "AC06";
		return sim->fail_code;
	}
	return "0000";
}

static void
bank_sim_result_record(BankSim *sim, const BankSimPayout *payout, guint index, PhRecord *out,
                       gint64 *amount)
{
	const PhRecord *in = g_ptr_array_index(payout->records, index);
	const gchar *id = ph_record_get(in, "AAC002");
	const gchar *message = NULL, *reason = NULL;
	const gchar *status = bank_sim_status(sim, index, id, &message, &reason);
	g_autofree gchar *ref = g_strdup_printf("BR%s%08u", payout->batch_no, index + 1);
	ph_record_get_int(in, "AAE019", amount, NULL);
	ph_record_reset(out, "R");
	/* pain.002 echoes the EndToEndId sent (batch and serial); PH-BANK-1 counts serials */
	if (payout->pain)
		ph_record_set(out, "end_to_end_id", ph_record_get(in, "end_to_end_id"));
	else
		ph_record_set_int(out, "serial", index + 1);
	if (payout->pain) {
		ph_record_set(out, "status", g_str_equal(status, "0000") ? "0000" : "9999");
		if (!g_str_equal(status, "0000")) {
			ph_record_set(out, "reason", reason);
			ph_record_set(out, "message", message);
		}
	} else {
		ph_record_set(out, "AAC002", id);
	}
	if (!payout->pain) {
		ph_record_set(out, "AAE010", ph_record_get(in, "AAE010"));
		ph_record_set_int(out, "AAE019", *amount);
		ph_record_set(out, "status", status);
	}
	if (g_str_equal(status, "0000"))
		ph_record_set(out, "bank_ref", ref);
	if (!payout->pain) {
		ph_record_set(out, "message", message);
		return;
	}
	ph_record_set_int(out, "AAE019", *amount);
	ph_record_set(out, "AAC003", ph_record_get(in, "AAC003"));
	/* the original creditor's private id, as an ISO 20022 bank echoes it in OrgnlTxRef */
	ph_record_set(out, "AAC002", id);
	ph_record_set(out, "AAE010", ph_record_get(in, "AAE010"));
}

static gboolean
bank_sim_write_head(const BankSimPayout *payout, PhMappingWriter *writer, PhRecord *record,
                    GError **error)
{
	if (!payout->pain)
		return ph_mapping_writer_write(writer, payout->header, error);
	ph_record_reset(record, "GH");
	ph_record_set(record, "msg_id", "BANK-SIM");
	ph_record_set(record, "created", "2026-11-30T18:00:00");
	if (!ph_mapping_writer_write(writer, record, error))
		return FALSE;
	ph_record_reset(record, "OG");
	ph_record_set(record, "original_msg_id", "PAYOUT");
	if (!ph_mapping_writer_write(writer, record, error))
		return FALSE;
	ph_record_reset(record, "PI");
	ph_record_set(record, "batch_no", payout->batch_no);
	return ph_mapping_writer_write(writer, record, error);
}

static gboolean
bank_sim_write_result(BankSim *sim, const BankSimPayout *payout, const gchar *name, GError **error)
{
	g_autoptr(PhMapping) mapping =
	        ph_mapping_load(payout->pain ? "iso20022-pain002" : "ph-bank-1-result", error);
	if (mapping == NULL)
		return FALSE;
	g_autofree gchar *result = g_strconcat("RESULT_", name, NULL);
	g_autofree gchar *path = g_build_filename(sim->outbox, result, NULL);
	g_autofree gchar *part = g_strconcat(path, ".part", NULL);
	g_autoptr(GFile) file = g_file_new_for_path(part);
	g_autoptr(GFileOutputStream) output =
	        g_file_replace(file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, error);
	if (output == NULL)
		return FALSE;
	PhDigestAlg alg = PH_DIGEST_SM3;
	ph_digest_alg_from_name(sim->digest, &alg, NULL);
	g_autoptr(PhDigest) digest = ph_digest_new(alg);
	g_autoptr(GOutputStream) tee = ph_digest_output_stream_new(G_OUTPUT_STREAM(output), digest);
	g_autoptr(PhMappingWriter) writer = ph_mapping_writer_new(mapping, tee, result);
	g_autoptr(PhRecord) record = ph_record_new();
	gint64 total = 0;
	if (!bank_sim_write_head(payout, writer, record, error))
		return FALSE;
	for (guint i = 0; i < payout->records->len; i++) {
		gint64 amount = 0;
		bank_sim_result_record(sim, payout, i, record, &amount);
		total += amount;
		if (!ph_mapping_writer_write(writer, record, error))
			return FALSE;
	}
	if (!payout->pain) {
		ph_record_reset(record, "T");
		if (!ph_mapping_writer_write(writer, record, error))
			return FALSE;
	}
	if (!ph_mapping_writer_finish(writer, error) ||
	    !g_output_stream_close(G_OUTPUT_STREAM(tee), NULL, error) ||
	    !g_output_stream_close(G_OUTPUT_STREAM(output), NULL, error) ||
	    g_rename(part, path) != 0)
		return FALSE;
	/* a wrong total on request: the done file disagrees with the data by one fen */
	g_autofree gchar *done =
	        g_strdup_printf("%s %s %u %" G_GINT64_FORMAT "\r\n", ph_digest_alg_get_name(alg),
	                        ph_digest_get_hex(digest), payout->records->len,
	                        total + (sim->wrong_total ? 1 : 0));
	g_autofree gchar *done_path = g_strconcat(path, ".ok", NULL);
	g_autofree gchar *done_part = g_strconcat(done_path, ".part", NULL);
	if (!g_file_set_contents(done_part, done, -1, error) || g_rename(done_part, done_path) != 0)
		return FALSE;
	g_print("bank-sim: answered %s with %s (%u results)\n", name, result, payout->records->len);
	return TRUE;
}

/* The payout file agrees with its done file (digest, count, total), or why not. */
static gchar *
bank_sim_check_done(const gchar *path, const BankSimPayout *payout)
{
	g_autofree gchar *done_path = g_strconcat(path, ".ok", NULL);
	g_autofree gchar *done = NULL;
	g_autofree gchar *data = NULL;
	gsize size = 0;
	if (!g_file_get_contents(done_path, &done, NULL, NULL) ||
	    !g_file_get_contents(path, &data, &size, NULL))
		return g_strdup("cannot read the file or its done file");
	g_auto(GStrv) fields = g_strsplit(g_strstrip(done), " ", -1);
	PhDigestAlg alg;
	if (g_strv_length(fields) != 4 || !ph_digest_alg_from_name(fields[0], &alg, NULL))
		return g_strdup_printf("bad done file '%s'", done);
	g_autofree gchar *hex = ph_digest_hex(alg, data, size);
	gint64 total = 0;
	for (guint i = 0; i < payout->records->len; i++) {
		gint64 amount = 0;
		ph_record_get_int(g_ptr_array_index(payout->records, i), "AAE019", &amount, NULL);
		total += amount;
	}
	if (!g_str_equal(hex, fields[1]) ||
	    g_ascii_strtoll(fields[2], NULL, 10) != payout->records->len ||
	    g_ascii_strtoll(fields[3], NULL, 10) != total)
		return g_strdup_printf(
		        "done file '%s' disagrees with the data (%s %u %" G_GINT64_FORMAT ")", done,
		        hex, payout->records->len, total);
	return NULL;
}

/* A batch number answered before is never paid again, whatever the file is called. */
static gboolean
bank_sim_seen_batch(BankSim *sim, const gchar *batch_no)
{
	g_autofree gchar *marker = g_strdup_printf("%s/.bank-sim-batch-%s", sim->outbox, batch_no);
	if (g_file_test(marker, G_FILE_TEST_EXISTS))
		return TRUE;
	g_file_set_contents(marker, "", 0, NULL);
	return FALSE;
}

static void
bank_sim_take(BankSim *sim, const gchar *name)
{
	g_autofree gchar *path = g_build_filename(sim->inbox, name, NULL);
	g_autofree gchar *answered = g_strdup_printf("%s/.bank-sim-answered-%s", sim->outbox, name);
	if (g_file_test(answered, G_FILE_TEST_EXISTS))
		return;
	g_auto(BankSimPayout) payout = {0};
	g_autoptr(GError) error = NULL;
	g_file_set_contents(answered, "", 0, NULL);
	if (!bank_sim_read_payout(path, g_str_has_suffix(name, ".xml"), &payout, &error)) {
		g_printerr("bank-sim: %s refused: %s\n", name, error->message);
		return;
	}
	g_autofree gchar *mismatch = bank_sim_check_done(path, &payout);
	if (mismatch != NULL) {
		g_printerr("bank-sim: %s refused: %s\n", name, mismatch);
		return;
	}
	if (bank_sim_seen_batch(sim, payout.batch_no)) {
		g_printerr("bank-sim: %s: batch %s was paid before, not paid again\n", name,
		           payout.batch_no);
		return;
	}
	if (!bank_sim_write_result(sim, &payout, name, &error))
		g_printerr("bank-sim: %s: cannot answer: %s\n", name,
		           error != NULL ? error->message : g_strerror(errno));
}

static void
bank_sim_scan(BankSim *sim)
{
	g_autoptr(GDir) dir = g_dir_open(sim->inbox, 0, NULL);
	const gchar *name;
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		if (!g_str_has_prefix(name, "PAYOUT_") ||
		    !(g_str_has_suffix(name, ".txt") || g_str_has_suffix(name, ".xml")))
			continue;
		g_autofree gchar *done = g_build_filename(sim->inbox, name, NULL);
		g_autofree gchar *done_path = g_strconcat(done, ".ok", NULL);
		if (g_file_test(done_path, G_FILE_TEST_EXISTS))
			bank_sim_take(sim, name);
	}
}

int
main(int argc, char **argv)
{
	BankSim sim = {
	        .fail_code = g_strdup("1003"), .interval_ms = 200, .digest = g_strdup("SM3")};
	g_autoptr(GError) error = NULL;
	const GOptionEntry entries[] = {
	        {"inbox", 0, 0, G_OPTION_ARG_FILENAME, &sim.inbox, "folder payout files arrive in",
	         "DIR"},
	        {"outbox", 0, 0, G_OPTION_ARG_FILENAME, &sim.outbox,
	         "folder results are written to", "DIR"},
	        {"fail", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sim.fail_ids,
	         "fail this person with a code (1001, 1002, 1003, 9999)", "AAC002=CODE"},
	        {"death", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sim.deaths,
	         "report this person dead (1001 with a death message, pain.002 MD07)", "AAC002"},
	        {"fail-every", 0, 0, G_OPTION_ARG_INT, &sim.fail_every, "fail every Nth item", "N"},
	        {"fail-code", 0, 0, G_OPTION_ARG_STRING, &sim.fail_code,
	         "code of --fail-every (default 1003)", "CODE"},
	        {"wrong-total", 0, 0, G_OPTION_ARG_NONE, &sim.wrong_total,
	         "write a done file whose total is one fen off", NULL},
	        {"digest", 0, 0, G_OPTION_ARG_STRING, &sim.digest, "SM3 (default) or SHA256",
	         "ALG"},
	        {"once", 0, 0, G_OPTION_ARG_NONE, &sim.once, "answer what is there, then exit",
	         NULL},
	        {"interval-ms", 0, 0, G_OPTION_ARG_INT, &sim.interval_ms, "scan interval", "MS"},
	        {NULL},
	};
	g_autoptr(GOptionContext) context = g_option_context_new("- payout bank simulator");
	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error) || sim.inbox == NULL ||
	    sim.outbox == NULL) {
		g_printerr("bank-sim: %s\n",
		           error != NULL ? error->message : "--inbox and --outbox are required");
		return 2;
	}
	g_mkdir_with_parents(sim.inbox, 0750);
	g_mkdir_with_parents(sim.outbox, 0750);
	signal(SIGTERM, bank_sim_on_signal);
	signal(SIGINT, bank_sim_on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);
	do {
		bank_sim_scan(&sim);
		if (!sim.once)
			g_usleep((gulong)sim.interval_ms * 1000);
	} while (!sim.once && !bank_sim_stop);
	return 0;
}
