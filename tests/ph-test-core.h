/* Test fixture for the business core: a throw-away migrated database (ph-test-db.h), a
 * connection to it, the national policy with optional overrides, and a command context
 * acting as "test". For integration tests of core commands. */
#pragma once

#include "ph-command.h"
#include "ph-policy.h"
#include "ph-test-db.h"

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

G_END_DECLS
