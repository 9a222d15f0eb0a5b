/* The transfer adapter's pure parts: exact yuan ↔ fen (D16.2, transfer.md "Amounts in
 * messages are yuan D16.2; the hub converts exactly to fen"), step deadlines in working
 * days, ID numbers masked in outside texts, and our signed document made ready to be signed
 * again with SentAt now. Built with the plugin's own sources. */
#include "../transfer-private.h"

typedef struct {
	const gchar *text;
	gboolean ok;
	gint64 fen;
} Yuan;

static void
test_yuan(void)
{
	/* Valid D16.2 values convert digit for digit; anything else is refused. */
	const Yuan cases[] = {
	        {"0.00", TRUE, 0},
	        {"0.01", TRUE, 1},
	        {"12345.67", TRUE, 1234567},
	        {"17280.00", TRUE, 1728000},
	        {"99999999999999.99", TRUE, G_GINT64_CONSTANT(9999999999999999)},
	        {"100000000000000.00", FALSE, 0}, /* 15 integer digits */
	        {"1.5", FALSE, 0},
	        {"1.005", FALSE, 0},
	        {"01.00", FALSE, 0},
	        {"-1.00", FALSE, 0},
	        {"+1.00", FALSE, 0},
	        {"1,00", FALSE, 0},
	        {".50", FALSE, 0},
	        {"1.0a", FALSE, 0},
	        {"", FALSE, 0},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		gint64 fen = -1;
		gboolean ok = transfer_yuan_to_fen("AIC099", cases[i].text, &fen, &error);
		g_assert_cmpint(ok, ==, cases[i].ok);
		if (!ok) {
			g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
			continue;
		}
		g_assert_cmpint(fen, ==, cases[i].fen);
		g_autofree gchar *back = transfer_fen_to_yuan(fen);
		g_assert_cmpstr(back, ==, cases[i].text);
	}
	g_autofree gchar *negative = transfer_fen_to_yuan(-5);
	g_assert_cmpstr(negative, ==, "-0.05");
}

static void
test_mask(void)
{
	/* Runs of 15 or 18 digits (or X), an ID number's lengths, keep their first six and last
	 * four characters (ph_mask_id_number); other runs of 15 or more, an account's (16, 17,
	 * 19 digits), only their last four (ph_mask_account), as docs/security.md "Logs" masks
	 * each; shorter runs stay as they are. */
	const gchar *const cases[][2] = {
	        {"account 6222020200112233445 refused", "account ***************3445 refused"},
	        {"card 6222020200112233", "card ************2233"},
	        {"The value ' 110105198001010016' is not accepted",
	         "The value ' 110105********0016' is not accepted"},
	        {"id 11010519800101001x, old 110105800101001", "id 110105********001x, old "
	                                                       "110105*****1001"},
	        {"Receiver 999900000001 at 2026-11-27T10:00:00Z", "Receiver 999900000001 at "
	                                                          "2026-11-27T10:00:00Z"},
	        {"12345678901234.00", "12345678901234.00"},
	        {"", ""},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *masked = transfer_doc_mask_numbers(cases[i][0]);
		g_assert_cmpstr(masked, ==, cases[i][1]);
	}
}

/* An ID number the cut falls in is masked whole first: no run of its digits is left to read
 * (cut first, its first fourteen would have stayed). Bytes that are not UTF-8 are replaced. */
static void
test_masked_excerpt(void)
{
	g_autofree gchar *padding = g_strnfill(20, '.');
	g_autofree gchar *text = g_strconcat(padding, "110105198001010016 rest\xff", NULL);
	g_autofree gchar *cut = transfer_doc_masked_excerpt(text, strlen(text), 34);
	g_assert_cmpstr(cut, ==, "....................110105********");
	g_autofree gchar *whole = transfer_doc_masked_excerpt(text, strlen(text), 100);
	g_assert_cmpstr(whole, ==, "....................110105********0016 rest\xef\xbf\xbd");
	g_autofree gchar *empty = transfer_doc_masked_excerpt(NULL, 0, 10);
	g_assert_cmpstr(empty, ==, "");
}

static gint64
at(gint year, gint month, gint day, gint hour)
{
	g_autoptr(GDateTime) time = g_date_time_new_utc(year, month, day, hour, 0, 0);
	return g_date_time_to_unix(time);
}

static void
test_deadline(void)
{
	/* 2026-11-27 is a Friday (China Standard Time at 10:00 UTC: 18:00 Friday). */
	g_assert_cmpint(transfer_days_deadline(at(2026, 11, 27, 10), 1), ==, at(2026, 11, 30, 10));
	/* 15 working days from Friday 2026-11-27: three weeks later, Friday 2026-12-18. */
	g_assert_cmpint(transfer_days_deadline(at(2026, 11, 27, 10), 15), ==, at(2026, 12, 18, 10));
	/* From a Saturday, 5 working days end on the next Friday. */
	g_assert_cmpint(transfer_days_deadline(at(2026, 11, 28, 2), 5), ==, at(2026, 12, 4, 2));
	/* Counted in UTC+8: Sunday 20:00 UTC is already Monday 04:00 in Beijing. */
	g_assert_cmpint(transfer_days_deadline(at(2026, 11, 29, 20), 1), ==, at(2026, 11, 30, 20));
	g_assert_cmpint(transfer_days_deadline(at(2026, 11, 27, 10), 0), ==, at(2026, 11, 27, 10));
}

/* A document as the signer leaves it: its ds:Signature (children whose names start the
 * same) as the root's last child, after an XML declaration. */
static GBytes *
fake_signed(GBytes *document)
{
	g_autofree gchar *text =
	        g_strndup(g_bytes_get_data(document, NULL), g_bytes_get_size(document));
	gchar *end = g_strrstr(text, "</TransferMessage>");
	*end = '\0';
	gchar *signed_text = g_strconcat(
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", text,
	        "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo>"
	        "<ds:SignatureMethod Algorithm=\"x\"/></ds:SignedInfo><ds:SignatureValue>c2ln"
	        "</ds:SignatureValue></ds:Signature></TransferMessage>\n",
	        NULL);
	return g_bytes_new_take(signed_text, strlen(signed_text));
}

/* The same header and body with only SentAt new, and no signature: our unsigned document as
 * transfer_doc_build() made it, with the new SentAt. */
static void
test_renew(void)
{
	TransferHeader header = {"LTR-110100-20261127-1",
	                         "LETTER",
	                         "XF-1",
	                         "110100000001",
	                         "110100",
	                         "330100000001",
	                         "330100",
	                         "2026-11-27T10:00:00Z"};
	const gchar *body = "    <Person><AAC002>110105198001010016</AAC002></Person>\n"
	                    "    <EAC071>2</EAC071><AAC077>a &lt; b</AAC077>\n";
	g_autoptr(GBytes) document = transfer_doc_build(&header, body);
	g_autoptr(GBytes) signed_document = fake_signed(document);
	g_autoptr(GError) error = NULL;
	g_auto(TransferHeader) was = {0};
	g_autoptr(GBytes) renewed = transfer_doc_renew(signed_document, &was, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(was.msg_id, ==, header.msg_id);
	g_assert_cmpstr(was.sent_at_text, ==, "2026-11-27T10:00:00Z");

	g_autoptr(PhXmlDoc) doc = ph_xml_doc_parse(renewed, NULL, &error);
	g_assert_no_error(error);
	g_auto(TransferHeader) now = {0};
	g_assert_true(transfer_header_read(doc, &now, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(now.sent_at_text, !=, was.sent_at_text);
	gint64 age = g_get_real_time() / G_USEC_PER_SEC - now.sent_at;
	g_assert_cmpint(age, >=, 0);
	g_assert_cmpint(age, <=, 60);
	header.sent_at_text = now.sent_at_text;
	g_autoptr(GBytes) expected = transfer_doc_build(&header, body);
	g_autofree gchar *expected_text =
	        g_strconcat("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
	                    (const gchar *)g_bytes_get_data(expected, NULL), NULL);
	g_autofree gchar *renewed_text =
	        g_strndup(g_bytes_get_data(renewed, NULL), g_bytes_get_size(renewed));
	g_assert_cmpstr(renewed_text, ==, expected_text);

	/* a document without our signature is not one to sign again */
	g_auto(TransferHeader) unsigned_header = {0};
	g_autoptr(GBytes) refused = transfer_doc_renew(document, &unsigned_header, &error);
	g_assert_null(refused);
	g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
	g_assert_cmpstr(error->message, ==,
	                "message LTR-110100-20261127-1: not a document signed here");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/transfer/yuan", test_yuan);
	g_test_add_func("/transfer/deadline", test_deadline);
	g_test_add_func("/transfer/mask", test_mask);
	g_test_add_func("/transfer/masked-excerpt", test_masked_excerpt);
	g_test_add_func("/transfer/renew", test_renew);
	return g_test_run();
}
