/* A one-second timer that links pending audit entries in a worker thread; a tick while the
 * previous run is still going is skipped. */
#include "ph-audit-linker.h"

#include "ph-audit.h"
#include "ph-worker-db.h"

struct _PhAuditLinker {
	PhWorkers *workers;
	guint source;
	gboolean running;
};

static void
ph_audit_linker_run(gpointer data)
{
	g_autoptr(GError) error = NULL;
	guint linked = 0;
	PhDb *db = ph_worker_db_get(&error);
	if (db == NULL || !ph_audit_link(db, &linked, &error)) {
		g_warning("audit linker: %s", error->message);
		return;
	}
	if (linked > 0)
		g_debug("audit linker: %u entries linked", linked);
}

static void
ph_audit_linker_done(gpointer data)
{
	PhAuditLinker *linker = data;
	linker->running = FALSE;
}

static gboolean
ph_audit_linker_tick(gpointer data)
{
	PhAuditLinker *linker = data;
	if (!linker->running) {
		linker->running = TRUE;
		ph_workers_push(linker->workers, ph_audit_linker_run, ph_audit_linker_done, linker);
	}
	return G_SOURCE_CONTINUE;
}

PhAuditLinker *
ph_audit_linker_start(PhWorkers *workers)
{
	PhAuditLinker *linker = g_new0(PhAuditLinker, 1);
	linker->workers = workers;
	linker->source = g_timeout_add_seconds(1, ph_audit_linker_tick, linker);
	return linker;
}

void
ph_audit_linker_stop(PhAuditLinker *linker)
{
	if (linker != NULL)
		g_clear_handle_id(&linker->source, g_source_remove);
}

void
ph_audit_linker_free(PhAuditLinker *linker)
{
	if (linker == NULL)
		return;
	ph_audit_linker_stop(linker);
	g_free(linker);
}
