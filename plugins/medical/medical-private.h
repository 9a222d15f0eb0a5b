/* The medical insurance adapter's shared state and parts: the pension-status query
 * (medical-status.c) and the retirement and death notices (medical-notice.c), both JSON
 * with national element names (PH-MED-1, docs/formats/medical.md). Plugin-internal. */
#pragma once

#include <pension-hub/pension-hub.h>

G_BEGIN_DECLS

#define MEDICAL_TOPIC_NOTICE "medical.notice"

typedef struct {
	PhPlugin *plugin;
	gchar *notice_url; /* the medical system's notice endpoint, https://… */
	gchar *ca;         /* the only CA trusted for its server certificate */
	guint connect_timeout_ms;
	guint timeout_ms;
	PhRetryPolicy retry;
} Medical;

/* Appends the person's status members ("AAC002": …, …) to @json, an open JSON object. */
void medical_status_append_json(GString *json, const PhMedicalStatus *status);
/* Appends "key":"value" (or "key":null) with JSON escaping, and a leading comma when
 * @json already holds a member. */
void medical_json_member(GString *json, const gchar *key, const gchar *value);

/* GET /medical/v1/persons/<AAC002>/pension-status (partner medical). */
void medical_status_get(PhRequest *request, gpointer state);

/* Delivers one retirement or death notice (outbox topic medical.notice). */
gboolean medical_notice_deliver(const PhOutboxMessage *message, gpointer state, GError **error);

G_END_DECLS
