/* Hardened XML parsing, getters and XSD validation of the host (SDK ph-xml.h): XXE,
 * billion laughs, DTDs, size and depth limits refused; the transfer profile's schema. */
#include <glib.h>
#include <string.h>

#include "pension-hub.h"
#include "ph-xml-private.h"

/* The complete LETTER of ../shared/formats/transfer.md. */
static const gchar letter[] =
        "<TransferMessage xmlns=\"urn:pension-hub:transfer:1\">\n"
        "  <Header>\n"
        "    <MsgId>LTR-330100-20261127-000001</MsgId>\n"
        "    <MsgType>LETTER</MsgType>\n"
        "    <CaseId>XF-330100-20261127-000001</CaseId>\n"
        "    <Sender>330100000001</Sender><SenderRegion>330100</SenderRegion>\n"
        "    <Receiver>110100000001</Receiver><ReceiverRegion>110100</ReceiverRegion>\n"
        "    <SentAt>2026-11-27T10:00:00+08:00</SentAt>\n"
        "  </Header>\n"
        "  <Body>\n"
        "    <Person>\n"
        "      <AAC002>110105196410150037</AAC002><AAC003>张三</AAC003>\n"
        "      <AAC004>1</AAC004><AAC006>19641015</AAC006>\n"
        "    </Person>\n"
        "    <AAE140>120</AAE140>\n"
        "    <EAC071>2</EAC071>\n"
        "    <OAA027>330100</OAA027>\n"
        "    <AAC077>杭州市社会保险经办机构</AAC077>\n"
        "  </Body>\n"
        "</TransferMessage>\n";

static PhXmlDoc *
parse_text(const gchar *text, const PhXmlLimits *limits, GError **error)
{
	g_autoptr(GBytes) bytes = g_bytes_new(text, strlen(text));
	return ph_xml_doc_parse(bytes, limits, error);
}

typedef struct {
	const gchar *name;
	const gchar *text;
	const gchar *reason; /* expected in the error message */
} Refused;

/* Each would read a file, expand entities or load a DTD if the parser allowed DTDs. */
static const Refused refused[] = {
        {"xxe-file",
         "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM "
         "\"file:///etc/passwd\">]><r>&x;</r>",
         "DTD"},
        {"xxe-parameter",
         "<!DOCTYPE r [<!ENTITY % p SYSTEM \"http://127.0.0.1:9/x.dtd\"> %p;]><r/>", "DTD"},
        {"billion-laughs",
         "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;\">"
         "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">"
         "<!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">]><lolz>&lol4;</lolz>",
         "DTD"},
        {"external-dtd", "<!DOCTYPE r SYSTEM \"file:///etc/passwd\"><r/>", "DTD"},
        {"bare-doctype", "<!DOCTYPE r><r/>", "DTD"},
        {"undeclared-entity", "<r>&x;</r>", "xml line"},
        {"not-well-formed", "<r><a></r>", "xml line"},
        {"empty", "", "xml line"},
};

static void
test_refused(gconstpointer data)
{
	const Refused *item = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(PhXmlDoc) doc = parse_text(item->text, NULL, &error);
	g_assert_null(doc);
	g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
	g_assert_nonnull(strstr(error->message, item->reason));
}

static void
test_limits(void)
{
	g_autoptr(GError) error = NULL;
	PhXmlLimits small = {64, 3};
	g_autoptr(GString) big = g_string_new("<r>");
	while (big->len < 100)
		g_string_append(big, "<a/>");
	g_string_append(big, "</r>");
	g_autoptr(PhXmlDoc) too_big = parse_text(big->str, &small, &error);
	g_assert_null(too_big);
	g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
	g_assert_nonnull(strstr(error->message, "over the limit of 64"));
	g_clear_error(&error);

	/* Depth 3 is allowed, 4 is not (the root counts as level 1). */
	g_autoptr(PhXmlDoc) three = parse_text("<a><b><c/></b></a>", &small, &error);
	g_assert_no_error(error);
	g_assert_nonnull(three);
	g_autoptr(PhXmlDoc) four = parse_text("<a><b><c><d/></c></b></a>", &small, &error);
	g_assert_null(four);
	g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
	g_assert_nonnull(strstr(error->message, "deeper than 3"));
	g_clear_error(&error);

	/* The default depth (32) refuses a deep document that libxml2's own 256 would take. */
	g_autoptr(GString) deep = g_string_new(NULL);
	for (guint i = 0; i < 40; i++)
		g_string_append(deep, "<a>");
	for (guint i = 0; i < 40; i++)
		g_string_append(deep, "</a>");
	g_autoptr(PhXmlDoc) too_deep = parse_text(deep->str, NULL, &error);
	g_assert_null(too_deep);
	g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
}

static void
test_getters(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhXmlDoc) doc = parse_text(
	        "<m xmlns=\"urn:x\"><H><Id> 7 </Id></H><B><Base period=\"201501\">1.00</Base>"
	        "<Base period=\"201502\">2.50</Base><Base>3.00</Base></B>"
	        "<o:Id xmlns:o=\"urn:other\">no</o:Id></m>",
	        NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(ph_xml_doc_get_root_name(doc), ==, "m");
	g_assert_cmpstr(ph_xml_doc_get_root_namespace(doc), ==, "urn:x");
	g_autofree gchar *id = ph_xml_doc_get_text(doc, "H/Id");
	g_assert_cmpstr(id, ==, "7");
	g_autofree gchar *missing = ph_xml_doc_get_text(doc, "H/None");
	g_assert_null(missing);
	/* An element of another namespace does not match a step. */
	g_assert_cmpuint(ph_xml_doc_count(doc, "Id"), ==, 0);
	g_assert_cmpuint(ph_xml_doc_count(doc, "B/Base"), ==, 3);
	g_auto(GStrv) texts = ph_xml_doc_get_texts(doc, "B/Base");
	g_auto(GStrv) periods = ph_xml_doc_get_attributes(doc, "B/Base", "period");
	const gchar *expected_texts[] = {"1.00", "2.50", "3.00", NULL};
	const gchar *expected_periods[] = {"201501", "201502", "", NULL};
	g_assert_cmpstrv(texts, expected_texts);
	g_assert_cmpstrv(periods, expected_periods);
}

static PhXmlSchema *
transfer_schema(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = g_build_filename(g_getenv("PH_SOURCE_DIR"), "mappings", "schema",
	                                          "transfer-1.xsd", NULL);
	PhXmlSchema *schema = ph_xml_schema_get_file(path, &error);
	g_assert_no_error(error);
	return schema;
}

static void
test_schema(void)
{
	g_autoptr(GError) error = NULL;
	PhXmlSchema *schema = transfer_schema();
	g_assert_true(schema == transfer_schema()); /* loaded once */
	g_autoptr(PhXmlDoc) doc = parse_text(letter, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(ph_xml_schema_validate(schema, doc, &error));
	g_assert_no_error(error);

	/* The example without its AAC077: the LETTER body is incomplete. */
	g_autoptr(GString) broken = g_string_new(letter);
	const gchar *start = strstr(broken->str, "    <AAC077>");
	const gchar *end = strstr(start, "</AAC077>\n") + strlen("</AAC077>\n");
	g_string_erase(broken, start - broken->str, end - start);
	g_autoptr(PhXmlDoc) bad = parse_text(broken->str, NULL, &error);
	g_assert_no_error(error);
	g_assert_false(ph_xml_schema_validate(schema, bad, &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
	g_assert_nonnull(strstr(error->message, "line"));
	g_clear_error(&error);

	/* An amount with three decimals is not D16.2. */
	g_autoptr(PhXmlDoc) fund = parse_text(
	        "<TransferMessage xmlns=\"urn:pension-hub:transfer:1\"><Header><MsgId>F</MsgId>"
	        "<MsgType>FUND</MsgType><CaseId>C</CaseId><Sender>1</Sender><SenderRegion>330100"
	        "</SenderRegion><Receiver>2</Receiver><ReceiverRegion>110100</ReceiverRegion>"
	        "<SentAt>2026-11-27T10:00:00Z</SentAt></Header><Body><AIC102>1.005</AIC102>"
	        "<AIC099>1.00</AIC099><AIC103>0.00</AIC103><AnnuityAmount>0.00</AnnuityAmount>"
	        "<BankReference>B</BankReference><ValueDate>20261127</ValueDate></Body>"
	        "</TransferMessage>",
	        NULL, &error);
	g_assert_no_error(error);
	g_assert_false(ph_xml_schema_validate(schema, fund, &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (guint i = 0; i < G_N_ELEMENTS(refused); i++) {
		g_autofree gchar *path = g_strdup_printf("/xml/refused/%s", refused[i].name);
		g_test_add_data_func(path, &refused[i], test_refused);
	}
	g_test_add_func("/xml/limits", test_limits);
	g_test_add_func("/xml/getters", test_getters);
	g_test_add_func("/xml/schema", test_schema);
	return g_test_run();
}
