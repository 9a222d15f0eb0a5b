/* The case state machine of transfer.md, one inbox message per transaction:
 *   transfer in:  LETTER_SENT → INFO_RECEIVED / FUND_RECEIVED (either order) → COMPLETED
 *                 (both there and agreeing: the core adds months, bases and balances, and a
 *                 RECEIPT goes back) or REJECTED (they disagree: a RECEIPT says why);
 *   transfer out: LETTER_RECEIVED → INFO_SENT → FUND_SENT (amounts from the core, whose
 *                 contributions stop: AAC031 = 2) → COMPLETED on the other side's RECEIPT
 *                 OK (enrolment here ends, AAC031 = 3) or REJECTED (paying again). */
#include <string.h>

#include "transfer-private.h"

static const gchar *const transfer_flow_final[] = {"COMPLETED", "REJECTED", NULL};

static gboolean transfer_flow_invalid(GError **error, const gchar *case_id, const gchar *format,
                                      ...) G_GNUC_PRINTF(3, 4);

static gboolean
transfer_flow_invalid(GError **error, const gchar *case_id, const gchar *format, ...)
{
	va_list args;
	va_start(args, format);
	g_autofree gchar *text = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "transfer case %s: %s", case_id, text);
	return FALSE;
}

/* The header of our reply on a case: to the sender of @to (or to the case's other side). */
static void
transfer_flow_reply_header(Transfer *transfer, const PhTransferCase *transfer_case,
                           const gchar *type, const gchar *prefix, TransferHeader *header)
{
	header->msg_id = transfer_send_new_id(transfer, prefix);
	header->msg_type = g_strdup(type);
	header->case_id = g_strdup(transfer_case->case_id);
	header->sender = g_strdup(transfer->agency);
	header->sender_region = g_strdup(transfer->region);
	header->receiver = g_strdup(transfer_case->other_agency);
	header->receiver_region = g_strdup(transfer_case->other_region);
}

static gboolean
transfer_flow_receipt(Transfer *transfer, PhTxn *txn, const PhTransferCase *transfer_case,
                      const gchar *ack_msg_id, const gchar *code, const gchar *text, GError **error)
{
	g_auto(TransferHeader) header = {0};
	transfer_flow_reply_header(transfer, transfer_case, "RECEIPT", "RCP", &header);
	g_autofree gchar *body = transfer_doc_receipt_body(ack_msg_id, code, text);
	return transfer_send_queue(transfer, txn, &header, body, error);
}

static gboolean
transfer_flow_step(Transfer *transfer, PhTxn *txn, PhTransferCase *transfer_case,
                   const gchar *state, GError **error)
{
	g_free(transfer_case->state);
	transfer_case->state = g_strdup(state);
	transfer_case->deadline =
	        transfer_days_deadline(g_get_real_time() / G_USEC_PER_SEC, transfer->deadline_days);
	return ph_transfer_case_update(txn, transfer_case, error);
}

static gboolean
transfer_flow_reject(Transfer *transfer, PhTxn *txn, PhTransferCase *transfer_case,
                     const gchar *ack_msg_id, const gchar *reason, GError **error)
{
	g_message("transfer case %s rejected: %s", transfer_case->case_id, reason);
	g_free(transfer_case->reason);
	transfer_case->reason = g_strdup(reason);
	return transfer_flow_step(transfer, txn, transfer_case, "REJECTED", error) &&
	       transfer_flow_receipt(transfer, txn, transfer_case, ack_msg_id, "REJECTED", reason,
	                             error);
}

/* ---- transfer in ---- */

static gboolean
transfer_flow_read_sheet(PhTxn *txn, const gchar *case_id, const gchar *type, TransferSheet *sheet,
                         GError **error)
{
	g_autoptr(GBytes) body = ph_transfer_message_find(txn, case_id, "in", type, error);
	g_autoptr(PhXmlDoc) doc = body != NULL ? ph_xml_doc_parse(body, NULL, error) : NULL;
	if (doc == NULL)
		return FALSE;
	return g_strcmp0(type, "INFO") == 0 ? transfer_sheet_read_info(doc, sheet, error)
	                                    : transfer_sheet_read_fund(doc, sheet, error);
}

/* Both INFO and FUND are there: complete when they agree, else reject. */
static gboolean
transfer_flow_complete_in(Transfer *transfer, PhTxn *txn, PhTransferCase *transfer_case,
                          const gchar *last_msg_id, GError **error)
{
	g_auto(TransferSheet) info = {0};
	g_auto(TransferSheet) fund = {0};
	const gchar *field = NULL;
	if (!transfer_flow_read_sheet(txn, transfer_case->case_id, "INFO", &info, error) ||
	    !transfer_flow_read_sheet(txn, transfer_case->case_id, "FUND", &fund, error))
		return FALSE;
	if (g_strcmp0(info.id_number, transfer_case->id_number) != 0) {
		/* the reason is stored and sent: numbers masked (docs/security.md, "Logs") */
		g_autofree gchar *theirs = ph_mask_id_number(info.id_number);
		g_autofree gchar *ours = ph_mask_id_number(transfer_case->id_number);
		g_autofree gchar *reason =
		        g_strdup_printf("INFO names %s, the case %s", theirs, ours);
		return transfer_flow_reject(transfer, txn, transfer_case, last_msg_id, reason,
		                            error);
	}
	if (!transfer_sheet_agree(&info, &fund, &field)) {
		g_autofree gchar *reason = g_strdup_printf("INFO and FUND disagree on %s", field);
		return transfer_flow_reject(transfer, txn, transfer_case, last_msg_id, reason,
		                            error);
	}
	g_autoptr(GError) refused = NULL;
	if (!transfer_core_in(txn, transfer_case->case_id, transfer_case->other_region, &info,
	                      &refused)) {
		/* The core checks its input before writing: a sheet it refuses (months already
		 * contributed here, a person not enrolled) rejects the case, with the reason. */
		if (g_error_matches(refused, PH_ERROR, PH_ERROR_INVALID_INPUT))
			return transfer_flow_reject(transfer, txn, transfer_case, last_msg_id,
			                            refused->message, error);
		g_propagate_error(error, g_steal_pointer(&refused));
		return FALSE;
	}
	return transfer_flow_step(transfer, txn, transfer_case, "COMPLETED", error) &&
	       transfer_flow_receipt(transfer, txn, transfer_case, last_msg_id, "OK",
	                             "transfer applied", error);
}

static gboolean
transfer_flow_info_or_fund(Transfer *transfer, PhTxn *txn, PhTransferCase *transfer_case,
                           const TransferHeader *header, PhXmlDoc *doc, GError **error)
{
	gboolean info = g_strcmp0(header->msg_type, "INFO") == 0;
	const gchar *arrived = info ? "INFO_RECEIVED" : "FUND_RECEIVED";
	const gchar *other = info ? "FUND_RECEIVED" : "INFO_RECEIVED";
	g_auto(TransferSheet) sheet = {0};
	if (g_strcmp0(transfer_case->direction, "in") != 0)
		return transfer_flow_invalid(error, header->case_id, "%s on a transfer out",
		                             header->msg_type);
	/* Read it now so that a bad sheet fails the message, not the completion later. */
	if (!(info ? transfer_sheet_read_info(doc, &sheet, error)
	           : transfer_sheet_read_fund(doc, &sheet, error)))
		return FALSE;
	if (g_strcmp0(transfer_case->state, "LETTER_SENT") == 0)
		return transfer_flow_step(transfer, txn, transfer_case, arrived, error);
	if (g_strcmp0(transfer_case->state, other) == 0)
		return transfer_flow_complete_in(transfer, txn, transfer_case, header->msg_id,
		                                 error);
	return transfer_flow_invalid(error, header->case_id, "%s in state %s", header->msg_type,
	                             transfer_case->state);
}

/* ---- transfer out ---- */

static gboolean
transfer_flow_letter(Transfer *transfer, PhTxn *txn, const TransferHeader *header, PhXmlDoc *doc,
                     GError **error)
{
	g_autofree gchar *direction = ph_xml_doc_get_text(doc, "Body/EAC071");
	g_autofree gchar *id_number = ph_xml_doc_get_text(doc, "Body/Person/AAC002");
	if (g_strcmp0(direction, "2") != 0)
		return transfer_flow_invalid(error, header->case_id,
		                             "LETTER with EAC071 '%s': only 2 (the sender receives "
		                             "the member) asks us for a transfer out",
		                             direction);
	g_autoptr(GError) missing = NULL;
	g_autoptr(PhTransferCase) existing = ph_transfer_case_lock(txn, header->case_id, &missing);
	if (existing != NULL)
		return transfer_flow_invalid(error, header->case_id, "another LETTER for the case");
	if (!g_error_matches(missing, PH_ERROR, PH_ERROR_NOT_FOUND)) {
		g_propagate_error(error, g_steal_pointer(&missing));
		return FALSE;
	}
	g_autoptr(PhTransferCase) transfer_case = g_new0(PhTransferCase, 1);
	transfer_case->case_id = g_strdup(header->case_id);
	transfer_case->direction = g_strdup("out");
	transfer_case->state = g_strdup("LETTER_RECEIVED");
	transfer_case->id_number = g_strdup(id_number);
	transfer_case->other_agency = g_strdup(header->sender);
	transfer_case->other_region = g_strdup(header->sender_region);
	transfer_case->deadline =
	        transfer_days_deadline(g_get_real_time() / G_USEC_PER_SEC, transfer->deadline_days);
	if (!ph_transfer_case_create(txn, transfer_case, error))
		return FALSE;
	g_auto(TransferSheet) sheet = {0};
	g_autoptr(GError) refused = NULL;
	if (!transfer_core_out(txn, header->case_id, id_number, header->sender_region, &sheet,
	                       &refused)) {
		if (!g_error_matches(refused, PH_ERROR, PH_ERROR_INVALID_INPUT) &&
		    !g_error_matches(refused, PH_ERROR, PH_ERROR_NOT_FOUND)) {
			g_propagate_error(error, g_steal_pointer(&refused));
			return FALSE;
		}
		return transfer_flow_reject(transfer, txn, transfer_case, header->msg_id,
		                            refused->message, error);
	}
	g_auto(TransferHeader) info = {0};
	g_auto(TransferHeader) fund = {0};
	transfer_flow_reply_header(transfer, transfer_case, "INFO", "INF", &info);
	transfer_flow_reply_header(transfer, transfer_case, "FUND", "FND", &fund);
	g_autofree gchar *info_body = transfer_doc_info_body(&sheet);
	sheet.bank_reference = g_strdup_printf("BK-%s", header->case_id);
	g_autoptr(GDateTime) today = g_date_time_new_now_utc();
	sheet.value_date = g_date_time_format(today, "%Y%m%d");
	g_autofree gchar *fund_body = transfer_doc_fund_body(&sheet);
	return transfer_send_queue(transfer, txn, &info, info_body, error) &&
	       transfer_flow_step(transfer, txn, transfer_case, "INFO_SENT", error) &&
	       transfer_send_queue(transfer, txn, &fund, fund_body, error) &&
	       transfer_flow_step(transfer, txn, transfer_case, "FUND_SENT", error);
}

/* Whether the RECEIPT acknowledges the message the case waits on: in FUND_SENT, our FUND. A
 * RECEIPT for any other message is no answer to this case. */
static gboolean
transfer_flow_check_ack(PhTxn *txn, const PhTransferCase *transfer_case, PhXmlDoc *doc,
                        GError **error)
{
	g_autoptr(GBytes) fund =
	        ph_transfer_message_find(txn, transfer_case->case_id, "out", "FUND", error);
	g_autoptr(PhXmlDoc) ours = fund != NULL ? ph_xml_doc_parse(fund, NULL, error) : NULL;
	if (ours == NULL)
		return FALSE;
	g_autofree gchar *awaited = ph_xml_doc_get_text(ours, "Header/MsgId");
	g_autofree gchar *ack = ph_xml_doc_get_text(doc, "Body/AckMsgId");
	if (ack != NULL && g_strcmp0(ack, awaited) == 0)
		return TRUE;
	/* their text: numbers masked like any outside text kept in a reason */
	g_autofree gchar *said = ack != NULL ? transfer_doc_mask_numbers(ack) : NULL;
	return transfer_flow_invalid(error, transfer_case->case_id,
	                             "RECEIPT: Body/AckMsgId: acknowledges %s, but the case waits "
	                             "on a receipt for %s",
	                             said != NULL ? said : "nothing (missing)", awaited);
}

static gboolean
transfer_flow_receipt_in(Transfer *transfer, PhTxn *txn, PhTransferCase *transfer_case,
                         const TransferHeader *header, PhXmlDoc *doc, GError **error)
{
	g_autofree gchar *code = ph_xml_doc_get_text(doc, "Body/ResultCode");
	g_autofree gchar *text = ph_xml_doc_get_text(doc, "Body/ResultText");
	if (g_strcmp0(transfer_case->direction, "out") != 0 ||
	    g_strcmp0(transfer_case->state, "FUND_SENT") != 0)
		return transfer_flow_invalid(error, header->case_id, "RECEIPT in state %s (%s)",
		                             transfer_case->state, transfer_case->direction);
	/* The schema takes any body under any MsgType: a RECEIPT without a result is no
	 * answer, and must neither reject nor complete the case. */
	if (code == NULL)
		return transfer_flow_invalid(error, header->case_id,
		                             "RECEIPT: Body/ResultCode: missing");
	if (!transfer_flow_check_ack(txn, transfer_case, doc, error))
		return FALSE;
	if (g_strcmp0(code, "OK") != 0) {
		/* their words may name the member: kept in plain text, so masked */
		g_autofree gchar *said = transfer_doc_mask_numbers(text != NULL ? text : "");
		g_free(transfer_case->reason);
		transfer_case->reason =
		        g_strdup_printf("the other side answered %s: %s", code, said);
		return transfer_core_end(txn, transfer_case->case_id, FALSE, error) &&
		       transfer_flow_step(transfer, txn, transfer_case, "REJECTED", error);
	}
	return transfer_core_end(txn, transfer_case->case_id, TRUE, error) &&
	       transfer_flow_step(transfer, txn, transfer_case, "COMPLETED", error);
}

/* ---- inbox handlers ---- */

static gboolean
transfer_flow_on_case(Transfer *transfer, PhTxn *txn, const TransferHeader *header, PhXmlDoc *doc,
                      GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(PhTransferCase) transfer_case =
	        ph_transfer_case_lock(txn, header->case_id, &local);
	if (transfer_case == NULL && g_error_matches(local, PH_ERROR, PH_ERROR_NOT_FOUND))
		/* Not a case of ours: kept as failed, never retried. */
		return transfer_flow_invalid(error, header->case_id, "%s for an unknown case",
		                             header->msg_type);
	if (transfer_case == NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	if (g_strv_contains(transfer_flow_final, transfer_case->state))
		return transfer_flow_invalid(error, header->case_id, "%s after the case was %s",
		                             header->msg_type, transfer_case->state);
	if (g_strcmp0(header->sender, transfer_case->other_agency) != 0)
		return transfer_flow_invalid(
		        error, header->case_id, "%s from %s, but the case is with %s",
		        header->msg_type, header->sender, transfer_case->other_agency);
	if (g_strcmp0(header->msg_type, "RECEIPT") == 0)
		return transfer_flow_receipt_in(transfer, txn, transfer_case, header, doc, error);
	return transfer_flow_info_or_fund(transfer, txn, transfer_case, header, doc, error);
}

gboolean
transfer_flow_apply_message(PhTxn *txn, const PhInboxMessage *message, gpointer state,
                            GError **error)
{
	Transfer *transfer = state;
	g_auto(TransferHeader) header = {0};
	g_autoptr(PhXmlDoc) doc = ph_xml_doc_parse(message->body, NULL, error);
	if (doc == NULL || !transfer_header_read(doc, &header, error))
		return FALSE;
	PhTransferMessage trace = {header.case_id, header.msg_id, "in",         header.msg_type,
	                           "ACCEPTED",     NULL,          message->body};
	if (!ph_transfer_message_add(txn, &trace, error))
		return FALSE;
	if (g_strcmp0(header.msg_type, "CERT") == 0)
		return TRUE; /* a certificate of contributions: kept and traced only */
	if (g_strcmp0(header.msg_type, "LETTER") == 0)
		return transfer_flow_letter(transfer, txn, &header, doc, error);
	return transfer_flow_on_case(transfer, txn, &header, doc, error);
}

/* A clerk's `pensionctl transfer start`: the body is "AAC002\nREGION\n". */
gboolean
transfer_flow_apply_start(PhTxn *txn, const PhInboxMessage *message, gpointer state, GError **error)
{
	Transfer *transfer = state;
	g_autofree gchar *text =
	        g_strndup(g_bytes_get_data(message->body, NULL), g_bytes_get_size(message->body));
	g_auto(GStrv) lines = g_strsplit(text, "\n", 3);
	if (lines[0] == NULL || lines[1] == NULL || strlen(lines[1]) != 6) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "transfer start %s: expected the person and the region",
		            message->message_id);
		return FALSE;
	}
	g_auto(TransferPerson) person = {0};
	g_autoptr(GError) unknown = NULL;
	if (!transfer_core_person(txn, lines[0], &person, &unknown)) {
		/* A number the hub does not know will not become known by retrying: fail the
		 * request for good (the inbox retries any other error). */
		if (g_error_matches(unknown, PH_ERROR, PH_ERROR_NOT_FOUND))
			unknown->code = PH_ERROR_INVALID_INPUT;
		g_propagate_error(error, g_steal_pointer(&unknown));
		return FALSE;
	}
	const gchar *peer = g_hash_table_lookup(transfer->peer_agencies, lines[1]);
	g_autofree gchar *default_peer = g_strdup_printf("%s000001", lines[1]);
	g_autoptr(PhTransferCase) transfer_case = g_new0(PhTransferCase, 1);
	transfer_case->case_id = g_strdup(message->message_id);
	transfer_case->direction = g_strdup("in");
	transfer_case->state = g_strdup("LETTER_SENT");
	transfer_case->id_number = g_strdup(lines[0]);
	transfer_case->other_agency = g_strdup(peer != NULL ? peer : default_peer);
	transfer_case->other_region = g_strdup(lines[1]);
	transfer_case->deadline =
	        transfer_days_deadline(g_get_real_time() / G_USEC_PER_SEC, transfer->deadline_days);
	g_auto(TransferHeader) header = {0};
	transfer_flow_reply_header(transfer, transfer_case, "LETTER", "LTR", &header);
	g_autofree gchar *body =
	        transfer_doc_letter_body(&person, transfer->region, transfer->agency_name);
	return ph_transfer_case_create(txn, transfer_case, error) &&
	       transfer_send_queue(transfer, txn, &header, body, error);
}

void
transfer_flow_report_overdue(gpointer state)
{
	Transfer *transfer = state;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) overdue = ph_transfer_case_take_overdue(transfer->plugin, &error);
	if (overdue == NULL) {
		g_warning("cannot look for overdue transfer cases: %s", error->message);
		return;
	}
	for (guint i = 0; i < overdue->len; i++) {
		const PhTransferCase *transfer_case = overdue->pdata[i];
		g_autoptr(GDateTime) deadline =
		        g_date_time_new_from_unix_utc(transfer_case->deadline);
		g_autofree gchar *when = g_date_time_format_iso8601(deadline);
		g_warning("transfer case %s (%s, %s) is past its step deadline %s",
		          transfer_case->case_id, transfer_case->direction, transfer_case->state,
		          when);
	}
}
