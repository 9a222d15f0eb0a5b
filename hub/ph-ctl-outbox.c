/* pensionctl outbox list|show ID|retry ID|retry --dead [--topic T]: messages to partners,
 * their delivery state and dead letters, and putting them back in line. */
#include "ph-ctl-store.h"
#include "ph-outbox.h"

#define PH_CTL_OUTBOX_USAGE                                                                        \
	"outbox list [--state pending|delivered|dead] [--topic T] [--limit N] | show ID | "        \
	"retry ID | retry --dead [--topic T]"

static int
ph_ctl_outbox_list(PhDb *db, int argc, char **argv)
{
	g_autofree gchar *state = NULL;
	g_autofree gchar *topic = NULL;
	gint limit = 50;
	g_autoptr(GError) error = NULL;
	const GOptionEntry entries[] = {
	        {"state", 0, 0, G_OPTION_ARG_STRING, &state, "only this state", "STATE"},
	        {"topic", 0, 0, G_OPTION_ARG_STRING, &topic, "only this topic", "TOPIC"},
	        {"limit", 0, 0, G_OPTION_ARG_INT, &limit, "at most N rows", "N"},
	        {NULL},
	};
	if (!ph_ctl_store_parse(PH_CTL_OUTBOX_USAGE, entries, &argc, &argv) || argc != 1 ||
	    limit <= 0)
		return ph_ctl_usage(PH_CTL_OUTBOX_USAGE);
	g_autoptr(GPtrArray) records = ph_outbox_list(db, state, topic, (guint)limit, &error);
	if (records == NULL)
		return ph_ctl_fail(error);
	g_print("%-8s %-9s %-20s %-20s %8s %-24s %s\n", "ID", "STATE", "TOPIC", "KEY", "BYTES",
	        "NEXT/FINISHED", "ATTEMPTS/ERROR");
	for (guint i = 0; i < records->len; i++) {
		PhOutboxRecord *record = g_ptr_array_index(records, i);
		const gchar *when = record->next_attempt_at != NULL ? record->next_attempt_at
		                                                    : record->finished_at;
		g_print("%-8" G_GINT64_FORMAT " %-9s %-20s %-20s %8" G_GINT64_FORMAT
		        " %-24s %u %s\n",
		        record->id, record->state, record->topic,
		        record->key != NULL ? record->key : "-", record->payload_size,
		        when != NULL ? when : "-", record->attempts,
		        record->last_error != NULL ? record->last_error : "");
	}
	return PH_CTL_EXIT_OK;
}

static int
ph_ctl_outbox_show(PhDb *db, const gchar *id_text)
{
	g_autoptr(GError) error = NULL;
	gint64 id = 0;
	if (!ph_ctl_store_parse_id(id_text, &id, &error))
		return ph_ctl_fail(error);
	g_autoptr(PhOutboxRecord) record = ph_outbox_show(db, id, &error);
	if (record == NULL)
		return ph_ctl_fail(error);
	g_print("id: %" G_GINT64_FORMAT "\ntopic: %s\nkey: %s\nstate: %s\nattempts: %u\n"
	        "created at: %s\nnext attempt at: %s\nfinished at: %s\nlast error: %s\n"
	        "bytes: %" G_GINT64_FORMAT "\n",
	        record->id, record->topic, record->key != NULL ? record->key : "-", record->state,
	        record->attempts, record->created_at,
	        record->next_attempt_at != NULL ? record->next_attempt_at : "-",
	        record->finished_at != NULL ? record->finished_at : "-",
	        record->last_error != NULL ? record->last_error : "-", record->payload_size);
	ph_ctl_store_print_bytes("payload", record->payload);
	return PH_CTL_EXIT_OK;
}

/* The retry and its operator audit entry commit together. */
static gboolean
ph_ctl_outbox_retry_audited(PhCtl *ctl, PhDb *db, gint64 id, const gchar *topic, guint *count,
                            GError **error)
{
	g_autofree gchar *object = id != 0 ? g_strdup_printf("outbox %" G_GINT64_FORMAT, id)
	                                   : g_strdup_printf("outbox dead letters of %s",
	                                                     topic != NULL ? topic : "every topic");
	if (!ph_db_begin(db, error))
		return FALSE;
	gboolean ok = id != 0 ? ph_outbox_retry(db, id, error)
	                      : ph_outbox_retry_dead(db, topic, count, error);
	if (ok && ph_ctl_audit(ctl, db, "outbox-retry", object, NULL, error) &&
	    ph_db_commit(db, error))
		return TRUE;
	ph_db_rollback(db);
	return FALSE;
}

static int
ph_ctl_outbox_retry(PhCtl *ctl, PhDb *db, int argc, char **argv)
{
	gboolean dead = FALSE;
	g_autofree gchar *topic = NULL;
	g_autoptr(GError) error = NULL;
	const GOptionEntry entries[] = {
	        {"dead", 0, 0, G_OPTION_ARG_NONE, &dead, "every dead letter", NULL},
	        {"topic", 0, 0, G_OPTION_ARG_STRING, &topic, "only this topic", "TOPIC"},
	        {NULL},
	};
	if (!ph_ctl_store_parse(PH_CTL_OUTBOX_USAGE, entries, &argc, &argv))
		return PH_CTL_EXIT_USAGE;
	if (dead && argc == 1) {
		guint count = 0;
		if (!ph_ctl_outbox_retry_audited(ctl, db, 0, topic, &count, &error))
			return ph_ctl_fail(error);
		g_print("%u dead letters back in the outbox\n", count);
		return PH_CTL_EXIT_OK;
	}
	if (dead || topic != NULL || argc != 2)
		return ph_ctl_usage(PH_CTL_OUTBOX_USAGE);
	gint64 id = 0;
	if (!ph_ctl_store_parse_id(argv[1], &id, &error) ||
	    !ph_ctl_outbox_retry_audited(ctl, db, id, NULL, NULL, &error))
		return ph_ctl_fail(error);
	g_print("outbox message %" G_GINT64_FORMAT " is due now\n", id);
	return PH_CTL_EXIT_OK;
}

int
ph_ctl_outbox_main(PhCtl *ctl, int argc, char **argv)
{
	if (argc < 2)
		return ph_ctl_usage(PH_CTL_OUTBOX_USAGE);
	const gchar *verb = argv[1];
	if (!g_str_equal(verb, "list") && !g_str_equal(verb, "retry") &&
	    !(g_str_equal(verb, "show") && argc == 3))
		return ph_ctl_usage(PH_CTL_OUTBOX_USAGE);
	PhDb *db = ph_ctl_store_db(ctl);
	if (db == NULL)
		return PH_CTL_EXIT_FAILED;
	if (g_str_equal(verb, "list"))
		return ph_ctl_outbox_list(db, argc - 1, argv + 1);
	if (g_str_equal(verb, "show"))
		return ph_ctl_outbox_show(db, argv[2]);
	return ph_ctl_outbox_retry(ctl, db, argc - 1, argv + 1);
}
