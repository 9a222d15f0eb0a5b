/* A filter input stream that hands every byte read through it to a function before the reader
 * gets it: what a digest of a file and a kept copy of it need, as it is read. Hub only. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Takes @count bytes just read; FALSE (with @error set) fails the read. */
typedef gboolean (*PhTapFunc)(gpointer data, const guint8 *bytes, gsize count, GError **error);

/* A stream over @base (which it does not close) calling @func with @data for every byte read,
 * in order; bytes skipped are read, so that @func sees them too. @end (may be NULL) is called
 * once with @data when the stream is closed (disposing of it closes it): what @func started
 * is finished there. */
GInputStream *ph_tap_input_stream_new(GInputStream *base, PhTapFunc func, gpointer data,
                                      GDestroyNotify end);

G_END_DECLS
