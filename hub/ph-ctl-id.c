/* `pensionctl id check [--birth YYYYMMDD] [--sex AAC004] VALUE...`: says per value whether
 * it is a valid citizen ID (18, or 15 converted to 18), credit code or card number, and why
 * not. Exit status 0 only when all are valid. pensionctl only. */
#include <string.h>

#include "ph-ctl.h"
#include "ph-error.h"
#include "ph-identity.h"

#define ID_USAGE "id check [--type auto|citizen|uscc|card] [--birth YYYYMMDD] [--sex N] VALUE..."

typedef struct {
	const gchar *type;
	const gchar *birth;
	const gchar *sex;
} IdOptions;

static gboolean
looks_like_citizen_id(const gchar *value)
{
	return strlen(value) == 18 && strspn(value, "0123456789") >= 17;
}

/* Picks the kind of number from its shape when the user did not say. */
static const gchar *
guess_type(const gchar *value)
{
	gsize len = strlen(value);
	gboolean digits = strspn(value, "0123456789") == len;

	if ((len == 15 && digits) || looks_like_citizen_id(value))
		return "citizen";
	if (len == 18)
		return "uscc";
	return "card";
}

static gboolean
check_citizen(const IdOptions *options, const gchar *value, gchar **note, GError **error)
{
	g_autofree gchar *upgraded = NULL;
	const gchar *id = value;

	if (strlen(value) == 15) {
		upgraded = ph_identity_citizen_id_upgrade(value, error);
		if (upgraded == NULL)
			return FALSE;
		id = upgraded;
	}
	if (!ph_identity_check_citizen_id_person(id, options->birth, options->sex, error))
		return FALSE;
	*note = g_strdup_printf("citizen id%s%s, born %.4s-%.2s-%.2s, %s",
	                        upgraded != NULL ? ", 18-character form " : "",
	                        upgraded != NULL ? upgraded : "", id + 6, id + 10, id + 12,
	                        (id[16] - '0') % 2 == 1 ? "male" : "female");
	return TRUE;
}

static gboolean
check_value(const IdOptions *options, const gchar *value, gchar **note, GError **error)
{
	const gchar *type = g_str_equal(options->type, "auto") ? guess_type(value) : options->type;

	if (g_str_equal(type, "citizen"))
		return check_citizen(options, value, note, error);
	if (g_str_equal(type, "uscc")) {
		*note = g_strdup("unified social credit code");
		return ph_identity_check_uscc(value, error);
	}
	*note = g_strdup("card number (Luhn)");
	return ph_identity_check_luhn(value, error);
}

int
ph_ctl_id_main(PhCtl *ctl, int argc, char **argv)
{
	IdOptions options = {"auto", NULL, NULL};
	int status = PH_CTL_EXIT_OK;
	int first = 2;

	if (argc < 3 || !g_str_equal(argv[1], "check"))
		return ph_ctl_usage(ID_USAGE);
	for (; first + 1 < argc && g_str_has_prefix(argv[first], "--"); first += 2) {
		if (g_str_equal(argv[first], "--type"))
			options.type = argv[first + 1];
		else if (g_str_equal(argv[first], "--birth"))
			options.birth = argv[first + 1];
		else if (g_str_equal(argv[first], "--sex"))
			options.sex = argv[first + 1];
		else
			return ph_ctl_usage(ID_USAGE);
	}
	if (first >= argc ||
	    !g_strv_contains((const gchar *const[]){"auto", "citizen", "uscc", "card", NULL},
	                     options.type))
		return ph_ctl_usage(ID_USAGE);
	for (int i = first; i < argc; i++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *note = NULL;

		if (check_value(&options, argv[i], &note, &error)) {
			g_print("%s: valid %s\n", argv[i], note);
		} else {
			g_print("%s: invalid: %s\n", argv[i], error->message);
			status = PH_CTL_EXIT_FAILED;
		}
	}
	return status;
}
