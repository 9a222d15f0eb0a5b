/* Reading a PH-PERS-1 batch one event at a time with the host's streaming XML reader:
 * the root's header, then each Event with its fields, in bounded memory. Plugin-only. */
#include <string.h>

#include "personnel.h"

#define PERSONNEL_MAX_FIELD_BYTES 1024
/* An event's type and effective are kept to this many bytes (and "…"): enough to refuse
 * them by name, and libxml2 allows an attribute 10 MB. */
#define PERSONNEL_MAX_ATTRIBUTE_BYTES 64
/* Event strings are dropped this often during the whole-document check. */
#define PERSONNEL_CHECK_RESET 4096

struct _PersonnelReader {
	PhXmlStream *xml;
	GStringChunk *strings;
	GString *text;
	gint64 last_seq;
	gboolean finished;
	gboolean counting; /* the whole-document check: structure and seqs, no field values */
};

static const gchar *const personnel_field_names[PERSONNEL_N_FIELDS] = {
        [PERSONNEL_AAB004] = "AAB004",   [PERSONNEL_BAB010] = "BAB010",
        [PERSONNEL_AAB301] = "AAB301",   [PERSONNEL_AAB019] = "AAB019",
        [PERSONNEL_FUNDING] = "Funding", [PERSONNEL_AAC002] = "AAC002",
        [PERSONNEL_AAC003] = "AAC003",   [PERSONNEL_AAC004] = "AAC004",
        [PERSONNEL_AAC005] = "AAC005",   [PERSONNEL_AAC006] = "AAC006",
        [PERSONNEL_AAC007] = "AAC007",   [PERSONNEL_WAGE] = "Wage",
        [PERSONNEL_AAE200] = "AAE200",   [PERSONNEL_DEEMED_INDEX] = "DeemedIndex",
        [PERSONNEL_AIC161] = "AIC161",   [PERSONNEL_OLD_METHOD_AMOUNT] = "OldMethodAmount",
        [PERSONNEL_AAE138] = "AAE138",   [PERSONNEL_AAB001] = "AAB001",
        [PERSONNEL_AAE160] = "AAE160",
};

static const gchar *const personnel_type_names[] = {
        [PERSONNEL_UNIT] = "UNIT",        [PERSONNEL_HIRE] = "HIRE",
        [PERSONNEL_WAGE_CHANGE] = "WAGE", [PERSONNEL_RETIRE] = "RETIRE",
        [PERSONNEL_DEATH] = "DEATH",      [PERSONNEL_MOVE] = "MOVE",
        [PERSONNEL_LEAVE] = "LEAVE",
};

const gchar *
personnel_field_name(PersonnelField field)
{
	return personnel_field_names[field];
}

PersonnelType
personnel_type_from_text(const gchar *text)
{
	for (guint i = 0; i < G_N_ELEMENTS(personnel_type_names); i++) {
		if (text != NULL && g_str_equal(text, personnel_type_names[i]))
			return (PersonnelType)i;
	}
	return PERSONNEL_UNKNOWN_TYPE;
}

static gint
personnel_field_from_name(const gchar *name)
{
	for (guint i = 0; i < PERSONNEL_N_FIELDS; i++) {
		if (g_str_equal(name, personnel_field_names[i]))
			return (gint)i;
	}
	return -1;
}

void
personnel_header_clear(PersonnelHeader *header)
{
	g_clear_pointer(&header->batch_id, g_free);
	g_clear_pointer(&header->unit_code, g_free);
	header->events = 0;
}

PersonnelReader *
personnel_reader_new(GInputStream *input, const gchar *source, guint64 max_bytes)
{
	PhXmlStreamLimits limits = {.max_bytes = max_bytes, .max_depth = 8};
	PersonnelReader *reader = g_new0(PersonnelReader, 1);
	reader->xml = ph_xml_stream_new(input, source, &limits);
	reader->strings = g_string_chunk_new(64 * 1024);
	reader->text = g_string_sized_new(256);
	reader->last_seq = -1;
	return reader;
}

void
personnel_reader_free(PersonnelReader *reader)
{
	if (reader == NULL)
		return;
	ph_xml_stream_free(reader->xml);
	g_string_chunk_free(reader->strings);
	g_string_free(reader->text, TRUE);
	g_free(reader);
}

void
personnel_reader_reset(PersonnelReader *reader)
{
	g_string_chunk_clear(reader->strings);
}

GStringChunk *
personnel_reader_take_strings(PersonnelReader *reader)
{
	GStringChunk *strings = reader->strings;
	reader->strings = g_string_chunk_new(64 * 1024);
	return strings;
}

static gboolean personnel_reader_fail(PersonnelReader *reader, GError **error, const gchar *format,
                                      ...) G_GNUC_PRINTF(3, 4);

static gboolean
personnel_reader_fail(PersonnelReader *reader, GError **error, const gchar *format, ...)
{
	va_list args;
	va_start(args, format);
	g_autofree gchar *reason = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "line %u: %s",
	            ph_xml_stream_get_line(reader->xml), reason);
	return FALSE;
}

static gboolean
personnel_reader_in_profile(PersonnelReader *reader, const gchar *name)
{
	return g_str_equal(ph_xml_stream_get_name(reader->xml), name) &&
	       g_str_equal(ph_xml_stream_get_namespace(reader->xml), PERSONNEL_NAMESPACE);
}

gboolean
personnel_reader_open(PersonnelReader *reader, PersonnelHeader *header, GError **error)
{
	PhXmlStreamNode node = ph_xml_stream_next(reader->xml, error);
	if (node == PH_XML_STREAM_ERROR)
		return FALSE;
	if (node != PH_XML_STREAM_START || !personnel_reader_in_profile(reader, "PersonnelBatch"))
		return personnel_reader_fail(reader, error,
		                             "the root element is not PersonnelBatch in %s",
		                             PERSONNEL_NAMESPACE);
	header->batch_id = ph_xml_stream_get_attribute(reader->xml, "batchId");
	header->unit_code = ph_xml_stream_get_attribute(reader->xml, "AAB001");
	if (header->batch_id == NULL || header->batch_id[0] == '\0' ||
	    strlen(header->batch_id) > 64)
		return personnel_reader_fail(
		        reader, error, "PersonnelBatch needs a batchId of 1 to 64 characters");
	return TRUE;
}

static const gchar *
personnel_reader_keep(PersonnelReader *reader, const gchar *text)
{
	return text != NULL ? g_string_chunk_insert(reader->strings, text) : NULL;
}

/* An attribute value as kept for the events of a chunk: cut at a character's start. */
static const gchar *
personnel_reader_keep_attribute(PersonnelReader *reader, const gchar *text)
{
	const gchar *end = NULL;
	if (text == NULL || strlen(text) <= PERSONNEL_MAX_ATTRIBUTE_BYTES)
		return personnel_reader_keep(reader, text);
	g_autofree gchar *cut = g_strndup(text, PERSONNEL_MAX_ATTRIBUTE_BYTES);
	if (!g_utf8_validate(cut, -1, &end))
		cut[end - cut] = '\0'; /* a character cut in two */
	g_autofree gchar *kept = g_strconcat(cut, "…", NULL);
	return personnel_reader_keep(reader, kept);
}

static void personnel_reader_problem(PersonnelReader *reader, PersonnelEvent *event,
                                     const gchar *format, ...) G_GNUC_PRINTF(3, 4);

/* An event's first structural problem, naming the element it is about; later ones are not
 * kept, so that memory stays bounded however many an event holds (each would be a string of
 * the chunk's). The whole-document check keeps none. */
static void
personnel_reader_problem(PersonnelReader *reader, PersonnelEvent *event, const gchar *format, ...)
{
	va_list args;
	if (event->problem != NULL || reader->counting)
		return;
	va_start(args, format);
	g_autofree gchar *problem = g_strdup_vprintf(format, args);
	va_end(args);
	event->problem = personnel_reader_keep(reader, problem);
}

static gboolean
personnel_reader_seq(PersonnelReader *reader, PersonnelEvent *event, GError **error)
{
	g_autofree gchar *seq = ph_xml_stream_get_attribute(reader->xml, "seq");
	guint64 value = 0;
	if (seq == NULL || !g_ascii_string_to_unsigned(seq, 10, 0, G_MAXINT64, &value, NULL))
		return personnel_reader_fail(reader, error,
		                             "Event needs a seq of decimal digits, not '%s'",
		                             seq != NULL ? seq : "");
	if ((gint64)value <= reader->last_seq)
		return personnel_reader_fail(reader, error,
		                             "seq %" G_GUINT64_FORMAT
		                             " does not follow seq %" G_GINT64_FORMAT
		                             ": seqs must increase through the batch",
		                             value, reader->last_seq);
	event->seq = reader->last_seq = (gint64)value;
	return TRUE;
}

static gboolean
personnel_reader_event_start(PersonnelReader *reader, PersonnelEvent *event, GError **error)
{
	memset(event, 0, sizeof(*event));
	event->line = ph_xml_stream_get_line(reader->xml);
	if (!personnel_reader_in_profile(reader, "Event"))
		return personnel_reader_fail(reader, error, "unexpected element %s in the batch",
		                             ph_xml_stream_get_name(reader->xml));
	if (!personnel_reader_seq(reader, event, error))
		return FALSE;
	if (reader->counting)
		return TRUE;
	g_autofree gchar *type = ph_xml_stream_get_attribute(reader->xml, "type");
	g_autofree gchar *effective = ph_xml_stream_get_attribute(reader->xml, "effective");
	event->type = personnel_type_from_text(type);
	event->type_text = personnel_reader_keep_attribute(reader, type != NULL ? type : "");
	event->effective = personnel_reader_keep_attribute(reader, effective);
	return TRUE;
}

/* The text of the field element @name (NULL while counting) just started, up to its end. */
static gboolean
personnel_reader_field_text(PersonnelReader *reader, PersonnelEvent *event, const gchar *name,
                            GError **error)
{
	g_string_truncate(reader->text, 0);
	for (;;) {
		PhXmlStreamNode node = ph_xml_stream_next(reader->xml, error);
		if (node == PH_XML_STREAM_ERROR)
			return FALSE;
		if (node == PH_XML_STREAM_TEXT && !reader->counting)
			g_string_append(reader->text, ph_xml_stream_get_text(reader->xml));
		else if (node == PH_XML_STREAM_START)
			personnel_reader_problem(reader, event, "%s holds elements", name);
		else if (node == PH_XML_STREAM_END && ph_xml_stream_get_depth(reader->xml) == 2)
			return TRUE;
		else if (node == PH_XML_STREAM_DONE)
			return personnel_reader_fail(reader, error,
			                             "the document ends inside a field");
	}
}

static gboolean
personnel_reader_field(PersonnelReader *reader, PersonnelEvent *event, GError **error)
{
	if (reader->counting)
		return personnel_reader_field_text(reader, event, NULL, error);
	g_autofree gchar *name = g_strdup(ph_xml_stream_get_name(reader->xml));
	gint field = personnel_field_from_name(name);
	if (!personnel_reader_field_text(reader, event, name, error))
		return FALSE;
	if (field < 0) {
		personnel_reader_problem(reader, event, "unknown element %s", name);
		return TRUE;
	}
	if (event->fields[field] != NULL) {
		personnel_reader_problem(reader, event, "%s is given twice", name);
		return TRUE;
	}
	g_strstrip(reader->text->str);
	if (strlen(reader->text->str) > PERSONNEL_MAX_FIELD_BYTES) {
		personnel_reader_problem(reader, event, "%s is longer than %d bytes", name,
		                         PERSONNEL_MAX_FIELD_BYTES);
		return TRUE;
	}
	event->fields[field] = personnel_reader_keep(reader, reader->text->str);
	return TRUE;
}

gboolean
personnel_reader_next(PersonnelReader *reader, PersonnelEvent *event, GError **error)
{
	gboolean in_event = FALSE;
	if (reader->finished)
		return FALSE;
	for (;;) {
		PhXmlStreamNode node = ph_xml_stream_next(reader->xml, error);
		guint depth = ph_xml_stream_get_depth(reader->xml);
		switch (node) {
		case PH_XML_STREAM_ERROR:
			return FALSE;
		case PH_XML_STREAM_DONE:
			reader->finished = TRUE;
			return FALSE;
		case PH_XML_STREAM_START:
			if (depth == 1) {
				if (!personnel_reader_event_start(reader, event, error))
					return FALSE;
				in_event = TRUE;
			} else if (!personnel_reader_field(reader, event, error)) {
				return FALSE;
			}
			break;
		case PH_XML_STREAM_END:
			if (depth == 1 && in_event)
				return TRUE;
			break; /* the root's end: DONE follows */
		case PH_XML_STREAM_TEXT:
			if (depth <= 1)
				return personnel_reader_fail(reader, error,
				                             "text outside the events' fields");
			personnel_reader_problem(reader, event, "text directly inside an Event");
			break;
		}
	}
}

gboolean
personnel_reader_check(PersonnelReader *reader, PersonnelHeader *header, GError **error)
{
	PersonnelEvent event;
	g_autoptr(GError) local = NULL;
	reader->counting = TRUE;
	if (!personnel_reader_open(reader, header, error))
		return FALSE;
	while (personnel_reader_next(reader, &event, &local)) {
		if (++header->events % PERSONNEL_CHECK_RESET == 0)
			personnel_reader_reset(reader);
	}
	if (local != NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	return TRUE;
}
