/* Transfer cases (SDK ph-transfer-api.h): the rows of transfer_exchange that the transfer
 * adapter's state machine reads and writes inside the host's transaction; AAC002 stored
 * sealed beside its keyed hash (docs/security.md). Host code. */
#include "ph-field-cipher.h"
#include "ph-plugin-private.h"
#include "ph-transfer-private.h"
#include "ph-txn.h"
#include "ph-worker-db.h"

void
ph_transfer_case_free(PhTransferCase *transfer)
{
	if (transfer == NULL)
		return;
	g_free(transfer->case_id);
	g_free(transfer->direction);
	g_free(transfer->state);
	g_free(transfer->id_number);
	g_free(transfer->other_agency);
	g_free(transfer->other_region);
	g_free(transfer->reason);
	g_free(transfer);
}

static gchar *
ph_transfer_case_text(PGresult *result, gint row, gint column)
{
	return PQgetisnull(result, row, column) ? NULL : g_strdup(PQgetvalue(result, row, column));
}

PhTransferCase *
ph_transfer_case_from_row(PGresult *result, gint row, GError **error)
{
	g_autoptr(PhTransferCase) transfer = g_new0(PhTransferCase, 1);
	transfer->case_id = ph_transfer_case_text(result, row, 0);
	transfer->id_number = ph_field_open_named(PQgetvalue(result, row, 3), "AAC002", error);
	if (transfer->id_number == NULL) {
		g_prefix_error(error, "transfer case %s: ", transfer->case_id);
		return NULL;
	}
	transfer->direction = ph_transfer_case_text(result, row, 1);
	transfer->state = ph_transfer_case_text(result, row, 2);
	transfer->other_agency = ph_transfer_case_text(result, row, 4);
	transfer->other_region = ph_transfer_case_text(result, row, 5);
	transfer->reason = ph_transfer_case_text(result, row, 6);
	transfer->deadline = ph_db_get_int64(result, row, 7);
	transfer->created_at = ph_db_get_int64(result, row, 8);
	transfer->updated_at = ph_db_get_int64(result, row, 9);
	return g_steal_pointer(&transfer);
}

PhTransferCase *
ph_transfer_case_lock(PhTxn *txn, const gchar *case_id, GError **error)
{
	g_return_val_if_fail(txn != NULL && case_id != NULL, NULL);
	const gchar *params[] = {case_id};
	g_autoptr(PGresult) result =
	        ph_db_query(ph_txn_get_db(txn),
	                    "SELECT " PH_TRANSFER_CASE_COLUMNS
	                    " FROM transfer_exchange WHERE case_id = $1 FOR UPDATE",
	                    1, params, error);
	if (result == NULL)
		return NULL;
	if (PQntuples(result) == 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_NOT_FOUND, "transfer case %s: unknown",
		            case_id);
		return NULL;
	}
	return ph_transfer_case_from_row(result, 0, error);
}

gboolean
ph_transfer_case_create(PhTxn *txn, const PhTransferCase *transfer, GError **error)
{
	g_return_val_if_fail(txn != NULL && transfer != NULL, FALSE);
	g_return_val_if_fail(transfer->id_number != NULL, FALSE);
	g_autofree gchar *deadline = g_strdup_printf("%" G_GINT64_FORMAT, transfer->deadline);
	g_autofree gchar *sealed = ph_field_seal(transfer->id_number, error);
	g_autofree gchar *lookup = ph_field_lookup(transfer->id_number);
	const gchar *params[] = {transfer->case_id,
	                         transfer->direction,
	                         transfer->state,
	                         sealed,
	                         transfer->other_agency,
	                         transfer->other_region,
	                         transfer->reason,
	                         deadline,
	                         lookup};
	g_autoptr(PGresult) result =
	        sealed == NULL
	                ? NULL
	                : ph_db_query(ph_txn_get_db(txn),
	                              "INSERT INTO transfer_exchange (case_id, direction, state, "
	                              "id_number, other_agency, other_region, reason, deadline, "
	                              "id_lookup) VALUES ($1, $2, $3, $4, $5, $6, $7, "
	                              "to_timestamp($8::bigint), $9)",
	                              9, params, error);
	if (result == NULL)
		g_prefix_error(error, "transfer case %s: ", transfer->case_id);
	return result != NULL;
}

gboolean
ph_transfer_case_update(PhTxn *txn, const PhTransferCase *transfer, GError **error)
{
	g_return_val_if_fail(txn != NULL && transfer != NULL, FALSE);
	g_autofree gchar *deadline = g_strdup_printf("%" G_GINT64_FORMAT, transfer->deadline);
	const gchar *params[] = {transfer->case_id, transfer->state, transfer->reason, deadline};
	g_autoptr(PGresult) result = ph_db_query(
	        ph_txn_get_db(txn),
	        "UPDATE transfer_exchange SET state = $2, reason = $3, updated_at = now(), "
	        "overdue_reported_at = CASE WHEN deadline = to_timestamp($4::bigint) "
	        "THEN overdue_reported_at END, deadline = to_timestamp($4::bigint) WHERE case_id = "
	        "$1",
	        4, params, error);
	if (result == NULL)
		g_prefix_error(error, "transfer case %s: ", transfer->case_id);
	return result != NULL;
}

/* Open cases past their deadline not reported yet, locked for @db's transaction (rows
 * another look holds are skipped). A row that does not open (its key is gone) is left out,
 * unmarked, with a warning naming its case: the others are still reported. */
static GPtrArray *
ph_transfer_case_lock_overdue(PhDb *db, GError **error)
{
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "SELECT " PH_TRANSFER_CASE_COLUMNS " FROM transfer_exchange WHERE state NOT IN "
	        "('COMPLETED', 'REJECTED') AND deadline < now() AND overdue_reported_at IS NULL "
	        "FOR UPDATE SKIP LOCKED",
	        0, NULL, error);
	if (result == NULL)
		return NULL;
	g_autoptr(GPtrArray) cases =
	        g_ptr_array_new_with_free_func((GDestroyNotify)ph_transfer_case_free);
	for (gint row = 0; row < PQntuples(result); row++) {
		g_autoptr(GError) unreadable = NULL;
		PhTransferCase *transfer = ph_transfer_case_from_row(result, row, &unreadable);
		if (transfer == NULL) {
			g_warning("overdue %s; not reported, looked at again next time",
			          unreadable->message);
			continue;
		}
		g_ptr_array_add(cases, transfer);
	}
	return g_steal_pointer(&cases);
}

GPtrArray *
ph_transfer_case_take_overdue(PhPlugin *plugin, GError **error)
{
	PhDb *db = ph_worker_db_get(error);
	if (db == NULL || !ph_db_begin(db, error))
		return NULL;
	/* only the cases handed back for reporting are marked, in the same transaction */
	g_autoptr(GPtrArray) cases = ph_transfer_case_lock_overdue(db, error);
	for (guint i = 0; cases != NULL && i < cases->len; i++) {
		const PhTransferCase *transfer = cases->pdata[i];
		const gchar *params[] = {transfer->case_id};
		g_autoptr(PGresult) marked =
		        ph_db_query(db,
		                    "UPDATE transfer_exchange SET overdue_reported_at = now() "
		                    "WHERE case_id = $1",
		                    1, params, error);
		if (marked == NULL)
			g_clear_pointer(&cases, g_ptr_array_unref);
	}
	if (cases == NULL || !ph_db_commit(db, error)) {
		ph_db_rollback(db);
		return NULL;
	}
	return g_steal_pointer(&cases);
}

const gchar *
ph_transfer_case_get_hub_agency(PhPlugin *plugin)
{
	return plugin != NULL && plugin->config != NULL ? plugin->config->agency : NULL;
}

const gchar *
ph_transfer_case_get_hub_region(PhPlugin *plugin)
{
	return plugin != NULL && plugin->config != NULL ? plugin->config->region : NULL;
}
