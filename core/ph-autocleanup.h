/* Auto-cleanup for libpq handles, so that every owning local can be g_autoptr.
 * The hub's ph-autocleanup.h adds the other foreign handles on top of this one. */
#pragma once

#include <glib.h>
#include <libpq-fe.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PGconn, PQfinish)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PGresult, PQclear)
