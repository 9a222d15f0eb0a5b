/* Identity numbers as domain rules: GB 11643 citizen ID, GB 32100 credit code, Luhn.
 * Pure functions with no I/O; any layer may call them. */
#include "ph-identity.h"

#include <stdarg.h>
#include <string.h>

#include "ph-error.h"

#define CITIZEN_ID_LEN     18
#define CITIZEN_ID_OLD_LEN 15
#define USCC_LEN           18

/* GB/T 2260 province-level codes (the first two digits of every address code). */
static const gchar *const provinces[] = {
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34",
        "35", "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52",
        "53", "54", "61", "62", "63", "64", "65", "71", "81", "82", NULL,
};

/* GB 32100 alphabet: digits and upper-case letters without I, O, S, V, Z. */
static const gchar uscc_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

static gboolean
all_digits(const gchar *text, gsize len)
{
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isdigit(text[i]))
			return FALSE;
	}
	return TRUE;
}

gchar
ph_identity_citizen_id_check_char(const gchar *id)
{
	static const guint weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
	static const gchar checks[] = "10X98765432";
	guint sum = 0;

	g_return_val_if_fail(id != NULL, 0);
	if (strnlen(id, 17) < 17 || !all_digits(id, 17))
		return 0;
	for (guint i = 0; i < 17; i++)
		sum += (guint)(id[i] - '0') * weights[i];
	return checks[sum % 11];
}

static gboolean
known_province(const gchar *id)
{
	for (guint i = 0; provinces[i] != NULL; i++) {
		if (strncmp(id, provinces[i], 2) == 0)
			return TRUE;
	}
	return FALSE;
}

static gboolean
valid_birth_date(const gchar *yyyymmdd)
{
	guint year = 0, month = 0, day = 0;

	for (guint i = 0; i < 4; i++)
		year = year * 10 + (guint)(yyyymmdd[i] - '0');
	month = (guint)(yyyymmdd[4] - '0') * 10 + (guint)(yyyymmdd[5] - '0');
	day = (guint)(yyyymmdd[6] - '0') * 10 + (guint)(yyyymmdd[7] - '0');
	if (year < 1800 || month < 1 || month > 12 || day < 1)
		return FALSE;
	return g_date_valid_dmy((GDateDay)day, (GDateMonth)month, (GDateYear)year);
}

/* @number with all but its first @head and last @tail characters as '*'; "****" when it has
 * fewer than @shortest, so that little of a short number is ever shown. Characters, not
 * bytes: a hostile "number" may hold multi-byte ones, and a mask that cut one in two would
 * not be text (nor storable in a text column); one that is not UTF-8 is all masked. */
static gchar *
ph_identity_mask_keep(const gchar *number, glong head, glong tail, glong shortest)
{
	if (number == NULL || !g_utf8_validate(number, -1, NULL))
		return g_strdup("****");
	glong length = g_utf8_strlen(number, -1);
	if (length < shortest)
		return g_strdup("****");
	const gchar *head_end = g_utf8_offset_to_pointer(number, head);
	const gchar *tail_start = g_utf8_offset_to_pointer(number, length - tail);
	g_autofree gchar *stars = g_strnfill((gsize)(length - head - tail), '*');
	return g_strdup_printf("%.*s%s%s", (int)(head_end - number), number, stars, tail_start);
}

gchar *
ph_identity_mask(const gchar *number)
{
	return ph_identity_mask_keep(number, 6, 4, 10);
}

gchar *
ph_identity_mask_account(const gchar *account)
{
	return ph_identity_mask_keep(account, 0, 4, 8);
}

/* Refuses citizen id @id for the reason @format: the number is masked only here, on refusal,
 * since valid numbers are checked by the million (a personnel batch checks every HIRE). */
static G_GNUC_PRINTF(3, 4) gboolean
        ph_identity_refuse_citizen_id(GError **error, const gchar *id, const gchar *format, ...)
{
	g_autofree gchar *masked = ph_identity_mask(id);
	va_list args;

	va_start(args, format);
	g_autofree gchar *reason = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "citizen id '%s' %s", masked, reason);
	return FALSE;
}

gboolean
ph_identity_check_citizen_id(const gchar *id, GError **error)
{
	g_return_val_if_fail(id != NULL, FALSE);
	if (strlen(id) != CITIZEN_ID_LEN)
		return ph_identity_refuse_citizen_id(error, id, "has %zu characters, not 18",
		                                     strlen(id));
	if (!all_digits(id, 17) || !(g_ascii_isdigit(id[17]) || id[17] == 'X'))
		return ph_identity_refuse_citizen_id(
		        error, id, "must be 17 digits and a digit or upper-case X");
	if (!known_province(id))
		return ph_identity_refuse_citizen_id(error, id, "has an unknown province code %.2s",
		                                     id);
	if (!valid_birth_date(id + 6))
		return ph_identity_refuse_citizen_id(error, id, "has an invalid birth date");
	if (id[17] != ph_identity_citizen_id_check_char(id))
		return ph_identity_refuse_citizen_id(error, id, "has a wrong check character");
	return TRUE;
}

gboolean
ph_identity_check_citizen_id_person(const gchar *id, const gchar *birth_date, const gchar *sex,
                                    GError **error)
{
	gboolean odd;

	if (!ph_identity_check_citizen_id(id, error))
		return FALSE;
	if (birth_date != NULL && birth_date[0] != '\0' && strncmp(id + 6, birth_date, 8) != 0)
		return ph_identity_refuse_citizen_id(
		        error, id, "gives another birth date than AAC006 %s", birth_date);
	if (sex == NULL || (!g_str_equal(sex, "1") && !g_str_equal(sex, "2")))
		return TRUE;
	odd = (id[16] - '0') % 2 == 1;
	if (odd != g_str_equal(sex, "1"))
		return ph_identity_refuse_citizen_id(error, id, "says %s but AAC004 is %s",
		                                     odd ? "male" : "female", sex);
	return TRUE;
}

gchar *
ph_identity_citizen_id_upgrade(const gchar *id15, GError **error)
{
	g_autofree gchar *masked15 = ph_identity_mask(id15);
	gchar id18[CITIZEN_ID_LEN + 1] = {0};

	g_return_val_if_fail(id15 != NULL, NULL);
	if (strlen(id15) != CITIZEN_ID_OLD_LEN || !all_digits(id15, CITIZEN_ID_OLD_LEN)) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "old citizen id '%s' must be 15 digits", masked15);
		return NULL;
	}
	memcpy(id18, id15, 6);
	memcpy(id18 + 6, "19", 2);
	memcpy(id18 + 8, id15 + 6, 9);
	id18[17] = ph_identity_citizen_id_check_char(id18);
	if (!ph_identity_check_citizen_id(id18, error)) {
		g_prefix_error(error, "old citizen id '%s': ", masked15);
		return NULL;
	}
	return g_strdup(id18);
}

static gint
uscc_value(gchar c)
{
	const gchar *found = c != '\0' ? strchr(uscc_alphabet, c) : NULL;

	return found != NULL ? (gint)(found - uscc_alphabet) : -1;
}

gboolean
ph_identity_check_uscc(const gchar *code, GError **error)
{
	static const guint weights[17] = {1,  3,  9,  27, 19, 26, 16, 17, 20,
	                                  29, 25, 13, 8,  24, 10, 30, 28};
	guint sum = 0;
	gchar expected;

	g_return_val_if_fail(code != NULL, FALSE);
	if (strlen(code) != USCC_LEN) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "credit code '%s' has %zu characters, not 18", code, strlen(code));
		return FALSE;
	}
	for (guint i = 0; i < USCC_LEN; i++) {
		if (uscc_value(code[i]) < 0) {
			/* one byte of a multi-byte character quoted alone would not be text */
			g_autofree gchar *what = g_ascii_isprint(code[i])
			                                 ? g_strdup_printf("'%c'", code[i])
			                                 : g_strdup("a byte that is not ASCII");
			g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
			            "credit code '%s' has %s at position %u, not in the GB 32100 "
			            "alphabet",
			            code, what, i + 1);
			return FALSE;
		}
	}
	if (!all_digits(code + 2, 6)) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "credit code '%s' has a region code %.6s that is not six digits", code,
		            code + 2);
		return FALSE;
	}
	for (guint i = 0; i < 17; i++)
		sum += (guint)uscc_value(code[i]) * weights[i];
	expected = uscc_alphabet[(31 - sum % 31) % 31];
	if (code[17] != expected) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "credit code '%s' has check character %c, expected %c", code, code[17],
		            expected);
		return FALSE;
	}
	return TRUE;
}

gboolean
ph_identity_check_luhn(const gchar *number, GError **error)
{
	gsize len;
	guint sum = 0;

	g_return_val_if_fail(number != NULL, FALSE);
	len = strlen(number);
	/* a card number is an account (AAE010): shown masked, as everywhere (docs/security.md),
	 * and masked only when refused (numbers are checked by the million) */
	if (len < 8 || len > 19 || !all_digits(number, len)) {
		g_autofree gchar *masked = ph_identity_mask_account(number);
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "card number '%s' must be 8 to 19 digits", masked);
		return FALSE;
	}
	/* Double every second digit counting from the check digit at the right. */
	for (gsize i = 0; i < len; i++) {
		guint digit = (guint)(number[len - 1 - i] - '0');

		if (i % 2 == 1)
			digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
		sum += digit;
	}
	if (sum % 10 != 0) {
		g_autofree gchar *masked = ph_identity_mask_account(number);
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "card number '%s' fails the Luhn check", masked);
		return FALSE;
	}
	return TRUE;
}
