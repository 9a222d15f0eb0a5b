/* Reading the policy parameter files into a PhPolicy: national defaults, then the
 * province's, prefecture's and county's overrides in force at a month. Reads files; hub
 * and pensionctl call it. */
#include "ph-build-config.h"

#include "ph-policy-file.h"

#include <string.h>

#include "ph-error.h"

/**
 * ph_policy_file_dir:
 *
 * The one place that decides where the policy files live: $PH_POLICY_DIR when set,
 * else the source tree's core/policy (the build tree runs from the sources).
 */
const gchar *
ph_policy_file_dir(void)
{
	const gchar *dir = g_getenv("PH_POLICY_DIR");

	return dir != NULL && *dir != '\0' ? dir : PH_SOURCE_DIR "/core/policy";
}

static JsonNode *
read_json_file(const gchar *path, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();

	if (!json_parser_load_from_file(parser, path, error)) {
		g_prefix_error(error, "policy file %s: ", path);
		return NULL;
	}
	if (!JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "policy file %s: not a JSON object",
		            path);
		return NULL;
	}
	return json_node_copy(json_parser_get_root(parser));
}

/* {"file", "sample_data", "note"} for `policy show`: sample data must say so. */
static JsonNode *
describe_source(const gchar *path, JsonObject *root)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "file");
	json_builder_add_string_value(builder, path);
	json_builder_set_member_name(builder, "sample_data");
	json_builder_add_boolean_value(
	        builder, json_object_get_boolean_member_with_default(root, "sample_data", FALSE));
	json_builder_set_member_name(builder, "note");
	json_builder_add_string_value(builder, json_object_get_string_member_with_default(
	                                               root, "note",
	                                               json_object_get_string_member_with_default(
	                                                       root, "description", "")));
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

static gboolean
apply_policy_member(PhPolicy *policy, JsonObject *object, const gchar *path, GError **error)
{
	JsonNode *member = json_object_get_member(object, "policy");
	g_autoptr(GError) local = NULL;

	if (member == NULL || !JSON_NODE_HOLDS_OBJECT(member)) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
		            "policy file %s: no \"policy\" object", path);
		return FALSE;
	}
	if (!ph_policy_apply_json(policy, json_node_get_object(member), "policy", NULL, &local)) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG, "policy file %s: %s", path,
		            local->message);
		return FALSE;
	}
	return TRUE;
}

/* Reads national.json onto a fresh @out; @sources as for ph_policy_file_load(). */
static gboolean
load_national(const gchar *dir, PhPolicy *out, GPtrArray *sources, GError **error)
{
	g_autofree gchar *path = g_build_filename(dir, "national.json", NULL);
	g_autoptr(JsonNode) root = read_json_file(path, error);

	if (root == NULL)
		return FALSE;
	ph_policy_init(out);
	if (!apply_policy_member(out, json_node_get_object(root), path, error))
		return FALSE;
	if (sources != NULL)
		g_ptr_array_add(sources, describe_source(path, json_node_get_object(root)));
	return TRUE;
}

/* The national defaults alone (what `pensionctl calc` starts from). */
gboolean
ph_policy_file_load_national(const gchar *dir, PhPolicy *out, GError **error)
{
	return load_national(dir, out, NULL, error);
}

static gboolean
override_in_force(JsonObject *override, PhPeriod at, gboolean *in_force, const gchar *path,
                  GError **error)
{
	const gchar *text = json_object_get_string_member_with_default(override, "effective", "");
	PhPeriod effective = 0;

	if (!ph_period_parse(text, &effective, NULL)) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
		            "policy file %s: override without a valid \"effective\" YYYY-MM", path);
		return FALSE;
	}
	*in_force = effective <= at;
	return TRUE;
}

/* Applies the overrides of one region file whose effective month is not after @at, in
 * the file's order (which must be by effective month). */
static gboolean
apply_region_file(PhPolicy *policy, const gchar *path, PhPeriod at, GPtrArray *sources,
                  GError **error)
{
	g_autoptr(JsonNode) root = read_json_file(path, error);
	JsonNode *overrides;
	JsonArray *list;

	if (root == NULL)
		return FALSE;
	if (sources != NULL)
		g_ptr_array_add(sources, describe_source(path, json_node_get_object(root)));
	overrides = json_object_get_member(json_node_get_object(root), "overrides");
	if (overrides == NULL || !JSON_NODE_HOLDS_ARRAY(overrides)) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
		            "policy file %s: no \"overrides\" array", path);
		return FALSE;
	}
	list = json_node_get_array(overrides);
	for (guint i = 0; i < json_array_get_length(list); i++) {
		JsonNode *element = json_array_get_element(list, i);
		gboolean in_force = FALSE;
		if (!JSON_NODE_HOLDS_OBJECT(element) ||
		    !override_in_force(json_node_get_object(element), at, &in_force, path, error))
			return FALSE;
		if (in_force &&
		    !apply_policy_member(policy, json_node_get_object(element), path, error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
region_valid(const gchar *region)
{
	if (strlen(region) != 6)
		return FALSE;
	for (guint i = 0; i < 6; i++) {
		if (!g_ascii_isdigit(region[i]))
			return FALSE;
	}
	return TRUE;
}

/**
 * ph_policy_file_load:
 * @region: (nullable): a GB/T 2260 code; %NULL for the national defaults only
 * @at: the month whose parameters are wanted
 * @sources: (nullable) (element-type JsonNode): receives {"file", "sample_data", "note"}
 *   for each file applied (free function json_node_unref)
 *
 * Loads national.json, then for @region the files of its province (XX0000), prefecture
 * (XXXX00) and itself, each that exists, applying their overrides in force at @at.
 */
gboolean
ph_policy_file_load(const gchar *dir, const gchar *region, PhPeriod at, PhPolicy *out,
                    GPtrArray *sources, GError **error)
{
	g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func(g_free);
	guint applied = 0;

	if (!load_national(dir, out, sources, error))
		return FALSE;
	if (region == NULL)
		return TRUE;
	if (!region_valid(region)) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "region '%s' is not a six-digit GB/T 2260 code", region);
		return FALSE;
	}
	g_ptr_array_add(chain, g_strdup_printf("%.2s0000", region));
	g_ptr_array_add(chain, g_strdup_printf("%.4s00", region));
	g_ptr_array_add(chain, g_strdup(region));
	for (guint i = 0; i < chain->len; i++) {
		g_autofree gchar *name = g_strdup_printf("%s.json", (gchar *)chain->pdata[i]);
		g_autofree gchar *path = g_build_filename(dir, "regions", name, NULL);
		if (i > 0 && g_str_equal(chain->pdata[i], chain->pdata[i - 1]))
			continue;
		if (!g_file_test(path, G_FILE_TEST_EXISTS))
			continue;
		if (!apply_region_file(out, path, at, sources, error))
			return FALSE;
		applied++;
	}
	if (applied == 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_NOT_FOUND,
		            "no policy file for region %s (nor its province or prefecture) in "
		            "%s/regions",
		            region, dir);
		return FALSE;
	}
	return TRUE;
}
