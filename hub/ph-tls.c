/* Loading TLS material and naming peer certificates for the partner listener. */
#include "ph-tls.h"

#include <openssl/bio.h>
#include <openssl/x509.h>

GTlsCertificate *
ph_tls_load_certificate(const gchar *certificate_path, const gchar *key_path, GError **error)
{
	g_autoptr(GError) local = NULL;
	GTlsCertificate *certificate =
	        g_tls_certificate_new_from_files(certificate_path, key_path, &local);
	if (certificate == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
		            "cannot load certificate %s with key %s: %s", certificate_path,
		            key_path, local->message);
		return NULL;
	}
	return certificate;
}

GTlsDatabase *
ph_tls_load_ca(const gchar *ca_path, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_return_val_if_fail(g_path_is_absolute(ca_path), NULL);
	GTlsDatabase *database = g_tls_file_database_new(ca_path, &local);
	if (database == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "cannot load CA file %s: %s", ca_path,
		            local->message);
		return NULL;
	}
	return database;
}

gchar *
ph_tls_certificate_pin(GTlsCertificate *certificate)
{
	g_autoptr(GByteArray) der = NULL;
	g_object_get(certificate, "certificate", &der, NULL);
	if (der == NULL)
		return NULL;
	return g_compute_checksum_for_data(G_CHECKSUM_SHA256, der->data, der->len);
}

/* GnuTLS prints names in certificate order; operators copy subjects from
 * `openssl x509 -noout -subject -nameopt RFC2253`, so name them the way OpenSSL does. */
gchar *
ph_tls_certificate_subject(GTlsCertificate *certificate)
{
	g_autoptr(GByteArray) der = NULL;
	g_object_get(certificate, "certificate", &der, NULL);
	if (der == NULL)
		return NULL;
	const unsigned char *cursor = der->data;
	X509 *x509 = d2i_X509(NULL, &cursor, (long)der->len);
	if (x509 == NULL)
		return NULL;
	BIO *bio = BIO_new(BIO_s_mem());
	X509_NAME_print_ex(bio, X509_get_subject_name(x509), 0, XN_FLAG_RFC2253);
	char *text = NULL;
	long length = BIO_get_mem_data(bio, &text);
	gchar *subject = g_strndup(text, (gsize)length);
	BIO_free(bio);
	X509_free(x509);
	return subject;
}
