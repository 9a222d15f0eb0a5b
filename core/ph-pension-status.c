/* A person's pension status for partners (see ph-pension-status.h). Core only. */
#include "ph-pension-status.h"

#include <string.h>

#include "ph-command.h"
#include "ph-person.h"

/* AAC008 from the person's state; AAC084 stays 1 for a retiree who has died; AAE116 from
 * the benefit, a death (终止) and a payout hold (暂停). */
#define PH_PENSION_STATUS_SELECT                                                                   \
	"SELECT p.person_id, p.id_number, p.name, p.sex, p.birth_date, CASE WHEN p.status IN "     \
	"('left', 'transferred', 'dead') OR p.death_date IS NOT NULL THEN '3' WHEN "               \
	"p.contribution_status = '2' THEN '2' ELSE '1' END, p.contribution_status, CASE WHEN "     \
	"b.person_id IS NOT NULL THEN '1' ELSE '0' END, CASE WHEN b.eligible THEN "                \
	"b.start_period END, CASE WHEN NOT coalesce(b.eligible, false) THEN NULL WHEN p.status "   \
	"= 'dead' OR p.death_date IS NOT NULL THEN '3' WHEN EXISTS (SELECT 1 FROM payout_hold h "  \
	"WHERE h.person_id = p.person_id) THEN '2' ELSE '1' END, p.death_date FROM person p "      \
	"LEFT JOIN benefit b ON b.person_id = p.person_id "

void
ph_pension_status_clear(PhPensionStatus *status)
{
	g_free(status->id_number);
	g_free(status->name);
	g_free(status->sex);
	g_free(status->birth_date);
	g_free(status->enrolment_state);
	g_free(status->contribution_state);
	g_free(status->retired);
	g_free(status->benefit_status);
	g_free(status->death_date);
	memset(status, 0, sizeof *status);
}

static gchar *
ph_pension_status_text(PGresult *result, gint column)
{
	return PQgetisnull(result, 0, column) ? NULL : g_strdup(PQgetvalue(result, 0, column));
}

gboolean
ph_pension_status_get(PhDb *db, const gchar *id_number, gint64 person_id, PhPensionStatus *out,
                      gboolean *found, GError **error)
{
	g_autofree gchar *key = id_number != NULL ? ph_person_lookup_key(id_number) : NULL;
	gchar number[24];
	const gchar *params[] = {key != NULL ? key : PH_COMMAND_INT_TEXT(number, person_id)};
	g_autoptr(PGresult) result =
	        ph_db_query(db,
	                    key != NULL ? PH_PENSION_STATUS_SELECT "WHERE p.id_lookup = $1"
	                                : PH_PENSION_STATUS_SELECT "WHERE p.person_id = $1::bigint",
	                    1, params, error);
	if (result == NULL)
		return FALSE;
	*found = PQntuples(result) > 0;
	if (!*found)
		return TRUE;
	out->person_id = ph_db_get_int64(result, 0, 0);
	out->id_number = ph_person_open_id(PQgetvalue(result, 0, 1), error);
	if (out->id_number == NULL)
		return FALSE;
	out->name = ph_pension_status_text(result, 2);
	out->sex = ph_pension_status_text(result, 3);
	out->birth_date = ph_pension_status_text(result, 4);
	out->enrolment_state = ph_pension_status_text(result, 5);
	out->contribution_state = ph_pension_status_text(result, 6);
	out->retired = ph_pension_status_text(result, 7);
	out->benefit_start = (gint)ph_db_get_int64(result, 0, 8);
	out->benefit_status = ph_pension_status_text(result, 9);
	out->death_date = ph_pension_status_text(result, 10);
	return TRUE;
}
