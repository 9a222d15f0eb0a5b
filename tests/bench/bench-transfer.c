/* Benchmark (issue 6 §7): signed 4 KB transfer messages verified (hardened parse, XSD,
 * XML-DSig with the certificate chain) and stored by a real daemon with plugins/transfer,
 * over keep-alive mTLS. Prints: messages per second with 8 clients (target ≥ 1,000/s on 2
 * cores); latency percentiles at a paced 200 messages per second (target p99 < 50 ms); and,
 * measured in the same run, the RSA-2048 verification ceiling of this machine (OpenSSL EVP
 * verify loop, one core and all cores), which bounds what any verifying hub could do.
 * Not a test: prints figures. */
#include <curl/curl.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pension-hub.h"
#include "ph-test-db.h"
#include "ph-test-hub.h"

#define CLIENTS             16
#define THROUGHPUT_MESSAGES 6000
#define PACED_RATE          200
#define PACED_SECONDS       10
#define BASES_PER_MESSAGE   28 /* makes each signed document about 4 KB */

typedef struct {
	PhTestHub *hub;
	GPtrArray *messages; /* GBytes, signed */
	guint first;
	guint count;
	guint stride;
	gint64 start_us;      /* paced: when message 0 is due */
	gint64 interval_us;   /* paced: 0 for as fast as possible */
	GArray *latencies_us; /* gint64 */
	guint accepted;
} Client;

static size_t
discard(char *data, size_t size, size_t count, void *user_data)
{
	return size * count;
}

static GBytes *
make_message(PhXmlSigner *signer, guint number)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree gchar *sent_at = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
	g_autoptr(GString) text = g_string_new(NULL);
	g_string_append_printf(
	        text,
	        "<TransferMessage xmlns=\"urn:pension-hub:transfer:1\">\n  <Header>\n"
	        "    <MsgId>BENCH-%08u</MsgId>\n    <MsgType>INFO</MsgType>\n"
	        "    <CaseId>XF-BENCH-%08u</CaseId>\n"
	        "    <Sender>330100000001</Sender><SenderRegion>330100</SenderRegion>\n"
	        "    <Receiver>110100000001</Receiver><ReceiverRegion>110100</ReceiverRegion>\n"
	        "    <SentAt>%s</SentAt>\n  </Header>\n  <Body>\n    <Person>\n"
	        "      <AAC002>110105198001010016</AAC002><AAC003>张三</AAC003>\n"
	        "      <AAC004>1</AAC004><AAC006>19800101</AAC006>\n    </Person>\n"
	        "    <AAE200>0</AAE200>\n    <AAE201>%u</AAE201>\n    <Bases>",
	        number, number, sent_at, BASES_PER_MESSAGE);
	for (guint month = 0; month < BASES_PER_MESSAGE; month++)
		g_string_append_printf(text, "<Base period=\"%u%02u\">6000.00</Base>",
		                       2015 + month / 12, month % 12 + 1);
	g_string_append(text,
	                "</Bases>\n    <Index deemed=\"0.0000\"/>\n    <AIC268>1.00</AIC268>\n"
	                "    <AIC099>1.00</AIC099>\n    <AIC103>0.00</AIC103>\n"
	                "    <AIC102>1.00</AIC102>\n    <AnnuityBalance>0.00</AnnuityBalance>\n"
	                "  </Body>\n</TransferMessage>\n");
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes = g_bytes_new(text->str, text->len);
	GBytes *signed_bytes = ph_xml_signer_sign(signer, bytes, &error);
	g_assert_no_error(error);
	return signed_bytes;
}

static gpointer
client_run(gpointer data)
{
	Client *client = data;
	g_autofree gchar *url = g_strdup_printf("https://127.0.0.1:%u/transfer/v1/messages",
	                                        client->hub->partner_port);
	g_autofree gchar *ca = g_build_filename(client->hub->pki, "ca.crt", NULL);
	g_autofree gchar *cert = g_build_filename(client->hub->pki, "transfer-platform.crt", NULL);
	g_autofree gchar *key = g_build_filename(client->hub->pki, "transfer-platform.key", NULL);
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/xml");
	CURL *curl = curl_easy_init();
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CAINFO, ca);
	curl_easy_setopt(curl, CURLOPT_SSLCERT, cert);
	curl_easy_setopt(curl, CURLOPT_SSLKEY, key);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	for (guint i = 0; i < client->count; i++) {
		guint index = client->first + i * client->stride;
		GBytes *message = client->messages->pdata[index];
		if (client->interval_us > 0) {
			gint64 due = client->start_us + (gint64)index * client->interval_us;
			gint64 wait = due - g_get_monotonic_time();
			if (wait > 0)
				g_usleep((gulong)wait);
		}
		long status = 0;
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, g_bytes_get_data(message, NULL));
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)g_bytes_get_size(message));
		gint64 before = g_get_monotonic_time();
		if (curl_easy_perform(curl) == CURLE_OK)
			curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		gint64 latency = g_get_monotonic_time() - before;
		g_array_append_val(client->latencies_us, latency);
		if (status == 202)
			client->accepted++;
		else
			fprintf(stderr, "message %u: HTTP %ld\n", index, status);
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return NULL;
}

/* Sends messages[first … first + total) with @clients connections; returns the seconds. */
static gdouble
send_all(PhTestHub *hub, GPtrArray *messages, guint first, guint total, guint clients,
         gint64 interval_us, GArray *latencies, guint *accepted)
{
	Client state[CLIENTS] = {0};
	GThread *threads[CLIENTS];
	gint64 start = g_get_monotonic_time() + 20000;
	for (guint i = 0; i < clients; i++) {
		state[i] = (Client){hub,
		                    messages,
		                    first + i,
		                    total / clients,
		                    clients,
		                    start,
		                    interval_us * clients,
		                    g_array_new(FALSE, FALSE, sizeof(gint64)),
		                    0};
		/* paced: client i sends message first + i + k × clients at start + (i + k ×
		 * clients) × interval; index is relative to first below */
		state[i].start_us = start - (gint64)first * interval_us;
		state[i].interval_us = interval_us;
		threads[i] = g_thread_new("client", client_run, &state[i]);
	}
	gint64 began = g_get_monotonic_time();
	*accepted = 0;
	for (guint i = 0; i < clients; i++) {
		g_thread_join(threads[i]);
		*accepted += state[i].accepted;
		g_array_append_vals(latencies, state[i].latencies_us->data,
		                    state[i].latencies_us->len);
		g_array_unref(state[i].latencies_us);
	}
	return (gdouble)(g_get_monotonic_time() - began) / G_USEC_PER_SEC;
}

static gint
compare_int64(gconstpointer left, gconstpointer right)
{
	gint64 a = *(const gint64 *)left;
	gint64 b = *(const gint64 *)right;
	return a < b ? -1 : a > b;
}

static gdouble
percentile_ms(GArray *sorted, gdouble fraction)
{
	guint index = MIN(sorted->len - 1, (guint)(fraction * sorted->len));
	return (gdouble)g_array_index(sorted, gint64, index) / 1000.0;
}

/* ---- the reference: RSA-2048 signature verifications per second ---- */

typedef struct {
	EVP_PKEY *key;
	const guchar *signature;
	gsize signature_size;
	guint64 done;
} Verifier;

static gpointer
verify_loop(gpointer data)
{
	Verifier *verifier = data;
	static const guchar digest_input[] = "SignedInfo canonical bytes of about this size, 400 B";
	gint64 end = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
	while (g_get_monotonic_time() < end) {
		for (guint i = 0; i < 100; i++) {
			EVP_MD_CTX *context = EVP_MD_CTX_new();
			EVP_DigestVerifyInit(context, NULL, EVP_sha256(), NULL, verifier->key);
			int ok = EVP_DigestVerify(context, verifier->signature,
			                          verifier->signature_size, digest_input,
			                          sizeof(digest_input));
			EVP_MD_CTX_free(context);
			if (ok != 1)
				g_error("reference verification failed");
			verifier->done++;
		}
	}
	return NULL;
}

static gdouble
rsa_verify_rate(const gchar *pki, guint threads)
{
	static const guchar digest_input[] = "SignedInfo canonical bytes of about this size, 400 B";
	g_autofree gchar *key_path = g_build_filename(pki, "transfer-platform.key", NULL);
	FILE *file = fopen(key_path, "r");
	g_assert_nonnull(file);
	EVP_PKEY *key = PEM_read_PrivateKey(file, NULL, NULL, NULL);
	fclose(file);
	g_assert_nonnull(key);
	guchar signature[512];
	gsize size = sizeof(signature);
	EVP_MD_CTX *context = EVP_MD_CTX_new();
	EVP_DigestSignInit(context, NULL, EVP_sha256(), NULL, key);
	g_assert_cmpint(
	        EVP_DigestSign(context, signature, &size, digest_input, sizeof(digest_input)), ==,
	        1);
	EVP_MD_CTX_free(context);
	Verifier verifiers[8] = {0};
	GThread *running[8];
	for (guint i = 0; i < threads; i++) {
		verifiers[i] = (Verifier){key, signature, size, 0};
		running[i] = g_thread_new("verify", verify_loop, &verifiers[i]);
	}
	guint64 total = 0;
	for (guint i = 0; i < threads; i++) {
		g_thread_join(running[i]);
		total += verifiers[i].done;
	}
	EVP_PKEY_free(key);
	return (gdouble)total / 2.0;
}

/* The door's own CPU cost, without TLS or the database: hardened parse, XSD and XML-DSig
 * verification of one message, repeated for 2 s on one core. */
static gdouble
door_rate(const gchar *pki, GBytes *message)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *ca = g_build_filename(pki, "ca.crt", NULL);
	PhXmlSchema *schema = ph_xml_schema_get(NULL, "transfer-1.xsd", &error);
	g_assert_no_error(error);
	g_autoptr(PhXmlVerifier) verifier = ph_xml_verifier_new(ca, &error);
	g_assert_no_error(error);
	guint done = 0;
	gint64 start = g_get_monotonic_time();
	while (g_get_monotonic_time() - start < 2 * G_USEC_PER_SEC) {
		g_autoptr(PhXmlDoc) doc = ph_xml_doc_parse(message, NULL, &error);
		g_autofree gchar *subject = NULL;
		if (doc == NULL || !ph_xml_schema_validate(schema, doc, &error) ||
		    !ph_xml_verifier_verify(verifier, doc, 0, &subject, &error))
			g_error("door check failed: %s", error->message);
		done++;
	}
	return done * (gdouble)G_USEC_PER_SEC / (gdouble)(g_get_monotonic_time() - start);
}

/* The storage ceiling, measured in the same run: plain INSERT-and-COMMIT of the same bytes
 * into a scratch table from @connections connections for 2 s (what the inbox must at least
 * do per message, without TLS, HTTP, parsing or signatures). */
typedef struct {
	const gchar *url;
	GBytes *message;
	guint done;
} Committer;

static gpointer
commit_loop(gpointer data)
{
	Committer *committer = data;
	PGconn *conn = PQconnectdb(committer->url);
	g_assert_cmpint(PQstatus(conn), ==, CONNECTION_OK);
	const char *values[] = {g_bytes_get_data(committer->message, NULL)};
	const int lengths[] = {(int)g_bytes_get_size(committer->message)};
	const int formats[] = {1};
	gint64 end = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
	while (g_get_monotonic_time() < end) {
		PGresult *result = PQexecParams(conn, "INSERT INTO bench_commit (body) VALUES ($1)",
		                                1, NULL, values, lengths, formats, 0);
		g_assert_cmpint(PQresultStatus(result), ==, PGRES_COMMAND_OK);
		PQclear(result);
		committer->done++;
	}
	PQfinish(conn);
	return NULL;
}

static gdouble
commit_rate(const gchar *url, GBytes *message, guint connections)
{
	PGconn *conn = PQconnectdb(url);
	PQclear(PQexec(conn, "CREATE TABLE IF NOT EXISTS bench_commit (id bigserial PRIMARY KEY, "
	                     "body bytea NOT NULL)"));
	PQfinish(conn);
	Committer committers[CLIENTS] = {0};
	GThread *threads[CLIENTS];
	for (guint i = 0; i < connections; i++) {
		committers[i] = (Committer){url, message, 0};
		threads[i] = g_thread_new("commit", commit_loop, &committers[i]);
	}
	guint total = 0;
	for (guint i = 0; i < connections; i++) {
		g_thread_join(threads[i]);
		total += committers[i].done;
	}
	return total / 2.0;
}

/* User + system CPU seconds of process @pid so far (Linux /proc). */
static gdouble
process_cpu_seconds(GPid pid)
{
	g_autofree gchar *path = g_strdup_printf("/proc/%d/stat", (int)pid);
	g_autofree gchar *text = NULL;
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return 0;
	/* Fields after the command name, which is in parentheses and may hold spaces. */
	const gchar *after = strrchr(text, ')');
	g_auto(GStrv) fields = g_strsplit(after != NULL ? after + 2 : text, " ", -1);
	if (g_strv_length(fields) < 13)
		return 0;
	guint64 ticks =
	        g_ascii_strtoull(fields[11], NULL, 10) + g_ascii_strtoull(fields[12], NULL, 10);
	return (gdouble)ticks / (gdouble)sysconf(_SC_CLK_TCK);
}

static gchar *
load_average(void)
{
	gchar *text = NULL;
	if (!g_file_get_contents("/proc/loadavg", &text, NULL, NULL))
		return g_strdup("?");
	g_strdelimit(text, "\n", ' ');
	return g_strstrip(text);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* The schema folder for the in-process door figure (set before any thread starts). */
	g_autofree gchar *mappings = g_build_filename(g_getenv("PH_SOURCE_DIR"), "mappings", NULL);
	g_setenv("PH_MAPPING_DIR", mappings, TRUE);
	g_autoptr(PhTestDb) db = ph_test_db_new();
	const gchar *pki = g_getenv("PH_PKI");
	g_assert_nonnull(pki);
	g_autofree gchar *extra = g_strdup_printf(
	        /* Route handlers wait on the inbox commit: more workers than clients keep
	         * both cores busy while commits are in flight (a later [hub] key wins). */
	        "[hub]\nworkers = 24\n\n"
	        "[plugin transfer]\nplatform_url = https://127.0.0.1:9/transfer/v1/messages\n"
	        "platform_ca = %s/ca.crt\nsigning_key = %s/hub.key\nsigning_certificate = "
	        "%s/hub.crt\n"
	        "signers = 330100000001=%s/transfer-platform.crt\n",
	        pki, pki, pki, pki);
	g_autoptr(PhTestHub) hub = ph_test_hub_new(ph_test_db_get_url(db), NULL, extra);
	/* Bodies and AAC002 sealed at rest as in production (PH_BENCH_PLAINTEXT=1: as before) */
	g_autofree gchar *keys = ph_test_hub_keys_config(hub);
	g_autofree gchar *keyed = g_strconcat(keys, extra, NULL);
	ph_test_hub_write_config(hub, keyed);
	g_autofree gchar *target = g_build_filename(g_getenv("PH_BUILD_DIR"), "plugins", "transfer",
	                                            "libph-transfer.so", NULL);
	g_autofree gchar *link = g_build_filename(hub->dir, "plugins", "libph-transfer.so", NULL);
	g_assert_cmpint(symlink(target, link), ==, 0);
	ph_test_hub_start(hub);

	g_autoptr(GError) error = NULL;
	g_autofree gchar *key = g_build_filename(pki, "transfer-platform.key", NULL);
	g_autofree gchar *cert = g_build_filename(pki, "transfer-platform.crt", NULL);
	g_autoptr(PhXmlSigner) signer = ph_xml_signer_new(key, cert, &error);
	g_assert_no_error(error);
	guint paced_total = PACED_RATE * PACED_SECONDS;
	g_autoptr(GPtrArray) messages =
	        g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	for (guint i = 0; i < THROUGHPUT_MESSAGES + paced_total; i++)
		g_ptr_array_add(messages, make_message(signer, i));
	gsize bytes = g_bytes_get_size(messages->pdata[0]);

	/* Warm-up: connections, schema, verifier; not counted. */
	g_autoptr(GArray) ignored = g_array_new(FALSE, FALSE, sizeof(gint64));
	guint accepted = 0;
	send_all(hub, messages, 0, 200, CLIENTS, 0, ignored, &accepted);

	g_autoptr(GArray) latencies = g_array_new(FALSE, FALSE, sizeof(gint64));
	guint total = THROUGHPUT_MESSAGES - 200;
	gdouble hub_before = process_cpu_seconds(hub->pid);
	gdouble seconds = send_all(hub, messages, 200, total, CLIENTS, 0, latencies, &accepted);
	gdouble hub_cpu = process_cpu_seconds(hub->pid) - hub_before;
	g_array_sort(latencies, compare_int64);
	printf("signed messages of %" G_GSIZE_FORMAT " bytes, %u clients over keep-alive mTLS\n",
	       bytes, CLIENTS);
	printf("  throughput:  %u accepted in %.2f s = %.0f messages/s (target >= 1000/s)\n",
	       accepted, seconds, accepted / seconds);
	printf("               latency p50 %.1f ms, p99 %.1f ms under full load\n",
	       percentile_ms(latencies, 0.50), percentile_ms(latencies, 0.99));
	printf("               the hub process used %.2f CPU s for them: %.2f cores, %.0f messages "
	       "per hub CPU second (the clients and PostgreSQL share these cores)\n",
	       hub_cpu, hub_cpu / seconds, accepted / hub_cpu);

	g_autoptr(GArray) paced = g_array_new(FALSE, FALSE, sizeof(gint64));
	gdouble paced_seconds = send_all(hub, messages, THROUGHPUT_MESSAGES, paced_total, 4,
	                                 G_USEC_PER_SEC / PACED_RATE, paced, &accepted);
	g_array_sort(paced, compare_int64);
	printf("  paced:       %u accepted at %.0f messages/s: p50 %.1f ms, p99 %.1f ms, max %.1f "
	       "ms "
	       "(target p99 < 50 ms)\n",
	       accepted, accepted / paced_seconds, percentile_ms(paced, 0.50),
	       percentile_ms(paced, 0.99), percentile_ms(paced, 1.0));

	printf("  door alone:  parse + XSD + XML-DSig %.0f messages/s on one core (no TLS, no "
	       "database)\n",
	       door_rate(pki, messages->pdata[0]));
	printf("  storage:     INSERT + COMMIT of the same bytes, %u connections: %.0f/s "
	       "(synchronous commit; the inbox's floor)\n",
	       CLIENTS, commit_rate(ph_test_db_get_url(db), messages->pdata[0], CLIENTS));
	guint cores = g_get_num_processors();
	gdouble one = rsa_verify_rate(pki, 1);
	gdouble all = rsa_verify_rate(pki, MIN(cores, 8));
	printf("reference, same run: RSA-2048 verifications (EVP, SHA-256) %.0f/s on one core, "
	       "%.0f/s on %u cores\n",
	       one, all, cores);
	g_autofree gchar *load = load_average();
	printf("machine load average at the end (other work shares these cores): %s\n", load);
	printf("stored bodies and AAC002: %s\n",
	       keys[0] != '\0' ? "sealed (key file)" : "plaintext");
	return 0;
}
