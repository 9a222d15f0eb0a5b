/* The SDK's cardholder calls (pension-hub/ph-cardholder-api.h) over core/ph-cardholder.c, on
 * the calling worker thread's connection or the inbox handler's transaction. Hub layer. */
#include "pension-hub/ph-cardholder-api.h"

#include <string.h>

#include "ph-cardholder.h"
#include "ph-txn.h"
#include "ph-worker-db.h"

void
ph_cardholder_api_result_clear(PhCardholderResult *result)
{
	g_free(result->verdict);
	g_free(result->our_name);
	memset(result, 0, sizeof *result);
}

void
ph_cardholder_api_person_free(PhCardholderPerson *person)
{
	if (person == NULL)
		return;
	g_free(person->id_number);
	g_free(person->name);
	g_free(person);
}

static PhCardholderAnswer
ph_cardholder_api_answer(const PhCardholderCard *card)
{
	return (PhCardholderAnswer){card->id_number,   card->found,     card->name, card->card_no,
	                            card->card_status, card->bank_code, card->bank, card->account};
}

static void
ph_cardholder_api_result(PhCardholderOutcome *outcome, PhCardholderResult *result)
{
	ph_cardholder_api_result_clear(result);
	result->person_id = outcome->person_id;
	result->verdict = g_strdup(outcome->verdict);
	result->our_name = g_steal_pointer(&outcome->our_name);
	result->payee_changed = outcome->payee_changed;
	result->payee_valid = outcome->payee_valid;
}

GPtrArray *
ph_cardholder_api_list_due(PhPlugin *plugin, guint limit, GError **error)
{
	PhDb *db = ph_worker_db_get(error);
	if (db == NULL)
		return NULL;
	g_autoptr(GPtrArray) due = ph_cardholder_list_due(db, (gint)MIN(limit, G_MAXINT), error);
	if (due == NULL)
		return NULL;
	GPtrArray *persons =
	        g_ptr_array_new_with_free_func((GDestroyNotify)ph_cardholder_api_person_free);
	for (guint i = 0; i < due->len; i++) {
		PhCardholderDue *row = g_ptr_array_index(due, i);
		PhCardholderPerson *person = g_new0(PhCardholderPerson, 1);
		person->id_number = g_steal_pointer(&row->id_number);
		person->name = g_steal_pointer(&row->name);
		g_ptr_array_add(persons, person);
	}
	return persons;
}

gboolean
ph_cardholder_api_store(PhPlugin *plugin, const PhCardholderCard *card, gint64 ttl_seconds,
                        PhCardholderResult *result, GError **error)
{
	g_return_val_if_fail(card != NULL && result != NULL, FALSE);

	PhDb *db = ph_worker_db_get(error);
	if (db == NULL || !ph_db_begin(db, error))
		return FALSE;
	PhCardholderAnswer answer = ph_cardholder_api_answer(card);
	PhCardholderOutcome outcome = {0};
	if (!ph_cardholder_store(db, &answer, ttl_seconds, "query", ph_plugin_get_name(plugin),
	                         &outcome, error) ||
	    !ph_db_commit(db, error)) {
		ph_db_rollback(db);
		ph_cardholder_outcome_clear(&outcome);
		return FALSE;
	}
	ph_cardholder_api_result(&outcome, result);
	return TRUE;
}

gboolean
ph_cardholder_api_note_failure(PhPlugin *plugin, const gchar *id_number, const gchar *reason,
                               gint64 retry_seconds, GError **error)
{
	PhDb *db = ph_worker_db_get(error);
	return db != NULL &&
	       ph_cardholder_note_failure(db, id_number, reason, retry_seconds, error);
}

gboolean
ph_cardholder_api_apply_notice(PhTxn *txn, const PhCardholderNotice *notice, gint64 ttl_seconds,
                               PhCardholderResult *result, gboolean *duplicate, GError **error)
{
	g_return_val_if_fail(txn != NULL && notice != NULL && result != NULL, FALSE);

	PhCardholderChange change = {notice->notice_id, notice->change, notice->changed_on,
	                             ph_cardholder_api_answer(&notice->card)};
	PhCardholderOutcome outcome = {0};
	if (!ph_cardholder_apply_notice(ph_txn_get_db(txn), &change, ttl_seconds,
	                                ph_txn_get_plugin_name(txn), &outcome, duplicate, error)) {
		ph_cardholder_outcome_clear(&outcome);
		return FALSE;
	}
	ph_cardholder_api_result(&outcome, result);
	return TRUE;
}
