/* bank: the month's payout run on a schedule (`run_day`): from that day of each month, the
 * job builds the month's batches once, exactly as `pensionctl payout run --period` does, and
 * remembers in the plugin's state that it did. Plugin-internal. */
#include <string.h>

#include "bank-private.h"

void
bank_schedule_run(gpointer state)
{
	Bank *bank = state;
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autoptr(GError) error = NULL;
	if (g_date_time_get_day_of_month(now) < bank->run_day)
		return;
	gint period = g_date_time_get_year(now) * 100 + g_date_time_get_month(now);
	g_autofree gchar *key = g_strdup_printf("run:%06d", period);
	g_autoptr(GBytes) done = ph_plugin_state_get(bank->plugin, key, &error);
	if (done != NULL)
		return;
	if (!g_error_matches(error, PH_ERROR, PH_ERROR_NOT_FOUND)) {
		g_warning("bank: payout run %06d: %s", period, error->message);
		return;
	}
	g_clear_error(&error);
	guint built = 0;
	if (!ph_payout_api_run(bank->plugin, period, NULL, FALSE, &built, &error)) {
		g_warning("bank: payout run %06d: %s", period, error->message);
		return;
	}
	g_autofree gchar *text = g_strdup_printf("%u batches", built);
	g_autoptr(GBytes) value = g_bytes_new(text, strlen(text));
	if (!ph_plugin_state_set(bank->plugin, key, value, &error))
		g_warning("bank: payout run %06d: %s", period, error->message);
	g_message("bank: scheduled payout run %06d: %u new batches queued", period, built);
}
