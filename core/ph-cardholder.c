/* Cached cardholder answers and the payout account that follows from them (see
 * ph-cardholder.h). Core only. */
#include "ph-cardholder.h"

#include <string.h>

#include "ph-audit.h"
#include "ph-command.h"
#include "ph-error.h"
#include "ph-field-cipher.h"
#include "ph-person.h"

/* The account a person is paid to: the clerk's override, else the card's (valid only when
 * confirmed, normal and at a known bank). $1 is the person. The account comes sealed: it is
 * opened in C (an empty one is stored as is, so the test for it stays here). */
#define PH_CARDHOLDER_WANTED                                                                       \
	"SELECT o.bank, o.account, true FROM payee_account_override o WHERE o.person_id = "        \
	"$1::bigint UNION ALL SELECT c.bank, c.account, c.verdict = 'confirmed' AND "              \
	"c.card_status = '1' AND c.bank IS NOT NULL AND coalesce(c.account, '') <> '' "            \
	"FROM cardholder_card c WHERE c.person_id = $1::bigint AND NOT EXISTS (SELECT 1 FROM "     \
	"payee_account_override o WHERE o.person_id = $1::bigint)"

/* Only a real change stamps updated_at: a re-issue must not follow a mere refresh. Envelopes
 * differ each time (fresh nonce), so the account is compared by its keyed hash ($5); a row
 * from before 0015 has none and its plaintext account is its own lookup. */
#define PH_CARDHOLDER_UPSERT_PAYEE                                                                 \
	"INSERT INTO payee_account (person_id, bank, account, valid, account_lookup) VALUES "      \
	"($1::bigint, $2, $3, $4::boolean, $5) ON CONFLICT (person_id) DO UPDATE SET bank = "      \
	"EXCLUDED.bank, account = EXCLUDED.account, valid = EXCLUDED.valid, account_lookup = "     \
	"EXCLUDED.account_lookup, updated_at = clock_timestamp() WHERE (payee_account.bank, "      \
	"coalesce(payee_account.account_lookup, payee_account.account), payee_account.valid) IS "  \
	"DISTINCT FROM (EXCLUDED.bank, EXCLUDED.account_lookup, EXCLUDED.valid)"

#define PH_CARDHOLDER_INVALIDATE_PAYEE                                                             \
	"UPDATE payee_account SET valid = false, updated_at = clock_timestamp() "                  \
	"WHERE person_id = $1::bigint AND valid"

#define PH_CARDHOLDER_UPSERT_CARD                                                                  \
	"INSERT INTO cardholder_card (person_id, verdict, name, card_no, card_status, bank_code, " \
	"bank, account, source, fetched_at, expires_at) VALUES ($1::bigint, $2, $3, $4, $5, $6, "  \
	"$7, $8, $9, clock_timestamp(), clock_timestamp() + make_interval(secs => $10::bigint)) "  \
	"ON CONFLICT (person_id) DO UPDATE SET verdict = EXCLUDED.verdict, name = EXCLUDED.name, " \
	"card_no = EXCLUDED.card_no, card_status = EXCLUDED.card_status, bank_code = "             \
	"EXCLUDED.bank_code, bank = EXCLUDED.bank, account = EXCLUDED.account, source = "          \
	"EXCLUDED.source, fetched_at = EXCLUDED.fetched_at, expires_at = EXCLUDED.expires_at"

void
ph_cardholder_outcome_clear(PhCardholderOutcome *outcome)
{
	g_clear_pointer(&outcome->our_name, g_free);
	memset(outcome, 0, sizeof *outcome);
}

void
ph_cardholder_due_free(PhCardholderDue *due)
{
	if (due == NULL)
		return;
	g_free(due->id_number);
	g_free(due->name);
	g_free(due);
}

/* NOT_FOUND naming the masked number; FALSE. */
static gboolean
ph_cardholder_not_ours(const gchar *id_number, GError **error)
{
	g_autofree gchar *masked = ph_person_mask(id_number);
	g_set_error(error, PH_ERROR, PH_ERROR_NOT_FOUND, "AAC002 '%s': not a person here", masked);
	return FALSE;
}

/* The person row for @id_number, locked; NOT_FOUND names the masked number. */
static gboolean
ph_cardholder_person(PhDb *db, const gchar *id_number, gint64 *person_id, gchar **name,
                     GError **error)
{
	g_autofree gchar *key = ph_person_lookup_key(id_number);
	const gchar *params[] = {key};
	g_autoptr(PGresult) result = ph_db_query(
	        db, "SELECT person_id, name FROM person WHERE id_lookup = $1 FOR UPDATE", 1, params,
	        error);
	if (result == NULL)
		return FALSE;
	if (PQntuples(result) == 0)
		return ph_cardholder_not_ours(id_number, error);
	*person_id = ph_db_get_int64(result, 0, 0);
	if (name != NULL)
		*name = g_strdup(PQgetvalue(result, 0, 1));
	return TRUE;
}

static const gchar *
ph_cardholder_verdict(const PhCardholderAnswer *answer, const gchar *our_name)
{
	if (!answer->found)
		return PH_CARDHOLDER_NOT_FOUND;
	g_autofree gchar *name = g_strdup(answer->name != NULL ? answer->name : "");
	if (g_strcmp0(g_strstrip(name), our_name) != 0)
		return PH_CARDHOLDER_NAME_MISMATCH;
	return PH_CARDHOLDER_CONFIRMED;
}

/* @account_lookup, not the number: the audit payload's digest must not let a guess of the
 * account be confirmed offline (without a key file it is the plaintext, as before). */
static gboolean
ph_cardholder_audit(PhDb *db, const gchar *actor, gint64 person_id, const gchar *bank,
                    const gchar *account_lookup, gboolean valid, GError **error)
{
	g_autofree gchar *object = g_strdup_printf("person:%" G_GINT64_FORMAT, person_id);
	g_autofree gchar *payload =
	        g_strdup_printf("bank=%s account=%s valid=%d", bank != NULL ? bank : "",
	                        account_lookup != NULL ? account_lookup : "", valid ? 1 : 0);
	g_autoptr(GBytes) bytes = g_bytes_new(payload, strlen(payload));
	return ph_audit_append(db, actor != NULL ? actor : "cardholder", "payee-account", object,
	                       bytes, error);
}

/* The payout account that @wanted (PH_CARDHOLDER_WANTED) names, opened; NULL without one. */
static gboolean
ph_cardholder_wanted_account(PGresult *wanted, gchar **account, GError **error)
{
	*account = NULL;
	if (PQntuples(wanted) == 0 || PQgetisnull(wanted, 0, 0) || PQgetisnull(wanted, 0, 1))
		return TRUE;
	g_autofree gchar *opened = ph_field_open_account(PQgetvalue(wanted, 0, 1), error);
	if (opened == NULL)
		return FALSE;
	if (*opened != '\0')
		*account = g_steal_pointer(&opened);
	return TRUE;
}

/* Stores @account as the person's payout account, sealed beside its keyed hash. */
static PGresult *
ph_cardholder_upsert_payee(PhDb *db, const gchar *person, const gchar *bank, const gchar *account,
                           gboolean valid, gchar **lookup, GError **error)
{
	g_autofree gchar *sealed = ph_field_seal_account(account, error);
	if (sealed == NULL)
		return NULL;
	*lookup = ph_field_lookup(account);
	const gchar *params[] = {person, bank, sealed, valid ? "true" : "false", *lookup};
	return ph_db_query(db, PH_CARDHOLDER_UPSERT_PAYEE, 5, params, error);
}

/* Brings payee_account in line with the override or the cached card. */
static gboolean
ph_cardholder_sync_payee(PhDb *db, gint64 person_id, const gchar *actor, gboolean *changed,
                         gboolean *valid, GError **error)
{
	gchar number[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(number, person_id)};
	g_autoptr(PGresult) wanted = ph_db_query(db, PH_CARDHOLDER_WANTED, 1, params, error);
	g_autofree gchar *account = NULL;
	g_autofree gchar *lookup = NULL;
	if (wanted == NULL || !ph_cardholder_wanted_account(wanted, &account, error))
		return FALSE;
	const gchar *bank = account != NULL ? PQgetvalue(wanted, 0, 0) : NULL;
	*valid = account != NULL && PQgetvalue(wanted, 0, 2)[0] == 't';
	g_autoptr(PGresult) result =
	        account != NULL ? ph_cardholder_upsert_payee(db, number, bank, account, *valid,
	                                                     &lookup, error)
	                        : ph_db_query(db, PH_CARDHOLDER_INVALIDATE_PAYEE, 1, params, error);
	if (result == NULL)
		return FALSE;
	*changed = g_strcmp0(PQcmdTuples(result), "0") != 0;
	if (!*changed)
		return TRUE;
	return ph_cardholder_audit(db, actor, person_id, bank, lookup, *valid, error);
}

gboolean
ph_cardholder_store(PhDb *db, const PhCardholderAnswer *answer, gint64 ttl_seconds,
                    const gchar *source, const gchar *actor, PhCardholderOutcome *outcome,
                    GError **error)
{
	g_return_val_if_fail(answer != NULL && answer->id_number != NULL, FALSE);
	g_return_val_if_fail(ttl_seconds > 0, FALSE);

	ph_cardholder_outcome_clear(outcome);
	if (!ph_cardholder_person(db, answer->id_number, &outcome->person_id, &outcome->our_name,
	                          error))
		return FALSE;
	outcome->verdict = ph_cardholder_verdict(answer, outcome->our_name);
	g_autofree gchar *account = ph_field_seal_account(answer->account, error);
	if (account == NULL && answer->account != NULL)
		return FALSE;
	gchar number[24], ttl[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(number, outcome->person_id),
	                         outcome->verdict,
	                         answer->name,
	                         answer->card_no,
	                         answer->card_status,
	                         answer->bank_code,
	                         answer->bank,
	                         account,
	                         source,
	                         PH_COMMAND_INT_TEXT(ttl, ttl_seconds)};
	g_autoptr(PGresult) card = ph_db_query(db, PH_CARDHOLDER_UPSERT_CARD, 10, params, error);
	if (card == NULL)
		return FALSE;
	g_autoptr(PGresult) forget =
	        ph_db_query(db, "DELETE FROM cardholder_attempt WHERE person_id = $1::bigint", 1,
	                    params, error);
	if (forget == NULL)
		return FALSE;
	return ph_cardholder_sync_payee(db, outcome->person_id, actor, &outcome->payee_changed,
	                                &outcome->payee_valid, error);
}

gboolean
ph_cardholder_apply_notice(PhDb *db, const PhCardholderChange *notice, gint64 ttl_seconds,
                           const gchar *actor, PhCardholderOutcome *outcome, gboolean *duplicate,
                           GError **error)
{
	g_return_val_if_fail(notice != NULL && notice->notice_id != NULL, FALSE);

	gint64 person_id = 0;
	*duplicate = FALSE;
	if (!ph_cardholder_person(db, notice->card.id_number, &person_id, NULL, error))
		return FALSE;
	g_autofree gchar *account = ph_field_seal_account(notice->card.account, error);
	if (account == NULL && notice->card.account != NULL)
		return FALSE;
	gchar number[24];
	const gchar *params[] = {notice->notice_id,
	                         PH_COMMAND_INT_TEXT(number, person_id),
	                         notice->change,
	                         notice->card.card_no,
	                         notice->card.card_status,
	                         notice->card.bank_code,
	                         account,
	                         notice->changed_on};
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "INSERT INTO cardholder_notice (notice_id, person_id, change, card_no, "
	        "card_status, "
	        "bank_code, account, changed_on) VALUES ($1, $2::bigint, $3, $4, $5, $6, $7, $8) "
	        "ON CONFLICT (notice_id) DO NOTHING",
	        8, params, error);
	if (result == NULL)
		return FALSE;
	if (g_strcmp0(PQcmdTuples(result), "0") == 0) {
		*duplicate = TRUE;
		ph_cardholder_outcome_clear(outcome);
		outcome->person_id = person_id;
		return TRUE;
	}
	return ph_cardholder_store(db, &notice->card, ttl_seconds, "notice", actor, outcome, error);
}

gboolean
ph_cardholder_note_failure(PhDb *db, const gchar *id_number, const gchar *reason,
                           gint64 retry_seconds, GError **error)
{
	g_autofree gchar *key = ph_person_lookup_key(id_number);
	gchar retry[24];
	const gchar *params[] = {key, reason, PH_COMMAND_INT_TEXT(retry, MAX(retry_seconds, 1))};
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "INSERT INTO cardholder_attempt (person_id, attempts, next_attempt_at, last_error) "
	        "SELECT person_id, 1, now() + make_interval(secs => $3::bigint), $2 FROM person "
	        "WHERE id_lookup = $1 ON CONFLICT (person_id) DO UPDATE SET attempts = "
	        "cardholder_attempt.attempts + 1, last_error = EXCLUDED.last_error, "
	        "next_attempt_at = now() + make_interval(secs => least(3600, $3::bigint * "
	        "power(2, least(cardholder_attempt.attempts, 12))::bigint))",
	        3, params, error);
	return result != NULL;
}

GPtrArray *
ph_cardholder_list_due(PhDb *db, gint limit, GError **error)
{
	gchar number[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(number, MAX(limit, 1))};
	g_autoptr(PGresult) result =
	        ph_db_query(db,
	                    "SELECT p.person_id, p.id_number, p.name FROM person p "
	                    "LEFT JOIN cardholder_card c ON c.person_id = p.person_id "
	                    "LEFT JOIN cardholder_attempt a ON a.person_id = p.person_id "
	                    "WHERE p.status IN ('active', 'retired') AND p.death_date IS NULL "
	                    "AND (c.person_id IS NULL OR c.expires_at <= now()) "
	                    "AND (a.person_id IS NULL OR a.next_attempt_at <= now()) "
	                    "ORDER BY c.expires_at NULLS FIRST, p.person_id LIMIT $1::integer",
	                    1, params, error);
	if (result == NULL)
		return NULL;
	GPtrArray *due = g_ptr_array_new_with_free_func((GDestroyNotify)ph_cardholder_due_free);
	for (gint row = 0; row < PQntuples(result); row++) {
		PhCardholderDue *person = g_new0(PhCardholderDue, 1);
		person->person_id = ph_db_get_int64(result, row, 0);
		person->id_number = ph_person_open_id(PQgetvalue(result, row, 1), error);
		if (person->id_number == NULL) {
			ph_cardholder_due_free(person);
			g_ptr_array_unref(due);
			return NULL;
		}
		person->name = g_strdup(PQgetvalue(result, row, 2));
		g_ptr_array_add(due, person);
	}
	return due;
}

gboolean
ph_cardholder_set_override(PhDb *db, const gchar *id_number, const gchar *bank,
                           const gchar *account, const gchar *reason, const gchar *actor,
                           GError **error)
{
	gint64 person_id = 0;
	gboolean changed = FALSE, valid = FALSE;
	if (bank != NULL && (account == NULL || *account == '\0' || *bank == '\0'))
		return ph_command_invalid(error, "AAE010",
		                          "an override needs a bank and an account");
	if (!ph_cardholder_person(db, id_number, &person_id, NULL, error))
		return FALSE;
	g_autofree gchar *sealed = bank != NULL ? ph_field_seal_account(account, error) : NULL;
	if (bank != NULL && sealed == NULL)
		return FALSE;
	gchar number[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(number, person_id), bank, sealed,
	                         reason != NULL ? reason : "", actor != NULL ? actor : "clerk"};
	g_autoptr(PGresult) result =
	        bank == NULL
	                ? ph_db_query(db,
	                              "DELETE FROM payee_account_override WHERE person_id = "
	                              "$1::bigint",
	                              1, params, error)
	                : ph_db_query(db,
	                              "INSERT INTO payee_account_override (person_id, bank, "
	                              "account, reason, actor) VALUES ($1::bigint, $2, $3, $4, $5) "
	                              "ON CONFLICT (person_id) DO UPDATE SET bank = EXCLUDED.bank, "
	                              "account = EXCLUDED.account, reason = EXCLUDED.reason, "
	                              "actor = EXCLUDED.actor, created_at = now()",
	                              5, params, error);
	return result != NULL &&
	       ph_cardholder_sync_payee(db, person_id, params[4], &changed, &valid, error);
}

/* The stored accounts of the card, the override and the payee row of the person whose
 * AAC002 hashes to @key, opened (NULL where there is none); FALSE with NOT_FOUND when no
 * person has it. */
static gboolean
ph_cardholder_open_accounts(PhDb *db, const gchar *key, const gchar *id_number, gchar **card,
                            gchar **override, gchar **payee, GError **error)
{
	gchar **accounts[] = {card, override, payee};
	const gchar *params[] = {key};
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "SELECT c.account, o.account, a.account FROM person p "
	        "LEFT JOIN cardholder_card c ON c.person_id = p.person_id "
	        "LEFT JOIN payee_account_override o ON o.person_id = p.person_id "
	        "LEFT JOIN payee_account a ON a.person_id = p.person_id WHERE p.id_lookup = $1",
	        1, params, error);
	if (result == NULL)
		return FALSE;
	if (PQntuples(result) == 0)
		return ph_cardholder_not_ours(id_number, error);
	for (gint column = 0; column < (gint)G_N_ELEMENTS(accounts); column++) {
		if (PQgetisnull(result, 0, column))
			continue;
		*accounts[column] = ph_field_open_account(PQgetvalue(result, 0, column), error);
		if (*accounts[column] == NULL)
			return FALSE;
	}
	return TRUE;
}

gchar *
ph_cardholder_show_json(PhDb *db, const gchar *id_number, GError **error)
{
	g_autofree gchar *key = ph_person_lookup_key(id_number);
	g_autofree gchar *card = NULL;
	g_autofree gchar *override = NULL;
	g_autofree gchar *payee = NULL;
	if (!ph_cardholder_open_accounts(db, key, id_number, &card, &override, &payee, error))
		return NULL;
	/* found by its keyed hash: the stored envelope holds @id_number; the accounts are
	 * stored sealed and given here opened ($3 … $5) */
	const gchar *params[] = {key, id_number, card, override, payee};
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "SELECT json_build_object('AAC002', $2::text, 'AAC003', p.name, 'cardholder', "
	        "(SELECT json_build_object('verdict', c.verdict, 'AAC003', c.name, 'AAZ500', "
	        "c.card_no, 'AAZ502', c.card_status, 'AAE008', c.bank_code, 'bank', c.bank, "
	        "'AAE010', $3::text, 'source', c.source, 'fetched_at', c.fetched_at, "
	        "'expires_at', "
	        "c.expires_at, 'stale', c.expires_at <= now()) FROM cardholder_card c WHERE "
	        "c.person_id = p.person_id), 'failed_lookup', (SELECT "
	        "json_build_object('attempts', "
	        "a.attempts, 'next_attempt_at', a.next_attempt_at, 'error', a.last_error) FROM "
	        "cardholder_attempt a WHERE a.person_id = p.person_id), 'override', (SELECT "
	        "json_build_object('bank', o.bank, 'AAE010', $4::text, 'reason', o.reason, "
	        "'actor', o.actor) FROM payee_account_override o WHERE o.person_id = p.person_id), "
	        "'payee_account', (SELECT json_build_object('bank', a.bank, 'AAE010', $5::text, "
	        "'valid', a.valid, 'updated_at', a.updated_at) FROM payee_account a WHERE "
	        "a.person_id = p.person_id))::text FROM person p WHERE p.id_lookup = $1",
	        5, params, error);
	if (result == NULL)
		return NULL;
	return g_strdup(PQgetvalue(result, 0, 0));
}

gchar *
ph_cardholder_unconfirmed_json_lines(PhDb *db, GError **error)
{
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "SELECT p.id_number, json_build_object('AAC003', p.name, 'card_AAC003', c.name, "
	        "'verdict', c.verdict, 'fetched_at', c.fetched_at)::text FROM cardholder_card c "
	        "JOIN person p ON p.person_id = c.person_id WHERE c.verdict <> 'confirmed' "
	        "ORDER BY p.person_id",
	        0, NULL, error);
	if (result == NULL)
		return NULL;
	g_autoptr(GString) lines = g_string_new(NULL);
	for (gint row = 0; row < PQntuples(result); row++) {
		/* AAC002 is stored sealed: opened here, not in SQL */
		g_autofree gchar *id_number = ph_person_open_id(PQgetvalue(result, row, 0), error);
		if (id_number == NULL)
			return NULL;
		const gchar *rest = PQgetvalue(result, row, 1);
		g_string_append_printf(lines, "%s{\"AAC002\" : \"%s\", %s", row > 0 ? "\n" : "",
		                       id_number, rest + 1);
	}
	return g_string_free(g_steal_pointer(&lines), FALSE);
}
