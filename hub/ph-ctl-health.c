/* pensionctl health: asks the running hub's admin listener for /healthz, prints the
 * answer, and exits 0 only when the status is ok. */
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "ph-config.h"
#include "ph-ctl.h"

static gboolean
ph_ctl_health_is_ok(GBytes *body)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	if (!json_parser_load_from_data(parser, g_bytes_get_data(body, NULL),
					(gssize)g_bytes_get_size(body), NULL))
		return FALSE;
	JsonNode *root = json_parser_get_root(parser);
	if (!JSON_NODE_HOLDS_OBJECT(root))
		return FALSE;
	return g_strcmp0(json_object_get_string_member_with_default(json_node_get_object(root),
								    "status", NULL),
			 "ok") == 0;
}

int
ph_ctl_health_main(PhCtl *ctl, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	if (argc != 1)
		return ph_ctl_usage("health");
	PhConfig *config = ph_ctl_config(ctl, &error);
	if (config == NULL)
		return ph_ctl_fail(error);
	g_autofree gchar *url =
	    g_strdup_printf("http://%s:%u/healthz", config->admin_address, config->admin_port);
	g_autoptr(SoupSession) session = soup_session_new_with_options("timeout", 10, NULL);
	g_autoptr(SoupMessage) message = soup_message_new("GET", url);
	g_autoptr(GBytes) body = soup_session_send_and_read(session, message, NULL, &error);
	if (body == NULL) {
		g_prefix_error(&error, "cannot reach the hub at %s: ", url);
		return ph_ctl_fail(error);
	}
	g_print("%.*s\n", (int)g_bytes_get_size(body), (const gchar *)g_bytes_get_data(body, NULL));
	if (soup_message_get_status(message) != SOUP_STATUS_OK || !ph_ctl_health_is_ok(body))
		return PH_CTL_EXIT_FAILED;
	return PH_CTL_EXIT_OK;
}
