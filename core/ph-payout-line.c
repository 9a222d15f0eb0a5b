/* The bytes of one payout line (ph-payout-line.h). Pure. */
#include "ph-payout-line.h"

#include <string.h>

static void
ph_payout_line_text(GByteArray *out, const gchar *text)
{
	gsize size = text != NULL ? strlen(text) : 0;
	guint32 length = GUINT32_TO_BE(text != NULL ? (guint32)size : G_MAXUINT32);
	g_byte_array_append(out, (const guint8 *)&length, sizeof(length));
	g_byte_array_append(out, (const guint8 *)text, (guint)size);
}

void
ph_payout_line_encode(GByteArray *out, gint serial, const gchar *id_number, const gchar *account,
                      gint64 amount)
{
	guint32 number = GUINT32_TO_BE((guint32)serial);
	guint64 fen = GUINT64_TO_BE((guint64)amount);
	g_byte_array_append(out, (const guint8 *)&number, sizeof(number));
	g_byte_array_append(out, (const guint8 *)&fen, sizeof(fen));
	ph_payout_line_text(out, id_number);
	ph_payout_line_text(out, account);
}
