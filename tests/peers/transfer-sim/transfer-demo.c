/* transfer-demo: seeds the development hub for the transfer-in demo — a new member enrolled
 * in its own unit U9001 (the other demo data stays as it is) through the core's SDK commands;
 * prints the member's AAC002. Used by demo-transfer-in; reads the hub's config. Not the hub. */
#include <stdio.h>

#include "pension-hub.h"
#include "ph-config.h"
#include "ph-field-key.h"
#include "ph-core-api.h"
#include "ph-txn.h"

static gboolean
demo_enrol(PhTxn *txn, const gchar *id_number, GError **error)
{
	PhCommandOutcome outcome = {0};
	PhUnitRequest unit = {"U9001", "转移接续演示单位", NULL, "55", "110105", "full"};
	PhEnrolRequest hire = {.id_number = id_number,
	                       .name = "王五",
	                       .sex = "1",
	                       .birth_date = "19800101",
	                       .unit_code = "U9001",
	                       .effective = "20240101",
	                       .wage = 750000};
	gboolean ok = ph_core_register_unit(txn, &unit, &outcome, error);
	ph_core_outcome_clear(&outcome);
	if (!ok)
		return FALSE;
	ok = ph_core_enrol(txn, &hire, &outcome, error);
	ph_core_outcome_clear(&outcome);
	return ok;
}

/* A citizen ID born 1980-01-01 in 110105 with a random sequence and its GB 11643 check
 * character, so that every run of the demo transfers a new member. */
static gchar *
demo_new_id(void)
{
	static const gint weights[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
	/* An odd sequence: a man, as AAC004 = 1 says. */
	g_autofree gchar *body =
	        g_strdup_printf("11010519800101%03d", 2 * g_random_int_range(0, 500) + 1);
	gint sum = 0;
	for (guint i = 0; i < G_N_ELEMENTS(weights); i++)
		sum += (body[i] - '0') * weights[i];
	return g_strdup_printf("%s%c", body, "10X98765432"[sum % 11]);
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *config_path = NULL;
	g_autofree gchar *person = NULL;
	GOptionEntry entries[] = {
	        {"config", 0, 0, G_OPTION_ARG_FILENAME, &config_path, "the hub's config", "FILE"},
	        {"person", 0, 0, G_OPTION_ARG_STRING, &person, "AAC002 to enrol (a new one)",
	         "AAC002"},
	        {NULL},
	};
	g_autoptr(GOptionContext) options = g_option_context_new("- seed the transfer demo");
	g_option_context_add_main_entries(options, entries, NULL);
	if (!g_option_context_parse(options, &argc, &argv, &error)) {
		g_printerr("transfer-demo: %s\n", error->message);
		return 2;
	}
	if (person == NULL)
		person = demo_new_id();
	g_autoptr(PhConfig) config = ph_config_load(ph_config_choose_path(config_path), &error);
	/* Sealed columns (encryption at rest) must be written as the hub writes them. */
	gboolean keys = config != NULL && ph_field_keys_install(config, &error);
	g_autoptr(PhDb) db = keys ? ph_db_connect(config->database_url, &error) : NULL;
	g_autoptr(PhTxn) txn = db != NULL ? ph_txn_begin(db, NULL, &error) : NULL;
	if (txn == NULL || !demo_enrol(txn, person, &error) || !ph_txn_commit(txn, &error)) {
		g_printerr("transfer-demo: %s\n", error->message);
		return 1;
	}
	printf("%s\n", person);
	return 0;
}
