/* The SDK's medical calls (pension-hub/ph-medical-api.h) over core/ph-pension-status.c, on
 * the calling worker thread's connection. Hub layer. */
#include "pension-hub/ph-medical-api.h"

#include <string.h>

#include "ph-pension-status.h"
#include "ph-worker-db.h"

void
ph_medical_api_status_clear(PhMedicalStatus *status)
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

gboolean
ph_medical_api_get_status(PhPlugin *plugin, const gchar *id_number, gint64 person_id,
                          PhMedicalStatus *out, gboolean *found, GError **error)
{
	g_return_val_if_fail(out != NULL && found != NULL, FALSE);

	PhPensionStatus status = {0};
	PhDb *db = ph_worker_db_get(error);
	if (db == NULL || !ph_pension_status_get(db, id_number, person_id, &status, found, error))
		return FALSE;
	/* the same fields, handed over without copying */
	out->person_id = status.person_id;
	out->id_number = status.id_number;
	out->name = status.name;
	out->sex = status.sex;
	out->birth_date = status.birth_date;
	out->enrolment_state = status.enrolment_state;
	out->contribution_state = status.contribution_state;
	out->retired = status.retired;
	out->benefit_start = status.benefit_start;
	out->benefit_status = status.benefit_status;
	out->death_date = status.death_date;
	return TRUE;
}
