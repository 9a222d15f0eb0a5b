/* pensionctl cardholder show AAC002 | unconfirmed | override AAC002 --bank NAME --account
 * AAE010 --reason R | override AAC002 --remove: what the cardholder base said about a person
 * (identity verdict, card, account, freshness) and the payout account; the clerk's worklist
 * of identities not confirmed; a clerk's override of the payout account. */
#include "ph-cardholder.h"
#include "ph-ctl-store.h"

#define PH_CTL_CARDHOLDER_USAGE                                                                    \
	"cardholder show AAC002 | unconfirmed | override AAC002 --bank NAME --account AAE010 "     \
	"--reason TEXT | "                                                                         \
	"override AAC002 --remove"

static int
ph_ctl_cardholder_show(PhDb *db, const gchar *id_number)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *json = ph_cardholder_show_json(db, id_number, &error);
	if (json == NULL)
		return ph_ctl_fail(error);
	g_print("%s\n", json);
	return PH_CTL_EXIT_OK;
}

static int
ph_ctl_cardholder_unconfirmed(PhDb *db)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *lines = ph_cardholder_unconfirmed_json_lines(db, &error);
	if (lines == NULL)
		return ph_ctl_fail(error);
	if (*lines != '\0')
		g_print("%s\n", lines);
	return PH_CTL_EXIT_OK;
}

/* The override and its payee-account audit entry name the operator (ph_ctl_operator: [audit]
 * operator, else the unix user), as every audited pensionctl command does. */
static int
ph_ctl_cardholder_override(PhCtl *ctl, PhDb *db, int argc, char **argv)
{
	g_autofree gchar *bank = NULL;
	g_autofree gchar *account = NULL;
	g_autofree gchar *reason = NULL;
	gboolean remove = FALSE;
	g_autoptr(GError) error = NULL;
	const GOptionEntry entries[] = {
	        {"bank", 0, 0, G_OPTION_ARG_STRING, &bank, "the bank's name in [plugin bank]",
	         "NAME"},
	        {"account", 0, 0, G_OPTION_ARG_STRING, &account, "the account (AAE010)", "AAE010"},
	        {"reason", 0, 0, G_OPTION_ARG_STRING, &reason, "why the card's account is wrong",
	         "TEXT"},
	        {"remove", 0, 0, G_OPTION_ARG_NONE, &remove, "pay to the card's account again",
	         NULL},
	        {NULL},
	};
	if (!ph_ctl_store_parse(PH_CTL_CARDHOLDER_USAGE, entries, &argc, &argv) || argc != 2 ||
	    remove == (bank != NULL || account != NULL) || (!remove && reason == NULL))
		return ph_ctl_usage(PH_CTL_CARDHOLDER_USAGE);
	if (!ph_db_begin(db, &error) ||
	    !ph_cardholder_set_override(db, argv[1], remove ? NULL : bank, account, reason,
	                                ph_ctl_operator(ctl), &error) ||
	    !ph_db_commit(db, &error)) {
		ph_db_rollback(db);
		return ph_ctl_fail(error);
	}
	return ph_ctl_cardholder_show(db, argv[1]);
}

int
ph_ctl_cardholder_main(PhCtl *ctl, int argc, char **argv)
{
	gboolean worklist = argc == 2 && g_str_equal(argv[1], "unconfirmed");
	if (!worklist &&
	    (argc < 3 || (!g_str_equal(argv[1], "show") && !g_str_equal(argv[1], "override")) ||
	     (g_str_equal(argv[1], "show") && argc != 3)))
		return ph_ctl_usage(PH_CTL_CARDHOLDER_USAGE);
	PhDb *db = ph_ctl_store_db(ctl);
	if (db == NULL)
		return PH_CTL_EXIT_FAILED;
	if (worklist)
		return ph_ctl_cardholder_unconfirmed(db);
	if (g_str_equal(argv[1], "show"))
		return ph_ctl_cardholder_show(db, argv[2]);
	return ph_ctl_cardholder_override(ctl, db, argc - 1, argv + 1);
}
