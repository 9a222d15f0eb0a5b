/* Documents of profile PH-XFER-1 (../shared/formats/transfer.md): reading a verified
 * message's header and bodies, exact yuan ↔ fen, and building our documents and Acks. */
#include <string.h>

#include "transfer-private.h"

void
transfer_header_clear(TransferHeader *header)
{
	g_clear_pointer(&header->msg_id, g_free);
	g_clear_pointer(&header->msg_type, g_free);
	g_clear_pointer(&header->case_id, g_free);
	g_clear_pointer(&header->sender, g_free);
	g_clear_pointer(&header->sender_region, g_free);
	g_clear_pointer(&header->receiver, g_free);
	g_clear_pointer(&header->receiver_region, g_free);
	g_clear_pointer(&header->sent_at_text, g_free);
}

static gchar *
transfer_doc_require(PhXmlDoc *doc, const gchar *path, GError **error)
{
	gchar *text = ph_xml_doc_get_text(doc, path);
	if (text == NULL || text[0] == '\0') {
		g_free(text);
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "%s: missing", path);
		return NULL;
	}
	return text;
}

gboolean
transfer_header_read(PhXmlDoc *doc, TransferHeader *header, GError **error)
{
	if (g_strcmp0(ph_xml_doc_get_root_namespace(doc), TRANSFER_NAMESPACE) != 0 ||
	    g_strcmp0(ph_xml_doc_get_root_name(doc), "TransferMessage") != 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "not a TransferMessage of %s",
		            TRANSFER_NAMESPACE);
		return FALSE;
	}
	if ((header->msg_id = transfer_doc_require(doc, "Header/MsgId", error)) == NULL ||
	    (header->msg_type = transfer_doc_require(doc, "Header/MsgType", error)) == NULL ||
	    (header->case_id = transfer_doc_require(doc, "Header/CaseId", error)) == NULL ||
	    (header->sender = transfer_doc_require(doc, "Header/Sender", error)) == NULL ||
	    (header->sender_region = transfer_doc_require(doc, "Header/SenderRegion", error)) ==
	            NULL ||
	    (header->receiver = transfer_doc_require(doc, "Header/Receiver", error)) == NULL ||
	    (header->receiver_region = transfer_doc_require(doc, "Header/ReceiverRegion", error)) ==
	            NULL ||
	    (header->sent_at_text = transfer_doc_require(doc, "Header/SentAt", error)) == NULL)
		return FALSE;
	g_autoptr(GDateTime) sent_at = g_date_time_new_from_iso8601(header->sent_at_text, NULL);
	if (sent_at == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "Header/SentAt: '%s' is not a date and time with a zone",
		            header->sent_at_text);
		return FALSE;
	}
	header->sent_at = g_date_time_to_unix(sent_at);
	return TRUE;
}

/* The element only the body of each MsgType has (transfer-1.xsd: Body is a choice of the
 * five bodies, so with that element the rest of its body was validated too). */
static const gchar *const transfer_doc_body_marks[][2] = {
        {"LETTER", "Body/EAC071"},      {"CERT", "Body/AAC049"},        {"INFO", "Body/Bases"},
        {"FUND", "Body/BankReference"}, {"RECEIPT", "Body/ResultCode"},
};

gboolean
transfer_doc_check_body(PhXmlDoc *doc, const TransferHeader *header, GError **error)
{
	for (guint i = 0; i < G_N_ELEMENTS(transfer_doc_body_marks); i++) {
		if (g_strcmp0(header->msg_type, transfer_doc_body_marks[i][0]) != 0)
			continue;
		if (ph_xml_doc_count(doc, transfer_doc_body_marks[i][1]) == 1)
			return TRUE;
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "Body: not the body of a %s (no %s)", header->msg_type,
		            transfer_doc_body_marks[i][1]);
		return FALSE;
	}
	g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "Header/MsgType: '%s' is unknown",
	            header->msg_type);
	return FALSE;
}

/* ---- amounts ---- */

gboolean
transfer_yuan_to_fen(const gchar *field, const gchar *text, gint64 *fen, GError **error)
{
	/* D16.2: at most 14 integer digits, a point, exactly two decimals; no sign. */
	const gchar *point = text != NULL ? strchr(text, '.') : NULL;
	gsize whole = point != NULL ? (gsize)(point - text) : 0;
	gboolean ok = point != NULL && whole >= 1 && whole <= 14 && strlen(point) == 3 &&
	              g_ascii_isdigit(point[1]) && g_ascii_isdigit(point[2]) &&
	              (whole == 1 || text[0] != '0');
	for (gsize i = 0; ok && i < whole; i++)
		ok = g_ascii_isdigit(text[i]);
	if (!ok) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "%s: '%s' is not an amount in yuan with two decimals", field,
		            text != NULL ? text : "");
		return FALSE;
	}
	gint64 yuan = 0;
	for (gsize i = 0; i < whole; i++)
		yuan = yuan * 10 + (text[i] - '0');
	*fen = yuan * 100 + (point[1] - '0') * 10 + (point[2] - '0');
	return TRUE;
}

gchar *
transfer_fen_to_yuan(gint64 fen)
{
	const gchar *sign = fen < 0 ? "-" : "";
	guint64 magnitude = fen < 0 ? (guint64)(-(fen + 1)) + 1 : (guint64)fen;
	return g_strdup_printf("%s%" G_GUINT64_FORMAT ".%02u", sign, magnitude / 100,
	                       (guint)(magnitude % 100));
}

static gboolean
transfer_doc_amount(PhXmlDoc *doc, const gchar *path, gint64 *fen, GError **error)
{
	g_autofree gchar *text = transfer_doc_require(doc, path, error);
	return text != NULL && transfer_yuan_to_fen(path, text, fen, error);
}

static gboolean
transfer_doc_months(PhXmlDoc *doc, const gchar *path, gint *months, GError **error)
{
	g_autofree gchar *text = transfer_doc_require(doc, path, error);
	guint64 value = 0;
	if (text == NULL)
		return FALSE;
	if (!g_ascii_string_to_unsigned(text, 10, 0, 999, &value, NULL)) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "%s: '%s' is not a count",
		            path, text);
		return FALSE;
	}
	*months = (gint)value;
	return TRUE;
}

void
transfer_sheet_clear(TransferSheet *sheet)
{
	g_clear_pointer(&sheet->id_number, g_free);
	g_clear_pointer(&sheet->name, g_free);
	g_clear_pointer(&sheet->sex, g_free);
	g_clear_pointer(&sheet->birth, g_free);
	g_clear_pointer(&sheet->deemed_index, g_free);
	g_clear_pointer(&sheet->months, g_array_unref);
	g_clear_pointer(&sheet->bank_reference, g_free);
	g_clear_pointer(&sheet->value_date, g_free);
}

static gboolean
transfer_sheet_read_bases(PhXmlDoc *doc, TransferSheet *sheet, GError **error)
{
	g_auto(GStrv) bases = ph_xml_doc_get_texts(doc, "Body/Bases/Base");
	g_auto(GStrv) periods = ph_xml_doc_get_attributes(doc, "Body/Bases/Base", "period");
	sheet->months = g_array_new(FALSE, FALSE, sizeof(TransferMonth));
	for (guint i = 0; bases[i] != NULL; i++) {
		TransferMonth month = {0};
		guint64 period = 0;
		if (!g_ascii_string_to_unsigned(periods[i], 10, 190001, 299912, &period, NULL)) {
			g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
			            "Body/Bases/Base %u: period '%s' is not YYYYMM", i + 1,
			            periods[i]);
			return FALSE;
		}
		month.period = (gint32)period;
		if (!transfer_yuan_to_fen("Body/Bases/Base", bases[i], &month.base, error))
			return FALSE;
		g_array_append_val(sheet->months, month);
	}
	return TRUE;
}

gboolean
transfer_sheet_read_info(PhXmlDoc *doc, TransferSheet *sheet, GError **error)
{
	g_auto(GStrv) index = ph_xml_doc_get_attributes(doc, "Body/Index", "deemed");
	if ((sheet->id_number = transfer_doc_require(doc, "Body/Person/AAC002", error)) == NULL ||
	    (sheet->name = transfer_doc_require(doc, "Body/Person/AAC003", error)) == NULL ||
	    (sheet->sex = transfer_doc_require(doc, "Body/Person/AAC004", error)) == NULL ||
	    (sheet->birth = transfer_doc_require(doc, "Body/Person/AAC006", error)) == NULL ||
	    !transfer_doc_months(doc, "Body/AAE200", &sheet->deemed_months, error) ||
	    !transfer_doc_months(doc, "Body/AAE201", &sheet->actual_months, error) ||
	    !transfer_sheet_read_bases(doc, sheet, error) ||
	    !transfer_doc_amount(doc, "Body/AIC268", &sheet->account_total, error) ||
	    !transfer_doc_amount(doc, "Body/AIC099", &sheet->account, error) ||
	    !transfer_doc_amount(doc, "Body/AIC103", &sheet->pooled, error) ||
	    !transfer_doc_amount(doc, "Body/AIC102", &sheet->total, error) ||
	    !transfer_doc_amount(doc, "Body/AnnuityBalance", &sheet->annuity, error))
		return FALSE;
	if (index[0] == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "Body/Index: missing");
		return FALSE;
	}
	sheet->deemed_index = g_strdup(index[0]);
	if (sheet->months->len != (guint)sheet->actual_months) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "Body/AAE201: %d actual months but %u bases", sheet->actual_months,
		            sheet->months->len);
		return FALSE;
	}
	if (sheet->account + sheet->pooled != sheet->total) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "Body/AIC102: total is not AIC099 + AIC103");
		return FALSE;
	}
	return TRUE;
}

gboolean
transfer_sheet_read_fund(PhXmlDoc *doc, TransferSheet *sheet, GError **error)
{
	return transfer_doc_amount(doc, "Body/AIC102", &sheet->total, error) &&
	       transfer_doc_amount(doc, "Body/AIC099", &sheet->account, error) &&
	       transfer_doc_amount(doc, "Body/AIC103", &sheet->pooled, error) &&
	       transfer_doc_amount(doc, "Body/AnnuityAmount", &sheet->annuity, error) &&
	       (sheet->bank_reference = transfer_doc_require(doc, "Body/BankReference", error)) !=
	               NULL &&
	       (sheet->value_date = transfer_doc_require(doc, "Body/ValueDate", error)) != NULL;
}

gboolean
transfer_sheet_agree(const TransferSheet *info, const TransferSheet *fund, const gchar **field)
{
	*field = info->total != fund->total       ? "AIC102"
	         : info->account != fund->account ? "AIC099"
	         : info->pooled != fund->pooled   ? "AIC103"
	         : info->annuity != fund->annuity ? "annuity"
	                                          : NULL;
	return *field == NULL;
}

/* ---- texts ---- */

gchar *
transfer_doc_mask_numbers(const gchar *text)
{
	GString *masked = g_string_new(NULL);
	const gchar *at = text;
	while (*at != '\0') {
		gsize run = strspn(at, "0123456789Xx");
		if (run == 0) {
			g_string_append_c(masked, *at++);
			continue;
		}
		g_autofree gchar *number = g_strndup(at, run);
		/* an ID number's lengths masked as one, any other long run as an account (AAE010:
		 * only its last four shown) */
		g_autofree gchar *shown = run == 15 || run == 18 ? ph_mask_id_number(number)
		                          : run >= 15            ? ph_mask_account(number)
		                                                 : NULL;
		g_string_append(masked, shown != NULL ? shown : number);
		at += run;
	}
	return g_string_free(masked, FALSE);
}

gchar *
transfer_doc_masked_excerpt(const gchar *data, gsize length, glong max)
{
	g_autofree gchar *text = g_utf8_make_valid(data != NULL ? data : "", (gssize)length);
	g_autofree gchar *masked = transfer_doc_mask_numbers(text);
	return g_utf8_substring(masked, 0, MIN(g_utf8_strlen(masked, -1), max));
}

/* ---- building ---- */

void
transfer_person_clear(TransferPerson *person)
{
	g_clear_pointer(&person->id_number, g_free);
	g_clear_pointer(&person->name, g_free);
	g_clear_pointer(&person->sex, g_free);
	g_clear_pointer(&person->birth, g_free);
}

static gchar *
transfer_doc_now(void)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	return g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
}

GBytes *
transfer_doc_build(const TransferHeader *header, const gchar *body_xml)
{
	g_autofree gchar *now = transfer_doc_now();
	gchar *text = g_markup_printf_escaped(
	        "<TransferMessage xmlns=\"" TRANSFER_NAMESPACE "\">\n"
	        "  <Header>\n"
	        "    <MsgId>%s</MsgId>\n"
	        "    <MsgType>%s</MsgType>\n"
	        "    <CaseId>%s</CaseId>\n"
	        "    <Sender>%s</Sender><SenderRegion>%s</SenderRegion>\n"
	        "    <Receiver>%s</Receiver><ReceiverRegion>%s</ReceiverRegion>\n"
	        "    <SentAt>%s</SentAt>\n"
	        "  </Header>\n",
	        header->msg_id, header->msg_type, header->case_id, header->sender,
	        header->sender_region, header->receiver, header->receiver_region,
	        header->sent_at_text != NULL ? header->sent_at_text : now);
	GString *document = g_string_new(text);
	g_free(text);
	g_string_append_printf(document, "  <Body>\n%s  </Body>\n</TransferMessage>\n", body_xml);
	return g_string_free_to_bytes(document);
}

GBytes *
transfer_doc_renew(GBytes *signed_document, TransferHeader *header, GError **error)
{
	g_autoptr(PhXmlDoc) doc = ph_xml_doc_parse(signed_document, NULL, error);
	if (doc == NULL || !transfer_header_read(doc, header, error))
		return NULL;
	gsize size = 0;
	gconstpointer data = g_bytes_get_data(signed_document, &size);
	g_autofree gchar *text = g_strndup(data, size);
	/* the signer appended its ds:Signature as the root's last child: the text before it and
	 * the root's end tag are the document it signed */
	g_autofree gchar *old_sent_at =
	        g_strdup_printf("<SentAt>%s</SentAt>", header->sent_at_text);
	const gchar *body_end = g_strrstr(text, "</Body>");
	const gchar *signature = body_end != NULL ? strstr(body_end, "<ds:Signature") : NULL;
	const gchar *end = g_strrstr(text, "</TransferMessage>");
	const gchar *sent_at = strstr(text, old_sent_at);
	if (signature == NULL || end == NULL || sent_at == NULL || end < signature ||
	    sent_at > body_end) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "message %s: not a document signed here", header->msg_id);
		return NULL;
	}
	g_autofree gchar *now = transfer_doc_now();
	const gchar *after = sent_at + strlen(old_sent_at);
	GString *renewed = g_string_new_len(text, sent_at - text);
	g_string_append_printf(renewed, "<SentAt>%s</SentAt>", now);
	g_string_append_len(renewed, after, signature - after);
	g_string_append(renewed, end);
	return g_string_free_to_bytes(renewed);
}

gchar *
transfer_doc_person(const TransferPerson *person)
{
	return g_markup_printf_escaped(
	        "    <Person>\n      <AAC002>%s</AAC002><AAC003>%s</AAC003>\n"
	        "      <AAC004>%s</AAC004><AAC006>%s</AAC006>\n    </Person>\n",
	        person->id_number, person->name, person->sex, person->birth);
}

gchar *
transfer_doc_letter_body(const TransferPerson *person, const gchar *our_region,
                         const gchar *our_agency_name)
{
	g_autofree gchar *who = transfer_doc_person(person);
	g_autofree gchar *rest = g_markup_printf_escaped(
	        "    <AAE140>120</AAE140>\n    <EAC071>2</EAC071>\n    <OAA027>%s</OAA027>\n"
	        "    <AAC077>%s</AAC077>\n",
	        our_region, our_agency_name);
	return g_strconcat(who, rest, NULL);
}

gchar *
transfer_doc_info_body(const TransferSheet *sheet)
{
	TransferPerson person = {sheet->id_number, sheet->name, sheet->sex, sheet->birth};
	g_autofree gchar *who = transfer_doc_person(&person);
	GString *body = g_string_new(who);
	g_string_append_printf(body,
	                       "    <AAE200>%d</AAE200>\n    <AAE201>%d</AAE201>\n    <Bases>",
	                       sheet->deemed_months, sheet->actual_months);
	for (guint i = 0; sheet->months != NULL && i < sheet->months->len; i++) {
		const TransferMonth *month = &g_array_index(sheet->months, TransferMonth, i);
		g_autofree gchar *base = transfer_fen_to_yuan(month->base);
		g_string_append_printf(body, "<Base period=\"%06d\">%s</Base>", month->period,
		                       base);
	}
	g_autofree gchar *account_total = transfer_fen_to_yuan(sheet->account_total);
	g_autofree gchar *account = transfer_fen_to_yuan(sheet->account);
	g_autofree gchar *pooled = transfer_fen_to_yuan(sheet->pooled);
	g_autofree gchar *total = transfer_fen_to_yuan(sheet->total);
	g_autofree gchar *annuity = transfer_fen_to_yuan(sheet->annuity);
	g_autofree gchar *index = g_markup_escape_text(sheet->deemed_index, -1);
	g_string_append_printf(body,
	                       "</Bases>\n    <Index deemed=\"%s\"/>\n    <AIC268>%s</AIC268>\n"
	                       "    <AIC099>%s</AIC099>\n    <AIC103>%s</AIC103>\n"
	                       "    <AIC102>%s</AIC102>\n    <AnnuityBalance>%s</AnnuityBalance>\n",
	                       index, account_total, account, pooled, total, annuity);
	return g_string_free(body, FALSE);
}

gchar *
transfer_doc_fund_body(const TransferSheet *sheet)
{
	g_autofree gchar *account = transfer_fen_to_yuan(sheet->account);
	g_autofree gchar *pooled = transfer_fen_to_yuan(sheet->pooled);
	g_autofree gchar *total = transfer_fen_to_yuan(sheet->total);
	g_autofree gchar *annuity = transfer_fen_to_yuan(sheet->annuity);
	return g_markup_printf_escaped(
	        "    <AIC102>%s</AIC102>\n    <AIC099>%s</AIC099>\n    <AIC103>%s</AIC103>\n"
	        "    <AnnuityAmount>%s</AnnuityAmount>\n    <BankReference>%s</BankReference>\n"
	        "    <ValueDate>%s</ValueDate>\n",
	        total, account, pooled, annuity, sheet->bank_reference, sheet->value_date);
}

gchar *
transfer_doc_receipt_body(const gchar *ack_msg_id, const gchar *code, const gchar *text)
{
	return g_markup_printf_escaped(
	        "    <AckMsgId>%s</AckMsgId>\n    <ResultCode>%s</ResultCode>\n"
	        "    <ResultText>%s</ResultText>\n",
	        ack_msg_id, code, text);
}

GBytes *
transfer_doc_ack(const gchar *msg_id, const gchar *status, const gchar *message)
{
	gchar *text = g_markup_printf_escaped(
	        "<Ack><MsgId>%s</MsgId><Status>%s</Status><Message>%s</Message></Ack>\n",
	        msg_id != NULL ? msg_id : "", status, message);
	return g_bytes_new_take(text, strlen(text));
}
