/* The bytes that stand for one payout line (serial, amount, AAC002, AAE010) wherever lines
 * are compared without being stored: the items' digest (hub/ph-payout-digest.c) and the
 * fingerprints of a result file's lines (ph-payout-result.c). Pure; any layer may call it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Appends the serial (4 bytes) and the amount (8 bytes) in network order, then the ID number
 * and the account, each as a 4-byte length (all ones for none) and its bytes, so that no two
 * different lines give the same bytes. */
void ph_payout_line_encode(GByteArray *out, gint serial, const gchar *id_number,
                           const gchar *account, gint64 amount);

G_END_DECLS
