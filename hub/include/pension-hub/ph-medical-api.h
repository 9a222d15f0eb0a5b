/* SDK: a person's pension status for the medical insurance adapter (plugins/medical): the
 * query the medical system makes and the retirement and death notices it receives.
 * Implemented in hub/ph-medical-api.c over core/ph-pension-status.c. GLib only. */
#pragma once

#include <glib.h>

#include "ph-error.h"
#include "ph-plugin.h"

G_BEGIN_DECLS

typedef struct {
	gint64 person_id;          /* AAC001 */
	gchar *id_number;          /* AAC002 */
	gchar *name;               /* AAC003 */
	gchar *sex;                /* AAC004 */
	gchar *birth_date;         /* AAC006 YYYYMMDD */
	gchar *enrolment_state;    /* AAC008: 1 正常参保, 2 暂停参保, 3 终止参保 */
	gchar *contribution_state; /* AAC031: 1 参保缴费, 2 暂停缴费, 3 终止缴费 */
	gchar *retired;            /* AAC084: 0 在职, 1 离退休 */
	gint benefit_start;        /* AIC160 YYYYMM; 0 when no benefit is paid */
	gchar *benefit_status; /* AAE116: 1 正常发放, 2 暂停发放, 3 终止发放; NULL: none */
	gchar *death_date;     /* AAE138 YYYYMMDD; NULL while alive */
} PhMedicalStatus;

void ph_medical_api_status_clear(PhMedicalStatus *status);

/* The status of the person with @id_number (AAC002), or when it is NULL of @person_id
 * (AAC001, as core events carry it); @found FALSE without an error when unknown. Uses the
 * calling worker thread's connection. */
gboolean ph_medical_api_get_status(PhPlugin *plugin, const gchar *id_number, gint64 person_id,
                                   PhMedicalStatus *out, gboolean *found, GError **error);

G_END_DECLS
