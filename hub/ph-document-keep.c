/* The SDK's kept documents (pension-hub/ph-document-api.h): a tee stream into the document
 * store (ph-document-store.c) while a file is generated or read, and the kept_document row
 * recorded on the calling worker thread's connection. Hub layer. */
#include "pension-hub/ph-document-api.h"

#include "pension-hub/ph-digest.h"
#include "ph-document-store.h"
#include "ph-plugin-private.h"
#include "ph-worker-db.h"

#define PH_DOCUMENT_KEEP_CHUNK (256 * 1024)

struct _PhDocumentKeep {
	gchar *role;
	gchar *bank;
	gint64 batch_no;
	gchar *name;
	PhDocumentWriter *writer;
	gboolean stored; /* the file is in the store; only its row may be recorded again */
};

void
ph_document_api_keep_free(PhDocumentKeep *keep)
{
	if (keep == NULL)
		return;
	g_clear_pointer(&keep->writer, ph_document_writer_free);
	g_free(keep->role);
	g_free(keep->bank);
	g_free(keep->name);
	g_free(keep);
}

PhDocumentKeep *
ph_document_api_keep_begin(PhPlugin *plugin, const PhDocumentKind *kind, GError **error)
{
	g_return_val_if_fail(plugin != NULL && kind != NULL && kind->role != NULL, NULL);
	g_return_val_if_fail(kind->bank != NULL && kind->name != NULL, NULL);
	if (plugin->config == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
		            "kept document %s: the host has no configuration", kind->name);
		return NULL;
	}
	g_autofree gchar *dir = ph_document_store_dir(plugin->config);
	/* the same file kept again (a retry after kill -9) reuses and truncates its .part */
	g_autofree gchar *identity = g_strjoin("/", kind->role, kind->bank, kind->name, NULL);
	g_autofree gchar *part = g_compute_checksum_for_string(G_CHECKSUM_SHA256, identity, -1);
	g_autoptr(PhDocumentKeep) keep = g_new0(PhDocumentKeep, 1);
	keep->writer = ph_document_writer_new(dir, part, ph_field_keys_installed(), error);
	if (keep->writer == NULL)
		return NULL;
	keep->role = g_strdup(kind->role);
	keep->bank = g_strdup(kind->bank);
	keep->batch_no = kind->batch_no;
	keep->name = g_strdup(kind->name);
	return g_steal_pointer(&keep);
}

static gboolean
ph_document_keep_record(PhDocumentKeep *keep, const gchar *digest, GError **error)
{
	PhDocumentWriter *writer = keep->writer;
	PhDb *db = ph_worker_db_get(error);
	if (db == NULL)
		return FALSE;
	g_autofree gchar *batch_no =
	        keep->batch_no > 0 ? g_strdup_printf("%" G_GINT64_FORMAT, keep->batch_no) : NULL;
	g_autofree gchar *size =
	        g_strdup_printf("%" G_GUINT64_FORMAT, ph_document_writer_get_size(writer));
	const gchar *params[] = {keep->role,
	                         keep->bank,
	                         batch_no,
	                         keep->name,
	                         size,
	                         ph_document_writer_get_sha256(writer),
	                         digest,
	                         ph_document_writer_get_file_name(writer),
	                         ph_document_writer_get_key_id(writer)};
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "INSERT INTO kept_document (role, bank, batch_no, name, size, sha256, digest, "
	        "store_file, key_id) VALUES ($1, $2, $3::bigint, $4, $5::bigint, $6, $7, $8, $9) "
	        "ON CONFLICT (role, bank, name, sha256) DO NOTHING",
	        G_N_ELEMENTS(params), params, error);
	if (result == NULL || !ph_document_writer_get_existed(writer))
		return result != NULL;
	/* the file kept again replaced the one there (ph_document_writer_commit): every row
	 * naming it now names a file sealed under the writer's key */
	const gchar *file_params[] = {ph_document_writer_get_file_name(writer),
	                              ph_document_writer_get_key_id(writer)};
	g_autoptr(PGresult) rekeyed =
	        ph_db_query(db,
	                    "UPDATE kept_document SET key_id = $2 WHERE store_file = $1 AND "
	                    "key_id IS DISTINCT FROM $2",
	                    G_N_ELEMENTS(file_params), file_params, error);
	return rekeyed != NULL;
}

gboolean
ph_document_api_keep_commit(PhDocumentKeep *keep, const gchar *digest, GError **error)
{
	g_return_val_if_fail(keep != NULL, FALSE);
	if (!keep->stored && ph_document_writer_commit(keep->writer, error))
		keep->stored = TRUE;
	if (!keep->stored || !ph_document_keep_record(keep, digest, error)) {
		g_prefix_error(error, "keeping %s %s: ", keep->role, keep->name);
		return FALSE;
	}
	return TRUE;
}

gboolean
ph_document_api_keep_bytes(PhPlugin *plugin, const PhDocumentKind *kind, GBytes *bytes,
                           const gchar *digest, GError **error)
{
	g_return_val_if_fail(bytes != NULL, FALSE);
	g_autoptr(PhDocumentKeep) keep = ph_document_api_keep_begin(plugin, kind, error);
	gsize length = 0;
	const guint8 *data = g_bytes_get_data(bytes, &length);
	return keep != NULL && ph_document_writer_write(keep->writer, data, length, error) &&
	       ph_document_api_keep_commit(keep, digest, error);
}

gboolean
ph_document_api_keep_stream(PhPlugin *plugin, const PhDocumentKind *kind, GInputStream *input,
                            const gchar *digest_alg, gchar **digest, GError **error)
{
	g_return_val_if_fail(G_IS_INPUT_STREAM(input) && digest_alg != NULL, FALSE);
	PhDigestAlg alg;
	if (!ph_digest_alg_from_name(digest_alg, &alg, error))
		return FALSE;
	g_autoptr(PhDocumentKeep) keep = ph_document_api_keep_begin(plugin, kind, error);
	if (keep == NULL)
		return FALSE;
	g_autoptr(PhDigest) exchanged = ph_digest_new(alg);
	g_autofree guint8 *buffer = g_malloc(PH_DOCUMENT_KEEP_CHUNK);
	gssize got;
	while ((got = g_input_stream_read(input, buffer, PH_DOCUMENT_KEEP_CHUNK, NULL, error)) >
	       0) {
		ph_digest_update(exchanged, buffer, (gsize)got);
		if (!ph_document_writer_write(keep->writer, buffer, (gsize)got, error))
			return FALSE;
	}
	if (got < 0)
		return FALSE;
	g_autofree gchar *text = g_strdup_printf("%s %s", digest_alg, ph_digest_get_hex(exchanged));
	if (!ph_document_api_keep_commit(keep, text, error))
		return FALSE;
	if (digest != NULL)
		*digest = g_steal_pointer(&text);
	return TRUE;
}

GOutputStream *
ph_document_api_keep_tee(PhDocumentKeep *keep, GOutputStream *next)
{
	g_return_val_if_fail(keep != NULL && G_IS_OUTPUT_STREAM(next), NULL);
	return ph_document_writer_tee_new(keep->writer, next);
}

GInputStream *
ph_document_api_keep_input(PhDocumentKeep *keep, GInputStream *input)
{
	g_return_val_if_fail(keep != NULL && G_IS_INPUT_STREAM(input), NULL);
	return ph_document_writer_input_tee_new(keep->writer, input);
}
