/* Shared parts of the core store benchmarks (bench-contrib-run, bench-interest-close): a
 * throw-away database with a million generated members, the reference COPY timing and the
 * peak RSS. Benchmarks only. */
#pragma once

#include <glib.h>

#include "ph-command.h"
#include "ph-db.h"
#include "ph-test-db.h"

G_BEGIN_DECLS

#define BENCH_CORE_STORE_MEMBERS 1000000

typedef struct {
	PhTestDb *test_db;
	PhDb *db;
	PhPolicy *policy; /* national + SAMPLE region 110000 */
	PhCommandContext context;
	gint64 members;
} BenchCoreStore;

/* Creates the database and loads the policy; $PH_BENCH_MEMBERS overrides the size. */
void bench_core_store_init(BenchCoreStore *bench);
void bench_core_store_clear(BenchCoreStore *bench);

/* Runs SQL (several statements allowed), printing how long it took under @label. */
void bench_core_store_exec(BenchCoreStore *bench, const gchar *label, const gchar *sql);
/* Generates the unit and the members (person, open enrolment from @start, a wage). */
void bench_core_store_load_members(BenchCoreStore *bench, gint start);

/* Seconds since an arbitrary origin. */
gdouble bench_core_store_now(void);

/* Copies the rows of @select out to a file (not timed), then times BEGIN, COPY of the file
 * into an empty copy of @table (LIKE … INCLUDING ALL) and COMMIT: the reference. */
gdouble bench_core_store_reference(BenchCoreStore *bench, const gchar *table, const gchar *columns,
                                   const gchar *select);

/* Peak resident set of this process in MB. */
gdouble bench_core_store_peak_rss_mb(void);

/* Prints ours, the reference, the ratio against the bound of 2 and the peak RSS. */
void bench_core_store_report(const gchar *what, gdouble ours, gdouble reference, gdouble rerun);

G_END_DECLS
