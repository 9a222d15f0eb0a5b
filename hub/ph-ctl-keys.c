/* pensionctl keys status | add [--id ID] | rotate [--new] [--batch N]: the key file of
 * encryption at rest and the re-sealing of stored fields under its current key, in batches
 * while the hub runs. pensionctl only. docs/security.md, "Key rotation". */
#include <unistd.h>

#include "ph-config.h"
#include "ph-ctl-store.h"
#include "ph-document-rewrap.h"
#include "ph-document-store.h"
#include "ph-field-rotate.h"

#define PH_CTL_KEYS_USAGE                                                                          \
	"keys status | add [--id ID] | rotate [--new] [--batch N] [--wait SECONDS]"
/* After a new key, wait longer than a running hub takes to notice the file changed
 * (ph-field-key.c re-reads it within 5 s) so that no new value is sealed under the old one. */
#define PH_CTL_KEYS_SETTLE_SECONDS 6

static gchar *
ph_ctl_keys_path(PhConfig *config, GError **error)
{
	g_autofree gchar *file = g_key_file_get_string(config->keyfile, "keys", "file", NULL);
	if (file == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "%s: [keys] file is not set",
		            config->path);
		return NULL;
	}
	return ph_config_resolve_path(config, file);
}

/* Adds a key and records the operator action in the audit chain. */
static gboolean
ph_ctl_keys_add_audited(PhCtl *ctl, PhDb *db, const gchar *path, const gchar *id, gchar **new_id,
                        GError **error)
{
	if (!ph_field_keys_add(path, id, new_id, error))
		return FALSE;
	g_autofree gchar *object = g_strdup_printf("field key %s", *new_id);
	if (!ph_db_begin(db, error))
		return FALSE;
	if (ph_ctl_audit(ctl, db, "keys-add", object, NULL, error) && ph_db_commit(db, error))
		return TRUE;
	ph_db_rollback(db);
	return FALSE;
}

static void
ph_ctl_keys_progress(const gchar *table, const PhFieldRotation *so_far, gpointer user_data)
{
	if (so_far->batches % 100 == 1)
		g_print("  %s: %" G_GINT64_FORMAT " re-sealed so far\n", table, so_far->resealed);
}

/* Where sealed documents are kept: the document store and the personnel spool. */
typedef struct {
	gchar *store;
	gchar *spool;
} PhCtlKeysFolders;

static void
ph_ctl_keys_folders_clear(PhCtlKeysFolders *folders)
{
	g_clear_pointer(&folders->store, g_free);
	g_clear_pointer(&folders->spool, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(PhCtlKeysFolders, ph_ctl_keys_folders_clear)

/* The database's clock, so that it compares with pg_stat_activity's. */
static gchar *
ph_ctl_keys_now(PhDb *db, GError **error)
{
	g_autoptr(PGresult) now = ph_db_query(db, "SELECT clock_timestamp()", 0, NULL, error);
	return now != NULL ? g_strdup(PQgetvalue(now, 0, 0)) : NULL;
}

/* Re-seals in passes, waits for the transactions begun before @since (which may still commit
 * values sealed under an older key), then passes again to take what they committed. */
static gboolean
ph_ctl_keys_rotate_fields(PhDb *db, PhFieldKeys *keys, guint batch, const gchar *since, guint wait,
                          PhFieldRotation *rotation, gchar **still_open, GError **error)
{
	PhFieldRotation late = {0};
	if (!ph_field_rotate(db, keys, batch, ph_ctl_keys_progress, NULL, rotation, error) ||
	    !ph_field_rotate_wait_older(db, since, wait, still_open, error) ||
	    !ph_field_rotate(db, keys, batch, ph_ctl_keys_progress, NULL, &late, error))
		return FALSE;
	rotation->resealed += late.resealed;
	rotation->hashed += late.hashed;
	rotation->batches += late.batches;
	rotation->passes += late.passes;
	return TRUE;
}

static int
ph_ctl_keys_rotate(PhCtl *ctl, PhDb *db, const gchar *path, const PhCtlKeysFolders *folders,
                   int argc, char **argv)
{
	gboolean add = FALSE;
	gint batch = 1000;
	gint wait = 60;
	g_autoptr(GError) error = NULL;
	const GOptionEntry entries[] = {
	        {"new", 0, 0, G_OPTION_ARG_NONE, &add, "add a new key and make it current", NULL},
	        {"batch", 0, 0, G_OPTION_ARG_INT, &batch, "rows per transaction", "N"},
	        {"wait", 0, 0, G_OPTION_ARG_INT, &wait,
	         "how long to wait for transactions older than the rotation", "SECONDS"},
	        {NULL},
	};
	if (!ph_ctl_store_parse(PH_CTL_KEYS_USAGE, entries, &argc, &argv) || argc != 1 ||
	    batch <= 0 || wait < 0)
		return ph_ctl_usage(PH_CTL_KEYS_USAGE);
	g_autofree gchar *new_id = NULL;
	if (add) {
		if (!ph_ctl_keys_add_audited(ctl, db, path, NULL, &new_id, &error))
			return ph_ctl_fail(error);
		g_print("key %s added and current; waiting %u s for running hubs to use it\n",
		        new_id, PH_CTL_KEYS_SETTLE_SECONDS);
		g_usleep(PH_CTL_KEYS_SETTLE_SECONDS * G_USEC_PER_SEC);
	}
	/* every transaction begun from here on seals under the current key */
	g_autofree gchar *since = ph_ctl_keys_now(db, &error);
	g_autoptr(PhFieldKeys) keys = since != NULL ? ph_field_keys_load(path, &error) : NULL;
	PhFieldRotation rotation = {0};
	g_autofree gchar *still_open = NULL;
	gint64 rewrapped = 0;
	gint64 spooled = 0;
	if (keys == NULL ||
	    !ph_ctl_keys_rotate_fields(db, keys, (guint)batch, since, (guint)wait, &rotation,
	                               &still_open, &error) ||
	    !ph_document_rotate(db, folders->store, keys, &rewrapped, &error) ||
	    !ph_document_rotate_folder(folders->spool, keys, FALSE, &spooled, &error))
		return ph_ctl_fail(error);
	g_autofree gchar *current = ph_field_keys_current(keys);
	g_autofree gchar *object =
	        g_strdup_printf("field key %s: %" G_GINT64_FORMAT " re-sealed, %" G_GINT64_FORMAT
	                        " hashed, %" G_GINT64_FORMAT " kept files and %" G_GINT64_FORMAT
	                        " spool files re-wrapped",
	                        current, rotation.resealed, rotation.hashed, rewrapped, spooled);
	if (!ph_db_begin(db, &error) ||
	    !ph_ctl_audit(ctl, db, "keys-rotate", object, NULL, &error) ||
	    !ph_db_commit(db, &error)) {
		ph_db_rollback(db);
		return ph_ctl_fail(error);
	}
	if (still_open != NULL) {
		g_printerr("%s in %u batches, %u passes; not finished: %s may still commit values "
		           "sealed under an older key. Run keys rotate again once it has ended "
		           "(keys status shows what is left); keep the older keys in %s until "
		           "then\n",
		           object, rotation.batches, rotation.passes, still_open, path);
		return PH_CTL_EXIT_FAILED;
	}
	g_print("%s in %u batches, %u passes; older keys may now be removed from %s\n", object,
	        rotation.batches, rotation.passes, path);
	return PH_CTL_EXIT_OK;
}

/* Collects "  table.column: N" for the columns with values left. */
static void
ph_ctl_keys_stale_line(const gchar *table, const gchar *column, gint64 stale, gpointer user_data)
{
	if (stale > 0)
		g_string_append_printf(user_data, "  %s.%s: %" G_GINT64_FORMAT "\n", table, column,
		                       stale);
}

/* "core events by key: plaintext 3, k1 12" lines, one per kind of row. */
typedef struct {
	GString *lines;
	gchar *what; /* of the line being written */
} PhCtlKeysEvents;

static void
ph_ctl_keys_events_clear(PhCtlKeysEvents *events)
{
	g_string_free(events->lines, TRUE);
	g_free(events->what);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(PhCtlKeysEvents, ph_ctl_keys_events_clear)

static void
ph_ctl_keys_event_count(const gchar *what, const gchar *key_id, gint64 count, gpointer user_data)
{
	PhCtlKeysEvents *events = user_data;
	if (g_strcmp0(events->what, what) == 0) {
		g_string_append_c(events->lines, ',');
	} else {
		g_string_append_printf(events->lines,
		                       "%s%s by key:", events->what != NULL ? "\n" : "", what);
		g_free(events->what);
		events->what = g_strdup(what);
	}
	g_string_append_printf(events->lines, " %s %" G_GINT64_FORMAT,
	                       key_id != NULL ? key_id : "plaintext", count);
}

static int
ph_ctl_keys_status(PhDb *db, const gchar *path, const PhCtlKeysFolders *folders)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) columns = g_string_new(NULL);
	g_auto(PhCtlKeysEvents) events = {g_string_new(NULL), NULL};
	gint64 stale = 0;
	gint64 stale_files = 0;
	gint64 stale_spool = 0;
	g_autoptr(PhFieldKeys) keys = ph_field_keys_load(path, &error);
	if (keys == NULL ||
	    !ph_field_rotate_foreach_stale(db, keys, ph_ctl_keys_stale_line, columns, &stale,
	                                   &error) ||
	    !ph_field_rotate_count_events(db, ph_ctl_keys_event_count, &events, &error) ||
	    !ph_document_count_stale(db, keys, &stale_files, &error) ||
	    !ph_document_rotate_folder(folders->spool, keys, TRUE, &stale_spool, &error))
		return ph_ctl_fail(error);
	g_autofree gchar *current = ph_field_keys_current(keys);
	g_print("key file: %s\ncurrent key: %s\nvalues not under it: %" G_GINT64_FORMAT
	        "\n%skept files not under it: %" G_GINT64_FORMAT
	        "\nspool files not under it: %" G_GINT64_FORMAT "\n%s%s",
	        path, current, stale, columns->str, stale_files, stale_spool, events.lines->str,
	        events.lines->len > 0 ? "\n" : "");
	return PH_CTL_EXIT_OK;
}

int
ph_ctl_keys_main(PhCtl *ctl, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	if (argc < 2)
		return ph_ctl_usage(PH_CTL_KEYS_USAGE);
	PhConfig *config = ph_ctl_config(ctl, &error);
	g_autofree gchar *path = config != NULL ? ph_ctl_keys_path(config, &error) : NULL;
	PhDb *db = path != NULL ? ph_ctl_db(ctl, &error) : NULL;
	if (db == NULL)
		return ph_ctl_fail(error);
	g_auto(PhCtlKeysFolders)
	        folders = {ph_document_store_dir(config), ph_document_spool_dir(config)};
	if (g_str_equal(argv[1], "status") && argc == 2)
		return ph_ctl_keys_status(db, path, &folders);
	if (g_str_equal(argv[1], "rotate"))
		return ph_ctl_keys_rotate(ctl, db, path, &folders, argc - 1, argv + 1);
	if (g_str_equal(argv[1], "add") &&
	    (argc == 2 || (argc == 4 && g_str_equal(argv[2], "--id")))) {
		g_autofree gchar *new_id = NULL;
		if (!ph_ctl_keys_add_audited(ctl, db, path, argc == 4 ? argv[3] : NULL, &new_id,
		                             &error))
			return ph_ctl_fail(error);
		g_print("key %s added and current\n", new_id);
		return PH_CTL_EXIT_OK;
	}
	return ph_ctl_usage(PH_CTL_KEYS_USAGE);
}
