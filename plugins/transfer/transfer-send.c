/* Our documents to the platform: built, signed with the hub's key at queue time (so that a
 * retry sends the same bytes and the platform can drop repeats), queued on the outbox in
 * the case's transaction, and delivered over mTLS with the host's HTTPS client; one the
 * platform refuses as expired is signed again with SentAt now. */
#include <string.h>

#include "transfer-private.h"

/* How much of a refusal's words is kept (the detail, the outbox's last error). */
#define TRANSFER_ANSWER_SHOWN 512

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

/* Any answer of the platform (its refusals say what to do next); NULL only when the
 * transport failed. @request is filled for the answer's check. */
static PhHttpResponse *
transfer_send_post(Transfer *transfer, GBytes *document, PhHttpRequest *request, GError **error)
{
	*request = (PhHttpRequest){
	        .url = transfer->platform_url,
	        .content_type = "application/xml",
	        .body = document,
	        .ca_path = transfer->platform_ca,
	        .connect_timeout_ms = 10000,
	        .timeout_ms = (guint)transfer->timeout_seconds * 1000,
	};
	return ph_http_post_answer(transfer->plugin, request, error);
}

/* Whether @response is the platform's refusal @http_status with the Ack Status @status. */
static gboolean
transfer_send_refused(const PhHttpResponse *response, guint http_status, const gchar *status)
{
	if (response == NULL || response->status != http_status)
		return FALSE;
	g_autofree gchar *said = transfer_send_ack_status(response->body);
	return g_strcmp0(said, status) == 0;
}

/* The platform answered EXPIRED: it verified the document and refused it as too old, so it
 * did not take it. The same document (same MsgId, same body) is signed again with SentAt
 * now, recorded as what was sent for the message, and sent. *@resigned says so for the
 * delivery's detail. NULL with @error when it cannot be re-signed (for good) or sent. */
static PhHttpResponse *
transfer_send_resigned(Transfer *transfer, const PhOutboxMessage *message, PhHttpRequest *request,
                       gchar **resigned, GBytes **sent, GError **error)
{
	g_auto(TransferHeader) was = {0};
	g_auto(TransferHeader) now = {0};
	g_autoptr(GError) local = NULL;
	g_autoptr(GBytes) renewed = transfer_doc_renew(message->payload, &was, &local);
	if (renewed == NULL) {
		/* it never will be: dead letter */
		g_set_error(error, PH_ERROR, PH_ERROR_PERMANENT, "cannot re-sign: %s",
		            local->message);
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
	*sent = g_bytes_ref(signed_document); /* the request points at it */
	return transfer_send_post(transfer, signed_document, request, error);
}

/* The delivery failed with @failure: recorded as retrying or dead, with the platform's words
 * masked (a validator quotes the value it refuses, which may be an ID number) before they are
 * kept anywhere (the message's detail, the outbox's last error, the log). */
static gboolean
transfer_send_failed(Transfer *transfer, const PhOutboxMessage *message, const gchar *resigned,
                     const GError *failure, GError **error)
{
	gboolean last = g_error_matches(failure, PH_ERROR, PH_ERROR_PERMANENT) ||
	                message->attempt >= transfer->retry.max_attempts;
	g_autofree gchar *masked = transfer_doc_mask_numbers(failure->message);
	g_autofree gchar *detail =
	        g_strdup_printf("%sattempt %u: %s", resigned, message->attempt, masked);
	transfer_send_note(transfer, message->key, last ? "DEAD_LETTER" : "RETRYING", detail);
	g_set_error(error, PH_ERROR, failure->domain == PH_ERROR ? failure->code : PH_ERROR_FAILED,
	            "%s", masked);
	return FALSE;
}

/* The platform's 4xx or 5xx @response as an error: its words masked whole, then cut to the
 * first 512 characters (cut first, a number cut in two would escape the mask). */
static GError *
transfer_send_refusal(Transfer *transfer, const PhHttpResponse *response)
{
	gsize length = 0;
	const gchar *data = g_bytes_get_data(response->body, &length);
	g_autofree gchar *shown = transfer_doc_masked_excerpt(data, length, TRANSFER_ANSWER_SHOWN);
	return g_error_new(
	        PH_ERROR, response->status >= 500 ? PH_ERROR_TRANSIENT : PH_ERROR_PERMANENT,
	        "%s answered %u: %s", transfer->platform_url, response->status, g_strstrip(shown));
}

/* The platform's answer @response took the document: delivered; else failed. */
static gboolean
transfer_send_answered(Transfer *transfer, const PhOutboxMessage *message,
                       const PhHttpResponse *response, const gchar *resigned, GError **error)
{
	if (response->status >= 400) {
		g_autoptr(GError) refused = transfer_send_refusal(transfer, response);
		return transfer_send_failed(transfer, message, resigned, refused, error);
	}
	g_autofree gchar *status = transfer_send_ack_status(response->body);
	g_autofree gchar *detail = g_strdup_printf("%sHTTP %u %s", resigned, response->status,
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

gboolean
transfer_send_deliver(const PhOutboxMessage *message, gpointer state, GError **error)
{
	Transfer *transfer = state;
	g_autoptr(GError) local = NULL;
	g_autofree gchar *resigned = NULL;
	g_autoptr(GBytes) sent = NULL;
	PhHttpRequest request;
	g_autoptr(PhHttpResponse) response =
	        transfer_send_post(transfer, message->payload, &request, &local);
	if (transfer_send_refused(response, 400, "EXPIRED")) {
		g_clear_pointer(&response, ph_http_response_free);
		response = transfer_send_resigned(transfer, message, &request, &resigned, &sent,
		                                  &local);
		/* Our MsgIds are unique: CONFLICT to the re-signed document means the platform
		 * holds this MsgId from an earlier attempt whose answer we lost. */
		if (transfer_send_refused(response, 409, "CONFLICT")) {
			g_autofree gchar *detail = g_strdup_printf(
			        "%sHTTP 409 CONFLICT: the platform already holds "
			        "this MsgId from an earlier attempt whose answer was "
			        "lost",
			        resigned);
			transfer_send_note(transfer, message->key, "DELIVERED", detail);
			return TRUE;
		}
	}
	if (response == NULL)
		return transfer_send_failed(transfer, message, resigned != NULL ? resigned : "",
		                            local, error);
	return transfer_send_answered(transfer, message, response, resigned != NULL ? resigned : "",
	                              error);
}
