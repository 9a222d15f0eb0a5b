/* The SDK's masking (pension-hub/ph-mask.h) over the core's one helper. Hub layer. */
#include "pension-hub/ph-mask.h"

#include "ph-identity.h"

gchar *
ph_mask_id_number(const gchar *id_number)
{
	return ph_identity_mask(id_number);
}

gchar *
ph_mask_account(const gchar *account)
{
	return ph_identity_mask_account(account);
}
