/* Per-thread PhDb (libpq connections must not be shared between threads). Host-only. */
#include "ph-worker-db.h"

static GMutex ph_worker_db_lock;
static gchar *ph_worker_db_url;
static GPrivate ph_worker_db_key = G_PRIVATE_INIT((GDestroyNotify)ph_db_free);

void
ph_worker_db_init(const gchar *url)
{
	g_return_if_fail(url != NULL);
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&ph_worker_db_lock);
	g_free(ph_worker_db_url);
	ph_worker_db_url = g_strdup(url);
}

static gchar *
ph_worker_db_dup_url(void)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&ph_worker_db_lock);
	return g_strdup(ph_worker_db_url);
}

PhDb *
ph_worker_db_get(GError **error)
{
	g_autofree gchar *url = ph_worker_db_dup_url();
	PhDb *db = g_private_get(&ph_worker_db_key);

	if (url == NULL) {
		g_set_error_literal(error, PH_ERROR, PH_ERROR_CONFIG,
		                    "no database url: ph_worker_db_init() was not called");
		return NULL;
	}
	if (db != NULL && g_strcmp0(ph_db_get_url(db), url) == 0)
		return ph_db_ensure(db, error) ? db : NULL;
	db = ph_db_connect(url, error);
	if (db == NULL)
		return NULL;
	/* g_private_replace frees the previous connection (of an old URL). */
	g_private_replace(&ph_worker_db_key, db);
	return db;
}
