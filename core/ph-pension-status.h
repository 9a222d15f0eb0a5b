/* A person's pension status as partners see it (the medical system's query and notices,
 * issue 8): enrolment state, retirement, benefit start and status, death, in national
 * element codes. Core; the hub reaches it through hub/ph-medical-api.c. GLib only, as the
 * SDK ships it for its type (pension-hub/ph-medical-api.h's PhMedicalStatus). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _PhDb PhDb; /* core/ph-db.h */

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
} PhPensionStatus;

void ph_pension_status_clear(PhPensionStatus *status);

/* The status of the person with @id_number (or, when it is NULL, @person_id); @found FALSE
 * without an error when there is no such person. */
gboolean ph_pension_status_get(PhDb *db, const gchar *id_number, gint64 person_id,
                               PhPensionStatus *out, gboolean *found, GError **error);

G_END_DECLS
