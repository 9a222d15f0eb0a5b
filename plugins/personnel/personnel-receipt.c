/* The receipt of a batch as JSON (profile PH-PERS-1): GET /personnel/v1/batches/<id>/receipt
 * answers the state and the first page of per-event results; …/receipt/<seq> answers the
 * page from that seq on. A page ends with "next" while more results follow, so that a
 * million results never sit in memory at once. Plugin-only. */
#include <string.h>

#include "personnel.h"

#define PERSONNEL_RECEIPT_PREFIX "/personnel/v1/batches/"

void
personnel_json_string(GString *json, const gchar *text)
{
	if (text == NULL) {
		g_string_append(json, "null");
		return;
	}
	g_string_append_c(json, '"');
	for (const guchar *c = (const guchar *)text; *c != '\0'; c++) {
		if (*c == '"' || *c == '\\')
			g_string_append_printf(json, "\\%c", *c);
		else if (*c < 0x20)
			g_string_append_printf(json, "\\u%04x", *c);
		else
			g_string_append_c(json, (gchar)*c);
	}
	g_string_append_c(json, '"');
}

/* "<id>/receipt" or "<id>/receipt/<seq>" after the prefix. */
static gboolean
personnel_receipt_parse(const gchar *path, gchar **id, gint64 *from)
{
	if (!g_str_has_prefix(path, PERSONNEL_RECEIPT_PREFIX))
		return FALSE;
	g_auto(GStrv) parts = g_strsplit(path + strlen(PERSONNEL_RECEIPT_PREFIX), "/", -1);
	guint n = g_strv_length(parts);
	guint64 seq = 0;
	if (n < 2 || n > 3 || !g_str_equal(parts[1], "receipt") || parts[0][0] == '\0' ||
	    strspn(parts[0], "0123456789abcdef") != strlen(parts[0]))
		return FALSE;
	if (n == 3 && !g_ascii_string_to_unsigned(parts[2], 10, 0, G_MAXINT64, &seq, NULL))
		return FALSE;
	*id = g_strdup(parts[0]);
	*from = (gint64)seq;
	return TRUE;
}

static const gchar *
personnel_receipt_state(const PhPersonnelBatch *batch)
{
	return g_str_equal(batch->state, "queued") ? "processing" : batch->state;
}

static void
personnel_receipt_header(GString *json, const PhPersonnelBatch *batch)
{
	g_string_append(json, "{\"batch\": ");
	personnel_json_string(json, batch->id);
	g_string_append(json, ", \"batchId\": ");
	personnel_json_string(json, batch->doc_batch_id);
	g_string_append(json, ", \"state\": ");
	personnel_json_string(json, personnel_receipt_state(batch));
	g_string_append(json, ", \"message\": ");
	personnel_json_string(json, batch->message);
	g_string_append_printf(
	        json,
	        ", \"counts\": {\"events\": %" G_GINT64_FORMAT ", \"applied\": %" G_GINT64_FORMAT
	        ", \"duplicate\": %" G_GINT64_FORMAT ", \"rejected\": %" G_GINT64_FORMAT "}",
	        batch->events < 0 ? 0 : batch->events, batch->applied, batch->duplicate,
	        batch->rejected);
}

static void
personnel_receipt_events(GString *json, GArray *page)
{
	g_string_append(json, ",\n \"events\": [");
	for (guint i = 0; i < page->len; i++) {
		const PhPersonnelResult *result = &g_array_index(page, PhPersonnelResult, i);
		g_string_append_printf(json, "%s\n  {\"seq\": %" G_GINT64_FORMAT ", \"status\": ",
		                       i > 0 ? "," : "", result->seq);
		personnel_json_string(json, result->status);
		g_string_append(json, ", \"code\": ");
		personnel_json_string(json, result->code);
		g_string_append(json, ", \"message\": ");
		personnel_json_string(json, result->message);
		g_string_append_c(json, '}');
	}
	g_string_append(json, "]");
}

void
personnel_receipt_get(PhRequest *request, gpointer state)
{
	Personnel *personnel = state;
	g_autofree gchar *id = NULL;
	gint64 from = 0;
	g_autoptr(GError) error = NULL;
	if (!personnel_receipt_parse(ph_request_get_path(request), &id, &from)) {
		personnel_respond_error(request, 404, "no such receipt");
		return;
	}
	g_autoptr(PhPersonnelBatch) batch = ph_personnel_batch_get(personnel->plugin, id, &error);
	/* One more than a page tells whether a next page exists. */
	g_autoptr(GArray) page =
	        batch != NULL ? ph_personnel_result_page(personnel->plugin, id, from,
	                                                 personnel->receipt_page + 1, &error)
	                      : NULL;
	if (page == NULL) {
		gboolean missing = g_error_matches(error, PH_ERROR, PH_ERROR_NOT_FOUND);
		personnel_respond_error(request, missing ? 404 : 503, error->message);
		return;
	}
	g_autoptr(GString) json = g_string_sized_new(256 + page->len * 64);
	gboolean more = page->len > personnel->receipt_page;
	gint64 next =
	        more ? g_array_index(page, PhPersonnelResult, personnel->receipt_page).seq : 0;
	if (more)
		g_array_set_size(page, personnel->receipt_page);
	personnel_receipt_header(json, batch);
	personnel_receipt_events(json, page);
	if (more)
		g_string_append_printf(json,
		                       ",\n \"next\": \"" PERSONNEL_RECEIPT_PREFIX
		                       "%s/receipt/%" G_GINT64_FORMAT "\"",
		                       id, next);
	g_string_append(json, "}\n");
	personnel_respond_json(request, 200, json->str);
}
