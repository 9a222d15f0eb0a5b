/* `pensionctl calc benefit|contribution|account|transfer [FILE]`: one JSON case from FILE
 * or stdin to one JSON result on stdout. Thin: read, ph_calc_run(), print. pensionctl only. */
#include <stdio.h>

#include "ph-calc.h"
#include "ph-ctl-calc.h"
#include "ph-ctl.h"
#include "ph-error.h"
#include "ph-policy-file.h"

#define CALC_USAGE "calc benefit|contribution|account|transfer [FILE]"

static gchar *
read_input(const gchar *path, GError **error)
{
	g_autoptr(GString) text = g_string_new(NULL);
	gchar buffer[8192];
	gsize length;
	gchar *contents = NULL;

	if (path != NULL && !g_str_equal(path, "-")) {
		if (!g_file_get_contents(path, &contents, NULL, error))
			return NULL;
		return contents;
	}
	while ((length = fread(buffer, 1, sizeof(buffer), stdin)) > 0)
		g_string_append_len(text, buffer, length);
	if (ferror(stdin)) {
		g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "cannot read standard input");
		return NULL;
	}
	return g_string_free(g_steal_pointer(&text), FALSE);
}

/* Prints @node pretty on stdout as raw UTF-8 (policy show uses it too). */
void
ph_ctl_calc_print_json(JsonNode *node)
{
	g_autoptr(JsonGenerator) generator = json_generator_new();
	g_autofree gchar *text = NULL;

	json_generator_set_pretty(generator, TRUE);
	json_generator_set_indent(generator, 2);
	json_generator_set_root(generator, node);
	text = json_generator_to_data(generator, NULL);
	fputs(text, stdout); /* raw UTF-8, whatever the locale */
	fputc('\n', stdout);
}

/* Invalid input: exit status 2 and the error object on stdout. */
static int
invalid_input(const gchar *field, const gchar *message)
{
	g_autoptr(JsonNode) node = ph_calc_error_json("INVALID_INPUT", field, message);

	ph_ctl_calc_print_json(node);
	return PH_CTL_EXIT_USAGE;
}

int
ph_ctl_calc_main(PhCtl *ctl, int argc, char **argv)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(JsonNode) result = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = NULL;
	g_autofree gchar *field = NULL;
	g_autofree PhPolicy *policy = g_new0(PhPolicy, 1);
	PhCalcKind kind;

	if (argc < 2 || argc > 3 || !ph_calc_kind_parse(argv[1], &kind))
		return ph_ctl_usage(CALC_USAGE);
	if (!ph_policy_file_load_national(ph_policy_file_dir(), policy, &error))
		return ph_ctl_fail(error);
	text = read_input(argc == 3 ? argv[2] : NULL, &error);
	if (text == NULL)
		return ph_ctl_fail(error);
	if (!json_parser_load_from_data(parser, text, -1, &error))
		return invalid_input("", error->message);
	result = ph_calc_run(kind, policy, json_parser_get_root(parser), &field, &error);
	if (result == NULL)
		return invalid_input(field, error->message);
	ph_ctl_calc_print_json(result);
	return PH_CTL_EXIT_OK;
}
