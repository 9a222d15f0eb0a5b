/* Our documents to the platform: built, signed with the hub's key at queue time (so that a
 * retry sends the same bytes and the platform can drop repeats), queued on the outbox in
 * the case's transaction, and delivered over mTLS with the host's HTTPS client. */
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

gboolean
transfer_send_deliver(const PhOutboxMessage *message, gpointer state, GError **error)
{
	Transfer *transfer = state;
	g_autoptr(GError) local = NULL;
	PhHttpRequest request = {
	        .url = transfer->platform_url,
	        .content_type = "application/xml",
	        .body = message->payload,
	        .ca_path = transfer->platform_ca,
	        .connect_timeout_ms = 10000,
	        .timeout_ms = (guint)transfer->timeout_seconds * 1000,
	};
	g_autoptr(PhHttpResponse) response = ph_http_post(transfer->plugin, &request, &local);
	if (response == NULL) {
		gboolean last = g_error_matches(local, PH_ERROR, PH_ERROR_PERMANENT) ||
		                message->attempt >= transfer->retry.max_attempts;
		g_autofree gchar *detail =
		        g_strdup_printf("attempt %u: %s", message->attempt, local->message);
		transfer_send_note(transfer, message->key, last ? "DEAD_LETTER" : "RETRYING",
		                   detail);
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	g_autofree gchar *status = transfer_send_ack_status(response->body);
	g_autofree gchar *detail = g_strdup_printf("HTTP %u %s", response->status,
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
