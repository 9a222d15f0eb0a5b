/* XML-DSig of the host (SDK ph-xml.h): a good signature verifies and names its signer;
 * tampering, other algorithms, other reference URIs, extra signatures, untrusted, expired
 * and not-yet-valid certificates are refused. Certificates come from
 * tests/unit/data/make-xmldsig-pki (OpenSSL CLI and xmlsec1) in a temporary folder. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "pension-hub.h"
#include "ph-unit-pki.h"

static gchar *pki; /* the temporary folder */

static const gchar document[] =
        "<TransferMessage xmlns=\"urn:pension-hub:transfer:1\"><Header><MsgId>M-1</MsgId>"
        "<SentAt>2026-11-27T10:00:00+08:00</SentAt></Header><Body><AIC102>12345.67</AIC102>"
        "</Body></TransferMessage>";

static gchar *
pki_file(const gchar *name)
{
	return g_build_filename(pki, name, NULL);
}

static GBytes *
sign_as(const gchar *name, const gchar *text)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *key = g_strdup_printf("%s/%s.key", pki, name);
	g_autofree gchar *certificate = g_strdup_printf("%s/%s.crt", pki, name);
	g_autoptr(PhXmlSigner) signer = ph_xml_signer_new(key, certificate, &error);
	g_assert_no_error(error);
	g_autoptr(GBytes) bytes = g_bytes_new(text, strlen(text));
	GBytes *signed_bytes = ph_xml_signer_sign(signer, bytes, &error);
	g_assert_no_error(error);
	return signed_bytes;
}

/* Verifies @bytes against ca.crt; returns the error (NULL when it verified). */
static GError *
verify(GBytes *bytes, gint64 signed_at, gchar **subject)
{
	GError *error = NULL;
	g_autofree gchar *ca = pki_file("ca.crt");
	g_autoptr(PhXmlVerifier) verifier = ph_xml_verifier_new(ca, &error);
	g_assert_no_error(error);
	g_autoptr(PhXmlDoc) doc = ph_xml_doc_parse(bytes, NULL, &error);
	g_assert_no_error(error);
	gboolean ok = ph_xml_verifier_verify(verifier, doc, signed_at, subject, &error);
	g_assert_true(ok == (error == NULL));
	return error;
}

static void
assert_refused(GBytes *bytes, const gchar *reason)
{
	g_autoptr(GError) error = verify(bytes, 0, NULL);
	g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
	if (strstr(error->message, reason) == NULL)
		g_error("expected '%s' in '%s'", reason, error->message);
}

static GBytes *
replace(GBytes *bytes, const gchar *from, const gchar *to)
{
	g_autofree gchar *text = g_strndup(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes));
	g_assert_nonnull(strstr(text, from));
	g_auto(GStrv) parts = g_strsplit(text, from, 2);
	gchar *joined = g_strjoin(to, parts[0], parts[1], NULL);
	return g_bytes_new_take(joined, strlen(joined));
}

static GBytes *
read_file(const gchar *name)
{
	g_autofree gchar *path = pki_file(name);
	gchar *text = NULL;
	gsize size = 0;
	g_assert_true(g_file_get_contents(path, &text, &size, NULL));
	return g_bytes_new_take(text, size);
}

static void
test_good(void)
{
	g_autofree gchar *subject = NULL;
	g_autoptr(GBytes) signed_bytes = sign_as("signer", document);
	g_autoptr(GError) error =
	        verify(signed_bytes, g_get_real_time() / G_USEC_PER_SEC, &subject);
	g_assert_no_error(error);
	/* As `openssl x509 -noout -subject -nameopt RFC2253 -in signer.crt` prints it. */
	g_autofree gchar *certificate = pki_file("signer.crt");
	const gchar *argv[] = {"openssl", "x509", "-noout",    "-subject", "-nameopt",
	                       "RFC2253", "-in",  certificate, NULL};
	g_autofree gchar *printed = NULL;
	g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &printed, NULL,
	             NULL, &error);
	g_assert_no_error(error);
	g_autofree gchar *expected = g_strdup_printf("subject=%s\n", subject);
	g_assert_cmpstr(printed, ==, expected);
	g_assert_nonnull(strstr(subject, "CN=signer"));
	g_autofree gchar *from_file = ph_xml_certificate_subject(certificate, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(from_file, ==, subject);
	/* The signature is what the profile says: one enveloped ds:Signature, last child. */
	const gchar *text = g_bytes_get_data(signed_bytes, NULL);
	g_assert_nonnull(strstr(text, "<ds:Reference URI=\"\">"));
	g_assert_nonnull(strstr(text, "</ds:Signature></TransferMessage>"));

	/* xmlsec1's own signer, with the profile's algorithms, verifies too. */
	g_autoptr(GBytes) by_xmlsec1 = read_file("good-xmlsec1.xml");
	g_autoptr(GError) other = verify(by_xmlsec1, 0, NULL);
	g_assert_no_error(other);
}

static void
test_tampered(void)
{
	g_autoptr(GBytes) signed_bytes = sign_as("signer", document);
	g_autoptr(GBytes) amount = replace(signed_bytes, "12345.67", "92345.67");
	assert_refused(amount, "does not verify");
	g_autoptr(GBytes) message_id = replace(signed_bytes, "M-1", "M-2");
	assert_refused(message_id, "does not verify");
	g_autoptr(GBytes) value =
	        replace(signed_bytes, "<ds:SignatureValue>", "<ds:SignatureValue>AAAA");
	assert_refused(value, "does not verify");
}

static void
test_shape(void)
{
	g_autoptr(GBytes) signed_bytes = sign_as("signer", document);
	g_autoptr(GBytes) unsigned_bytes = g_bytes_new_static(document, strlen(document));
	assert_refused(unsigned_bytes, "0 ds:Signature");
	g_autoptr(GBytes) uri = replace(signed_bytes, "URI=\"\"", "URI=\"#M-1\"");
	assert_refused(uri, "Reference URI");
	/* A second Reference, or a second signature inside the body (wrapping). */
	g_autofree gchar *text =
	        g_strndup(g_bytes_get_data(signed_bytes, NULL), g_bytes_get_size(signed_bytes));
	const gchar *start = strstr(text, "<ds:Signature");
	const gchar *end = strstr(text, "</ds:Signature>") + strlen("</ds:Signature>");
	g_autofree gchar *signature = g_strndup(start, end - start);
	g_autofree gchar *wrapped_to = g_strdup_printf("<Body>%s", signature);
	g_autoptr(GBytes) wrapped = replace(signed_bytes, "<Body>", wrapped_to);
	assert_refused(wrapped, "2 ds:Signature");
	const gchar *ref_start = strstr(signature, "<ds:Reference");
	const gchar *ref_end = strstr(signature, "</ds:Reference>") + strlen("</ds:Reference>");
	g_autofree gchar *reference = g_strndup(ref_start, ref_end - ref_start);
	g_autofree gchar *two = g_strdup_printf("%s%s", reference, reference);
	g_autoptr(GBytes) two_references = replace(signed_bytes, reference, two);
	assert_refused(two_references, "one Reference");

	/* Validly signed by xmlsec1, but with algorithms outside the profile. */
	g_autoptr(GBytes) inclusive = read_file("inclusive-xmlsec1.xml");
	assert_refused(inclusive, "exclusive C14N");
	g_autoptr(GBytes) sha1 = read_file("sha1-xmlsec1.xml");
	assert_refused(sha1, "RSA-SHA256");
}

static void
test_certificates(void)
{
	g_autoptr(GBytes) stranger = sign_as("stranger", document);
	assert_refused(stranger, "not trusted now");
	g_autoptr(GBytes) expired = sign_as("expired", document);
	assert_refused(expired, "certificate has expired");
	/* Valid now, but not yet valid at a SentAt of 2020. */
	g_autoptr(GBytes) good = sign_as("signer", document);
	g_autoptr(GError) error = verify(good, 1577836800, NULL);
	g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
	g_assert_nonnull(strstr(error->message, "at the signing time"));
}



int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	pki = ph_unit_pki_make();
	g_test_add_func("/xmldsig/good", test_good);
	g_test_add_func("/xmldsig/tampered", test_tampered);
	g_test_add_func("/xmldsig/shape", test_shape);
	g_test_add_func("/xmldsig/certificates", test_certificates);
	int result = g_test_run();
	ph_unit_pki_remove(pki);
	return result;
}
