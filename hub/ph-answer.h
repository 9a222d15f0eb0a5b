/* PhAnswer (SDK type): the answer stored with an inbox message and repeated to a partner
 * that sends the same message again. Host-only constructor; ph_answer_free is SDK. */
#pragma once

#include <glib.h>

#include "pension-hub.h"

G_BEGIN_DECLS

/* Copies @content_type (may be NULL) and refs @body (may be NULL). */
PhAnswer *
ph_answer_new(guint status, const gchar *content_type, GBytes *body);

PhAnswer *
ph_answer_copy(const PhAnswer *answer);

G_END_DECLS
