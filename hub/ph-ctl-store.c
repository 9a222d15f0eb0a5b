/* Argument parsing and printing shared by pensionctl db, inbox and outbox. */
#include "ph-ctl-store.h"

gboolean
ph_ctl_store_parse(const gchar *usage, const GOptionEntry *entries, int *argc, char ***argv)
{
	g_autoptr(GOptionContext) context = g_option_context_new(NULL);
	g_autoptr(GError) error = NULL;
	g_option_context_set_help_enabled(context, FALSE);
	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, argc, argv, &error)) {
		g_printerr("pensionctl: %s\n", error->message);
		ph_ctl_usage(usage);
		return FALSE;
	}
	return TRUE;
}

gboolean
ph_ctl_store_parse_id(const gchar *text, gint64 *id, GError **error)
{
	guint64 value = 0;
	if (!g_ascii_string_to_unsigned(text, 10, 1, G_MAXINT64, &value, NULL)) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "id '%s' is not a positive whole number", text);
		return FALSE;
	}
	*id = (gint64)value;
	return TRUE;
}

void
ph_ctl_store_print_bytes(const gchar *label, GBytes *bytes)
{
	gsize size = 0;
	const gchar *data = bytes != NULL ? g_bytes_get_data(bytes, &size) : NULL;
	if (data == NULL) {
		g_print("%s: (none)\n", label);
		return;
	}
	if (g_utf8_validate_len(data, size, NULL)) {
		g_print("%s:\n%.*s\n", label, (int)size, data);
		return;
	}
	g_autofree gchar *encoded = g_base64_encode((const guchar *)data, size);
	g_print("%s (base64):\n%s\n", label, encoded);
}

PhDb *
ph_ctl_store_db(PhCtl *ctl)
{
	g_autoptr(GError) error = NULL;
	PhDb *db = ph_ctl_db(ctl, &error);
	if (db == NULL)
		ph_ctl_fail(error);
	return db;
}
