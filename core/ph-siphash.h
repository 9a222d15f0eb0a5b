/* SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed 64-bit hash for short inputs, here the
 * fingerprint of a bank's result line under a key drawn for one file, so that the bank cannot
 * make two different lines look alike. Pure; any layer may call it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PH_SIPHASH_KEY_BYTES 16

guint64 ph_siphash24(const guint8 key[PH_SIPHASH_KEY_BYTES], const guint8 *data, gsize length);

G_END_DECLS
