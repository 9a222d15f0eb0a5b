/* Lookups in the cardholder base: a PH-CARD-1 query written through the cardholder-query
 * mapping, POSTed with the host's HTTPS client (client certificate, pinned CA, time-outs,
 * a few tries), and the answer read through the cardholder-answer mapping; and the job
 * that refreshes answers before they expire. Plugin: SDK only. */
#include <string.h>

#include "cardholder-private.h"

void
cardholder_card_from_record(Cardholder *cardholder, const PhRecord *record, PhCardholderCard *card)
{
	const gchar *result = ph_record_get(record, "result");
	memset(card, 0, sizeof *card);
	card->id_number = ph_record_get(record, "AAC002");
	card->found = result == NULL || g_strcmp0(result, "found") == 0;
	card->name = ph_record_get(record, "AAC003");
	card->card_no = ph_record_get(record, "AAZ500");
	card->card_status = ph_record_get(record, "AAZ502");
	card->bank_code = ph_record_get(record, "AAE008");
	card->account = ph_record_get(record, "AAE010");
	if (card->bank_code != NULL)
		card->bank = g_hash_table_lookup(cardholder->banks, card->bank_code);
}

PhRecord *
cardholder_read_one(PhMapping *mapping, GBytes *body, const gchar *source, GError **error)
{
	g_autoptr(GInputStream) input = g_memory_input_stream_new_from_bytes(body);
	g_autoptr(PhMappingReader) reader = ph_mapping_reader_new(mapping, input, source);
	g_autoptr(PhRecord) copy = ph_record_new();
	const PhRecord *record;
	guint count = 0;

	while ((record = ph_mapping_reader_next(reader, error)) != NULL) {
		if (count++ > 0)
			break;
		ph_record_reset(copy, ph_record_get_kind(record));
		for (guint i = 0; i < ph_record_get_size(record); i++)
			ph_record_set_len(copy, ph_record_get_key(record, i),
			                  ph_record_get_value(record, i),
			                  ph_record_get_value_len(record, i));
	}
	if (error != NULL && *error != NULL)
		return NULL;
	if (count != 1) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "%s: %u records where one was expected", source, count);
		return NULL;
	}
	return g_steal_pointer(&copy);
}

/* The query document for one person. */
static GBytes *
cardholder_query_document(Cardholder *cardholder, const gchar *query_id, const gchar *id_number,
                          const gchar *name, GError **error)
{
	g_autoptr(GOutputStream) output = g_memory_output_stream_new_resizable();
	g_autoptr(PhRecord) record = ph_record_new();
	ph_record_reset(record, "Q");
	ph_record_set(record, "query_id", query_id);
	ph_record_set(record, "AAB301", cardholder->region);
	ph_record_set(record, "AAC002", id_number);
	ph_record_set(record, "AAC003", name);
	g_autoptr(PhMappingWriter) writer =
	        ph_mapping_writer_new(cardholder->query_mapping, output, query_id);
	if (!ph_mapping_writer_write(writer, record, error) ||
	    !ph_mapping_writer_finish(writer, error) || !g_output_stream_close(output, NULL, error))
		return NULL;
	return g_memory_output_stream_steal_as_bytes(G_MEMORY_OUTPUT_STREAM(output));
}

/* POSTs @document, trying again after transient failures (refused, time-out, 5xx). */
static PhHttpResponse *
cardholder_post(Cardholder *cardholder, GBytes *document, GError **error)
{
	PhHttpRequest request = {cardholder->url,
	                         "application/xml",
	                         document,
	                         cardholder->ca,
	                         cardholder->connect_timeout_ms,
	                         cardholder->timeout_ms};
	guint delay_ms = cardholder->retry_delay_ms;
	for (guint attempt = 1;; attempt++) {
		g_autoptr(GError) local = NULL;
		PhHttpResponse *response = ph_http_post(cardholder->plugin, &request, &local);
		if (response != NULL)
			return response;
		if (attempt >= cardholder->attempts ||
		    !g_error_matches(local, PH_ERROR, PH_ERROR_TRANSIENT)) {
			g_propagate_error(error, g_steal_pointer(&local));
			return NULL;
		}
		g_debug("cardholder base: try %u failed (%s); again in %u ms", attempt,
		        local->message, delay_ms);
		g_usleep((gulong)delay_ms * 1000);
		delay_ms = MIN(delay_ms * 2, 60000u);
	}
}

/* The answer must be about the person asked, to the query asked. */
static gboolean
cardholder_check_answer(const PhRecord *answer, const gchar *query_id, const gchar *id_number,
                        GError **error)
{
	if (g_strcmp0(ph_record_get(answer, "query_id"), query_id) != 0 ||
	    g_strcmp0(ph_record_get(answer, "AAC002"), id_number) != 0) {
		g_autofree gchar *masked = ph_mask_id_number(id_number);
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "query %s: the answer is about another query or AAC002 than %s",
		            query_id, masked);
		return FALSE;
	}
	return TRUE;
}

gboolean
cardholder_lookup(Cardholder *cardholder, const gchar *id_number, const gchar *name,
                  PhRecord *answer, GError **error)
{
	g_autofree gchar *query_id = g_strdup_printf("Q-%s-%08x%08x", cardholder->region,
	                                             g_random_int(), g_random_int());
	g_autoptr(GBytes) document = NULL;
	g_mutex_lock(&cardholder->lock);
	document = cardholder_query_document(cardholder, query_id, id_number, name, error);
	g_mutex_unlock(&cardholder->lock);
	if (document == NULL)
		return FALSE;
	g_autoptr(PhHttpResponse) response = cardholder_post(cardholder, document, error);
	if (response == NULL)
		return FALSE;
	g_mutex_lock(&cardholder->lock);
	g_autoptr(PhRecord) record =
	        cardholder_read_one(cardholder->answer_mapping, response->body, query_id, error);
	g_mutex_unlock(&cardholder->lock);
	if (record == NULL || !cardholder_check_answer(record, query_id, id_number, error))
		return FALSE;
	ph_record_reset(answer, ph_record_get_kind(record));
	for (guint i = 0; i < ph_record_get_size(record); i++)
		ph_record_set(answer, ph_record_get_key(record, i), ph_record_get_value(record, i));
	return TRUE;
}

static void
cardholder_report(const PhCardholderPerson *person, const PhCardholderCard *card,
                  const PhCardholderResult *result)
{
	g_autofree gchar *masked = ph_mask_id_number(person->id_number);
	if (g_strcmp0(result->verdict, "name_mismatch") == 0)
		g_warning("AAC002 %s: identity not confirmed: the cardholder base has the name "
		          "'%s', we have '%s'; the card's account is not used until a clerk "
		          "resolves it",
		          masked, card->name != NULL ? card->name : "", result->our_name);
	else if (g_strcmp0(result->verdict, "not_found") == 0)
		g_warning("AAC002 %s: identity not confirmed: the cardholder base has no card",
		          masked);
	else if (!result->payee_valid)
		g_message(
		        "AAC002 %s: identity confirmed; the card (AAZ502 %s, AAE008 %s) cannot be "
		        "paid to",
		        masked, card->card_status != NULL ? card->card_status : "-",
		        card->bank_code != NULL ? card->bank_code : "-");
	else
		g_debug("AAC002 %s: identity confirmed%s", masked,
		        result->payee_changed ? ", payout account set from the card" : "");
}

/* Looks up one person and stores the answer; FALSE when the base could not be reached. */
static gboolean
cardholder_refresh_one(Cardholder *cardholder, const PhCardholderPerson *person)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhRecord) answer = ph_record_new();
	g_autofree gchar *masked = ph_mask_id_number(person->id_number);
	if (!cardholder_lookup(cardholder, person->id_number, person->name, answer, &error)) {
		g_autoptr(GError) note = NULL;
		g_warning(
		        "AAC002 %s: cardholder lookup failed, the cached answer stays in force: %s",
		        masked, error->message);
		if (!ph_cardholder_api_note_failure(cardholder->plugin, person->id_number,
		                                    error->message, cardholder->retry_seconds,
		                                    &note))
			g_warning("AAC002 %s: cannot note the failure: %s", masked, note->message);
		return !g_error_matches(error, PH_ERROR, PH_ERROR_TRANSIENT);
	}
	PhCardholderCard card;
	PhCardholderResult result = {0};
	cardholder_card_from_record(cardholder, answer, &card);
	if (!ph_cardholder_api_store(cardholder->plugin, &card, cardholder->ttl_seconds, &result,
	                             &error)) {
		g_warning("AAC002 %s: cannot store the cardholder answer: %s", masked,
		          error->message);
		return TRUE;
	}
	cardholder_report(person, &card, &result);
	ph_cardholder_api_result_clear(&result);
	return TRUE;
}

void
cardholder_refresh(gpointer state)
{
	Cardholder *cardholder = state;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) due =
	        ph_cardholder_api_list_due(cardholder->plugin, cardholder->batch, &error);
	if (due == NULL) {
		g_warning("cardholder refresh: %s", error->message);
		return;
	}
	for (guint i = 0; i < due->len; i++) {
		/* a base that is down is asked again next round, not once per person now */
		if (!cardholder_refresh_one(cardholder, g_ptr_array_index(due, i)))
			break;
	}
}
