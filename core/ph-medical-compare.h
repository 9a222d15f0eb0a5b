/* The monthly comparison (比对) of the medical insurance system's person file with the
 * pension core (issue 8): the file's rows are streamed into a temporary table with COPY,
 * compared with person data in set-based SQL, and every difference is stored as one line
 * of a report with a summary. Core only; pensionctl medical reads the file through a
 * mapping and calls this. */
#pragma once

#include <glib.h>

#include "ph-db.h"

G_BEGIN_DECLS

/* One line of the medical file, in national element codes (NULL or "" when empty). */
typedef struct {
	guint64 file_line;
	const gchar *id_number;  /* AAC002 */
	const gchar *name;       /* AAC003 */
	const gchar *sex;        /* AAC004 */
	const gchar *birth_date; /* AAC006 YYYYMMDD */
	const gchar *retired;    /* AAC084: 0 在职, 1 离退休 */
	const gchar *death_date; /* AAE138 YYYYMMDD */
} PhMedicalPerson;

/* Kinds of difference, the `difference` column of a report line. */
#define PH_MEDICAL_DIFF_INVALID_ID   "invalid_id"   /* AAC002 fails GB 11643 */
#define PH_MEDICAL_DIFF_DUPLICATE    "duplicate"    /* AAC002 again in the file */
#define PH_MEDICAL_DIFF_UNKNOWN_HERE "unknown_here" /* in their file, not a person here */
#define PH_MEDICAL_DIFF_MISSING_THERE                                                              \
	"missing_there" /* an active or retired member here, not there */
#define PH_MEDICAL_DIFF_MISMATCH                                                                   \
	"mismatch" /* field differs: AAC003, AAC004, AAC006, AAC084, AAE138 */

typedef struct _PhMedicalCompare PhMedicalCompare;

/* Opens a transaction on @db and the staging table. */
PhMedicalCompare *ph_medical_compare_begin(PhDb *db, GError **error);
/* Stages one line (buffered; COPY in chunks, bounded memory). */
gboolean ph_medical_compare_add(PhMedicalCompare *compare, const PhMedicalPerson *person,
                                GError **error);
/* Compares, stores the report for @file_name with @digest ("SHA256 hex"), appends the audit
 * entry "medical-compare" of @actor (the operator) and commits; @report_id receives its id. */
gboolean ph_medical_compare_finish(PhMedicalCompare *compare, const gchar *file_name,
                                   const gchar *digest, const gchar *actor, gint64 *report_id,
                                   GError **error);
/* Rolls back unless finished. */
void ph_medical_compare_free(PhMedicalCompare *compare);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhMedicalCompare, ph_medical_compare_free)

/* One difference; strings valid during the callback only (NULL when empty). */
typedef struct {
	gint line_no;
	const gchar *id_number;
	const gchar *difference;
	const gchar *field;
	const gchar *ours;
	const gchar *theirs;
	gint64 file_line; /* 0 when the line is not from the file (missing_there) */
} PhMedicalDifference;

typedef gboolean (*PhMedicalDifferenceFunc)(const PhMedicalDifference *difference,
                                            gpointer user_data, GError **error);

/* Streams the lines of report @report_id in order through a cursor (in its own
 * transaction); PH_ERROR_NOT_FOUND when there is no such report. */
gboolean ph_medical_compare_foreach(PhDb *db, gint64 report_id, PhMedicalDifferenceFunc func,
                                    gpointer user_data, GError **error);

/* The report's header as JSON text: {"report_id", "file_name", "digest", "file_records",
 * "our_persons", "differences", "summary": {"KIND[:FIELD]": count}, "created_at"}. */
gchar *ph_medical_compare_summary_json(PhDb *db, gint64 report_id, GError **error);

G_END_DECLS
