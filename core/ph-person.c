/* Person rows and AAC002 lookups (see ph-person.h). Core only. */
#include "ph-person.h"

#include <string.h>

#include "ph-command.h"
#include "ph-error.h"
#include "ph-field-cipher.h"
#include "ph-identity.h"

#define PH_PERSON_COLUMNS                                                                          \
	"person_id, NULL, birth_date, deemed_months, deemed_index, "                               \
	"coalesce(unit_code, ''), status, coalesce(account_closed_period, 0)"

gchar *
ph_person_lookup_key(const gchar *id_number)
{
	g_return_val_if_fail(id_number != NULL, NULL);
	return ph_field_lookup(id_number);
}

gchar *
ph_person_seal_id(const gchar *id_number, GError **error)
{
	g_return_val_if_fail(id_number != NULL, NULL);
	return ph_field_seal(id_number, error);
}

gchar *
ph_person_open_id(const gchar *stored, GError **error)
{
	return ph_field_open_named(stored, "AAC002", error);
}

gchar *
ph_person_mask(const gchar *id_number)
{
	return ph_identity_mask(id_number);
}

/* @id_number is the AAC002 the row was found by (its keyed hash matched), so the stored
 * envelope need not be decrypted. */
static void
ph_person_from_row(PGresult *result, const gchar *id_number, PhPerson *out)
{
	guint year = 0, month = 0;

	memset(out, 0, sizeof(*out));
	out->person_id = ph_db_get_int64(result, 0, 0);
	g_strlcpy(out->id_number, id_number, sizeof(out->id_number));
	g_strlcpy(out->birth_date, PQgetvalue(result, 0, 2), sizeof(out->birth_date));
	if (sscanf(out->birth_date, "%4u%2u", &year, &month) == 2)
		out->birth = ph_period_make((gint)year, (gint)month);
	out->deemed_months = (gint)ph_db_get_int64(result, 0, 3);
	out->deemed_index = (gint32)ph_db_get_int64(result, 0, 4);
	g_strlcpy(out->unit_code, PQgetvalue(result, 0, 5), sizeof(out->unit_code));
	g_strlcpy(out->status, PQgetvalue(result, 0, 6), sizeof(out->status));
	out->account_closed = (PhPeriod)ph_db_get_int64(result, 0, 7);
}

gboolean
ph_person_lookup(PhDb *db, const gchar *id_number, PhPerson *out, gboolean *found, GError **error)
{
	g_autofree gchar *key = NULL;

	*found = FALSE;
	if (!ph_command_check_text("AAC002", id_number, 32, error))
		return FALSE;
	key = ph_person_lookup_key(id_number);
	const gchar *params[] = {key};
	g_autoptr(PGresult) result = ph_db_query(
	        db, "SELECT " PH_PERSON_COLUMNS " FROM person WHERE id_lookup = $1 FOR UPDATE", 1,
	        params, error);
	if (result == NULL)
		return FALSE;
	if (PQntuples(result) == 0)
		return TRUE;
	ph_person_from_row(result, id_number, out);
	*found = TRUE;
	return TRUE;
}

gboolean
ph_person_find(PhDb *db, const gchar *id_number, PhPerson *out, GError **error)
{
	gboolean found = FALSE;

	if (!ph_person_lookup(db, id_number, out, &found, error))
		return FALSE;
	if (!found) {
		g_autofree gchar *masked = ph_person_mask(id_number);
		g_set_error(error, PH_ERROR, PH_ERROR_NOT_FOUND, "person %s (AAC002): unknown",
		            masked);
		return FALSE;
	}
	return TRUE;
}

gboolean
ph_person_store(PhDb *db, const PhPersonIdentity *identity, const gchar *unit_code,
                gint64 *person_id, GError **error)
{
	g_autofree gchar *key = ph_person_lookup_key(identity->id_number);
	g_autofree gchar *sealed = ph_person_seal_id(identity->id_number, error);
	gchar months[24];
	if (sealed == NULL)
		return FALSE;
	gchar index[24];
	const gchar *params[] = {
	        key,
	        sealed,
	        identity->name,
	        identity->sex,
	        identity->ethnicity,
	        identity->birth_date,
	        identity->work_start,
	        PH_COMMAND_INT_TEXT(months, identity->deemed_months),
	        PH_COMMAND_INT_TEXT(index, identity->deemed_index),
	        unit_code,
	};
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "INSERT INTO person (id_lookup, id_number, name, sex, ethnicity, birth_date, "
	        "work_start, deemed_months, deemed_index, unit_code) "
	        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8::integer, $9::integer, $10) "
	        "ON CONFLICT (id_lookup) DO UPDATE SET name = EXCLUDED.name, sex = EXCLUDED.sex, "
	        "ethnicity = EXCLUDED.ethnicity, work_start = EXCLUDED.work_start, "
	        "deemed_months = EXCLUDED.deemed_months, deemed_index = EXCLUDED.deemed_index, "
	        "unit_code = EXCLUDED.unit_code, status = 'active', contribution_status = '1', "
	        "account_closed_period = NULL, "
	        "updated_at = now() RETURNING person_id",
	        G_N_ELEMENTS(params), params, error);
	if (result == NULL)
		return FALSE;
	*person_id = ph_db_get_int64(result, 0, 0);
	return TRUE;
}

gboolean
ph_person_set_status(PhDb *db, gint64 person_id, const gchar *status,
                     const gchar *contribution_status, PhPeriod account_closed, GError **error)
{
	gchar id[24];
	gchar closed[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(id, person_id), status, contribution_status,
	                         account_closed != 0 ? PH_COMMAND_INT_TEXT(closed, account_closed)
	                                             : NULL};
	g_autoptr(PGresult) result =
	        ph_db_query(db,
	                    "UPDATE person SET status = $2, contribution_status = $3, "
	                    "account_closed_period = coalesce($4::integer, account_closed_period), "
	                    "updated_at = now() WHERE person_id = $1::bigint",
	                    4, params, error);
	return result != NULL;
}
