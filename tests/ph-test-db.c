/* Throw-away databases for tests. Uses the cluster that deploy/dev starts; never touches
 * the database that PH_DATABASE_URL names beyond connecting to it to create others. */
#include "ph-test-db.h"

#include <unistd.h>

#include "ph-migrate.h"

struct _PhTestDb {
	gchar *name;
	gchar *url;
	gchar *admin_url; /* $PH_DATABASE_URL: where CREATE and DROP DATABASE run */
};

/* Appends key='value' with libpq's quoting. */
static void
ph_test_db_append_option(GString *conninfo, const gchar *key, const gchar *value)
{
	g_string_append_printf(conninfo, "%s%s='", conninfo->len > 0 ? " " : "", key);
	for (const gchar *c = value; *c != '\0'; c++) {
		if (*c == '\'' || *c == '\\')
			g_string_append_c(conninfo, '\\');
		g_string_append_c(conninfo, *c);
	}
	g_string_append_c(conninfo, '\'');
}

/* @url with its database name replaced by @name, as a key=value string. */
static gchar *
ph_test_db_url_for(const gchar *url, const gchar *name)
{
	char *why = NULL;
	PQconninfoOption *options = PQconninfoParse(url, &why);
	if (options == NULL) {
		g_test_message("PH_DATABASE_URL cannot be parsed: %s", why != NULL ? why : "?");
		PQfreemem(why);
		g_assert_nonnull(options);
	}
	GString *conninfo = g_string_new(NULL);
	for (PQconninfoOption *option = options; option->keyword != NULL; option++) {
		if (g_str_equal(option->keyword, "dbname"))
			ph_test_db_append_option(conninfo, "dbname", name);
		else if (option->val != NULL)
			ph_test_db_append_option(conninfo, option->keyword, option->val);
	}
	PQconninfoFree(options);
	return g_string_free(conninfo, FALSE);
}

static void
ph_test_db_exec_admin(const gchar *admin_url, const gchar *sql)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhDb) admin = ph_db_connect(admin_url, &error);
	g_assert_no_error(error);
	ph_db_exec(admin, sql, &error);
	g_assert_no_error(error);
}

PhTestDb *
ph_test_db_new(void)
{
	const gchar *admin_url = g_getenv("PH_DATABASE_URL");
	g_autoptr(GError) error = NULL;
	if (admin_url == NULL || admin_url[0] == '\0') {
		g_printerr("PH_DATABASE_URL is not set: integration tests need the development "
		           "PostgreSQL; run them with `deploy/dev test`, or after "
		           "`eval \"$(deploy/dev env)\"`\n");
		g_assert_cmpstr(admin_url, !=, NULL);
		g_assert_cmpstr(admin_url, !=, "");
	}
	PhTestDb *test_db = g_new0(PhTestDb, 1);
	test_db->admin_url = g_strdup(admin_url);
	test_db->name = g_strdup_printf("ph_test_%d_%08x", (int)getpid(), g_random_int());
	test_db->url = ph_test_db_url_for(admin_url, test_db->name);
	g_autofree gchar *create = g_strdup_printf("CREATE DATABASE %s", test_db->name);
	ph_test_db_exec_admin(admin_url, create);

	g_autoptr(PhDb) db = ph_test_db_connect(test_db);
	ph_migrate_apply(db, ph_migrate_dir(), NULL, &error);
	g_assert_no_error(error);
	return test_db;
}

void
ph_test_db_free(PhTestDb *test_db)
{
	if (test_db == NULL)
		return;
	g_autofree gchar *drop =
	        g_strdup_printf("DROP DATABASE IF EXISTS %s WITH (FORCE)", test_db->name);
	ph_test_db_exec_admin(test_db->admin_url, drop);
	g_free(test_db->name);
	g_free(test_db->url);
	g_free(test_db->admin_url);
	g_free(test_db);
}

const gchar *
ph_test_db_get_url(PhTestDb *test_db)
{
	return test_db->url;
}

PhDb *
ph_test_db_connect(PhTestDb *test_db)
{
	g_autoptr(GError) error = NULL;
	PhDb *db = ph_db_connect(test_db->url, &error);
	g_assert_no_error(error);
	return db;
}

gint64
ph_test_db_query_int(PhDb *db, const gchar *sql)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PGresult) result = ph_db_query(db, sql, 0, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(PQntuples(result), >=, 1);
	return ph_db_get_int64(result, 0, 0);
}

/* The running cluster's data folder, asked of the server itself (the role is superuser). */
static gchar *
ph_test_db_data_dir(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PhDb) admin = ph_db_connect(g_getenv("PH_DATABASE_URL"), &error);
	g_assert_no_error(error);
	g_autoptr(PGresult) result = ph_db_query(admin, "SHOW data_directory", 0, NULL, &error);
	g_assert_no_error(error);
	return g_strdup(PQgetvalue(result, 0, 0));
}

void
ph_test_db_restart_server(void)
{
	g_autofree gchar *data_dir = ph_test_db_data_dir();
	g_autofree gchar *var_dir = g_path_get_dirname(data_dir);
	/* deploy/dev's layout: var/pg and var/log/postgres.log */
	g_autofree gchar *log_file = g_build_filename(var_dir, "log", "postgres.log", NULL);
	/* -l keeps the server's output away from the test's pipes (meson would wait for
	 * them to close); -w returns once the server accepts connections again. */
	/* clang-format off */
	const gchar *argv[] = {"runuser", "-u", "postgres", "--",
			       "/usr/lib/postgresql/15/bin/pg_ctl", "-D", data_dir, "-l", log_file,
			       "-m", "fast", "-w", "-t", "60", "restart", NULL};
	/* clang-format on */
	g_autoptr(GError) error = NULL;
	g_autofree gchar *output = NULL;
	g_autofree gchar *errors = NULL;
	gint status = 0;
	g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &output, &errors,
	             &status, &error);
	g_assert_no_error(error);
	g_spawn_check_wait_status(status, &error);
	if (error != NULL)
		g_test_message("pg_ctl restart: %s%s", output, errors);
	g_assert_no_error(error);
}
