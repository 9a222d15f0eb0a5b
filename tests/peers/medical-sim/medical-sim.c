/* medical-sim: plays the medical insurance system (城镇职工基本医疗保险) for tests and the
 * demo. An HTTPS server with mTLS takes the hub's retirement and death notices (PH-MED-1),
 * applies each notice id once and answers repeats as duplicates, counting both; a client
 * asks the hub for a person's pension status. Outages on request. See README.md. */
#include <json-glib/json-glib.h>
#include <string.h>

#include "ph-peer.h"

#define NOTICE_PATH "/medical/v1/notices"

typedef struct {
	PhPeer peer;
	gboolean lose_answer; /* apply a notice, then answer 503 the first time */
	gchar **ask;          /* AAC002 whose pension status we ask the hub for at start */
	GHashTable *applied;  /* notice id → times received */
} Sim;

static gchar *
sim_ack(const gchar *notice_id, const gchar *status)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "notice_id");
	json_builder_add_string_value(builder, notice_id);
	json_builder_set_member_name(builder, "status");
	json_builder_add_string_value(builder, status);
	json_builder_end_object(builder);
	g_autoptr(JsonNode) root = json_builder_get_root(builder);
	return json_to_string(root, FALSE);
}

static const gchar *
sim_member(JsonObject *object, const gchar *name)
{
	JsonNode *node = json_object_get_member(object, name);
	return node != NULL && JSON_NODE_HOLDS_VALUE(node) ? json_node_get_string(node) : NULL;
}

static void
sim_take(Sim *sim, SoupServerMessage *message, JsonObject *notice)
{
	const gchar *notice_id = sim_member(notice, "notice_id");
	const gchar *type = sim_member(notice, "notice_type");
	const gchar *id_number = sim_member(notice, "AAC002");
	if (notice_id == NULL || type == NULL || id_number == NULL) {
		ph_peer_event(&sim->peer,
		              "REFUSED a notice without notice_id, notice_type or AAC002");
		ph_peer_respond(message, 400, "text/plain", "not a PH-MED-1 notice\n");
		return;
	}
	guint seen = GPOINTER_TO_UINT(g_hash_table_lookup(sim->applied, notice_id));
	g_hash_table_replace(sim->applied, g_strdup(notice_id), GUINT_TO_POINTER(seen + 1));
	g_autofree gchar *detail = g_strdup_printf(
	        "%s %s AIC160=%s AAE116=%s AAE138=%s", type, id_number,
	        sim_member(notice, "AIC160") != NULL ? sim_member(notice, "AIC160") : "-",
	        sim_member(notice, "AAE116") != NULL ? sim_member(notice, "AAE116") : "-",
	        sim_member(notice, "AAE138") != NULL ? sim_member(notice, "AAE138") : "-");
	if (seen > 0) {
		ph_peer_event(&sim->peer, "DUPLICATE %s %s (received %u times)", notice_id, detail,
		              seen + 1);
		g_autofree gchar *ack = sim_ack(notice_id, "DUPLICATE");
		ph_peer_respond(message, 200, "application/json", ack);
		return;
	}
	ph_peer_event(&sim->peer, "APPLIED %s %s", notice_id, detail);
	if (sim->lose_answer) {
		ph_peer_event(&sim->peer, "LOST the answer to %s", notice_id);
		ph_peer_respond(message, 503, "text/plain", "answer lost on purpose\n");
		return;
	}
	g_autofree gchar *ack = sim_ack(notice_id, "APPLIED");
	ph_peer_respond(message, 200, "application/json", ack);
}

static void
sim_notice(SoupServer *server, SoupServerMessage *message, const char *path, GHashTable *query,
           gpointer user_data)
{
	Sim *sim = user_data;
	g_autoptr(GError) error = NULL;
	if (ph_peer_take_post(&sim->peer, message, "a notice")) {
		g_autoptr(GBytes) body =
		        soup_message_body_flatten(soup_server_message_get_request_body(message));
		g_autoptr(JsonParser) parser = json_parser_new();
		gsize size = 0;
		const gchar *data = g_bytes_get_data(body, &size);
		if (!json_parser_load_from_data(parser, data, (gssize)size, &error) ||
		    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
			ph_peer_event(&sim->peer, "REFUSED a notice that is not a JSON object");
			ph_peer_respond(message, 400, "text/plain", "not JSON\n");
		} else {
			sim_take(sim, message, json_node_get_object(json_parser_get_root(parser)));
		}
	}
	ph_peer_maybe_delay(&sim->peer, message);
}

static gboolean
sim_ask(gpointer data)
{
	Sim *sim = data;
	for (guint i = 0; sim->ask != NULL && sim->ask[i] != NULL; i++) {
		g_autofree gchar *path =
		        g_strdup_printf("/medical/v1/persons/%s/pension-status", sim->ask[i]);
		g_autofree gchar *answer = NULL;
		glong status = ph_peer_call_hub(&sim->peer, "GET", path, "application/json", NULL,
		                                &answer);
		ph_peer_event(&sim->peer, "STATUS %s -> %ld %s", sim->ask[i], status, answer);
	}
	return G_SOURCE_REMOVE;
}

int
main(int argc, char **argv)
{
	Sim sim = {.peer = {.name = "medical"}};
	GOptionEntry entries[] = {
	        {"lose-answer", 0, 0, G_OPTION_ARG_NONE, &sim.lose_answer,
	         "apply each notice but answer 503 the first time (the hub sends it again)", NULL},
	        {"ask", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sim.ask,
	         "ask the hub for this person's pension status at start, repeatable", "AAC002"},
	        {NULL},
	};
	const PhPeerSpec spec = {
	        entries, "- medical insurance simulator", 8446, NOTICE_PATH, sim_notice, sim_ask,
	        &sim};
	sim.applied = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	return ph_peer_main(&sim.peer, &spec, argc, argv);
}
