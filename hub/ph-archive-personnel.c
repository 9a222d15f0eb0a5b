/* The personnel event behind a closed case (ph-archive-personnel.h): candidate batches from
 * personnel_batch by time, their spooled document streamed with the SDK's hardened reader, the
 * event re-written in UTF-8 inside an excerpt that names the whole batch by SHA-256. Hub only. */
#include "ph-archive-personnel.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "pension-hub/ph-spool.h"
#include "pension-hub/ph-xml-stream.h"
#include "ph-archive-package.h"
#include "ph-document-store.h"

#define PH_ARCHIVE_PERSONNEL_NAMESPACE "urn:pension-hub:personnel:1"

/* A batch being applied when the core event was written: it was received before and not
 * finished before (the chunk that raised the event commits with the event, so its
 * finished_at, when it was the last, is the event's own time). */
typedef struct {
	const gchar *id;
	const gchar *partner;
	const gchar *doc_batch_id;
	const gchar *inbox_id;
	const gchar *received_at; /* UTC, milliseconds */
	GBytes *source;           /* the spool reference */
} PhArchiveBatch;

/* The event being read, and the excerpt written so far. */
typedef struct {
	const gchar *event_type;
	const gchar *id_number;
	gchar *seq;
	gboolean wanted; /* of @event_type */
	GString *event;  /* the Event element re-written */
	gchar *element;  /* the child being read */
	gboolean same_person;
} PhArchiveScan;

static void
ph_archive_personnel_scan_reset(PhArchiveScan *scan)
{
	g_clear_pointer(&scan->seq, g_free);
	g_clear_pointer(&scan->element, g_free);
	if (scan->event != NULL)
		g_string_truncate(scan->event, 0);
	scan->wanted = FALSE;
	scan->same_person = FALSE;
}

static void
ph_archive_personnel_scan_clear(PhArchiveScan *scan)
{
	ph_archive_personnel_scan_reset(scan);
	if (scan->event != NULL)
		g_string_free(scan->event, TRUE);
	scan->event = NULL;
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(PhArchiveScan, ph_archive_personnel_scan_clear)

static void
ph_archive_personnel_attribute(GString *out, const gchar *name, const gchar *value)
{
	if (value == NULL)
		return;
	g_autofree gchar *escaped = g_markup_escape_text(value, -1);
	g_string_append_printf(out, " %s=\"%s\"", name, escaped);
}

/* An Event starts: note its seq and whether it is of the type looked for. */
static void
ph_archive_personnel_event_start(PhArchiveScan *scan, PhXmlStream *stream)
{
	ph_archive_personnel_scan_reset(scan);
	g_autofree gchar *type = ph_xml_stream_get_attribute(stream, "type");
	g_autofree gchar *effective = ph_xml_stream_get_attribute(stream, "effective");
	scan->seq = ph_xml_stream_get_attribute(stream, "seq");
	scan->wanted = g_strcmp0(type, scan->event_type) == 0 && scan->seq != NULL;
	if (!scan->wanted)
		return;
	g_string_append(scan->event, "<Event xmlns=\"" PH_ARCHIVE_PERSONNEL_NAMESPACE "\"");
	ph_archive_personnel_attribute(scan->event, "seq", scan->seq);
	ph_archive_personnel_attribute(scan->event, "type", type);
	ph_archive_personnel_attribute(scan->event, "effective", effective);
	g_string_append(scan->event, ">");
}

/* One node inside a wanted Event (depth 2 and below): written out as read. */
static void
ph_archive_personnel_event_node(PhArchiveScan *scan, PhXmlStream *stream, PhXmlStreamNode node)
{
	if (node == PH_XML_STREAM_START) {
		g_free(scan->element);
		scan->element = g_strdup(ph_xml_stream_get_name(stream));
		g_string_append_printf(scan->event, "<%s>", scan->element);
	} else if (node == PH_XML_STREAM_END) {
		g_string_append_printf(scan->event, "</%s>", ph_xml_stream_get_name(stream));
		g_clear_pointer(&scan->element, g_free);
	} else if (node == PH_XML_STREAM_TEXT) {
		const gchar *text = ph_xml_stream_get_text(stream);
		g_autofree gchar *escaped = g_markup_escape_text(text, -1);
		g_string_append(scan->event, escaped);
		if (g_strcmp0(scan->element, "AAC002") == 0) {
			g_autofree gchar *value = g_strstrip(g_strdup(text));
			/* the check character X may come in either case */
			scan->same_person = g_ascii_strcasecmp(value, scan->id_number) == 0;
		}
	}
}

/* Whether the batch's result for @seq says the event was applied (not a repeat, not refused). */
static gboolean
ph_archive_personnel_applied(PhDb *db, const PhArchiveBatch *batch, const gchar *seq,
                             gboolean *applied, GError **error)
{
	const gchar *params[] = {batch->id, seq};
	g_autoptr(PGresult) result = ph_db_query(db,
	                                         "SELECT status = 'APPLIED' FROM personnel_result "
	                                         "WHERE batch = $1 AND seq = $2::bigint",
	                                         2, params, error);
	if (result == NULL)
		return FALSE;
	*applied = PQntuples(result) == 1 && g_str_equal(PQgetvalue(result, 0, 0), "t");
	return TRUE;
}

/* Streams the batch until the person's applied event of the type; *@seq stays NULL when the
 * batch holds none. */
static gboolean
ph_archive_personnel_scan(PhDb *db, const PhArchiveBatch *batch, GInputStream *input,
                          PhArchiveScan *scan, gchar **seq, GError **error)
{
	g_autoptr(PhXmlStream) stream = ph_xml_stream_new(input, batch->id, NULL);
	for (;;) {
		PhXmlStreamNode node = ph_xml_stream_next(stream, error);
		if (node == PH_XML_STREAM_ERROR)
			return FALSE;
		if (node == PH_XML_STREAM_DONE)
			return TRUE;
		guint depth = ph_xml_stream_get_depth(stream);
		if (depth == 1 && node == PH_XML_STREAM_START)
			ph_archive_personnel_event_start(scan, stream);
		else if (depth >= 2 && scan->wanted)
			ph_archive_personnel_event_node(scan, stream, node);
		else if (depth == 1 && node == PH_XML_STREAM_END && scan->wanted &&
		         scan->same_person) {
			gboolean applied = FALSE;
			if (!ph_archive_personnel_applied(db, batch, scan->seq, &applied, error))
				return FALSE;
			if (applied) {
				g_string_append(scan->event, "</Event>");
				*seq = g_strdup(scan->seq);
				return TRUE;
			}
		}
	}
}

/* The excerpt: where the event came from (the batch, whose spooled bytes the SHA-256 names),
 * then the event. */
static GBytes *
ph_archive_personnel_excerpt(const PhArchiveBatch *batch, GBytes *event)
{
	g_autofree gchar *text =
	        g_strndup(g_bytes_get_data(batch->source, NULL), g_bytes_get_size(batch->source));
	g_autoptr(JsonNode) root = json_from_string(text, NULL);
	JsonObject *reference =
	        root != NULL && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
	GString *out = g_string_new("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                            "<InboundExcerpt xmlns=\"" PH_ARCHIVE_NAMESPACE "\"");
	ph_archive_personnel_attribute(out, "partner", batch->partner);
	ph_archive_personnel_attribute(out, "format", "PH-PERS-1");
	ph_archive_personnel_attribute(out, "inbox", batch->inbox_id);
	ph_archive_personnel_attribute(out, "receivedAt", batch->received_at);
	ph_archive_personnel_attribute(out, "batchId", batch->doc_batch_id);
	if (reference != NULL) {
		ph_archive_personnel_attribute(
		        out, "sha256",
		        json_object_get_string_member_with_default(reference, "sha256", NULL));
		g_string_append_printf(
		        out, " size=\"%" G_GINT64_FORMAT "\"",
		        json_object_get_int_member_with_default(reference, "size", 0));
	}
	g_string_append(out, ">\n");
	g_string_append_len(out, g_bytes_get_data(event, NULL), (gssize)g_bytes_get_size(event));
	g_string_append(out, "\n</InboundExcerpt>\n");
	gsize length = out->len;
	return g_bytes_new_take(g_string_free(out, FALSE), length);
}

/* One candidate batch: the excerpt when it holds the person's applied event. */
static gboolean
ph_archive_personnel_try(PhDb *db, const gchar *spool_dir, const PhArchiveBatch *batch,
                         PhArchiveScan *scan, gchar **name, GBytes **excerpt, GError **error)
{
	g_autoptr(GInputStream) input = ph_spool_open(NULL, spool_dir, batch->source, error);
	g_autofree gchar *seq = NULL;
	if (input == NULL || !ph_archive_personnel_scan(db, batch, input, scan, &seq, error)) {
		/* the original gone from the spool or unreadable: an operator must look, retrying
		 * cannot bring it back */
		if (error != NULL && *error != NULL && (*error)->domain == PH_ERROR &&
		    ((*error)->code == PH_ERROR_NOT_FOUND ||
		     (*error)->code == PH_ERROR_INVALID_INPUT))
			(*error)->code = PH_ERROR_PERMANENT;
		g_prefix_error(error, "personnel batch %s: ", batch->id);
		return FALSE;
	}
	if (seq == NULL)
		return TRUE;
	g_autoptr(GBytes) event = g_bytes_new(scan->event->str, scan->event->len);
	*excerpt = ph_archive_personnel_excerpt(batch, event);
	*name = g_strdup_printf("inbound-personnel-%s-%s.xml", batch->inbox_id, seq);
	return TRUE;
}

gboolean
ph_archive_personnel_find(PhDb *db, const PhConfig *config, const gchar *event_type,
                          const gchar *created_at, const gchar *id_number, gchar **name,
                          GBytes **excerpt, GError **error)
{
	g_return_val_if_fail(db != NULL && event_type != NULL && created_at != NULL &&
	                             id_number != NULL && name != NULL && excerpt != NULL,
	                     FALSE);
	*name = NULL;
	*excerpt = NULL;
	const gchar *params[] = {created_at, event_type};
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "SELECT b.id, b.partner, coalesce(b.doc_batch_id, ''), b.inbox_id, "
	        "to_char(b.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
	        "b.source::text FROM personnel_batch b "
	        "WHERE b.state IN ('processing', 'done') AND b.received_at <= $1::timestamptz "
	        "AND (b.finished_at IS NULL OR b.finished_at >= $1::timestamptz) "
	        "AND EXISTS (SELECT 1 FROM personnel_result r WHERE r.batch = b.id "
	        "AND r.event_type = $2 AND r.status = 'APPLIED') "
	        "ORDER BY b.received_at, b.id",
	        2, params, error);
	if (result == NULL)
		return FALSE;
	g_autofree gchar *spool_dir = ph_document_spool_dir(config);
	g_auto(PhArchiveScan) scan = {event_type, id_number, NULL, FALSE, g_string_new(NULL)};
	for (gint row = 0; row < PQntuples(result) && *excerpt == NULL; row++) {
		g_autoptr(GBytes) source =
		        g_bytes_new(PQgetvalue(result, row, 5), (gsize)PQgetlength(result, row, 5));
		const PhArchiveBatch batch = {
		        PQgetvalue(result, row, 0), PQgetvalue(result, row, 1),
		        PQgetvalue(result, row, 2), PQgetvalue(result, row, 3),
		        PQgetvalue(result, row, 4), source,
		};
		if (!ph_archive_personnel_try(db, spool_dir, &batch, &scan, name, excerpt, error))
			return FALSE;
	}
	return TRUE;
}
