/* SDK: keeping the files a plugin exchanged with a partner (a bank's payout, done and result
 * files) in the host's document store, so that a payout batch's archival package holds their
 * bytes (docs/formats/archive.md). The host writes them under `[hub] documents_dir`, named by
 * SHA-256, .part then fsync then rename, sealed with AES-256-GCM when `[keys] file` is set,
 * and records each in kept_document. Keeping the same bytes again (a retry after a crash)
 * keeps one copy and one row. Implemented in hub/ph-document-keep.c. GLib/GIO only. */
#pragma once

#include <gio/gio.h>

#include "ph-error.h"
#include "ph-plugin.h"

G_BEGIN_DECLS

/* What a kept file is: its role (payout, done, result), the bank, the payout batch (0: not
 * known yet, a result file) and its name as exchanged. */
typedef struct {
	const gchar *role;
	const gchar *bank;
	gint64 batch_no;
	const gchar *name;
} PhDocumentKind;

typedef struct _PhDocumentKeep PhDocumentKeep;

/* Starts keeping a file written as it is produced. */
PhDocumentKeep *ph_document_api_keep_begin(PhPlugin *plugin, const PhDocumentKind *kind,
                                           GError **error);
/* A stream that writes to @next first, then keeps the same bytes: wrap the stream a file is
 * generated into. Closing it does not close @next. */
GOutputStream *ph_document_api_keep_tee(PhDocumentKeep *keep, GOutputStream *next);
/* A stream that reads @input and keeps the bytes read: wrap the stream a file is read from
 * (once, for its use and its keeping), read it to its end, then commit. Closing it does not
 * close @input. */
GInputStream *ph_document_api_keep_input(PhDocumentKeep *keep, GInputStream *input);
/* Ends the file and records it, with @digest ("ALG hex" as exchanged, may be NULL), on the
 * worker thread's connection (in its open transaction, if any). Called again, it records the
 * file once more (after that transaction rolled back). */
gboolean ph_document_api_keep_commit(PhDocumentKeep *keep, const gchar *digest, GError **error);
/* Drops what was written unless committed. */
void ph_document_api_keep_free(PhDocumentKeep *keep);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhDocumentKeep, ph_document_api_keep_free)

/* Keeps @bytes (a small file: a done file). */
gboolean ph_document_api_keep_bytes(PhPlugin *plugin, const PhDocumentKind *kind, GBytes *bytes,
                                    const gchar *digest, GError **error);
/* Keeps what @input gives until its end, digesting it with @digest_alg ("SM3" or "SHA256");
 * @digest (may be NULL) receives "ALG hex" of the bytes. */
gboolean ph_document_api_keep_stream(PhPlugin *plugin, const PhDocumentKind *kind,
                                     GInputStream *input, const gchar *digest_alg, gchar **digest,
                                     GError **error);

G_END_DECLS
