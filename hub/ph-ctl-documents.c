/* pensionctl documents list [--before DATE] | prune --before DATE [--dry-run] | orphans
 * [--older-than-hours N] [--remove]: the files the hub keeps in its document store
 * (kept_document, ph-document-store.h) for the archive, their removal once they are archived
 * and old enough (docs/security.md, "Kept documents"), and the store's files no row names.
 * pensionctl only. */
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ph-config.h"
#include "ph-ctl-store.h"
#include "ph-ctl.h"
#include "ph-document-orphan.h"
#include "ph-document-store.h"
#include "ph-sql-value.h"

#define PH_CTL_DOCUMENTS_USAGE                                                                     \
	"documents list [--before YYYY-MM-DD] | prune --before YYYY-MM-DD [--dry-run] | orphans "  \
	"[--older-than-hours N] [--remove]"

/* A file stored but not yet recorded belongs to a keep still in progress: only older ones
 * are orphans (a booking whose commit failed, a .part a killed hub never took up again). */
#define PH_CTL_DOCUMENTS_ORPHAN_HOURS 24

/* The payout batch of a kept file: its own, or for a result file the batch its booking named. */
#define PH_CTL_DOCUMENTS_BATCH                                                                     \
	"coalesce(k.batch_no, (SELECT f.batch_no FROM payout_result_file f WHERE f.bank = k.bank " \
	"AND f.name = k.name AND f.digest = k.digest AND f.batch_no IS NOT NULL LIMIT 1))"

/* A kept file may go once it is older than the date and no payout package that may need it
 * is still waiting for the archive (pending in the outbox of topic archive.package). */
#define PH_CTL_DOCUMENTS_PRUNABLE                                                                  \
	"k.kept_at < $1::date AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.topic = "             \
	"'archive.package' AND o.state = 'pending' AND o.key LIKE 'payout\\_due:%')"

static gboolean
ph_ctl_documents_date(const gchar *text, GError **error)
{
	g_autoptr(GDateTime) when = NULL;
	if (text != NULL) {
		g_autofree gchar *iso = g_strconcat(text, "T00:00:00Z", NULL);
		when = g_date_time_new_from_iso8601(iso, NULL);
	}
	if (when == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "--before '%s': not a date YYYY-MM-DD", text != NULL ? text : "");
		return FALSE;
	}
	return TRUE;
}

static int
ph_ctl_documents_list(PhCtl *ctl, int argc, char **argv)
{
	g_autofree gchar *before = NULL;
	g_autoptr(GError) error = NULL;
	const GOptionEntry entries[] = {
	        {"before", 0, 0, G_OPTION_ARG_STRING, &before, "kept before this day",
	         "YYYY-MM-DD"},
	        {NULL},
	};
	if (!ph_ctl_store_parse(PH_CTL_DOCUMENTS_USAGE, entries, &argc, &argv) || argc != 1)
		return ph_ctl_usage(PH_CTL_DOCUMENTS_USAGE);
	if (before != NULL && !ph_ctl_documents_date(before, &error))
		return ph_ctl_fail(error);
	PhDb *db = ph_ctl_store_db(ctl);
	if (db == NULL)
		return PH_CTL_EXIT_FAILED;
	const gchar *params[] = {before != NULL ? before : "infinity"};
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "SELECT k.kept_at::date, coalesce(lpad(" PH_CTL_DOCUMENTS_BATCH
	        "::text, 10, '0'), '-'), k.role, k.bank, k.name, k.size, k.sha256, "
	        "coalesce(k.key_id, "
	        "'plaintext'), k.store_file FROM kept_document k WHERE k.kept_at < $1::date "
	        "ORDER BY k.id",
	        1, params, &error);
	if (result == NULL)
		return ph_ctl_fail(error);
	g_print("%-10s  %-10s  %-6s  %-6s  %12s  %-9s  %s\n", "kept", "batch", "role", "bank",
	        "bytes", "sealed", "name (sha256)");
	for (gint row = 0; row < PQntuples(result); row++)
		g_print("%-10s  %-10s  %-6s  %-6s  %12s  %-9s  %s (%.16s…)\n",
		        PQgetvalue(result, row, 0), PQgetvalue(result, row, 1),
		        PQgetvalue(result, row, 2), PQgetvalue(result, row, 3),
		        PQgetvalue(result, row, 5), PQgetvalue(result, row, 7),
		        PQgetvalue(result, row, 4), PQgetvalue(result, row, 6));
	g_print("%d kept files\n", PQntuples(result));
	return PH_CTL_EXIT_OK;
}

/* Deletes the rows (audited, one transaction), then the files no remaining row names. */
static gboolean
ph_ctl_documents_prune_rows(PhCtl *ctl, PhDb *db, const gchar *before, const gchar *dir,
                            guint *files, GError **error)
{
	const gchar *params[] = {before};
	if (!ph_db_begin(db, error))
		return FALSE;
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "WITH gone AS (DELETE FROM kept_document k WHERE " PH_CTL_DOCUMENTS_PRUNABLE
	        " RETURNING id, store_file) SELECT DISTINCT g.store_file FROM gone g WHERE NOT "
	        "EXISTS "
	        /* the statement still sees the rows it deletes: a file goes when no other names it
	         */
	        "(SELECT 1 FROM kept_document k WHERE k.store_file = g.store_file AND k.id NOT IN "
	        "(SELECT id FROM gone))",
	        1, params, error);
	g_autofree gchar *object = g_strdup_printf("kept documents before %s", before);
	if (result == NULL || !ph_ctl_audit(ctl, db, "documents-prune", object, NULL, error) ||
	    !ph_db_commit(db, error)) {
		ph_db_rollback(db);
		return FALSE;
	}
	for (gint row = 0; row < PQntuples(result); row++) {
		g_autofree gchar *path = g_build_filename(dir, PQgetvalue(result, row, 0), NULL);
		if (g_unlink(path) == 0)
			(*files)++;
		else
			g_printerr("pensionctl: cannot remove %s: %s\n", path, g_strerror(errno));
	}
	return TRUE;
}

static int
ph_ctl_documents_prune(PhCtl *ctl, int argc, char **argv)
{
	g_autofree gchar *before = NULL;
	gboolean dry_run = FALSE;
	g_autoptr(GError) error = NULL;
	const GOptionEntry entries[] = {
	        {"before", 0, 0, G_OPTION_ARG_STRING, &before, "kept before this day",
	         "YYYY-MM-DD"},
	        {"dry-run", 0, 0, G_OPTION_ARG_NONE, &dry_run, "only count what would go", NULL},
	        {NULL},
	};
	if (!ph_ctl_store_parse(PH_CTL_DOCUMENTS_USAGE, entries, &argc, &argv) || argc != 1)
		return ph_ctl_usage(PH_CTL_DOCUMENTS_USAGE);
	PhConfig *config = ph_ctl_config(ctl, &error);
	if (config == NULL || !ph_ctl_documents_date(before, &error))
		return ph_ctl_fail(error);
	PhDb *db = ph_ctl_store_db(ctl);
	if (db == NULL)
		return PH_CTL_EXIT_FAILED;
	if (dry_run) {
		const gchar *params[] = {before};
		g_autoptr(PGresult) result = ph_db_query(
		        db, "SELECT count(*) FROM kept_document k WHERE " PH_CTL_DOCUMENTS_PRUNABLE,
		        1, params, &error);
		if (result == NULL)
			return ph_ctl_fail(error);
		g_print("%s kept files would be removed\n", PQgetvalue(result, 0, 0));
		return PH_CTL_EXIT_OK;
	}
	g_autofree gchar *dir = ph_document_store_dir(config);
	guint files = 0;
	if (!ph_ctl_documents_prune_rows(ctl, db, before, dir, &files, &error))
		return ph_ctl_fail(error);
	g_print("%u kept files removed from %s\n", files, dir);
	return PH_CTL_EXIT_OK;
}

/* The store files kept_document names. */
static GHashTable *
ph_ctl_documents_recorded(PhDb *db, GError **error)
{
	g_autoptr(PGresult) result =
	        ph_db_query(db, "SELECT DISTINCT store_file FROM kept_document", 0, NULL, error);
	return result != NULL ? ph_sql_value_set(result, 0) : NULL;
}

/* Whether @name in @dir is a file of the store's own (the archive's work files and anything
 * else are not ours to judge) that no row names, last written before @cutoff_us
 * (ph_document_orphan_written_us); its size then in @size. */
static gboolean
ph_ctl_documents_is_orphan(const gchar *dir, const gchar *name, GHashTable *recorded,
                           gint64 cutoff_us, gint64 *size)
{
	if (!ph_document_orphan_is_store_file(name) || g_hash_table_contains(recorded, name))
		return FALSE;
	g_autofree gchar *path = g_build_filename(dir, name, NULL);
	GStatBuf st;
	if (g_lstat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
	    ph_document_orphan_written_us(&st) >= cutoff_us)
		return FALSE;
	*size = st.st_size;
	return TRUE;
}

/* A file an interrupted removal set aside (@name is a store file's name and .sweep): with
 * --remove it is settled, put back when a row names it (whatever its age); listed either
 * way. Counted in @found when removed, in @failed when it could not be settled (printed;
 * the sweep goes on). */
static void
ph_ctl_documents_aside(const gchar *dir, const gchar *name, GHashTable *recorded, gint64 cutoff,
                       gboolean remove, guint *found, guint *failed)
{
	g_autofree gchar *base = g_strndup(name, strlen(name) - strlen(PH_DOCUMENT_ORPHAN_ASIDE));
	if (!ph_document_orphan_is_store_file(base))
		return; /* not one of ours: never touched */
	gboolean named = g_hash_table_contains(recorded, base);
	gboolean removed = FALSE;
	g_autoptr(GError) error = NULL;
	if (remove &&
	    !ph_document_orphan_settle(dir, base, named ? G_MININT64 : cutoff, &removed, &error)) {
		g_printerr("pensionctl: %s\n", error->message);
		(*failed)++;
		return;
	}
	g_print("%s  set aside by an interrupted removal%s\n", name,
	        !remove   ? ""
	        : removed ? ", removed"
	                  : ", put back");
	*found += removed;
}

/* Lists (or removes) the orphans of @dir; their count in @found, the files that could not be
 * removed (or put back) in @failed. */
static gboolean
ph_ctl_documents_sweep(const gchar *dir, GHashTable *recorded, gint64 cutoff, gboolean remove,
                       guint *found, guint *failed, GError **error)
{
	g_autoptr(GDir) folder = g_dir_open(dir, 0, error);
	if (folder == NULL)
		return FALSE;
	const gchar *name;
	while ((name = g_dir_read_name(folder)) != NULL) {
		gint64 size = 0;
		gboolean removed = FALSE;
		g_autofree gchar *path = g_build_filename(dir, name, NULL);
		/* one this sweep set aside is settled already, and gone */
		if (g_str_has_suffix(name, PH_DOCUMENT_ORPHAN_ASIDE) &&
		    g_file_test(path, G_FILE_TEST_EXISTS)) {
			ph_ctl_documents_aside(dir, name, recorded, cutoff, remove, found, failed);
			continue;
		}
		if (!ph_ctl_documents_is_orphan(dir, name, recorded, cutoff, &size))
			continue;
		/* one file that cannot be removed does not stop the others, nor their audit */
		g_autoptr(GError) failure = NULL;
		if (remove && !ph_document_orphan_remove(dir, name, cutoff, &removed, &failure)) {
			g_printerr("pensionctl: %s\n", failure->message);
			(*failed)++;
			continue;
		}
		if (remove && !removed)
			continue; /* a keep wrote it again since it was looked at: it stays */
		g_print("%s  %" G_GINT64_FORMAT " bytes%s\n", name, size,
		        remove ? "  removed" : "");
		(*found)++;
	}
	return TRUE;
}

static int
ph_ctl_documents_orphans(PhCtl *ctl, int argc, char **argv)
{
	gint hours = PH_CTL_DOCUMENTS_ORPHAN_HOURS;
	gboolean remove = FALSE;
	g_autoptr(GError) error = NULL;
	const GOptionEntry entries[] = {
	        {"older-than-hours", 0, 0, G_OPTION_ARG_INT, &hours,
	         "last written at least this long ago (default 24)", "N"},
	        {"remove", 0, 0, G_OPTION_ARG_NONE, &remove, "remove them (audited)", NULL},
	        {NULL},
	};
	if (!ph_ctl_store_parse(PH_CTL_DOCUMENTS_USAGE, entries, &argc, &argv) || argc != 1 ||
	    hours < 1)
		return ph_ctl_usage(PH_CTL_DOCUMENTS_USAGE);
	PhConfig *config = ph_ctl_config(ctl, &error);
	if (config == NULL)
		return ph_ctl_fail(error);
	PhDb *db = ph_ctl_store_db(ctl);
	if (db == NULL)
		return PH_CTL_EXIT_FAILED;
	g_autofree gchar *dir = ph_document_store_dir(config);
	g_autoptr(GHashTable) recorded = ph_ctl_documents_recorded(db, &error);
	gint64 cutoff = g_get_real_time() - (gint64)hours * 3600 * G_USEC_PER_SEC;
	guint found = 0, failed = 0;
	if (recorded == NULL ||
	    !ph_ctl_documents_sweep(dir, recorded, cutoff, remove, &found, &failed, &error))
		return ph_ctl_fail(error);
	g_autofree gchar *object = g_strdup_printf(
	        "%u orphaned files in %s, %u could not be removed", found, dir, failed);
	if (remove && !ph_ctl_audit(ctl, db, "documents-orphans-removed", object, NULL, &error))
		return ph_ctl_fail(error);
	g_print("%u files in %s named by no kept document%s\n", found, dir,
	        remove ? ", removed" : "");
	/* audited first; then the operator (or cron) learns that some are left */
	if (failed > 0) {
		g_printerr("pensionctl: %u files could not be removed or put back (see above)\n",
		           failed);
		return PH_CTL_EXIT_FAILED;
	}
	return PH_CTL_EXIT_OK;
}

int
ph_ctl_documents_main(PhCtl *ctl, int argc, char **argv)
{
	if (argc >= 2 && g_str_equal(argv[1], "list"))
		return ph_ctl_documents_list(ctl, argc - 1, argv + 1);
	if (argc >= 2 && g_str_equal(argv[1], "prune"))
		return ph_ctl_documents_prune(ctl, argc - 1, argv + 1);
	if (argc >= 2 && g_str_equal(argv[1], "orphans"))
		return ph_ctl_documents_orphans(ctl, argc - 1, argv + 1);
	return ph_ctl_usage(PH_CTL_DOCUMENTS_USAGE);
}
