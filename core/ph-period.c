/* Periods (months) as YYYYMM integers. Pure; any layer may call it. */
#include "ph-period.h"

#include "ph-error.h"

PhPeriod
ph_period_make(gint year, gint month)
{
	return year * 100 + month;
}

gint
ph_period_year(PhPeriod period)
{
	return period / 100;
}

gint
ph_period_month(PhPeriod period)
{
	return period % 100;
}

gboolean
ph_period_valid(PhPeriod period)
{
	gint year = ph_period_year(period);
	gint month = ph_period_month(period);

	return year >= PH_PERIOD_FIRST_YEAR && year <= PH_PERIOD_LAST_YEAR && month >= 1 &&
	       month <= 12;
}

/**
 * ph_period_parse:
 * @text: "YYYY-MM"
 *
 * Returns: %TRUE with @out set to YYYYMM, or %FALSE with %PH_ERROR_INVALID_INPUT.
 */
gboolean
ph_period_parse(const gchar *text, PhPeriod *out, GError **error)
{
	gint year = 0;
	gint month = 0;

	g_return_val_if_fail(text != NULL && out != NULL, FALSE);
	for (gint i = 0; i < 7; i++) {
		gboolean dash = i == 4;
		if (dash ? text[i] != '-' : !g_ascii_isdigit(text[i]))
			goto bad;
		if (!dash && i < 4)
			year = year * 10 + (text[i] - '0');
		else if (!dash)
			month = month * 10 + (text[i] - '0');
	}
	if (text[7] != '\0' || !ph_period_valid(ph_period_make(year, month)))
		goto bad;
	*out = ph_period_make(year, month);
	return TRUE;
bad:
	g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
	            "'%s' is not a period YYYY-MM between %d and %d", text, PH_PERIOD_FIRST_YEAR,
	            PH_PERIOD_LAST_YEAR);
	return FALSE;
}

void
ph_period_format(PhPeriod period, gchar buffer[8])
{
	/* digit by digit: the buffer holds exactly "YYYY-MM" for any input */
	guint year = (guint)ABS(ph_period_year(period)) % 10000;
	guint month = (guint)ABS(ph_period_month(period)) % 100;

	buffer[0] = '0' + year / 1000;
	buffer[1] = '0' + year / 100 % 10;
	buffer[2] = '0' + year / 10 % 10;
	buffer[3] = '0' + year % 10;
	buffer[4] = '-';
	buffer[5] = '0' + month / 10;
	buffer[6] = '0' + month % 10;
	buffer[7] = '\0';
}

gchar *
ph_period_to_string(PhPeriod period)
{
	gchar buffer[8];

	ph_period_format(period, buffer);
	return g_strdup(buffer);
}

/* Months since January of year 0: differences of ordinals count months. */
gint
ph_period_ordinal(PhPeriod period)
{
	return ph_period_year(period) * 12 + ph_period_month(period) - 1;
}

PhPeriod
ph_period_add(PhPeriod period, gint months)
{
	gint ordinal = ph_period_ordinal(period) + months;

	return ph_period_make(ordinal / 12, ordinal % 12 + 1);
}

gint
ph_period_diff(PhPeriod later, PhPeriod earlier)
{
	return ph_period_ordinal(later) - ph_period_ordinal(earlier);
}
