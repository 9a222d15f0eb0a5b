/* Schema migrations: numbered SQL files (NNNN_name.sql) applied in order, each recorded
 * with its SHA-256 in schema_migrations. Called by `pensionctl db migrate|status` and tests. */
#pragma once

#include <glib.h>

#include "ph-db.h"

G_BEGIN_DECLS

typedef struct {
	guint version;     /* NNNN of the file name */
	gchar *name;       /* the file name, e.g. "0001_hub.sql" */
	gchar *checksum;   /* lowercase hex SHA-256 of the file, NULL when the file is gone */
	gboolean applied;  /* a row exists in schema_migrations */
	gchar *applied_at; /* ISO 8601 from the database, NULL when not applied */
	gboolean changed;  /* applied, but the file's checksum differs from the recorded one */
	gboolean missing;  /* applied, but no file of that version exists */
} PhMigration;

void
ph_migration_free(PhMigration *migration);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhMigration, ph_migration_free)

/* The folder of migration files: $PH_MIGRATIONS_DIR if set, else the source tree's when
 * it exists, else the installed copy ($datadir/pension-hub/migrations). */
const gchar *
ph_migrate_dir(void);

/* Applies every migration of @dir not yet applied, in version order, each in its own
 * transaction. Fails with PH_ERROR_CONFLICT naming the file when an applied migration's
 * file changed or went missing. Safe to run from two processes at once (advisory lock).
 * @applied (may be NULL) receives the names applied now. */
gboolean
ph_migrate_apply(PhDb *db, const gchar *dir, GPtrArray **applied, GError **error);

/* Every migration known to the files or the database (PhMigration), by version. */
GPtrArray *
ph_migrate_status(PhDb *db, const gchar *dir, GError **error);

G_END_DECLS
