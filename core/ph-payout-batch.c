/* Bank payout batches (see ph-payout-batch.h): set-based SQL moves the rows, so that a
 * month of a million retirees is a few statements, not a million round trips. Core only. */
#include "ph-payout-batch.h"

#include <string.h>

#include "ph-bulk.h"
#include "ph-error.h"
#include "ph-field-cipher.h"
#include "ph-person.h"
#include "ph-payout-schedule.h"

/* Who may be paid, as (person_id, period, id_number, name, account, amount, bank,
 * account_lookup): alive, not held, a valid account, and no live item for the month. $1 is
 * the period. The sealed values are copied as they are stored (docs/security.md). */
#define PH_PAYOUT_NOT_BLOCKED                                                                      \
	"p.status <> 'dead' AND p.death_date IS NULL "                                             \
	"AND NOT EXISTS (SELECT 1 FROM payout_hold h WHERE h.person_id = p.person_id) "            \
	"AND NOT EXISTS (SELECT 1 FROM payout_item i WHERE i.person_id = p.person_id "             \
	"AND i.period = $1::integer AND i.state <> 'failed') "
#define PH_PAYOUT_ELIGIBLE_REGULAR                                                                 \
	"SELECT s.person_id, s.period, p.id_number, p.name, a.account, s.amount, a.bank, "         \
	"a.account_lookup FROM payout_schedule s JOIN person p ON p.person_id = s.person_id "      \
	"JOIN payee_account a ON a.person_id = s.person_id AND a.valid "                           \
	"WHERE s.period = $1::integer AND s.state = 'due' AND " PH_PAYOUT_NOT_BLOCKED
/* The month's failed items whose account was corrected after the failure (the latest
 * failure of each person), paid to the corrected account. */
#define PH_PAYOUT_ELIGIBLE_REISSUE                                                                 \
	"SELECT DISTINCT ON (f.person_id) f.person_id, f.period, p.id_number, p.name, a.account, " \
	"f.amount, a.bank, a.account_lookup "                                                      \
	"FROM payout_item f JOIN person p ON p.person_id = f.person_id "                           \
	"JOIN payee_account a ON a.person_id = f.person_id AND a.valid "                           \
	"AND a.updated_at > f.booked_at "                                                          \
	"WHERE f.period = $1::integer AND f.state = 'failed' AND " PH_PAYOUT_NOT_BLOCKED           \
	"ORDER BY f.person_id, f.booked_at DESC"

/* The month's due people who must not be paid, with the reason; $2 limits to one bank. */
#define PH_PAYOUT_NOTE_EXCLUDED                                                                    \
	"INSERT INTO payout_excluded (period, person_id, bank, reason, amount) "                   \
	"SELECT s.period, s.person_id, a.bank, CASE "                                              \
	"WHEN p.status = 'dead' OR p.death_date IS NOT NULL THEN 'death reported' "                \
	"WHEN h.person_id IS NOT NULL THEN 'held: ' || h.reason "                                  \
	"WHEN a.person_id IS NULL THEN 'no account' "                                              \
	"ELSE 'no valid account' END, s.amount "                                                   \
	"FROM payout_schedule s JOIN person p ON p.person_id = s.person_id "                       \
	"LEFT JOIN payee_account a ON a.person_id = s.person_id "                                  \
	"LEFT JOIN payout_hold h ON h.person_id = s.person_id "                                    \
	"WHERE s.period = $1::integer AND s.state = 'due' "                                        \
	"AND ($2::text IS NULL OR a.bank IS NULL OR a.bank = $2::text) "                           \
	"AND (p.status = 'dead' OR p.death_date IS NOT NULL OR h.person_id IS NOT NULL "           \
	"OR a.person_id IS NULL OR NOT a.valid) "                                                  \
	"AND NOT EXISTS (SELECT 1 FROM payout_item i WHERE i.person_id = s.person_id "             \
	"AND i.period = s.period AND i.state <> 'failed') "                                        \
	"ON CONFLICT (period, person_id) DO UPDATE SET bank = EXCLUDED.bank, "                     \
	"reason = EXCLUDED.reason, noted_at = now()"

/* A batch's items in serial order with their state as booked (see payout_item_state, 0011);
 * $2 is the booked file's id, found first: its lines are read through the BRIN index on the
 * file id, and a batch without one (being uploaded) reads no lines at all ($2 NULL). */
#define PH_PAYOUT_BATCH_ITEMS                                                                      \
	"SELECT i.serial, i.person_id, i.id_number, i.name, i.account, i.amount, "                 \
	"CASE WHEN i.state = 'sent' AND b.state = 'closed' THEN 'paid' ELSE i.state END, "         \
	"coalesce(i.status, l.status), coalesce(i.message, l.message) "                            \
	"FROM payout_item i JOIN payout_batch b ON b.batch_no = i.batch_no "                       \
	"LEFT JOIN payout_result_line l ON $2::bigint IS NOT NULL AND l.file_id = $2::bigint "     \
	"AND l.serial = i.serial WHERE i.batch_no = $1::bigint ORDER BY i.serial"

#define PH_PAYOUT_BATCH_COLUMNS                                                                    \
	"batch_no, bank, period, kind, profile, file_name, created, item_count, total, state, "    \
	"digest, items_digest"

void
ph_payout_batch_free(PhPayoutBatch *batch)
{
	if (batch == NULL)
		return;
	g_free(batch->bank);
	g_free(batch->kind);
	g_free(batch->profile);
	g_free(batch->file_name);
	g_free(batch->created);
	g_free(batch->state);
	g_free(batch->digest);
	g_free(batch->items_digest);
	g_free(batch);
}

void
ph_payout_run_clear(PhPayoutRun *run)
{
	g_clear_pointer(&run->batches, g_ptr_array_unref);
	g_clear_pointer(&run->existing, g_ptr_array_unref);
	run->excluded = 0;
}

static gchar *
ph_payout_batch_text(PGresult *result, gint row, gint column)
{
	return PQgetisnull(result, row, column) ? NULL : g_strdup(PQgetvalue(result, row, column));
}

static PhPayoutBatch *
ph_payout_batch_from_row(PGresult *result, gint row)
{
	PhPayoutBatch *batch = g_new0(PhPayoutBatch, 1);
	batch->batch_no = ph_db_get_int64(result, row, 0);
	batch->bank = ph_payout_batch_text(result, row, 1);
	batch->period = (PhPeriod)ph_db_get_int64(result, row, 2);
	batch->kind = ph_payout_batch_text(result, row, 3);
	batch->profile = ph_payout_batch_text(result, row, 4);
	batch->file_name = ph_payout_batch_text(result, row, 5);
	batch->created = ph_payout_batch_text(result, row, 6);
	batch->item_count = ph_db_get_int64(result, row, 7);
	batch->total = ph_db_get_int64(result, row, 8);
	batch->state = ph_payout_batch_text(result, row, 9);
	batch->digest = ph_payout_batch_text(result, row, 10);
	batch->items_digest = ph_payout_batch_text(result, row, 11);
	return batch;
}

PhPayoutBatch *
ph_payout_batch_get(PhDb *db, gint64 batch_no, gboolean lock, GError **error)
{
	gchar number[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(number, batch_no)};
	g_autoptr(PGresult) result =
	        ph_db_query(db,
	                    lock ? "SELECT " PH_PAYOUT_BATCH_COLUMNS
	                           " FROM payout_batch WHERE batch_no = $1::bigint "
	                           "FOR UPDATE"
	                         : "SELECT " PH_PAYOUT_BATCH_COLUMNS
	                           " FROM payout_batch WHERE batch_no = $1::bigint",
	                    1, params, error);
	if (result == NULL)
		return NULL;
	if (PQntuples(result) == 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_NOT_FOUND, "payout batch %s: no such batch",
		            number);
		return NULL;
	}
	return ph_payout_batch_from_row(result, 0);
}

GPtrArray *
ph_payout_batch_list(PhDb *db, PhPeriod period, GError **error)
{
	gchar month[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(month, period)};
	g_autoptr(PGresult) result = ph_db_query(db,
	                                         "SELECT " PH_PAYOUT_BATCH_COLUMNS
	                                         " FROM payout_batch WHERE $1::integer = 0 "
	                                         "OR period = $1::integer ORDER BY batch_no DESC",
	                                         1, params, error);
	if (result == NULL)
		return NULL;
	GPtrArray *batches = g_ptr_array_new_with_free_func((GDestroyNotify)ph_payout_batch_free);
	for (gint row = 0; row < PQntuples(result); row++)
		g_ptr_array_add(batches, ph_payout_batch_from_row(result, row));
	return batches;
}

static gboolean
ph_payout_batch_record(PhDb *db, const PhCommandContext *context, const PhPayoutBatch *batch,
                       GError **error)
{
	g_autoptr(JsonNode) payload = json_node_new(JSON_NODE_OBJECT);
	JsonObject *object = json_object_new();
	g_autofree gchar *month = ph_period_to_string(batch->period);
	json_object_set_int_member(object, "batch_no", batch->batch_no);
	json_object_set_string_member(object, "bank", batch->bank);
	json_object_set_string_member(object, "period", month);
	json_object_set_string_member(object, "kind", batch->kind);
	json_object_set_int_member(object, "items", batch->item_count);
	json_object_set_int_member(object, "total", batch->total);
	json_node_take_object(payload, object);
	g_autofree gchar *name =
	        g_strdup_printf("payout-batch:%010" G_GINT64_FORMAT, batch->batch_no);
	return ph_command_record(db, context, "payout-batch", name, NULL, 0, NULL, payload, error);
}

/* Reserves a number, stores the batch, then its items, then its count and total. */
static PhPayoutBatch *
ph_payout_batch_create(PhDb *db, PhPayoutKind kind, const gchar *eligible, PhPeriod period,
                       const gchar *bank, GError **error)
{
	gchar month[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(month, period), bank,
	                         kind == PH_PAYOUT_REGULAR ? "regular" : "reissue"};
	g_autoptr(PGresult) batch =
	        ph_db_query(db,
	                    "INSERT INTO payout_batch (batch_no, bank, period, kind, created, "
	                    "item_count, total) "
	                    "VALUES (nextval('payout_batch_no'), $2, $1::integer, $3, "
	                    "to_char(now(), 'YYYYMMDDHH24MISS'), 0, 0) RETURNING batch_no",
	                    3, params, error);
	if (batch == NULL)
		return NULL;
	const gchar *item_params[] = {params[0], bank, PQgetvalue(batch, 0, 0)};
	g_autofree gchar *insert = g_strconcat(
	        "INSERT INTO payout_item (batch_no, serial, person_id, period, id_number, name, "
	        "account, amount, account_lookup) SELECT $3::bigint, row_number() OVER (ORDER BY "
	        "person_id), person_id, period, id_number, name, account, amount, account_lookup "
	        "FROM (",
	        eligible, ") e WHERE bank = $2", NULL);
	g_autoptr(PGresult) items = ph_db_query(db, insert, 3, item_params, error);
	if (items == NULL)
		return NULL;
	/* a month adds up to a million items at once */
	if (!ph_bulk_analyze_after(db, "payout_item", NULL,
	                           g_ascii_strtoll(PQcmdTuples(items), NULL, 10), error))
		return NULL;
	g_autoptr(PGresult) totals = ph_db_query(
	        db,
	        "UPDATE payout_batch b SET item_count = t.n, total = t.total FROM "
	        "(SELECT count(*) AS n, coalesce(sum(amount), 0) AS total FROM payout_item "
	        "WHERE batch_no = $1::bigint) t WHERE b.batch_no = $1::bigint RETURNING "
	        "b.batch_no, b.bank, b.period, b.kind, b.profile, b.file_name, b.created, "
	        "b.item_count, b.total, b.state, b.digest",
	        1, (const gchar *const[]){item_params[2]}, error);
	if (totals == NULL)
		return NULL;
	return ph_payout_batch_from_row(totals, 0);
}

/* The month's regular batches built earlier (of @bank, or of every bank when NULL). */
static gboolean
ph_payout_batch_find_regular(PhDb *db, PhPeriod period, const gchar *bank, GPtrArray *out,
                             GError **error)
{
	gchar month[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(month, period), bank};
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "SELECT " PH_PAYOUT_BATCH_COLUMNS " FROM payout_batch WHERE kind = 'regular' "
	        "AND period = $1::integer AND ($2::text IS NULL OR bank = $2::text) ORDER BY bank",
	        2, params, error);
	if (result == NULL)
		return FALSE;
	for (gint row = 0; row < PQntuples(result); row++)
		g_ptr_array_add(out, ph_payout_batch_from_row(result, row));
	return TRUE;
}

static gboolean
ph_payout_batch_has_bank(GPtrArray *batches, const gchar *bank)
{
	for (guint i = 0; i < batches->len; i++) {
		const PhPayoutBatch *batch = g_ptr_array_index(batches, i);
		if (g_str_equal(batch->bank, bank))
			return TRUE;
	}
	return FALSE;
}

static gboolean
ph_payout_batch_prepare(PhDb *db, const PhCommandContext *context, PhPayoutKind kind,
                        PhPeriod period, const gchar *bank, PhPayoutRun *run, GError **error)
{
	gchar month[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(month, period), bank};
	/* one run per month at a time; schedule writers take the same month's other lock */
	g_autoptr(PGresult) lock = ph_db_query(
	        db, "SELECT pg_advisory_xact_lock(1885434740, $1::integer)", 1, params, error);
	if (lock == NULL)
		return FALSE;
	if (kind == PH_PAYOUT_REISSUE)
		return TRUE;
	PhPayoutDueResult due;
	if (!ph_payout_schedule_due(db, context, period, NULL, NULL, &due, error))
		return FALSE;
	g_autoptr(PGresult) excluded = ph_db_query(db, PH_PAYOUT_NOTE_EXCLUDED, 2, params, error);
	if (excluded == NULL)
		return FALSE;
	run->excluded = g_ascii_strtoll(PQcmdTuples(excluded), NULL, 10);
	return TRUE;
}

gboolean
ph_payout_batch_build(PhDb *db, const PhCommandContext *context, PhPayoutKind kind, PhPeriod period,
                      const gchar *bank, PhPayoutRun *run, GError **error)
{
	g_return_val_if_fail(db != NULL && context != NULL && run != NULL, FALSE);
	memset(run, 0, sizeof(*run));
	run->batches = g_ptr_array_new_with_free_func((GDestroyNotify)ph_payout_batch_free);
	run->existing = g_ptr_array_new_with_free_func((GDestroyNotify)ph_payout_batch_free);
	if (!ph_command_check_period(context->policy, "period", period, error) ||
	    !ph_payout_batch_prepare(db, context, kind, period, bank, run, error))
		return FALSE;
	const gchar *eligible =
	        kind == PH_PAYOUT_REGULAR ? PH_PAYOUT_ELIGIBLE_REGULAR : PH_PAYOUT_ELIGIBLE_REISSUE;
	gchar month[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(month, period), bank};
	g_autofree gchar *banks_sql =
	        g_strconcat("SELECT DISTINCT bank FROM (", eligible,
	                    ") e WHERE $2::text IS NULL OR bank = $2::text ORDER BY 1", NULL);
	g_autoptr(PGresult) banks = ph_db_query(db, banks_sql, 2, params, error);
	if (banks == NULL ||
	    (kind == PH_PAYOUT_REGULAR &&
	     !ph_payout_batch_find_regular(db, period, bank, run->existing, error)))
		return FALSE;
	for (gint row = 0; row < PQntuples(banks); row++) {
		const gchar *name = PQgetvalue(banks, row, 0);
		/* one regular batch per bank and month: the rest of the month is re-issue work */
		if (ph_payout_batch_has_bank(run->existing, name))
			continue;
		PhPayoutBatch *batch =
		        ph_payout_batch_create(db, kind, eligible, period, name, error);
		if (batch == NULL)
			return FALSE;
		g_ptr_array_add(run->batches, batch);
		if (!ph_payout_batch_record(db, context, batch, error))
			return FALSE;
	}
	return TRUE;
}

typedef struct {
	PhPayoutItemFunc func;
	gpointer user_data;
} PhPayoutItemWalk;

static gboolean
ph_payout_batch_item_row(PGresult *rows, gint row, GString *copy, gpointer user_data,
                         GError **error)
{
	PhPayoutItemWalk *walk = user_data;
	/* payout_item holds the sealed copies made when the batch was built; the bank's file
	 * needs the numbers themselves */
	g_autofree gchar *id_number = ph_person_open_id(PQgetvalue(rows, row, 2), error);
	g_autofree gchar *account =
	        id_number != NULL ? ph_field_open_account(PQgetvalue(rows, row, 4), error) : NULL;
	if (account == NULL)
		return FALSE;
	PhPayoutItem item = {
	        .serial = (gint)ph_db_get_int64(rows, row, 0),
	        .person_id = ph_db_get_int64(rows, row, 1),
	        .id_number = id_number,
	        .name = PQgetvalue(rows, row, 3),
	        .account = account,
	        .amount = ph_db_get_int64(rows, row, 5),
	        .state = PQgetvalue(rows, row, 6),
	        .status = PQgetisnull(rows, row, 7) ? NULL : PQgetvalue(rows, row, 7),
	        .message = PQgetisnull(rows, row, 8) ? NULL : PQgetvalue(rows, row, 8),
	};
	return walk->func(&item, walk->user_data, error);
}

gboolean
ph_payout_batch_foreach_item(PhDb *db, gint64 batch_no, PhPayoutItemFunc func, gpointer user_data,
                             GError **error)
{
	gchar number[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(number, batch_no), NULL};
	PhPayoutItemWalk walk = {func, user_data};
	g_return_val_if_fail(db != NULL && func != NULL, FALSE);
	g_autoptr(PGresult) file = ph_db_query(db,
	                                       "SELECT file_id FROM payout_result_file WHERE "
	                                       "batch_no = $1::bigint AND verdict = 'booked'",
	                                       1, params, error);
	if (file == NULL)
		return FALSE;
	if (PQntuples(file) > 0 && !PQgetisnull(file, 0, 0))
		params[1] = PQgetvalue(file, 0, 0);
	return ph_bulk_run(db, PH_PAYOUT_BATCH_ITEMS, 2, params, NULL, ph_payout_batch_item_row,
	                   &walk, NULL, error);
}

gboolean
ph_payout_batch_set_items_digest(PhDb *db, gint64 batch_no, const gchar *hex, GError **error)
{
	gchar number[24];
	g_return_val_if_fail(db != NULL && hex != NULL, FALSE);
	const gchar *params[] = {PH_COMMAND_INT_TEXT(number, batch_no), hex};
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "UPDATE payout_batch SET items_digest = $2 WHERE batch_no = $1::bigint AND "
	        "state = 'built'",
	        2, params, error);
	return result != NULL;
}

gboolean
ph_payout_batch_mark_sent(PhDb *db, gint64 batch_no, const gchar *profile, const gchar *file_name,
                          const gchar *digest, GError **error)
{
	g_autoptr(PhPayoutBatch) batch = ph_payout_batch_get(db, batch_no, TRUE, error);
	if (batch == NULL)
		return FALSE;
	if (!g_str_equal(batch->state, "built")) {
		if (g_strcmp0(batch->file_name, file_name) == 0 &&
		    g_strcmp0(batch->digest, digest) == 0)
			return TRUE;
		g_set_error(error, PH_ERROR, PH_ERROR_CONFLICT,
		            "payout batch %010" G_GINT64_FORMAT
		            ": already sent as %s (%s), not as %s (%s)",
		            batch_no, batch->file_name, batch->digest, file_name, digest);
		return FALSE;
	}
	gchar number[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(number, batch_no), profile, file_name, digest};
	g_autoptr(PGresult) result = ph_db_query(db,
	                                         "UPDATE payout_batch SET state = 'sent', profile "
	                                         "= $2, file_name = $3, digest = $4, "
	                                         "sent_at = now() WHERE batch_no = $1::bigint",
	                                         4, params, error);
	return result != NULL;
}
