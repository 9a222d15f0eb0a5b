/* bank: the payout bank adapter (委托银行发放, issue 5). Reads the banks from its config,
 * registers the upload topic (bank.upload, queued by `pensionctl payout run|reissue`) and the
 * result poll, and loads the layouts of both profiles. See README.md. SDK only, plus the
 * host's mapping engine. */
#include <string.h>

#include "bank-private.h"

/* Uploads: a bank that is down is retried for about a day before an operator must look. */
static const PhRetryPolicy bank_upload_retry = {
        .initial_delay_ms = 5000,
        .max_delay_ms = 600000,
        .max_attempts = 150,
};

static const gchar *const bank_mapping_names[2][2] = {
        {"ph-bank-1-payout", "ph-bank-1-result"},
        {"iso20022-pain001", "iso20022-pain002"},
};

const gchar *
bank_profile_name(BankProfile profile)
{
	return profile == BANK_PROFILE_PH_BANK_1 ? "ph-bank-1" : "pain001";
}

void
bank_error_permanent_if_refused(GError *error)
{
	if (error != NULL && g_error_matches(error, PH_ERROR, PH_ERROR_FORBIDDEN))
		error->code = PH_ERROR_PERMANENT;
}

static void
bank_partner_free(BankPartner *partner)
{
	g_free(partner->name);
	g_free(partner->host);
	g_free(partner->user);
	g_free(partner->private_key);
	g_free(partner->known_hosts);
	g_free(partner->inbox);
	g_free(partner->outbox);
	g_free(partner->agency);
	g_free(partner->payer_account);
	g_free(partner->payer_name);
	g_free(partner->payer_bank);
	g_free(partner->payout_mapping_name);
	g_free(partner->result_mapping_name);
	g_clear_pointer(&partner->payout, ph_mapping_unref);
	g_clear_pointer(&partner->result, ph_mapping_unref);
	g_free(partner);
}

static void
bank_free(Bank *bank)
{
	if (bank == NULL)
		return;
	g_clear_pointer(&bank->banks, g_ptr_array_unref);
	g_free(bank);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Bank, bank_free)

const BankPartner *
bank_find_partner(Bank *bank, const gchar *name)
{
	for (guint i = 0; i < bank->banks->len; i++) {
		const BankPartner *partner = g_ptr_array_index(bank->banks, i);
		if (g_strcmp0(partner->name, name) == 0)
			return partner;
	}
	return NULL;
}

/* `NAME.KEY`: required when @fallback is NULL. */
static gchar *
bank_get(PhPlugin *plugin, const gchar *bank, const gchar *key, const gchar *fallback,
         gboolean path, GError **error)
{
	g_autofree gchar *full = g_strdup_printf("%s.%s", bank, key);
	if (path)
		return ph_plugin_config_get_path(plugin, full, fallback, error);
	return ph_plugin_config_get_string(plugin, full, fallback, error);
}

static gboolean
bank_read_profile(PhPlugin *plugin, BankPartner *partner, GError **error)
{
	g_autofree gchar *profile =
	        bank_get(plugin, partner->name, "profile", "ph-bank-1", FALSE, error);
	g_autofree gchar *digest = bank_get(plugin, partner->name, "digest", "SM3", FALSE, error);
	if (profile == NULL || digest == NULL)
		return FALSE;
	if (g_str_equal(profile, "ph-bank-1"))
		partner->profile = BANK_PROFILE_PH_BANK_1;
	else if (g_str_equal(profile, "pain001"))
		partner->profile = BANK_PROFILE_PAIN;
	else {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
		            "[plugin bank] %s.profile: '%s' is not ph-bank-1 or pain001",
		            partner->name, profile);
		return FALSE;
	}
	if (!ph_digest_alg_from_name(digest, &partner->digest, NULL)) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
		            "[plugin bank] %s.digest: '%s' is not SM3 or SHA256", partner->name,
		            digest);
		return FALSE;
	}
	partner->payout_mapping_name =
	        bank_get(plugin, partner->name, "payout_mapping",
	                 bank_mapping_names[partner->profile][0], FALSE, error);
	partner->result_mapping_name =
	        partner->payout_mapping_name == NULL
	                ? NULL
	                : bank_get(plugin, partner->name, "result_mapping",
	                           bank_mapping_names[partner->profile][1], FALSE, error);
	return partner->result_mapping_name != NULL;
}

static gboolean
bank_read_connection(PhPlugin *plugin, BankPartner *partner, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autofree gchar *port_key = g_strdup_printf("%s.port", partner->name);
	g_autofree gchar *timeout_key = g_strdup_printf("%s.timeout_ms", partner->name);
	gint64 port = ph_plugin_config_get_int(plugin, port_key, 22, &local);
	gint64 timeout =
	        local == NULL ? ph_plugin_config_get_int(plugin, timeout_key, 30000, &local) : 0;
	if (local != NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	if (port < 1 || port > 65535 || timeout < 100 || timeout > 600000) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
		            "[plugin bank] %s: port 1…65535 and timeout_ms 100…600000",
		            partner->name);
		return FALSE;
	}
	partner->sftp.port = (guint)port;
	partner->sftp.timeout_ms = (guint)timeout;
	partner->sftp.host = partner->host;
	partner->sftp.user = partner->user;
	partner->sftp.private_key_path = partner->private_key;
	partner->sftp.known_hosts_path = partner->known_hosts;
	return TRUE;
}

static BankPartner *
bank_read_partner(PhPlugin *plugin, const gchar *name, GError **error)
{
	BankPartner *partner = g_new0(BankPartner, 1);
	partner->name = g_strdup(name);
	struct {
		gchar **field;
		const gchar *key;
		const gchar *fallback;
		gboolean path;
	} keys[] = {
	        {&partner->host, "host", NULL, FALSE},
	        {&partner->user, "user", NULL, FALSE},
	        {&partner->private_key, "private_key", NULL, TRUE},
	        {&partner->known_hosts, "known_hosts", NULL, TRUE},
	        {&partner->inbox, "inbox", "inbox", FALSE},
	        {&partner->outbox, "outbox", "outbox", FALSE},
	        {&partner->agency, "agency", NULL, FALSE},
	        {&partner->payer_account, "payer_account", NULL, FALSE},
	        {&partner->payer_name, "payer_name", "pension-hub", FALSE},
	        {&partner->payer_bank, "payer_bank", "-", FALSE},
	};
	for (guint i = 0; i < G_N_ELEMENTS(keys); i++) {
		*keys[i].field =
		        bank_get(plugin, name, keys[i].key, keys[i].fallback, keys[i].path, error);
		if (*keys[i].field == NULL) {
			bank_partner_free(partner);
			return NULL;
		}
	}
	if (!bank_read_profile(plugin, partner, error) ||
	    !bank_read_connection(plugin, partner, error)) {
		bank_partner_free(partner);
		return NULL;
	}
	return partner;
}

static gboolean
bank_read_config(Bank *bank, gint64 *poll_seconds, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autofree gchar *names = ph_plugin_config_get_string(bank->plugin, "banks", NULL, error);
	if (names == NULL)
		return FALSE;
	*poll_seconds = ph_plugin_config_get_int(bank->plugin, "poll_seconds", 60, &local);
	gint64 run_day =
	        local == NULL ? ph_plugin_config_get_int(bank->plugin, "run_day", 0, &local) : 0;
	if (local == NULL && (run_day < 0 || run_day > 28))
		g_set_error(&local, PH_ERROR, PH_ERROR_CONFIG,
		            "[plugin bank] run_day: %" G_GINT64_FORMAT " is not 0 (off) or 1…28",
		            run_day);
	bank->run_day = (gint)run_day;
	gint64 run_check =
	        local == NULL
	                ? ph_plugin_config_get_int(bank->plugin, "run_check_seconds", 3600, &local)
	                : 0;
	if (local == NULL && (run_check < 1 || run_check > 86400))
		g_set_error(&local, PH_ERROR, PH_ERROR_CONFIG,
		            "[plugin bank] run_check_seconds: %" G_GINT64_FORMAT " is not 1…86400",
		            run_check);
	bank->run_check_seconds = (guint)run_check;
	if (local != NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	bank->banks = g_ptr_array_new_with_free_func((GDestroyNotify)bank_partner_free);
	g_auto(GStrv) list = g_strsplit(names, ",", -1);
	for (guint i = 0; list[i] != NULL; i++) {
		const gchar *name = g_strstrip(list[i]);
		if (name[0] == '\0')
			continue;
		BankPartner *partner = bank_read_partner(bank->plugin, name, error);
		if (partner == NULL)
			return FALSE;
		g_ptr_array_add(bank->banks, partner);
	}
	return TRUE;
}

/* A bank's pair of layouts, loaded once at start: a mapping that does not load stops the
 * plugin with the mapping's own message, before any file is written or read with it. */
static gboolean
bank_load_partner_mappings(PhPlugin *plugin, BankPartner *partner, GError **error)
{
	if (ph_plugin_use_mapping(plugin, partner->payout_mapping_name, error) &&
	    ph_plugin_use_mapping(plugin, partner->result_mapping_name, error) &&
	    (partner->payout =
	             ph_plugin_get_mapping(plugin, partner->payout_mapping_name, error)) != NULL &&
	    (partner->result =
	             ph_plugin_get_mapping(plugin, partner->result_mapping_name, error)) != NULL)
		return TRUE;
	g_prefix_error(error, "[plugin bank] %s: ", partner->name);
	return FALSE;
}

static gboolean
bank_load_mappings(Bank *bank, GError **error)
{
	for (guint i = 0; i < bank->banks->len; i++)
		if (!bank_load_partner_mappings(bank->plugin, g_ptr_array_index(bank->banks, i),
		                                error))
			return FALSE;
	return TRUE;
}

static gpointer
bank_init(PhPlugin *plugin, GError **error)
{
	g_autoptr(Bank) bank = g_new0(Bank, 1);
	gint64 poll_seconds = 60;
	bank->plugin = plugin;
	if (!bank_read_config(bank, &poll_seconds, error) || !bank_load_mappings(bank, error))
		return NULL;
	if (poll_seconds < 1 || poll_seconds > 86400) {
		g_set_error(error, PH_ERROR, PH_ERROR_CONFIG,
		            "[plugin bank] poll_seconds: %" G_GINT64_FORMAT " is not 1…86400",
		            poll_seconds);
		return NULL;
	}
	if (!ph_plugin_add_topic(plugin, BANK_TOPIC_UPLOAD, &bank_upload_retry, bank_upload_deliver,
	                         error) ||
	    !ph_plugin_add_job(plugin, BANK_JOB_POLL, (guint)poll_seconds, bank_result_poll, error))
		return NULL;
	if (bank->run_day > 0 && !ph_plugin_add_job(plugin, BANK_JOB_RUN, bank->run_check_seconds,
	                                            bank_schedule_run, error))
		return NULL;
	return g_steal_pointer(&bank);
}

static void
bank_shutdown(gpointer state)
{
	bank_free(state);
}

PH_PLUGIN_DEFINE(bank, "1.0.0", "payout banks: batch files over SFTP (PH-BANK-1, pain.001)",
                 bank_init, bank_shutdown)
