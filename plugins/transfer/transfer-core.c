/* The core's transfer commands as the adapter calls them (placeholder until the core's
 * SDK header lands). */
#include "transfer-private.h"

static gboolean
transfer_core_missing(GError **error)
{
	g_set_error(error, PH_ERROR, PH_ERROR_TRANSIENT, "core transfer commands not available");
	return FALSE;
}

gboolean
transfer_core_person(PhTxn *txn, const gchar *id_number, TransferPerson *person, GError **error)
{
	return transfer_core_missing(error);
}

gboolean
transfer_core_out(PhTxn *txn, const gchar *case_id, const gchar *id_number,
                  const gchar *other_region, TransferSheet *sheet, GError **error)
{
	return transfer_core_missing(error);
}

gboolean
transfer_core_in(PhTxn *txn, const gchar *case_id, const gchar *other_region,
                 const TransferSheet *info, GError **error)
{
	return transfer_core_missing(error);
}

gboolean
transfer_core_end(PhTxn *txn, const gchar *case_id, const gchar *id_number, GError **error)
{
	return transfer_core_missing(error);
}
