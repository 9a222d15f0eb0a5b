/* pensionctl transfer list|show|start: cross-region transfer cases as the transfer adapter
 * runs them (plugins/transfer). `start` hands a clerk's request to the running hub through
 * the inbox, so that the LETTER is built, signed and sent by the daemon. */
#include <string.h>

#include "ph-config.h"
#include "ph-ctl-store.h"
#include "ph-inbox.h"
#include "ph-transfer-private.h"

#define PH_CTL_TRANSFER_USAGE                                                                      \
	"transfer list [--state STATE] [--limit N] | show CASE | "                                 \
	"start --person AAC002 --from-region AAB301"

static gchar *
ph_ctl_transfer_time(gint64 unix_seconds)
{
	g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc(unix_seconds);
	return g_date_time_format(time, "%Y-%m-%dT%H:%M:%SZ");
}

static int
ph_ctl_transfer_list(PhDb *db, int argc, char **argv)
{
	g_autofree gchar *state = NULL;
	gint limit = 100;
	g_autoptr(GError) error = NULL;
	const GOptionEntry entries[] = {
	        {"state", 0, 0, G_OPTION_ARG_STRING, &state, "only cases in this state", "STATE"},
	        {"limit", 0, 0, G_OPTION_ARG_INT, &limit, "at most N cases", "N"},
	        {NULL},
	};
	if (!ph_ctl_store_parse(PH_CTL_TRANSFER_USAGE, entries, &argc, &argv) || argc != 1 ||
	    limit <= 0)
		return ph_ctl_usage(PH_CTL_TRANSFER_USAGE);
	g_autofree gchar *limit_text = g_strdup_printf("%d", limit);
	const gchar *params[] = {state, limit_text};
	g_autoptr(PGresult) result =
	        ph_db_query(db,
	                    "SELECT " PH_TRANSFER_CASE_COLUMNS " FROM transfer_exchange "
	                    "WHERE $1::text IS NULL OR state = $1 ORDER BY created_at DESC, "
	                    "case_id LIMIT $2::int",
	                    2, params, &error);
	if (result == NULL)
		return ph_ctl_fail(error);
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	g_print("%-40s %-4s %-16s %-20s %-8s %-21s %s\n", "CASE", "DIR", "STATE", "PERSON",
	        "REGION", "DEADLINE", "NOTE");
	for (gint row = 0; row < PQntuples(result); row++) {
		g_autoptr(PhTransferCase) transfer = ph_transfer_case_from_row(result, row, &error);
		if (transfer == NULL)
			return ph_ctl_fail(error);
		g_autofree gchar *deadline = ph_ctl_transfer_time(transfer->deadline);
		gboolean open = g_strcmp0(transfer->state, "COMPLETED") != 0 &&
		                g_strcmp0(transfer->state, "REJECTED") != 0;
		const gchar *note = open && transfer->deadline <= now ? "OVERDUE"
		                    : transfer->reason != NULL       ? transfer->reason
		                                                     : "";
		g_print("%-40s %-4s %-16s %-20s %-8s %-21s %s\n", transfer->case_id,
		        transfer->direction, transfer->state, transfer->id_number,
		        transfer->other_region, deadline, note);
	}
	return PH_CTL_EXIT_OK;
}

static int
ph_ctl_transfer_show(PhDb *db, const gchar *case_id)
{
	g_autoptr(GError) error = NULL;
	const gchar *params[] = {case_id};
	g_autoptr(PGresult) cases = ph_db_query(
	        db, "SELECT " PH_TRANSFER_CASE_COLUMNS " FROM transfer_exchange WHERE case_id = $1",
	        1, params, &error);
	if (cases == NULL)
		return ph_ctl_fail(error);
	if (PQntuples(cases) == 0) {
		g_set_error(&error, PH_ERROR, PH_ERROR_NOT_FOUND, "transfer case %s: unknown",
		            case_id);
		return ph_ctl_fail(error);
	}
	g_autoptr(PhTransferCase) transfer = ph_transfer_case_from_row(cases, 0, &error);
	if (transfer == NULL)
		return ph_ctl_fail(error);
	g_autofree gchar *created = ph_ctl_transfer_time(transfer->created_at);
	g_autofree gchar *updated = ph_ctl_transfer_time(transfer->updated_at);
	g_autofree gchar *deadline = ph_ctl_transfer_time(transfer->deadline);
	g_print("case: %s\ndirection: %s\nstate: %s\nperson: %s\nother side: %s (region %s)\n"
	        "reason: %s\ncreated: %s\nupdated: %s\nstep deadline: %s\nmessages:\n",
	        transfer->case_id, transfer->direction, transfer->state, transfer->id_number,
	        transfer->other_agency, transfer->other_region,
	        transfer->reason != NULL ? transfer->reason : "-", created, updated, deadline);
	g_autoptr(PGresult) messages = ph_db_query(
	        db,
	        "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
	        "to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
	        "direction, "
	        "coalesce(msg_type, '-'), coalesce(msg_id, '-'), verdict, coalesce(detail, '') "
	        "FROM transfer_message WHERE case_id = $1 ORDER BY id",
	        1, params, &error);
	if (messages == NULL)
		return ph_ctl_fail(error);
	g_print("  %-20s %-3s %-7s %-44s %-17s %-20s %s\n", "AT", "DIR", "TYPE", "MSGID", "VERDICT",
	        "UPDATED", "DETAIL");
	for (gint row = 0; row < PQntuples(messages); row++)
		g_print("  %-20s %-3s %-7s %-44s %-17s %-20s %s\n", PQgetvalue(messages, row, 0),
		        PQgetvalue(messages, row, 2), PQgetvalue(messages, row, 3),
		        PQgetvalue(messages, row, 4), PQgetvalue(messages, row, 5),
		        PQgetvalue(messages, row, 1), PQgetvalue(messages, row, 6));
	return PH_CTL_EXIT_OK;
}

static int
ph_ctl_transfer_start(PhCtl *ctl, PhDb *db, int argc, char **argv)
{
	g_autofree gchar *person = NULL;
	g_autofree gchar *region = NULL;
	g_autoptr(GError) error = NULL;
	const GOptionEntry entries[] = {
	        {"person", 0, 0, G_OPTION_ARG_STRING, &person, "AAC002 of the member", "AAC002"},
	        {"from-region", 0, 0, G_OPTION_ARG_STRING, &region, "AAB301 of the other side",
	         "AAB301"},
	        {NULL},
	};
	if (!ph_ctl_store_parse(PH_CTL_TRANSFER_USAGE, entries, &argc, &argv) || argc != 1 ||
	    person == NULL || region == NULL)
		return ph_ctl_usage(PH_CTL_TRANSFER_USAGE);
	if (strlen(region) != 6 || strspn(region, "0123456789") != 6) {
		g_set_error(&error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "--from-region '%s': not a six-digit AAB301", region);
		return ph_ctl_fail(error);
	}
	const PhConfig *config = ph_ctl_config(ctl, &error);
	if (config == NULL)
		return ph_ctl_fail(error);
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree gchar *day = g_date_time_format(now, "%Y%m%d");
	g_autofree gchar *case_id =
	        g_strdup_printf("XF-%s-%s-%08x", config->region, day, g_random_int());
	g_autofree gchar *text = g_strdup_printf("%s\n%s\n", person, region);
	g_autoptr(GBytes) body = g_bytes_new(text, strlen(text));
	g_autoptr(GBytes) answer_body = g_bytes_new_static("queued\n", 7);
	PhAnswer answer = {202, (gchar *)"text/plain", answer_body};
	gboolean duplicate = FALSE;
	g_autoptr(PhAnswer) stored = ph_inbox_store(db, "operator", "transfer.start", case_id, body,
	                                            &answer, &duplicate, NULL, &error);
	if (stored == NULL)
		return ph_ctl_fail(error);
	g_print("%s\n", case_id);
	return PH_CTL_EXIT_OK;
}

int
ph_ctl_transfer_main(PhCtl *ctl, int argc, char **argv)
{
	if (argc < 2)
		return ph_ctl_usage(PH_CTL_TRANSFER_USAGE);
	const gchar *verb = argv[1];
	if (!g_str_equal(verb, "list") && !g_str_equal(verb, "start") &&
	    !(g_str_equal(verb, "show") && argc == 3))
		return ph_ctl_usage(PH_CTL_TRANSFER_USAGE);
	PhDb *db = ph_ctl_store_db(ctl);
	if (db == NULL)
		return PH_CTL_EXIT_FAILED;
	if (g_str_equal(verb, "list"))
		return ph_ctl_transfer_list(db, argc - 1, argv + 1);
	if (g_str_equal(verb, "show"))
		return ph_ctl_transfer_show(db, argv[2]);
	return ph_ctl_transfer_start(ctl, db, argc - 1, argv + 1);
}
