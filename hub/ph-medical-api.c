/* The SDK's medical calls (pension-hub/ph-medical-api.h) over core/ph-pension-status.c, on
 * the calling worker thread's connection. Hub layer. */
#include "pension-hub/ph-medical-api.h"

#include "ph-pension-status.h"
#include "ph-worker-db.h"

void
ph_medical_api_status_clear(PhMedicalStatus *status)
{
	ph_pension_status_clear(status);
}

gboolean
ph_medical_api_get_status(PhPlugin *plugin, const gchar *id_number, gint64 person_id,
                          PhMedicalStatus *out, gboolean *found, GError **error)
{
	g_return_val_if_fail(out != NULL && found != NULL, FALSE);

	PhDb *db = ph_worker_db_get(error);
	return db != NULL && ph_pension_status_get(db, id_number, person_id, out, found, error);
}
