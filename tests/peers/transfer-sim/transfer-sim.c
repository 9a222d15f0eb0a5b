/* transfer-sim: plays the other province on the ministry-level transfer platform for tests
 * and the demo. An HTTPS server with mTLS (its own certificate, the hub's CA) takes the hub's
 * signed messages, and a libcurl client pushes the other side's signed messages to the hub:
 * INFO and FUND answer a LETTER, a RECEIPT closes a transfer out, a LETTER starts one. It can
 * misbehave on request. Signs and verifies with the hub's own XML security (libph-hub).
 * Every event is one line on stdout and in --events FILE. See README.md. */
#include <curl/curl.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <string.h>

#include "pension-hub.h"
#include "ph-peer.h"

typedef struct {
	guint port;
	gchar *hub_url;
	gchar *pki;
	gchar *events_path;
	gchar *agency;
	gchar *region;
	gchar *hub_agency;
	gchar *hub_region;
	gchar **start_out; /* AAC002 of members whose transfer out we ask for */
	gboolean fund_first;
	gboolean bad_signature;
	gboolean replay;
	gboolean mismatch;
	gboolean stale;
	gboolean down;
	gboolean no_receipt;
	gboolean lose_answer_once;  /* the first document taken is kept, its answer dropped */
	gboolean refuse_quoting_id; /* 400 SCHEMA_INVALID quoting the document's AAC002 */
	gboolean expire_first;      /* each MsgId's first push: 400 EXPIRED, whatever its SentAt */
	gboolean expire_resends;    /* the same bytes again: 400 EXPIRED, not 200 DUPLICATE */
	gint delay_ms;
	gint window_seconds; /* SentAt further than this from now: 400 EXPIRED */
	gchar *account;      /* AIC099 of our INFO and FUND, yuan */

	PhXmlSigner *signer;
	PhXmlVerifier *verifier;
	GThreadPool *pushes; /* one thread: pushes go out in order */
	GMutex lock;
	GHashTable *seen; /* case id → "TYPE MSGID" of INFO or FUND from the hub, for RECEIPTs */
	GHashTable *held; /* MsgId → the bytes taken (main loop only): DUPLICATE or CONFLICT */
	GHashTable *pushed; /* MsgIds pushed at least once (--expire-first) */
	FILE *events;
} Sim;

typedef struct {
	gchar *type;
	gchar *case_id;
	gchar *body; /* unsigned body XML */
	gboolean tamper;
} Push;

static void sim_event(Sim *sim, const gchar *format, ...) G_GNUC_PRINTF(2, 3);

static void
sim_event(Sim *sim, const gchar *format, ...)
{
	va_list args;
	va_start(args, format);
	g_autofree gchar *line = g_strdup_vprintf(format, args);
	va_end(args);
	ph_peer_event_line(&sim->lock, sim->events, line);
}

/* ---- building and pushing our documents ---- */

static gchar *
sim_new_id(Sim *sim, const gchar *prefix)
{
	return g_strdup_printf("%s-%s-%08x%08x", prefix, sim->region, g_random_int(),
	                       g_random_int());
}

static GBytes *
sim_document(Sim *sim, const gchar *msg_id, const gchar *type, const gchar *case_id,
             const gchar *body)
{
	gint64 now = g_get_real_time() / G_USEC_PER_SEC + (sim->stale ? 3600 : 0);
	g_autoptr(GDateTime) sent = g_date_time_new_from_unix_utc(now);
	g_autofree gchar *sent_at = g_date_time_format(sent, "%Y-%m-%dT%H:%M:%SZ");
	g_autofree gchar *text = g_strdup_printf(
	        "<TransferMessage xmlns=\"urn:pension-hub:transfer:1\">\n  <Header>\n"
	        "    <MsgId>%s</MsgId>\n    <MsgType>%s</MsgType>\n    <CaseId>%s</CaseId>\n"
	        "    <Sender>%s</Sender><SenderRegion>%s</SenderRegion>\n"
	        "    <Receiver>%s</Receiver><ReceiverRegion>%s</ReceiverRegion>\n"
	        "    <SentAt>%s</SentAt>\n  </Header>\n  <Body>\n%s  </Body>\n</TransferMessage>\n",
	        msg_id, type, case_id, sim->agency, sim->region, sim->hub_agency, sim->hub_region,
	        sent_at, body);
	return g_bytes_new(text, strlen(text));
}

static size_t
sim_collect(char *data, size_t size, size_t count, void *user_data)
{
	g_string_append_len(user_data, data, (gssize)(size * count));
	return size * count;
}

/* POSTs to the hub with our client certificate; returns the status (0: no answer). */
static glong
sim_post(Sim *sim, GBytes *body, gchar **answer)
{
	g_autofree gchar *cert = g_build_filename(sim->pki, "transfer-platform.crt", NULL);
	g_autofree gchar *key = g_build_filename(sim->pki, "transfer-platform.key", NULL);
	g_autofree gchar *ca = g_build_filename(sim->pki, "ca.crt", NULL);
	g_autoptr(GString) received = g_string_new(NULL);
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/xml");
	CURL *curl = curl_easy_init();
	glong status = 0;
	curl_easy_setopt(curl, CURLOPT_URL, sim->hub_url);
	curl_easy_setopt(curl, CURLOPT_SSLCERT, cert);
	curl_easy_setopt(curl, CURLOPT_SSLKEY, key);
	curl_easy_setopt(curl, CURLOPT_CAINFO, ca);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, g_bytes_get_data(body, NULL));
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)g_bytes_get_size(body));
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, sim_collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, received);
	if (curl_easy_perform(curl) == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	*answer = g_strdup(g_strstrip(received->str));
	return status;
}

static void
sim_push_free(Push *push)
{
	g_free(push->type);
	g_free(push->case_id);
	g_free(push->body);
	g_free(push);
}

static void
sim_push_work(gpointer data, gpointer user_data)
{
	Push *push = data;
	Sim *sim = user_data;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *msg_id = sim_new_id(sim, push->type);
	g_autoptr(GBytes) document =
	        sim_document(sim, msg_id, push->type, push->case_id, push->body);
	g_autoptr(GBytes) signed_document = ph_xml_signer_sign(sim->signer, document, &error);
	if (signed_document == NULL) {
		sim_event(sim, "ERROR sign %s: %s", push->type, error->message);
		sim_push_free(push);
		return;
	}
	if (push->tamper) {
		/* Turn the line break after MsgType into a space: still well-formed, same
		 * values, but the signed bytes differ, so the digest no longer matches. */
		gsize size = 0;
		gconstpointer signed_data = g_bytes_get_data(signed_document, &size);
		gchar *text = g_memdup2(signed_data, size);
		gchar *at = g_strstr_len(text, (gssize)size, "</MsgType>\n");
		if (at != NULL)
			at[strlen("</MsgType>")] = ' ';
		g_bytes_unref(signed_document);
		signed_document = g_bytes_new_take(text, size);
	}
	for (guint round = 0; round < (sim->replay ? 2u : 1u); round++) {
		/* Like the platform: the same bytes again until the hub answers (no answer or a
		 * 5xx), every half second for up to a minute. */
		for (guint attempt = 0; attempt < 120; attempt++) {
			g_autofree gchar *answer = NULL;
			glong status = sim_post(sim, signed_document, &answer);
			sim_event(sim, "SENT %s %s %s -> %ld %s", push->type, msg_id, push->case_id,
			          status, answer);
			if (status != 0 && status < 500)
				break;
			g_usleep(500 * 1000);
		}
	}
	sim_push_free(push);
}

static void
sim_queue(Sim *sim, const gchar *type, const gchar *case_id, gchar *body, gboolean tamper)
{
	Push *push = g_new0(Push, 1);
	push->type = g_strdup(type);
	push->case_id = g_strdup(case_id);
	push->body = body;
	push->tamper = tamper;
	g_thread_pool_push(sim->pushes, push, NULL);
}

/* ---- the other side's documents ---- */

/* 24 months of 2023-2024 at a base of 6,000.00: pooled = 2 × round(0.12 × 72,000.00). */
static gchar *
sim_info_body(Sim *sim, const gchar *person_xml)
{
	GString *body = g_string_new(person_xml);
	g_string_append(body, "    <AAE200>0</AAE200>\n    <AAE201>24</AAE201>\n    <Bases>");
	for (guint month = 0; month < 24; month++)
		g_string_append_printf(body, "<Base period=\"%u%02u\">6000.00</Base>",
		                       2023 + month / 12, month % 12 + 1);
	gint64 account = 0;
	g_autoptr(GError) error = NULL;
	gint64 whole = g_ascii_strtoll(sim->account, NULL, 10);
	const gchar *point = strchr(sim->account, '.');
	account = whole * 100 + (point != NULL ? g_ascii_strtoll(point + 1, NULL, 10) : 0);
	gint64 total = account + 1728000;
	g_string_append_printf(body,
	                       "</Bases>\n    <Index deemed=\"0.0000\"/>\n    <AIC268>%s</AIC268>\n"
	                       "    <AIC099>%s</AIC099>\n    <AIC103>17280.00</AIC103>\n"
	                       "    <AIC102>%" G_GINT64_FORMAT ".%02d</AIC102>\n"
	                       "    <AnnuityBalance>0.00</AnnuityBalance>\n",
	                       sim->account, sim->account, total / 100, (gint)(total % 100));
	return g_string_free(body, FALSE);
}

static gchar *
sim_fund_body(Sim *sim, const gchar *case_id)
{
	gint64 whole = g_ascii_strtoll(sim->account, NULL, 10);
	const gchar *point = strchr(sim->account, '.');
	gint64 account = whole * 100 + (point != NULL ? g_ascii_strtoll(point + 1, NULL, 10) : 0);
	if (sim->mismatch)
		account += 1; /* one fen more than the INFO says */
	gint64 total = account + 1728000;
	return g_strdup_printf(
	        "    <AIC102>%" G_GINT64_FORMAT ".%02d</AIC102>\n"
	        "    <AIC099>%" G_GINT64_FORMAT ".%02d</AIC099>\n"
	        "    <AIC103>17280.00</AIC103>\n    <AnnuityAmount>0.00</AnnuityAmount>\n"
	        "    <BankReference>SIM-%s</BankReference>\n"
	        "    <ValueDate>20261127</ValueDate>\n",
	        total / 100, (gint)(total % 100), account / 100, (gint)(account % 100), case_id);
}

static gchar *
sim_person_xml(PhXmlDoc *doc)
{
	g_autofree gchar *id = ph_xml_doc_get_text(doc, "Body/Person/AAC002");
	g_autofree gchar *name = ph_xml_doc_get_text(doc, "Body/Person/AAC003");
	g_autofree gchar *sex = ph_xml_doc_get_text(doc, "Body/Person/AAC004");
	g_autofree gchar *birth = ph_xml_doc_get_text(doc, "Body/Person/AAC006");
	return g_markup_printf_escaped(
	        "    <Person>\n      <AAC002>%s</AAC002><AAC003>%s</AAC003>\n"
	        "      <AAC004>%s</AAC004><AAC006>%s</AAC006>\n    </Person>\n",
	        id, name, sex, birth);
}

/* The hub asks us (the sending side) for a member: INFO and FUND, in the chosen order. */
static void
sim_answer_letter(Sim *sim, PhXmlDoc *doc, const gchar *case_id)
{
	g_autofree gchar *person = sim_person_xml(doc);
	gchar *info = sim_info_body(sim, person);
	gchar *fund = sim_fund_body(sim, case_id);
	if (sim->fund_first) {
		sim_queue(sim, "FUND", case_id, fund, sim->bad_signature);
		sim_queue(sim, "INFO", case_id, info, FALSE);
	} else {
		sim_queue(sim, "INFO", case_id, info, sim->bad_signature);
		sim_queue(sim, "FUND", case_id, fund, FALSE);
	}
}

/* INFO and FUND of a transfer out by the hub: a RECEIPT once both are here, acknowledging
 * the FUND (the message the hub's case waits on). */
static void
sim_note_sheet(Sim *sim, const gchar *type, const gchar *msg_id, const gchar *case_id)
{
	g_mutex_lock(&sim->lock);
	const gchar *seen = g_hash_table_lookup(sim->seen, case_id); /* "TYPE MSGID" */
	gboolean complete = seen != NULL && !g_str_has_prefix(seen, type);
	g_autofree gchar *fund_id = g_strdup(g_str_equal(type, "FUND") ? msg_id
	                                     : complete                ? strchr(seen, ' ') + 1
	                                                               : "");
	g_hash_table_replace(sim->seen, g_strdup(case_id), g_strdup_printf("%s %s", type, msg_id));
	g_mutex_unlock(&sim->lock);
	if (!complete || sim->no_receipt)
		return;
	gchar *body = g_markup_printf_escaped("    <AckMsgId>%s</AckMsgId>\n"
	                                      "    <ResultCode>OK</ResultCode>\n"
	                                      "    <ResultText>received</ResultText>\n",
	                                      fund_id);
	sim_queue(sim, "RECEIPT", case_id, body, FALSE);
}

/* ---- the server ---- */

/* --long-answers: a platform whose Acks explain at length (the hub must read the Status of a
 * refusal however long its answer). */
static gboolean sim_long_answers;

static void
sim_reply(SoupServerMessage *message, guint status, const gchar *msg_id, const gchar *verdict,
          const gchar *text)
{
	g_autofree gchar *padding = g_strnfill(sim_long_answers ? 2000 : 0, '.');
	g_autofree gchar *body = g_markup_printf_escaped(
	        "<Ack><MsgId>%s</MsgId><Status>%s</Status><Message>%s%s</Message></Ack>\n",
	        msg_id != NULL ? msg_id : "", verdict, text, padding);
	soup_server_message_set_status(message, status, NULL);
	soup_server_message_set_response(message, "application/xml", SOUP_MEMORY_COPY, body,
	                                 strlen(body));
}

static gboolean
sim_unpause(gpointer data)
{
	soup_server_message_unpause(data);
	g_object_unref(data);
	return G_SOURCE_REMOVE;
}

/* The platform's checks after the signature (transfer.md, "Answers to a push"): SentAt in
 * the window, then the MsgId against what it already holds. FALSE when answered here. */
static gboolean
sim_admit(Sim *sim, SoupServerMessage *message, PhXmlDoc *doc, GBytes *body)
{
	g_autofree gchar *type = ph_xml_doc_get_text(doc, "Header/MsgType");
	g_autofree gchar *msg_id = ph_xml_doc_get_text(doc, "Header/MsgId");
	g_autofree gchar *sent_text = ph_xml_doc_get_text(doc, "Header/SentAt");
	g_autoptr(GDateTime) sent =
	        sent_text != NULL ? g_date_time_new_from_iso8601(sent_text, NULL) : NULL;
	gint64 age = sent != NULL ? g_get_real_time() / G_USEC_PER_SEC - g_date_time_to_unix(sent)
	                          : G_MAXINT64;
	/* --expire-first and --expire-resends answer as after a long outage, without waiting for
	 * the window to pass (tests that must not depend on the clock) */
	gboolean first = msg_id != NULL && g_hash_table_add(sim->pushed, g_strdup(msg_id));
	GBytes *held = msg_id != NULL ? g_hash_table_lookup(sim->held, msg_id) : NULL;
	gboolean resent = held != NULL && g_bytes_equal(held, body);
	if ((sim->expire_first && first) || (sim->expire_resends && resent) ||
	    age > sim->window_seconds || age < -(gint64)sim->window_seconds) {
		sim_event(sim, "EXPIRED %s %s sentat=%s", type, msg_id, sent_text);
		sim_reply(message, 400, msg_id, "EXPIRED", "SentAt outside the window");
		return FALSE;
	}
	if (held != NULL) {
		gboolean same = g_bytes_equal(held, body);
		sim_event(sim, "%s %s %s sentat=%s", same ? "DUPLICATE" : "CONFLICT", type, msg_id,
		          sent_text);
		sim_reply(message, same ? 200 : 409, msg_id, same ? "DUPLICATE" : "CONFLICT",
		          same ? "already stored" : "same MsgId, other bytes");
		return FALSE;
	}
	if (msg_id != NULL)
		g_hash_table_replace(sim->held, g_strdup(msg_id), g_bytes_ref(body));
	return TRUE;
}

/* --lose-answer-once: the document is kept, but the connection closes before the answer. */
static gboolean
sim_lose_answer(Sim *sim, SoupServerMessage *message, const gchar *type, const gchar *msg_id)
{
	if (!sim->lose_answer_once)
		return FALSE;
	sim->lose_answer_once = FALSE;
	sim_event(sim, "LOST %s %s (kept, answer dropped)", type, msg_id);
	g_autoptr(GIOStream) connection = soup_server_message_steal_connection(message);
	g_io_stream_close(connection, NULL, NULL);
	return TRUE;
}

/* FALSE when the answer was dropped on purpose. */
static gboolean
sim_take(Sim *sim, SoupServerMessage *message, GBytes *body)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *subject = NULL;
	g_autoptr(PhXmlDoc) doc = ph_xml_doc_parse(body, NULL, &error);
	if (doc == NULL || !ph_xml_verifier_verify(sim->verifier, doc, 0, &subject, &error)) {
		sim_event(sim, "REFUSED %s", error->message);
		sim_reply(message, 400, NULL, "SIGNATURE_INVALID", error->message);
		return TRUE;
	}
	if (!sim_admit(sim, message, doc, body))
		return TRUE;
	g_autofree gchar *type = ph_xml_doc_get_text(doc, "Header/MsgType");
	g_autofree gchar *msg_id = ph_xml_doc_get_text(doc, "Header/MsgId");
	g_autofree gchar *case_id = ph_xml_doc_get_text(doc, "Header/CaseId");
	g_autofree gchar *sent_at = ph_xml_doc_get_text(doc, "Header/SentAt");
	g_autofree gchar *detail = g_strcmp0(type, "RECEIPT") == 0
	                                   ? ph_xml_doc_get_text(doc, "Body/ResultCode")
	                                   : ph_xml_doc_get_text(doc, "Body/AIC102");
	sim_event(sim, "RECEIVED %s %s %s %s signer=%s sentat=%s", type, msg_id, case_id,
	          detail != NULL ? detail : "-", subject, sent_at);
	gboolean answered = !sim_lose_answer(sim, message, type, msg_id);
	if (answered)
		sim_reply(message, 202, msg_id, "ACCEPTED", "stored for processing");
	if (g_strcmp0(type, "LETTER") == 0)
		sim_answer_letter(sim, doc, case_id);
	else if (g_strcmp0(type, "INFO") == 0 || g_strcmp0(type, "FUND") == 0)
		sim_note_sheet(sim, type, msg_id, case_id);
	return answered;
}

/* A schema refusal as a validator words it, quoting the refused value: the document's first
 * AAC002, in full (what a partner's answer may hold, and the hub must not keep unmasked). */
static void
sim_refuse_quoting_id(Sim *sim, SoupServerMessage *message)
{
	g_autoptr(GBytes) body =
	        soup_message_body_flatten(soup_server_message_get_request_body(message));
	g_autofree gchar *text = g_strndup(g_bytes_get_data(body, NULL), g_bytes_get_size(body));
	const gchar *start = strstr(text, "<AAC002>");
	const gchar *end = start != NULL ? strstr(start, "</AAC002>") : NULL;
	g_autofree gchar *id = start != NULL && end != NULL
	                               ? g_strndup(start + 8, (gsize)(end - start - 8))
	                               : g_strdup("");
	g_autofree gchar *why = g_strdup_printf(
	        "Element 'AAC002': [facet 'pattern'] The value '%s' is not accepted", id);
	sim_event(sim, "REFUSED SCHEMA_INVALID quoting the AAC002");
	sim_reply(message, 400, NULL, "SCHEMA_INVALID", why);
}

static void
sim_handle(SoupServer *server, SoupServerMessage *message, const char *path, GHashTable *query,
           gpointer user_data)
{
	Sim *sim = user_data;
	if (g_strcmp0(soup_server_message_get_method(message), "POST") != 0) {
		soup_server_message_set_status(message, 405, NULL);
		return;
	}
	if (sim->down) {
		sim_event(sim, "DOWN refused a message");
		sim_reply(message, 503, NULL, "UNAVAILABLE", "simulated outage");
	} else if (sim->refuse_quoting_id) {
		sim_refuse_quoting_id(sim, message);
	} else {
		g_autoptr(GBytes) body =
		        soup_message_body_flatten(soup_server_message_get_request_body(message));
		if (!sim_take(sim, message, body))
			return;
	}
	if (sim->delay_ms > 0) {
		soup_server_message_pause(message);
		g_timeout_add((guint)sim->delay_ms, sim_unpause, g_object_ref(message));
	}
}

static gboolean
sim_accept_certificate(SoupServerMessage *message, GTlsCertificate *certificate,
                       GTlsCertificateFlags errors, gpointer user_data)
{
	return errors == 0; /* chains to the dev CA: the hub's client certificate */
}

static void
sim_request_started(SoupServer *server, SoupServerMessage *message, gpointer user_data)
{
	g_signal_connect(message, "accept-certificate", G_CALLBACK(sim_accept_certificate), NULL);
}

static gboolean
sim_listen(Sim *sim, SoupServer **out, GError **error)
{
	g_autofree gchar *cert = g_build_filename(sim->pki, "transfer-platform.crt", NULL);
	g_autofree gchar *key = g_build_filename(sim->pki, "transfer-platform.key", NULL);
	g_autofree gchar *ca_relative = g_build_filename(sim->pki, "ca.crt", NULL);
	g_autofree gchar *ca = g_canonicalize_filename(ca_relative, NULL);
	g_autoptr(GTlsCertificate) certificate = g_tls_certificate_new_from_files(cert, key, error);
	g_autoptr(GTlsDatabase) database =
	        certificate != NULL ? g_tls_file_database_new(ca, error) : NULL;
	if (database == NULL)
		return FALSE;
	SoupServer *server = soup_server_new("server-header", "transfer-sim", NULL);
	g_object_set(server, "tls-certificate", certificate, "tls-database", database,
	             "tls-auth-mode", G_TLS_AUTHENTICATION_REQUIRED, NULL);
	g_signal_connect(server, "request-started", G_CALLBACK(sim_request_started), sim);
	soup_server_add_handler(server, "/transfer/v1/messages", sim_handle, sim, NULL);
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) address = g_inet_socket_address_new(loopback, sim->port);
	if (!soup_server_listen(server, address, SOUP_SERVER_LISTEN_HTTPS, error)) {
		g_object_unref(server);
		return FALSE;
	}
	*out = server;
	return TRUE;
}

static void
sim_start_transfers_out(Sim *sim)
{
	for (guint i = 0; sim->start_out != NULL && sim->start_out[i] != NULL; i++) {
		g_autofree gchar *case_id = sim_new_id(sim, "XF");
		gchar *body = g_markup_printf_escaped(
		        "    <Person>\n      <AAC002>%s</AAC002><AAC003>转出人员</AAC003>\n"
		        "      <AAC004>1</AAC004><AAC006>%.8s</AAC006>\n    </Person>\n"
		        "    <AAE140>120</AAE140>\n    <EAC071>2</EAC071>\n    "
		        "<OAA027>%s</OAA027>\n"
		        "    <AAC077>transfer-sim %s</AAC077>\n",
		        sim->start_out[i], sim->start_out[i] + 6, sim->region, sim->region);
		sim_event(sim, "START %s %s", case_id, sim->start_out[i]);
		sim_queue(sim, "LETTER", case_id, body, sim->bad_signature);
	}
}

int
main(int argc, char **argv)
{
	Sim sim = {0};
	g_autoptr(GError) error = NULL;
	gint port = 8444;
	sim.agency = g_strdup("330100000001");
	sim.region = g_strdup("330100");
	sim.hub_agency = g_strdup("110100000001");
	sim.hub_region = g_strdup("110100");
	sim.account = g_strdup("12345.67");
	sim.window_seconds = 600;
	GOptionEntry entries[] = {
	        {"port", 0, 0, G_OPTION_ARG_INT, &port, "HTTPS port (8444)", "PORT"},
	        {"hub-url", 0, 0, G_OPTION_ARG_STRING, &sim.hub_url, "the hub's push URL", "URL"},
	        {"pki", 0, 0, G_OPTION_ARG_FILENAME, &sim.pki, "dev PKI folder ($PH_PKI)", "DIR"},
	        {"events", 0, 0, G_OPTION_ARG_FILENAME, &sim.events_path, "also log events here",
	         "FILE"},
	        {"agency", 0, 0, G_OPTION_ARG_STRING, &sim.agency, "our AAB034 (330100000001)",
	         "CODE"},
	        {"region", 0, 0, G_OPTION_ARG_STRING, &sim.region, "our AAB301 (330100)", "CODE"},
	        {"hub-agency", 0, 0, G_OPTION_ARG_STRING, &sim.hub_agency, "the hub's AAB034",
	         "CODE"},
	        {"hub-region", 0, 0, G_OPTION_ARG_STRING, &sim.hub_region, "the hub's AAB301",
	         "CODE"},
	        {"account", 0, 0, G_OPTION_ARG_STRING, &sim.account, "AIC099 we send (12345.67)",
	         "YUAN"},
	        {"start-out", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sim.start_out,
	         "ask the hub for the transfer out of this AAC002 (repeatable)", "AAC002"},
	        {"fund-first", 0, 0, G_OPTION_ARG_NONE, &sim.fund_first, "send FUND before INFO",
	         NULL},
	        {"bad-signature", 0, 0, G_OPTION_ARG_NONE, &sim.bad_signature,
	         "alter the first document after signing", NULL},
	        {"replay", 0, 0, G_OPTION_ARG_NONE, &sim.replay, "send every document twice", NULL},
	        {"mismatch", 0, 0, G_OPTION_ARG_NONE, &sim.mismatch, "FUND one fen above INFO",
	         NULL},
	        {"stale", 0, 0, G_OPTION_ARG_NONE, &sim.stale, "SentAt an hour off (ahead)", NULL},
	        {"down", 0, 0, G_OPTION_ARG_NONE, &sim.down, "answer 503 to every message", NULL},
	        {"delay-ms", 0, 0, G_OPTION_ARG_INT, &sim.delay_ms, "answer this much later", "MS"},
	        {"no-receipt", 0, 0, G_OPTION_ARG_NONE, &sim.no_receipt, "never send RECEIPTs",
	         NULL},
	        {"window-seconds", 0, 0, G_OPTION_ARG_INT, &sim.window_seconds,
	         "answer EXPIRED when SentAt is further than this from now (600)", "SECONDS"},
	        {"long-answers", 0, 0, G_OPTION_ARG_NONE, &sim_long_answers,
	         "pad every Ack's Message past 2,000 characters", NULL},
	        {"expire-first", 0, 0, G_OPTION_ARG_NONE, &sim.expire_first,
	         "answer each MsgId's first push 400 EXPIRED, whatever its SentAt", NULL},
	        {"expire-resends", 0, 0, G_OPTION_ARG_NONE, &sim.expire_resends,
	         "answer the same bytes again 400 EXPIRED instead of DUPLICATE", NULL},
	        {"refuse-quoting-id", 0, 0, G_OPTION_ARG_NONE, &sim.refuse_quoting_id,
	         "answer 400 SCHEMA_INVALID quoting the document's AAC002", NULL},
	        {"lose-answer-once", 0, 0, G_OPTION_ARG_NONE, &sim.lose_answer_once,
	         "keep the first document taken but drop the connection before answering", NULL},
	        {NULL},
	};
	g_autoptr(GOptionContext) options = g_option_context_new("- transfer platform simulator");
	g_option_context_add_main_entries(options, entries, NULL);
	if (!g_option_context_parse(options, &argc, &argv, &error) || sim.hub_url == NULL) {
		g_printerr("transfer-sim: %s\n",
		           error != NULL ? error->message : "--hub-url is required");
		return 2;
	}
	if (sim.pki == NULL)
		sim.pki = g_strdup(g_getenv("PH_PKI"));
	if (sim.pki == NULL) {
		g_printerr("transfer-sim: --pki or $PH_PKI is required\n");
		return 2;
	}
	sim.port = (guint)port;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	g_mutex_init(&sim.lock);
	sim.seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	sim.pushed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	sim.held = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	                                 (GDestroyNotify)g_bytes_unref);
	sim.events = sim.events_path != NULL ? fopen(sim.events_path, "a") : NULL;
	g_autofree gchar *key = g_build_filename(sim.pki, "transfer-platform.key", NULL);
	g_autofree gchar *cert = g_build_filename(sim.pki, "transfer-platform.crt", NULL);
	g_autofree gchar *ca = g_build_filename(sim.pki, "ca.crt", NULL);
	SoupServer *server = NULL;
	if ((sim.signer = ph_xml_signer_new(key, cert, &error)) == NULL ||
	    (sim.verifier = ph_xml_verifier_new(ca, &error)) == NULL ||
	    !sim_listen(&sim, &server, &error)) {
		g_printerr("transfer-sim: %s\n", error->message);
		return 1;
	}
	sim.pushes = g_thread_pool_new(sim_push_work, &sim, 1, TRUE, NULL);
	sim_event(&sim, "READY https://127.0.0.1:%u/transfer/v1/messages", sim.port);
	sim_start_transfers_out(&sim);
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
	g_main_loop_run(loop);
	return 0;
}
