/* Our documents to the platform: built, signed with the hub's key at queue time (so that a
 * retry sends the same bytes and the platform can drop repeats), queued on the outbox in
 * the case's transaction, and delivered over mTLS with the host's HTTPS client; one the
 * platform refuses as expired is signed again with SentAt now. */
#include <string.h>

#include "transfer-private.h"

gchar *
transfer_send_new_id(Transfer *transfer, const gchar *prefix)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree gchar *day = g_date_time_format(now, "%Y%m%d");
	return g_strdup_printf("%s-%s-%s-%08x%04x", prefix, transfer->region, day, g_random_int(),
	                       g_random_int_range(0, 0x10000));
}

gboolean
transfer_send_queue(Transfer *transfer, PhTxn *txn, const TransferHeader *header,
                    const gchar *body_xml, GError **error)
{
	g_autoptr(GBytes) document = transfer_doc_build(header, body_xml);
	g_autoptr(GBytes) signed_document = ph_xml_signer_sign(transfer->signer, document, error);
	if (signed_document == NULL)
		return FALSE;
	PhTransferMessage trace = {header->case_id,  header->msg_id, "out",
	                           header->msg_type, "QUEUED",       NULL,
	                           signed_document};
	return ph_txn_outbox_add(txn, TRANSFER_TOPIC_SEND, header->msg_id, signed_document,
	                         error) &&
	       ph_transfer_message_add(txn, &trace, error);
}

/* The Status of the platform's <Ack>, or NULL when the answer is not one. */
static gchar *
transfer_send_ack_status(GBytes *body)
{
	g_autoptr(PhXmlDoc) ack = ph_xml_doc_parse(body, NULL, NULL);
	return ack != NULL ? ph_xml_doc_get_text(ack, "Status") : NULL;
}

static void
transfer_send_note(Transfer *transfer, const gchar *msg_id, const gchar *verdict,
                   const gchar *detail)
{
	g_autoptr(GError) error = NULL;
	if (!ph_transfer_message_set_verdict(transfer->plugin, msg_id, verdict, detail, &error))
		g_warning("message %s: cannot record the delivery outcome: %s", msg_id,
		          error->message);
}

static PhHttpResponse *
transfer_send_post(Transfer *transfer, GBytes *document, GError **error)
{
	PhHttpRequest request = {
	        .url = transfer->platform_url,
	        .content_type = "application/xml",
	        .body = document,
	        .ca_path = transfer->platform_ca,
	        .connect_timeout_ms = 10000,
	        .timeout_ms = (guint)transfer->timeout_seconds * 1000,
	};
	return ph_http_post(transfer->plugin, &request, error);
}

/* Whether @error is the platform's refusal @http_status with the Ack Status @status:
 * ph_http_post puts a 4xx answer's status and body in the message, "URL answered N: BODY". */
static gboolean
transfer_send_refused(Transfer *transfer, const GError *error, guint http_status,
                      const gchar *status)
{
	g_autofree gchar *prefix =
	        g_strdup_printf("%s answered %u: ", transfer->platform_url, http_status);
	if (!g_error_matches(error, PH_ERROR, PH_ERROR_PERMANENT) ||
	    !g_str_has_prefix(error->message, prefix))
		return FALSE;
	const gchar *body = error->message + strlen(prefix);
	g_autoptr(GBytes) ack = g_bytes_new(body, strlen(body));
	g_autofree gchar *said = transfer_send_ack_status(ack);
	return g_strcmp0(said, status) == 0;
}

/* The platform answered EXPIRED: it verified the document and refused it as too old, so it
 * did not take it. The same document (same MsgId, same body) is signed again with SentAt
 * now, recorded as what was sent for the message, and sent. *@resigned says so for the
 * delivery's detail. */
static PhHttpResponse *
transfer_send_resigned(Transfer *transfer, const PhOutboxMessage *message, gchar **resigned,
                       GError **error)
{
	g_auto(TransferHeader) was = {0};
	g_auto(TransferHeader) now = {0};
	g_autoptr(GBytes) renewed = transfer_doc_renew(message->payload, &was, error);
	if (renewed == NULL) {
		(*error)->code = PH_ERROR_PERMANENT; /* it never will be: dead letter */
		return NULL;
	}
	g_autoptr(GBytes) signed_document = ph_xml_signer_sign(transfer->signer, renewed, error);
	g_autoptr(PhXmlDoc) doc =
	        signed_document != NULL ? ph_xml_doc_parse(signed_document, NULL, error) : NULL;
	if (doc == NULL || !transfer_header_read(doc, &now, error))
		return NULL;
	g_autofree gchar *detail =
	        g_strdup_printf("attempt %u: HTTP 400 EXPIRED; re-signed (SentAt %s -> %s)",
	                        message->attempt, was.sent_at_text, now.sent_at_text);
	PhTransferMessage trace = {was.case_id, was.msg_id, "out",          was.msg_type,
	                           "RE-SIGNED", detail,     signed_document};
	/* what we send is what we keep: recorded before it leaves */
	if (!ph_transfer_message_note(transfer->plugin, &trace, error))
		return NULL;
	g_message("transfer message %s: the platform answered EXPIRED; re-signed (SentAt %s)",
	          was.msg_id, now.sent_at_text);
	*resigned = g_strdup_printf("re-signed (SentAt %s -> %s) after HTTP 400 EXPIRED; ",
	                            was.sent_at_text, now.sent_at_text);
	return transfer_send_post(transfer, signed_document, error);
}

static gboolean
transfer_send_failed(Transfer *transfer, const PhOutboxMessage *message, const gchar *resigned,
                     GError *failure, GError **error)
{
	gboolean last = g_error_matches(failure, PH_ERROR, PH_ERROR_PERMANENT) ||
	                message->attempt >= transfer->retry.max_attempts;
	/* the platform's answer is in the message, and may quote an ID number of the document
	 * (a validator quotes the value it refuses): masked before it is kept anywhere (the
	 * message's detail, the outbox's last error, the log) */
	gchar *masked = transfer_doc_mask_numbers(failure->message);
	g_free(failure->message);
	failure->message = masked;
	g_autofree gchar *detail =
	        g_strdup_printf("%sattempt %u: %s", resigned, message->attempt, failure->message);
	transfer_send_note(transfer, message->key, last ? "DEAD_LETTER" : "RETRYING", detail);
	g_propagate_error(error, failure);
	return FALSE;
}

gboolean
transfer_send_deliver(const PhOutboxMessage *message, gpointer state, GError **error)
{
	Transfer *transfer = state;
	g_autoptr(GError) local = NULL;
	g_autofree gchar *resigned = NULL;
	g_autoptr(PhHttpResponse) response = transfer_send_post(transfer, message->payload, &local);
	if (response == NULL && transfer_send_refused(transfer, local, 400, "EXPIRED")) {
		g_clear_error(&local);
		response = transfer_send_resigned(transfer, message, &resigned, &local);
		/* Our MsgIds are unique: CONFLICT to the re-signed document means the platform
		 * holds this MsgId from an earlier attempt whose answer we lost. */
		if (response == NULL && resigned != NULL &&
		    transfer_send_refused(transfer, local, 409, "CONFLICT")) {
			g_autofree gchar *detail =
			        g_strdup_printf("%sHTTP 409 CONFLICT: the platform already holds "
			                        "this MsgId from an "
			                        "earlier attempt whose answer was lost",
			                        resigned);
			transfer_send_note(transfer, message->key, "DELIVERED", detail);
			return TRUE;
		}
	}
	if (response == NULL)
		return transfer_send_failed(transfer, message, resigned != NULL ? resigned : "",
		                            g_steal_pointer(&local), error);
	g_autofree gchar *status = transfer_send_ack_status(response->body);
	g_autofree gchar *detail =
	        g_strdup_printf("%sHTTP %u %s", resigned != NULL ? resigned : "", response->status,
	                        status != NULL ? status : "(no Ack)");
	/* Only an Ack that took the document counts; a redirect or another answer does not. */
	gboolean taken =
	        (response->status == 200 || response->status == 202) &&
	        (g_strcmp0(status, "ACCEPTED") == 0 || g_strcmp0(status, "DUPLICATE") == 0);
	if (!taken) {
		transfer_send_note(transfer, message->key, "DEAD_LETTER", detail);
		g_set_error(error, PH_ERROR, PH_ERROR_PERMANENT, "%s answered %s",
		            transfer->platform_url, detail);
		return FALSE;
	}
	transfer_send_note(transfer, message->key, "DELIVERED", detail);
	return TRUE;
}
