/* A batch's events read in a thread of their own, chunk by chunk, while the lanes apply
 * the chunks before: parsing overlaps the database's work. One chunk is read ahead (the
 * lanes hold two more), so memory stays bounded. Plugin-only. */
#include "personnel.h"

#define PERSONNEL_FEED_AHEAD 1
/* Strings of skipped events (seqs up to the cursor) are dropped this often. */
#define PERSONNEL_FEED_SKIP_RESET 4096

struct _PersonnelFeed {
	GInputStream *input; /* owned */
	gchar *source;
	gint64 after_seq;
	guint chunk_events;
	GAsyncQueue *ready;  /* PersonnelFeedChunk */
	GAsyncQueue *tokens; /* one per chunk the reader may read ahead */
	gint stop;
	GThread *thread;
};

void
personnel_feed_chunk_free(PersonnelFeedChunk *chunk)
{
	if (chunk == NULL)
		return;
	g_array_unref(chunk->events);
	if (chunk->strings != NULL)
		g_string_chunk_free(chunk->strings);
	g_clear_error(&chunk->error);
	g_free(chunk);
}

/* Fills @chunk with up to chunk_events events after the cursor; sets last at the end. */
static void
personnel_feed_fill(PersonnelFeed *feed, PersonnelReader *reader, PersonnelFeedChunk *chunk)
{
	PersonnelEvent event;
	guint skipped = 0;
	while (chunk->events->len < feed->chunk_events) {
		if (!personnel_reader_next(reader, &event, &chunk->error)) {
			chunk->last = TRUE;
			return;
		}
		if (event.seq > feed->after_seq) {
			g_array_append_val(chunk->events, event);
		} else if (++skipped % PERSONNEL_FEED_SKIP_RESET == 0 && chunk->events->len == 0) {
			personnel_reader_reset(reader);
		}
	}
}

static gpointer
personnel_feed_run(gpointer data)
{
	PersonnelFeed *feed = data;
	g_autoptr(PersonnelReader) reader = personnel_reader_new(feed->input, feed->source, 0);
	PersonnelHeader header = {0};
	GError *error = NULL;
	gboolean opened = personnel_reader_open(reader, &header, &error);
	personnel_header_clear(&header);
	for (gboolean last = FALSE; !last;) {
		g_async_queue_pop(feed->tokens);
		if (g_atomic_int_get(&feed->stop))
			break;
		PersonnelFeedChunk *chunk = g_new0(PersonnelFeedChunk, 1);
		chunk->events =
		        g_array_sized_new(FALSE, FALSE, sizeof(PersonnelEvent), feed->chunk_events);
		if (opened)
			personnel_feed_fill(feed, reader, chunk);
		else
			chunk->error = g_steal_pointer(&error);
		chunk->last = last = chunk->last || chunk->error != NULL;
		chunk->strings = personnel_reader_take_strings(reader);
		g_async_queue_push(feed->ready, chunk);
	}
	g_clear_error(&error);
	return NULL;
}

PersonnelFeed *
personnel_feed_start(GInputStream *input, const gchar *source, gint64 after_seq, guint chunk_events)
{
	PersonnelFeed *feed = g_new0(PersonnelFeed, 1);
	feed->input = g_object_ref(input);
	feed->source = g_strdup(source);
	feed->after_seq = after_seq;
	feed->chunk_events = chunk_events;
	feed->ready = g_async_queue_new_full((GDestroyNotify)personnel_feed_chunk_free);
	feed->tokens = g_async_queue_new();
	for (guint i = 0; i < PERSONNEL_FEED_AHEAD; i++)
		g_async_queue_push(feed->tokens, GINT_TO_POINTER(1));
	feed->thread = g_thread_new("personnel-feed", personnel_feed_run, feed);
	return feed;
}

PersonnelFeedChunk *
personnel_feed_next(PersonnelFeed *feed)
{
	PersonnelFeedChunk *chunk = g_async_queue_pop(feed->ready);
	g_async_queue_push(feed->tokens, GINT_TO_POINTER(1)); /* room for one more */
	return chunk;
}

void
personnel_feed_stop(PersonnelFeed *feed)
{
	if (feed == NULL)
		return;
	g_atomic_int_set(&feed->stop, 1);
	g_async_queue_push(feed->tokens, GINT_TO_POINTER(1)); /* wakes a waiting reader */
	g_thread_join(feed->thread);
	g_async_queue_unref(feed->ready); /* frees chunks never taken */
	g_async_queue_unref(feed->tokens);
	g_object_unref(feed->input);
	g_free(feed->source);
	g_free(feed);
}
