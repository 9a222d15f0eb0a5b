/* Audit chain verification (ph-audit-verify.h). Entries are read in pages by id; a broken
 * link is explained by looking up which entry the link points at, so a swap names both
 * entries and a deletion names the gap. Host-only. */
#include "ph-audit-verify.h"

#include <string.h>

#include "ph-audit.h"
#include "ph-sql-value.h"

#define PH_AUDIT_VERIFY_PAGE "10000"

void
ph_audit_report_free(PhAuditReport *report)
{
	if (report == NULL)
		return;
	g_ptr_array_unref(report->findings);
	g_free(report);
}

static void ph_audit_report_add(PhAuditReport *report, const gchar *format, ...)
        G_GNUC_PRINTF(2, 3);

static void
ph_audit_report_add(PhAuditReport *report, const gchar *format, ...)
{
	va_list args;
	va_start(args, format);
	g_ptr_array_add(report->findings, g_strdup_vprintf(format, args));
	va_end(args);
}

/* The id of the entry whose hash is @hash_hex, 0 when none (a scan: only on a broken link). */
static gboolean
ph_audit_verify_find(PhDb *db, const gchar *hash_hex, gint64 *id, GError **error)
{
	const gchar *params[] = {hash_hex};
	g_autoptr(PGresult) result = ph_db_query(
	        db, "SELECT id FROM audit_log WHERE hash = decode($1, 'hex') ORDER BY id LIMIT 1",
	        1, params, error);
	if (result == NULL)
		return FALSE;
	*id = PQntuples(result) > 0 ? ph_db_get_int64(result, 0, 0) : 0;
	return TRUE;
}

typedef struct {
	gint64 id;   /* 0: no predecessor (start of the chain) */
	gchar *hash; /* its stored hash, hex */
} PhAuditPrev;

/* Explains why entry @id's link @link (hex, "" for none) is not @prev's hash. */
static gboolean
ph_audit_verify_link(PhDb *db, PhAuditReport *report, const PhAuditPrev *prev, gint64 id,
                     const gchar *link, GError **error)
{
	gint64 target = 0;
	if (prev->id == 0 ? link[0] == '\0' : g_str_equal(link, prev->hash))
		return TRUE;
	if (link[0] == '\0') {
		ph_audit_report_add(report,
		                    "entry %" G_GINT64_FORMAT
		                    " out of order: it was the first entry "
		                    "of the chain, now after entry %" G_GINT64_FORMAT,
		                    id, prev->id);
		return TRUE;
	}
	if (!ph_audit_verify_find(db, link, &target, error))
		return FALSE;
	if (target != 0)
		ph_audit_report_add(report,
		                    "entry %" G_GINT64_FORMAT
		                    " out of order: it follows entry %" G_GINT64_FORMAT
		                    " in the chain, not entry %" G_GINT64_FORMAT,
		                    id, target, prev->id);
	else if (prev->id == 0)
		ph_audit_report_add(report,
		                    "entries before entry %" G_GINT64_FORMAT
		                    " deleted: it links to "
		                    "an entry that no longer exists",
		                    id);
	else if (id - prev->id > 1)
		ph_audit_report_add(report,
		                    "entry deleted between entries %" G_GINT64_FORMAT
		                    " and %" G_GINT64_FORMAT ": entry %" G_GINT64_FORMAT
		                    " links to an entry that no longer "
		                    "exists",
		                    prev->id, id, id);
	else
		ph_audit_report_add(report,
		                    "entry %" G_GINT64_FORMAT
		                    " changed and rehashed: entry %" G_GINT64_FORMAT
		                    " links to its former hash",
		                    prev->id, id);
	return TRUE;
}

/* Recomputes entry @row's hash from its stored link and fields. */
static void
ph_audit_verify_entry(PhAuditReport *report, PGresult *rows, gint row)
{
	g_autoptr(GBytes) link = ph_sql_value_bytes(rows, row, 6);
	g_autofree gchar *record = ph_audit_canonical(
	        PQgetvalue(rows, row, 1), PQgetvalue(rows, row, 2), PQgetvalue(rows, row, 3),
	        PQgetvalue(rows, row, 4), PQgetvalue(rows, row, 5));
	g_autoptr(GBytes) hash = ph_audit_chain_hash(link, record);
	g_autofree gchar *hex = ph_audit_hex(hash);
	if (!g_str_equal(hex, PQgetvalue(rows, row, 7)))
		ph_audit_report_add(report,
		                    "entry %s changed: its hash does not match its content "
		                    "(%s %s %s)",
		                    PQgetvalue(rows, row, 0), PQgetvalue(rows, row, 2),
		                    PQgetvalue(rows, row, 3), PQgetvalue(rows, row, 4));
}

static gboolean
ph_audit_verify_start(PhDb *db, gint64 from, PhAuditPrev *prev, GError **error)
{
	g_autofree gchar *from_text = g_strdup_printf("%" G_GINT64_FORMAT, from);
	const gchar *params[] = {from_text};
	g_autoptr(PGresult) result = ph_db_query(db,
	                                         "SELECT id, encode(hash, 'hex') FROM audit_log "
	                                         "WHERE id < $1 ORDER BY id DESC LIMIT 1",
	                                         1, params, error);
	if (result == NULL)
		return FALSE;
	if (PQntuples(result) > 0) {
		prev->id = ph_db_get_int64(result, 0, 0);
		prev->hash = g_strdup(PQgetvalue(result, 0, 1));
	}
	return TRUE;
}

static gboolean
ph_audit_verify_entries(PhDb *db, PhAuditReport *report, gint64 from, gint64 to, GError **error)
{
	PhAuditPrev prev = {0, NULL};
	gboolean ok = from <= 1 || ph_audit_verify_start(db, from, &prev, error);
	gint64 after = MAX(from - 1, 0);
	g_autofree gchar *to_text = g_strdup_printf("%" G_GINT64_FORMAT, to);

	while (ok) {
		g_autofree gchar *after_text = g_strdup_printf("%" G_GINT64_FORMAT, after);
		const gchar *params[] = {after_text, to_text};
		g_autoptr(PGresult) rows = ph_db_query(
		        db,
		        "SELECT id, " PH_SQL_UTC(
		                "at") ", actor, action, object, "
		                      "coalesce(encode(payload_digest, 'hex'), ''), prev_hash, "
		                      "encode(hash, 'hex'), "
		                      "coalesce(encode(prev_hash, 'hex'), '') FROM audit_log "
		                      "WHERE id > $1 AND ($2::bigint = 0 OR id <= $2) ORDER BY id "
		                      "LIMIT " PH_AUDIT_VERIFY_PAGE,
		        2, params, error);
		if (rows == NULL || PQntuples(rows) == 0) {
			ok = rows != NULL;
			break;
		}
		for (gint row = 0; ok && row < PQntuples(rows); row++) {
			gint64 id = ph_db_get_int64(rows, row, 0);
			ph_audit_verify_entry(report, rows, row);
			ok = ph_audit_verify_link(db, report, &prev, id, PQgetvalue(rows, row, 8),
			                          error);
			g_free(prev.hash);
			prev = (PhAuditPrev){id, g_strdup(PQgetvalue(rows, row, 7))};
			report->entries++;
		}
		after = prev.id;
	}
	g_free(prev.hash);
	return ok;
}

static void
ph_audit_verify_seal(PhAuditReport *report, PhAuditSigner *signer, PGresult *seals, gint row)
{
	const gchar *audit_id = PQgetvalue(seals, row, 0);
	const gchar *sealed_at = PQgetvalue(seals, row, 2);
	g_autoptr(GError) error = NULL;

	report->seals++;
	report->last_seal = MAX(report->last_seal, ph_db_get_int64(seals, row, 0));
	if (PQgetisnull(seals, row, 5))
		ph_audit_report_add(report, "entry %s deleted: it was sealed at %s", audit_id,
		                    sealed_at);
	else if (!g_str_equal(PQgetvalue(seals, row, 1), PQgetvalue(seals, row, 5)))
		ph_audit_report_add(
		        report,
		        "entry %s does not match its seal of %s: the chain was rewritten "
		        "up to it",
		        audit_id, sealed_at);
	if (signer == NULL)
		return;
	g_autoptr(GBytes) signature = ph_sql_value_bytes(seals, row, 4);
	if (!ph_audit_seal_check(signer, ph_db_get_int64(seals, row, 0), PQgetvalue(seals, row, 1),
	                         sealed_at, PQgetvalue(seals, row, 3), signature, &error))
		ph_audit_report_add(report, "seal of entry %s at %s is not the hub's: %s", audit_id,
		                    sealed_at, error->message);
}

static gboolean
ph_audit_verify_seals(PhDb *db, PhAuditReport *report, PhAuditSigner *signer, gint64 from,
                      gint64 to, GError **error)
{
	g_autofree gchar *from_text = g_strdup_printf("%" G_GINT64_FORMAT, from);
	g_autofree gchar *to_text = g_strdup_printf("%" G_GINT64_FORMAT, to);
	const gchar *params[] = {from_text, to_text};
	g_autoptr(PGresult) seals = ph_db_query(
	        db,
	        "SELECT s.audit_id, encode(s.hash, 'hex'), s.sealed_at, s.signer, s.signature, "
	        "encode(a.hash, 'hex') FROM audit_seal s LEFT JOIN audit_log a ON a.id = "
	        "s.audit_id "
	        "WHERE s.audit_id >= $1 AND ($2::bigint = 0 OR s.audit_id <= $2) ORDER BY s.id",
	        2, params, error);
	if (seals == NULL)
		return FALSE;
	for (gint row = 0; row < PQntuples(seals); row++)
		ph_audit_verify_seal(report, signer, seals, row);
	return TRUE;
}

PhAuditReport *
ph_audit_verify(PhDb *db, PhAuditSigner *signer, gint64 from, gint64 to, GError **error)
{
	g_return_val_if_fail(db != NULL && from >= 0 && to >= 0, NULL);
	g_autoptr(PhAuditReport) report = g_new0(PhAuditReport, 1);
	report->findings = g_ptr_array_new_with_free_func(g_free);
	/* One snapshot for entries and seals alike. */
	if (!ph_db_begin(db, error))
		return NULL;
	if (!ph_db_exec(db, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", error) ||
	    !ph_audit_verify_entries(db, report, from, to, error) ||
	    !ph_audit_verify_seals(db, report, signer, from, to, error)) {
		ph_db_rollback(db);
		g_prefix_error(error, "audit verify: ");
		return NULL;
	}
	ph_db_rollback(db);
	return g_steal_pointer(&report);
}
