/* Seals of the audit chain (ph-audit-seal.h): OpenSSL signatures over the head entry's hash.
 * Host-only; the core's chain itself needs no key. */
#include "ph-audit-seal.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <string.h>

#include "ph-audit.h"
#include "ph-error.h"
#include "ph-sql-value.h"
#include "ph-worker-db.h"

struct _PhAuditSigner {
	EVP_PKEY *key; /* NULL: verify only */
	X509 *certificate;
	gchar *pin; /* lowercase hex SHA-256 of the certificate's DER */
};

void
ph_audit_signer_free(PhAuditSigner *signer)
{
	if (signer == NULL)
		return;
	EVP_PKEY_free(signer->key);
	X509_free(signer->certificate);
	g_free(signer->pin);
	g_free(signer);
}

static gboolean
ph_audit_signer_fail(GError **error, const gchar *what, const gchar *path)
{
	g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "audit signing %s %s: cannot be loaded", what,
	            path);
	return FALSE;
}

static gchar *
ph_audit_signer_pin(X509 *certificate)
{
	guint8 digest[EVP_MAX_MD_SIZE];
	guint length = 0;
	X509_digest(certificate, EVP_sha256(), digest, &length);
	g_autoptr(GBytes) bytes = g_bytes_new(digest, length);
	return ph_audit_hex(bytes);
}

PhAuditSigner *
ph_audit_signer_new_from_files(const gchar *key_path, const gchar *cert_path, GError **error)
{
	g_return_val_if_fail(cert_path != NULL, NULL);
	g_autoptr(PhAuditSigner) signer = g_new0(PhAuditSigner, 1);
	BIO *bio = BIO_new_file(cert_path, "r");
	if (bio != NULL)
		signer->certificate = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (signer->certificate == NULL) {
		ph_audit_signer_fail(error, "certificate", cert_path);
		return NULL;
	}
	if (key_path != NULL) {
		bio = BIO_new_file(key_path, "r");
		if (bio != NULL)
			signer->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
		BIO_free(bio);
		if (signer->key == NULL) {
			ph_audit_signer_fail(error, "key", key_path);
			return NULL;
		}
	}
	signer->pin = ph_audit_signer_pin(signer->certificate);
	return g_steal_pointer(&signer);
}

PhAuditSigner *
ph_audit_signer_new(const PhConfig *config, GError **error)
{
	g_return_val_if_fail(config != NULL, NULL);
	g_autofree gchar *key =
	        g_key_file_get_string(config->keyfile, "audit", "signing_key", NULL);
	g_autofree gchar *cert =
	        g_key_file_get_string(config->keyfile, "audit", "signing_certificate", NULL);
	g_autofree gchar *key_path = ph_config_resolve_path(config, key);
	g_autofree gchar *cert_path = ph_config_resolve_path(config, cert);
	if (cert_path == NULL && key_path == NULL) {
		key_path = g_strdup(config->client_key);
		cert_path = g_strdup(config->client_certificate);
	}
	if (cert_path == NULL || key_path == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
		            "%s: [audit] signing_key and signing_certificate (or [client-tls]) "
		            "are needed to seal the audit chain",
		            config->path);
		return NULL;
	}
	return ph_audit_signer_new_from_files(key_path, cert_path, error);
}

gchar *
ph_audit_seal_canonical(gint64 audit_id, const gchar *hash_hex, const gchar *sealed_at)
{
	g_autofree gchar *id = g_strdup_printf("%" G_GINT64_FORMAT, audit_id);
	return g_strdup_printf("ph-audit-seal-1\n%zu:%s\n%zu:%s\n%zu:%s\n", strlen(id), id,
	                       strlen(hash_hex), hash_hex, strlen(sealed_at), sealed_at);
}

/* SHA-256 for RSA and ECDSA keys; Ed25519/Ed448 sign the message itself. */
static const EVP_MD *
ph_audit_seal_md(EVP_PKEY *key)
{
	gint type = EVP_PKEY_get_id(key);
	return type == EVP_PKEY_ED25519 || type == EVP_PKEY_ED448 ? NULL : EVP_sha256();
}

static GBytes *
ph_audit_seal_sign(PhAuditSigner *signer, const gchar *record, GError **error)
{
	EVP_MD_CTX *context = EVP_MD_CTX_new();
	gsize length = 0;
	guint8 *signature = NULL;
	gboolean ok =
	        EVP_DigestSignInit(context, NULL, ph_audit_seal_md(signer->key), NULL,
	                           signer->key) == 1 &&
	        EVP_DigestSign(context, NULL, &length, (const guint8 *)record, strlen(record)) == 1;
	if (ok) {
		signature = g_malloc(length);
		ok = EVP_DigestSign(context, signature, &length, (const guint8 *)record,
		                    strlen(record)) == 1;
	}
	EVP_MD_CTX_free(context);
	if (!ok) {
		g_free(signature);
		g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "audit seal: signing failed");
		return NULL;
	}
	return g_bytes_new_take(signature, length);
}

gboolean
ph_audit_seal_check(PhAuditSigner *signer, gint64 audit_id, const gchar *hash_hex,
                    const gchar *sealed_at, const gchar *signer_pin, GBytes *signature,
                    GError **error)
{
	g_return_val_if_fail(signer != NULL && hash_hex != NULL && sealed_at != NULL, FALSE);
	if (g_strcmp0(signer_pin, signer->pin) != 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "signed by certificate %s, not the configured %s", signer_pin,
		            signer->pin);
		return FALSE;
	}
	g_autofree gchar *record = ph_audit_seal_canonical(audit_id, hash_hex, sealed_at);
	EVP_PKEY *public_key = X509_get0_pubkey(signer->certificate);
	EVP_MD_CTX *context = EVP_MD_CTX_new();
	gsize length = 0;
	const guint8 *data = g_bytes_get_data(signature, &length);
	gboolean ok = public_key != NULL &&
	              EVP_DigestVerifyInit(context, NULL, ph_audit_seal_md(public_key), NULL,
	                                   public_key) == 1 &&
	              EVP_DigestVerify(context, data, length, (const guint8 *)record,
	                               strlen(record)) == 1;
	EVP_MD_CTX_free(context);
	if (!ok)
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "signature does not verify");
	return ok;
}

static gboolean
ph_audit_seal_head_in_txn(PhDb *db, PhAuditSigner *signer, gint64 *audit_id, GError **error)
{
	/* The append lock: the head cannot move while it is read and sealed. */
	g_autoptr(PGresult) head =
	        ph_db_query(db,
	                    "SELECT a.id, encode(a.hash, 'hex'), " PH_SQL_UTC(
	                            "clock_timestamp()") ", "
	                                                 "(SELECT max(audit_id) FROM audit_seal) "
	                                                 "FROM (SELECT pg_advisory_xact_lock("
	                                                 "1635083380)) l, LATERAL (SELECT id, hash "
	                                                 "FROM audit_log ORDER BY id DESC "
	                                                 "LIMIT 1) a",
	                    0, NULL, error);
	if (head == NULL)
		return FALSE;
	if (PQntuples(head) == 0 || (!PQgetisnull(head, 0, 3) &&
	                             ph_db_get_int64(head, 0, 3) >= ph_db_get_int64(head, 0, 0)))
		return TRUE;
	gint64 id = ph_db_get_int64(head, 0, 0);
	g_autofree gchar *record =
	        ph_audit_seal_canonical(id, PQgetvalue(head, 0, 1), PQgetvalue(head, 0, 2));
	g_autoptr(GBytes) signature = ph_audit_seal_sign(signer, record, error);
	if (signature == NULL)
		return FALSE;
	gint lengths[5] = {0};
	const gint formats[5] = {0, 0, 0, 0, 1};
	const gchar *params[5] = {PQgetvalue(head, 0, 0), PQgetvalue(head, 0, 1),
	                          PQgetvalue(head, 0, 2), signer->pin,
	                          ph_sql_value_bytes_param(signature, &lengths[4])};
	g_autoptr(PGresult) inserted = ph_db_query_binary(
	        db,
	        "INSERT INTO audit_seal (audit_id, hash, sealed_at, signer, signature) "
	        "VALUES ($1::bigint, decode($2, 'hex'), $3, $4, $5)",
	        5, params, lengths, formats, error);
	if (inserted == NULL)
		return FALSE;
	*audit_id = id;
	return TRUE;
}

gboolean
ph_audit_seal_head(PhDb *db, PhAuditSigner *signer, gint64 *audit_id, GError **error)
{
	g_return_val_if_fail(db != NULL && signer != NULL, FALSE);
	gint64 sealed = 0;
	if (signer->key == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "audit seal: no signing key");
		return FALSE;
	}
	if (!ph_db_begin(db, error))
		return FALSE;
	if (!ph_audit_seal_head_in_txn(db, signer, &sealed, error) || !ph_db_commit(db, error)) {
		ph_db_rollback(db);
		g_prefix_error(error, "audit seal: ");
		return FALSE;
	}
	if (audit_id != NULL)
		*audit_id = sealed;
	return TRUE;
}

/* ---- the daemon's periodic sealer ---- */

struct _PhAuditSealer {
	PhAuditSigner *signer;
	PhWorkers *workers;
	guint source;
	gboolean running; /* a seal is in a worker; the next tick skips */
};

static void
ph_audit_sealer_work(gpointer data)
{
	PhAuditSealer *sealer = data;
	g_autoptr(GError) error = NULL;
	gint64 sealed = 0;
	PhDb *db = ph_worker_db_get(&error);
	if (db == NULL || !ph_audit_seal_head(db, sealer->signer, &sealed, &error))
		g_warning("audit chain not sealed: %s", error->message);
	else if (sealed != 0)
		g_debug("audit chain sealed at entry %" G_GINT64_FORMAT, sealed);
}

static void
ph_audit_sealer_done(gpointer data)
{
	PhAuditSealer *sealer = data;
	sealer->running = FALSE;
}

static gboolean
ph_audit_sealer_tick(gpointer data)
{
	PhAuditSealer *sealer = data;
	if (!sealer->running) {
		sealer->running = TRUE;
		ph_workers_push(sealer->workers, ph_audit_sealer_work, ph_audit_sealer_done,
		                sealer);
	}
	return G_SOURCE_CONTINUE;
}

PhAuditSealer *
ph_audit_sealer_start(const PhConfig *config, PhWorkers *workers)
{
	g_autoptr(GError) error = NULL;
	g_return_val_if_fail(config != NULL && workers != NULL, NULL);
	PhAuditSigner *signer = ph_audit_signer_new(config, &error);
	if (signer == NULL) {
		g_warning("the audit chain will not be sealed: %s", error->message);
		return NULL;
	}
	gint seconds = 300;
	if (g_key_file_has_key(config->keyfile, "audit", "seal_seconds", NULL))
		seconds = g_key_file_get_integer(config->keyfile, "audit", "seal_seconds", NULL);
	PhAuditSealer *sealer = g_new0(PhAuditSealer, 1);
	sealer->signer = signer;
	sealer->workers = workers;
	sealer->source =
	        g_timeout_add_seconds((guint)MAX(seconds, 1), ph_audit_sealer_tick, sealer);
	return sealer;
}

void
ph_audit_sealer_stop(PhAuditSealer *sealer)
{
	if (sealer != NULL)
		g_clear_handle_id(&sealer->source, g_source_remove);
}

void
ph_audit_sealer_free(PhAuditSealer *sealer)
{
	if (sealer == NULL)
		return;
	ph_audit_sealer_stop(sealer);
	ph_audit_signer_free(sealer->signer);
	g_free(sealer);
}
