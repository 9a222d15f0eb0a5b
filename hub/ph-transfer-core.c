/* The core's side of a transfer case for the transfer adapter (SDK ph-transfer-api.h): the
 * member's identity and the transfer-out sheet read from the core command's JSON result,
 * so that plugins need no JSON library. Host code. */
#include <json-glib/json-glib.h>

#include "ph-person.h"
#include "ph-transfer-api.h"
#include "ph-txn.h"

void
ph_transfer_person_clear(PhTransferPerson *person)
{
	g_clear_pointer(&person->id_number, g_free);
	g_clear_pointer(&person->name, g_free);
	g_clear_pointer(&person->sex, g_free);
	g_clear_pointer(&person->birth_date, g_free);
}

gboolean
ph_transfer_core_get_person(PhTxn *txn, const gchar *id_number, PhTransferPerson *person,
                            GError **error)
{
	g_return_val_if_fail(txn != NULL && id_number != NULL && person != NULL, FALSE);
	g_autofree gchar *key = ph_person_lookup_key(id_number);
	const gchar *params[] = {key};
	g_autoptr(PGresult) result = ph_db_query(
	        ph_txn_get_db(txn),
	        "SELECT NULL, name, sex, birth_date FROM person WHERE id_lookup = $1", 1,
	        params, error);
	if (result == NULL)
		return FALSE;
	if (PQntuples(result) == 0) {
		g_autofree gchar *masked = ph_person_mask(id_number);
		g_set_error(error, PH_ERROR, PH_ERROR_NOT_FOUND, "person %s: unknown", masked);
		return FALSE;
	}
	/* found by its keyed hash: the stored envelope holds @id_number */
	person->id_number = g_strdup(id_number);
	person->name = g_strdup(PQgetvalue(result, 0, 1));
	person->sex = g_strdup(PQgetvalue(result, 0, 2));
	person->birth_date = g_strdup(PQgetvalue(result, 0, 3));
	return TRUE;
}

void
ph_transfer_out_sheet_clear(PhTransferOutSheet *sheet)
{
	ph_transfer_person_clear(&sheet->person);
	g_clear_pointer(&sheet->periods, g_array_unref);
	g_clear_pointer(&sheet->bases, g_array_unref);
}

static gboolean
ph_transfer_core_read_sheet(JsonObject *result, PhTransferOutSheet *sheet, GError **error)
{
	const gchar *const members[] = {"AAE200",          "deemed_index", "AAE201",
	                                "AIC103",          "AIC099",       "AIC102",
	                                "annuity_balance", "contributions"};
	for (guint i = 0; i < G_N_ELEMENTS(members); i++) {
		if (!json_object_has_member(result, members[i])) {
			g_set_error(error, PH_ERROR, PH_ERROR_FAILED,
			            "transfer out result: no member %s", members[i]);
			return FALSE;
		}
	}
	sheet->deemed_months = (gint)json_object_get_int_member(result, "AAE200");
	sheet->deemed_index = (gint32)json_object_get_int_member(result, "deemed_index");
	sheet->actual_months = (gint)json_object_get_int_member(result, "AAE201");
	sheet->pooled_fund = json_object_get_int_member(result, "AIC103");
	sheet->account_balance = json_object_get_int_member(result, "AIC099");
	sheet->total = json_object_get_int_member(result, "AIC102");
	sheet->annuity_balance = json_object_get_int_member(result, "annuity_balance");
	sheet->interest_provisional =
	        json_object_get_boolean_member_with_default(result, "interest_provisional", FALSE);
	JsonArray *months = json_object_get_array_member(result, "contributions");
	sheet->periods = g_array_new(FALSE, FALSE, sizeof(gint32));
	sheet->bases = g_array_new(FALSE, FALSE, sizeof(gint64));
	for (guint i = 0; months != NULL && i < json_array_get_length(months); i++) {
		JsonArray *pair = json_array_get_array_element(months, i);
		gint32 period = (gint32)json_array_get_int_element(pair, 0);
		gint64 base = json_array_get_int_element(pair, 1);
		g_array_append_val(sheet->periods, period);
		g_array_append_val(sheet->bases, base);
	}
	return TRUE;
}

gboolean
ph_transfer_core_compute_out(PhTxn *txn, const PhTransferOutRequest *request,
                             PhTransferOutSheet *sheet, GError **error)
{
	g_return_val_if_fail(txn != NULL && request != NULL && sheet != NULL, FALSE);
	PhCommandOutcome outcome = {0};
	if (!ph_transfer_core_get_person(txn, request->id_number, &sheet->person, error))
		return FALSE;
	if (!ph_core_transfer_out(txn, request, &outcome, error))
		return FALSE;
	sheet->duplicate = outcome.duplicate;
	g_autoptr(JsonParser) parser = json_parser_new();
	gboolean ok = outcome.result_json != NULL &&
	              json_parser_load_from_data(parser, outcome.result_json, -1, NULL) &&
	              JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser));
	if (!ok)
		g_set_error(error, PH_ERROR, PH_ERROR_FAILED,
		            "transfer out result is not an object");
	else
		ok = ph_transfer_core_read_sheet(json_node_get_object(json_parser_get_root(parser)),
		                                 sheet, error);
	ph_core_outcome_clear(&outcome);
	return ok;
}
