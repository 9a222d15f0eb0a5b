/* The one error domain of pension-hub (PH_ERROR). Core, hub and plugins all use it;
 * it is installed with the plugin SDK. GLib only. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PH_ERROR (ph_error_quark())

/**
 * PhError:
 * @PH_ERROR_FAILED: anything not covered below
 * @PH_ERROR_INVALID_INPUT: outside input (a partner's, an operator's) is wrong; the
 *   message names the record, field and reason
 * @PH_ERROR_NOT_FOUND: the thing asked for does not exist
 * @PH_ERROR_CONFLICT: the request clashes with what is stored (same key, other content)
 * @PH_ERROR_CONFIG: the configuration is wrong; the message names file, group and key
 * @PH_ERROR_DATABASE: the database refused or failed; may succeed when retried
 * @PH_ERROR_TRANSIENT: a partner or transport failed in a way worth retrying
 * @PH_ERROR_PERMANENT: a partner refused in a way that retrying cannot fix
 * @PH_ERROR_FORBIDDEN: the caller may not do this
 */
typedef enum {
	PH_ERROR_FAILED,
	PH_ERROR_INVALID_INPUT,
	PH_ERROR_NOT_FOUND,
	PH_ERROR_CONFLICT,
	PH_ERROR_CONFIG,
	PH_ERROR_DATABASE,
	PH_ERROR_TRANSIENT,
	PH_ERROR_PERMANENT,
	PH_ERROR_FORBIDDEN,
} PhError;

/* Defined inline so that a plugin needs no host symbol to name the domain. The string is
 * copied (not _static_): the first caller may be a plugin whose module is later closed. */
static inline GQuark
ph_error_quark(void)
{
	return g_quark_from_string("ph-error-quark");
}

G_END_DECLS
