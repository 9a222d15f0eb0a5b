/* Applies and lists the numbered SQL migrations. Core store layer; called by pensionctl
 * and tests. The files are the truth for what should exist, schema_migrations for what
 * does; a changed applied file is refused rather than silently ignored. */
#include "ph-migrate.h"

#include "ph-build-config.h"
#include "ph-sql-value.h"

#include <stdlib.h>
#include <string.h>

/* Any fixed key: it only has to be the same for every process migrating one database. */
#define PH_MIGRATE_LOCK_SQL   "SELECT pg_advisory_lock(7064001)"
#define PH_MIGRATE_UNLOCK_SQL "SELECT pg_advisory_unlock(7064001)"

typedef struct {
	guint version;
	gchar *name;
	gchar *sql;
	gchar *checksum;
} PhMigrationFile;

static void
ph_migrate_file_free(PhMigrationFile *file)
{
	g_free(file->name);
	g_free(file->sql);
	g_free(file->checksum);
	g_free(file);
}

void
ph_migration_free(PhMigration *migration)
{
	if (migration == NULL)
		return;
	g_free(migration->name);
	g_free(migration->checksum);
	g_free(migration->applied_at);
	g_free(migration);
}

const gchar *
ph_migrate_dir(void)
{
	const gchar *dir = g_getenv("PH_MIGRATIONS_DIR");
	if (dir != NULL && dir[0] != '\0')
		return dir;
	/* A build run from its tree uses the tree's files; an installed one the copies. */
	if (g_file_test(PH_SOURCE_DIR "/core/migrations", G_FILE_TEST_IS_DIR))
		return PH_SOURCE_DIR "/core/migrations";
	return PH_DATADIR "/migrations";
}

/* NNNN_name.sql → NNNN; FALSE for any other *.sql name, so a typo is not skipped. */
static gboolean
ph_migrate_parse_name(const gchar *name, guint *version)
{
	gsize length = strlen(name);
	if (length < strlen("0000_x.sql") || name[4] != '_')
		return FALSE;
	for (guint i = 0; i < 4; i++) {
		if (!g_ascii_isdigit(name[i]))
			return FALSE;
	}
	for (const gchar *c = name + 5; c < name + length - strlen(".sql"); c++) {
		if (!g_ascii_islower(*c) && !g_ascii_isdigit(*c) && *c != '_')
			return FALSE;
	}
	*version = (guint)strtoul(name, NULL, 10);
	return TRUE;
}

static gint
ph_migrate_file_compare(gconstpointer a, gconstpointer b)
{
	const PhMigrationFile *left = *(PhMigrationFile *const *)a;
	const PhMigrationFile *right = *(PhMigrationFile *const *)b;
	return left->version < right->version ? -1 : left->version > right->version;
}

static PhMigrationFile *
ph_migrate_load_file(const gchar *dir, const gchar *name, guint version, GError **error)
{
	g_autofree gchar *path = g_build_filename(dir, name, NULL);
	g_autofree gchar *sql = NULL;
	gsize length = 0;
	if (!g_file_get_contents(path, &sql, &length, error)) {
		g_prefix_error(error, "migration %s: ", name);
		return NULL;
	}
	PhMigrationFile *file = g_new0(PhMigrationFile, 1);
	file->version = version;
	file->name = g_strdup(name);
	file->checksum =
	        g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)sql, length);
	file->sql = g_steal_pointer(&sql);
	return file;
}

/* The migration files of @dir in version order. */
static GPtrArray *
ph_migrate_scan(const gchar *dir, GError **error)
{
	g_autoptr(GDir) folder = g_dir_open(dir, 0, error);
	if (folder == NULL) {
		g_prefix_error(error, "migrations folder: ");
		return NULL;
	}
	g_autoptr(GPtrArray) files =
	        g_ptr_array_new_with_free_func((GDestroyNotify)ph_migrate_file_free);
	g_autoptr(GHashTable) versions = g_hash_table_new(g_direct_hash, g_direct_equal);
	const gchar *name;
	while ((name = g_dir_read_name(folder)) != NULL) {
		guint version = 0;
		if (!g_str_has_suffix(name, ".sql"))
			continue;
		if (!ph_migrate_parse_name(name, &version)) {
			g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
			            "migration %s in %s: name is not NNNN_lowercase_name.sql", name,
			            dir);
			return NULL;
		}
		if (!g_hash_table_add(versions, GUINT_TO_POINTER(version))) {
			g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
			            "migration %s in %s: version %04u is used twice", name, dir,
			            version);
			return NULL;
		}
		PhMigrationFile *file = ph_migrate_load_file(dir, name, version, error);
		if (file == NULL)
			return NULL;
		g_ptr_array_add(files, file);
	}
	g_ptr_array_sort(files, ph_migrate_file_compare);
	return g_steal_pointer(&files);
}

static PhMigrationFile *
ph_migrate_find_file(GPtrArray *files, guint version)
{
	for (guint i = 0; i < files->len; i++) {
		PhMigrationFile *file = g_ptr_array_index(files, i);
		if (file->version == version)
			return file;
	}
	return NULL;
}

/* Rows of schema_migrations (version, name, checksum, applied_at) or an empty result
 * when the table does not exist yet. */
static PGresult *
ph_migrate_read_applied(PhDb *db, GError **error)
{
	g_autoptr(PGresult) exists = ph_db_query(
	        db, "SELECT to_regclass('schema_migrations') IS NOT NULL", 0, NULL, error);
	if (exists == NULL)
		return NULL;
	if (g_strcmp0(PQgetvalue(exists, 0, 0), "t") != 0)
		return ph_db_query(db, "SELECT NULL::int, NULL, NULL, NULL WHERE false", 0, NULL,
		                   error);
	return ph_db_query(db,
	                   "SELECT version, name, checksum, " PH_SQL_UTC(
	                           "applied_at") " FROM schema_migrations ORDER BY version",
	                   0, NULL, error);
}

/* An applied migration must still have its file, byte for byte. */
static gboolean
ph_migrate_check_applied(PGresult *applied, GPtrArray *files, const gchar *dir, GError **error)
{
	for (gint row = 0; row < PQntuples(applied); row++) {
		guint version = (guint)ph_db_get_int64(applied, row, 0);
		const gchar *name = PQgetvalue(applied, row, 1);
		const gchar *checksum = PQgetvalue(applied, row, 2);
		PhMigrationFile *file = ph_migrate_find_file(files, version);
		if (file == NULL) {
			g_set_error(error, PH_ERROR, PH_ERROR_CONFLICT,
			            "migration %s is applied but its file is missing from %s", name,
			            dir);
			return FALSE;
		}
		if (g_strcmp0(file->checksum, checksum) != 0) {
			g_set_error(
			        error, PH_ERROR, PH_ERROR_CONFLICT,
			        "migration file %s/%s changed after it was applied "
			        "(recorded sha256 %s, file now %s); add a new migration instead",
			        dir, file->name, checksum, file->checksum);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
ph_migrate_apply_file(PhDb *db, PhMigrationFile *file, GError **error)
{
	g_autofree gchar *version = g_strdup_printf("%u", file->version);
	const gchar *params[] = {version, file->name, file->checksum};
	g_autoptr(PGresult) result = NULL;

	if (!ph_db_begin(db, error))
		return FALSE;
	if (!ph_db_exec(db, file->sql, error))
		goto fail;
	result = ph_db_query(db,
	                     "INSERT INTO schema_migrations (version, name, checksum) "
	                     "VALUES ($1, $2, $3)",
	                     3, params, error);
	if (result == NULL || !ph_db_commit(db, error))
		goto fail;
	g_info("applied migration %s", file->name);
	return TRUE;
fail:
	ph_db_rollback(db);
	g_prefix_error(error, "migration %s: ", file->name);
	return FALSE;
}

static gboolean
ph_migrate_apply_locked(PhDb *db, const gchar *dir, GPtrArray *applied_now, GError **error)
{
	g_autoptr(GPtrArray) files = NULL;
	g_autoptr(PGresult) applied = NULL;

	if (!ph_db_exec(db,
	                "CREATE TABLE IF NOT EXISTS schema_migrations ("
	                "version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, "
	                "applied_at timestamptz NOT NULL DEFAULT now())",
	                error))
		return FALSE;
	files = ph_migrate_scan(dir, error);
	if (files == NULL)
		return FALSE;
	applied = ph_migrate_read_applied(db, error);
	if (applied == NULL || !ph_migrate_check_applied(applied, files, dir, error))
		return FALSE;
	for (guint i = 0; i < files->len; i++) {
		PhMigrationFile *file = g_ptr_array_index(files, i);
		gboolean done = FALSE;
		for (gint row = 0; row < PQntuples(applied) && !done; row++)
			done = (guint)ph_db_get_int64(applied, row, 0) == file->version;
		if (done)
			continue;
		if (!ph_migrate_apply_file(db, file, error))
			return FALSE;
		if (applied_now != NULL)
			g_ptr_array_add(applied_now, g_strdup(file->name));
	}
	return TRUE;
}

gboolean
ph_migrate_apply(PhDb *db, const gchar *dir, GPtrArray **applied, GError **error)
{
	g_return_val_if_fail(db != NULL && dir != NULL, FALSE);
	g_autoptr(GPtrArray) applied_now = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(PGresult) locked = ph_db_query(db, PH_MIGRATE_LOCK_SQL, 0, NULL, error);
	if (locked == NULL)
		return FALSE;
	ph_db_hold_session(db);
	gboolean ok = ph_migrate_apply_locked(db, dir, applied_now, error);
	g_autoptr(PGresult) unlocked = ph_db_query(db, PH_MIGRATE_UNLOCK_SQL, 0, NULL, NULL);
	ph_db_release_session(db);
	if (ok && applied != NULL)
		*applied = g_steal_pointer(&applied_now);
	return ok;
}

static gint
ph_migration_compare(gconstpointer a, gconstpointer b)
{
	const PhMigration *left = *(PhMigration *const *)a;
	const PhMigration *right = *(PhMigration *const *)b;
	return left->version < right->version ? -1 : left->version > right->version;
}

GPtrArray *
ph_migrate_status(PhDb *db, const gchar *dir, GError **error)
{
	g_return_val_if_fail(db != NULL && dir != NULL, NULL);
	g_autoptr(GPtrArray) files = ph_migrate_scan(dir, error);
	if (files == NULL)
		return NULL;
	g_autoptr(PGresult) applied = ph_migrate_read_applied(db, error);
	if (applied == NULL)
		return NULL;
	g_autoptr(GPtrArray) list =
	        g_ptr_array_new_with_free_func((GDestroyNotify)ph_migration_free);
	for (guint i = 0; i < files->len; i++) {
		PhMigrationFile *file = g_ptr_array_index(files, i);
		PhMigration *migration = g_new0(PhMigration, 1);
		migration->version = file->version;
		migration->name = g_strdup(file->name);
		migration->checksum = g_strdup(file->checksum);
		g_ptr_array_add(list, migration);
	}
	for (gint row = 0; row < PQntuples(applied); row++) {
		guint version = (guint)ph_db_get_int64(applied, row, 0);
		PhMigration *migration = NULL;
		for (guint i = 0; i < list->len && migration == NULL; i++) {
			PhMigration *candidate = g_ptr_array_index(list, i);
			if (candidate->version == version)
				migration = candidate;
		}
		if (migration == NULL) {
			migration = g_new0(PhMigration, 1);
			migration->version = version;
			migration->name = g_strdup(PQgetvalue(applied, row, 1));
			migration->missing = TRUE;
			g_ptr_array_add(list, migration);
		}
		migration->applied = TRUE;
		migration->applied_at = g_strdup(PQgetvalue(applied, row, 3));
		migration->changed =
		        !migration->missing &&
		        g_strcmp0(migration->checksum, PQgetvalue(applied, row, 2)) != 0;
	}
	g_ptr_array_sort(list, ph_migration_compare);
	return g_steal_pointer(&list);
}
