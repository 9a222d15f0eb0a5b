/* pensionctl payout run|reissue --period YYYY-MM [--bank NAME] | list [--period] | show BATCH:
 * builds the month's bank batches in one transaction together with their uploads queued on
 * the bank adapter's outbox topic (the daemon's dispatcher sends them), and shows them. */
#include "ph-ctl-store.h"
#include "ph-person.h"
#include "ph-payout-run.h"

#define PH_CTL_PAYOUT_USAGE                                                                        \
	"payout run --period YYYY-MM [--bank NAME] | reissue --period YYYY-MM [--bank NAME] | "    \
	"list [--period YYYY-MM] | show BATCH"
static void
ph_ctl_payout_print_batch(const PhPayoutBatch *batch, const gchar *note)
{
	g_autofree gchar *month = ph_period_to_string(batch->period);
	g_print("%010" G_GINT64_FORMAT " %-12s %-7s %-8s %-6s %9" G_GINT64_FORMAT
	        " %15" G_GINT64_FORMAT " %s%s\n",
	        batch->batch_no, batch->bank, month, batch->kind, batch->state, batch->item_count,
	        batch->total, batch->file_name != NULL ? batch->file_name : "-", note);
}

static void
ph_ctl_payout_print_header(void)
{
	g_print("%-10s %-12s %-7s %-8s %-6s %9s %15s %s\n", "BATCH", "BANK", "PERIOD", "KIND",
	        "STATE", "ITEMS", "TOTAL(FEN)", "FILE");
}

static int
ph_ctl_payout_print_excluded(PhDb *db, PhPeriod period)
{
	g_autoptr(GError) error = NULL;
	gchar month[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(month, period)};
	g_autoptr(PGresult) rows =
	        ph_db_query(db,
	                    "SELECT p.id_number, p.name, coalesce(e.bank, '-'), e.amount, e.reason "
	                    "FROM payout_excluded e JOIN person p ON p.person_id = e.person_id "
	                    "WHERE e.period = $1::integer ORDER BY e.person_id",
	                    1, params, &error);
	if (rows == NULL)
		return ph_ctl_fail(error);
	g_autofree gchar *month_text = ph_period_to_string(period);
	if (PQntuples(rows) > 0)
		g_print("left out of %s:\n", month_text);
	for (gint row = 0; row < PQntuples(rows); row++) {
		g_autofree gchar *id_number = ph_person_open_id(PQgetvalue(rows, row, 0), &error);
		if (id_number == NULL)
			return ph_ctl_fail(error);
		g_autofree gchar *masked = ph_person_mask(id_number);
		g_print("  %s %s %s %s: %s\n", masked, PQgetvalue(rows, row, 1),
		        PQgetvalue(rows, row, 2), PQgetvalue(rows, row, 3),
		        PQgetvalue(rows, row, 4));
	}
	return PH_CTL_EXIT_OK;
}

static int
ph_ctl_payout_run(PhCtl *ctl, PhDb *db, PhPayoutKind kind, int argc, char **argv)
{
	g_autofree gchar *period_text = NULL;
	g_autofree gchar *bank = NULL;
	g_autoptr(GError) error = NULL;
	PhPeriod period = 0;
	const GOptionEntry entries[] = {
	        {"period", 0, 0, G_OPTION_ARG_STRING, &period_text, "the month", "YYYY-MM"},
	        {"bank", 0, 0, G_OPTION_ARG_STRING, &bank, "only this bank", "NAME"},
	        {NULL},
	};
	if (!ph_ctl_store_parse(PH_CTL_PAYOUT_USAGE, entries, &argc, &argv) || argc != 1 ||
	    period_text == NULL)
		return ph_ctl_usage(PH_CTL_PAYOUT_USAGE);
	if (!ph_period_parse(period_text, &period, &error))
		return ph_ctl_fail(error);
	PhPayoutRun run = {0};
	if (!ph_payout_run_execute(db, ph_ctl_operator(ctl), kind, period, bank, &run, &error)) {
		ph_payout_run_clear(&run);
		return ph_ctl_fail(error);
	}
	ph_ctl_payout_print_header();
	for (guint i = 0; i < run.batches->len; i++)
		ph_ctl_payout_print_batch(g_ptr_array_index(run.batches, i), " (new, queued)");
	for (guint i = 0; i < run.existing->len; i++)
		ph_ctl_payout_print_batch(g_ptr_array_index(run.existing, i), " (built before)");
	if (run.batches->len == 0 && run.existing->len == 0)
		g_print("nobody to pay\n");
	ph_payout_run_clear(&run);
	return ph_ctl_payout_print_excluded(db, period);
}

static int
ph_ctl_payout_list(PhDb *db, int argc, char **argv)
{
	g_autofree gchar *period_text = NULL;
	g_autoptr(GError) error = NULL;
	PhPeriod period = 0;
	const GOptionEntry entries[] = {
	        {"period", 0, 0, G_OPTION_ARG_STRING, &period_text, "only this month", "YYYY-MM"},
	        {NULL},
	};
	if (!ph_ctl_store_parse(PH_CTL_PAYOUT_USAGE, entries, &argc, &argv) || argc != 1)
		return ph_ctl_usage(PH_CTL_PAYOUT_USAGE);
	if (period_text != NULL && !ph_period_parse(period_text, &period, &error))
		return ph_ctl_fail(error);
	g_autoptr(GPtrArray) batches = ph_payout_batch_list(db, period, &error);
	if (batches == NULL)
		return ph_ctl_fail(error);
	ph_ctl_payout_print_header();
	for (guint i = 0; i < batches->len; i++)
		ph_ctl_payout_print_batch(g_ptr_array_index(batches, i), "");
	return PH_CTL_EXIT_OK;
}

static gboolean
ph_ctl_payout_print_item(const PhPayoutItem *item, gpointer user_data, GError **error)
{
	g_print("%8d %-18s %-12s %-24s %12" G_GINT64_FORMAT " %-6s %-4s %s\n", item->serial,
	        item->id_number, item->name, item->account, item->amount, item->state,
	        item->status != NULL ? item->status : "-",
	        item->message != NULL ? item->message : "");
	return TRUE;
}

static int
ph_ctl_payout_show(PhDb *db, const gchar *text)
{
	g_autoptr(GError) error = NULL;
	gint64 batch_no = 0;
	if (!ph_ctl_store_parse_id(text, &batch_no, &error))
		return ph_ctl_fail(error);
	g_autoptr(PhPayoutBatch) batch = ph_payout_batch_get(db, batch_no, FALSE, &error);
	if (batch == NULL)
		return ph_ctl_fail(error);
	ph_ctl_payout_print_header();
	ph_ctl_payout_print_batch(batch, "");
	g_print("digest: %s\n%8s %-18s %-12s %-24s %12s %-6s %-4s %s\n",
	        batch->digest != NULL ? batch->digest : "-", "SERIAL", "AAC002", "AAC003", "AAE010",
	        "AAE019", "STATE", "CODE", "MESSAGE");
	if (!ph_db_begin(db, &error) ||
	    !ph_payout_batch_foreach_item(db, batch_no, ph_ctl_payout_print_item, NULL, &error) ||
	    !ph_db_commit(db, &error)) {
		ph_db_rollback(db);
		return ph_ctl_fail(error);
	}
	return PH_CTL_EXIT_OK;
}

int
ph_ctl_payout_main(PhCtl *ctl, int argc, char **argv)
{
	if (argc < 2)
		return ph_ctl_usage(PH_CTL_PAYOUT_USAGE);
	const gchar *verb = argv[1];
	if (!g_str_equal(verb, "run") && !g_str_equal(verb, "reissue") &&
	    !g_str_equal(verb, "list") && !g_str_equal(verb, "show"))
		return ph_ctl_usage(PH_CTL_PAYOUT_USAGE);
	if (g_str_equal(verb, "show") && argc != 3)
		return ph_ctl_usage(PH_CTL_PAYOUT_USAGE);
	PhDb *db = ph_ctl_store_db(ctl);
	if (db == NULL)
		return PH_CTL_EXIT_FAILED;
	if (g_str_equal(verb, "run"))
		return ph_ctl_payout_run(ctl, db, PH_PAYOUT_REGULAR, argc - 1, argv + 1);
	if (g_str_equal(verb, "reissue"))
		return ph_ctl_payout_run(ctl, db, PH_PAYOUT_REISSUE, argc - 1, argv + 1);
	if (g_str_equal(verb, "list"))
		return ph_ctl_payout_list(db, argc - 1, argv + 1);
	return ph_ctl_payout_show(db, argv[2]);
}
