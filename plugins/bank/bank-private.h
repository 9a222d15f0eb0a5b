/* bank: what the files of the bank adapter share: the banks of the config, the plugin's
 * state, the payout upload (bank-upload.c), the result poll (bank-result.c) and the file
 * layouts through the mapping engine (bank-file.c). Plugin-internal. */
#pragma once

#include <pension-hub/pension-hub.h>
#include <pension-hub/ph-payout-api.h>
#include <pension-hub/ph-document-api.h>

/* The two file profiles a bank may use. */
typedef enum {
	BANK_PROFILE_PH_BANK_1, /* fixed-width GB18030, ../shared/formats/bank-payout.md */
	BANK_PROFILE_PAIN,      /* ISO 20022 pain.001.001.09 out, pain.002.001.10 back */
} BankProfile;

/* One bank: `[plugin bank] NAME.KEY` keys. */
typedef struct {
	gchar *name;
	BankProfile profile;
	PhSftpConfig sftp; /* strings owned below */
	gchar *host;
	gchar *user;
	gchar *private_key;
	gchar *known_hosts;
	gchar *inbox;  /* remote folder the payout files go to */
	gchar *outbox; /* remote folder the result files come from */
	gchar *agency; /* AAB034 of the paying agency */
	gchar *payer_account;
	gchar *payer_name; /* pain.001 Dbtr/Nm */
	gchar *payer_bank; /* pain.001 DbtrAgt id */
	PhDigestAlg digest;
	/* The layouts of its files: NAME.payout_mapping / NAME.result_mapping, by default the
	 * profile's pair; a bank with its own layout of the profile's records names its own. */
	gchar *payout_mapping_name;
	gchar *result_mapping_name;
	PhMapping *payout;
	PhMapping *result;
} BankPartner;

typedef struct {
	PhPlugin *plugin;
	GPtrArray *banks;        /* BankPartner */
	gint run_day;            /* 0: no scheduled run; else the day of month it starts from */
	guint run_check_seconds; /* how often the scheduled run looks at the date */
} Bank;

#define BANK_TOPIC_UPLOAD "bank.upload"
#define BANK_JOB_POLL     "bank.poll-results"
#define BANK_JOB_RUN      "bank.payout-run"
/* Done files are one short line; anything longer is not one. */
#define BANK_DONE_MAX 512

const BankPartner *bank_find_partner(Bank *bank, const gchar *name);
const gchar *bank_profile_name(BankProfile profile);
/* FORBIDDEN (host key refused, login refused) cannot heal by retrying: dead-letter it. */
void bank_error_permanent_if_refused(GError *error);

/* bank-upload.c: the outbox topic's deliver function. */
gboolean bank_upload_deliver(const PhOutboxMessage *message, gpointer state, GError **error);

/* bank-result.c: the scheduled poll of every bank's outbox folder. */
void bank_result_poll(gpointer state);
/* One bank's poll; returns the number of result files taken (booked or rejected). */
gint bank_result_poll_partner(Bank *bank, const BankPartner *partner, GError **error);

/* bank-keep.c: the payout, done and result files kept for the archive (ph-document-api.h). */
PhDocumentKeep *bank_keep_payout_begin(Bank *bank, const BankPartner *partner,
                                       const PhPayoutHeader *header, const gchar *name,
                                       GError **error);
gboolean bank_keep_done(Bank *bank, const BankPartner *partner, const PhPayoutHeader *header,
                        const gchar *done_name, GBytes *done, GError **error);
PhDocumentKeep *bank_keep_result_begin(Bank *bank, const BankPartner *partner, const gchar *name,
                                       GError **error);
gboolean bank_keep_result(Bank *bank, const BankPartner *partner, PhSftp *sftp, const gchar *path,
                          const gchar *name, PhDigestAlg alg, GError **error);

/* bank-schedule.c: the hourly check that builds the month's batches from `run_day` on. */
void bank_schedule_run(gpointer state);

/* bank-file.c: the payout file of a batch, written through the profile's mapping. */
gboolean bank_file_write_payout(Bank *bank, const BankPartner *partner,
                                const PhPayoutHeader *header, GOutputStream *output,
                                const gchar *name, GError **error);
gchar *bank_file_payout_name(const BankPartner *partner, const PhPayoutHeader *header);

/* pain.001 EndToEndId "<batch_no, 10 digits>-<serial, 8 digits>": a pain.002 answer echoes
 * it, so each result names its batch as well as its serial. */
#define BANK_END_TO_END_SIZE 20 /* 19 characters and the NUL */
gboolean bank_file_end_to_end_id(gint64 batch_no, gint serial, gchar id[BANK_END_TO_END_SIZE],
                                 GError **error);
/* INVALID_INPUT naming @text unless it is such an id. */
gboolean bank_file_end_to_end_parse(const gchar *text, gint64 *batch_no, gint64 *serial,
                                    GError **error);

/* A done file: "<ALG> <hex digest> <count> <total fen>". */
typedef struct {
	PhDigestAlg alg;
	gchar *hex;
	gint64 count;
	gint64 total;
} BankDone;

void bank_file_done_clear(BankDone *done);
gboolean bank_file_done_parse(GBytes *bytes, BankDone *done, GError **error);
GBytes *bank_file_done_format(PhDigestAlg alg, const gchar *hex, gint64 count, gint64 total);
