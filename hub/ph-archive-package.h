/* Archival packages PH-ARCHIVE-1 (docs/formats/archive.md): a ustar container of a signed
 * manifest.xml and the case's documents with SM3 and SHA-256 fixity. Built and checked with
 * the SDK's XML-DSig and digests only, so the archive plugin (through ph-archive-api.h, which
 * holds the case and document types) and `pensionctl archive verify` share it. Hub only. */
#pragma once

#include <glib.h>

#include "pension-hub/ph-archive-api.h"
#include "pension-hub/ph-xml.h"

G_BEGIN_DECLS

#define PH_ARCHIVE_NAMESPACE "urn:pension-hub:archive:1"

/* The package bytes: manifest (signed with @signer) first, then the documents in order. */
GBytes *ph_archive_package_build(const PhArchiveCase *archive_case,
                                 const PhArchiveDocument *documents, guint n_documents,
                                 PhXmlSigner *signer, GError **error);

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
