/* TLS material for the listeners (GIO/GnuTLS side): the server certificate, the partner
 * CA as a verification database, and the identity of a peer certificate (subject and
 * DER SHA-256 pin) that the config maps to a partner. Host-only. */
#pragma once

#include <gio/gio.h>

#include "ph-error.h"

G_BEGIN_DECLS

GTlsCertificate *
ph_tls_load_certificate(const gchar *certificate_path, const gchar *key_path, GError **error);
/* @ca_path must be absolute (a relative one makes every handshake fail, see PITFALLS). */
GTlsDatabase *
ph_tls_load_ca(const gchar *ca_path, GError **error);

/* Lowercase hex SHA-256 of the certificate's DER encoding. */
gchar *
ph_tls_certificate_pin(GTlsCertificate *certificate);
/* The subject as RFC 2253/4514 text, as `openssl x509 -noout -subject -nameopt RFC2253`
 * prints it (e.g. "CN=bank,OU=partners,O=pension-hub dev"). */
gchar *
ph_tls_certificate_subject(GTlsCertificate *certificate);

G_END_DECLS
