/* Archival packages (ph-archive-package.h): our own small ustar writer and reader (regular
 * files only, names under 100 bytes) around a manifest signed with the SDK's XML-DSig. */
#include "ph-archive-package.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "pension-hub/ph-digest.h"
#include "ph-document-store.h"
#include "ph-error.h"

#define PH_TAR_BLOCK        512
#define PH_ARCHIVE_MANIFEST "manifest.xml"
#define PH_ARCHIVE_DIR      "documents/"
/* The manifest is parsed with the hardened parser: a case lists at most a few thousand
 * documents. */
#define PH_ARCHIVE_MANIFEST_MAX (16 * 1024 * 1024)

/* ---- ustar ---- */

static void
ph_tar_octal(gchar *field, gsize width, guint64 value)
{
	g_snprintf(field, width, "%0*" G_GINT64_MODIFIER "o", (gint)width - 1, value);
}

static guint
ph_tar_checksum(const guint8 *header)
{
	guint sum = 0;
	for (guint i = 0; i < PH_TAR_BLOCK; i++)
		sum += i >= 148 && i < 156 ? ' ' : header[i];
	return sum;
}

/* Where a package is written: memory for small ones, else a file (memory stays bounded). */
typedef struct {
	GByteArray *memory; /* NULL: fd */
	int fd;
	const gchar *path;
} PhTarOut;

static gboolean
ph_tar_out_write(PhTarOut *out, const guint8 *data, gsize length, GError **error)
{
	if (out->memory == NULL)
		return ph_document_write_all(out->fd, data, length, out->path, error);
	g_byte_array_append(out->memory, data, (guint)length);
	return TRUE;
}

static gboolean
ph_tar_header(PhTarOut *out, const gchar *name, guint64 length, GError **error)
{
	guint8 header[PH_TAR_BLOCK] = {0};
	if (strlen(name) >= 100 || strchr(name, '\\') != NULL || strstr(name, "..") != NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "archive member %s: the name must be under 100 bytes without ..", name);
		return FALSE;
	}
	memcpy(header, name, strlen(name));
	ph_tar_octal((gchar *)header + 100, 8, 0644);
	ph_tar_octal((gchar *)header + 108, 8, 0);
	ph_tar_octal((gchar *)header + 116, 8, 0);
	ph_tar_octal((gchar *)header + 124, 12, length);
	ph_tar_octal((gchar *)header + 136, 12, 0);
	header[156] = '0';
	memcpy(header + 257, "ustar", 6);
	memcpy(header + 263, "00", 2);
	ph_tar_octal((gchar *)header + 148, 7, ph_tar_checksum(header));
	header[155] = ' ';
	return ph_tar_out_write(out, header, sizeof(header), error);
}

static gboolean
ph_tar_pad(PhTarOut *out, guint64 length, GError **error)
{
	static const guint8 zeros[PH_TAR_BLOCK] = {0};
	return ph_tar_out_write(out, zeros, (PH_TAR_BLOCK - length % PH_TAR_BLOCK) % PH_TAR_BLOCK,
	                        error);
}

static gboolean
ph_tar_append(PhTarOut *out, const gchar *name, GBytes *bytes, GError **error)
{
	gsize length = 0;
	const guint8 *data = g_bytes_get_data(bytes, &length);
	return ph_tar_header(out, name, length, error) &&
	       ph_tar_out_write(out, data, length, error) && ph_tar_pad(out, length, error);
}

static gboolean
ph_tar_kept_sink(const guint8 *data, gsize length, gpointer user_data, GError **error)
{
	return ph_tar_out_write(user_data, data, length, error);
}

/* A kept document streamed from the store; its SHA-256 is checked again on the way. */
static gboolean
ph_tar_append_kept(PhTarOut *out, const gchar *name, const PhArchiveKept *kept, PhFieldKeys *keys,
                   GError **error)
{
	return ph_tar_header(out, name, kept->size, error) &&
	       ph_document_store_read(kept->path, keys, kept->sha256, ph_tar_kept_sink, out,
	                              error) &&
	       ph_tar_pad(out, kept->size, error);
}

typedef struct {
	gchar *name;
	GBytes *bytes;
} PhTarMember;

static void
ph_tar_member_free(PhTarMember *member)
{
	g_free(member->name);
	g_bytes_unref(member->bytes);
	g_free(member);
}

static gboolean
ph_tar_invalid(GError **error, const gchar *why, gsize offset)
{
	g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
	            "archive package: %s at byte %" G_GSIZE_FORMAT, why, offset);
	return FALSE;
}

/* Reads the header at @offset; FALSE at the end marker (all zero) or on a bad header. */
static gboolean
ph_tar_read_header(GBytes *package, gsize offset, gchar **name, gsize *size, gboolean *end,
                   GError **error)
{
	gsize length = 0;
	const guint8 *data = g_bytes_get_data(package, &length);
	const guint8 *header = data + offset;
	static const guint8 zeros[PH_TAR_BLOCK] = {0};
	if (offset + PH_TAR_BLOCK > length)
		return ph_tar_invalid(error, "the container ends without its end marker", offset);
	*end = memcmp(header, zeros, PH_TAR_BLOCK) == 0;
	if (*end)
		return TRUE;
	gchar field[13] = {0};
	memcpy(field, header + 148, 8);
	if ((guint)g_ascii_strtoull(field, NULL, 8) != ph_tar_checksum(header))
		return ph_tar_invalid(error, "a member header's checksum is wrong", offset);
	if (header[156] != '0' && header[156] != '\0')
		return ph_tar_invalid(error, "a member is not a regular file", offset);
	memset(field, 0, sizeof(field));
	memcpy(field, header + 124, 12);
	*size = (gsize)g_ascii_strtoull(field, NULL, 8);
	if (*size > length - offset - PH_TAR_BLOCK)
		return ph_tar_invalid(error, "a member is longer than the container", offset);
	*name = g_strndup((const gchar *)header, 100);
	return TRUE;
}

static GPtrArray *
ph_tar_read(GBytes *package, GError **error)
{
	g_autoptr(GPtrArray) members =
	        g_ptr_array_new_with_free_func((GDestroyNotify)ph_tar_member_free);
	gsize offset = 0;
	for (;;) {
		gchar *name = NULL;
		gsize size = 0;
		gboolean end = FALSE;
		if (!ph_tar_read_header(package, offset, &name, &size, &end, error))
			return NULL;
		if (end)
			return g_steal_pointer(&members);
		PhTarMember *member = g_new0(PhTarMember, 1);
		member->name = name;
		member->bytes = g_bytes_new_from_bytes(package, offset + PH_TAR_BLOCK, size);
		g_ptr_array_add(members, member);
		offset += PH_TAR_BLOCK + (size + PH_TAR_BLOCK - 1) / PH_TAR_BLOCK * PH_TAR_BLOCK;
	}
}

/* ---- manifest ---- */

static gchar *
ph_archive_digest(PhDigestAlg alg, GBytes *bytes)
{
	gsize length = 0;
	const guint8 *data = g_bytes_get_data(bytes, &length);
	return ph_digest_hex(alg, data, length);
}

/* One <Document> line: from the bytes, or from a kept file's first pass. */
static gchar *
ph_archive_manifest_line(const PhArchiveDocument *document, const PhArchiveKept *kept)
{
	g_autofree gchar *sha256 = NULL;
	g_autofree gchar *sm3 = NULL;
	guint64 size;
	if (kept != NULL) {
		sha256 = g_strdup(kept->sha256);
		sm3 = g_strdup(kept->sm3);
		size = kept->size;
	} else {
		sha256 = ph_archive_digest(PH_DIGEST_SHA256, document->bytes);
		sm3 = ph_archive_digest(PH_DIGEST_SM3, document->bytes);
		size = g_bytes_get_size(document->bytes);
	}
	return g_markup_printf_escaped(
	        "<Document name=\"" PH_ARCHIVE_DIR "%s\" role=\"%s\" elementCode=\"%s\" "
	        "size=\"%" G_GUINT64_FORMAT "\" sha256=\"%s\" sm3=\"%s\"/>\n",
	        document->name, document->role, document->element_code, size, sha256, sm3);
}

static GBytes *
ph_archive_manifest(const PhArchiveCase *archive_case, const PhArchiveDocument *documents,
                    PhArchiveKept *const *kept, guint n_documents)
{
	GString *xml = g_string_new("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	g_autofree gchar *head = g_markup_printf_escaped(
	        "<ArchivePackage xmlns=\"" PH_ARCHIVE_NAMESPACE "\" format=\"PH-ARCHIVE-1\">\n"
	        "<Case type=\"%s\" id=\"%s\" closedAt=\"%s\" AAB034=\"%s\"/>\n",
	        archive_case->case_type, archive_case->case_id, archive_case->closed_at,
	        archive_case->agency != NULL ? archive_case->agency : "");
	g_string_append(xml, head);
	if (archive_case->person_id != 0) {
		g_autofree gchar *person = g_markup_printf_escaped(
		        "<Person AAC001=\"%" G_GINT64_FORMAT "\" AAC002=\"%s\" AAC003=\"%s\"/>\n",
		        archive_case->person_id,
		        archive_case->id_number != NULL ? archive_case->id_number : "",
		        archive_case->name != NULL ? archive_case->name : "");
		g_string_append(xml, person);
	}
	g_string_append(xml, "<Documents>\n");
	for (guint i = 0; i < n_documents; i++) {
		g_autofree gchar *line =
		        ph_archive_manifest_line(&documents[i], kept != NULL ? kept[i] : NULL);
		g_string_append(xml, line);
	}
	g_string_append(xml, "</Documents>\n</ArchivePackage>\n");
	return g_string_free_to_bytes(xml);
}

typedef struct {
	PhDigest *sm3;
	guint64 size;
} PhArchiveKeptPass;

static gboolean
ph_archive_kept_sink(const guint8 *data, gsize length, gpointer user_data, GError **error)
{
	PhArchiveKeptPass *pass = user_data;
	ph_digest_update(pass->sm3, data, length);
	pass->size += length;
	return TRUE;
}

/* The first pass over a kept file: its SHA-256 checked against the recorded one (a changed
 * or damaged file stops the package here), its SM3 and size for the manifest. */
static gboolean
ph_archive_kept_measure(PhArchiveKept *kept, PhFieldKeys *keys, GError **error)
{
	g_autoptr(PhDigest) sm3 = ph_digest_new(PH_DIGEST_SM3);
	PhArchiveKeptPass pass = {sm3, 0};
	if (!ph_document_store_read(kept->path, keys, kept->sha256, ph_archive_kept_sink, &pass,
	                            error))
		return FALSE;
	g_free(kept->sm3);
	kept->sm3 = g_strdup(ph_digest_get_hex(sm3));
	kept->size = pass.size;
	return TRUE;
}

static gboolean
ph_archive_package_write(PhTarOut *out, GBytes *signed_manifest, const PhArchiveDocument *documents,
                         PhArchiveKept *const *kept, guint n_documents, PhFieldKeys *keys,
                         GError **error)
{
	if (!ph_tar_append(out, PH_ARCHIVE_MANIFEST, signed_manifest, error))
		return FALSE;
	for (guint i = 0; i < n_documents; i++) {
		g_autofree gchar *name = g_strconcat(PH_ARCHIVE_DIR, documents[i].name, NULL);
		gboolean ok = kept != NULL && kept[i] != NULL
		                      ? ph_tar_append_kept(out, name, kept[i], keys, error)
		                      : ph_tar_append(out, name, documents[i].bytes, error);
		if (!ok)
			return FALSE;
	}
	static const guint8 end[2 * PH_TAR_BLOCK] = {0};
	return ph_tar_out_write(out, end, sizeof(end), error);
}

static GBytes *
ph_archive_package_errno(GError **error, const gchar *what, const gchar *path)
{
	int saved = errno;
	g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "archive package: cannot %s %s: %s", what,
	            path, g_strerror(saved));
	return NULL;
}

/* A file in @work_dir that never has a name (O_TMPFILE): the package holds every account and
 * ID number in the clear, and a hub killed while writing it must leave no such file behind.
 * A file system without unnamed files gets a named one unlinked before a byte is written. */
static int
ph_archive_package_open_unnamed(const gchar *work_dir, GError **error)
{
	int fd = open(work_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
		ph_archive_package_errno(error, "create a file in", work_dir);
		return -1;
	}
	g_autofree gchar *path = g_build_filename(work_dir, PH_ARCHIVE_WORK_PREFIX "XXXXXX", NULL);
	fd = g_mkstemp_full(path, O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		ph_archive_package_errno(error, "create", path);
		return -1;
	}
	/* a concurrent sweep may have removed it already: no name either way */
	if (g_unlink(path) != 0 && errno != ENOENT) {
		ph_archive_package_errno(error, "unlink", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* The package written to an unnamed file of @work_dir, handed back mapped: the page cache
 * holds it, not the heap, and the mapping keeps it until released. */
static GBytes *
ph_archive_package_write_file(GBytes *signed_manifest, const PhArchiveDocument *documents,
                              PhArchiveKept *const *kept, guint n_documents, PhFieldKeys *keys,
                              const gchar *work_dir, GError **error)
{
	if (g_mkdir_with_parents(work_dir, 0700) != 0)
		return ph_archive_package_errno(error, "create", work_dir);
	PhTarOut out = {NULL, ph_archive_package_open_unnamed(work_dir, error), work_dir};
	if (out.fd < 0)
		return NULL;
	GBytes *bytes = NULL;
	if (ph_archive_package_write(&out, signed_manifest, documents, kept, n_documents, keys,
	                             error)) {
		g_autoptr(GMappedFile) mapped = g_mapped_file_new_from_fd(out.fd, FALSE, error);
		if (mapped != NULL)
			bytes = g_mapped_file_get_bytes(mapped);
	}
	close(out.fd);
	return bytes;
}

guint
ph_archive_package_sweep(const gchar *work_dir)
{
	g_return_val_if_fail(work_dir != NULL, 0);
	g_autoptr(GDir) dir = g_dir_open(work_dir, 0, NULL);
	const gchar *name;
	guint removed = 0;
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		if (!g_str_has_prefix(name, PH_ARCHIVE_WORK_PREFIX) ||
		    strlen(name) != strlen(PH_ARCHIVE_WORK_PREFIX) + 6)
			continue;
		g_autofree gchar *path = g_build_filename(work_dir, name, NULL);
		if (g_file_test(path, G_FILE_TEST_IS_REGULAR) && g_unlink(path) == 0)
			removed++;
	}
	return removed;
}

GBytes *
ph_archive_package_build_kept(const PhArchiveCase *archive_case, const PhArchiveDocument *documents,
                              PhArchiveKept *const *kept, guint n_documents, PhFieldKeys *keys,
                              const gchar *work_dir, PhXmlSigner *signer, GError **error)
{
	g_return_val_if_fail(archive_case != NULL && signer != NULL, NULL);
	g_return_val_if_fail(documents != NULL || n_documents == 0, NULL);
	g_return_val_if_fail(kept == NULL || work_dir != NULL, NULL);
	gboolean any_kept = FALSE;
	for (guint i = 0; kept != NULL && i < n_documents; i++) {
		if (kept[i] != NULL && !ph_archive_kept_measure(kept[i], keys, error))
			return NULL;
		any_kept = any_kept || kept[i] != NULL;
	}
	g_autoptr(GBytes) manifest =
	        ph_archive_manifest(archive_case, documents, kept, n_documents);
	g_autoptr(GBytes) signed_manifest = ph_xml_signer_sign(signer, manifest, error);
	if (signed_manifest == NULL)
		return NULL;
	if (any_kept)
		return ph_archive_package_write_file(signed_manifest, documents, kept, n_documents,
		                                     keys, work_dir, error);
	g_autoptr(GByteArray) tar = g_byte_array_new();
	PhTarOut out = {tar, -1, NULL};
	if (!ph_archive_package_write(&out, signed_manifest, documents, NULL, n_documents, NULL,
	                              error))
		return NULL;
	return g_byte_array_free_to_bytes(g_steal_pointer(&tar));
}

GBytes *
ph_archive_package_build(const PhArchiveCase *archive_case, const PhArchiveDocument *documents,
                         guint n_documents, PhXmlSigner *signer, GError **error)
{
	return ph_archive_package_build_kept(archive_case, documents, NULL, n_documents, NULL, NULL,
	                                     signer, error);
}

void
ph_archive_kept_free(PhArchiveKept *kept)
{
	if (kept == NULL)
		return;
	g_free(kept->path);
	g_free(kept->sha256);
	g_free(kept->sm3);
	g_free(kept);
}

void
ph_archive_check_clear(PhArchiveCheck *check)
{
	g_clear_pointer(&check->case_type, g_free);
	g_clear_pointer(&check->case_id, g_free);
	g_clear_pointer(&check->signer, g_free);
	check->documents = 0;
}

static gboolean
ph_archive_invalid(GError **error, const gchar *name, const gchar *why)
{
	g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "archive document %s: %s", name, why);
	return FALSE;
}

/* Every listed document is the member of that name, once, with its size and digests. */
static gboolean
ph_archive_check_documents(PhXmlDoc *manifest, GPtrArray *members, GError **error)
{
	g_auto(GStrv) names = ph_xml_doc_get_attributes(manifest, "Documents/Document", "name");
	g_auto(GStrv) sizes = ph_xml_doc_get_attributes(manifest, "Documents/Document", "size");
	g_auto(GStrv) sha256 = ph_xml_doc_get_attributes(manifest, "Documents/Document", "sha256");
	g_auto(GStrv) sm3 = ph_xml_doc_get_attributes(manifest, "Documents/Document", "sm3");
	g_auto(GStrv) roles = ph_xml_doc_get_attributes(manifest, "Documents/Document", "role");
	static const gchar *const known_roles[] = {"inbound", "outbound", "generated", NULL};
	g_autoptr(GHashTable) listed = g_hash_table_new(g_str_hash, g_str_equal);
	for (guint i = 0; names[i] != NULL; i++) {
		if (!g_hash_table_add(listed, names[i]))
			return ph_archive_invalid(error, names[i], "listed twice in the manifest");
		if (roles[i] == NULL || !g_strv_contains(known_roles, roles[i]))
			return ph_archive_invalid(error, names[i],
			                          "role is not inbound, outbound or generated");
	}
	for (guint i = 1; i < members->len; i++) {
		PhTarMember *member = g_ptr_array_index(members, i);
		guint at = 0;
		while (names[at] != NULL && !g_str_equal(names[at], member->name))
			at++;
		if (names[at] == NULL)
			return ph_archive_invalid(error, member->name,
			                          "not listed in the manifest");
		g_autofree gchar *size =
		        g_strdup_printf("%" G_GSIZE_FORMAT, g_bytes_get_size(member->bytes));
		g_autofree gchar *our_sha256 = ph_archive_digest(PH_DIGEST_SHA256, member->bytes);
		g_autofree gchar *our_sm3 = ph_archive_digest(PH_DIGEST_SM3, member->bytes);
		if (!g_str_equal(size, sizes[at]))
			return ph_archive_invalid(error, member->name,
			                          "size differs from the manifest");
		if (!g_str_equal(our_sha256, sha256[at]))
			return ph_archive_invalid(error, member->name,
			                          "SHA-256 differs from the manifest");
		if (!g_str_equal(our_sm3, sm3[at]))
			return ph_archive_invalid(error, member->name,
			                          "SM3 differs from the manifest");
	}
	/* every member is listed once; a listed name without a member remains */
	if (g_hash_table_size(listed) != members->len - 1) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "archive package: the manifest lists %u documents, the container holds "
		            "%u",
		            g_hash_table_size(listed), members->len - 1);
		return FALSE;
	}
	return TRUE;
}

gboolean
ph_archive_package_verify(GBytes *package, PhXmlVerifier *verifier, PhArchiveCheck *out,
                          GError **error)
{
	g_return_val_if_fail(package != NULL && verifier != NULL && out != NULL, FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
	memset(out, 0, sizeof(*out));
	g_autoptr(GPtrArray) members = ph_tar_read(package, error);
	if (members == NULL)
		return FALSE;
	PhTarMember *first = members->len > 0 ? g_ptr_array_index(members, 0) : NULL;
	if (first == NULL || !g_str_equal(first->name, PH_ARCHIVE_MANIFEST))
		return ph_archive_invalid(error, PH_ARCHIVE_MANIFEST, "not the first member");
	const PhXmlLimits limits = {PH_ARCHIVE_MANIFEST_MAX, 8};
	g_autoptr(PhXmlDoc) manifest = ph_xml_doc_parse(first->bytes, &limits, error);
	if (manifest == NULL)
		return FALSE;
	if (!g_str_equal(ph_xml_doc_get_root_namespace(manifest), PH_ARCHIVE_NAMESPACE) ||
	    !g_str_equal(ph_xml_doc_get_root_name(manifest), "ArchivePackage"))
		return ph_archive_invalid(error, PH_ARCHIVE_MANIFEST,
		                          "not a PH-ARCHIVE-1 manifest");
	if (!ph_xml_verifier_verify(verifier, manifest, 0, &out->signer, error)) {
		g_prefix_error(error, "archive manifest signature: ");
		return FALSE;
	}
	if (!ph_archive_check_documents(manifest, members, error)) {
		ph_archive_check_clear(out);
		return FALSE;
	}
	g_auto(GStrv) type = ph_xml_doc_get_attributes(manifest, "Case", "type");
	g_auto(GStrv) id = ph_xml_doc_get_attributes(manifest, "Case", "id");
	out->case_type = g_strdup(type[0] != NULL ? type[0] : "");
	out->case_id = g_strdup(id[0] != NULL ? id[0] : "");
	out->documents = members->len - 1;
	return TRUE;
}
