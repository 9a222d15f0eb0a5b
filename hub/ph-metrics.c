/* A small metrics table: one mutex, series keyed by "name{labels}", rendered sorted so
 * that scrapes are stable. */
#include "ph-metrics.h"

#include <string.h>

typedef struct {
	gchar *type;
	gchar *help;
} PhMetricInfo;

static GMutex metrics_lock;
static GHashTable *metrics_series; /* "name{labels}" → gint64 * */
static GHashTable *metrics_info;   /* name → PhMetricInfo */

static void
ph_metrics_info_free(PhMetricInfo *info)
{
	g_free(info->type);
	g_free(info->help);
	g_free(info);
}

static void
ph_metrics_ensure_tables(void)
{
	if (metrics_series != NULL)
		return;
	metrics_series = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	metrics_info = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					     (GDestroyNotify)ph_metrics_info_free);
}

static gchar *
ph_metrics_key(const gchar *name, const gchar *labels)
{
	if (labels == NULL || labels[0] == '\0')
		return g_strdup(name);
	return g_strdup_printf("%s{%s}", name, labels);
}

static gint64 *
ph_metrics_slot(const gchar *name, const gchar *labels)
{
	g_autofree gchar *key = ph_metrics_key(name, labels);
	ph_metrics_ensure_tables();
	gint64 *slot = g_hash_table_lookup(metrics_series, key);
	if (slot == NULL) {
		slot = g_new0(gint64, 1);
		g_hash_table_insert(metrics_series, g_steal_pointer(&key), slot);
	}
	return slot;
}

void
ph_metrics_count(const gchar *name, const gchar *labels, gint64 delta)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&metrics_lock);
	*ph_metrics_slot(name, labels) += delta;
}

void
ph_metrics_set_gauge(const gchar *name, const gchar *labels, gint64 value)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&metrics_lock);
	*ph_metrics_slot(name, labels) = value;
}

void
ph_metrics_describe(const gchar *name, const gchar *type, const gchar *help)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&metrics_lock);
	ph_metrics_ensure_tables();
	PhMetricInfo *info = g_new0(PhMetricInfo, 1);
	info->type = g_strdup(type);
	info->help = g_strdup(help);
	g_hash_table_replace(metrics_info, g_strdup(name), info);
}

static gchar *
ph_metrics_name_of(const gchar *key)
{
	const gchar *brace = strchr(key, '{');
	return brace != NULL ? g_strndup(key, (gsize)(brace - key)) : g_strdup(key);
}

gchar *
ph_metrics_render(void)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&metrics_lock);
	g_autoptr(GString) text = g_string_new(NULL);
	g_autofree gchar *previous = NULL;
	ph_metrics_ensure_tables();
	g_autoptr(GList) keys = g_list_sort(g_hash_table_get_keys(metrics_series),
					    (GCompareFunc)g_strcmp0);
	for (GList *l = keys; l != NULL; l = l->next) {
		const gchar *key = l->data;
		g_autofree gchar *name = ph_metrics_name_of(key);
		if (g_strcmp0(name, previous) != 0) {
			PhMetricInfo *info = g_hash_table_lookup(metrics_info, name);
			if (info != NULL)
				g_string_append_printf(text, "# HELP %s %s\n# TYPE %s %s\n", name,
						       info->help, name, info->type);
			g_free(previous);
			previous = g_strdup(name);
		}
		g_string_append_printf(text, "%s %" G_GINT64_FORMAT "\n", key,
				       *(gint64 *)g_hash_table_lookup(metrics_series, key));
	}
	return g_string_free(g_steal_pointer(&text), FALSE);
}
