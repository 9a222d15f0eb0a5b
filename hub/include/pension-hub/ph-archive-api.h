/* SDK: archival packages PH-ARCHIVE-1 (docs/formats/archive.md) for the archive plugin: one
 * package per closed case, built by the host from a core event (the case, the person from the
 * register, the event as a generated document, the personnel batch event that raised it, a
 * transfer case's platform messages, a payout run's file records, what other plugins sent about
 * the case) and signed with the plugin's signer; and the archive's receipt kept per case.
 * Implemented in hub/ph-archive-api.c over hub/ph-archive-package.c. GLib only. */
#pragma once

#include <glib.h>

#include "ph-error.h"
#include "ph-plugin.h"
#include "ph-xml.h"

G_BEGIN_DECLS

typedef struct {
	const gchar *name;         /* member name below documents/, e.g. "inbound-17.xml" */
	const gchar *role;         /* inbound, outbound, generated */
	const gchar *element_code; /* national element / document class code, e.g. "AIC160" */
	GBytes *bytes;
} PhArchiveDocument;

typedef struct {
	const gchar *case_type; /* enrolment, benefit, transfer, death, payout */
	const gchar *case_id;
	const gchar *closed_at; /* ISO 8601 UTC */
	gint64 person_id;       /* AAC001, 0 when the case has none (payout batch) */
	const gchar *id_number; /* AAC002, NULL when none */
	const gchar *name;      /* AAC003, NULL when none */
	const gchar *agency;    /* AAB034 of the hub */
} PhArchiveCase;

/* One built package of a case. */
typedef struct {
	gchar *case_id;    /* the event's outbox key TYPE:BUSINESS_KEY, e.g. "retired:person:12" */
	gchar *package_id; /* AAB034-EVENT_ID, stable across retries, safe in a URL path */
	gchar *sha256;     /* lowercase hex SHA-256 of the package bytes */
	GBytes *package;
} PhArchivePackage;

void ph_archive_api_package_free(PhArchivePackage *package);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhArchivePackage, ph_archive_api_package_free)

/* Builds the package of the case a core event closes, from the event's outbox payload
 * (ph_plugin_subscribe): retired → benefit, died → death, enrolment_ended → enrolment,
 * transfer_amounts → transfer, payout_due → payout. The person (AAC001 … AAC003) and the
 * case's documents are read on the calling worker thread's connection
 * (docs/formats/archive.md, "Packages of the archive plugin"). The same event gives the same
 * bytes: PH_ERROR_TRANSIENT while a document is not final yet (another plugin's message about
 * the case pending, a payout batch not closed); PH_ERROR_PERMANENT for a payload that is no
 * core event or of another type. */
PhArchivePackage *ph_archive_api_build_event(PhPlugin *plugin, GBytes *event, PhXmlSigner *signer,
                                             GError **error);

/* Takes the archive's receipt id from its answer (JSON {"receipt_id": "…"}) and keeps it with
 * the package id and digest as the plugin's state "case:CASE_ID" (pensionctl archive show).
 * PH_ERROR_PERMANENT when the answer holds no receipt id. */
gboolean ph_archive_api_record_receipt(PhPlugin *plugin, const PhArchivePackage *package,
                                       GBytes *answer, gchar **receipt_id, GError **error);

G_END_DECLS
