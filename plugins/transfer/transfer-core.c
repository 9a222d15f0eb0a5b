/* The core's commands as the adapter calls them (SDK ph-core-api.h, ph-transfer-api.h):
 * the amounts of a transfer out come from the core (RULES §4), never from here. */
#include "transfer-private.h"

/* Today in China Standard Time, YYYYMMDD: the transfer date the core takes. */
static gchar *
transfer_core_today(void)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autoptr(GDateTime) local = g_date_time_add_hours(now, 8);
	return g_date_time_format(local, "%Y%m%d");
}

gboolean
transfer_core_person(PhTxn *txn, const gchar *id_number, TransferPerson *person, GError **error)
{
	g_auto(PhTransferPerson) found = {0};
	if (!ph_transfer_core_get_person(txn, id_number, &found, error))
		return FALSE;
	person->id_number = g_steal_pointer(&found.id_number);
	person->name = g_steal_pointer(&found.name);
	person->sex = g_steal_pointer(&found.sex);
	person->birth = g_steal_pointer(&found.birth_date);
	return TRUE;
}

gboolean
transfer_core_out(PhTxn *txn, const gchar *case_id, const gchar *id_number,
                  const gchar *other_region, TransferSheet *sheet, GError **error)
{
	g_autofree gchar *today = transfer_core_today();
	PhTransferOutRequest request = {case_id, id_number, today, other_region};
	g_auto(PhTransferOutSheet) out = {0};
	if (!ph_transfer_core_compute_out(txn, &request, &out, error))
		return FALSE;
	sheet->id_number = g_steal_pointer(&out.person.id_number);
	sheet->name = g_steal_pointer(&out.person.name);
	sheet->sex = g_steal_pointer(&out.person.sex);
	sheet->birth = g_steal_pointer(&out.person.birth_date);
	sheet->deemed_months = out.deemed_months;
	sheet->deemed_index =
	        g_strdup_printf("%d.%04d", out.deemed_index / 10000, out.deemed_index % 10000);
	sheet->actual_months = out.actual_months;
	sheet->months = g_array_new(FALSE, FALSE, sizeof(TransferMonth));
	for (guint i = 0; i < out.periods->len; i++) {
		TransferMonth month = {g_array_index(out.periods, gint32, i),
		                       g_array_index(out.bases, gint64, i)};
		g_array_append_val(sheet->months, month);
	}
	sheet->account_total = out.account_balance;
	sheet->account = out.account_balance;
	sheet->pooled = out.pooled_fund;
	sheet->total = out.total;
	sheet->annuity = out.annuity_balance;
	return TRUE;
}

gboolean
transfer_core_in(PhTxn *txn, const gchar *case_id, const gchar *other_region,
                 const TransferSheet *info, GError **error)
{
	g_autofree gchar *today = transfer_core_today();
	g_autoptr(GPtrArray) months = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GArray) bases = g_array_new(FALSE, FALSE, sizeof(gint64));
	for (guint i = 0; i < info->months->len; i++) {
		const TransferMonth *month = &g_array_index(info->months, TransferMonth, i);
		g_ptr_array_add(months, g_strdup_printf("%04d-%02d", month->period / 100,
		                                        month->period % 100));
		g_array_append_val(bases, month->base);
	}
	g_ptr_array_add(months, NULL);
	PhTransferInRequest request = {
	        .case_id = case_id,
	        .id_number = info->id_number,
	        .transfer_date = today,
	        .other_region = other_region,
	        .has_deemed = info->deemed_months > 0,
	        .deemed_months = info->deemed_months,
	        .deemed_index = info->deemed_index,
	        .months = (const gchar *const *)months->pdata,
	        .bases = (const gint64 *)(gpointer)bases->data,
	        .n_months = info->months->len,
	        .pooled_fund = info->pooled,
	        .account_balance = info->account,
	        .annuity_balance = info->annuity,
	};
	PhCommandOutcome outcome = {0};
	gboolean ok = ph_core_transfer_in(txn, &request, &outcome, error);
	ph_core_outcome_clear(&outcome);
	return ok;
}

gboolean
transfer_core_end(PhTxn *txn, const gchar *case_id, gboolean completed, GError **error)
{
	/* Computing the sheet only suspended the member's contributions (AAC031 = 2); the
	 * case's end decides, in the transaction that marks it COMPLETED or REJECTED. */
	PhCommandOutcome outcome = {0};
	gboolean ok = completed ? ph_core_transfer_out_complete(txn, case_id, &outcome, error)
	                        : ph_core_transfer_out_cancel(txn, case_id, &outcome, error);
	ph_core_outcome_clear(&outcome);
	return ok;
}
