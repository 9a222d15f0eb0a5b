/* The kept-document store: large files the hub exchanged (a bank's payout and result files)
 * kept under `[hub] documents_dir`, named by their SHA-256, written as NAME.part, fsynced and
 * renamed, and sealed at rest in AES-256-GCM chunks when `[keys] file` is configured, read back
 * as a stream. Format: docs/security.md, "Kept documents". Host-only. */
#pragma once

#include <gio/gio.h>

#include "ph-config.h"
#include "ph-field-key.h"

G_BEGIN_DECLS

/* The sealed format (docs/security.md, "Kept documents"), written here and read by
 * ph-document-stream.c: magic, the data key's envelope, then chunks of nonce, ciphertext of
 * at most PH_DOCUMENT_CHUNK plaintext bytes, tag. */
#define PH_DOCUMENT_MAGIC     "PHKEPT1\n"
#define PH_DOCUMENT_MAGIC_LEN 8
/* Plaintext bytes per sealed chunk: memory stays at two chunks whatever the file's size. */
#define PH_DOCUMENT_CHUNK    (1024 * 1024)
#define PH_DOCUMENT_NONCE    12
#define PH_DOCUMENT_TAG      16
#define PH_DOCUMENT_KEY      32
#define PH_DOCUMENT_HEAD_MAX 4096 /* the data key's envelope */

/* The additional data authenticated with chunk @index (@final: the file's last). */
void ph_document_chunk_aad(guint64 index, gboolean final, guint8 aad[9]);
/* A big-endian 32-bit field of the header. */
void ph_document_put_u32(guint8 *at, guint32 value);
guint32 ph_document_get_u32(const guint8 *at);

/* Sealed files end in .gcm, plaintext ones (no key file) in .bin. */
#define PH_DOCUMENT_SEALED_SUFFIX ".gcm"
#define PH_DOCUMENT_PLAIN_SUFFIX  ".bin"

/* `[hub] documents_dir` resolved against the config file's folder; default "documents". */
gchar *ph_document_store_dir(const PhConfig *config);
/* The personnel plugin's spool folder (`[plugin personnel] spool_dir`, resolved as the plugin
 * does), where its batches are kept as sealed documents; @config may be NULL. */
gchar *ph_document_spool_dir(const PhConfig *config);

typedef struct _PhDocumentWriter PhDocumentWriter;

/* Starts a kept file in @dir (created when missing) as @dir/@part_name.part, truncating what
 * an earlier, killed attempt left there. @keys NULL: plaintext. */
PhDocumentWriter *ph_document_writer_new(const gchar *dir, const gchar *part_name,
                                         PhFieldKeys *keys, GError **error);
gboolean ph_document_writer_write(PhDocumentWriter *writer, const void *data, gsize length,
                                  GError **error);
/* Ends the file, fsyncs it and puts it in place as SHA256 + suffix; when that file exists
 * already (the same bytes, kept before) ours takes its place, so that the file under the name
 * is always new (ph-document-orphan.h). */
gboolean ph_document_writer_commit(PhDocumentWriter *writer, GError **error);
/* After the commit: the file's name in the store, the plaintext's SHA-256 and size, the key
 * id sealing it (NULL: plaintext). */
const gchar *ph_document_writer_get_file_name(PhDocumentWriter *writer);
const gchar *ph_document_writer_get_sha256(PhDocumentWriter *writer);
guint64 ph_document_writer_get_size(PhDocumentWriter *writer);
const gchar *ph_document_writer_get_key_id(PhDocumentWriter *writer);
/* After the commit: whether a file of that name was there already (ours then took its place:
 * rows may name it). */
gboolean ph_document_writer_get_existed(PhDocumentWriter *writer);
/* Before the commit: the suffix of a plaintext file instead of .bin (the spool's is ""). */
void ph_document_writer_set_plain_suffix(PhDocumentWriter *writer, const gchar *suffix);
/* A stream that writes to @next first, then the same bytes to @writer (which must outlive
 * it); closing it does not close @next. */
GOutputStream *ph_document_writer_tee_new(PhDocumentWriter *writer, GOutputStream *next);
/* A stream that reads @base and writes the bytes read to @writer (which must outlive it):
 * a file is kept as it is read, in one pass; closing it does not close @base. */
GInputStream *ph_document_writer_input_tee_new(PhDocumentWriter *writer, GInputStream *base);
/* Removes the .part file unless committed. */
void ph_document_writer_free(PhDocumentWriter *writer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhDocumentWriter, ph_document_writer_free)

/* Writes all @length bytes to @fd (a file of the store, or a package beside it), retrying
 * short writes; PH_ERROR_FAILED naming @path. */
gboolean ph_document_write_all(int fd, const guint8 *data, gsize length, const gchar *path,
                               GError **error);

/* The header of a sealed kept file, written to @fd: magic, the length and text of the data
 * key's field @envelope, the chunk size. */
gboolean ph_document_write_head(int fd, const gchar *envelope, const gchar *path, GError **error);
/* FALSE with PH_ERROR_FAILED (PH_ERROR_NOT_FOUND for a missing file) "kept document: cannot
 * @what @path: <errno text>". */
gboolean ph_document_errno(GError **error, const gchar *what, const gchar *path);
/* FALSE with PH_ERROR_INVALID_INPUT "kept document @path: @why". */
gboolean ph_document_invalid(GError **error, const gchar *path, const gchar *why);
/* Reads up to @length bytes from @fd, fewer only at the end of the file; -1 on an error. */
gssize ph_document_read_full(int fd, guint8 *buffer, gsize length, const gchar *path,
                             GError **error);
/* Reads a sealed kept file's header from @fd at its start (magic, the data key's field
 * envelope, chunk size) and returns the envelope; PH_ERROR_INVALID_INPUT naming @path when it
 * is not one of ours or is cut short. */
gchar *ph_document_read_head(int fd, const gchar *path, GError **error);
/* fsync of the folder @dir, so that a rename in it is durable. */
gboolean ph_document_sync_dir(const gchar *dir, GError **error);

typedef gboolean (*PhDocumentSink)(const guint8 *data, gsize length, gpointer user_data,
                                   GError **error);

/* Streams the plaintext of the kept file @path to @sink in chunks (memory stays bounded),
 * opening sealed chunks with @keys. PH_ERROR_INVALID_INPUT naming the file when a chunk does
 * not authenticate, the file is cut short or reordered, or its SHA-256 is not @sha256 (may be
 * NULL: not checked); PH_ERROR_CONFIG when a sealed file meets no keys. */
gboolean ph_document_store_read(const gchar *path, PhFieldKeys *keys, const gchar *sha256,
                                PhDocumentSink sink, gpointer user_data, GError **error);

G_END_DECLS
