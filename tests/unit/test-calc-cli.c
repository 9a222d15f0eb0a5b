/* Tests of `pensionctl calc` and `pensionctl policy show` as operators run them: the
 * RULES §8 worked example through the built binary, exit status 2 with the error object
 * on bad input, and the sample province's dated overrides. */
#include "ph-build-config.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>

typedef struct {
	gint status;
	gchar *out;
	JsonNode *json;
} RunResult;

static void
run_result_clear(RunResult *result)
{
	g_free(result->out);
	if (result->json != NULL)
		json_node_unref(result->json);
}

static gchar *
pensionctl_path(void)
{
	const gchar *build = g_getenv("PH_BUILD_DIR");

	return g_build_filename(build != NULL ? build : PH_BUILD_DIR, "hub", "pensionctl", NULL);
}

/* Runs pensionctl with @argv (after the program) and @input on stdin. */
static void
run(const gchar *const *args, const gchar *input, RunResult *result)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;

	g_ptr_array_add(argv, pensionctl_path());
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, g_strdup(args[i]));
	g_ptr_array_add(argv, NULL);
	process = g_subprocess_newv((const gchar *const *)argv->pdata,
	                            G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
	                            &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_communicate_utf8(process, input != NULL ? input : "", NULL,
	                                            &result->out, NULL, &error));
	g_assert_no_error(error);
	result->status = g_subprocess_get_exit_status(process);
	result->json = NULL;
	if (json_parser_load_from_data(parser, result->out, -1, NULL) &&
	    json_parser_get_root(parser) != NULL)
		result->json = json_node_copy(json_parser_get_root(parser));
}

static JsonObject *
object_at(JsonNode *root, const gchar *member)
{
	g_assert_nonnull(root);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(root));
	return json_object_get_object_member(json_node_get_object(root), member);
}

/* RULES §8: total 6,756.00 yuan = 675600 fen, from the file argument. */
static void
test_worked_example(void)
{
	g_autofree gchar *file =
	        g_test_build_filename(G_TEST_DIST, "data", "rules", "worked-example.json", NULL);
	const gchar *args[] = {"calc", "benefit", file, NULL};
	RunResult result;
	JsonObject *root;

	run(args, NULL, &result);
	g_assert_cmpint(result.status, ==, 0);
	root = json_node_get_object(result.json);
	g_assert_cmpint(json_object_get_int_member(root, "monthly_total"), ==, 675600);
	g_assert_cmpint(json_object_get_int_member(object_at(result.json, "components"), "basic"),
	                ==, 276000);
	g_assert_cmpint(
	        json_object_get_int_member(object_at(result.json, "components"), "transitional"),
	        ==, 249600);
	g_assert_cmpstr(json_object_get_string_member(root, "months_divisor"), ==, "139");
	g_assert_cmpstr(json_object_get_string_member(object_at(result.json, "index"), "average"),
	                ==, "1.3000");
	run_result_clear(&result);
}

/* Invalid input: status 2 and {"error": {"code", "field", "message"}} on stdout. */
static void
test_bad_input(void)
{
	const gchar *args[] = {"calc", "benefit", NULL};
	RunResult result;
	JsonObject *error_object;

	run(args, "{\"birth\": \"1964-10\", \"retire\": \"1970-01\"}", &result);
	g_assert_cmpint(result.status, ==, 2);
	error_object = object_at(result.json, "error");
	g_assert_cmpstr(json_object_get_string_member(error_object, "code"), ==, "INVALID_INPUT");
	g_assert_cmpstr(json_object_get_string_member(error_object, "field"), ==, "retire");
	g_assert_cmpstr(json_object_get_string_member(error_object, "message"), !=, "");
	run_result_clear(&result);

	run(args, "{not json", &result);
	g_assert_cmpint(result.status, ==, 2);
	g_assert_cmpstr(json_object_get_string_member(object_at(result.json, "error"), "code"), ==,
	                "INVALID_INPUT");
	run_result_clear(&result);
}

/* The same calculator from stdin, with national defaults filling the policy. */
static void
test_contribution_stdin(void)
{
	const gchar *args[] = {"calc", "contribution", NULL};
	RunResult result;
	JsonObject *root;

	/* A(2018) = 500000: upper = 1500000; W clamped; 16% from 2019-05 → 240000 */
	run(args,
	    "{\"period\": \"2019-05\", \"declared_wage\": 2000000,"
	    " \"policy\": {\"avg_wage_monthly\": {\"2018\": 500000}}}",
	    &result);
	g_assert_cmpint(result.status, ==, 0);
	root = json_node_get_object(result.json);
	g_assert_cmpint(json_object_get_int_member(root, "base"), ==, 1500000);
	g_assert_cmpint(json_object_get_int_member(root, "employer"), ==, 240000);
	run_result_clear(&result);
}

/* The sample province publishes the 2015 average in 2016-06: in force at 2016-07, not
 * at 2016-05; the file says it is sample data. */
static void
test_policy_show(void)
{
	const gchar *after[] = {"policy", "show", "--region", "110105", "--at", "2016-07", NULL};
	const gchar *before[] = {"policy", "show", "--region", "110105", "--at", "2016-05", NULL};
	RunResult result;
	JsonObject *policy;
	JsonArray *sources;

	run(after, NULL, &result);
	g_assert_cmpint(result.status, ==, 0);
	policy = object_at(result.json, "policy");
	g_assert_cmpint(json_object_get_int_member(
	                        json_object_get_object_member(policy, "avg_wage_monthly"), "2015"),
	                ==, 560000);
	sources = json_object_get_array_member(json_node_get_object(result.json), "sources");
	g_assert_cmpuint(json_array_get_length(sources), ==, 2);
	g_assert_true(json_object_get_boolean_member(json_array_get_object_element(sources, 1),
	                                             "sample_data"));
	run_result_clear(&result);

	run(before, NULL, &result);
	g_assert_cmpint(result.status, ==, 0);
	policy = object_at(result.json, "policy");
	g_assert_false(json_object_has_member(
	        json_object_get_object_member(policy, "avg_wage_monthly"), "2015"));
	run_result_clear(&result);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/calc-cli/worked-example", test_worked_example);
	g_test_add_func("/calc-cli/bad-input", test_bad_input);
	g_test_add_func("/calc-cli/contribution-stdin", test_contribution_stdin);
	g_test_add_func("/calc-cli/policy-show", test_policy_show);
	return g_test_run();
}
