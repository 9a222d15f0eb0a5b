/* pensionctl db migrate|status: applies the numbered SQL migrations and shows which are
 * applied, pending, changed or missing. */
#include "ph-ctl-store.h"
#include "ph-migrate.h"

static int
ph_ctl_db_migrate(PhDb *db)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) applied = NULL;
	if (!ph_migrate_apply(db, ph_migrate_dir(), &applied, &error))
		return ph_ctl_fail(error);
	for (guint i = 0; i < applied->len; i++)
		g_print("applied %s\n", (const gchar *)g_ptr_array_index(applied, i));
	if (applied->len == 0)
		g_print("the database is up to date\n");
	return PH_CTL_EXIT_OK;
}

static const gchar *
ph_ctl_db_describe(const PhMigration *migration)
{
	if (migration->missing)
		return "MISSING (applied, no file)";
	if (migration->changed)
		return "CHANGED (file differs from the applied one)";
	return migration->applied ? "applied" : "pending";
}

static int
ph_ctl_db_status(PhDb *db)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) migrations = ph_migrate_status(db, ph_migrate_dir(), &error);
	gboolean healthy = TRUE;
	if (migrations == NULL)
		return ph_ctl_fail(error);
	g_print("%-7s %-40s %-24s %s\n", "VERSION", "FILE", "APPLIED AT", "STATE");
	for (guint i = 0; i < migrations->len; i++) {
		PhMigration *migration = g_ptr_array_index(migrations, i);
		g_print("%04u    %-40s %-24s %s\n", migration->version, migration->name,
		        migration->applied_at != NULL ? migration->applied_at : "-",
		        ph_ctl_db_describe(migration));
		healthy = healthy && !migration->missing && !migration->changed;
	}
	return healthy ? PH_CTL_EXIT_OK : PH_CTL_EXIT_FAILED;
}

int
ph_ctl_db_main(PhCtl *ctl, int argc, char **argv)
{
	const gchar *usage = "db migrate|status";
	if (argc != 2)
		return ph_ctl_usage(usage);
	gboolean migrate = g_str_equal(argv[1], "migrate");
	if (!migrate && !g_str_equal(argv[1], "status"))
		return ph_ctl_usage(usage);
	PhDb *db = ph_ctl_store_db(ctl);
	if (db == NULL)
		return PH_CTL_EXIT_FAILED;
	return migrate ? ph_ctl_db_migrate(db) : ph_ctl_db_status(db);
}
