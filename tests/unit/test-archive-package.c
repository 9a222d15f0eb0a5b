/* Archival packages PH-ARCHIVE-1 (issue 9 §2, §4): a package round trip, and corrupted
 * packages refused naming the problem (a document's byte, the manifest, a renamed member, a
 * cut container, another CA), also through `pensionctl archive verify`; a build killed with
 * SIGKILL while writing a package of kept files leaves no file in its work folder, and
 * leftovers of older builds are swept. Suite unit. */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pension-hub/ph-digest.h"

#include "ph-archive-package.h"
#include "ph-error.h"
#include "ph-unit-pki.h"

static gchar *pki;

static gchar *
pki_file(const gchar *name)
{
	return g_build_filename(pki, name, NULL);
}

/* A document with a NUL byte and a length not a multiple of 512 (the container pads). */
static const guint8 generated[] = {'P', 'A', 'Y', 0, 1, 2, 3, '\n'};
static const gchar inbound[] = "<TransferMessage><AIC102>12345.67</AIC102></TransferMessage>";

static PhXmlSigner *
new_signer(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *key = pki_file("signer.key");
	g_autofree gchar *certificate = pki_file("signer.crt");
	PhXmlSigner *signer = ph_xml_signer_new(key, certificate, &error);
	g_assert_no_error(error);
	return signer;
}

static const PhArchiveCase archive_case = {
        "transfer",    "T-2026-0001", "2026-11-27T12:00:00.000Z", 42, "11010519491231002X",
        "张三 & <李>", "110100000001"};

static GBytes *
build_package(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhXmlSigner) signer = new_signer();
	g_autoptr(GBytes) in = g_bytes_new_static(inbound, strlen(inbound));
	g_autoptr(GBytes) file = g_bytes_new_static(generated, sizeof(generated));
	g_autofree gchar *big_text = g_strnfill(512, 'x'); /* exactly one block */
	g_autoptr(GBytes) big = g_bytes_new(big_text, 512);
	const PhArchiveDocument documents[] = {
	        {"inbound-1.xml", "inbound", "AIC102", in},
	        {"payout-7.txt", "generated", "AAE010", file},
	        {"block.txt", "outbound", "AAC002", big},
	};
	GBytes *package = ph_archive_package_build(&archive_case, documents,
	                                           G_N_ELEMENTS(documents), signer, &error);
	g_assert_no_error(error);
	return package;
}

static GError *
verify_with(GBytes *package, const gchar *ca_name, PhArchiveCheck *check)
{
	GError *error = NULL;
	g_autofree gchar *ca = pki_file(ca_name);
	g_autoptr(PhXmlVerifier) verifier = ph_xml_verifier_new(ca, &error);
	g_assert_no_error(error);
	gboolean ok = ph_archive_package_verify(package, verifier, check, &error);
	g_assert_true(ok == (error == NULL));
	return error;
}

static void
test_round_trip(void)
{
	g_autoptr(GBytes) package = build_package();
	PhArchiveCheck check = {0};
	g_autoptr(GError) error = verify_with(package, "ca.crt", &check);
	g_assert_no_error(error);
	g_assert_cmpstr(check.case_type, ==, "transfer");
	g_assert_cmpstr(check.case_id, ==, "T-2026-0001");
	g_assert_cmpuint(check.documents, ==, 3);
	g_assert_nonnull(strstr(check.signer, "CN=signer"));
	ph_archive_check_clear(&check);
	/* a plain ustar container: every member starts on a 512-byte block, two zero blocks end */
	g_assert_cmpuint(g_bytes_get_size(package) % 512, ==, 0);
	const guint8 *data = g_bytes_get_data(package, NULL);
	g_assert_cmpmem(data, 12, "manifest.xml", 12);
	g_assert_cmpmem(data + 257, 5, "ustar", 5);
}

/* Byte position of @needle in @package (fails the test when absent). */
static gsize
find(GBytes *package, const void *needle, gsize length)
{
	gsize size = 0;
	const guint8 *data = g_bytes_get_data(package, &size);
	for (gsize at = 0; at + length <= size; at++) {
		if (memcmp(data + at, needle, length) == 0)
			return at;
	}
	g_assert_not_reached();
	return 0;
}

/* The header block of member @name (names also appear in the manifest: only 512-byte
 * boundaries count). */
static gsize
find_header(GBytes *package, const gchar *name)
{
	gsize size = 0;
	const guint8 *data = g_bytes_get_data(package, &size);
	for (gsize at = 0; at + 512 <= size; at += 512) {
		if (memcmp(data + at, name, strlen(name) + 1) == 0)
			return at;
	}
	g_assert_not_reached();
	return 0;
}

/* The byte at @at changed to another digit or letter. */
static guint8
other(GBytes *package, gsize at)
{
	const guint8 *data = g_bytes_get_data(package, NULL);
	return data[at] == '0' ? '1' : '0';
}

/* A copy of @package with byte @at replaced by @value. */
static GBytes *
patch(GBytes *package, gsize at, guint8 value)
{
	gsize size = 0;
	const guint8 *data = g_bytes_get_data(package, &size);
	guint8 *copy = g_memdup2(data, size);
	copy[at] = value;
	return g_bytes_new_take(copy, size);
}

/* Renames the member header at @header to @name and fixes its checksum, as a tool would. */
static GBytes *
rename_member(GBytes *package, gsize header, const gchar *name)
{
	gsize size = 0;
	const guint8 *data = g_bytes_get_data(package, &size);
	guint8 *copy = g_memdup2(data, size);
	memset(copy + header, 0, 100);
	memcpy(copy + header, name, strlen(name));
	guint sum = 0;
	for (guint i = 0; i < 512; i++)
		sum += i >= 148 && i < 156 ? ' ' : copy[header + i];
	g_snprintf((gchar *)copy + header + 148, 8, "%06o", sum);
	copy[header + 155] = ' ';
	return g_bytes_new_take(copy, size);
}

static void
test_corrupted(void)
{
	g_autoptr(GBytes) package = build_package();
	gsize document = find(package, inbound, strlen(inbound));
	gsize digest = find(package, "sha256=\"", 8) + 8;
	gsize block = find_header(package, "documents/block.txt");
	gsize size = g_bytes_get_size(package);
	g_autoptr(GBytes) cut = g_bytes_new_from_bytes(package, 0, size - 1024);
	const struct {
		const gchar *what;
		GBytes *package;
		const gchar *ca;
		const gchar *reason;
	} cases[] = {
	        {"a document's byte changed",
	         patch(package, document + 20, other(package, document + 20)), "ca.crt",
	         "archive document documents/inbound-1.xml: SHA-256 differs from the manifest"},
	        {"a manifest digest changed", patch(package, digest, other(package, digest)),
	         "ca.crt", "archive manifest signature: "},
	        {"a member renamed", rename_member(package, block, "documents/other.txt"), "ca.crt",
	         "archive document documents/other.txt: not listed in the manifest"},
	        {"the end marker cut off", g_bytes_ref(cut), "ca.crt",
	         "the container ends without its end marker"},
	        {"another CA", g_bytes_ref(package), "other-ca.crt",
	         "archive manifest signature: "},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		PhArchiveCheck check = {0};
		g_test_message("%s", cases[i].what);
		g_autoptr(GError) error = verify_with(cases[i].package, cases[i].ca, &check);
		g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
		g_test_message("  %s", error->message);
		g_assert_nonnull(strstr(error->message, cases[i].reason));
		g_assert_null(check.case_id);
		g_bytes_unref(cases[i].package);
	}
}

static gint
run_ctl(const gchar *package_path, gchar **out)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *ctl =
	        g_build_filename(g_getenv("PH_BUILD_DIR"), "hub", "pensionctl", NULL);
	g_autofree gchar *ca = pki_file("ca.crt");
	const gchar *argv[] = {ctl, "archive", "verify", package_path, "--ca", ca, NULL};
	g_autofree gchar *err = NULL;
	g_autofree gchar *stdout_text = NULL;
	gint status = 0;
	g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &stdout_text, &err,
	             &status, &error);
	g_assert_no_error(error);
	*out = g_strconcat(stdout_text, err, NULL);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Offline, as an archivist runs it: exit 0 and what was checked, or 1 naming the problem. */
static void
test_cli(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) package = build_package();
	g_autofree gchar *path = pki_file("package.tar");
	g_autofree gchar *ok = NULL;
	g_autofree gchar *bad = NULL;
	g_assert_true(g_file_set_contents(path, g_bytes_get_data(package, NULL),
	                                  (gssize)g_bytes_get_size(package), &error));
	g_assert_cmpint(run_ctl(path, &ok), ==, 0);
	g_assert_nonnull(strstr(ok, ": ok: transfer case T-2026-0001, 3 documents"));
	gsize at = find(package, generated, sizeof(generated));
	g_autoptr(GBytes) broken = patch(package, at + 1, 'Z');
	g_assert_true(g_file_set_contents(path, g_bytes_get_data(broken, NULL),
	                                  (gssize)g_bytes_get_size(broken), &error));
	g_assert_cmpint(run_ctl(path, &bad), ==, 1);
	g_assert_nonnull(strstr(bad, "documents/payout-7.txt: SHA-256 differs"));
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const gchar *const *)a, *(const gchar *const *)b);
}

/* The names in @dir, sorted and joined with spaces ("" when empty). */
static gchar *
list_dir(const gchar *dir)
{
	g_autoptr(GDir) listing = g_dir_open(dir, 0, NULL);
	g_assert_nonnull(listing);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const gchar *name;
	while ((name = g_dir_read_name(listing)) != NULL)
		g_ptr_array_add(names, g_strdup(name));
	g_ptr_array_sort(names, compare_names);
	g_ptr_array_add(names, NULL);
	return g_strjoinv(" ", (gchar **)names->pdata);
}

/* Whether process @pid has a file of @dir open (its descriptors as /proc shows them). */
static gboolean
has_file_open_in(GPid pid, const gchar *dir)
{
	g_autofree gchar *fds = g_strdup_printf("/proc/%d/fd", (int)pid);
	g_autoptr(GDir) listing = g_dir_open(fds, 0, NULL);
	g_assert_nonnull(listing);
	g_autofree gchar *prefix = g_strconcat(dir, "/", NULL);
	const gchar *name;
	while ((name = g_dir_read_name(listing)) != NULL) {
		g_autofree gchar *link = g_build_filename(fds, name, NULL);
		g_autofree gchar *target = g_file_read_link(link, NULL);
		if (target != NULL && g_str_has_prefix(target, prefix))
			return TRUE;
	}
	return FALSE;
}

/* Opens the FIFO @path for writing (it returns once the builder opened it for reading) and
 * writes @length bytes of @data; closed unless @keep_open. */
static int
feed_fifo(const gchar *path, const gchar *data, gsize length, gboolean keep_open)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(write(fd, data, length), ==, (gssize)length);
	if (!keep_open) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A hub killed (SIGKILL) while it writes a package of kept files: its work folder (the
 * documents folder) holds no file before or after, though the package was half written with
 * the person's ID number and a kept file's bytes in it. The two kept files are FIFOs that this
 * test feeds, so that the build stops at a known point. The builder opens them in the order
 * A, B (first pass: measured), A, B (second pass: into the package); a writer's open returns
 * once the reader opened, so when A opens the second time the first pass over B is done and
 * the manifest is written. With a named temporary file (before the fix) the listing mid-way
 * shows package-XXXXXX and the test fails. */
static void
test_killed_mid_build(void)
{
	g_autofree gchar *work = pki_file("work");
	g_assert_cmpint(g_mkdir(work, 0700), ==, 0);
	static const gchar content[] = "D00000001110105197001010193 6222020200000000001 350001\r\n";
	g_autofree gchar *sha256 = ph_digest_hex(PH_DIGEST_SHA256, content, strlen(content));
	g_autofree gchar *fifo_a = pki_file("kept-a.bin");
	g_autofree gchar *fifo_b = pki_file("kept-b.bin");
	g_assert_cmpint(mkfifo(fifo_a, 0600), ==, 0);
	g_assert_cmpint(mkfifo(fifo_b, 0600), ==, 0);
	g_autoptr(PhXmlSigner) signer = new_signer();
	g_autoptr(GBytes) unused = g_bytes_new_static("", 0);
	const PhArchiveDocument documents[] = {
	        {"outbound-bank-A.txt", "outbound", "AAE002", unused},
	        {"outbound-bank-B.txt", "outbound", "AAE002", unused}};
	PhArchiveKept kept_a = {fifo_a, sha256, 0, NULL}, kept_b = {fifo_b, sha256, 0, NULL};
	PhArchiveKept *const kept[] = {&kept_a, &kept_b};
	pid_t child = fork();
	g_assert_cmpint(child, >=, 0);
	if (child == 0) {
		GBytes *package = ph_archive_package_build_kept(&archive_case, documents, kept, 2,
		                                                NULL, work, signer, NULL);
		_exit(package != NULL ? 0 : 1);
	}
	feed_fifo(fifo_a, content, strlen(content), FALSE);
	feed_fifo(fifo_b, content, strlen(content), FALSE);
	int held = feed_fifo(fifo_a, content, strlen(content) / 2, TRUE);
	g_assert_true(has_file_open_in(child, work)); /* the package, mid-way */
	g_autofree gchar *during = list_dir(work);
	g_assert_cmpstr(during, ==, "");
	g_assert_cmpint(kill(child, SIGKILL), ==, 0);
	int status = 0;
	g_assert_cmpint(waitpid(child, &status, 0), ==, child);
	g_assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	close(held);
	g_autofree gchar *after = list_dir(work);
	g_assert_cmpstr(after, ==, "");
	g_unlink(fifo_a);
	g_unlink(fifo_b);
	g_rmdir(work);
}

/* Leftovers of builds before unnamed files (package-XXXXXX) are removed; nothing else. */
static void
test_sweep(void)
{
	g_autofree gchar *work = pki_file("sweep");
	g_assert_cmpint(g_mkdir(work, 0700), ==, 0);
	const gchar *const files[] = {"package-Ab12Cd", "package-seven77", "0123abcd.gcm"};
	for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
		g_autofree gchar *path = g_build_filename(work, files[i], NULL);
		g_assert_true(g_file_set_contents(path, "x", -1, NULL));
	}
	g_assert_cmpuint(ph_archive_package_sweep(work), ==, 1);
	g_autofree gchar *left = list_dir(work);
	g_assert_cmpstr(left, ==, "0123abcd.gcm package-seven77");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	pki = ph_unit_pki_make();
	g_test_add_func("/archive-package/round-trip", test_round_trip);
	g_test_add_func("/archive-package/corrupted", test_corrupted);
	g_test_add_func("/archive-package/cli", test_cli);
	g_test_add_func("/archive-package/killed-mid-build", test_killed_mid_build);
	g_test_add_func("/archive-package/sweep", test_sweep);
	int status = g_test_run();
	ph_unit_pki_remove(pki);
	return status;
}
