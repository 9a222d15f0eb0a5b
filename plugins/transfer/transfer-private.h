/* The transfer adapter's own declarations, shared by its files: configuration and state,
 * documents of profile PH-XFER-1, the case state machine, sending, and the core calls.
 * Inside plugins/transfer only. */
#pragma once

#include <pension-hub/pension-hub.h>

G_BEGIN_DECLS

#define TRANSFER_NAMESPACE    "urn:pension-hub:transfer:1"
#define TRANSFER_KIND_MESSAGE "transfer.message" /* verified documents from the platform */
#define TRANSFER_KIND_START   "transfer.start"   /* a clerk's request to open a transfer-in */
#define TRANSFER_TOPIC_SEND   "transfer.send"    /* our signed documents to the platform */

typedef struct {
	gchar *agency;  /* AAB034 of a sender, "*" for any (development) */
	gchar *subject; /* RFC 2253 subject of its signing certificate */
} TransferSigner;

typedef struct {
	PhPlugin *plugin;
	gchar *agency;      /* this hub's AAB034 */
	gchar *region;      /* this hub's AAB301 */
	gchar *agency_name; /* AAC077 in our LETTERs */
	gchar *platform_url;
	gchar *platform_ca;
	PhXmlSchema *schema;
	PhXmlVerifier *verifier;
	PhXmlSigner *signer;
	GPtrArray *signers;        /* TransferSigner */
	GHashTable *peer_agencies; /* region → agency of the other side */
	gint64 sentat_window;      /* seconds */
	gint64 deadline_days;      /* working days per step */
	gint64 deadline_check;     /* seconds between looks for overdue cases */
	gint64 max_bytes;
	gint64 timeout_seconds;
	PhRetryPolicy retry;
} Transfer;

/* ---- transfer-doc.c: documents ---- */
typedef struct {
	gchar *msg_id;
	gchar *msg_type;
	gchar *case_id;
	gchar *sender;
	gchar *sender_region;
	gchar *receiver;
	gchar *receiver_region;
	gchar *sent_at_text;
	gint64 sent_at; /* unix seconds */
} TransferHeader;

void transfer_header_clear(TransferHeader *header);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(TransferHeader, transfer_header_clear)
gboolean transfer_header_read(PhXmlDoc *doc, TransferHeader *header, GError **error);
/* Whether the Body is the one of the header's MsgType (the XSD leaves the pairing to us). */
gboolean transfer_doc_check_body(PhXmlDoc *doc, const TransferHeader *header, GError **error);

typedef struct {
	gint32 period; /* YYYYMM */
	gint64 base;   /* fen */
} TransferMonth;

/* The information sheet (INFO) or the fund notice (FUND), amounts in fen. */
typedef struct {
	gchar *id_number; /* AAC002 (INFO) */
	gchar *name;      /* AAC003 (INFO) */
	gchar *sex;       /* AAC004 (INFO) */
	gchar *birth;     /* AAC006 (INFO) */
	gint deemed_months;
	gint actual_months;
	gchar *deemed_index;  /* "1.3000" */
	GArray *months;       /* TransferMonth (INFO) */
	gint64 account_total; /* AIC268 */
	gint64 account;       /* AIC099 */
	gint64 pooled;        /* AIC103 */
	gint64 total;         /* AIC102 */
	gint64 annuity;       /* annuity balance (INFO) or amount (FUND) */
	gchar *bank_reference;
	gchar *value_date;
} TransferSheet;

void transfer_sheet_clear(TransferSheet *sheet);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(TransferSheet, transfer_sheet_clear)
gboolean transfer_sheet_read_info(PhXmlDoc *doc, TransferSheet *sheet, GError **error);
gboolean transfer_sheet_read_fund(PhXmlDoc *doc, TransferSheet *sheet, GError **error);
/* Whether the INFO and FUND of a case agree on every amount; *@field names the first
 * that differs. */
gboolean transfer_sheet_agree(const TransferSheet *info, const TransferSheet *fund,
                              const gchar **field);

/* Exact yuan "D16.2" text ↔ fen. */
gboolean transfer_yuan_to_fen(const gchar *field, const gchar *text, gint64 *fen, GError **error);
gchar *transfer_fen_to_yuan(gint64 fen);

/* @text with every run of 15 or more digits (or X) masked: of an ID number's lengths (15,
 * 18) like an AAC002, else like an account (AAE010). Texts from outside (libxml2's errors
 * quoting a refused value, the other side's ResultText, the platform's answers) may name
 * either, which logs and stored reasons show only masked (docs/security.md). */
gchar *transfer_doc_mask_numbers(const gchar *text);
/* The first @max characters of @data (@length bytes from outside, made UTF-8), masked as
 * transfer_doc_mask_numbers does before they are cut: a number cut in two at the cut would
 * escape the mask. */
gchar *transfer_doc_masked_excerpt(const gchar *data, gsize length, glong max);

/* A body's person (from the core): AAC002, AAC003, AAC004, AAC006. */
typedef struct {
	gchar *id_number;
	gchar *name;
	gchar *sex;
	gchar *birth;
} TransferPerson;

void transfer_person_clear(TransferPerson *person);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(TransferPerson, transfer_person_clear)

/* Builds an unsigned document: the header from @header (SentAt now when NULL text) and
 * @body_xml already escaped. */
GBytes *transfer_doc_build(const TransferHeader *header, const gchar *body_xml);
/* Our signed document @signed_document as it was before signing, but with SentAt now (to be
 * signed again: same MsgId, same body); @header receives its header as it was. */
GBytes *transfer_doc_renew(GBytes *signed_document, TransferHeader *header, GError **error);
gchar *transfer_doc_person(const TransferPerson *person);
gchar *transfer_doc_letter_body(const TransferPerson *person, const gchar *our_region,
                                const gchar *our_agency_name);
gchar *transfer_doc_info_body(const TransferSheet *sheet);
gchar *transfer_doc_fund_body(const TransferSheet *sheet);
gchar *transfer_doc_receipt_body(const gchar *ack_msg_id, const gchar *code, const gchar *text);
/* The answer body <Ack><MsgId/><Status/><Message/></Ack>. */
GBytes *transfer_doc_ack(const gchar *msg_id, const gchar *status, const gchar *message);

/* ---- transfer-days.c ---- */
/* @from plus @days working days (Monday to Friday), as unix seconds at the same time. */
gint64 transfer_days_deadline(gint64 from, gint64 days);

/* ---- transfer-door.c: POST /transfer/v1/messages ---- */
void transfer_door_handle(PhRequest *request, gpointer state);

/* ---- transfer-flow.c: the case state machine (inbox handlers) ---- */
gboolean transfer_flow_apply_message(PhTxn *txn, const PhInboxMessage *message, gpointer state,
                                     GError **error);
gboolean transfer_flow_apply_start(PhTxn *txn, const PhInboxMessage *message, gpointer state,
                                   GError **error);
void transfer_flow_report_overdue(gpointer state);

/* ---- transfer-send.c: signed documents out through the outbox ---- */
/* Signs and queues a document of @type for @case_id in @txn, and records it. */
gboolean transfer_send_queue(Transfer *transfer, PhTxn *txn, const TransferHeader *header,
                             const gchar *body_xml, GError **error);
gboolean transfer_send_deliver(const PhOutboxMessage *message, gpointer state, GError **error);
/* A message id of ours: PREFIX-REGION-YYYYMMDD-random. */
gchar *transfer_send_new_id(Transfer *transfer, const gchar *prefix);

/* ---- transfer-core.c: the core's commands ---- */
gboolean transfer_core_person(PhTxn *txn, const gchar *id_number, TransferPerson *person,
                              GError **error);
/* Computes the transfer out (RULES §4) and fills the sheet with the person, months,
 * bases and amounts. */
gboolean transfer_core_out(PhTxn *txn, const gchar *case_id, const gchar *id_number,
                           const gchar *other_region, TransferSheet *sheet, GError **error);
/* Adds the months, base history and balances of a received sheet to the member. */
gboolean transfer_core_in(PhTxn *txn, const gchar *case_id, const gchar *other_region,
                          const TransferSheet *info, GError **error);
/* The end of a transfer out: @completed (the other side's RECEIPT OK) ends the member's
 * enrolment here (AAC031 = 3); otherwise the member, suspended since the sheet, pays again. */
gboolean transfer_core_end(PhTxn *txn, const gchar *case_id, gboolean completed, GError **error);

G_END_DECLS
