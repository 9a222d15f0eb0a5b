/* Exact arithmetic for the pension rules: decimal rates as scaled integers, money in fen,
 * products in checked 128-bit integers, one rounding per formula. Core only; no I/O. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A 128-bit intermediate; every product of the rules is formed in one and checked. */
typedef __int128 PhWide;

/* Largest number of decimal places a rate or index may carry. */
#define PH_DECIMAL_MAX_SCALE 9

/**
 * PhDecimal:
 * @units: the value times 10^@scale
 * @scale: number of decimal places, 0 … %PH_DECIMAL_MAX_SCALE
 *
 * An exact decimal such as "0.0831" (units 831, scale 4). Rates, ratios, indexes and
 * shares are all of this type; the value is the rational @units / 10^@scale.
 */
typedef struct {
	gint64 units;
	gint scale;
} PhDecimal;

gboolean
ph_decimal_parse(const gchar *text, PhDecimal *out, GError **error);
gchar *
ph_decimal_to_string(PhDecimal value);
gchar *
ph_decimal_format_scaled(gint64 units, gint scale);
PhWide
ph_decimal_pow10(gint exponent);
gint
ph_decimal_compare(PhDecimal a, PhDecimal b);
gboolean
ph_decimal_in_range(PhDecimal value, PhDecimal low, PhDecimal high);
PhDecimal
ph_decimal_from_units(gint64 units, gint scale);

gboolean
ph_decimal_mul(PhWide a, PhWide b, PhWide *out);
gboolean
ph_decimal_div_round(PhWide numerator, PhWide denominator, gint64 *out);
gboolean
ph_decimal_mul_fen(gint64 fen, PhDecimal rate, gint64 *out, GError **error);

G_END_DECLS
