/* A real daemon for integration tests, and a libcurl client with the dev PKI. */
#include "ph-test-hub.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static const gchar *
ph_test_build_dir(void)
{
	const gchar *dir = g_getenv("PH_BUILD_DIR");
	g_assert_nonnull(dir);
	return dir;
}

static const gchar *
ph_test_source_dir(void)
{
	const gchar *dir = g_getenv("PH_SOURCE_DIR");
	g_assert_nonnull(dir);
	return dir;
}

/* Ports below the kernel's ephemeral range (32768–60999 on Debian): a port the kernel
 * hands out for bind(0) is also where it takes the source ports of outgoing connections, so
 * another test's client could take it between this call and the server's bind. */
#define PH_TEST_PORT_LOW  20000
#define PH_TEST_PORT_HIGH 32768

static gboolean
ph_test_port_bindable(guint port)
{
	g_autoptr(GSocket) socket = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
	                                         G_SOCKET_PROTOCOL_TCP, NULL);
	g_assert_nonnull(socket);
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) address = g_inet_socket_address_new(loopback, (guint16)port);
	return g_socket_bind(socket, address, TRUE, NULL);
}

guint
ph_test_free_port(void)
{
	/* Never the same port twice in one test program, even once its server is gone. */
	static GHashTable *given = NULL;
	if (given == NULL)
		given = g_hash_table_new(NULL, NULL);
	for (guint attempt = 0; attempt < 1000; attempt++) {
		guint port = (guint)g_random_int_range(PH_TEST_PORT_LOW, PH_TEST_PORT_HIGH);
		if (g_hash_table_contains(given, GUINT_TO_POINTER(port)) ||
		    !ph_test_port_bindable(port))
			continue;
		g_hash_table_add(given, GUINT_TO_POINTER(port));
		return port;
	}
	g_error("no free loopback port between %d and %d", PH_TEST_PORT_LOW, PH_TEST_PORT_HIGH);
}

gint64
ph_test_proc_kib(GPid pid, const gchar *field)
{
	g_autofree gchar *path = pid != 0 ? g_strdup_printf("/proc/%d/status", (gint)pid)
	                                  : g_strdup("/proc/self/status");
	g_autofree gchar *status = NULL;
	g_autofree gchar *key = g_strconcat(field, ":", NULL);
	g_assert_true(g_file_get_contents(path, &status, NULL, NULL));
	const gchar *line = strstr(status, key);
	g_assert_nonnull(line);
	return g_ascii_strtoll(line + strlen(key), NULL, 10);
}

static void
ph_test_hub_link_plugin(PhTestHub *hub, const gchar *name)
{
	g_autofree gchar *file = g_strdup_printf("%s.so", name);
	g_autofree gchar *target =
	        g_build_filename(ph_test_build_dir(), "tests", "plugins", file, NULL);
	g_autofree gchar *link = g_build_filename(hub->dir, "plugins", file, NULL);
	g_assert_true(g_file_test(target, G_FILE_TEST_EXISTS));
	g_assert_cmpint(symlink(target, link), ==, 0);
}

void
ph_test_hub_write_config(PhTestHub *hub, const gchar *extra)
{
	g_autoptr(GError) error = NULL;
	const gchar *pki = hub->pki;
	if (extra != hub->extra) {
		g_free(hub->extra);
		hub->extra = g_strdup(extra);
	}
	g_autofree gchar *source_mappings =
	        g_build_filename(ph_test_source_dir(), "mappings", NULL);
	const gchar *mappings = hub->mapping_dir != NULL ? hub->mapping_dir : source_mappings;
	g_autofree gchar *text = g_strdup_printf(
	        "[hub]\nagency = 110100000001\nregion = 110100\nplugin_dir = plugins\n"
	        "mapping_dir = %s\npolicy_dir = %s/core/policy\nworkers = 8\n"
	        "drain_seconds = 10\n\n"
	        "[database]\nurl = %s\n\n"
	        "[partner-listener]\naddress = 127.0.0.1\nport = %u\ncertificate = %s/hub.crt\n"
	        "key = %s/hub.key\nca = %s/ca.crt\nbody_limit = %" G_GUINT64_FORMAT "\n\n"
	        "[admin-listener]\naddress = 127.0.0.1\nport = %u\n\n"
	        "[partner transfer-platform]\nsubject = "
	        "CN=transfer-platform,OU=partners,O=pension-hub dev\n\n"
	        "[partner personnel]\nsubject = CN=personnel,OU=partners,O=pension-hub dev\n\n"
	        "[partner medical]\nsubject = CN=medical,OU=partners,O=pension-hub dev\n\n"
	        "%s\n",
	        mappings, ph_test_source_dir(), hub->database_url, hub->partner_port, pki, pki, pki,
	        hub->body_limit, hub->admin_port, extra != NULL ? extra : "");
	g_file_set_contents(hub->config_path, text, -1, &error);
	g_assert_no_error(error);
}

gchar *
ph_test_hub_keys_config(PhTestHub *hub)
{
	if (g_strcmp0(g_getenv("PH_BENCH_PLAINTEXT"), "1") == 0)
		return g_strdup("");
	g_autofree gchar *path = g_build_filename(hub->dir, "field.keys", NULL);
	const gchar *text = "[field-keys]\ncurrent=bench1\n"
	                    "lookup=YmVuY2gtbG9va3VwLWtleS0xMjM0NTY3ODlhYmNkZWY=\n"
	                    "key.bench1=YmVuY2gtc2VhbC1rZXktLTAxMjM0NTY3ODlhYmNkZWY=\n";
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	g_assert_cmpint(g_chmod(path, 0600), ==, 0);
	return g_strdup_printf("[keys]\nfile = %s\n\n", path);
}

static void
ph_test_hub_choose_ports(PhTestHub *hub)
{
	hub->partner_port = ph_test_free_port();
	do
		hub->admin_port = ph_test_free_port();
	while (hub->admin_port == hub->partner_port);
}

PhTestHub *
ph_test_hub_new(const gchar *database_url, const gchar *const *plugins, const gchar *extra)
{
	g_autoptr(GError) error = NULL;
	PhTestHub *hub = g_new0(PhTestHub, 1);
	const gchar *pki = g_getenv("PH_PKI");
	if (pki == NULL)
		g_error("PH_PKI is not set: run the tests through deploy/dev test");
	hub->pki = g_strdup(pki);
	hub->dir = g_dir_make_tmp("ph-test-hub-XXXXXX", &error);
	g_assert_no_error(error);
	g_autofree gchar *plugin_dir = g_build_filename(hub->dir, "plugins", NULL);
	g_assert_cmpint(g_mkdir(plugin_dir, 0700), ==, 0);
	for (guint i = 0; plugins != NULL && plugins[i] != NULL; i++)
		ph_test_hub_link_plugin(hub, plugins[i]);
	hub->config_path = g_build_filename(hub->dir, "pension-hub.conf", NULL);
	hub->log_path = g_build_filename(hub->dir, "hub.log", NULL);
	hub->database_url = g_strdup(database_url);
	ph_test_hub_choose_ports(hub);
	hub->body_limit = 64 * 1024 * 1024;
	ph_test_hub_write_config(hub, extra);
	return hub;
}

void
ph_test_remove_tree(const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const gchar *name;
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *child = g_build_filename(path, name, NULL);
		if (g_file_test(child, G_FILE_TEST_IS_DIR) &&
		    !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
			ph_test_remove_tree(child);
		else
			g_unlink(child);
	}
	g_rmdir(path);
}

void
ph_test_hub_free(PhTestHub *hub)
{
	if (hub == NULL)
		return;
	if (hub->pid != 0)
		ph_test_hub_signal(hub, SIGKILL);
	if (g_getenv("PH_TEST_KEEP") == NULL)
		ph_test_remove_tree(hub->dir);
	g_free(hub->dir);
	g_free(hub->config_path);
	g_free(hub->log_path);
	g_free(hub->database_url);
	g_free(hub->pki);
	g_free(hub->extra);
	g_free(hub->mapping_dir);
	g_free(hub);
}

/* On stderr, so that a failed run in CI shows why the daemon did not come up. */
static void
ph_test_hub_dump_log(PhTestHub *hub)
{
	g_autofree gchar *log = NULL;
	if (g_file_get_contents(hub->log_path, &log, NULL, NULL))
		g_printerr("hub log (%s):\n%s\n", hub->log_path, log);
}

/* Whether the log written since @offset says a listener port was taken. */
static gboolean
ph_test_hub_lost_port(PhTestHub *hub, gsize offset)
{
	g_autofree gchar *log = NULL;
	gsize length = 0;
	return g_file_get_contents(hub->log_path, &log, &length, NULL) && length > offset &&
	       strstr(log + offset, "cannot listen on") != NULL;
}

gboolean
ph_test_hub_log_has(PhTestHub *hub, const gchar *text)
{
	g_autofree gchar *log = NULL;
	return g_file_get_contents(hub->log_path, &log, NULL, NULL) && strstr(log, text) != NULL;
}

gboolean
ph_test_hub_wait_log(PhTestHub *hub, const gchar *text)
{
	for (guint i = 0; i < 300; i++) {
		if (ph_test_hub_log_has(hub, text))
			return TRUE;
		g_usleep(100 * 1000);
	}
	return FALSE;
}

static gsize
ph_test_hub_log_size(PhTestHub *hub)
{
	GStatBuf st;
	return g_stat(hub->log_path, &st) == 0 ? (gsize)st.st_size : 0;
}

/* A test that dies (a failed assertion aborts it) takes its daemon along instead of leaving
 * it running on the shared database and ports. */
static void
ph_test_hub_child_setup(gpointer user_data)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/* Spawns the daemon once; FALSE when it exited at start-up. */
static gboolean
ph_test_hub_spawn(PhTestHub *hub)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *binary =
	        g_build_filename(ph_test_build_dir(), "hub", "pension-hub", NULL);
	const gchar *argv[] = {binary, "--config", hub->config_path, NULL};
	gint log_fd = g_open(hub->log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	g_assert_cmpint(log_fd, >=, 0);
	g_spawn_async_with_fds(NULL, (gchar **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
	                       ph_test_hub_child_setup, NULL, &hub->pid, -1, log_fd, log_fd,
	                       &error);
	close(log_fd);
	g_assert_no_error(error);
	for (guint i = 0; i < 200; i++) {
		if (ph_test_hub_admin_get(hub, "/healthz", NULL) > 0)
			return TRUE;
		if (waitpid(hub->pid, NULL, WNOHANG) == hub->pid) {
			g_spawn_close_pid(hub->pid);
			hub->pid = 0;
			return FALSE;
		}
		g_usleep(100 * 1000);
	}
	ph_test_hub_dump_log(hub);
	g_error("pension-hub did not answer /healthz within 20 s");
}

void
ph_test_hub_start(PhTestHub *hub)
{
	for (guint attempt = 0; attempt < 5; attempt++) {
		gsize log_offset = ph_test_hub_log_size(hub);
		if (ph_test_hub_spawn(hub))
			return;
		if (!ph_test_hub_lost_port(hub, log_offset))
			break;
		g_test_message("a listener port was taken meanwhile; trying fresh ports");
		ph_test_hub_choose_ports(hub);
		ph_test_hub_write_config(hub, hub->extra);
	}
	ph_test_hub_dump_log(hub);
	g_error("pension-hub exited at start-up");
}

gint
ph_test_hub_signal(PhTestHub *hub, gint signal_number)
{
	gint status = 0;
	g_assert_cmpint(hub->pid, !=, 0);
	kill(hub->pid, signal_number);
	g_assert_cmpint(waitpid(hub->pid, &status, 0), ==, hub->pid);
	g_spawn_close_pid(hub->pid);
	hub->pid = 0;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static size_t
ph_test_collect(char *data, size_t size, size_t count, void *user_data)
{
	g_string_append_len(user_data, data, (gssize)(size * count));
	return size * count;
}

glong
ph_test_http(PhTestHub *hub, const PhTestRequest *request, gchar **body_out)
{
	g_autoptr(GString) received = g_string_new(NULL);
	struct curl_slist *headers = NULL;
	glong status = 0;
	CURL *curl = curl_easy_init();
	g_autofree gchar *ca = g_build_filename(hub->pki, "ca.crt", NULL);
	const gchar *client_pki = request->client_pki != NULL ? request->client_pki : hub->pki;
	g_autofree gchar *cert = NULL;
	g_autofree gchar *key = NULL;

	curl_easy_setopt(curl, CURLOPT_URL, request->url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request->method);
	curl_easy_setopt(curl, CURLOPT_CAINFO, ca);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, ph_test_collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, received);
	if (request->partner != NULL) {
		cert = g_strdup_printf("%s/%s.crt", client_pki, request->partner);
		key = g_strdup_printf("%s/%s.key", client_pki, request->partner);
		curl_easy_setopt(curl, CURLOPT_SSLCERT, cert);
		curl_easy_setopt(curl, CURLOPT_SSLKEY, key);
	}
	for (guint i = 0; request->headers != NULL && request->headers[i] != NULL; i++)
		headers = curl_slist_append(headers, request->headers[i]);
	if (request->body != NULL) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, g_bytes_get_data(request->body, NULL));
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
		                 (curl_off_t)g_bytes_get_size(request->body));
	}
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	if (curl_easy_perform(curl) == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	if (body_out != NULL)
		*body_out = g_strdup(received->str);
	return status;
}

glong
ph_test_hub_post(PhTestHub *hub, const gchar *partner, const gchar *path,
                 const gchar *const *headers, const gchar *body, gchar **body_out)
{
	g_autofree gchar *url = g_strdup_printf("https://127.0.0.1:%u%s", hub->partner_port, path);
	g_autoptr(GBytes) bytes = g_bytes_new(body, strlen(body));
	PhTestRequest request = {"POST", url, partner, NULL, headers, bytes};
	return ph_test_http(hub, &request, body_out);
}

glong
ph_test_hub_admin_get(PhTestHub *hub, const gchar *path, gchar **body_out)
{
	g_autofree gchar *url = g_strdup_printf("http://127.0.0.1:%u%s", hub->admin_port, path);
	PhTestRequest request = {"GET", url, NULL, NULL, NULL, NULL};
	return ph_test_http(hub, &request, body_out);
}

gchar *
ph_test_query_value(const gchar *database_url, const gchar *sql)
{
	PGconn *conn = PQconnectdb(database_url);
	g_assert_cmpint(PQstatus(conn), ==, CONNECTION_OK);
	PGresult *result = PQexec(conn, sql);
	if (PQresultStatus(result) != PGRES_TUPLES_OK)
		g_error("query %s failed: %s", sql, PQresultErrorMessage(result));
	gchar *value = NULL;
	if (PQntuples(result) > 0 && !PQgetisnull(result, 0, 0))
		value = g_strdup(PQgetvalue(result, 0, 0));
	PQclear(result);
	PQfinish(conn);
	return value;
}

gchar *
ph_test_wait_for_value(const gchar *database_url, const gchar *sql, const gchar *expected,
                       guint timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	for (;;) {
		gchar *value = ph_test_query_value(database_url, sql);
		if (g_strcmp0(value, expected) == 0 || g_get_monotonic_time() > deadline)
			return value;
		g_free(value);
		g_usleep(50 * 1000);
	}
}

gint
ph_test_hub_ctl(PhTestHub *hub, const gchar *const *args, gchar **out, gchar **err)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	gint wait_status = 0;
	g_ptr_array_add(argv, g_build_filename(ph_test_build_dir(), "hub", "pensionctl", NULL));
	g_ptr_array_add(argv, g_strdup_printf("--config=%s", hub->config_path));
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, g_strdup(args[i]));
	g_ptr_array_add(argv, NULL);
	g_spawn_sync(NULL, (gchar **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err,
	             &wait_status, &error);
	g_assert_no_error(error);
	return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
}

gint
ph_test_hub_run_ctl(PhTestHub *hub, gchar **output, const gchar *first, ...)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	va_list list;
	va_start(list, first);
	for (const gchar *arg = first; arg != NULL; arg = va_arg(list, const gchar *))
		g_ptr_array_add(args, (gpointer)arg);
	va_end(list);
	g_ptr_array_add(args, NULL);
	gint status = ph_test_hub_ctl(hub, (const gchar *const *)args->pdata, &out, &err);
	*output = g_strconcat(out, err, NULL);
	g_test_message("%s", *output);
	return status;
}
