/* Change notices of the cardholder base (card re-issued, reported lost, account changed):
 * read through the cardholder-notice mapping, stored in the inbox before they are answered,
 * then applied in the inbox's transaction, where a changed account makes the month's failed
 * payments eligible for re-issue. Plugin: SDK only. */
#include <string.h>

#include "cardholder-private.h"

static GBytes *
cardholder_notice_ack(const gchar *notice_id, const gchar *status, const gchar *message)
{
	g_autofree gchar *text = g_markup_printf_escaped(
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<NoticeAck "
	        "xmlns=\"urn:pension-hub:cardholder:1\"><NoticeId>%s</NoticeId><Status>%s</Status>"
	        "<Message>%s</Message></NoticeAck>\n",
	        notice_id != NULL ? notice_id : "", status, message);
	gsize length = strlen(text);
	return g_bytes_new_take(g_steal_pointer(&text), length);
}

static void
cardholder_notice_refuse(PhRequest *request, guint status, const gchar *code, const gchar *reason)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) body = cardholder_notice_ack(NULL, code, reason);
	if (!ph_request_record_refusal(request, CARDHOLDER_KIND_NOTICE, reason, &error))
		g_warning("cannot record a refused notice: %s", error->message);
	ph_request_respond(request, status, "application/xml", body);
}

static PhRecord *
cardholder_notice_parse(Cardholder *cardholder, GBytes *body, GError **error)
{
	g_mutex_lock(&cardholder->lock);
	PhRecord *record =
	        cardholder_read_one(cardholder->notice_mapping, body, "cardholder notice", error);
	g_mutex_unlock(&cardholder->lock);
	return record;
}

void
cardholder_notice_receive(PhRequest *request, gpointer state)
{
	Cardholder *cardholder = state;
	g_autoptr(GError) error = NULL;
	GBytes *body = ph_request_get_body(request);
	g_autoptr(PhRecord) notice = cardholder_notice_parse(cardholder, body, &error);
	if (notice == NULL) {
		cardholder_notice_refuse(request, 400, "INVALID", error->message);
		return;
	}
	const gchar *notice_id = ph_record_get(notice, "notice_id");
	g_autoptr(GBytes) accepted_body =
	        cardholder_notice_ack(notice_id, "ACCEPTED", "stored for processing");
	PhAnswer accepted = {202, "application/xml", accepted_body};
	gboolean duplicate = FALSE;
	g_autoptr(PhAnswer) answer = ph_request_store_inbox(
	        request, CARDHOLDER_KIND_NOTICE, notice_id, &accepted, &duplicate, &error);
	if (answer == NULL) {
		gboolean conflict = g_error_matches(error, PH_ERROR, PH_ERROR_CONFLICT);
		g_autoptr(GBytes) refused = cardholder_notice_ack(
		        notice_id, conflict ? "CONFLICT" : "ERROR", error->message);
		ph_request_respond(request, conflict ? 409 : 503, "application/xml", refused);
		return;
	}
	ph_request_respond(request, answer->status, answer->content_type, answer->body);
}

gboolean
cardholder_notice_apply(PhTxn *txn, const PhInboxMessage *message, gpointer state, GError **error)
{
	Cardholder *cardholder = state;
	g_autoptr(PhRecord) record = cardholder_notice_parse(cardholder, message->body, error);
	if (record == NULL)
		return FALSE;
	PhCardholderNotice notice = {ph_record_get(record, "notice_id"),
	                             ph_record_get(record, "change"),
	                             ph_record_get(record, "AAE035")};
	cardholder_card_from_record(cardholder, record, &notice.card);
	PhCardholderResult result = {0};
	gboolean duplicate = FALSE;
	g_autoptr(GError) local = NULL;
	if (!ph_cardholder_api_apply_notice(txn, &notice, cardholder->ttl_seconds, &result,
	                                    &duplicate, &local)) {
		/* a notice about someone who is not ours is kept as failed, not retried */
		if (g_error_matches(local, PH_ERROR, PH_ERROR_NOT_FOUND))
			local->code = PH_ERROR_INVALID_INPUT;
		g_propagate_prefixed_error(error, g_steal_pointer(&local),
		                           "notice %s: ", notice.notice_id);
		return FALSE;
	}
	g_autofree gchar *masked = ph_mask_id_number(notice.card.id_number);
	g_message("notice %s (%s) for AAC002 %s applied%s: payout account %s", notice.notice_id,
	          notice.change, masked, duplicate ? " before" : "",
	          result.payee_valid ? "usable" : "not usable until confirmed");
	ph_cardholder_api_result_clear(&result);
	return TRUE;
}
