/* bank: the files exchanged with a bank kept in the host's document store (SDK
 * ph-document-api.h) for the payout batch's archival package: the payout file teed while it is
 * generated into the upload, its done file, and each result file teed while it is read for its
 * booking. Keeping the same bytes again (a retry) keeps one copy. Plugin-internal. */
#include "bank-private.h"

#include <pension-hub/ph-document-api.h>

PhDocumentKeep *
bank_keep_payout_begin(Bank *bank, const BankPartner *partner, const PhPayoutHeader *header,
                       const gchar *name, GError **error)
{
	const PhDocumentKind kind = {"payout", partner->name, header->batch_no, name};
	return ph_document_api_keep_begin(bank->plugin, &kind, error);
}

gboolean
bank_keep_done(Bank *bank, const BankPartner *partner, const PhPayoutHeader *header,
               const gchar *done_name, GBytes *done, GError **error)
{
	const PhDocumentKind kind = {"done", partner->name, header->batch_no, done_name};
	return ph_document_api_keep_bytes(bank->plugin, &kind, done, NULL, error);
}

/* Kept while the booking reads it (ph_document_api_keep_input), in the same pass: one
 * download. */
PhDocumentKeep *
bank_keep_result_begin(Bank *bank, const BankPartner *partner, const gchar *name, GError **error)
{
	const PhDocumentKind kind = {"result", partner->name, 0, name};
	return ph_document_api_keep_begin(bank->plugin, &kind, error);
}

/* A result file taken before, still in the bank's folder (the hub died between its booking
 * and its keeping, or the bank sent it again): read once more, to keep it. */
gboolean
bank_keep_result(Bank *bank, const BankPartner *partner, PhSftp *sftp, const gchar *path,
                 const gchar *name, PhDigestAlg alg, GError **error)
{
	g_autoptr(GInputStream) input = ph_sftp_open_read(sftp, path, error);
	if (input == NULL)
		return FALSE;
	const PhDocumentKind kind = {"result", partner->name, 0, name};
	return ph_document_api_keep_stream(bank->plugin, &kind, input, ph_digest_alg_get_name(alg),
	                                   NULL, error);
}
