/* Messages of transfer cases (SDK ph-transfer-api.h): every message in and out with its
 * time and verdict, in transfer_message, for `pensionctl transfer show`. Host code. */
#include <string.h>

#include "ph-field-cipher.h"
#include "ph-transfer-api.h"
#include "ph-txn.h"
#include "ph-worker-db.h"

/* @replace: an outbound message already recorded under its MsgId takes this record (a
 * document re-signed after the platform refused it as expired: the row holds what we sent
 * last), and the version it replaces is kept in transfer_message_version (0026), in the
 * same statement. */
static gboolean
ph_transfer_message_insert(PhDb *db, const PhTransferMessage *message, gboolean replace,
                           GError **error)
{
	g_autofree gchar *plain = message->body != NULL
	                                  ? g_strndup(g_bytes_get_data(message->body, NULL),
	                                              g_bytes_get_size(message->body))
	                                  : NULL;
	/* the signed document names the member (AAC002): sealed at rest like the case's number */
	g_autofree gchar *body = plain != NULL ? ph_field_seal(plain, error) : NULL;
	if (plain != NULL && body == NULL)
		return FALSE;
	const gchar *params[] = {message->case_id,
	                         message->msg_id,
	                         message->direction,
	                         message->msg_type,
	                         message->verdict,
	                         message->detail,
	                         body};
	g_autofree gchar *sql = g_strconcat(
	        replace ? "WITH earlier AS (INSERT INTO transfer_message_version (case_id, msg_id, "
	                  "body, verdict) SELECT case_id, msg_id, body, verdict FROM "
	                  "transfer_message WHERE "
	                  "$3 = 'out' AND direction = 'out' AND msg_id = $2 AND body IS NOT NULL) "
	                : "",
	        "INSERT INTO transfer_message (case_id, msg_id, direction, msg_type, verdict, "
	        "detail, body) VALUES ($1, $2, $3, $4, $5, $6, $7)",
	        replace ? " ON CONFLICT (msg_id) WHERE direction = 'out' DO UPDATE SET verdict = "
	                  "excluded.verdict, detail = excluded.detail, body = excluded.body, "
	                  "updated_at = now()"
	                : "",
	        NULL);
	g_autoptr(PGresult) result = ph_db_query(db, sql, 7, params, error);
	if (result == NULL)
		g_prefix_error(error, "transfer message %s: ",
		               message->msg_id != NULL ? message->msg_id : "?");
	return result != NULL;
}

gboolean
ph_transfer_message_add(PhTxn *txn, const PhTransferMessage *message, GError **error)
{
	g_return_val_if_fail(txn != NULL && message != NULL && message->verdict != NULL, FALSE);
	return ph_transfer_message_insert(ph_txn_get_db(txn), message, FALSE, error);
}

gboolean
ph_transfer_message_note(PhPlugin *plugin, const PhTransferMessage *message, GError **error)
{
	g_return_val_if_fail(message != NULL && message->verdict != NULL, FALSE);
	PhDb *db = ph_worker_db_get(error);
	/* outside a transaction an outbound message is recorded again only when re-signed */
	return db != NULL && ph_transfer_message_insert(db, message, TRUE, error);
}

GBytes *
ph_transfer_message_find(PhTxn *txn, const gchar *case_id, const gchar *direction,
                         const gchar *msg_type, GError **error)
{
	g_return_val_if_fail(txn != NULL && case_id != NULL, NULL);
	const gchar *params[] = {case_id, direction, msg_type};
	g_autoptr(PGresult) result = ph_db_query(
	        ph_txn_get_db(txn),
	        "SELECT body FROM transfer_message WHERE case_id = $1 AND direction = $2 "
	        "AND msg_type = $3 AND body IS NOT NULL ORDER BY id DESC LIMIT 1",
	        3, params, error);
	if (result == NULL)
		return NULL;
	if (PQntuples(result) == 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_NOT_FOUND, "transfer case %s: no %s %s",
		            case_id, direction, msg_type);
		return NULL;
	}
	gchar *body = ph_field_open(PQgetvalue(result, 0, 0), error);
	if (body == NULL) {
		g_prefix_error(error, "transfer case %s: stored %s %s message: ", case_id,
		               direction, msg_type);
		return NULL;
	}
	return g_bytes_new_take(body, strlen(body));
}

gboolean
ph_transfer_message_set_verdict(PhPlugin *plugin, const gchar *msg_id, const gchar *verdict,
                                const gchar *detail, GError **error)
{
	g_return_val_if_fail(msg_id != NULL && verdict != NULL, FALSE);
	PhDb *db = ph_worker_db_get(error);
	if (db == NULL)
		return FALSE;
	const gchar *params[] = {msg_id, verdict, detail};
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "UPDATE transfer_message SET verdict = $2, detail = $3, updated_at = now() "
	        "WHERE msg_id = $1 AND direction = 'out'",
	        3, params, error);
	return result != NULL;
}
