/* archive-sim: plays the agency's archive system (电子档案系统) for tests and the demo. An
 * HTTPS server with mTLS takes PUT /archive/v1/packages/<id>, checks each PH-ARCHIVE-1 package
 * with the hub's offline verifier against the dev CA, keeps it (optionally in --store DIR)
 * and answers 201 with a receipt id; the same package again gets 200 and the same receipt.
 * With --watch it also takes packages the hub puts in a folder over SFTP and answers each with
 * a receipt file beside it. Outages on request. See README.md. */
#include <json-glib/json-glib.h>
#include <string.h>

#include "pension-hub/ph-digest.h"
#include "ph-archive-package.h"
#include "ph-peer.h"

#define PACKAGE_PATH "/archive/v1/packages/"

typedef struct {
	gchar *receipt_id;
	gchar *sha256;
} Stored;

typedef struct {
	PhPeer peer;
	gchar *store;        /* folder the packages are written to as <id>.tar, may be NULL */
	gchar *watch;        /* folder the hub's SFTP deliveries land in, may be NULL */
	gboolean no_receipt; /* answer 201 without a receipt id (the hub must not accept it) */
	PhXmlVerifier *verifier;
	GHashTable *stored; /* package id → Stored */
	guint next_receipt;
} Sim;

static void
stored_free(gpointer data)
{
	Stored *stored = data;
	g_free(stored->receipt_id);
	g_free(stored->sha256);
	g_free(stored);
}

static gchar *
sim_receipt(const gchar *package_id, const gchar *receipt_id)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "package_id");
	json_builder_add_string_value(builder, package_id);
	json_builder_set_member_name(builder, "receipt_id");
	json_builder_add_string_value(builder, receipt_id);
	json_builder_end_object(builder);
	g_autoptr(JsonNode) root = json_builder_get_root(builder);
	return json_to_string(root, FALSE);
}

static gboolean
sim_keep(Sim *sim, const gchar *package_id, GBytes *package, GError **error)
{
	if (sim->store == NULL)
		return TRUE;
	g_autofree gchar *name = g_strconcat(package_id, ".tar", NULL);
	g_autofree gchar *path = g_build_filename(sim->store, name, NULL);
	return g_file_set_contents(path, g_bytes_get_data(package, NULL),
	                           (gssize)g_bytes_get_size(package), error);
}

/* A package id as the hub makes them: letters, digits and '-' only, so it is a safe name. */
static gboolean
sim_valid_id(const gchar *id)
{
	if (id[0] == '\0' || strlen(id) > 64)
		return FALSE;
	for (const gchar *c = id; *c != '\0'; c++) {
		if (!g_ascii_isalnum(*c) && *c != '-')
			return FALSE;
	}
	return TRUE;
}

/* The dev CA's verifier, made on the first package (the PKI folder is known only then). */
static PhXmlVerifier *
sim_verifier(Sim *sim, GError **error)
{
	if (sim->verifier == NULL) {
		g_autofree gchar *ca = g_build_filename(sim->peer.pki, "ca.crt", NULL);
		sim->verifier = ph_xml_verifier_new(ca, error);
	}
	return sim->verifier;
}

/* Takes one package (either way it came): the answer's status and body. */
static gchar *
sim_accept(Sim *sim, const gchar *package_id, GBytes *package, guint *status)
{
	g_autoptr(GError) error = NULL;
	gsize size = 0;
	const guint8 *data = g_bytes_get_data(package, &size);
	g_autofree gchar *sha256 = ph_digest_hex(PH_DIGEST_SHA256, data, size);
	Stored *known = g_hash_table_lookup(sim->stored, package_id);
	if (known != NULL && g_str_equal(known->sha256, sha256)) {
		ph_peer_event(&sim->peer, "DUPLICATE %s receipt=%s", package_id, known->receipt_id);
		*status = 200;
		return sim_receipt(package_id, known->receipt_id);
	}
	PhArchiveCheck check = {0};
	if (known != NULL) {
		ph_peer_event(&sim->peer, "REFUSED %s: other bytes under a kept package id",
		              package_id);
		*status = 409;
		return g_strdup("package id taken by other bytes\n");
	}
	PhXmlVerifier *verifier = sim_verifier(sim, &error);
	if (verifier == NULL || !ph_archive_package_verify(package, verifier, &check, &error) ||
	    !sim_keep(sim, package_id, package, &error)) {
		ph_peer_event(&sim->peer, "REFUSED %s: %s", package_id, error->message);
		ph_archive_check_clear(&check);
		*status = 422;
		return g_strdup(error->message);
	}
	Stored *stored = g_new0(Stored, 1);
	stored->receipt_id = g_strdup_printf("AR-%06u", ++sim->next_receipt);
	stored->sha256 = g_steal_pointer(&sha256);
	g_hash_table_replace(sim->stored, g_strdup(package_id), stored);
	ph_peer_event(&sim->peer, "STORED %s %s %s documents=%u receipt=%s signer=%s", package_id,
	              check.case_type, check.case_id, check.documents, stored->receipt_id,
	              check.signer);
	ph_archive_check_clear(&check);
	*status = 201;
	return sim->no_receipt ? g_strdup("{}") : sim_receipt(package_id, stored->receipt_id);
}

static void
sim_take(Sim *sim, SoupServerMessage *message, const gchar *package_id, GBytes *package)
{
	guint status = 0;
	g_autofree gchar *body = sim_accept(sim, package_id, package, &status);
	ph_peer_respond(message, status, status < 300 ? "application/json" : "text/plain", body);
}

/* --watch: a package FOLDER/ID.tar the hub put there over SFTP gets FOLDER/ID.receipt
 * (written to a temporary name and renamed, so the hub never reads half of it); a refused
 * one gets a receipt without receipt_id, {"package_id": …, "refused": "why"}. */
static void
sim_watch_one(Sim *sim, const gchar *name)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *package_id = g_strndup(name, strlen(name) - strlen(".tar"));
	g_autofree gchar *receipt_name = g_strconcat(package_id, ".receipt", NULL);
	g_autofree gchar *receipt_path = g_build_filename(sim->watch, receipt_name, NULL);
	if (!sim_valid_id(package_id) || g_file_test(receipt_path, G_FILE_TEST_EXISTS))
		return;
	g_autofree gchar *path = g_build_filename(sim->watch, name, NULL);
	gchar *data = NULL;
	gsize length = 0;
	if (!g_file_get_contents(path, &data, &length, &error)) {
		ph_peer_event(&sim->peer, "REFUSED %s: %s", name, error->message);
		return;
	}
	g_autoptr(GBytes) package = g_bytes_new_take(data, length);
	guint status = 0;
	g_autofree gchar *body = sim_accept(sim, package_id, package, &status);
	if (status >= 300) {
		g_autoptr(JsonBuilder) builder = json_builder_new();
		json_builder_begin_object(builder);
		json_builder_set_member_name(builder, "package_id");
		json_builder_add_string_value(builder, package_id);
		json_builder_set_member_name(builder, "refused");
		json_builder_add_string_value(builder, body);
		json_builder_end_object(builder);
		g_autoptr(JsonNode) root = json_builder_get_root(builder);
		g_free(body);
		body = json_to_string(root, FALSE);
	}
	if (!g_file_set_contents(receipt_path, body, -1, &error))
		ph_peer_event(&sim->peer, "REFUSED %s: %s", name, error->message);
}

static gboolean
sim_watch_tick(gpointer user_data)
{
	Sim *sim = user_data;
	if (sim->peer.down)
		return G_SOURCE_CONTINUE;
	g_autoptr(GDir) dir = g_dir_open(sim->watch, 0, NULL);
	const gchar *name = NULL;
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		if (g_str_has_suffix(name, ".tar"))
			sim_watch_one(sim, name);
	}
	return G_SOURCE_CONTINUE;
}

static gboolean
sim_start(gpointer user_data)
{
	Sim *sim = user_data;
	if (sim->watch != NULL) {
		g_timeout_add(100, sim_watch_tick, sim);
		ph_peer_event(&sim->peer, "WATCHING %s", sim->watch);
	}
	return G_SOURCE_REMOVE;
}

static void
sim_package(SoupServer *server, SoupServerMessage *message, const char *path, GHashTable *query,
            gpointer user_data)
{
	Sim *sim = user_data;
	if (ph_peer_take(&sim->peer, message, "PUT", "a package")) {
		const gchar *package_id = path + strlen(PACKAGE_PATH);
		if (!g_str_has_prefix(path, PACKAGE_PATH) || !sim_valid_id(package_id)) {
			ph_peer_event(&sim->peer, "REFUSED a package at %s", path);
			ph_peer_respond(message, 404, "text/plain", "no such package resource\n");
		} else {
			g_autoptr(GBytes) body = soup_message_body_flatten(
			        soup_server_message_get_request_body(message));
			sim_take(sim, message, package_id, body);
		}
	}
	ph_peer_maybe_delay(&sim->peer, message);
}

int
main(int argc, char **argv)
{
	Sim sim = {.peer = {.name = "archive"}};
	GOptionEntry entries[] = {
	        {"store", 0, 0, G_OPTION_ARG_FILENAME, &sim.store,
	         "write every package taken to DIR/<id>.tar", "DIR"},
	        {"watch", 0, 0, G_OPTION_ARG_FILENAME, &sim.watch,
	         "also take packages put in DIR over SFTP, answering with DIR/<id>.receipt", "DIR"},
	        {"no-receipt", 0, 0, G_OPTION_ARG_NONE, &sim.no_receipt,
	         "answer 201 without a receipt id", NULL},
	        {NULL},
	};
	const PhPeerSpec spec = {
	        entries, "- archive system simulator", 8447, PACKAGE_PATH, sim_package, sim_start,
	        &sim};
	sim.stored = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, stored_free);
	return ph_peer_main(&sim.peer, &spec, argc, argv);
}
