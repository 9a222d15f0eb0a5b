/* XML digital signatures for plugins (the SDK's <pension-hub/ph-xml.h>): enveloped,
 * exclusive C14N, RSA-SHA256, the certificate in KeyInfo/X509Data. The one place that uses
 * xmlsec; certificate chains are checked with OpenSSL against the configured CAs. Host code. */
#include <xmlsec/xmlsec.h>

#include <openssl/pem.h>
#include <string.h>
#include <xmlsec/errors.h>
#include <xmlsec/openssl/app.h>
#include <xmlsec/openssl/crypto.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmltree.h>

#include "ph-xml-autocleanup.h"
#include "ph-xml-private.h"

#define PH_DSIG_NS         "http://www.w3.org/2000/09/xmldsig#"
#define PH_DSIG_EXC_C14N   "http://www.w3.org/2001/10/xml-exc-c14n#"
#define PH_DSIG_ENVELOPED  "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
#define PH_DSIG_RSA_SHA256 "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define PH_DSIG_SHA256     "http://www.w3.org/2001/04/xmlenc#sha256"

struct _PhXmlSigner {
	xmlSecKeyPtr key; /* private key with its certificate */
};

/* A signer certificate already chained to the CAs (times aside), kept so that the next
 * message signed with it skips decoding and chain building: OpenSSL 3's key decoding alone
 * costs more than the RSA verification. Read-only once made. */
typedef struct {
	X509 *leaf;
	STACK_OF(X509) * chain; /* leaf first, up to the trusted CA */
	gchar *subject;         /* RFC 2253 */
} PhXmlTrusted;

#define PH_XMLDSIG_CACHE_LIMIT 1024

struct _PhXmlVerifier {
	X509_STORE *store;
	GMutex lock;
	GHashTable *trusted; /* DER (GBytes) → PhXmlTrusted */
};

/* xmlsec reports every failed check on stderr by default; the caller's GError says it. */
static void
ph_xmldsig_quiet(const char *file, int line, const char *func, const char *object,
                 const char *subject, int reason, const char *message)
{
	g_debug("xmlsec %s: %s (%s)", func != NULL ? func : "?", message != NULL ? message : "",
	        subject != NULL ? subject : "");
}

static gboolean
ph_xmldsig_init(GError **error)
{
	static gsize done = 0;
	static gboolean ok = FALSE;
	if (g_once_init_enter(&done)) {
		ph_xml_init();
		ok = xmlSecInit() >= 0 && xmlSecCheckVersion() == 1 &&
		     xmlSecOpenSSLAppInit(NULL) >= 0 && xmlSecOpenSSLInit() >= 0;
		xmlSecErrorsSetCallback(ph_xmldsig_quiet);
		g_once_init_leave(&done, 1);
	}
	if (!ok)
		g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "xmlsec: cannot initialise");
	return ok;
}

PhXmlSigner *
ph_xml_signer_new(const gchar *key_path, const gchar *certificate_path, GError **error)
{
	g_return_val_if_fail(key_path != NULL && certificate_path != NULL, NULL);
	if (!ph_xmldsig_init(error))
		return NULL;
	g_autoptr(xmlSecKey) key =
	        xmlSecOpenSSLAppKeyLoad(key_path, xmlSecKeyDataFormatPem, NULL, NULL, NULL);
	if (key == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "signing key %s: cannot be loaded",
		            key_path);
		return NULL;
	}
	if (xmlSecOpenSSLAppKeyCertLoad(key, certificate_path, xmlSecKeyDataFormatPem) < 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
		            "signing certificate %s: cannot be loaded", certificate_path);
		return NULL;
	}
	PhXmlSigner *signer = g_new0(PhXmlSigner, 1);
	signer->key = g_steal_pointer(&key);
	return signer;
}

void
ph_xml_signer_free(PhXmlSigner *signer)
{
	if (signer == NULL)
		return;
	xmlSecKeyDestroy(signer->key);
	g_free(signer);
}

static xmlNodePtr
ph_xmldsig_add_template(xmlDocPtr doc)
{
	xmlNodePtr signature = xmlSecTmplSignatureCreateNsPref(doc, xmlSecTransformExclC14NId,
	                                                       xmlSecOpenSSLTransformRsaSha256Id,
	                                                       NULL, (const xmlChar *)"ds");
	if (signature == NULL)
		return NULL;
	xmlAddChild(xmlDocGetRootElement(doc), signature);
	xmlNodePtr reference = xmlSecTmplSignatureAddReference(
	        signature, xmlSecOpenSSLTransformSha256Id, NULL, (const xmlChar *)"", NULL);
	if (reference == NULL ||
	    xmlSecTmplReferenceAddTransform(reference, xmlSecTransformEnvelopedId) == NULL ||
	    xmlSecTmplReferenceAddTransform(reference, xmlSecTransformExclC14NId) == NULL)
		return NULL;
	xmlNodePtr key_info = xmlSecTmplSignatureEnsureKeyInfo(signature, NULL);
	xmlNodePtr x509_data = key_info != NULL ? xmlSecTmplKeyInfoAddX509Data(key_info) : NULL;
	if (x509_data == NULL || xmlSecTmplX509DataAddCertificate(x509_data) == NULL)
		return NULL;
	return signature;
}

GBytes *
ph_xml_signer_sign(PhXmlSigner *signer, GBytes *document, GError **error)
{
	g_return_val_if_fail(signer != NULL && document != NULL, NULL);
	PhXmlLimits limits = {G_MAXINT, 0};
	g_autoptr(PhXmlDoc) doc = ph_xml_doc_parse(document, &limits, error);
	if (doc == NULL) {
		g_prefix_error(error, "document to sign: ");
		return NULL;
	}
	xmlNodePtr signature = ph_xmldsig_add_template(doc->doc);
	g_autoptr(xmlSecDSigCtx) context = xmlSecDSigCtxCreate(NULL);
	if (signature == NULL || context == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "xmlsec: cannot make a signature");
		return NULL;
	}
	context->signKey = xmlSecKeyDuplicate(signer->key);
	if (context->signKey == NULL || xmlSecDSigCtxSign(context, signature) < 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "xmlsec: signing failed");
		return NULL;
	}
	xmlChar *text = NULL;
	int size = 0;
	xmlDocDumpMemoryEnc(doc->doc, &text, &size, "UTF-8");
	GBytes *signed_bytes = g_bytes_new(text, (gsize)size);
	xmlFree(text);
	return signed_bytes;
}

/* ---- verification ---- */

static gchar *ph_xmldsig_subject(X509 *certificate);

static void
ph_xmldsig_trusted_free(PhXmlTrusted *trusted)
{
	X509_free(trusted->leaf);
	sk_X509_pop_free(trusted->chain, X509_free);
	g_free(trusted->subject);
	g_free(trusted);
}

PhXmlVerifier *
ph_xml_verifier_new(const gchar *ca_path, GError **error)
{
	g_return_val_if_fail(ca_path != NULL, NULL);
	if (!ph_xmldsig_init(error))
		return NULL;
	X509_STORE *store = X509_STORE_new();
	if (store == NULL || X509_STORE_load_file(store, ca_path) != 1) {
		X509_STORE_free(store);
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "CA file %s: cannot be loaded",
		            ca_path);
		return NULL;
	}
	PhXmlVerifier *verifier = g_new0(PhXmlVerifier, 1);
	verifier->store = store;
	g_mutex_init(&verifier->lock);
	verifier->trusted =
	        g_hash_table_new_full(g_bytes_hash, g_bytes_equal, (GDestroyNotify)g_bytes_unref,
	                              (GDestroyNotify)ph_xmldsig_trusted_free);
	return verifier;
}

void
ph_xml_verifier_free(PhXmlVerifier *verifier)
{
	if (verifier == NULL)
		return;
	X509_STORE_free(verifier->store);
	g_hash_table_unref(verifier->trusted);
	g_mutex_clear(&verifier->lock);
	g_free(verifier);
}

static gboolean
ph_xmldsig_is(xmlNodePtr node, const gchar *name)
{
	return node != NULL && node->type == XML_ELEMENT_NODE && node->ns != NULL &&
	       xmlStrEqual(node->ns->href, (const xmlChar *)PH_DSIG_NS) &&
	       xmlStrEqual(node->name, (const xmlChar *)name);
}

static void
ph_xmldsig_find_signatures(xmlNodePtr node, GPtrArray *found)
{
	for (xmlNodePtr child = node->children; child != NULL; child = child->next) {
		if (child->type != XML_ELEMENT_NODE)
			continue;
		if (ph_xmldsig_is(child, "Signature"))
			g_ptr_array_add(found, child);
		ph_xmldsig_find_signatures(child, found);
	}
}

/* The element children of @node (text between them must be whitespace only). */
static GPtrArray *
ph_xmldsig_children(xmlNodePtr node)
{
	GPtrArray *children = g_ptr_array_new();
	for (xmlNodePtr child = node->children; child != NULL; child = child->next) {
		if (child->type == XML_ELEMENT_NODE)
			g_ptr_array_add(children, child);
	}
	return children;
}

static gboolean
ph_xmldsig_has_algorithm(xmlNodePtr node, const gchar *name, const gchar *algorithm)
{
	if (!ph_xmldsig_is(node, name))
		return FALSE;
	xmlChar *value = xmlGetNoNsProp(node, (const xmlChar *)"Algorithm");
	gboolean same = value != NULL && xmlStrEqual(value, (const xmlChar *)algorithm);
	xmlFree(value);
	return same && node->children == NULL;
}

static gboolean
ph_xmldsig_check_reference(xmlNodePtr reference)
{
	xmlChar *uri = xmlGetNoNsProp(reference, (const xmlChar *)"URI");
	gboolean empty_uri = uri != NULL && uri[0] == '\0';
	xmlFree(uri);
	g_autoptr(GPtrArray) parts = ph_xmldsig_children(reference);
	if (!empty_uri || parts->len != 3 || !ph_xmldsig_is(parts->pdata[0], "Transforms") ||
	    !ph_xmldsig_has_algorithm(parts->pdata[1], "DigestMethod", PH_DSIG_SHA256) ||
	    !ph_xmldsig_is(parts->pdata[2], "DigestValue"))
		return FALSE;
	g_autoptr(GPtrArray) transforms = ph_xmldsig_children(parts->pdata[0]);
	return transforms->len == 2 &&
	       ph_xmldsig_has_algorithm(transforms->pdata[0], "Transform", PH_DSIG_ENVELOPED) &&
	       ph_xmldsig_has_algorithm(transforms->pdata[1], "Transform", PH_DSIG_EXC_C14N);
}

/* The profile's shape, checked before xmlsec runs; returns the X509Certificate element. */
static xmlNodePtr
ph_xmldsig_check_shape(xmlNodePtr signature, GError **error)
{
	g_autoptr(GPtrArray) parts = ph_xmldsig_children(signature);
	if (parts->len != 3 || !ph_xmldsig_is(parts->pdata[0], "SignedInfo") ||
	    !ph_xmldsig_is(parts->pdata[1], "SignatureValue") ||
	    !ph_xmldsig_is(parts->pdata[2], "KeyInfo")) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "signature: expected SignedInfo, SignatureValue and KeyInfo only");
		return NULL;
	}
	g_autoptr(GPtrArray) info = ph_xmldsig_children(parts->pdata[0]);
	if (info->len != 3 ||
	    !ph_xmldsig_has_algorithm(info->pdata[0], "CanonicalizationMethod", PH_DSIG_EXC_C14N) ||
	    !ph_xmldsig_has_algorithm(info->pdata[1], "SignatureMethod", PH_DSIG_RSA_SHA256) ||
	    !ph_xmldsig_is(info->pdata[2], "Reference") ||
	    !ph_xmldsig_check_reference(info->pdata[2])) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "signature: SignedInfo must be exclusive C14N, RSA-SHA256 and one "
		            "Reference URI=\"\" with the enveloped and exclusive C14N transforms "
		            "and a SHA-256 digest");
		return NULL;
	}
	g_autoptr(GPtrArray) key_info = ph_xmldsig_children(parts->pdata[2]);
	g_autoptr(GPtrArray) x509_data =
	        key_info->len == 1 && ph_xmldsig_is(key_info->pdata[0], "X509Data")
	                ? ph_xmldsig_children(key_info->pdata[0])
	                : g_ptr_array_new();
	if (x509_data->len != 1 || !ph_xmldsig_is(x509_data->pdata[0], "X509Certificate")) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "signature: KeyInfo must hold one X509Data with one X509Certificate");
		return NULL;
	}
	return x509_data->pdata[0];
}

static GBytes *
ph_xmldsig_read_der(xmlNodePtr node, GError **error)
{
	xmlChar *content = xmlNodeGetContent(node);
	gsize size = 0;
	guchar *der = g_base64_decode(content != NULL ? (const gchar *)content : "", &size);
	xmlFree(content);
	if (size == 0) {
		g_free(der);
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "signature: the X509Certificate cannot be read");
		return NULL;
	}
	return g_bytes_new_take(der, size);
}

/* Decodes @der and chains it to the trusted CAs, ignoring validity times (checked per
 * message by ph_xmldsig_check_times). */
static PhXmlTrusted *
ph_xmldsig_chain(PhXmlVerifier *verifier, GBytes *der, GError **error)
{
	gsize size = 0;
	const unsigned char *cursor = g_bytes_get_data(der, &size);
	g_autoptr(X509) leaf = d2i_X509(NULL, &cursor, (long)size);
	if (leaf == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "signature: the X509Certificate cannot be read");
		return NULL;
	}
	g_autoptr(X509_STORE_CTX) context = X509_STORE_CTX_new();
	if (context == NULL || X509_STORE_CTX_init(context, verifier->store, leaf, NULL) != 1) {
		g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "openssl: cannot check a chain");
		return NULL;
	}
	X509_STORE_CTX_set_flags(context, X509_V_FLAG_NO_CHECK_TIME);
	if (X509_verify_cert(context) != 1) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "signature: signer certificate not trusted now: %s",
		            X509_verify_cert_error_string(X509_STORE_CTX_get_error(context)));
		return NULL;
	}
	PhXmlTrusted *trusted = g_new0(PhXmlTrusted, 1);
	trusted->chain = X509_STORE_CTX_get1_chain(context);
	trusted->subject = ph_xmldsig_subject(leaf);
	trusted->leaf = g_steal_pointer(&leaf);
	return trusted;
}

/* The chained certificate for @der, from the cache or made (and cached). */
static PhXmlTrusted *
ph_xmldsig_lookup(PhXmlVerifier *verifier, GBytes *der, gboolean *owned, GError **error)
{
	g_mutex_lock(&verifier->lock);
	PhXmlTrusted *trusted = g_hash_table_lookup(verifier->trusted, der);
	g_mutex_unlock(&verifier->lock);
	*owned = FALSE;
	if (trusted != NULL)
		return trusted;
	trusted = ph_xmldsig_chain(verifier, der, error);
	if (trusted == NULL)
		return NULL;
	g_mutex_lock(&verifier->lock);
	PhXmlTrusted *raced = g_hash_table_lookup(verifier->trusted, der);
	if (raced == NULL && g_hash_table_size(verifier->trusted) < PH_XMLDSIG_CACHE_LIMIT)
		g_hash_table_insert(verifier->trusted, g_bytes_ref(der), trusted);
	else
		*owned = TRUE; /* the caller frees it */
	g_mutex_unlock(&verifier->lock);
	return trusted;
}

/* Every certificate of the chain valid at @when (unix seconds). */
static gboolean
ph_xmldsig_check_times(const PhXmlTrusted *trusted, gint64 when, const gchar *moment,
                       GError **error)
{
	time_t at = (time_t)when;
	for (int i = 0; i < sk_X509_num(trusted->chain); i++) {
		X509 *certificate = sk_X509_value(trusted->chain, i);
		int code = X509_cmp_time(X509_get0_notBefore(certificate), &at) > 0
		                   ? X509_V_ERR_CERT_NOT_YET_VALID
		           : X509_cmp_time(X509_get0_notAfter(certificate), &at) < 0
		                   ? X509_V_ERR_CERT_HAS_EXPIRED
		                   : X509_V_OK;
		if (code != X509_V_OK) {
			g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
			            "signature: signer certificate not trusted %s: %s%s", moment,
			            i > 0 ? "issuer " : "", X509_verify_cert_error_string(code));
			return FALSE;
		}
	}
	return TRUE;
}

static gchar *
ph_xmldsig_subject(X509 *certificate)
{
	g_autoptr(BIO) bio = BIO_new(BIO_s_mem());
	X509_NAME_print_ex(bio, X509_get_subject_name(certificate), 0, XN_FLAG_RFC2253);
	char *data = NULL;
	long size = BIO_get_mem_data(bio, &data);
	return g_strndup(data, (gsize)size);
}

static gboolean
ph_xmldsig_run(xmlNodePtr signature, X509 *certificate, GError **error)
{
	g_autoptr(xmlSecDSigCtx) context = xmlSecDSigCtxCreate(NULL);
	EVP_PKEY *public_key = X509_get_pubkey(certificate);
	if (public_key == NULL || EVP_PKEY_get_base_id(public_key) != EVP_PKEY_RSA) {
		EVP_PKEY_free(public_key);
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "signature: the signer certificate has no RSA key");
		return FALSE;
	}
	xmlSecKeyDataPtr data = xmlSecOpenSSLEvpKeyAdopt(public_key);
	xmlSecKeyPtr key = xmlSecKeyCreate();
	if (data == NULL || key == NULL || xmlSecKeySetValue(key, data) < 0 || context == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "xmlsec: cannot prepare the key");
		return FALSE;
	}
	/* The key is the certificate's, checked above: xmlsec never looks one up itself. */
	context->signKey = key;
	context->enabledReferenceUris = xmlSecTransformUriTypeEmpty;
	if (xmlSecDSigCtxEnableReferenceTransform(context, xmlSecTransformEnvelopedId) < 0 ||
	    xmlSecDSigCtxEnableReferenceTransform(context, xmlSecTransformExclC14NId) < 0 ||
	    xmlSecDSigCtxEnableReferenceTransform(context, xmlSecOpenSSLTransformSha256Id) < 0 ||
	    xmlSecDSigCtxEnableSignatureTransform(context, xmlSecTransformExclC14NId) < 0 ||
	    xmlSecDSigCtxEnableSignatureTransform(context, xmlSecOpenSSLTransformRsaSha256Id) < 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "xmlsec: cannot restrict transforms");
		return FALSE;
	}
	/* The return code says only that verification ran; the verdict is the status. */
	if (xmlSecDSigCtxVerify(context, signature) < 0 ||
	    context->status != xmlSecDSigStatusSucceeded) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "signature: does not verify (document or signature altered)");
		return FALSE;
	}
	return TRUE;
}

gboolean
ph_xml_verifier_verify(PhXmlVerifier *verifier, PhXmlDoc *doc, gint64 signed_at,
                       gchar **signer_subject, GError **error)
{
	g_return_val_if_fail(verifier != NULL && doc != NULL, FALSE);
	if (!ph_xmldsig_init(error))
		return FALSE;
	xmlNodePtr root = xmlDocGetRootElement(doc->doc);
	g_autoptr(GPtrArray) signatures = g_ptr_array_new();
	if (ph_xmldsig_is(root, "Signature"))
		g_ptr_array_add(signatures, root);
	ph_xmldsig_find_signatures(root, signatures);
	if (signatures->len != 1 || ((xmlNodePtr)signatures->pdata[0])->parent != root) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "signature: %u ds:Signature elements, expected one child of the root",
		            signatures->len);
		return FALSE;
	}
	xmlNodePtr signature = signatures->pdata[0];
	xmlNodePtr certificate_node = ph_xmldsig_check_shape(signature, error);
	if (certificate_node == NULL)
		return FALSE;
	g_autoptr(GBytes) der = ph_xmldsig_read_der(certificate_node, error);
	gboolean owned = FALSE;
	PhXmlTrusted *trusted =
	        der != NULL ? ph_xmldsig_lookup(verifier, der, &owned, error) : NULL;
	if (trusted == NULL)
		return FALSE;
	gboolean ok =
	        ph_xmldsig_check_times(trusted, g_get_real_time() / G_USEC_PER_SEC, "now", error) &&
	        (signed_at == 0 ||
	         ph_xmldsig_check_times(trusted, signed_at, "at the signing time", error)) &&
	        ph_xmldsig_run(signature, trusted->leaf, error);
	if (ok && signer_subject != NULL)
		*signer_subject = g_strdup(trusted->subject);
	if (owned)
		ph_xmldsig_trusted_free(trusted);
	return ok;
}

gchar *
ph_xml_certificate_subject(const gchar *certificate_path, GError **error)
{
	g_return_val_if_fail(certificate_path != NULL, NULL);
	g_autoptr(BIO) bio = BIO_new_file(certificate_path, "r");
	g_autoptr(X509) certificate = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	if (certificate == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "certificate %s: cannot be read",
		            certificate_path);
		return NULL;
	}
	return ph_xmldsig_subject(certificate);
}
