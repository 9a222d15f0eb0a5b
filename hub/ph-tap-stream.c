/* The tap input stream (ph-tap-stream.h). Hub only. */
#include "ph-tap-stream.h"

#define PH_TYPE_TAP_INPUT_STREAM (ph_tap_input_stream_get_type())
G_DECLARE_FINAL_TYPE(PhTapInputStream, ph_tap_input_stream, PH, TAP_INPUT_STREAM,
                     GFilterInputStream)

struct _PhTapInputStream {
	GFilterInputStream parent;
	PhTapFunc func;
	gpointer data;
	GDestroyNotify end; /* NULL once called */
};

G_DEFINE_TYPE(PhTapInputStream, ph_tap_input_stream, G_TYPE_FILTER_INPUT_STREAM)

static gssize
ph_tap_input_stream_read(GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable,
                         GError **error)
{
	PhTapInputStream *self = PH_TAP_INPUT_STREAM(stream);
	GInputStream *base = g_filter_input_stream_get_base_stream(G_FILTER_INPUT_STREAM(self));
	gssize n = g_input_stream_read(base, buffer, count, cancellable, error);
	if (n > 0 && !self->func(self->data, buffer, (gsize)n, error))
		return -1;
	return n;
}

/* The filter's own skip would pass bytes by the function: read them instead. */
static gssize
ph_tap_input_stream_skip(GInputStream *stream, gsize count, GCancellable *cancellable,
                         GError **error)
{
	guint8 buffer[16384];
	return ph_tap_input_stream_read(stream, buffer, MIN(count, sizeof(buffer)), cancellable,
	                                error);
}

static gboolean
ph_tap_input_stream_close(GInputStream *stream, GCancellable *cancellable, GError **error)
{
	PhTapInputStream *self = PH_TAP_INPUT_STREAM(stream);
	GDestroyNotify end = g_steal_pointer(&self->end);
	if (end != NULL)
		end(self->data);
	return G_INPUT_STREAM_CLASS(ph_tap_input_stream_parent_class)
	        ->close_fn(stream, cancellable, error);
}

static void
ph_tap_input_stream_class_init(PhTapInputStreamClass *klass)
{
	G_INPUT_STREAM_CLASS(klass)->read_fn = ph_tap_input_stream_read;
	G_INPUT_STREAM_CLASS(klass)->skip = ph_tap_input_stream_skip;
	G_INPUT_STREAM_CLASS(klass)->close_fn = ph_tap_input_stream_close;
}

static void
ph_tap_input_stream_init(PhTapInputStream *self)
{
}

GInputStream *
ph_tap_input_stream_new(GInputStream *base, PhTapFunc func, gpointer data, GDestroyNotify end)
{
	g_return_val_if_fail(G_IS_INPUT_STREAM(base) && func != NULL, NULL);
	PhTapInputStream *self = g_object_new(PH_TYPE_TAP_INPUT_STREAM, "base-stream", base,
	                                      "close-base-stream", FALSE, NULL);
	self->func = func;
	self->data = data;
	self->end = end;
	return G_INPUT_STREAM(self);
}
