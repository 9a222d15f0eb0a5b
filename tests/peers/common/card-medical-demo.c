/* card-medical-demo: seeds the development hub for demo-card-medical through the core's SDK
 * commands: `enrol --cards FILE` enrols a new member (a new AAC002 every run), adds their
 * card to the cardholder simulator's card file and prints the AAC002; `retire AAC002` and
 * `death AAC002` record what the medical system must hear of. Reads the hub's config for its
 * database. Not part of the hub. */
#include <stdio.h>

#include "pension-hub.h"
#include "ph-config.h"
#include "ph-field-key.h"
#include "ph-txn.h"

#define DEMO_NAME "李四"

/* A citizen ID born 1966-03-15 in 110105 with a random odd sequence (a man, AAC004 1) and
 * its GB 11643 check character. */
static gchar *
demo_new_id(void)
{
	static const gint weights[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
	g_autofree gchar *body =
	        g_strdup_printf("11010519660315%03d", 2 * g_random_int_range(0, 500) + 1);
	gint sum = 0;
	for (guint i = 0; i < G_N_ELEMENTS(weights); i++)
		sum += (body[i] - '0') * weights[i];
	return g_strdup_printf("%s%c", body, "10X98765432"[sum % 11]);
}

static gboolean
demo_enrol(PhTxn *txn, const gchar *id_number, GError **error)
{
	PhCommandOutcome outcome = {0};
	PhUnitRequest unit = {"U0001", "北京市某局", NULL, "55", "110105", "full"};
	PhEnrolRequest hire = {.id_number = id_number,
	                       .name = DEMO_NAME,
	                       .sex = "1",
	                       .birth_date = "19660315",
	                       .unit_code = "U0001",
	                       .effective = "20240101",
	                       .wage = 750000};
	gboolean ok = ph_core_register_unit(txn, &unit, &outcome, error);
	ph_core_outcome_clear(&outcome);
	ok = ok && ph_core_enrol(txn, &hire, &outcome, error);
	ph_core_outcome_clear(&outcome);
	return ok;
}

/* The member's card at 工商银行 (AAE008 102), appended to the simulator's card file. */
static gboolean
demo_add_card(const gchar *cards, const gchar *id_number, GError **error)
{
	g_autofree gchar *text = NULL;
	if (!g_file_get_contents(cards, &text, NULL, NULL))
		text = g_strdup("# AAC002\tAAC003\tAAZ500\tAAZ502\tAAE008\tAAE010\n");
	g_autofree gchar *all = g_strdup_printf("%s%s\t" DEMO_NAME "\tA%s\t1\t102\t62220202%s\n",
	                                        text, id_number, id_number + 8, id_number + 7);
	return g_file_set_contents(cards, all, -1, error);
}

static gboolean
demo_run(PhTxn *txn, const gchar *verb, const gchar *id_number, GError **error)
{
	PhCommandOutcome outcome = {0};
	gboolean ok;
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree gchar *today = g_date_time_format(now, "%Y%m%d");
	if (g_str_equal(verb, "enrol")) {
		ok = demo_enrol(txn, id_number, error);
	} else if (g_str_equal(verb, "retire")) {
		PhRetireRequest request = {id_number, today, "2", FALSE, 0};
		ok = ph_core_retire(txn, &request, &outcome, error);
	} else {
		PhDeathRequest request = {id_number, today};
		ok = ph_core_death(txn, &request, &outcome, error);
	}
	ph_core_outcome_clear(&outcome);
	return ok;
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *config_path = NULL;
	g_autofree gchar *cards = NULL;
	GOptionEntry entries[] = {
	        {"config", 0, 0, G_OPTION_ARG_FILENAME, &config_path, "the hub's config", "FILE"},
	        {"cards", 0, 0, G_OPTION_ARG_FILENAME, &cards, "the simulator's card file", "FILE"},
	        {NULL},
	};
	g_autoptr(GOptionContext) options =
	        g_option_context_new("enrol | retire AAC002 | death AAC002");
	g_option_context_add_main_entries(options, entries, NULL);
	if (!g_option_context_parse(options, &argc, &argv, &error) || argc < 2 ||
	    (g_str_equal(argv[1], "enrol") ? argc != 2 || cards == NULL
	                                   : argc != 3 || (!g_str_equal(argv[1], "retire") &&
	                                                   !g_str_equal(argv[1], "death")))) {
		g_printerr(
		        "usage: card-medical-demo [--config F] enrol --cards FILE | retire AAC002 "
		        "| death AAC002\n");
		return 2;
	}
	g_autofree gchar *person = argc == 3 ? g_strdup(argv[2]) : demo_new_id();
	g_autoptr(PhConfig) config = ph_config_load(ph_config_choose_path(config_path), &error);
	/* Sealed columns (encryption at rest) must be written as the hub writes them. */
	gboolean keys = config != NULL && ph_field_keys_install(config, &error);
	g_autoptr(PhDb) db = keys ? ph_db_connect(config->database_url, &error) : NULL;
	g_autoptr(PhTxn) txn = db != NULL ? ph_txn_begin(db, NULL, &error) : NULL;
	if (txn == NULL || !demo_run(txn, argv[1], person, &error) || !ph_txn_commit(txn, &error) ||
	    (cards != NULL && !demo_add_card(cards, person, &error))) {
		g_printerr("card-medical-demo: %s\n", error->message);
		return 1;
	}
	printf("%s\n", person);
	return 0;
}
