/* Migrations against a real PostgreSQL: order, idempotence, checksums, status and two
 * processes migrating at once. Suite integration. */
#include <glib/gstdio.h>
#include <string.h>

#include "ph-migrate.h"
#include "ph-test-db.h"

static PhTestDb *test_db;

/* A private migrations folder with @count files 0001_step.sql.. each creating a table. */
static gchar *
make_migrations(guint count)
{
	g_autoptr(GError) error = NULL;
	gchar *dir = g_dir_make_tmp("ph-migrate-XXXXXX", &error);
	g_assert_no_error(error);
	for (guint i = 1; i <= count; i++) {
		g_autofree gchar *name = g_strdup_printf("%04u_step%u.sql", i, i);
		g_autofree gchar *path = g_build_filename(dir, name, NULL);
		g_autofree gchar *sql = g_strdup_printf("CREATE TABLE step%u (id int);\n", i);
		g_file_set_contents(path, sql, -1, &error);
		g_assert_no_error(error);
	}
	return dir;
}

static void
remove_migrations(const gchar *dir)
{
	g_autoptr(GDir) folder = g_dir_open(dir, 0, NULL);
	const gchar *name;
	while (folder != NULL && (name = g_dir_read_name(folder)) != NULL) {
		g_autofree gchar *path = g_build_filename(dir, name, NULL);
		g_unlink(path);
	}
	g_rmdir(dir);
}

/* A fresh empty schema on the test database, so each case starts from nothing. */
static PhDb *
connect_empty(void)
{
	g_autoptr(GError) error = NULL;
	PhDb *db = ph_test_db_connect(test_db);
	ph_db_exec(db,
	           "DROP SCHEMA IF EXISTS migrate_test CASCADE; CREATE SCHEMA migrate_test; "
	           "SET search_path TO migrate_test",
	           &error);
	g_assert_no_error(error);
	return db;
}

static void
test_migrate_applies_in_order_once(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhDb) db = connect_empty();
	g_autofree gchar *dir = make_migrations(3);
	g_autoptr(GPtrArray) applied = NULL;
	g_autoptr(GPtrArray) again = NULL;

	g_assert_true(ph_migrate_apply(db, dir, &applied, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(applied->len, ==, 3);
	g_assert_cmpstr(g_ptr_array_index(applied, 0), ==, "0001_step1.sql");
	g_assert_cmpstr(g_ptr_array_index(applied, 2), ==, "0003_step3.sql");
	g_assert_cmpint(ph_test_db_query_int(db, "SELECT count(*) FROM schema_migrations"), ==, 3);

	/* Second run: nothing to do (a re-run would fail on CREATE TABLE). */
	g_assert_true(ph_migrate_apply(db, dir, &again, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(again->len, ==, 0);
	remove_migrations(dir);
}

static void
test_migrate_refuses_changed_file(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhDb) db = connect_empty();
	g_autofree gchar *dir = make_migrations(2);
	g_autofree gchar *path = g_build_filename(dir, "0001_step1.sql", NULL);

	g_assert_true(ph_migrate_apply(db, dir, NULL, &error));
	g_file_set_contents(path, "CREATE TABLE step1 (id bigint);\n", -1, &error);
	g_assert_no_error(error);
	g_assert_false(ph_migrate_apply(db, dir, NULL, &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_CONFLICT);
	g_assert_nonnull(strstr(error->message, "0001_step1.sql"));

	g_autoptr(GPtrArray) status = ph_migrate_status(db, dir, NULL);
	g_assert_nonnull(status);
	PhMigration *first = g_ptr_array_index(status, 0);
	PhMigration *second = g_ptr_array_index(status, 1);
	g_assert_true(first->applied && first->changed);
	g_assert_true(second->applied && !second->changed);
	remove_migrations(dir);
}

static void
test_migrate_status_and_missing_file(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhDb) db = connect_empty();
	g_autofree gchar *dir = make_migrations(1);
	g_autoptr(GPtrArray) before = ph_migrate_status(db, dir, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(before->len, ==, 1);
	g_assert_false(((PhMigration *)g_ptr_array_index(before, 0))->applied);

	g_assert_true(ph_migrate_apply(db, dir, NULL, &error));
	remove_migrations(dir);
	g_autofree gchar *empty = make_migrations(0);
	g_autoptr(GPtrArray) after = ph_migrate_status(db, empty, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(after->len, ==, 1);
	g_assert_true(((PhMigration *)g_ptr_array_index(after, 0))->missing);
	g_assert_false(ph_migrate_apply(db, empty, NULL, &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_CONFLICT);
	remove_migrations(empty);
}

static void
test_migrate_refuses_bad_name(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhDb) db = connect_empty();
	g_autofree gchar *dir = make_migrations(1);
	g_autofree gchar *path = g_build_filename(dir, "2_Oops.sql", NULL);
	g_file_set_contents(path, "SELECT 1;", -1, &error);
	g_assert_false(ph_migrate_apply(db, dir, NULL, &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_CONFIG);
	g_assert_nonnull(strstr(error->message, "2_Oops.sql"));
	remove_migrations(dir);
}

static gpointer
migrate_thread(gpointer dir)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhDb) db = ph_test_db_connect(test_db);
	ph_db_exec(db, "SET search_path TO migrate_test", &error);
	g_assert_no_error(error);
	gboolean ok = ph_migrate_apply(db, dir, NULL, &error);
	g_assert_no_error(error);
	return GINT_TO_POINTER(ok);
}

static void
test_migrate_concurrent(void)
{
	g_autoptr(PhDb) db = connect_empty();
	g_autofree gchar *dir = make_migrations(5);
	GThread *threads[4];
	for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
		threads[i] = g_thread_new("migrate", migrate_thread, dir);
	for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
		g_assert_true(GPOINTER_TO_INT(g_thread_join(threads[i])));
	g_assert_cmpint(ph_test_db_query_int(db, "SELECT count(*) FROM schema_migrations"), ==, 5);
	remove_migrations(dir);
}

static void
test_migrate_real_migrations(void)
{
	/* The fixture applied the project's migrations; the hub tables must exist. */
	g_autoptr(PhDb) db = ph_test_db_connect(test_db);
	g_assert_cmpint(ph_test_db_query_int(db, "SELECT count(*) FROM pg_tables WHERE "
	                                         "schemaname = 'public' AND tablename IN ('inbox', "
	                                         "'inbox_refusal', 'outbox', 'dead_letter', "
	                                         "'plugin_state', 'audit_log')"),
	                ==, 6);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) status = ph_migrate_status(db, ph_migrate_dir(), &error);
	g_assert_no_error(error);
	for (guint i = 0; i < status->len; i++)
		g_assert_true(((PhMigration *)g_ptr_array_index(status, i))->applied);
	/* The audit placeholder is append-only. */
	ph_db_exec(db,
	           "INSERT INTO audit_log (actor, action, object, hash) "
	           "VALUES ('test', 'probe', 'audit', '\\x00')",
	           &error);
	g_assert_no_error(error);
	g_assert_false(ph_db_exec(db, "DELETE FROM audit_log", &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_DATABASE);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	test_db = ph_test_db_new();
	g_test_add_func("/migrate/applies-in-order-once", test_migrate_applies_in_order_once);
	g_test_add_func("/migrate/refuses-changed-file", test_migrate_refuses_changed_file);
	g_test_add_func("/migrate/status-and-missing-file", test_migrate_status_and_missing_file);
	g_test_add_func("/migrate/refuses-bad-name", test_migrate_refuses_bad_name);
	g_test_add_func("/migrate/concurrent", test_migrate_concurrent);
	g_test_add_func("/migrate/real-migrations", test_migrate_real_migrations);
	int status = g_test_run();
	ph_test_db_free(test_db);
	return status;
}
