/* POST /transfer/v1/messages: the platform's pushes, checked in the order of transfer.md —
 * size, hardened parse, schema, signature (and the signer configured for the Sender),
 * SentAt window, Receiver — then stored in the inbox. Every refusal is recorded with the
 * bytes and the reason, and answered with an <Ack>. */
#include <string.h>

#include "transfer-private.h"

typedef struct {
	PhRequest *request;
	Transfer *transfer;
	TransferHeader header; /* filled once the document is read */
} TransferDoor;

static void
transfer_door_answer(PhRequest *request, guint status, const gchar *msg_id, const gchar *verdict,
                     const gchar *message)
{
	g_autoptr(GBytes) body = transfer_doc_ack(msg_id, verdict, message);
	ph_request_respond(request, status, "application/xml", body);
}

/* Records the refusal (inbox_refusal with the bytes; the case's trace when it is known) and
 * answers it. */
static void
transfer_door_refuse(TransferDoor *door, guint status, const gchar *verdict,
                     const gchar *unmasked_reason)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *reason = transfer_doc_mask_numbers(unmasked_reason);
	g_autofree gchar *recorded = g_strdup_printf("%s: %s", verdict, reason);
	if (!ph_request_record_refusal(door->request, TRANSFER_KIND_MESSAGE, recorded, &error))
		g_warning("cannot record a refused message (%s): %s", recorded, error->message);
	g_clear_error(&error);
	if (door->header.case_id != NULL) {
		PhTransferMessage trace = {door->header.case_id,
		                           door->header.msg_id,
		                           "in",
		                           door->header.msg_type,
		                           verdict,
		                           reason,
		                           NULL};
		if (!ph_transfer_message_note(door->transfer->plugin, &trace, &error))
			g_warning("cannot trace a refused message: %s", error->message);
	}
	g_message("refused %s message %s: %s", verdict,
	          door->header.msg_id != NULL ? door->header.msg_id : "(unread)", reason);
	transfer_door_answer(door->request, status, door->header.msg_id, verdict, reason);
}

/* The subject configured for @sender (or the development wildcard), NULL when none. */
static const gchar *
transfer_door_expected_signer(Transfer *transfer, const gchar *sender)
{
	const gchar *wildcard = NULL;
	for (guint i = 0; i < transfer->signers->len; i++) {
		const TransferSigner *signer = transfer->signers->pdata[i];
		if (g_strcmp0(signer->agency, sender) == 0)
			return signer->subject;
		if (g_strcmp0(signer->agency, "*") == 0)
			wildcard = signer->subject;
	}
	return wildcard;
}

static gboolean
transfer_door_check_signature(TransferDoor *door, PhXmlDoc *doc)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *subject = NULL;
	Transfer *transfer = door->transfer;
	if (!ph_xml_verifier_verify(transfer->verifier, doc, door->header.sent_at, &subject,
	                            &error)) {
		transfer_door_refuse(door, 400, "SIGNATURE_INVALID", error->message);
		return FALSE;
	}
	const gchar *expected = transfer_door_expected_signer(transfer, door->header.sender);
	if (expected == NULL || g_strcmp0(expected, subject) != 0) {
		g_autofree gchar *reason = g_strdup_printf(
		        "signature: signer '%s' is not the certificate configured for sender %s",
		        subject, door->header.sender);
		transfer_door_refuse(door, 400, "SIGNATURE_INVALID", reason);
		return FALSE;
	}
	return TRUE;
}

static gboolean
transfer_door_check_time_and_receiver(TransferDoor *door)
{
	Transfer *transfer = door->transfer;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	if (ABS(now - door->header.sent_at) > transfer->sentat_window) {
		g_autofree gchar *reason = g_strdup_printf(
		        "SentAt %s is more than %" G_GINT64_FORMAT " s away from now",
		        door->header.sent_at_text, transfer->sentat_window);
		transfer_door_refuse(door, 400, "EXPIRED", reason);
		return FALSE;
	}
	if (g_strcmp0(door->header.receiver, transfer->agency) != 0) {
		g_autofree gchar *reason =
		        g_strdup_printf("Receiver %s is not this hub's agency %s",
		                        door->header.receiver, transfer->agency);
		transfer_door_refuse(door, 400, "NOT_FOR_US", reason);
		return FALSE;
	}
	return TRUE;
}

static void
transfer_door_store(TransferDoor *door)
{
	g_autoptr(GError) error = NULL;
	gboolean duplicate = FALSE;
	g_autofree gchar *key = g_strdup_printf("%s/%s", door->header.sender, door->header.msg_id);
	g_autoptr(GBytes) accepted_body =
	        transfer_doc_ack(door->header.msg_id, "ACCEPTED", "stored for processing");
	PhAnswer accepted = {202, (gchar *)"application/xml", accepted_body};
	g_autoptr(PhAnswer) stored = ph_request_store_inbox(door->request, TRANSFER_KIND_MESSAGE,
	                                                    key, &accepted, &duplicate, &error);
	if (stored == NULL && g_error_matches(error, PH_ERROR, PH_ERROR_CONFLICT)) {
		transfer_door_refuse(door, 409, "CONFLICT",
		                     "this MsgId was received before with other bytes");
		return;
	}
	if (stored == NULL) {
		g_warning("message %s not stored: %s", door->header.msg_id, error->message);
		transfer_door_answer(door->request, 503, door->header.msg_id, "UNAVAILABLE",
		                     "not stored; send it again later");
		return;
	}
	if (duplicate) {
		transfer_door_answer(door->request, 200, door->header.msg_id, "DUPLICATE",
		                     "already received; not applied again");
		return;
	}
	ph_request_respond(door->request, stored->status, stored->content_type, stored->body);
}

void
transfer_door_handle(PhRequest *request, gpointer state)
{
	g_autoptr(GError) error = NULL;
	Transfer *transfer = state;
	g_auto(TransferHeader) header = {0};
	TransferDoor door = {request, transfer, {0}};
	GBytes *body = ph_request_get_body(request);
	if ((gint64)g_bytes_get_size(body) > transfer->max_bytes) {
		g_autofree gchar *reason = g_strdup_printf(
		        "%" G_GSIZE_FORMAT " bytes, over the limit of %" G_GINT64_FORMAT,
		        g_bytes_get_size(body), transfer->max_bytes);
		transfer_door_refuse(&door, 413, "TOO_LARGE", reason);
		return;
	}
	PhXmlLimits limits = {(gsize)transfer->max_bytes, 16};
	g_autoptr(PhXmlDoc) doc = ph_xml_doc_parse(body, &limits, &error);
	if (doc == NULL || !ph_xml_schema_validate(transfer->schema, doc, &error) ||
	    !transfer_header_read(doc, &header, &error) ||
	    !transfer_doc_check_body(doc, &header, &error)) {
		transfer_door_refuse(&door, 400, "SCHEMA_INVALID", error->message);
		return;
	}
	door.header = header;
	if (transfer_door_check_signature(&door, doc) &&
	    transfer_door_check_time_and_receiver(&door))
		transfer_door_store(&door);
	memset(&door.header, 0, sizeof(door.header)); /* owned by header */
}
