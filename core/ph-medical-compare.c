/* The monthly comparison with the medical insurance system (see ph-medical-compare.h): the
 * file goes into a temporary table by COPY, and one INSERT … SELECT writes every
 * difference, so that a province's million persons are a few statements. Core only. */
#include "ph-medical-compare.h"

#include <string.h>

#include "ph-audit.h"
#include "ph-bulk.h"
#include "ph-command.h"
#include "ph-error.h"
#include "ph-identity.h"
#include "ph-person.h"

/* COPY text buffered before it is sent. */
#define PH_MEDICAL_COPY_CHUNK (4 * 1024 * 1024)

#define PH_MEDICAL_STAGING                                                                         \
	"CREATE TEMP TABLE medical_staging (file_line bigint NOT NULL, id_lookup text NOT NULL, "  \
	"id_number text NOT NULL, id_valid boolean NOT NULL, name text NOT NULL, sex text NOT "    \
	"NULL, birth_date text NOT NULL, retired text NOT NULL, death_date text NOT NULL) "        \
	"ON COMMIT DROP"

#define PH_MEDICAL_COPY                                                                            \
	"COPY medical_staging (file_line, id_lookup, id_number, id_valid, name, sex, birth_date, " \
	"retired, death_date) FROM STDIN"

/* Our side: AAC084 is 1 for anyone who retired (also after death); empty AAE138 alive. */
#define PH_MEDICAL_OURS                                                                            \
	"ours AS (SELECT p.id_lookup, p.id_number, p.status, p.name, p.sex, p.birth_date, CASE "   \
	"WHEN EXISTS (SELECT 1 FROM benefit b WHERE b.person_id = p.person_id) THEN '1' ELSE '0' " \
	"END AS retired, coalesce(p.death_date, '') AS death_date FROM person p)"

#define PH_MEDICAL_DIFF                                                                            \
	"WITH s AS (SELECT *, row_number() OVER (PARTITION BY id_lookup ORDER BY file_line) AS "   \
	"occurrence FROM medical_staging), " PH_MEDICAL_OURS ", diff AS ("                         \
	"SELECT s.id_number, '" PH_MEDICAL_DIFF_INVALID_ID "' AS difference, 'AAC002' AS field, "  \
	"NULL::text AS ours, s.id_number AS theirs, s.file_line FROM s WHERE NOT s.id_valid "      \
	"UNION ALL SELECT s.id_number, '" PH_MEDICAL_DIFF_DUPLICATE "', 'AAC002', NULL, "          \
	"s.id_number, s.file_line FROM s WHERE s.id_valid AND s.occurrence > 1 "                   \
	"UNION ALL SELECT s.id_number, '" PH_MEDICAL_DIFF_UNKNOWN_HERE "', NULL, NULL, NULL, "     \
	"s.file_line FROM s WHERE s.id_valid AND s.occurrence = 1 AND NOT EXISTS (SELECT 1 FROM "  \
	"person p WHERE p.id_lookup = s.id_lookup) "                                               \
	"UNION ALL SELECT o.id_number, '" PH_MEDICAL_DIFF_MISSING_THERE                            \
	"', NULL, o.status, NULL, "                                                                \
	"NULL FROM ours o WHERE o.status IN ('active', 'retired') AND o.death_date = '' AND NOT "  \
	"EXISTS (SELECT 1 FROM medical_staging m WHERE m.id_lookup = o.id_lookup) "                \
	"UNION ALL SELECT s.id_number, '" PH_MEDICAL_DIFF_MISMATCH "', f.field, f.ours, "          \
	"f.theirs, s.file_line FROM s JOIN ours o ON o.id_lookup = s.id_lookup CROSS JOIN "        \
	"LATERAL (VALUES ('AAC003', o.name, s.name), ('AAC004', o.sex, s.sex), ('AAC006', "        \
	"o.birth_date, s.birth_date), ('AAC084', o.retired, s.retired), ('AAE138', "               \
	"o.death_date, s.death_date)) AS f(field, ours, theirs) WHERE s.id_valid AND "             \
	"s.occurrence = 1 AND f.ours IS DISTINCT FROM f.theirs) "                                  \
	"INSERT INTO medical_compare_line (report_id, line_no, id_number, difference, field, "     \
	"ours, theirs, file_line) SELECT $1::bigint, row_number() OVER (ORDER BY file_line "       \
	"NULLS LAST, id_number, difference, field), id_number, difference, field, ours, theirs, "  \
	"file_line FROM diff"

#define PH_MEDICAL_SUMMARISE                                                                       \
	"UPDATE medical_compare SET differences = (SELECT count(*) FROM medical_compare_line l "   \
	"WHERE l.report_id = $1::bigint), summary = coalesce((SELECT jsonb_object_agg(kind, n) "   \
	"FROM (SELECT difference || coalesce(':' || field, '') AS kind, count(*) AS n FROM "       \
	"medical_compare_line l WHERE l.report_id = $1::bigint GROUP BY 1) k), '{}'::jsonb), "     \
	"our_persons = (SELECT count(*) FROM person WHERE status IN ('active', 'retired') AND "    \
	"death_date IS NULL) WHERE report_id = $1::bigint"

struct _PhMedicalCompare {
	PhDb *db;
	GString *copy;
	gint64 records;
	gboolean open;
};

PhMedicalCompare *
ph_medical_compare_begin(PhDb *db, GError **error)
{
	if (!ph_db_begin(db, error))
		return NULL;
	if (!ph_db_exec(db, PH_MEDICAL_STAGING, error)) {
		ph_db_rollback(db);
		return NULL;
	}
	PhMedicalCompare *compare = g_new0(PhMedicalCompare, 1);
	compare->db = db;
	compare->copy = g_string_sized_new(PH_MEDICAL_COPY_CHUNK + 4096);
	compare->open = TRUE;
	return compare;
}

static const gchar *
ph_medical_text(const gchar *text)
{
	return text != NULL ? text : "";
}

gboolean
ph_medical_compare_add(PhMedicalCompare *compare, const PhMedicalPerson *person, GError **error)
{
	g_return_val_if_fail(compare != NULL && compare->open, FALSE);

	const gchar *id_number = ph_medical_text(person->id_number);
	gboolean valid = ph_identity_check_citizen_id(id_number, NULL);
	g_autofree gchar *key = valid ? ph_person_lookup_key(id_number) : g_strdup(id_number);
	/* the partner's AAC002 reaches the report lines, so it is stored sealed like ours */
	g_autofree gchar *sealed = ph_person_seal_id(id_number, error);
	if (sealed == NULL)
		return FALSE;
	GString *copy = compare->copy;
	ph_bulk_append_int(copy, (gint64)person->file_line, '\t');
	ph_bulk_append_text(copy, key, '\t');
	ph_bulk_append_text(copy, sealed, '\t');
	ph_bulk_append_text(copy, valid ? "t" : "f", '\t');
	ph_bulk_append_text(copy, ph_medical_text(person->name), '\t');
	ph_bulk_append_text(copy, ph_medical_text(person->sex), '\t');
	ph_bulk_append_text(copy, ph_medical_text(person->birth_date), '\t');
	ph_bulk_append_text(copy, ph_medical_text(person->retired), '\t');
	ph_bulk_append_text(copy, ph_medical_text(person->death_date), '\n');
	compare->records++;
	if (copy->len < PH_MEDICAL_COPY_CHUNK)
		return TRUE;
	gboolean sent = ph_bulk_copy_in(compare->db, PH_MEDICAL_COPY, copy->str, copy->len, error);
	g_string_truncate(copy, 0);
	return sent;
}

/* The operator action in the report's transaction: who compared which file (its name and
 * digest are the payload, stored as their SHA-256), object "medical comparison ID". */
static gboolean
ph_medical_compare_audit(PhDb *db, const gchar *actor, const gchar *report_id,
                         const gchar *file_name, const gchar *digest, GError **error)
{
	g_autofree gchar *object = g_strconcat("medical comparison ", report_id, NULL);
	gchar *text = g_strdup_printf("%s\n%s", file_name, digest);
	g_autoptr(GBytes) payload = g_bytes_new_take(text, strlen(text));
	return ph_audit_append(db, actor, "medical-compare", object, payload, error);
}

gboolean
ph_medical_compare_finish(PhMedicalCompare *compare, const gchar *file_name, const gchar *digest,
                          const gchar *actor, gint64 *report_id, GError **error)
{
	g_return_val_if_fail(compare != NULL && compare->open, FALSE);
	g_return_val_if_fail(actor != NULL, FALSE);

	PhDb *db = compare->db;
	if (compare->copy->len > 0 &&
	    !ph_bulk_copy_in(db, PH_MEDICAL_COPY, compare->copy->str, compare->copy->len, error))
		return FALSE;
	g_string_truncate(compare->copy, 0);
	if (!ph_db_exec(db, "CREATE INDEX ON medical_staging (id_lookup); ANALYZE medical_staging",
	                error))
		return FALSE;
	gchar records[24];
	const gchar *params[] = {file_name, digest, PH_COMMAND_INT_TEXT(records, compare->records)};
	g_autoptr(PGresult) header = ph_db_query(
	        db,
	        "INSERT INTO medical_compare (file_name, digest, file_records, our_persons, "
	        "differences, summary) VALUES ($1, $2, $3::bigint, 0, 0, '{}') RETURNING report_id",
	        3, params, error);
	if (header == NULL)
		return FALSE;
	const gchar *id_params[] = {PQgetvalue(header, 0, 0)};
	g_autoptr(PGresult) lines = ph_db_query(db, PH_MEDICAL_DIFF, 1, id_params, error);
	if (lines == NULL)
		return FALSE;
	g_autoptr(PGresult) summary = ph_db_query(db, PH_MEDICAL_SUMMARISE, 1, id_params, error);
	if (summary == NULL ||
	    !ph_medical_compare_audit(db, actor, id_params[0], file_name, digest, error) ||
	    !ph_db_commit(db, error))
		return FALSE;
	compare->open = FALSE;
	*report_id = ph_db_get_int64(header, 0, 0);
	return TRUE;
}

void
ph_medical_compare_free(PhMedicalCompare *compare)
{
	if (compare == NULL)
		return;
	if (compare->open)
		ph_db_rollback(compare->db);
	g_string_free(compare->copy, TRUE);
	g_free(compare);
}

typedef struct {
	PhMedicalDifferenceFunc func;
	gpointer user_data;
} PhMedicalWalk;

static const gchar *
ph_medical_value(PGresult *rows, gint row, gint column)
{
	return PQgetisnull(rows, row, column) ? NULL : PQgetvalue(rows, row, column);
}

/* A stored value through ph_person_open_id (NULL stays NULL). */
static gboolean
ph_medical_open(PGresult *rows, gint row, gint column, gchar **out, GError **error)
{
	const gchar *stored = ph_medical_value(rows, row, column);
	*out = ph_person_open_id(stored, error);
	return *out != NULL || stored == NULL;
}

static gboolean
ph_medical_compare_row(PGresult *rows, gint row, GString *copy, gpointer user_data, GError **error)
{
	PhMedicalWalk *walk = user_data;
	/* AAC002 is stored sealed, ours and theirs alike (ph_medical_compare_add); an AAC002
	 * difference carries it in "theirs" too. Other values are plain and pass through. */
	g_autofree gchar *id_number = NULL;
	g_autofree gchar *ours = NULL;
	g_autofree gchar *theirs = NULL;
	if (!ph_medical_open(rows, row, 1, &id_number, error) ||
	    !ph_medical_open(rows, row, 4, &ours, error) ||
	    !ph_medical_open(rows, row, 5, &theirs, error))
		return FALSE;
	PhMedicalDifference difference = {
	        (gint)ph_db_get_int64(rows, row, 0), id_number, ph_medical_value(rows, row, 2),
	        ph_medical_value(rows, row, 3),      ours,      theirs,
	        ph_db_get_int64(rows, row, 6)};
	return walk->func(&difference, walk->user_data, error);
}

gboolean
ph_medical_compare_foreach(PhDb *db, gint64 report_id, PhMedicalDifferenceFunc func,
                           gpointer user_data, GError **error)
{
	g_autofree gchar *header = ph_medical_compare_summary_json(db, report_id, error);
	if (header == NULL)
		return FALSE;
	gchar number[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(number, report_id)};
	PhMedicalWalk walk = {func, user_data};
	if (!ph_db_begin(db, error))
		return FALSE;
	gboolean done = ph_bulk_run(db,
	                            "SELECT line_no, id_number, difference, field, ours, theirs, "
	                            "file_line FROM medical_compare_line WHERE report_id = "
	                            "$1::bigint ORDER BY line_no",
	                            1, params, NULL, ph_medical_compare_row, &walk, NULL, error);
	if (!done) {
		ph_db_rollback(db);
		return FALSE;
	}
	return ph_db_commit(db, error);
}

gchar *
ph_medical_compare_summary_json(PhDb *db, gint64 report_id, GError **error)
{
	gchar number[24];
	const gchar *params[] = {PH_COMMAND_INT_TEXT(number, report_id)};
	g_autoptr(PGresult) result = ph_db_query(
	        db,
	        "SELECT json_build_object('report_id', report_id, 'file_name', file_name, "
	        "'digest', digest, 'file_records', file_records, 'our_persons', our_persons, "
	        "'differences', differences, 'summary', summary, 'created_at', created_at)::text "
	        "FROM medical_compare WHERE report_id = $1::bigint",
	        1, params, error);
	if (result == NULL)
		return NULL;
	if (PQntuples(result) == 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_NOT_FOUND,
		            "medical comparison %" G_GINT64_FORMAT ": no such report", report_id);
		return NULL;
	}
	return g_strdup(PQgetvalue(result, 0, 0));
}
