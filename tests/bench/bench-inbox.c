/* Benchmark: inbox accept of 2 KB messages over HTTPS keep-alive with client certificates
 * (issue target: at least 2,000 per second on 2 cores), and the idle daemon's RSS (target:
 * under 40 MB). A real daemon on a throw-away database, the probe test plugin storing each
 * message durably (synchronous commit) before answering 202. Not a test: prints figures. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "ph-test-db.h"
#include "ph-test-hub.h"

#define CLIENTS             8
#define MESSAGES_PER_CLIENT 2500
#define MESSAGE_BYTES       2048

typedef struct {
	PhTestHub *hub;
	guint client;
	guint accepted;
} Client;

static size_t
discard(char *data, size_t size, size_t count, void *user_data)
{
	return size * count;
}

static gpointer
client_run(gpointer data)
{
	Client *client = data;
	g_autofree gchar *url = g_strdup_printf("https://127.0.0.1:%u/probe/v1/messages",
	                                        client->hub->partner_port);
	g_autofree gchar *ca = g_build_filename(client->hub->pki, "ca.crt", NULL);
	g_autofree gchar *cert = g_build_filename(client->hub->pki, "personnel.crt", NULL);
	g_autofree gchar *key = g_build_filename(client->hub->pki, "personnel.key", NULL);
	g_autofree gchar *body = g_strnfill(MESSAGE_BYTES, 'm');
	CURL *curl = curl_easy_init();
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CAINFO, ca);
	curl_easy_setopt(curl, CURLOPT_SSLCERT, cert);
	curl_easy_setopt(curl, CURLOPT_SSLKEY, key);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)MESSAGE_BYTES);
	for (guint i = 0; i < MESSAGES_PER_CLIENT; i++) {
		g_autofree gchar *header =
		        g_strdup_printf("X-Message-Id: bench-%u-%u", client->client, i);
		struct curl_slist *headers = curl_slist_append(NULL, header);
		long status = 0;
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
		if (curl_easy_perform(curl) == CURLE_OK)
			curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		if (status == 202)
			client->accepted++;
		else
			fprintf(stderr, "client %u message %u: HTTP %ld\n", client->client, i,
			        status);
		curl_slist_free_all(headers);
	}
	curl_easy_cleanup(curl);
	return NULL;
}

int
main(int argc, char **argv)
{
	static const gchar *const plugins[] = {"probe", NULL};
	Client clients[CLIENTS] = {0};
	GThread *threads[CLIENTS];
	guint accepted = 0;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	g_autoptr(PhTestDb) db = ph_test_db_new();
	/* The probe's handler counts each message in one transaction; no delivery follows, so
	 * processing competes for the cores as a light adapter's would. */
	g_autoptr(PhTestHub) hub = ph_test_hub_new(ph_test_db_get_url(db), plugins, NULL);
	/* Bodies sealed at rest as in production (PH_BENCH_PLAINTEXT=1: as before,
	 * docs/security.md) */
	g_autofree gchar *keys = ph_test_hub_keys_config(hub);
	g_autofree gchar *extra = g_strdup_printf("%s[plugin probe]\nforward = false\n", keys);
	ph_test_hub_write_config(hub, extra);
	ph_test_hub_start(hub);
	g_usleep(2 * G_USEC_PER_SEC);
	gint64 idle_rss = ph_test_proc_kib(hub->pid, "VmRSS");

	gint64 start = g_get_monotonic_time();
	for (guint i = 0; i < CLIENTS; i++) {
		clients[i].hub = hub;
		clients[i].client = i;
		threads[i] = g_thread_new("client", client_run, &clients[i]);
	}
	for (guint i = 0; i < CLIENTS; i++) {
		g_thread_join(threads[i]);
		accepted += clients[i].accepted;
	}
	gdouble seconds = (gdouble)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
	gint64 busy_rss = ph_test_proc_kib(hub->pid, "VmRSS");

	printf("inbox accept: %u of %u messages of %d bytes stored and answered 202 in %.2f s "
	       "over %d keep-alive mTLS connections\n",
	       accepted, CLIENTS * MESSAGES_PER_CLIENT, MESSAGE_BYTES, seconds, CLIENTS);
	printf("  ours: %.0f messages/s   target: >= 2000 messages/s (bodies %s)\n",
	       accepted / seconds, keys[0] != '\0' ? "sealed" : "plaintext");
	printf("idle daemon RSS: ours %.1f MB   target: < 40 MB (after the run: %.1f MB)\n",
	       idle_rss / 1024.0, busy_rss / 1024.0);
	curl_global_cleanup();
	return accepted == CLIENTS * MESSAGES_PER_CLIENT ? 0 : 1;
}
