/* bank: the payout file of a batch written through the bank's profile (PH-BANK-1 or
 * pain.001), its name, and done files. Everything that goes into the file comes from the
 * stored batch, so a retried upload writes the same bytes. Plugin-internal. */
#include <string.h>

#include "bank-private.h"

typedef struct {
	PhMappingWriter *writer;
	PhRecord *record;
	BankProfile profile;
	const gchar *memo;
	gsize memo_length;
	gint64 batch_no;
} BankFileWrite;

/* ISO 20022 identifiers are Max35Text. */
#define BANK_FILE_ISO_ID_MAX 35

gchar *
bank_file_payout_name(const BankPartner *partner, const PhPayoutHeader *header)
{
	return g_strdup_printf("PAYOUT_%s_%06d_%010" G_GINT64_FORMAT ".%s", partner->agency,
	                       header->period, header->batch_no,
	                       partner->profile == BANK_PROFILE_PAIN ? "xml" : "txt");
}

/* "2026年11月养老金" */
static gchar *
bank_file_memo(gint period)
{
	return g_strdup_printf("%d年%d月养老金", period / 100, period % 100);
}

gboolean
bank_file_end_to_end_id(gint64 batch_no, gint serial, gchar id[BANK_END_TO_END_SIZE],
                        GError **error)
{
	/* both fit by construction (batch numbers are 10 digits, serials PH-BANK-1's N 8);
	 * a value that does not would make an id the pain.002 side cannot split */
	if (batch_no < 1 || batch_no > 9999999999 || serial < 1 || serial > 99999999) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "payout batch %" G_GINT64_FORMAT
		            " serial %d: does not fit an end-to-end id",
		            batch_no, serial);
		return FALSE;
	}
	g_snprintf(id, BANK_END_TO_END_SIZE, "%010" G_GINT64_FORMAT "-%08d", batch_no, serial);
	return TRUE;
}

gboolean
bank_file_end_to_end_parse(const gchar *text, gint64 *batch_no, gint64 *serial, GError **error)
{
	gsize len = strlen(text);
	gboolean ok = len == BANK_END_TO_END_SIZE - 1 && text[10] == '-';
	for (gsize i = 0; ok && i < len; i++)
		ok = i == 10 || g_ascii_isdigit(text[i]);
	if (ok) {
		*batch_no = g_ascii_strtoll(text, NULL, 10);
		*serial = g_ascii_strtoll(text + 11, NULL, 10);
	}
	if (!ok || *batch_no < 1 || *serial < 1) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "end-to-end id '%s' is not '<batch, 10 digits>-<serial, 8 digits>'",
		            text);
		return FALSE;
	}
	return TRUE;
}

/* A literal's text and length, for ph_record_append_static. */
#define BANK_FILE_TEXT(literal) literal, sizeof(literal) - 1

/* One item's record. The record is fresh after the reset and every key is a literal, so the
 * fields are appended without looking for an earlier value (a million lines a batch). */
static gboolean
bank_file_write_line(const PhPayoutLine *line, gpointer user_data, GError **error)
{
	BankFileWrite *write = user_data;
	PhRecord *record = write->record;
	ph_record_reset(record, "D");
	if (write->profile == BANK_PROFILE_PAIN) {
		gchar id[BANK_END_TO_END_SIZE];
		if (!bank_file_end_to_end_id(write->batch_no, line->serial, id, error))
			return FALSE;
		ph_record_append_static(record, "end_to_end_id", id, BANK_END_TO_END_SIZE - 1);
		ph_record_append_static_int(record, "AAE019", line->amount);
	}
	ph_record_append_static(record, "AAC002", line->id_number, strlen(line->id_number));
	ph_record_append_static(record, "AAC003", line->name, strlen(line->name));
	ph_record_append_static(record, "AAE010", line->account, strlen(line->account));
	if (write->profile == BANK_PROFILE_PH_BANK_1)
		ph_record_append_static_int(record, "AAE019", line->amount);
	/* P001 is PH-BANK-1's monthly pension; PENS is ISO 20022's pension payment purpose */
	if (write->profile == BANK_PROFILE_PAIN)
		ph_record_append_static(record, "purpose", BANK_FILE_TEXT("PENS"));
	else
		ph_record_append_static(record, "purpose", BANK_FILE_TEXT("P001"));
	ph_record_append_static(record, "memo", write->memo, write->memo_length);
	return ph_mapping_writer_write(write->writer, record, error);
}

static gboolean
bank_file_write_ph_bank_1(BankFileWrite *write, const BankPartner *partner,
                          const PhPayoutHeader *header, GError **error)
{
	gchar batch_no[16], period[8];
	g_snprintf(batch_no, sizeof batch_no, "%010" G_GINT64_FORMAT, header->batch_no);
	g_snprintf(period, sizeof period, "%06d", header->period);
	PhRecord *record = write->record;
	ph_record_reset(record, "H");
	ph_record_set(record, "batch_no", batch_no);
	ph_record_set(record, "AAB034", partner->agency);
	ph_record_set(record, "payer_account", partner->payer_account);
	ph_record_set(record, "AAE002", period);
	ph_record_set_int(record, "count", header->item_count);
	ph_record_set_int(record, "total", header->total);
	ph_record_set(record, "created", header->created);
	return ph_mapping_writer_write(write->writer, record, error);
}

/* "YYYYMMDDhhmmss" to ISO "YYYY-MM-DDThh:mm:ss" and its date. */
static void
bank_file_iso_time(const gchar *created, gchar time[20], gchar date[11])
{
	g_snprintf(time, 20, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2s", created, created + 4, created + 6,
	           created + 8, created + 10, created + 12);
	g_snprintf(date, 11, "%.10s", time);
}

static gboolean
bank_file_write_pain(BankFileWrite *write, const BankPartner *partner, const PhPayoutHeader *header,
                     GError **error)
{
	gchar batch_no[16], time[20], date[11];
	g_snprintf(batch_no, sizeof batch_no, "%010" G_GINT64_FORMAT, header->batch_no);
	bank_file_iso_time(header->created, time, date);
	/* unique per initiating party, as ISO asks: the batch number alone is the hub's */
	g_autofree gchar *msg_id =
	        g_strdup_printf("%s-%06d-%s", partner->agency, header->period, batch_no);
	if (strlen(msg_id) > BANK_FILE_ISO_ID_MAX) {
		g_set_error(
		        error, PH_ERROR, PH_ERROR_CONFIG,
		        "[plugin bank] %s.agency: pain.001 MsgId '%s' is longer than %d characters",
		        partner->name, msg_id, BANK_FILE_ISO_ID_MAX);
		return FALSE;
	}
	PhRecord *record = write->record;
	ph_record_reset(record, "GH");
	ph_record_set(record, "msg_id", msg_id);
	ph_record_set(record, "created", time);
	ph_record_set_int(record, "count", header->item_count);
	ph_record_set_int(record, "total", header->total);
	ph_record_set(record, "initiator", partner->payer_name);
	if (!ph_mapping_writer_write(write->writer, record, error))
		return FALSE;
	ph_record_reset(record, "PI");
	ph_record_set(record, "batch_no", batch_no);
	ph_record_set_int(record, "count", header->item_count);
	ph_record_set_int(record, "total", header->total);
	ph_record_set(record, "execution_date", date);
	ph_record_set(record, "payer_name", partner->payer_name);
	ph_record_set(record, "payer_account", partner->payer_account);
	ph_record_set(record, "payer_bank", partner->payer_bank);
	return ph_mapping_writer_write(write->writer, record, error);
}

gboolean
bank_file_write_payout(Bank *bank, const BankPartner *partner, const PhPayoutHeader *header,
                       GOutputStream *output, const gchar *name, GError **error)
{
	g_autoptr(PhRecord) record = ph_record_new();
	g_autofree gchar *memo = bank_file_memo(header->period);
	g_autoptr(PhMappingWriter) writer = ph_mapping_writer_new(partner->payout, output, name);
	BankFileWrite write = {writer, record,       partner->profile,
	                       memo,   strlen(memo), header->batch_no};
	gboolean head_ok = partner->profile == BANK_PROFILE_PAIN
	                           ? bank_file_write_pain(&write, partner, header, error)
	                           : bank_file_write_ph_bank_1(&write, partner, header, error);
	if (!head_ok || !ph_payout_api_foreach_line(bank->plugin, header->batch_no,
	                                            bank_file_write_line, &write, error))
		return FALSE;
	if (partner->profile == BANK_PROFILE_PH_BANK_1) {
		ph_record_reset(record, "T");
		if (!ph_mapping_writer_write(writer, record, error))
			return FALSE;
	}
	return ph_mapping_writer_finish(writer, error);
}

void
bank_file_done_clear(BankDone *done)
{
	g_clear_pointer(&done->hex, g_free);
}

GBytes *
bank_file_done_format(PhDigestAlg alg, const gchar *hex, gint64 count, gint64 total)
{
	gchar *text = g_strdup_printf("%s %s %" G_GINT64_FORMAT " %" G_GINT64_FORMAT "\r\n",
	                              ph_digest_alg_get_name(alg), hex, count, total);
	return g_bytes_new_take(text, strlen(text));
}

static gboolean
bank_file_parse_count(const gchar *text, gint64 *value)
{
	guint64 number = 0;
	if (!g_ascii_string_to_unsigned(text, 10, 0, G_MAXINT64, &number, NULL))
		return FALSE;
	*value = (gint64)number;
	return TRUE;
}

gboolean
bank_file_done_parse(GBytes *bytes, BankDone *done, GError **error)
{
	gsize size = 0;
	const gchar *data = g_bytes_get_data(bytes, &size);
	g_autofree gchar *text = g_strndup(data, size);
	g_auto(GStrv) fields = g_strsplit(g_strstrip(text), " ", -1);
	memset(done, 0, sizeof(*done));
	if (g_strv_length(fields) != 4 || !ph_digest_alg_from_name(fields[0], &done->alg, NULL) ||
	    strlen(fields[1]) != 64 || !bank_file_parse_count(fields[2], &done->count) ||
	    !bank_file_parse_count(fields[3], &done->total)) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "done file: '%s' is not '<SM3|SHA256> <64 hex digits> <count> <total>'",
		            text);
		return FALSE;
	}
	done->hex = g_ascii_strdown(fields[1], -1);
	return TRUE;
}
