/* One event → the core command of its type (<pension-hub/ph-core-api.h>), inside a
 * savepoint so that a refused event leaves the rest of its chunk intact; the core's
 * refusals become the receipt's codes. Plugin-only. */
#include <string.h>

#include "personnel.h"

static const gchar *
personnel_field(const PersonnelEvent *event, PersonnelField field)
{
	return event->fields[field];
}

static gint64
personnel_money(const PersonnelEvent *event, PersonnelField field)
{
	gint64 fen = 0;
	if (event->fields[field] != NULL)
		personnel_parse_money(event->fields[field], &fen); /* checked before */
	return fen;
}

void
personnel_apply_hire_request(const PersonnelEvent *event, const gchar *batch_unit,
                             PhEnrolRequest *request)
{
	const gchar *deemed = personnel_field(event, PERSONNEL_AAE200);
	const gchar *unit = personnel_field(event, PERSONNEL_AAB001);
	*request = (PhEnrolRequest){
	        .id_number = personnel_field(event, PERSONNEL_AAC002),
	        .name = personnel_field(event, PERSONNEL_AAC003),
	        .sex = personnel_field(event, PERSONNEL_AAC004),
	        .ethnicity = personnel_field(event, PERSONNEL_AAC005),
	        .birth_date = personnel_field(event, PERSONNEL_AAC006),
	        .work_start = personnel_field(event, PERSONNEL_AAC007),
	        .unit_code = unit != NULL ? unit : batch_unit,
	        .effective = event->effective,
	        .wage = personnel_money(event, PERSONNEL_WAGE),
	        .deemed_months = deemed != NULL ? (gint)g_ascii_strtoll(deemed, NULL, 10) : 0,
	        .deemed_index = personnel_field(event, PERSONNEL_DEEMED_INDEX),
	};
}

static gboolean
personnel_apply_unit(PhTxn *txn, const PersonnelEvent *event, const gchar *batch_unit,
                     PhCommandOutcome *outcome, GError **error)
{
	PhUnitRequest request = {
	        .unit_code = batch_unit,
	        .name = personnel_field(event, PERSONNEL_AAB004),
	        .credit_code = personnel_field(event, PERSONNEL_BAB010),
	        .unit_type = personnel_field(event, PERSONNEL_AAB019),
	        .region = personnel_field(event, PERSONNEL_AAB301),
	        .funding = personnel_field(event, PERSONNEL_FUNDING),
	};
	if (batch_unit == NULL) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "AAB001: the batch names no unit for its UNIT event");
		return FALSE;
	}
	return ph_core_register_unit(txn, &request, outcome, error);
}

static gboolean
personnel_apply_command(PhTxn *txn, const PersonnelEvent *event, const gchar *batch_unit,
                        PhCommandOutcome *outcome, GError **error)
{
	const gchar *id = personnel_field(event, PERSONNEL_AAC002);
	switch (event->type) {
	case PERSONNEL_UNIT:
		return personnel_apply_unit(txn, event, batch_unit, outcome, error);
	case PERSONNEL_HIRE: {
		PhEnrolRequest request;
		personnel_apply_hire_request(event, batch_unit, &request);
		return ph_core_enrol(txn, &request, outcome, error);
	}
	case PERSONNEL_WAGE_CHANGE: {
		PhWageRequest request = {id, event->effective,
		                         personnel_money(event, PERSONNEL_WAGE)};
		return ph_core_set_wage(txn, &request, outcome, error);
	}
	case PERSONNEL_RETIRE: {
		const gchar *old = personnel_field(event, PERSONNEL_OLD_METHOD_AMOUNT);
		PhRetireRequest request = {id, event->effective,
		                           personnel_field(event, PERSONNEL_AIC161), old != NULL,
		                           personnel_money(event, PERSONNEL_OLD_METHOD_AMOUNT)};
		return ph_core_retire(txn, &request, outcome, error);
	}
	case PERSONNEL_DEATH: {
		const gchar *date = personnel_field(event, PERSONNEL_AAE138);
		PhDeathRequest request = {id, date != NULL ? date : event->effective};
		return ph_core_death(txn, &request, outcome, error);
	}
	case PERSONNEL_MOVE: {
		PhMoveRequest request = {id, event->effective,
		                         personnel_field(event, PERSONNEL_AAB001)};
		return ph_core_move(txn, &request, outcome, error);
	}
	case PERSONNEL_LEAVE: {
		PhLeaveRequest request = {id, event->effective,
		                          personnel_field(event, PERSONNEL_AAE160)};
		return ph_core_leave(txn, &request, outcome, error);
	}
	default:
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "unknown type");
		return FALSE;
	}
}

/* The receipt code for a core refusal, from its error code and the field it names. */
static const gchar *
personnel_apply_code(const GError *failure)
{
	const gchar *message = failure->message;
	if (failure->code == PH_ERROR_NOT_FOUND)
		return g_str_has_prefix(message, "person") ? "UNKNOWN_PERSON" : "NOT_FOUND";
	if (failure->code == PH_ERROR_CONFLICT)
		return "CONFLICT";
	if (g_str_has_prefix(message, "AAB001: unknown unit"))
		return "UNKNOWN_UNIT";
	if (g_str_has_prefix(message, "effective: before the enrolment") ||
	    g_str_has_prefix(message, "effective: not after the enrolment") ||
	    g_str_has_prefix(message, "effective: not after the end"))
		return "BEFORE_ENROLMENT";
	if (g_str_has_prefix(message, "AAC002: the person is not enrolled"))
		return "NOT_ENROLLED";
	if (g_str_has_prefix(message, "AAC002: the person is"))
		return "NOT_ALLOWED";
	return "INVALID";
}

gboolean
personnel_apply_classify(const GError *failure, PersonnelRejection *rejection)
{
	if (failure->domain != PH_ERROR ||
	    (failure->code != PH_ERROR_INVALID_INPUT && failure->code != PH_ERROR_NOT_FOUND &&
	     failure->code != PH_ERROR_CONFLICT))
		return FALSE;
	personnel_rejection_clear(rejection);
	rejection->code = personnel_apply_code(failure);
	/* made UTF-8 where every rejection is stored (personnel_chunk_set) */
	rejection->message = g_strdup(failure->message);
	return TRUE;
}

gboolean
personnel_apply_event(Personnel *personnel, PhTxn *txn, const PersonnelEvent *event,
                      const gchar *batch_unit, gboolean *duplicate, PersonnelRejection *rejection,
                      GError **error)
{
	PhCommandOutcome outcome = {0};
	g_autoptr(GError) failure = NULL;
	if (!ph_plugin_txn_savepoint(txn, error))
		return FALSE;
	gboolean ok = personnel_apply_command(txn, event, batch_unit, &outcome, &failure);
	*duplicate = outcome.duplicate;
	ph_core_outcome_clear(&outcome);
	if (ok)
		return ph_plugin_txn_release(txn, error);
	if (!ph_plugin_txn_rollback_to(txn, error))
		return FALSE;
	if (!personnel_apply_classify(failure, rejection)) {
		g_propagate_error(error, g_steal_pointer(&failure));
		return FALSE;
	}
	return FALSE;
}
