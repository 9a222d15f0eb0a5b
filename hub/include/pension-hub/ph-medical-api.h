/* SDK: a person's pension status for the medical insurance adapter (plugins/medical): the
 * query the medical system makes and the retirement and death notices it receives.
 * Implemented in hub/ph-medical-api.c over core/ph-pension-status.c. GLib only. */
#pragma once

#include <glib.h>

#include "ph-error.h"
#include "ph-pension-status.h"
#include "ph-plugin.h"

G_BEGIN_DECLS

/* The core's record, fields in national element codes (see ph-pension-status.h). */
typedef PhPensionStatus PhMedicalStatus;

void ph_medical_api_status_clear(PhMedicalStatus *status);

/* The status of the person with @id_number (AAC002), or when it is NULL of @person_id
 * (AAC001, as core events carry it); @found FALSE without an error when unknown. Uses the
 * calling worker thread's connection. */
gboolean ph_medical_api_get_status(PhPlugin *plugin, const gchar *id_number, gint64 person_id,
                                   PhMedicalStatus *out, gboolean *found, GError **error);

G_END_DECLS
