/* pensionctl's shared context: each sub-command group lives in ph-ctl-<group>.c and is
 * listed in the table of pensionctl.c. Only pensionctl links this. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
	const gchar *config_path; /* --config, else $PENSION_HUB_CONFIG, else the default */
	gpointer config;          /* PhConfig *, loaded on first use by ph_ctl_config() */
	gpointer db;              /* PhDb *, connected on first use by ph_ctl_db() */
} PhCtl;

/* Exit statuses of every sub-command. */
enum {
	PH_CTL_EXIT_OK = 0,
	PH_CTL_EXIT_FAILED = 1,
	PH_CTL_EXIT_USAGE = 2, /* also: invalid input to a calculator */
};

typedef int (*PhCtlCommand)(PhCtl *ctl, int argc, char **argv);

/* The loaded configuration (PhConfig *) and a database connection (PhDb *) from it,
 * made on first use and freed when pensionctl exits. */
gpointer
ph_ctl_config(PhCtl *ctl, GError **error);
gpointer
ph_ctl_db(PhCtl *ctl, GError **error);
void
ph_ctl_clear(PhCtl *ctl);

/* Sub-command groups (ph-ctl-<group>.c). */
int
ph_ctl_plugins_main(PhCtl *ctl, int argc, char **argv);
int
ph_ctl_health_main(PhCtl *ctl, int argc, char **argv);
int
ph_ctl_calc_main(PhCtl *ctl, int argc, char **argv);
int
ph_ctl_policy_main(PhCtl *ctl, int argc, char **argv);
int
ph_ctl_db_main(PhCtl *ctl, int argc, char **argv);
int
ph_ctl_inbox_main(PhCtl *ctl, int argc, char **argv);
int
ph_ctl_outbox_main(PhCtl *ctl, int argc, char **argv);
int
ph_ctl_map_main(PhCtl *ctl, int argc, char **argv);
int
ph_ctl_id_main(PhCtl *ctl, int argc, char **argv);
int
ph_ctl_payout_main(PhCtl *ctl, int argc, char **argv);
int
ph_ctl_transfer_main(PhCtl *ctl, int argc, char **argv);
int
ph_ctl_cardholder_main(PhCtl *ctl, int argc, char **argv);
int
ph_ctl_medical_main(PhCtl *ctl, int argc, char **argv);
int
ph_ctl_contrib_main(PhCtl *ctl, int argc, char **argv);
int
ph_ctl_interest_main(PhCtl *ctl, int argc, char **argv);
int
ph_ctl_adjust_main(PhCtl *ctl, int argc, char **argv);
int
ph_ctl_person_main(PhCtl *ctl, int argc, char **argv);
int
ph_ctl_audit_main(PhCtl *ctl, int argc, char **argv);
int
ph_ctl_keys_main(PhCtl *ctl, int argc, char **argv);
int
ph_ctl_archive_main(PhCtl *ctl, int argc, char **argv);
/* ph-ctl-documents.c */
int
ph_ctl_documents_main(PhCtl *ctl, int argc, char **argv);

/* The audit actor of this operator: [audit] operator, else "operator:<unix user>"
 * (ph-ctl-audit.c). */
const gchar *
ph_ctl_operator(PhCtl *ctl);
/* Appends an audit entry for an operator action in @db's open transaction (a PhDb *). */
gboolean
ph_ctl_audit(PhCtl *ctl, gpointer db, const gchar *action, const gchar *object, GBytes *payload,
             GError **error);

/* Prints "pensionctl: MESSAGE" on stderr and returns PH_CTL_EXIT_FAILED. */
int
ph_ctl_fail(GError *error);
int
ph_ctl_usage(const gchar *usage);

G_END_DECLS
