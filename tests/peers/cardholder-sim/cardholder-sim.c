/* cardholder-sim: plays the social-security cardholder base (持卡库) for tests and the demo.
 * An HTTPS server with mTLS answers PH-CARD-1 queries from a card file that is read again
 * for every query (so a test can change a card while it runs), and a client pushes change
 * notices to the hub. Outages and wrong answers on request. See README.md. */
#include <string.h>

#include "pension-hub.h"
#include "ph-peer.h"

#define QUERY_PATH  "/cardholder/v1/query"
#define NOTICE_PATH "/cardholder/v1/notices"

typedef struct {
	PhPeer peer;
	gchar *cards_path;
	gboolean mismatch; /* answer every name with one character more */
	gboolean wrong_id; /* answer about another AAC002 */
	gchar **notify;    /* CHANGE:AAC002 notices to push at start */
} Sim;

/* The card file line for @id_number, split into its six fields, or NULL. */
static gchar **
sim_find_card(Sim *sim, const gchar *id_number)
{
	g_autofree gchar *text = NULL;
	if (sim->cards_path == NULL || !g_file_get_contents(sim->cards_path, &text, NULL, NULL))
		return NULL;
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		if (lines[i][0] == '#' || lines[i][0] == '\0')
			continue;
		gchar **fields = g_strsplit(g_strchomp(lines[i]), "\t", 6);
		if (g_strv_length(fields) == 6 && g_strcmp0(fields[0], id_number) == 0)
			return fields;
		g_strfreev(fields);
	}
	return NULL;
}

static gchar *
sim_answer(Sim *sim, const gchar *query_id, const gchar *id_number)
{
	g_auto(GStrv) card = sim_find_card(sim, id_number);
	const gchar *echo = sim->wrong_id ? "11010519491231002X" : id_number;
	if (card == NULL)
		return g_markup_printf_escaped(
		        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CardholderAnswer "
		        "xmlns=\"urn:pension-hub:cardholder:1\"><QueryId>%s</QueryId>"
		        "<Result>NOT_FOUND</Result><AAC002>%s</AAC002></CardholderAnswer>\n",
		        query_id, echo);
	g_autofree gchar *name = g_strconcat(card[1], sim->mismatch ? "某" : "", NULL);
	return g_markup_printf_escaped(
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CardholderAnswer "
	        "xmlns=\"urn:pension-hub:cardholder:1\"><QueryId>%s</QueryId><Result>FOUND</Result>"
	        "<AAC002>%s</AAC002><AAC003>%s</AAC003><AAZ500>%s</AAZ500><AAZ502>%s</AAZ502>"
	        "<AAE008>%s</AAE008><AAE010>%s</AAE010></CardholderAnswer>\n",
	        query_id, echo, name, card[2], card[3], card[4], card[5]);
}

static void
sim_query(SoupServer *server, SoupServerMessage *message, const char *path, GHashTable *query,
          gpointer user_data)
{
	Sim *sim = user_data;
	g_autoptr(GError) error = NULL;
	if (!ph_peer_take_post(&sim->peer, message, "a query")) {
		ph_peer_maybe_delay(&sim->peer, message);
		return;
	}
	g_autoptr(GBytes) body =
	        soup_message_body_flatten(soup_server_message_get_request_body(message));
	g_autoptr(PhXmlDoc) doc = ph_xml_doc_parse(body, NULL, &error);
	g_autofree gchar *query_id = doc != NULL ? ph_xml_doc_get_text(doc, "QueryId") : NULL;
	g_autofree gchar *id_number = doc != NULL ? ph_xml_doc_get_text(doc, "AAC002") : NULL;
	g_autofree gchar *name = doc != NULL ? ph_xml_doc_get_text(doc, "AAC003") : NULL;
	if (query_id == NULL || id_number == NULL) {
		ph_peer_event(&sim->peer, "REFUSED a query that is not PH-CARD-1");
		ph_peer_respond(message, 400, "text/plain", "not a PH-CARD-1 query\n");
		return;
	}
	g_autofree gchar *answer = sim_answer(sim, query_id, id_number);
	ph_peer_event(&sim->peer, "QUERY %s %s %s -> %s", query_id, id_number, name,
	              strstr(answer, "NOT_FOUND") != NULL ? "NOT_FOUND"
	              : sim->mismatch                     ? "FOUND mismatch"
	                                                  : "FOUND");
	ph_peer_respond(message, 200, "application/xml", answer);
	ph_peer_maybe_delay(&sim->peer, message);
}

/* CHANGE:AAC002 → a notice with the card as the card file has it now. */
static void
sim_push_notice(Sim *sim, const gchar *spec)
{
	g_auto(GStrv) parts = g_strsplit(spec, ":", 2);
	g_auto(GStrv) card = parts[1] != NULL ? sim_find_card(sim, parts[1]) : NULL;
	if (card == NULL) {
		ph_peer_event(&sim->peer, "ERROR notice %s: no such card in the card file", spec);
		return;
	}
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree gchar *day = g_date_time_format(now, "%Y%m%d");
	g_autofree gchar *notice_id = g_strdup_printf("N-%08x%08x", g_random_int(), g_random_int());
	g_autofree gchar *upper = g_ascii_strup(parts[0], -1);
	g_autofree gchar *body = g_markup_printf_escaped(
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CardholderNotice "
	        "xmlns=\"urn:pension-hub:cardholder:1\"><NoticeId>%s</NoticeId><Change>%s</Change>"
	        "<AAE035>%s</AAE035><AAC002>%s</AAC002><AAC003>%s</AAC003><AAZ500>%s</AAZ500>"
	        "<AAZ502>%s</AAZ502><AAE008>%s</AAE008><AAE010>%s</AAE010></CardholderNotice>\n",
	        notice_id, upper, day, card[0], card[1], card[2], card[3], card[4], card[5]);
	g_autofree gchar *answer = NULL;
	glong status =
	        ph_peer_call_hub(&sim->peer, "POST", NOTICE_PATH, "application/xml", body, &answer);
	ph_peer_event(&sim->peer, "NOTICE %s %s %s -> %ld", notice_id, upper, card[0], status);
}

static gboolean
sim_push_notices(gpointer data)
{
	Sim *sim = data;
	for (guint i = 0; sim->notify != NULL && sim->notify[i] != NULL; i++)
		sim_push_notice(sim, sim->notify[i]);
	return G_SOURCE_REMOVE;
}

int
main(int argc, char **argv)
{
	Sim sim = {.peer = {.name = "cardholder"}};
	GOptionEntry entries[] = {
	        {"cards", 0, 0, G_OPTION_ARG_FILENAME, &sim.cards_path,
	         "card file: AAC002 AAC003 AAZ500 AAZ502 AAE008 AAE010, tab-separated", "FILE"},
	        {"mismatch", 0, 0, G_OPTION_ARG_NONE, &sim.mismatch,
	         "answer every name with one character more", NULL},
	        {"wrong-id", 0, 0, G_OPTION_ARG_NONE, &sim.wrong_id,
	         "answer about another AAC002 than asked", NULL},
	        {"notify", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sim.notify,
	         "push a notice to the hub at start (reissued|lost|account_changed), repeatable",
	         "CHANGE:AAC002"},
	        {NULL},
	};
	const PhPeerSpec spec = {entries,   "- cardholder base simulator",
	                         8445,      QUERY_PATH,
	                         sim_query, sim_push_notices,
	                         &sim};
	return ph_peer_main(&sim.peer, &spec, argc, argv);
}
