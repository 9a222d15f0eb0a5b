/* pensionctl inbox list|show ID: what partners sent, its processing state and the answer
 * they were given. */
#include "ph-ctl-store.h"
#include "ph-inbox.h"

#define PH_CTL_INBOX_USAGE "inbox list [--state pending|processed|failed] [--limit N] | show ID"

static int
ph_ctl_inbox_list(PhDb *db, int argc, char **argv)
{
	g_autofree gchar *state = NULL;
	gint limit = 50;
	g_autoptr(GError) error = NULL;
	const GOptionEntry entries[] = {
	        {"state", 0, 0, G_OPTION_ARG_STRING, &state, "only this state", "STATE"},
	        {"limit", 0, 0, G_OPTION_ARG_INT, &limit, "at most N rows", "N"},
	        {NULL},
	};
	if (!ph_ctl_store_parse(PH_CTL_INBOX_USAGE, entries, &argc, &argv) || argc != 1 ||
	    limit <= 0)
		return ph_ctl_usage(PH_CTL_INBOX_USAGE);
	g_autoptr(GPtrArray) records = ph_inbox_list(db, state, (guint)limit, &error);
	if (records == NULL)
		return ph_ctl_fail(error);
	g_print("%-8s %-9s %-14s %-16s %-24s %8s %-24s %s\n", "ID", "STATE", "PARTNER", "KIND",
	        "MESSAGE-ID", "BYTES", "RECEIVED", "ATTEMPTS/ERROR");
	for (guint i = 0; i < records->len; i++) {
		PhInboxRecord *record = g_ptr_array_index(records, i);
		g_print("%-8" G_GINT64_FORMAT " %-9s %-14s %-16s %-24s %8" G_GINT64_FORMAT
		        " %-24s %u %s\n",
		        record->id, record->state, record->partner, record->kind,
		        record->message_id, record->body_size, record->received_at,
		        record->attempts, record->last_error != NULL ? record->last_error : "");
	}
	return PH_CTL_EXIT_OK;
}

static int
ph_ctl_inbox_show(PhDb *db, const gchar *id_text)
{
	g_autoptr(GError) error = NULL;
	gint64 id = 0;
	if (!ph_ctl_store_parse_id(id_text, &id, &error))
		return ph_ctl_fail(error);
	g_autoptr(PhInboxRecord) record = ph_inbox_show(db, id, &error);
	if (record == NULL)
		return ph_ctl_fail(error);
	g_print("id: %" G_GINT64_FORMAT "\npartner: %s\nkind: %s\nmessage id: %s\n"
	        "received at: %s\nstate: %s\nattempts: %u\nprocessed at: %s\nlast error: %s\n"
	        "bytes: %" G_GINT64_FORMAT "\nsha256: %s\nanswer status: %u\n"
	        "answer content type: %s\n",
	        record->id, record->partner, record->kind, record->message_id, record->received_at,
	        record->state, record->attempts,
	        record->processed_at != NULL ? record->processed_at : "-",
	        record->last_error != NULL ? record->last_error : "-", record->body_size,
	        record->digest, record->answer_status,
	        record->answer_content_type != NULL ? record->answer_content_type : "-");
	ph_ctl_store_print_bytes("answer body", record->answer_body);
	ph_ctl_store_print_bytes("body", record->body);
	return PH_CTL_EXIT_OK;
}

int
ph_ctl_inbox_main(PhCtl *ctl, int argc, char **argv)
{
	if (argc < 2)
		return ph_ctl_usage(PH_CTL_INBOX_USAGE);
	gboolean list = g_str_equal(argv[1], "list");
	gboolean show = g_str_equal(argv[1], "show") && argc == 3;
	if (!list && !show)
		return ph_ctl_usage(PH_CTL_INBOX_USAGE);
	PhDb *db = ph_ctl_store_db(ctl);
	if (db == NULL)
		return PH_CTL_EXIT_FAILED;
	return list ? ph_ctl_inbox_list(db, argc - 1, argv + 1) : ph_ctl_inbox_show(db, argv[2]);
}
