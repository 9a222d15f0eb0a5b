/* Archival packages PH-ARCHIVE-1 (docs/formats/archive.md): a ustar container of a signed
 * manifest.xml and the case's documents with SM3 and SHA-256 fixity. Built and checked with
 * the SDK's XML-DSig and digests only, so the archive plugin (through ph-archive-api.h, which
 * holds the case and document types) and `pensionctl archive verify` share it. Hub only. */
#pragma once

#include <glib.h>

#include "pension-hub/ph-archive-api.h"
#include "pension-hub/ph-xml.h"
#include "ph-field-key.h"

G_BEGIN_DECLS

#define PH_ARCHIVE_NAMESPACE "urn:pension-hub:archive:1"

/* The package bytes: manifest (signed with @signer) first, then the documents in order. */
GBytes *ph_archive_package_build(const PhArchiveCase *archive_case,
                                 const PhArchiveDocument *documents, guint n_documents,
                                 PhXmlSigner *signer, GError **error);

/* A document kept in the document store (ph-document-store.h), streamed into the package
 * rather than held in memory. */
typedef struct {
	gchar *path;   /* the stored file */
	gchar *sha256; /* of the plaintext, as recorded when it was kept */
	guint64 size;  /* filled by the build's first pass over the file */
	gchar *sm3;    /* likewise */
} PhArchiveKept;

void ph_archive_kept_free(PhArchiveKept *kept);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhArchiveKept, ph_archive_kept_free)

/* As ph_archive_package_build, where document i with @kept[i] != NULL (its bytes unused) is
 * read from the store twice, streamed, never whole in memory: once for its SM3 and size with its
 * SHA-256 checked against the recorded one, once into the container (checked again). With
 * any kept document the package is written to an unnamed file in @work_dir (O_TMPFILE; a
 * hub killed while writing leaves no file) and returned mapped. A kept file that is damaged
 * or changed: PH_ERROR_INVALID_INPUT naming it. */
GBytes *ph_archive_package_build_kept(const PhArchiveCase *archive_case,
                                      const PhArchiveDocument *documents,
                                      PhArchiveKept *const *kept, guint n_documents,
                                      PhFieldKeys *keys, const gchar *work_dir, PhXmlSigner *signer,
                                      GError **error);

/* What builds before unnamed files left in a work folder when killed mid-build: plaintext
 * packages named PH_ARCHIVE_WORK_PREFIX + 6 characters. */
#define PH_ARCHIVE_WORK_PREFIX "package-"

/* Removes such leftovers from @work_dir (the documents folder); returns how many. */
guint ph_archive_package_sweep(const gchar *work_dir);

typedef struct {
	gchar *case_type;
	gchar *case_id;
	gchar *signer; /* the manifest signer's subject (RFC 2253) */
	guint documents;
} PhArchiveCheck;

void ph_archive_check_clear(PhArchiveCheck *check);

/* Checks a package offline: container well formed, manifest first and signed by a
 * certificate chaining to @verifier's CAs, every listed document present once with its size,
 * SHA-256 and SM3, and nothing unlisted. PH_ERROR_INVALID_INPUT naming the first problem. */
gboolean ph_archive_package_verify(GBytes *package, PhXmlVerifier *verifier, PhArchiveCheck *out,
                                   GError **error);

G_END_DECLS
