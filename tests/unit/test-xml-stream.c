/* The host's streaming XML reader for plugins (SDK ph-xml-stream.h): nodes in order,
 * empty elements, text through GB18030, and every refusal of untrusted input. */
#include <string.h>

#include "pension-hub.h"

static PhXmlStream *
stream_for(const gchar *text, gssize length, const PhXmlStreamLimits *limits, GInputStream **input)
{
	g_autoptr(GBytes) bytes = g_bytes_new(text, length < 0 ? strlen(text) : (gsize)length);
	*input = g_memory_input_stream_new_from_bytes(bytes);
	return ph_xml_stream_new(*input, "test.xml", limits);
}

/* Reads to the end; "S:name/depth", "E:name", "T:text" joined by spaces, or the error. */
static gchar *
trace(const gchar *text, gssize length, const PhXmlStreamLimits *limits)
{
	g_autoptr(GInputStream) input = NULL;
	g_autoptr(PhXmlStream) stream = stream_for(text, length, limits, &input);
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GError) error = NULL;
	for (;;) {
		PhXmlStreamNode node = ph_xml_stream_next(stream, &error);
		if (node == PH_XML_STREAM_ERROR) {
			g_assert_true(g_error_matches(error, PH_ERROR, PH_ERROR_INVALID_INPUT));
			return g_strdup_printf("ERROR %s", error->message);
		}
		if (node == PH_XML_STREAM_DONE)
			return g_strdup(g_strstrip(out->str));
		if (node == PH_XML_STREAM_START)
			g_string_append_printf(out, "S:%s/%u ", ph_xml_stream_get_name(stream),
			                       ph_xml_stream_get_depth(stream));
		else if (node == PH_XML_STREAM_END)
			g_string_append_printf(out, "E:%s ", ph_xml_stream_get_name(stream));
		else
			g_string_append_printf(out, "T:%s ", ph_xml_stream_get_text(stream));
	}
}

static void
test_nodes(void)
{
	/* Expected: document order; comments and whitespace between elements skipped; an empty
	 * element gives its START and END; CDATA is text; &amp; is the one character. */
	g_autofree gchar *seen = trace("<?xml version=\"1.0\"?><a xmlns=\"urn:x\"><!-- c -->\n"
	                               "  <b k=\"v\">x &amp; y</b><c/><d><![CDATA[<z>]]></d></a>",
	                               -1, NULL);
	g_assert_cmpstr(seen, ==, "S:a/0 S:b/1 T:x & y E:b S:c/1 E:c S:d/1 T:<z> E:d E:a");
}

static void
test_attributes_and_namespace(void)
{
	g_autoptr(GInputStream) input = NULL;
	g_autoptr(PhXmlStream) stream =
	        stream_for("<a xmlns=\"urn:x\" id=\"7\"/>", -1, NULL, &input);
	g_autoptr(GError) error = NULL;
	g_assert_cmpint(ph_xml_stream_next(stream, &error), ==, PH_XML_STREAM_START);
	g_assert_no_error(error);
	g_autofree gchar *id = ph_xml_stream_get_attribute(stream, "id");
	g_autofree gchar *missing = ph_xml_stream_get_attribute(stream, "nope");
	g_assert_cmpstr(id, ==, "7");
	g_assert_null(missing);
	g_assert_cmpstr(ph_xml_stream_get_namespace(stream), ==, "urn:x");
	g_assert_cmpstr(ph_xml_stream_get_encoding(stream), ==, "UTF-8");
}

/* 𠮷 (U+20BB7) is 95 34 B2 35 in GB18030; the reader gives UTF-8 F0 A0 AE B7. */
static void
test_gb18030(void)
{
	const gchar text[] = "<?xml version=\"1.0\" encoding=\"GB18030\"?><n>\x95\x34\xb2\x35</n>";
	g_autofree gchar *seen = trace(text, sizeof(text) - 1, NULL);
	g_assert_cmpstr(seen, ==, "S:n/0 T:\xf0\xa0\xae\xb7 E:n");
}

static void
test_refusals(void)
{
	const PhXmlStreamLimits small = {.max_bytes = 64, .max_depth = 3};
	const struct {
		const gchar *document;
		const PhXmlStreamLimits *limits;
		const gchar *reason; /* part of the error message */
	} cases[] = {
	        {"<a><b></a>", NULL, "line 1"}, /* not well-formed */
	        {"<a><b>", NULL, "line 1"},     /* truncated */
	        {"", NULL, "line 1"},           /* empty */
	        {"\x01\x02\x03garbage", NULL, "line 1"},
	        {"<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>", NULL, "DTD"},
	        {"<!DOCTYPE a SYSTEM \"file:///etc/passwd\"><a/>", NULL, "DTD"},
	        {"<a>&undefined;</a>", NULL, "line 1"},
	        {"<a><b><c><d/></c></b></a>", &small, "deeper than 3"},
	        {"<a>0123456789012345678901234567890123456789012345678901234567890123456789</a>",
	         &small, "limit of 64 bytes"},
	        {"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>", NULL,
	         "encoding ISO-8859-1 is not allowed"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *seen = trace(cases[i].document, -1, cases[i].limits);
		g_test_message("case %u: %s", i, seen);
		g_assert_true(g_str_has_prefix(seen, "ERROR test.xml"));
		g_assert_nonnull(strstr(seen, cases[i].reason));
	}
}

/* Content between two tags is held in memory until the next tag (libxml2 keeps text split by
 * comments, at about twice its size): more than 16 MiB of it is refused. A document as large
 * whose tags come often is read whole. */
static void
test_content_between_tags(void)
{
	const gsize piece = 1024 * 1024;
	g_autoptr(GString) split = g_string_new("<a><b>");
	g_autofree gchar *text = g_strnfill(piece, 'x');
	for (guint i = 0; i < 20; i++) {
		g_string_append_len(split, text, (gssize)piece);
		g_string_append(split, "<!--c-->");
	}
	g_string_append(split, "</b></a>");
	g_autofree gchar *seen = trace(split->str, (gssize)split->len, NULL);
	g_test_message("%.200s", seen);
	g_assert_true(g_str_has_prefix(seen, "ERROR test.xml"));
	g_assert_nonnull(strstr(seen, "more than 16777216 bytes between two tags"));

	g_autoptr(GString) tagged = g_string_new("<a>");
	g_autofree gchar *field = g_strnfill(1000, 'y');
	while (tagged->len < 20 * piece)
		g_string_append_printf(tagged, "<b>%s</b>", field);
	g_string_append(tagged, "</a>");
	g_autoptr(GInputStream) input = NULL;
	g_autoptr(PhXmlStream) stream = stream_for(tagged->str, (gssize)tagged->len, NULL, &input);
	g_autoptr(GError) error = NULL;
	PhXmlStreamNode node;
	while ((node = ph_xml_stream_next(stream, &error)) != PH_XML_STREAM_DONE)
		g_assert_cmpint(node, !=, PH_XML_STREAM_ERROR);
	g_assert_no_error(error);
}

static void
test_no_read_after_error(void)
{
	g_autoptr(GInputStream) input = NULL;
	g_autoptr(PhXmlStream) stream = stream_for("<a><b></a>", -1, NULL, &input);
	g_autoptr(GError) first = NULL;
	g_autoptr(GError) second = NULL;
	while (ph_xml_stream_next(stream, &first) != PH_XML_STREAM_ERROR)
		;
	g_assert_cmpint(ph_xml_stream_next(stream, &second), ==, PH_XML_STREAM_ERROR);
	g_assert_error(second, PH_ERROR, PH_ERROR_INVALID_INPUT);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/xml-stream/nodes", test_nodes);
	g_test_add_func("/xml-stream/attributes", test_attributes_and_namespace);
	g_test_add_func("/xml-stream/gb18030", test_gb18030);
	g_test_add_func("/xml-stream/refusals", test_refusals);
	g_test_add_func("/xml-stream/no-read-after-error", test_no_read_after_error);
	g_test_add_func("/xml-stream/content-between-tags", test_content_between_tags);
	return g_test_run();
}
