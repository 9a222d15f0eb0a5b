/* Tests of the plugin host and the SDK calls behind it: the test modules of tests/plugins/
 * (one good, the others each broken in one way) are staged into a temporary site with its
 * own config, loaded, and their registrations and refusals checked; then the installed
 * SDK builds hello.c out of tree, and `pensionctl plugins --json` lists a site. */
#include "ph-build-config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ph-plugin-host.h"
#include "ph-request-private.h"

/* A temporary deployment: plugins/, mappings/partners/hello.xml, policy/, dummy TLS files
 * and pension-hub.conf, as ph_config_load() demands. */
typedef struct {
	gchar *root;
	gchar *plugin_dir;
	gchar *mapping_dir;
	gchar *config_path;
	PhConfig *config;
	PhRegistry *registry;
	PhPluginHost *host;
} Site;

static const gchar *const all_modules[] = {
        "badinit.so",  "emptysummary.so", "hello.so",    "libph-hello.so",
        "nosymbol.so", "unresolved.so",   "wrongabi.so", NULL};
static const gchar *const hello_only[] = {"hello.so", NULL};

static const gchar *const base_config =
        "[hub]\nagency = 110100000001\nregion = 110100\nplugin_dir = plugins\n"
        "mapping_dir = mappings\npolicy_dir = policy\n"
        "[database]\nurl = postgresql:///unused\n"
        "[partner-listener]\ncertificate = hub.crt\nkey = hub.key\nca = ca.crt\n"
        "[partner bank]\nsubject = CN=bank\n";

static void
remove_tree(const gchar *path)
{
	if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
		g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
		const gchar *entry = NULL;
		while (dir != NULL && (entry = g_dir_read_name(dir)) != NULL) {
			g_autofree gchar *child = g_build_filename(path, entry, NULL);
			remove_tree(child);
		}
	}
	g_remove(path);
}

static void
write_file(const gchar *root, const gchar *name, const gchar *text)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = g_build_filename(root, name, NULL);
	g_autofree gchar *dir = g_path_get_dirname(path);
	g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
	g_file_set_contents(path, text, -1, &error);
	g_assert_no_error(error);
}

/* Writes the site and its config (base_config, then @extra); does not load the config. */
static Site *
site_write(const gchar *const *modules, const gchar *extra)
{
	g_autoptr(GError) error = NULL;
	Site *site = g_new0(Site, 1);
	site->root = g_dir_make_tmp("ph-plugin-host-XXXXXX", &error);
	g_assert_no_error(error);
	site->plugin_dir = g_build_filename(site->root, "plugins", NULL);
	site->mapping_dir = g_build_filename(site->root, "mappings", NULL);
	site->config_path = g_build_filename(site->root, "pension-hub.conf", NULL);
	g_assert_cmpint(g_mkdir_with_parents(site->plugin_dir, 0700), ==, 0);
	g_assert_cmpint(g_mkdir_with_parents(site->mapping_dir, 0700), ==, 0);
	write_file(site->root, "mappings/partners/hello.xml", "<mapping/>\n");
	write_file(site->root, "policy/README", "");
	for (const gchar *const *name =
	             (const gchar *const[]){"hub.crt", "hub.key", "ca.crt", NULL};
	     *name != NULL; name++)
		write_file(site->root, *name, "");
	g_autofree gchar *config = g_strconcat(base_config, extra, NULL);
	write_file(site->root, "pension-hub.conf", config);
	for (guint i = 0; modules[i] != NULL; i++) {
		g_autofree gchar *target = g_build_filename(PH_TEST_PLUGIN_DIR, modules[i], NULL);
		g_autofree gchar *link = g_build_filename(site->plugin_dir, modules[i], NULL);
		g_assert_cmpint(symlink(target, link), ==, 0);
	}
	return site;
}

/* Loads the site's config, then its plugin folder into a new host; checks the warnings
 * announced with g_test_expect_message(). */
static void
site_start(Site *site)
{
	g_autoptr(GError) error = NULL;
	site->config = ph_config_load(site->config_path, &error);
	g_assert_no_error(error);
	site->registry = ph_registry_new();
	site->host = ph_plugin_host_new(site->config, site->registry);
	g_assert_true(ph_plugin_host_load_dir(site->host, site->plugin_dir, &error));
	g_assert_no_error(error);
	g_test_assert_expected_messages();
}

static Site *
site_load(const gchar *const *modules, const gchar *extra)
{
	Site *site = site_write(modules, extra);
	site_start(site);
	return site;
}

static void
site_free(Site *site)
{
	g_clear_pointer(&site->host, ph_plugin_host_free);
	g_clear_pointer(&site->registry, ph_registry_free);
	g_clear_pointer(&site->config, ph_config_free);
	remove_tree(site->root);
	g_free(site->root);
	g_free(site->plugin_dir);
	g_free(site->mapping_dir);
	g_free(site->config_path);
	g_free(site);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Site, site_free)

static PhPlugin *
site_plugin_by_file(Site *site, const gchar *file_name)
{
	GPtrArray *plugins = ph_plugin_host_get_plugins(site->host);
	for (guint i = 0; i < plugins->len; i++) {
		PhPlugin *plugin = g_ptr_array_index(plugins, i);
		g_autofree gchar *base = g_path_get_basename(ph_plugin_get_file(plugin));
		if (g_str_equal(base, file_name))
			return plugin;
	}
	g_assert_not_reached();
}

static void
expect_refusal(const gchar *file_name, const gchar *reason)
{
	g_autofree gchar *pattern = g_strdup_printf("plugin */%s refused: %s", file_name, reason);
	g_test_expect_message("ph-hub", G_LOG_LEVEL_WARNING, pattern);
}

static void
test_name_from_file(void)
{
	/* The naming rule documented in ph-plugin-host.h and docs/plugin-guide.md. */
	static const struct {
		const gchar *file;
		const gchar *name;
	} cases[] = {
	        {"bank.so", "bank"},
	        {"libbank.so", "bank"},
	        {"libph-bank.so", "bank"},
	        {"ph-bank.so", "bank"},
	        {"/usr/lib/pension-hub/plugins/libph-payout-bank.so", "payout_bank"},
	        {"bank.so.1", NULL},
	        {"bank.txt", NULL},
	        {"Bank.so", NULL},
	        {"lib.so", NULL},
	        {"libph-.so", NULL},
	        {"9lives.so", NULL},
	        {"bank plugin.so", NULL},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *name = ph_plugin_host_name_from_file(cases[i].file);
		g_assert_cmpstr(name, ==, cases[i].name);
	}
}

/* Issue 2 §8: a plugin with a wrong ABI (and every other broken module) is refused with a
 * warning naming its file and the reason, while the good one loads. */
static void
test_refuses_broken_loads_good(void)
{
	/* Warnings come in file-name order; hello.so loads silently. */
	expect_refusal("badinit.so", "init failed: no partner endpoint configured");
	expect_refusal("emptysummary.so", "empty field 'summary' in the descriptor");
	expect_refusal("libph-hello.so", "duplicate name 'hello': already loaded from */hello.so");
	expect_refusal("nosymbol.so", "missing symbol ph_plugin_nosymbol_describe");
	expect_refusal("unresolved.so", "cannot open module: *ph_plugin_no_such_call*");
	expect_refusal("wrongabi.so", "ABI version 2, but this host loads ABI 1");
	g_autoptr(Site) site = site_load(all_modules, "");

	/* Expected rows: the descriptors in tests/plugins/ (ABI is PH_PLUGIN_ABI_VERSION = 1,
	 * wrongabi stamps 1 + 1; version and ABI are unknown where no descriptor was read). */
	static const struct {
		const gchar *file;
		const gchar *name;
		const gchar *version;
		guint32 abi;
		PhPluginState state;
	} rows[] = {
	        {"badinit.so", "badinit", "1.0.0", 1, PH_PLUGIN_STATE_FAILED},
	        {"emptysummary.so", "emptysummary", NULL, 1, PH_PLUGIN_STATE_FAILED},
	        {"hello.so", "hello", "1.0.0", 1, PH_PLUGIN_STATE_LOADED},
	        {"libph-hello.so", "hello", "9.9.9", 1, PH_PLUGIN_STATE_FAILED},
	        {"nosymbol.so", "nosymbol", NULL, 0, PH_PLUGIN_STATE_FAILED},
	        {"unresolved.so", "unresolved", NULL, 0, PH_PLUGIN_STATE_FAILED},
	        {"wrongabi.so", "wrongabi", NULL, 2, PH_PLUGIN_STATE_FAILED},
	};
	GPtrArray *plugins = ph_plugin_host_get_plugins(site->host);
	g_assert_cmpuint(plugins->len, ==, G_N_ELEMENTS(rows));
	for (guint i = 0; i < G_N_ELEMENTS(rows); i++) {
		PhPlugin *plugin = g_ptr_array_index(plugins, i);
		g_autofree gchar *base = g_path_get_basename(ph_plugin_get_file(plugin));
		g_assert_cmpstr(base, ==, rows[i].file);
		g_assert_cmpstr(ph_plugin_get_name(plugin), ==, rows[i].name);
		g_assert_cmpstr(ph_plugin_get_version(plugin), ==, rows[i].version);
		g_assert_cmpuint(ph_plugin_get_abi_version(plugin), ==, rows[i].abi);
		g_assert_cmpint(ph_plugin_get_state(plugin), ==, rows[i].state);
		if (rows[i].state == PH_PLUGIN_STATE_LOADED) {
			g_assert_cmpstr(ph_plugin_get_reason(plugin), ==, NULL);
			g_assert_nonnull(ph_plugin_get_descriptor(plugin));
		} else {
			g_assert_nonnull(ph_plugin_get_reason(plugin));
			g_assert_null(ph_plugin_get_descriptor(plugin));
		}
	}
	g_assert_cmpuint(ph_plugin_host_count_failed(site->host), ==, 6);
	g_assert_true(ph_plugin_host_find(site->host, "hello") ==
	              site_plugin_by_file(site, "hello.so"));
	g_assert_null(ph_plugin_host_find(site->host, "wrongabi"));
}

static void
test_good_plugin_registers(void)
{
	g_autoptr(Site) site =
	        site_load(hello_only, "[plugin hello]\ngreeting = bonjour\nrepeat = 2\n");
	PhPlugin *hello = site_plugin_by_file(site, "hello.so");
	g_assert_cmpint(ph_plugin_get_state(hello), ==, PH_PLUGIN_STATE_LOADED);

	/* What hello.c's init registers. */
	const PhRoute *route = ph_registry_find_route(site->registry, "GET", "/hello/world");
	g_assert_nonnull(route);
	g_assert_true(route->plugin == hello);
	g_assert_cmpstrv(route->partners, ((const gchar *const[]){"bank", NULL}));
	const PhTopic *topic = ph_registry_find_topic(site->registry, "hello.greeting");
	g_assert_nonnull(topic);
	g_assert_cmpuint(topic->policy.max_attempts, ==, 5);
	g_autoptr(GPtrArray) jobs = ph_registry_list_jobs(site->registry);
	g_assert_cmpuint(jobs->len, ==, 1);
	g_assert_cmpstr(((PhJob *)g_ptr_array_index(jobs, 0))->name, ==, "hello.poll");
	g_assert_cmpuint(((PhJob *)g_ptr_array_index(jobs, 0))->interval_seconds, ==, 60);
	GPtrArray *mappings = ph_plugin_get_mappings(hello);
	g_assert_cmpuint(mappings->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(mappings, 0), ==, "hello");

	/* The handler gets init's state: greeting and repeat from [plugin hello]. */
	g_autoptr(PhRequest) request = ph_request_new("GET", "/hello/world", "bank", NULL, NULL);
	route->handler(request, ph_plugin_get_data(hello));
	g_assert_cmpuint(ph_request_get_status(request), ==, 200);
	gsize size = 0;
	const gchar *body = g_bytes_get_data(ph_request_get_response_body(request), &size);
	g_assert_cmpmem(body, size, "bonjour\nbonjour\n", strlen("bonjour\nbonjour\n"));

	/* Shutdown withdraws every registration. */
	ph_plugin_host_shutdown(site->host);
	g_assert_null(ph_registry_find_route(site->registry, "GET", "/hello/world"));
	g_assert_null(ph_registry_find_topic(site->registry, "hello.greeting"));
}

static void
test_failed_init_leaves_nothing(void)
{
	/* badinit.c registers these four, then fails. */
	expect_refusal("badinit.so", "init failed: no partner endpoint configured");
	g_autoptr(Site) site = site_load((const gchar *const[]){"badinit.so", NULL}, "");
	g_assert_null(ph_registry_find_route(site->registry, "POST", "/badinit/x"));
	g_assert_null(ph_registry_find_inbox_handler(site->registry, "badinit.message"));
	g_assert_null(ph_registry_find_topic(site->registry, "badinit.topic"));
	g_autoptr(GPtrArray) jobs = ph_registry_list_jobs(site->registry);
	g_assert_cmpuint(jobs->len, ==, 0);
	g_assert_cmpstr(ph_plugin_get_reason(site_plugin_by_file(site, "badinit.so")), ==,
	                "init failed: no partner endpoint configured");
}

/* Config mistakes in [plugin hello] each refuse hello and leave nothing registered. */
static void
test_config_refusals(void)
{
	static const struct {
		const gchar *extra;  /* appended to base_config */
		const gchar *during; /* a bad value fails init; an unread key is found after it */
		const gchar *reason; /* after "CONFIG_PATH: " */
	} cases[] = {
	        {"[plugin hello]\ngreeting = hi\ncolour = blue\n", "",
	         "[plugin hello] colour: unknown key"},
	        {"[plugin hello]\nrepeat = many\n",
	         "init failed: ", "[plugin hello] repeat: 'many' is not a whole number"},
	        {"[plugin hello]\ngreeting =\n",
	         "init failed: ", "[plugin hello] greeting: empty value"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		expect_refusal("hello.so", "*");
		g_autoptr(Site) site = site_load(hello_only, cases[i].extra);
		PhPlugin *hello = site_plugin_by_file(site, "hello.so");
		g_autofree gchar *reason = g_strdup_printf("%s%s: %s", cases[i].during,
		                                           site->config_path, cases[i].reason);
		g_assert_cmpint(ph_plugin_get_state(hello), ==, PH_PLUGIN_STATE_FAILED);
		g_assert_cmpstr(ph_plugin_get_reason(hello), ==, reason);
		g_assert_null(ph_registry_find_route(site->registry, "GET", "/hello/"));
		g_assert_null(ph_registry_find_topic(site->registry, "hello.greeting"));
	}
}

/* A route naming a partner the config lacks, and a mapping that is not there. */
static void
test_registration_refusals(void)
{
	g_autoptr(Site) site = site_write(hello_only, "");
	g_autoptr(GError) error = NULL;
	g_autofree gchar *mapping =
	        g_build_filename(site->mapping_dir, "partners", "hello.xml", NULL);

	g_assert_cmpint(g_remove(mapping), ==, 0);
	expect_refusal("hello.so",
	               "init failed: mapping hello: no file */mappings/partners/hello.xml");
	site_start(site);

	/* The same config without [partner bank]: the route is refused before the mapping. */
	g_autoptr(Site) other = site_write(hello_only, "");
	g_autofree gchar *config_text = NULL;
	g_file_get_contents(other->config_path, &config_text, NULL, &error);
	g_assert_no_error(error);
	*strstr(config_text, "[partner bank]") = '\0';
	write_file(other->root, "pension-hub.conf", config_text);
	expect_refusal("hello.so", "init failed: route GET /hello/ names partner 'bank', which has "
	                           "no [partner bank] in *");
	site_start(other);
}

/* A plugin handle made by hand, as the host makes one, with its init "running". */
static PhPlugin *
values_plugin_new(Site *site)
{
	g_autoptr(GError) error = NULL;
	site->config = ph_config_load(site->config_path, &error);
	g_assert_no_error(error);
	site->registry = ph_registry_new();
	PhPlugin *plugin =
	        ph_plugin_new(NULL, site->config, site->registry, "/plugins/values.so", "values");
	plugin->in_init = TRUE;
	return plugin;
}

/* Each SDK config call on a [plugin values] group; expected values are the group's text,
 * paths resolved against the config file's folder (the site root). */
static void
test_config_values(void)
{
	g_autoptr(Site) site = site_write(hello_only, "[plugin values]\ncount = 42\nnegative = -7\n"
	                                              "flag = true\noff = false\nbad_flag = yes\n"
	                                              "file = keys/a.pem\nabsolute = /etc/a.pem\n"
	                                              "blank =\nname = acme\n");
	g_autoptr(PhPlugin) plugin = values_plugin_new(site);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *prefix = g_strdup_printf("%s: [plugin values] ", site->config_path);

	g_assert_cmpint(ph_plugin_config_get_int(plugin, "count", 0, &error), ==, 42);
	g_assert_cmpint(ph_plugin_config_get_int(plugin, "negative", 0, &error), ==, -7);
	g_assert_cmpint(ph_plugin_config_get_int(plugin, "unset", 9, &error), ==, 9);
	gint64 ranged = 0;
	g_assert_true(ph_plugin_config_get_range(plugin, "count", 0, 1, 42, &ranged, &error));
	g_assert_cmpint(ranged, ==, 42);
	g_assert_true(ph_plugin_config_get_range(plugin, "unset", 5, 1, 9, &ranged, &error));
	g_assert_cmpint(ranged, ==, 5);
	g_assert_true(ph_plugin_config_get_boolean(plugin, "flag", FALSE, &error));
	g_assert_false(ph_plugin_config_get_boolean(plugin, "off", TRUE, &error));
	g_assert_no_error(error);
	g_autofree gchar *name = ph_plugin_config_get_string(plugin, "name", NULL, &error);
	g_autofree gchar *unset = ph_plugin_config_get_string(plugin, "unset", "x", &error);
	g_autofree gchar *file = ph_plugin_config_get_path(plugin, "file", NULL, &error);
	g_autofree gchar *absolute = ph_plugin_config_get_path(plugin, "absolute", NULL, &error);
	g_autofree gchar *fallback = ph_plugin_config_get_path(plugin, "unset", "var", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(name, ==, "acme");
	g_assert_cmpstr(unset, ==, "x");
	g_autofree gchar *expected_file = g_build_filename(site->root, "keys", "a.pem", NULL);
	g_autofree gchar *expected_fallback = g_build_filename(site->root, "var", NULL);
	g_assert_cmpstr(file, ==, expected_file);
	g_assert_cmpstr(absolute, ==, "/etc/a.pem");
	g_assert_cmpstr(fallback, ==, expected_fallback);

	static const struct {
		const gchar *key;
		const gchar *call; /* which getter */
		const gchar *why;
	} bad[] = {
	        {"flag", "int", "flag: 'true' is not a whole number"},
	        {"flag", "range", "flag: 'true' is not a whole number"},
	        {"count", "range", "count: 42 is not in 1 … 41"},
	        {"bad_flag", "boolean", "bad_flag: 'yes' is not true or false"},
	        {"blank", "string", "blank: empty value"},
	        {"required", "string", "required: required key is missing"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) local = NULL;
		g_autofree gchar *text = NULL;
		if (g_str_equal(bad[i].call, "int"))
			g_assert_cmpint(ph_plugin_config_get_int(plugin, bad[i].key, 3, &local), ==,
			                3);
		else if (g_str_equal(bad[i].call, "range")) {
			gint64 value = 0;
			g_assert_false(ph_plugin_config_get_range(plugin, bad[i].key, 3, 1, 41,
			                                          &value, &local));
		} else if (g_str_equal(bad[i].call, "boolean"))
			g_assert_true(
			        ph_plugin_config_get_boolean(plugin, bad[i].key, TRUE, &local));
		else
			text = ph_plugin_config_get_string(plugin, bad[i].key, NULL, &local);
		g_assert_null(text);
		g_assert_error(local, PH_ERROR, PH_ERROR_CONFIG);
		g_autofree gchar *message = g_strconcat(prefix, bad[i].why, NULL);
		g_assert_cmpstr(local->message, ==, message);
	}
}

static void
stub_route(PhRequest *request, gpointer state)
{
}

static gboolean
stub_deliver(const PhOutboxMessage *message, gpointer state, GError **error)
{
	return TRUE;
}

static void
stub_job(gpointer state)
{
}

static gboolean
stub_inbox(PhTxn *txn, const PhInboxMessage *message, gpointer state, GError **error)
{
	return TRUE;
}

/* Registrations that the SDK refuses before they reach the registry. */
static void
test_registration_checks(void)
{
	static const gchar *const bank[] = {"bank", NULL};
	static const gchar *const nobody[] = {NULL};
	static const PhRetryPolicy good = {
	        .initial_delay_ms = 10, .max_delay_ms = 20, .max_attempts = 1};
	static const PhRetryPolicy no_attempts = {.initial_delay_ms = 10, .max_delay_ms = 20};
	static const PhRetryPolicy inverted = {
	        .initial_delay_ms = 30, .max_delay_ms = 20, .max_attempts = 3};
	g_autoptr(Site) site = site_write(hello_only, "");
	g_autoptr(PhPlugin) plugin = values_plugin_new(site);
	GError *errors[8] = {NULL};

	g_assert_false(ph_plugin_add_route(plugin, "get", "/v/", bank, stub_route, &errors[0]));
	g_assert_false(ph_plugin_add_route(plugin, "GET", "v/", bank, stub_route, &errors[1]));
	g_assert_false(ph_plugin_add_route(plugin, "GET", "/v/", nobody, stub_route, &errors[2]));
	g_assert_false(
	        ph_plugin_add_topic(plugin, "v.topic", &no_attempts, stub_deliver, &errors[3]));
	g_assert_false(ph_plugin_add_topic(plugin, "v.topic", &inverted, stub_deliver, &errors[4]));
	g_assert_false(ph_plugin_add_topic(plugin, "V Topic", &good, stub_deliver, &errors[5]));
	g_assert_false(ph_plugin_add_job(plugin, "v.poll", 0, stub_job, &errors[6]));
	g_assert_false(ph_plugin_add_inbox_handler(plugin, "v/kind", stub_inbox, &errors[7]));
	for (guint i = 0; i < G_N_ELEMENTS(errors); i++) {
		g_assert_error(errors[i], PH_ERROR, PH_ERROR_INVALID_INPUT);
		g_clear_error(&errors[i]);
	}
	g_assert_null(ph_registry_find_topic(site->registry, "v.topic"));

	/* The same calls made right are registered; a second holder of a name conflicts. */
	g_autoptr(GError) error = NULL;
	g_assert_true(ph_plugin_add_topic(plugin, "v.topic", &good, stub_deliver, &error));
	g_assert_no_error(error);
	g_assert_false(ph_plugin_add_topic(plugin, "v.topic", &good, stub_deliver, &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_CONFLICT);
}

static void
test_orphan_group(void)
{
	/* [plugin helo] is a misspelling of hello: said, and hello still loads. */
	g_test_expect_message("ph-hub", G_LOG_LEVEL_WARNING,
	                      "*/pension-hub.conf: [plugin helo]: no plugin helo in */plugins");
	g_autoptr(Site) site = site_load(hello_only, "[plugin helo]\ngreeting = hi\n");
	g_assert_cmpint(ph_plugin_get_state(site_plugin_by_file(site, "hello.so")), ==,
	                PH_PLUGIN_STATE_LOADED);
}

static void
test_missing_dir(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhRegistry) registry = ph_registry_new();
	g_autoptr(PhPluginHost) host = ph_plugin_host_new(NULL, registry);
	g_assert_false(ph_plugin_host_load_dir(host, "/nonexistent/ph-plugins", &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_CONFIG);
}

static gchar *
run(const gchar *const *argv, const gchar *const *envp, gint *status)
{
	g_autoptr(GError) error = NULL;
	gchar *out = NULL;
	g_autofree gchar *err = NULL;
	g_spawn_sync(NULL, (gchar **)argv, (gchar **)envp, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
	             &err, status, &error);
	g_assert_no_error(error);
	if (err != NULL && err[0] != '\0')
		g_test_message("%s: %s", argv[0], err);
	return out;
}

/* Installs the SDK's headers and .pc (meson's 'devel' tag) into a staging folder, points
 * a copy of the .pc at it, and returns `pkg-config --cflags pension-hub-sdk` from there. */
static gchar **
installed_sdk_cflags(const gchar *stage)
{
	g_autoptr(GError) error = NULL;
	gint status = -1;
	const gchar *install[] = {PH_TEST_MESON,  "install", "-C",     PH_BUILD_DIR,
	                          "--no-rebuild", "--quiet", "--tags", "devel",
	                          "--destdir",    stage,     NULL};
	g_free(run(install, NULL, &status));
	g_assert_true(g_spawn_check_wait_status(status, NULL));

	g_autofree gchar *installed_pc =
	        g_build_filename(stage, PH_TEST_SDK_PKGCONFIG_DIR, "pension-hub-sdk.pc", NULL);
	g_autofree gchar *pc = NULL;
	g_file_get_contents(installed_pc, &pc, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(g_str_has_prefix(pc, "prefix="));
	/* Relocate: prefix=/usr/local → prefix=STAGE/usr/local. */
	g_autofree gchar *relocated = g_strdup_printf("prefix=%s%s", stage, pc + strlen("prefix="));
	g_autofree gchar *pc_dir = g_build_filename(stage, "pkgconfig", NULL);
	write_file(pc_dir, "pension-hub-sdk.pc", relocated);

	g_auto(GStrv) envp = g_environ_setenv(g_get_environ(), "PKG_CONFIG_PATH", pc_dir, TRUE);
	const gchar *query[] = {"pkg-config", "--cflags", "pension-hub-sdk", NULL};
	g_autofree gchar *cflags = run(query, (const gchar *const *)envp, &status);
	g_assert_true(g_spawn_check_wait_status(status, NULL));
	g_auto(GStrv) words = NULL;
	g_shell_parse_argv(g_strstrip(cflags), NULL, &words, &error);
	g_assert_no_error(error);
	return g_steal_pointer(&words);
}

/* hello.c needs nothing but the installed SDK: compiled with its pkg-config flags alone
 * (no source tree include path), the module loads. */
static void
test_sdk_out_of_tree(void)
{
	g_autoptr(Site) site = site_write((const gchar *const[]){NULL}, "");
	g_autofree gchar *stage = g_build_filename(site->root, "stage", NULL);
	g_auto(GStrv) cflags = installed_sdk_cflags(stage);
	g_autofree gchar *source =
	        g_build_filename(PH_SOURCE_DIR, "tests", "plugins", "hello", "hello.c", NULL);
	g_autofree gchar *output = g_build_filename(site->plugin_dir, "hello.so", NULL);
	g_autoptr(GStrvBuilder) argv = g_strv_builder_new();
	gint status = -1;

	g_strv_builder_add_many(argv, PH_TEST_CC, "-std=c17", "-Wall", "-Werror", "-shared",
	                        "-fPIC", "-fvisibility=hidden", "-o", output, source, NULL);
	g_strv_builder_addv(argv, (const gchar **)cflags);
	g_auto(GStrv) command = g_strv_builder_end(argv);
	g_free(run((const gchar *const *)command, NULL, &status));
	g_assert_true(g_spawn_check_wait_status(status, NULL));

	site_start(site);
	g_assert_cmpint(ph_plugin_get_state(site_plugin_by_file(site, "hello.so")), ==,
	                PH_PLUGIN_STATE_LOADED);
}

/* `pensionctl plugins --json`: one object per module with exactly the keys of issue 2 §2. */
static void
test_pensionctl_json(void)
{
	g_autoptr(Site) site = site_write(all_modules, "");
	g_autoptr(GError) error = NULL;
	const gchar *argv[] = {PH_TEST_PENSIONCTL, "--config", site->config_path,
	                       "plugins",          "--json",   NULL};
	gint status = -1;
	g_autofree gchar *out = run(argv, NULL, &status);

	/* Exit 1: some plugins failed. */
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 1);
	g_autoptr(JsonParser) parser = json_parser_new();
	json_parser_load_from_data(parser, out, -1, &error);
	g_assert_no_error(error);
	JsonArray *array = json_node_get_array(json_parser_get_root(parser));
	g_assert_cmpuint(json_array_get_length(array), ==, g_strv_length((gchar **)all_modules));

	static const gchar *const keys[] = {"abi", "name", "reason", "state", "version", NULL};
	for (guint i = 0; i < json_array_get_length(array); i++) {
		JsonObject *object = json_array_get_object_element(array, i);
		g_autoptr(GList) members = json_object_get_members(object);
		members = g_list_sort(members, (GCompareFunc)strcmp);
		g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
		for (GList *member = members; member != NULL; member = member->next)
			g_strv_builder_add(builder, member->data);
		g_auto(GStrv) names = g_strv_builder_end(builder);
		g_assert_cmpstrv(names, keys);
	}
	/* Row 2 is hello.so (file-name order), row 6 wrongabi.so. */
	JsonObject *hello = json_array_get_object_element(array, 2);
	g_assert_cmpstr(json_object_get_string_member(hello, "name"), ==, "hello");
	g_assert_cmpstr(json_object_get_string_member(hello, "version"), ==, "1.0.0");
	g_assert_cmpint(json_object_get_int_member(hello, "abi"), ==, PH_PLUGIN_ABI_VERSION);
	g_assert_cmpstr(json_object_get_string_member(hello, "state"), ==, "loaded");
	g_assert_true(json_object_get_null_member(hello, "reason"));
	JsonObject *wrongabi = json_array_get_object_element(array, 6);
	g_assert_cmpstr(json_object_get_string_member(wrongabi, "name"), ==, "wrongabi");
	g_assert_cmpstr(json_object_get_string_member(wrongabi, "state"), ==, "failed");
	g_assert_cmpstr(json_object_get_string_member(wrongabi, "reason"), ==,
	                "ABI version 2, but this host loads ABI 1");
	g_assert_true(json_object_get_null_member(wrongabi, "version"));
}

/* The plain table: one line per plugin, "failed: reason" for a refused one. */
static void
test_pensionctl_table(void)
{
	g_autoptr(Site) site =
	        site_write((const gchar *const[]){"hello.so", "wrongabi.so", NULL}, "");
	const gchar *argv[] = {PH_TEST_PENSIONCTL, "--config", site->config_path, "plugins", NULL};
	gint status = -1;
	g_autofree gchar *out = run(argv, NULL, &status);
	g_auto(GStrv) lines = g_strsplit(g_strstrip(out), "\n", -1);

	g_assert_cmpuint(g_strv_length(lines), ==, 3);
	g_assert_true(g_regex_match_simple("^hello +1\\.0\\.0 +1 +loaded$", lines[1], 0, 0));
	g_assert_true(g_regex_match_simple(
	        "^wrongabi +- +2 +failed: ABI version 2, but this host loads ABI 1$", lines[2], 0,
	        0));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/plugin-host/name-from-file", test_name_from_file);
	g_test_add_func("/plugin-host/refuses-broken-loads-good", test_refuses_broken_loads_good);
	g_test_add_func("/plugin-host/good-plugin-registers", test_good_plugin_registers);
	g_test_add_func("/plugin-host/failed-init-leaves-nothing", test_failed_init_leaves_nothing);
	g_test_add_func("/plugin-host/config-refusals", test_config_refusals);
	g_test_add_func("/plugin-host/registration-refusals", test_registration_refusals);
	g_test_add_func("/plugin-host/orphan-group", test_orphan_group);
	g_test_add_func("/plugin-host/missing-dir", test_missing_dir);
	g_test_add_func("/plugin-host/config-values", test_config_values);
	g_test_add_func("/plugin-host/registration-checks", test_registration_checks);
	g_test_add_func("/plugin-host/sdk-out-of-tree", test_sdk_out_of_tree);
	g_test_add_func("/plugin-host/pensionctl-json", test_pensionctl_json);
	g_test_add_func("/plugin-host/pensionctl-table", test_pensionctl_table);
	return g_test_run();
}
