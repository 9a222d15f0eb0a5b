/* Test fixture for the business core: a throw-away migrated database (ph-test-db.h), a
 * connection to it, the national policy with optional overrides, and a command context
 * acting as "test". For integration tests of core commands. */
#pragma once

#include "ph-command.h"
#include "ph-policy.h"
#include "ph-test-db.h"
#include "ph-transfer-cmd.h"

G_BEGIN_DECLS

typedef struct {
	PhTestDb *test_db;
	PhDb *db;
	PhPolicy *policy;
	PhCommandContext context;
} PhTestCore;

/* @policy_overrides: policy JSON applied over the national defaults (as a provincial
 * file), or NULL. Fails the test on any error. */
void ph_test_core_set_up(PhTestCore *core, const gchar *policy_overrides);
void ph_test_core_tear_down(PhTestCore *core);
/* Runs @sql (several statements allowed) on the fixture's connection; fails the test on
 * any error. */
void ph_test_core_exec(PhTestCore *core, const gchar *sql);

/* Policy overrides (JSON members, for inside an object) with RULES.md §8's figures: the
 * average wage 5,000.00 every year, the pension base 8,000.00, the transition coefficient
 * 0.013 by pattern A, and the death grants. */
#define PH_TEST_CORE_RULES8_POLICY                                                                 \
	"\"avg_wage_monthly\": {\"2013\": 500000, \"2014\": 500000, \"2015\": 500000,"             \
	" \"2016\": 500000, \"2017\": 500000, \"2018\": 500000, \"2019\": 500000,"                 \
	" \"2020\": 500000, \"2021\": 500000, \"2022\": 500000, \"2023\": 500000,"                 \
	" \"2024\": 500000, \"2025\": 500000},"                                                    \
	" \"pension_base_monthly\": {\"2024\": 800000, \"2025\": 800000, \"2026\": 800000},"       \
	" \"transition_coefficient\": \"0.013\", \"transition_pattern\": \"A\","                   \
	" \"funeral_grant\": 500000, \"survivor_benefit\": 2000000"

/* RULES.md §8's worked example transfer in, dated 2024-10 from 310000, for @id_number: 120
 * months of a 7,500 yuan base from 2014-10 (filled into @months) and the three funds; no
 * deemed service (the caller sets it where the case has it). */
#define PH_TEST_CORE_RULES8_MONTHS 120
PhTransferInInput ph_test_core_rules8_transfer_in(const gchar *case_id, const gchar *id_number,
                                                  PhMonthBase months[PH_TEST_CORE_RULES8_MONTHS]);

G_END_DECLS
