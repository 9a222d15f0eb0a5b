/* Exact arithmetic for the pension rules: decimal parsing, checked 128-bit products and
 * round-half-away-from-zero division. Pure; called by the rules modules in core/. */
#include "ph-decimal.h"

#include "ph-error.h"

/* 10^18 is the largest power of ten in a gint64; units never exceed it. */
#define PH_DECIMAL_MAX_DIGITS 18

/**
 * ph_decimal_parse:
 * @text: a decimal such as "0.0831", "3" or "-0.5" (no exponent, no spaces)
 *
 * Returns: %TRUE with @out set, or %FALSE with a %PH_ERROR_INVALID_INPUT error.
 */
gboolean
ph_decimal_parse(const gchar *text, PhDecimal *out, GError **error)
{
	const gchar *cursor = text;
	gboolean negative = FALSE;
	gboolean seen_point = FALSE;
	gint digits = 0;
	gint scale = 0;
	gint64 units = 0;

	g_return_val_if_fail(text != NULL && out != NULL, FALSE);
	if (*cursor == '-') {
		negative = TRUE;
		cursor++;
	}
	for (; *cursor != '\0'; cursor++) {
		if (*cursor == '.' && !seen_point && digits > 0) {
			seen_point = TRUE;
			continue;
		}
		if (!g_ascii_isdigit(*cursor))
			goto bad;
		if (++digits > PH_DECIMAL_MAX_DIGITS)
			goto bad;
		if (seen_point && ++scale > PH_DECIMAL_MAX_SCALE)
			goto bad;
		units = units * 10 + (*cursor - '0');
	}
	if (digits == 0 || cursor[-1] == '.')
		goto bad;
	out->units = negative ? -units : units;
	out->scale = scale;
	return TRUE;
bad:
	g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
	            "'%s' is not a decimal number (digits, one point, at most %d places)", text,
	            PH_DECIMAL_MAX_SCALE);
	return FALSE;
}

/* Formats @units / 10^@scale with exactly @scale decimal places ("1.3000"). */
gchar *
ph_decimal_format_scaled(gint64 units, gint scale)
{
	guint64 magnitude = units < 0 ? -(guint64)units : (guint64)units;
	guint64 divisor = 1;

	g_return_val_if_fail(scale >= 0 && scale <= PH_DECIMAL_MAX_SCALE, NULL);
	for (gint i = 0; i < scale; i++)
		divisor *= 10;
	if (scale == 0)
		return g_strdup_printf("%s%" G_GUINT64_FORMAT, units < 0 ? "-" : "", magnitude);
	return g_strdup_printf("%s%" G_GUINT64_FORMAT ".%0*" G_GUINT64_FORMAT, units < 0 ? "-" : "",
	                       magnitude / divisor, scale, magnitude % divisor);
}

/* The shortest exact text: trailing zeros of the fraction dropped ("0.16", "3"). */
gchar *
ph_decimal_to_string(PhDecimal value)
{
	while (value.scale > 0 && value.units % 10 == 0) {
		value.units /= 10;
		value.scale--;
	}
	return ph_decimal_format_scaled(value.units, value.scale);
}

PhDecimal
ph_decimal_from_units(gint64 units, gint scale)
{
	PhDecimal value = {units, scale};
	return value;
}

PhWide
ph_decimal_pow10(gint exponent)
{
	static const gint64 small[] = {1,
	                               10,
	                               100,
	                               1000,
	                               10000,
	                               100000,
	                               1000000,
	                               10000000,
	                               100000000,
	                               1000000000,
	                               10000000000,
	                               100000000000,
	                               1000000000000,
	                               10000000000000,
	                               100000000000000,
	                               1000000000000000,
	                               10000000000000000,
	                               100000000000000000,
	                               1000000000000000000};
	PhWide result;

	g_return_val_if_fail(exponent >= 0 && exponent <= 36, 0);
	if (exponent < (gint)G_N_ELEMENTS(small))
		return small[exponent];
	result = small[G_N_ELEMENTS(small) - 1];
	for (gint i = G_N_ELEMENTS(small) - 1; i < exponent; i++)
		result *= 10;
	return result;
}

/* Both sides are brought to scale 9: |units| < 10^18 and 10^9 keep it inside 128 bits. */
gint
ph_decimal_compare(PhDecimal a, PhDecimal b)
{
	PhWide left = (PhWide)a.units * ph_decimal_pow10(PH_DECIMAL_MAX_SCALE - a.scale);
	PhWide right = (PhWide)b.units * ph_decimal_pow10(PH_DECIMAL_MAX_SCALE - b.scale);

	return left < right ? -1 : left > right ? 1 : 0;
}

gboolean
ph_decimal_in_range(PhDecimal value, PhDecimal low, PhDecimal high)
{
	return ph_decimal_compare(value, low) >= 0 && ph_decimal_compare(value, high) <= 0;
}

/* Checked product: %FALSE when it would not fit in 128 bits. */
gboolean
ph_decimal_mul(PhWide a, PhWide b, PhWide *out)
{
	return !__builtin_mul_overflow(a, b, out);
}

/**
 * ph_decimal_div_round:
 *
 * Sets @out to @numerator / @denominator rounded to the nearest integer, halves away
 * from zero (round_fen of RULES §0 when both are in fen units).
 *
 * Returns: %FALSE when @denominator is not positive or the result does not fit a gint64.
 */
gboolean
ph_decimal_div_round(PhWide numerator, PhWide denominator, gint64 *out)
{
	PhWide magnitude = numerator < 0 ? -numerator : numerator;
	PhWide quotient;

	if (denominator <= 0)
		return FALSE;
	/* the usual case fits 64 bits, where division is several times faster */
	if (magnitude <= G_MAXINT64 && denominator <= G_MAXINT64) {
		gint64 small = (gint64)magnitude;
		gint64 divisor = (gint64)denominator;
		gint64 remainder = small % divisor;
		gint64 result = small / divisor + (remainder >= divisor - remainder ? 1 : 0);
		*out = numerator < 0 ? -result : result;
		return TRUE;
	}
	quotient = magnitude / denominator;
	if (magnitude % denominator >= denominator - magnitude % denominator)
		quotient++;
	if (quotient > G_MAXINT64)
		return FALSE;
	*out = numerator < 0 ? -(gint64)quotient : (gint64)quotient;
	return TRUE;
}

/* round_fen(@fen × @rate). */
gboolean
ph_decimal_mul_fen(gint64 fen, PhDecimal rate, gint64 *out, GError **error)
{
	PhWide product;

	if (!ph_decimal_mul(fen, rate.units, &product) ||
	    !ph_decimal_div_round(product, ph_decimal_pow10(rate.scale), out)) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "amount %" G_GINT64_FORMAT " times rate overflows", fen);
		return FALSE;
	}
	return TRUE;
}
