/* `person show` (see ph-person-show.h). Core only. The document is assembled by
 * PostgreSQL's JSON functions: it is a read of stored values, no rule runs here. */
#include "ph-person-show.h"

#include "ph-command.h"
#include "ph-error.h"
#include "ph-person.h"

#define PH_PERSON_SHOW_SQL                                                                         \
	"SELECT jsonb_build_object("                                                               \
	"'person_id', p.person_id, 'AAC002', $2::text, 'AAC003', p.name, "                         \
	"'AAC004', p.sex, 'AAC005', p.ethnicity, 'AAC006', p.birth_date, "                         \
	"'AAC007', p.work_start, 'AAB001', p.unit_code, 'status', p.status, "                      \
	"'AAC031', p.contribution_status, 'AAE200', p.deemed_months, "                             \
	"'deemed_index', to_char(p.deemed_index / 10000.0, 'FM0.0000'), "                          \
	"'AAE138', p.death_date, 'account_closed_period', p.account_closed_period, "               \
	"'enrolment', (SELECT coalesce(jsonb_agg(jsonb_build_object('AAE140', e.insurance, "       \
	" 'AAB001', e.unit_code, 'AAE030', e.start_period, 'AAE031', e.end_period, "               \
	" 'AAC031', e.status, 'end_reason', e.end_reason, 'AAE160', e.change_code) "               \
	" ORDER BY e.start_period), '[]') FROM enrolment e WHERE e.person_id = p.person_id), "     \
	"'wages', (SELECT coalesce(jsonb_agg(jsonb_build_object('effective', "                     \
	" w.effective_period, 'wage', w.wage) ORDER BY w.effective_period), '[]') "                \
	" FROM declared_wage w WHERE w.person_id = p.person_id), "                                 \
	"'contributions', (SELECT jsonb_build_object('months', count(*), "                         \
	" 'months_here', count(*) FILTER (WHERE c.source = 'R'), "                                 \
	" 'months_transferred_in', count(*) FILTER (WHERE c.source = 'T'), "                       \
	" 'first', min(c.period), 'last', max(c.period), 'bases', coalesce(sum(c.base), 0), "      \
	" 'AAE020', coalesce(sum(c.employer), 0), 'AAE022', coalesce(sum(c.individual), 0), "      \
	" 'annuity', coalesce(sum(c.annuity_employer + c.annuity_individual), 0)) "                \
	" FROM contribution c WHERE c.person_id = p.person_id), "                                  \
	"'balances', (SELECT jsonb_build_object('account', coalesce(sum(l.account_amount), 0), "   \
	" 'annuity', coalesce(sum(l.annuity_amount), 0), 'entries', count(*)) "                    \
	" FROM account_ledger l WHERE l.person_id = p.person_id), "                                \
	"'interest', (SELECT coalesce(jsonb_agg(jsonb_build_object('reference', a.reference, "     \
	" 'account', a.account_amount, 'annuity', a.annuity_amount, 'account_balance', "           \
	" a.account_balance, 'annuity_balance', a.annuity_balance, 'provisional', "                \
	" a.provisional) ORDER BY a.period), '[]') FROM account_entry a "                          \
	" WHERE a.person_id = p.person_id AND a.kind = 'interest'), "                              \
	"'benefit', (SELECT b.result || jsonb_build_object('AIC160', b.start_period, "             \
	" 'AIC161', b.retire_kind, 'AAC002', $2::text) FROM benefit b "                            \
	" WHERE b.person_id = p.person_id), "                                                      \
	"'adjustments', (SELECT coalesce(jsonb_agg(jsonb_build_object('effective', "               \
	" a.effective_period, 'increase', a.increase) ORDER BY a.effective_period), '[]') "        \
	" FROM benefit_adjustment a WHERE a.person_id = p.person_id), "                            \
	"'transfers', (SELECT coalesce(jsonb_agg(jsonb_build_object('case_id', t.case_id, "        \
	" 'direction', t.direction, 'month', t.transfer_period, 'months', t.months, "              \
	" 'pooled_fund', t.pooled_fund, 'account_balance', t.account_balance, "                    \
	" 'annuity_balance', t.annuity_balance) ORDER BY t.created_at), '[]') "                    \
	" FROM transfer_case t WHERE t.person_id = p.person_id), "                                 \
	"'death', (SELECT d.result || jsonb_build_object('AAC002', $2::text) "                     \
	" FROM death_settlement d WHERE d.person_id = p.person_id), "                              \
	"'payouts', (SELECT jsonb_build_object('months', count(*), 'paid', "                       \
	" coalesce(sum(s.amount) FILTER (WHERE s.state = 'paid'), 0), 'due', "                     \
	" coalesce(sum(s.amount) FILTER (WHERE s.state = 'due'), 0), 'overpaid', "                 \
	" coalesce(sum(s.amount) FILTER (WHERE s.state = 'overpaid'), 0), 'last', "                \
	" max(s.period)) FROM payout_schedule_state s WHERE s.person_id = p.person_id)"            \
	") FROM person p WHERE p.id_lookup = $1"

JsonNode *
ph_person_show(PhDb *db, const gchar *id_number, GError **error)
{
	g_autofree gchar *key = NULL;

	if (!ph_command_check_text("AAC002", id_number, 32, error))
		return NULL;
	key = ph_person_lookup_key(id_number);
	/* found by its keyed hash: the stored envelopes (person, the AAC002 of the benefit and
	 * death results) hold @id_number, so it is shown instead of opening them */
	const gchar *params[] = {key, id_number};
	g_autoptr(PGresult) rows = ph_db_query(db, PH_PERSON_SHOW_SQL, 2, params, error);
	if (rows == NULL)
		return NULL;
	if (PQntuples(rows) == 0) {
		g_autofree gchar *masked = ph_person_mask(id_number);
		g_set_error(error, PH_ERROR, PH_ERROR_NOT_FOUND, "person %s (AAC002): unknown",
		            masked);
		return NULL;
	}
	return ph_command_json_parse(PQgetvalue(rows, 0, 0));
}
