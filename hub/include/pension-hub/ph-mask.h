/* Masking of ID and account numbers for plugins' messages and logs: the core's one masking
 * helper (core/ph-identity.c, docs/security.md "Logs") behind the SDK. Implemented in
 * hub/ph-mask.c. GLib only. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* An AAC002 with its first six and last four characters kept ("110105********002X"). */
gchar *ph_mask_id_number(const gchar *id_number);
/* An AAE010 with its last four characters kept ("***************0007"). */
gchar *ph_mask_account(const gchar *account);

G_END_DECLS
