/* The SDK's archival packages (pension-hub/ph-archive-api.h): a core event's outbox payload
 * read with json-glib, the person from the register, a transfer case's signed messages from
 * transfer_message, a personnel case's batch event (ph-archive-personnel.c), the package built
 * by ph-archive-package.c, the receipt kept as plugin state. Hub layer. */
#include "pension-hub/ph-archive-api.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "pension-hub/ph-digest.h"
#include "ph-archive-package.h"
#include "ph-archive-personnel.h"
#include "ph-document-store.h"
#include "ph-field-body.h"
#include "ph-field-cipher.h"
#include "ph-pension-status.h"
#include "ph-plugin-private.h"
#include "ph-sql-value.h"
#include "ph-worker-db.h"

/* Which case each core event closes, the national element its event document carries
 * (docs/formats/archive.md; STANDARDS: AIC160 待遇享受开始年月, AAE138 死亡日期, AAE031
 * 终止日期, AIC102 转移总额, AAE002 结算年月) and the personnel batch event (PH-PERS-1)
 * that raises it when the personnel system reports it. */
typedef struct {
	const gchar *event_type;
	const gchar *case_type;
	const gchar *element_code;
	const gchar *personnel_type;
} PhArchiveCaseKind;

static const PhArchiveCaseKind ph_archive_api_cases[] = {
        {"retired", "benefit", "AIC160", "RETIRE"},
        {"died", "death", "AAE138", "DEATH"},
        {"enrolment_ended", "enrolment", "AAE031", "LEAVE"},
        {"transfer_amounts", "transfer", "AIC102", NULL},
        {"payout_due", "payout", "AAE002", NULL},
};

void
ph_archive_api_package_free(PhArchivePackage *package)
{
	if (package == NULL)
		return;
	g_free(package->case_id);
	g_free(package->package_id);
	g_free(package->sha256);
	g_clear_pointer(&package->package, g_bytes_unref);
	g_free(package);
}

static gboolean
ph_archive_api_refuse(GError **error, const gchar *why)
{
	g_set_error(error, PH_ERROR, PH_ERROR_PERMANENT, "archive event: %s", why);
	return FALSE;
}

/* "2026-11-27T13:00:00.123456+08:00" → "2026-11-27T05:00:00.123Z". */
static gchar *
ph_archive_api_utc(const gchar *created_at)
{
	g_autoptr(GDateTime) when = g_date_time_new_from_iso8601(created_at, NULL);
	if (when == NULL)
		return NULL;
	g_autoptr(GDateTime) utc = g_date_time_to_utc(when);
	g_autofree gchar *seconds = g_date_time_format(utc, "%Y-%m-%dT%H:%M:%S");
	return g_strdup_printf("%s.%03dZ", seconds, g_date_time_get_microsecond(utc) / 1000);
}

typedef struct {
	gint64 event_id;
	const gchar *type;
	const gchar *business_key;
	gint64 person_id;
	const gchar *created_at;
} PhArchiveEvent;

static gboolean
ph_archive_api_read_event(JsonNode *root, PhArchiveEvent *event, GError **error)
{
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
		return ph_archive_api_refuse(error, "the payload is not a JSON object");
	JsonObject *object = json_node_get_object(root);
	const gchar *const members[] = {"event_id", "type", "business_key", "created_at"};
	for (guint i = 0; i < G_N_ELEMENTS(members); i++) {
		JsonNode *node = json_object_get_member(object, members[i]);
		if (node == NULL || !JSON_NODE_HOLDS_VALUE(node))
			return ph_archive_api_refuse(error,
			                             "a member of the core event is missing");
	}
	event->event_id = json_object_get_int_member(object, "event_id");
	event->type = json_object_get_string_member(object, "type");
	event->business_key = json_object_get_string_member(object, "business_key");
	event->created_at = json_object_get_string_member(object, "created_at");
	JsonNode *person = json_object_get_member(object, "person_id");
	event->person_id =
	        person != NULL && JSON_NODE_HOLDS_VALUE(person) ? json_node_get_int(person) : 0;
	if (event->type == NULL || event->business_key == NULL || event->created_at == NULL)
		return ph_archive_api_refuse(error, "a member of the core event is not text");
	return TRUE;
}

/* The package's documents; names, codes and bytes are owned here. */
typedef struct {
	GArray *documents; /* PhArchiveDocument */
	GPtrArray *names;  /* and element codes */
	GPtrArray *bytes;
	GPtrArray *kept; /* per document, PhArchiveKept (streamed from the store) or NULL */
} PhArchiveDocuments;

static void
ph_archive_api_documents_clear(PhArchiveDocuments *documents)
{
	g_clear_pointer(&documents->documents, g_array_unref);
	g_clear_pointer(&documents->names, g_ptr_array_unref);
	g_clear_pointer(&documents->bytes, g_ptr_array_unref);
	g_clear_pointer(&documents->kept, g_ptr_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(PhArchiveDocuments, ph_archive_api_documents_clear)

static void
ph_archive_api_documents_add(PhArchiveDocuments *documents, gchar *name, const gchar *role,
                             gchar *element_code, GBytes *bytes)
{
	g_ptr_array_add(documents->names, name);
	g_ptr_array_add(documents->names, element_code);
	g_ptr_array_add(documents->bytes, bytes);
	g_ptr_array_add(documents->kept, NULL);
	const PhArchiveDocument document = {name, role, element_code, bytes};
	g_array_append_val(documents->documents, document);
}

/* A document kept in the document store, streamed into the package when it is written. */
static void
ph_archive_api_documents_add_kept(PhArchiveDocuments *documents, gchar *name, const gchar *role,
                                  gchar *element_code, PhArchiveKept *kept)
{
	ph_archive_api_documents_add(documents, name, role, element_code, g_bytes_new(NULL, 0));
	g_ptr_array_index(documents->kept, documents->kept->len - 1) = kept;
}

/* The files of payout batch @batch_no kept by the bank adapter (ph-document-api.h): the payout
 * file as sent (the digest the batch recorded) and its done file, outbound; the result file
 * that was booked, inbound. A batch from before files were kept has none: its record names
 * them by digest only. */
static gboolean
ph_archive_api_add_kept(PhDb *db, PhPlugin *plugin, const gchar *batch_no,
                        const PhArchiveCaseKind *kind, PhArchiveDocuments *documents,
                        GError **error)
{
	const gchar *params[] = {batch_no};
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "SELECT k.role, k.name, k.store_file, k.sha256 FROM payout_batch b "
	        "JOIN kept_document k ON k.bank = b.bank AND ("
	        "(k.role = 'payout' AND k.batch_no = b.batch_no AND k.name = b.file_name "
	        "AND k.digest = b.digest) "
	        "OR (k.role = 'done' AND k.batch_no = b.batch_no AND k.name = b.file_name || "
	        "'.ok') "
	        "OR (k.role = 'result' AND EXISTS (SELECT 1 FROM payout_result_file f "
	        "WHERE f.batch_no = b.batch_no AND f.verdict = 'booked' AND f.bank = k.bank "
	        "AND f.name = k.name AND f.digest = k.digest))) "
	        "WHERE b.batch_no = $1::bigint "
	        "ORDER BY CASE k.role WHEN 'payout' THEN 0 WHEN 'done' THEN 1 ELSE 2 END, k.id",
	        1, params, error);
	if (result == NULL)
		return FALSE;
	if (PQntuples(result) == 0 || plugin->config == NULL)
		return TRUE;
	g_autofree gchar *dir = ph_document_store_dir(plugin->config);
	for (gint row = 0; row < PQntuples(result); row++) {
		gboolean inbound = g_str_equal(PQgetvalue(result, row, 0), "result");
		PhArchiveKept *kept = g_new0(PhArchiveKept, 1);
		kept->path = g_build_filename(dir, PQgetvalue(result, row, 2), NULL);
		kept->sha256 = g_strdup(PQgetvalue(result, row, 3));
		ph_archive_api_documents_add_kept(
		        documents,
		        g_strdup_printf("%s-bank-%s", inbound ? "inbound" : "outbound",
		                        PQgetvalue(result, row, 1)),
		        inbound ? "inbound" : "outbound", g_strdup(kind->element_code), kept);
	}
	return TRUE;
}

/* A transfer case's signed platform messages, inbound and outbound, in the order they
 * passed up to the event (later ones would change the bytes between retries); the platform's
 * MsgType (LETTER, INFO, FUND, RECEIPT, CERT) is the document class. */
static gboolean
ph_archive_api_add_transfer(PhDb *db, const PhArchiveEvent *event, PhArchiveDocuments *documents,
                            GError **error)
{
	const gchar *params[] = {event->business_key, event->created_at};
	g_autoptr(PGresult) result =
	        ph_db_query(db,
	                    "SELECT id, direction, coalesce(msg_type, 'UNKNOWN'), body "
	                    "FROM transfer_message WHERE case_id = $1 AND body IS NOT NULL "
	                    "AND created_at <= $2::timestamptz "
	                    "ORDER BY id",
	                    2, params, error);
	if (result == NULL)
		return FALSE;
	for (gint row = 0; row < PQntuples(result); row++) {
		gboolean inbound = g_str_equal(PQgetvalue(result, row, 1), "in");
		const gchar *role = inbound ? "inbound" : "outbound";
		/* sealed at rest (docs/security.md): the package carries the document as exchanged
		 */
		gchar *text = ph_field_open(PQgetvalue(result, row, 3), error);
		if (text == NULL) {
			g_prefix_error(error, "transfer message %s: ", PQgetvalue(result, row, 0));
			return FALSE;
		}
		gchar *name = g_strdup_printf("%s-%s.xml", role, PQgetvalue(result, row, 0));
		GBytes *body = g_bytes_new_take(text, strlen(text));
		ph_archive_api_documents_add(documents, name, role,
		                             g_strdup(PQgetvalue(result, row, 2)), body);
	}
	return TRUE;
}

/* The personnel batch event that raised the case, when the personnel system reported it. */
static gboolean
ph_archive_api_add_personnel(PhDb *db, const PhConfig *config, const PhArchiveEvent *event,
                             const PhArchiveCaseKind *kind, const gchar *id_number,
                             PhArchiveDocuments *documents, GError **error)
{
	gchar *name = NULL;
	GBytes *excerpt = NULL;
	if (!ph_archive_personnel_find(db, config, kind->personnel_type, event->created_at,
	                               id_number, &name, &excerpt, error))
		return FALSE;
	if (excerpt != NULL)
		ph_archive_api_documents_add(documents, name, "inbound",
		                             g_strdup(kind->element_code), excerpt);
	return TRUE;
}

/* "{…" → json, "<…" → xml, else bin: a name an archivist's viewer can open. */
static const gchar *
ph_archive_api_extension(GBytes *bytes)
{
	gsize length = 0;
	const gchar *data = g_bytes_get_data(bytes, &length);
	gsize at = 0;
	while (at < length && g_ascii_isspace(data[at]))
		at++;
	if (at < length && (data[at] == '{' || data[at] == '['))
		return "json";
	return at < length && data[at] == '<' ? "xml" : "bin";
}

/* What the case's event made other plugins send (their outbox topics subscribed to the event,
 * the same key TYPE:BUSINESS_KEY), as they kept it: plugin state "sent:TOPIC:KEY". While one
 * is still pending the package waits (PH_ERROR_TRANSIENT, the outbox retries), so that every
 * attempt builds the same bytes; a dead letter or a plugin that keeps nothing adds nothing. */
static gboolean
ph_archive_api_add_sent(PhDb *db, PhPlugin *plugin, const PhArchiveEvent *event,
                        const PhArchiveCaseKind *kind, PhArchiveDocuments *documents,
                        GError **error)
{
	g_autofree gchar *key = g_strdup_printf("%s:%s", event->type, event->business_key);
	const gchar *params[] = {key, event->type, plugin->name};
	g_autoptr(PGresult) result =
	        ph_db_query(db,
	                    "SELECT o.id, o.topic, o.state, s.value FROM outbox o "
	                    "JOIN event_subscription e ON e.topic = o.topic AND e.event_type = $2 "
	                    "LEFT JOIN plugin_state s ON s.plugin = e.plugin "
	                    "AND s.key = 'sent:' || o.topic || ':' || o.key "
	                    "WHERE o.key = $1 AND e.plugin <> $3 ORDER BY o.id",
	                    3, params, error);
	if (result == NULL)
		return FALSE;
	for (gint row = 0; row < PQntuples(result); row++) {
		const gchar *topic = PQgetvalue(result, row, 1);
		if (g_str_equal(PQgetvalue(result, row, 2), "pending")) {
			g_set_error(error, PH_ERROR, PH_ERROR_TRANSIENT,
			            "waiting until %s (outbox %s) is delivered, to archive it too",
			            topic, PQgetvalue(result, row, 0));
			return FALSE;
		}
		if (PQgetisnull(result, row, 3))
			continue;
		g_autoptr(GBytes) stored = ph_sql_value_bytes(result, row, 3);
		GBytes *bytes = ph_field_body_open(stored, PH_FIELD_BODY_STATE, error);
		if (bytes == NULL) {
			g_prefix_error(error,
			               "the sent copy of outbox %s: ", PQgetvalue(result, row, 0));
			return FALSE;
		}
		gchar *name =
		        g_strdup_printf("outbound-%s-%s.%s", topic, PQgetvalue(result, row, 0),
		                        ph_archive_api_extension(bytes));
		ph_archive_api_documents_add(documents, name, "outbound",
		                             g_strdup(kind->element_code), bytes);
	}
	return TRUE;
}

/* UTC text of a timestamptz column, as the manifest writes times. */
#define PH_ARCHIVE_API_UTC(column)                                                                 \
	"to_char(" column " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* A payout run's batches (built in the event's transaction, so with its time) once the bank's
 * result of every one is booked (closed; until then the package waits, PH_ERROR_TRANSIENT):
 * per batch a generated record of its payout file and booked result file, named by their
 * digests. The files' bytes are not kept by the hub (docs/formats/archive.md). */
static gboolean
ph_archive_api_add_payout(PhDb *db, PhPlugin *plugin, const PhArchiveEvent *event,
                          const PhArchiveCaseKind *kind, PhArchiveDocuments *documents,
                          GError **error)
{
	const gchar *params[] = {event->created_at};
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "SELECT b.batch_no, b.state, json_build_object('batch_no', b.batch_no, "
	        "'bank', b.bank, 'period', b.period, 'kind', b.kind, 'profile', b.profile, "
	        "'file_name', b.file_name, 'file_digest', b.digest, 'item_count', b.item_count, "
	        "'total', b.total, 'sent_at', " PH_ARCHIVE_API_UTC(
	                "b.sent_at") ", "
	                             "'closed_at', " PH_ARCHIVE_API_UTC(
	                                     "b.closed_at") ", 'result_file', "
	                                                    "(SELECT json_build_object('name', "
	                                                    "f.name, 'size', f.size, 'digest', "
	                                                    "f.digest, "
	                                                    "'paid_count', f.paid_count, "
	                                                    "'paid_total', f.paid_total, "
	                                                    "'failed_count', f.failed_count, "
	                                                    "'failed_total', f.failed_total, "
	                                                    "'received_at', " PH_ARCHIVE_API_UTC(
	                                                            "f.received_at") ") "
	                                                                             "FROM "
	                                                                             "payout_"
	                                                                             "result_file "
	                                                                             "f WHERE "
	                                                                             "f.batch_no = "
	                                                                             "b.batch_no "
	                                                                             "AND "
	                                                                             "f.verdict = "
	                                                                             "'booked' "
	                                                                             "ORDER BY "
	                                                                             "f.received_"
	                                                                             "at LIMIT "
	                                                                             "1))::text "
	                                                                             "FROM "
	                                                                             "payout_batch "
	                                                                             "b WHERE "
	                                                                             "b.created_at "
	                                                                             "= "
	                                                                             "$1::"
	                                                                             "timestamptz "
	                                                                             "ORDER BY "
	                                                                             "b.batch_no",
	        1, params, error);
	if (result == NULL)
		return FALSE;
	for (gint row = 0; row < PQntuples(result); row++) {
		if (!g_str_equal(PQgetvalue(result, row, 1), "closed")) {
			g_set_error(
			        error, PH_ERROR, PH_ERROR_TRANSIENT,
			        "waiting until payout batch %s is closed (its result booked), to "
			        "archive it too",
			        PQgetvalue(result, row, 0));
			return FALSE;
		}
		gchar *json = g_strconcat(PQgetvalue(result, row, 2), "\n", NULL);
		gchar *name =
		        g_strdup_printf("payout-batch-%010" G_GINT64_FORMAT ".json",
		                        g_ascii_strtoll(PQgetvalue(result, row, 0), NULL, 10));
		ph_archive_api_documents_add(documents, name, "generated",
		                             g_strdup(kind->element_code),
		                             g_bytes_new_take(json, strlen(json)));
		if (!ph_archive_api_add_kept(db, plugin, PQgetvalue(result, row, 0), kind,
		                             documents, error))
			return FALSE;
	}
	return TRUE;
}

/* The event itself (the decision and its inputs), then what else the case holds: the batch
 * event that raised it, a transfer's platform messages, a payout run's batches, what other
 * plugins sent about it. */
static gboolean
ph_archive_api_collect(PhPlugin *plugin, const PhArchiveEvent *event, const PhArchiveCaseKind *kind,
                       const gchar *id_number, GBytes *event_bytes, PhArchiveDocuments *documents,
                       GError **error)
{
	documents->documents = g_array_new(FALSE, FALSE, sizeof(PhArchiveDocument));
	documents->names = g_ptr_array_new_with_free_func(g_free);
	documents->bytes = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	documents->kept = g_ptr_array_new_with_free_func((GDestroyNotify)ph_archive_kept_free);
	ph_archive_api_documents_add(
	        documents, g_strdup_printf("event-%" G_GINT64_FORMAT ".json", event->event_id),
	        "generated", g_strdup(kind->element_code), g_bytes_ref(event_bytes));
	PhDb *db = ph_worker_db_get(error);
	if (db == NULL)
		return FALSE;
	if (kind->personnel_type != NULL && id_number != NULL &&
	    !ph_archive_api_add_personnel(db, plugin->config, event, kind, id_number, documents,
	                                  error))
		return FALSE;
	if (g_str_equal(event->type, "transfer_amounts") &&
	    !ph_archive_api_add_transfer(db, event, documents, error))
		return FALSE;
	if (g_str_equal(event->type, "payout_due") &&
	    !ph_archive_api_add_payout(db, plugin, event, kind, documents, error))
		return FALSE;
	return ph_archive_api_add_sent(db, plugin, event, kind, documents, error);
}

/* The package of the collected documents. A kept file found damaged or changed (or a name
 * too long) fails every attempt alike: PH_ERROR_PERMANENT, a dead letter naming it. */
static GBytes *
ph_archive_api_build(const PhArchiveCase *archive_case, PhArchiveDocuments *documents,
                     const gchar *work_dir, PhXmlSigner *signer, GError **error)
{
	GError *local = NULL;
	GBytes *bytes = ph_archive_package_build_kept(
	        archive_case, (const PhArchiveDocument *)documents->documents->data,
	        (PhArchiveKept *const *)documents->kept->pdata, documents->documents->len,
	        ph_field_keys_installed(), work_dir, signer, &local);
	if (bytes == NULL && g_error_matches(local, PH_ERROR, PH_ERROR_INVALID_INPUT))
		local->code = PH_ERROR_PERMANENT;
	if (local != NULL)
		g_propagate_error(error, local);
	return bytes;
}

/* Once per process, before its first package: plaintext packages that a build of an older
 * hub, killed while writing, left named in the documents folder are removed. */
static void
ph_archive_api_sweep_once(const gchar *work_dir)
{
	static gsize swept = 0;
	if (!g_once_init_enter(&swept))
		return;
	guint removed = ph_archive_package_sweep(work_dir);
	if (removed > 0)
		g_message("archive: removed %u package file(s) left by a build that was killed",
		          removed);
	g_once_init_leave(&swept, 1);
}

static PhArchivePackage *
ph_archive_api_finish(const PhArchiveEvent *event, const gchar *agency, GBytes *bytes)
{
	PhArchivePackage *package = g_new0(PhArchivePackage, 1);
	package->case_id = g_strdup_printf("%s:%s", event->type, event->business_key);
	package->package_id = g_strdup_printf("%s-%" G_GINT64_FORMAT,
	                                      agency != NULL ? agency : "hub", event->event_id);
	gsize length = 0;
	const guint8 *data = g_bytes_get_data(bytes, &length);
	package->sha256 = ph_digest_hex(PH_DIGEST_SHA256, data, length);
	package->package = g_bytes_ref(bytes);
	return package;
}

PhArchivePackage *
ph_archive_api_build_event(PhPlugin *plugin, GBytes *event_bytes, PhXmlSigner *signer,
                           GError **error)
{
	g_return_val_if_fail(plugin != NULL && event_bytes != NULL && signer != NULL, NULL);
	g_autofree gchar *text =
	        g_strndup(g_bytes_get_data(event_bytes, NULL), g_bytes_get_size(event_bytes));
	g_autoptr(JsonNode) root = json_from_string(text, NULL);
	PhArchiveEvent event = {0};
	if (!ph_archive_api_read_event(root, &event, error))
		return NULL;
	guint at = 0;
	while (at < G_N_ELEMENTS(ph_archive_api_cases) &&
	       !g_str_equal(ph_archive_api_cases[at].event_type, event.type))
		at++;
	if (at == G_N_ELEMENTS(ph_archive_api_cases)) {
		ph_archive_api_refuse(error, "the event type closes no case");
		return NULL;
	}
	g_autofree gchar *closed_at = ph_archive_api_utc(event.created_at);
	if (closed_at == NULL) {
		ph_archive_api_refuse(error, "created_at is not an ISO 8601 time");
		return NULL;
	}
	PhPensionStatus person = {0};
	gboolean found = FALSE;
	if (event.person_id != 0) {
		PhDb *db = ph_worker_db_get(error);
		if (db == NULL ||
		    !ph_pension_status_get(db, NULL, event.person_id, &person, &found, error))
			return NULL;
	}
	const gchar *agency = plugin->config != NULL ? plugin->config->agency : NULL;
	g_autofree gchar *case_id = g_strdup_printf("%s:%s", event.type, event.business_key);
	const PhArchiveCase archive_case = {ph_archive_api_cases[at].case_type,
	                                    case_id,
	                                    closed_at,
	                                    found ? event.person_id : 0,
	                                    person.id_number,
	                                    person.name,
	                                    agency};
	g_auto(PhArchiveDocuments) documents = {NULL, NULL, NULL, NULL};
	g_autoptr(GBytes) bytes = NULL;
	/* a package with kept files is written beside them, not in memory */
	g_autofree gchar *work_dir = plugin->config != NULL ? ph_document_store_dir(plugin->config)
	                                                    : g_strdup(g_get_tmp_dir());
	if (plugin->config != NULL)
		ph_archive_api_sweep_once(work_dir); /* never someone else's files in /tmp */
	if (ph_archive_api_collect(plugin, &event, &ph_archive_api_cases[at], person.id_number,
	                           event_bytes, &documents, error))
		bytes = ph_archive_api_build(&archive_case, &documents, work_dir, signer, error);
	ph_pension_status_clear(&person);
	return bytes != NULL ? ph_archive_api_finish(&event, agency, bytes) : NULL;
}

static gchar *
ph_archive_api_receipt_id(GBytes *answer)
{
	g_autofree gchar *text =
	        g_strndup(g_bytes_get_data(answer, NULL), g_bytes_get_size(answer));
	g_autoptr(JsonNode) root = json_from_string(text, NULL);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
		return NULL;
	JsonNode *node = json_object_get_member(json_node_get_object(root), "receipt_id");
	if (node == NULL || json_node_get_value_type(node) != G_TYPE_STRING)
		return NULL;
	const gchar *receipt = json_node_get_string(node);
	return receipt != NULL && receipt[0] != '\0' ? g_strdup(receipt) : NULL;
}

gboolean
ph_archive_api_record_receipt(PhPlugin *plugin, const PhArchivePackage *package, GBytes *answer,
                              gchar **receipt_id, GError **error)
{
	g_return_val_if_fail(plugin != NULL && package != NULL && answer != NULL, FALSE);
	g_autofree gchar *receipt = ph_archive_api_receipt_id(answer);
	if (receipt == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_PERMANENT,
		            "archive package %s: the archive's answer holds no receipt_id",
		            package->package_id);
		return FALSE;
	}
	g_autoptr(JsonBuilder) builder = json_builder_new();
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "package_id");
	json_builder_add_string_value(builder, package->package_id);
	json_builder_set_member_name(builder, "sha256");
	json_builder_add_string_value(builder, package->sha256);
	json_builder_set_member_name(builder, "size");
	json_builder_add_int_value(builder, (gint64)g_bytes_get_size(package->package));
	json_builder_set_member_name(builder, "receipt_id");
	json_builder_add_string_value(builder, receipt);
	json_builder_end_object(builder);
	g_autoptr(JsonNode) root = json_builder_get_root(builder);
	gchar *json = json_to_string(root, FALSE);
	g_autoptr(GBytes) value = g_bytes_new_take(json, strlen(json));
	g_autofree gchar *key = g_strconcat("case:", package->case_id, NULL);
	if (!ph_plugin_state_set(plugin, key, value, error))
		return FALSE;
	if (receipt_id != NULL)
		*receipt_id = g_steal_pointer(&receipt);
	return TRUE;
}
