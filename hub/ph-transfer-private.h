/* Host side of the transfer case store: reading rows for pensionctl. Host-only. */
#pragma once

#include <libpq-fe.h>

#include "pension-hub.h"
#include "ph-transfer-api.h"

G_BEGIN_DECLS

/* The SELECT list that ph_transfer_case_from_row() reads. */
#define PH_TRANSFER_CASE_COLUMNS                                                                   \
	"case_id, direction, state, id_number, other_agency, other_region, reason, "               \
	"floor(extract(epoch FROM deadline))::bigint, "                                            \
	"floor(extract(epoch FROM created_at))::bigint, "                                          \
	"floor(extract(epoch FROM updated_at))::bigint"

/* The case of @row, its AAC002 opened (transfer_exchange holds it sealed, 0015); NULL with
 * @error set when it does not open. */
PhTransferCase *ph_transfer_case_from_row(PGresult *result, gint row, GError **error);

G_END_DECLS
