/* The host's XML security for plugins: hardened parsing of untrusted bytes, XSD validation
 * against a schema of the mapping folder, value getters, and XML-DSig (enveloped, exclusive
 * C14N, RSA-SHA256) signing and verification. Plugins see only opaque handles and strings;
 * libxml2 and xmlsec stay inside the host (hub/ph-xml.c, hub/ph-xmldsig.c). GLib only. */
#pragma once

#include <glib.h>

#include "ph-error.h"
#include "ph-plugin.h"

G_BEGIN_DECLS

typedef struct _PhXmlDoc PhXmlDoc;           /* one parsed document */
typedef struct _PhXmlSchema PhXmlSchema;     /* one loaded XSD, shareable across threads */
typedef struct _PhXmlSigner PhXmlSigner;     /* a signing key with its certificate */
typedef struct _PhXmlVerifier PhXmlVerifier; /* the trusted CAs of a partner */

/* Limits of the hardened parser. Zero fields take the defaults below. */
typedef struct {
	gsize max_bytes; /* default 1 MiB */
	guint max_depth; /* element nesting, default 32 */
} PhXmlLimits;

#define PH_XML_DEFAULT_MAX_BYTES (1024 * 1024)
#define PH_XML_DEFAULT_MAX_DEPTH 32

/* Parses untrusted bytes: no network, no entity substitution, no DTD loading; a document
 * with any DOCTYPE (internal subset or not) is refused, as are bytes over the size limit
 * and nesting over the depth limit. Errors are PH_ERROR_INVALID_INPUT naming line and
 * reason. @limits may be NULL for the defaults. */
PhXmlDoc *ph_xml_doc_parse(GBytes *bytes, const PhXmlLimits *limits, GError **error);
void ph_xml_doc_free(PhXmlDoc *doc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhXmlDoc, ph_xml_doc_free)

/* The root element's local name and namespace URI ("" when none). */
const gchar *ph_xml_doc_get_root_name(PhXmlDoc *doc);
const gchar *ph_xml_doc_get_root_namespace(PhXmlDoc *doc);

/* Paths are local element names joined by '/', relative to the root element, each step in
 * the root's namespace: "Header/MsgId". The text of the first match (trimmed), or NULL
 * when there is none. */
gchar *ph_xml_doc_get_text(PhXmlDoc *doc, const gchar *path);
/* Texts of every match of @path, in document order (NULL-terminated, maybe empty). */
gchar **ph_xml_doc_get_texts(PhXmlDoc *doc, const gchar *path);
/* The attribute @name of every match of @path, in the same order ("" when absent). */
gchar **ph_xml_doc_get_attributes(PhXmlDoc *doc, const gchar *path, const gchar *name);
/* How many elements match @path. */
guint ph_xml_doc_count(PhXmlDoc *doc, const gchar *path);

/* Loads @name (e.g. "transfer-1.xsd") from the schema folder of the hub's mapping folder
 * (`<mapping_dir>/schema/`). Loaded once per process and name; the result is shared and
 * must not be freed. */
PhXmlSchema *ph_xml_schema_get(PhPlugin *plugin, const gchar *name, GError **error);
/* Validates @doc; PH_ERROR_INVALID_INPUT with the first problem (line and reason). */
gboolean ph_xml_schema_validate(PhXmlSchema *schema, PhXmlDoc *doc, GError **error);

/* ---- XML digital signatures (hub/ph-xmldsig.c) ---- */

/* Loads a PEM private key and its PEM certificate (paths as the config gives them). */
PhXmlSigner *ph_xml_signer_new(const gchar *key_path, const gchar *certificate_path,
                               GError **error);
void ph_xml_signer_free(PhXmlSigner *signer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhXmlSigner, ph_xml_signer_free)

/* Signs a whole document: appends an enveloped ds:Signature (reference URI="",
 * transforms enveloped-signature + exclusive C14N, RSA-SHA256, SHA-256 digest, the
 * certificate in KeyInfo/X509Data) as the root's last child. Returns the signed bytes. */
GBytes *ph_xml_signer_sign(PhXmlSigner *signer, GBytes *document, GError **error);

/* Trusts the CA certificates of a PEM file (one or more). */
PhXmlVerifier *ph_xml_verifier_new(const gchar *ca_path, GError **error);
void ph_xml_verifier_free(PhXmlVerifier *verifier);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhXmlVerifier, ph_xml_verifier_free)

/* Verifies the enveloped signature of @doc: exactly one ds:Signature, a child of the root;
 * exactly one Reference, URI=""; transforms exactly enveloped-signature then exclusive
 * C14N; exclusive C14N for SignedInfo; RSA-SHA256; SHA-256 digest; the key taken only from
 * the one X509Certificate of KeyInfo/X509Data, which must chain to the verifier's CAs and
 * be valid now and at @signed_at (unix seconds; 0 skips that check). The verdict is
 * xmlsec's verification status. On success *@signer_subject (may be NULL) receives the
 * certificate's subject in RFC 2253 form (as `openssl x509 -nameopt RFC2253` prints it).
 * Every refusal is PH_ERROR_INVALID_INPUT naming the reason. */
gboolean ph_xml_verifier_verify(PhXmlVerifier *verifier, PhXmlDoc *doc, gint64 signed_at,
                                gchar **signer_subject, GError **error);

/* The subject (RFC 2253) of the first certificate of a PEM file, e.g. to configure the
 * signer expected of a sender from its certificate file. */
gchar *ph_xml_certificate_subject(const gchar *certificate_path, GError **error);

G_END_DECLS
