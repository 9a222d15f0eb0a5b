/* `pensionctl person show AAC002`: one person as JSON — enrolment, contributions summary,
 * balances, benefit with its components (issue 3 §5). Read-only. pensionctl only. */
#include "ph-ctl-calc.h"
#include "ph-ctl-store.h"
#include "ph-person-show.h"

#define PERSON_USAGE "person show AAC002"

int
ph_ctl_person_main(PhCtl *ctl, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;

	if (argc != 3 || !g_str_equal(argv[1], "show"))
		return ph_ctl_usage(PERSON_USAGE);
	PhDb *db = ph_ctl_store_db(ctl);
	if (db == NULL)
		return PH_CTL_EXIT_FAILED;
	g_autoptr(JsonNode) person = ph_person_show(db, argv[2], &error);
	if (person == NULL)
		return ph_ctl_fail(error);
	ph_ctl_calc_print_json(person);
	return PH_CTL_EXIT_OK;
}
