/* Identity numbers as domain rules: citizen ID (GB 11643, incl. 15 -> 18), unified social
 * credit code (GB 32100) and Luhn for bank cards. Pure functions; any layer may call them. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Checks an 18-character citizen ID: address code, calendar birth date, sequence and the
 * ISO 7064 MOD 11-2 check character (upper-case X only). */
gboolean ph_identity_check_citizen_id(const gchar *id, GError **error);

/* The one masking of an ID number for messages and logs: the first six and last four
 * characters, the rest as '*' ("110105********002X"); "****" when shorter than 10.
 * Messages name numbers only through this (docs/security.md, "Logs"). */
gchar *ph_identity_mask(const gchar *number);

/* The same for an AAE010 bank account number, which has no public prefix worth showing: only
 * the last four characters, the rest as '*' ("***************0007"); "****" when shorter than
 * 8, so that a short account is never shown nearly whole. */
gchar *ph_identity_mask_account(const gchar *account);

/* As ph_identity_check_citizen_id(), and the birth date and sex in the number must agree
 * with @birth_date (AAC006, YYYYMMDD) and @sex (AAC004) when those are not NULL or empty.
 * Only AAC004 1 (male, odd sequence) and 2 (female, even) are compared; 0, 5, 6 and 9 say
 * nothing the number can contradict. */
gboolean ph_identity_check_citizen_id_person(const gchar *id, const gchar *birth_date,
                                             const gchar *sex, GError **error);

/* The check character ('0'..'9' or 'X') for the first 17 digits of @id, or 0 when those
 * are not 17 digits. */
gchar ph_identity_citizen_id_check_char(const gchar *id);

/* Converts a 15-digit (pre-1999) number to 18 characters: "19" before the year, check
 * character appended. The result is checked like any 18-character number. */
gchar *ph_identity_citizen_id_upgrade(const gchar *id15, GError **error);

/* Checks an 18-character unified social credit code (GB 32100): alphabet, region digits
 * and the MOD 31 check character. */
gboolean ph_identity_check_uscc(const gchar *code, GError **error);

/* Checks a card number of digits only (8 to 19, ISO/IEC 7812) with the Luhn check digit. */
gboolean ph_identity_check_luhn(const gchar *number, GError **error);

G_END_DECLS
