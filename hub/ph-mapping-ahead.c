/* Read-ahead for the line layouts: the caller's thread takes lines from the input in order,
 * a batch at a time, and worker threads (one per other processor) decode them into slots,
 * the caller's thread too while it waits; records are handed out in file order, each
 * batch's error or end after its records. Only the caller's thread moves the input, and
 * only inside ph_mapping_ahead_next(): an adapter may use its stream again once it stops
 * reading. A local file is read by offset: the caller finds where a batch's lines end, its
 * decoder reads and splits them, the caller numbers them. Memory stays bounded (a few
 * batches); a small file starts no thread. Mapping engine only (ph-layout-fixed.c,
 * ph-mapping-writer.c). */
#include "ph-mapping-private.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ph-error.h"

/* A batch: at most this many lines, line bytes and slots, so that memory stays bounded
 * whatever the widths (four batches of each). */
#define BATCH_LINES      2048
#define BATCH_BYTES      (1024 * 1024)
#define BATCH_SLOT_BYTES (2 * 1024 * 1024)
#define N_BATCHES        4
/* Worker threads beside the caller's, which decodes too while it waits: as many as there
 * are other processors, so that no decoder waits for a core (on two cores, two workers and
 * a waiting caller cost more in wake-ups and moved caches than they gained). */
#define MAX_WORKERS 3

typedef enum {
	BATCH_FREE,
	BATCH_TAKEN, /* lines taken, waiting for a worker */
	BATCH_DECODING,
	BATCH_DECODED,
} BatchState;

typedef struct {
	guint64 seq;
	BatchState state;
	GString *bytes;    /* the lines, copied, */
	PhLineSpan span;   /* or read from the file by offset, into bytes, */
	const gchar *data; /* where line_at counts from */
	gboolean split;    /* by offset: the decoder finds the lines, and then */
	gboolean stopped;  /* it stopped before the span's end, at */
	guint64 stop_offset;
	gboolean counted; /* its lines are numbered and counted into the input's */
	gsize *line_at;   /* per line: where it starts in bytes, its length, number, offset */
	gsize *line_len;
	guint64 *line_no;
	guint64 *line_offset;
	guint n_lines;
	GString *arena;     /* decoded text the slots point into */
	GString *out;       /* what the decoders wrote for the records (canonical JSON Lines) */
	gsize *out_end;     /* per record: where its output ends in out */
	gboolean claimed;   /* written to a file: out has its offset there, */
	guint64 out_offset; /* this, */
	gboolean written;   /* and is written */
	const PhMappingRecord **types;
	PhMappingSlot *slots; /* n_slots per line */
	gboolean one_kind;    /* the decoded records' run: all of types[0], */
	gboolean *plain;      /* and per kept slot as PhMappingRun says */
	gint64 *sums;
	gboolean *steps;
	guint n_records;    /* decoded, in order; then */
	GError *error;      /* the first decoding error, at line n_records, or */
	GError *take_error; /* an error reading the line after the last, or */
	gboolean end;       /* the end of the input */
	guint64 final_line; /* the input's line count when taking stopped */
} Batch;

struct _PhMappingAhead {
	const PhMappingAheadOps *ops;
	gpointer layout;
	gpointer source; /* for ops->next_line */
	guint n_slots;
	gboolean *keep;    /* per slot: its text is kept past its line (NULL: every slot's) */
	guint64 drop_mask; /* the slots not kept (of the first 64), bit i for slot i */
	guint max_lines;   /* per batch */
	Batch batches[N_BATCHES];
	gpointer own_decoder; /* the caller's, for batches decoded in its thread */
	GMutex lock;          /* batch states, stop */
	GCond changed;
	guint64 next_seq;    /* the next batch to take (the caller's) */
	guint64 counted_seq; /* the first batch whose lines are not counted yet */
	gsize span_bytes;    /* by offset: bytes that hold a batch's lines, as seen so far */
	gboolean input_done; /* a batch ended with the end or an error of the input */
	gboolean by_line;    /* the next batch is taken line by line: a split took nothing */
	gboolean stop;
	GThread *workers[MAX_WORKERS];
	guint n_workers;
	/* Output written to a file by whichever thread finds a batch's offset known (the
	 * batches before it decoded), batch after batch: */
	gint out_fd;          /* -1: the caller takes the output (take_output) */
	guint64 out_start;    /* where the first batch's output goes */
	guint64 write_seq;    /* the next batch to write, */
	guint64 write_offset; /* at this offset */
	gint write_errno;     /* of the first write that failed */
	/* The caller's position. */
	gboolean started; /* the first batch was read */
	gboolean ready;   /* the current batch is known to be decoded */
	guint64 seq;
	guint index;
	guint64 line;
	gsize out_taken; /* of the current batch's output */
};

static void
batch_init(Batch *batch, guint max_lines, guint n_slots)
{
	batch->bytes = g_string_sized_new(max_lines * 160);
	batch->arena = g_string_sized_new(max_lines * 64);
	batch->out = g_string_sized_new(64);
	batch->out_end = g_new(gsize, max_lines);
	batch->line_at = g_new(gsize, max_lines);
	batch->line_len = g_new(gsize, max_lines);
	batch->line_no = g_new(guint64, max_lines);
	batch->line_offset = g_new(guint64, max_lines);
	batch->types = g_new(const PhMappingRecord *, max_lines);
	batch->slots = g_new0(PhMappingSlot, (gsize)max_lines * n_slots);
	batch->plain = g_new0(gboolean, n_slots);
	batch->sums = g_new0(gint64, n_slots);
	batch->steps = g_new0(gboolean, n_slots);
}

/* Empties @batch for the next lines. */
static void
batch_reset(Batch *batch)
{
	g_string_truncate(batch->bytes, 0);
	batch->split = FALSE;
	batch->stopped = FALSE;
	batch->counted = FALSE;
	batch->claimed = FALSE;
	batch->written = FALSE;
	batch->n_lines = 0;
	batch->n_records = 0;
	batch->end = FALSE;
	g_clear_error(&batch->error);
	g_clear_error(&batch->take_error);
}

static void
batch_clear(Batch *batch)
{
	g_string_free(batch->bytes, TRUE);
	g_string_free(batch->arena, TRUE);
	g_string_free(batch->out, TRUE);
	g_free(batch->out_end);
	g_free(batch->line_at);
	g_free(batch->line_len);
	g_free(batch->line_no);
	g_free(batch->line_offset);
	g_free(batch->types);
	g_free(batch->slots);
	g_free(batch->plain);
	g_free(batch->sums);
	g_free(batch->steps);
	g_clear_error(&batch->error);
	g_clear_error(&batch->take_error);
}

/* Takes the next bytes of the input by offset, if the source can: the decoder reads and
 * splits them into lines, and the caller's thread numbers them (count) before it hands them
 * out. */
static gboolean
take_span(PhMappingAhead *ahead, Batch *batch)
{
	batch->span.buffer = batch->bytes;
	if (ahead->ops->take_span == NULL ||
	    !ahead->ops->take_span(ahead->source, ahead->span_bytes, &batch->span))
		return FALSE;
	batch->split = TRUE;
	return TRUE;
}

/* Copies the next lines of the input into @batch, numbered; called in batch order. */
static void
take(PhMappingAhead *ahead, Batch *batch)
{
	batch_reset(batch);
	batch->counted = TRUE;
	while (batch->n_lines < ahead->max_lines && batch->bytes->len < BATCH_BYTES) {
		const gchar *line = NULL;
		gsize len = 0;
		guint i = batch->n_lines;

		if (ahead->ops->take_run != NULL) {
			PhLineRun run = {batch->bytes,     batch->line_at,     batch->line_len,
			                 batch->line_no,   batch->line_offset, i,
			                 ahead->max_lines, BATCH_BYTES};

			ahead->ops->take_run(ahead->source, &run);
			batch->n_lines = run.n_lines;
			if (run.n_lines > i)
				continue;
		}

		if (!ahead->ops->next_line(ahead->source, &line, &len, &batch->line_no[i],
		                           &batch->line_offset[i], &batch->take_error)) {
			batch->end = batch->take_error == NULL;
			ahead->input_done = TRUE;
			break;
		}
		batch->line_at[i] = batch->bytes->len;
		batch->line_len[i] = len;
		g_string_append_len(batch->bytes, line, (gssize)len);
		batch->n_lines++;
	}
	batch->data = batch->bytes->str;
	batch->final_line = ahead->ops->line_count(ahead->source);
}

/* Grows the arena by at least @more bytes, moving the texts of the records decoded so far
 * (the first @n_records, and @slots) with it. */
static void
grow_arena(PhMappingAhead *ahead, Batch *batch, PhMappingSlot *slots, gsize more)
{
	const gchar *old = batch->arena->str;
	gsize used = batch->arena->len;
	gsize n = (gsize)(batch->n_records + 1) * ahead->n_slots;

	g_string_set_size(batch->arena, batch->arena->allocated_len * 2 + more);
	batch->arena->len = used;
	for (gsize i = 0; i < n; i++) {
		PhMappingSlot *slot =
		        i < (gsize)batch->n_records * ahead->n_slots
		                ? &batch->slots[i]
		                : &slots[i - (gsize)batch->n_records * ahead->n_slots];

		if (slot->state == PH_SLOT_TEXT && slot->text >= old && slot->text <= old + used)
			slot->text = batch->arena->str + (slot->text - old);
	}
}

static gboolean
in_scratch(const PhMappingSlot *slot, const GString *const *scratch)
{
	for (guint i = 0; i < PH_MAPPING_AHEAD_SCRATCH && scratch[i] != NULL; i++) {
		if (slot->text >= scratch[i]->str &&
		    slot->text <= scratch[i]->str + scratch[i]->len)
			return TRUE;
	}
	return FALSE;
}

/* Moves @slot's text, which lies in the decoder's scratch buffers, into the batch's arena,
 * NUL-terminated. */
static void
keep_text(PhMappingAhead *ahead, Batch *batch, PhMappingSlot *slots, PhMappingSlot *slot)
{
	GString *arena = batch->arena;

	if (arena->len + slot->len + 1 >= arena->allocated_len)
		grow_arena(ahead, batch, slots, slot->len + 1);
	memcpy(arena->str + arena->len, slot->text, slot->len);
	arena->str[arena->len + slot->len] = '\0';
	slot->text = arena->str + arena->len;
	arena->len += slot->len + 1;
}

/* The slot texts left in the decoder's scratch buffers: kept in the arena, or gone where
 * nobody reads them, rather than left pointing where they may not be. @held: the
 * slots the decoder says hold them (all ones: it cannot tell, every slot is looked at). */
static void
keep_texts(PhMappingAhead *ahead, Batch *batch, PhMappingSlot *slots, const GString *const *scratch,
           guint64 held)
{
	if (held != ~G_GUINT64_CONSTANT(0) && ahead->n_slots <= 64) {
		guint64 drop = held & ahead->drop_mask;
		guint64 keep = held & ~ahead->drop_mask;

		for (; drop != 0; drop &= drop - 1) {
			PhMappingSlot *slot = &slots[__builtin_ctzll(drop)];

			if (slot->state == PH_SLOT_TEXT)
				slot->text = NULL;
		}
		for (; keep != 0; keep &= keep - 1) {
			PhMappingSlot *slot = &slots[__builtin_ctzll(keep)];

			if (slot->state == PH_SLOT_TEXT && in_scratch(slot, scratch))
				keep_text(ahead, batch, slots, slot);
		}
		return;
	}
	for (guint i = 0; i < ahead->n_slots; i++) {
		PhMappingSlot *slot = &slots[i];

		if (slot->state != PH_SLOT_TEXT)
			continue;
		if (ahead->keep != NULL && !ahead->keep[i])
			slot->text = NULL;
		else if (in_scratch(slot, scratch))
			keep_text(ahead, batch, slots, slot);
	}
}

/* The bytes the batch's lines span. */
static gsize
batch_span(const Batch *batch)
{
	guint n = batch->n_lines;

	return n > 0 ? batch->line_at[n - 1] + batch->line_len[n - 1] : 0;
}

/* Reads and finds the lines of a batch taken by offset (not numbered yet: count does
 * that). */
static void
split(PhMappingAhead *ahead, Batch *batch)
{
	PhLineRun run = {
	        NULL, batch->line_at,   batch->line_len, batch->line_no, batch->line_offset,
	        0,    ahead->max_lines, batch->span.len};
	gsize taken = ahead->ops->split(ahead->source, &batch->span, &run);

	batch->data = batch->span.data; /* read just now, unless take_span did */
	batch->n_lines = run.n_lines;
	batch->stopped = taken < batch->span.len;
	batch->stop_offset = batch->span.offset + taken;
}

/* Slot @i of the decoded records, summed up as PhMappingRun says. */
static void
sum_slot(PhMappingAhead *ahead, Batch *batch, guint i)
{
	gboolean plain = TRUE, steps = TRUE;
	gint64 sum = 0, previous = 0;

	for (guint r = 0; r < batch->n_records && plain; r++) {
		const PhMappingSlot *slot = &batch->slots[(gsize)r * ahead->n_slots + i];

		plain = slot->state == PH_SLOT_INT && slot->number >= 0 &&
		        sum <= G_MAXINT64 - slot->number;
		if (!plain)
			break;
		sum += slot->number;
		steps = steps &&
		        (r == 0 || (previous < G_MAXINT64 && slot->number == previous + 1));
		previous = slot->number;
	}
	batch->plain[i] = plain;
	batch->sums[i] = sum;
	batch->steps[i] = plain && steps;
}

/* What the thread that checks the records in order needs of a batch of one kind. */
static void
sum_up(PhMappingAhead *ahead, Batch *batch)
{
	batch->one_kind = batch->n_records > 0 && ahead->keep != NULL;
	for (guint r = 1; r < batch->n_records && batch->one_kind; r++)
		batch->one_kind = batch->types[r] == batch->types[0];
	for (guint i = 0; batch->one_kind && i < ahead->n_slots; i++) {
		if (ahead->keep[i])
			sum_slot(ahead, batch, i);
	}
}

static void
decode(PhMappingAhead *ahead, Batch *batch, gpointer decoder)
{
	if (batch->split)
		split(ahead, batch);
	/* Usually enough: decoded text is rarely more than twice the bytes it came from. */
	g_string_set_size(batch->arena, batch_span(batch) * 2 + 64);
	g_string_truncate(batch->arena, 0);
	g_string_truncate(batch->out, 0);
	for (guint i = 0; i < batch->n_lines; i++) {
		PhMappingSlot *slots = &batch->slots[(gsize)i * ahead->n_slots];
		const GString *scratch[PH_MAPPING_AHEAD_SCRATCH] = {NULL};
		guint64 in_scratch = ~G_GUINT64_CONSTANT(0);

		/* Lines split here are numbered later: an error is made again then (count). */
		if (!ahead->ops->decode(decoder, batch->data + batch->line_at[i],
		                        batch->line_len[i], batch->split ? 0 : batch->line_no[i],
		                        batch->line_offset[i], &batch->types[i], slots, scratch,
		                        &in_scratch, batch->out, &batch->error))
			break;
		keep_texts(ahead, batch, slots, scratch, in_scratch);
		batch->out_end[i] = batch->out->len;
		batch->n_records++;
	}
	sum_up(ahead, batch);
}

/* The taken batch with the lowest number, or NULL. */
static Batch *
next_taken(PhMappingAhead *ahead)
{
	Batch *found = NULL;

	for (guint i = 0; i < N_BATCHES; i++) {
		Batch *batch = &ahead->batches[i];

		if (batch->state == BATCH_TAKEN && (found == NULL || batch->seq < found->seq))
			found = batch;
	}
	return found;
}

/* All of @len bytes at @offset of @fd; 0 or the errno of the failure. */
static gint
write_at(gint fd, const gchar *data, gsize len, guint64 offset)
{
	while (len > 0) {
		gssize done = pwrite(fd, data, len, (off_t)offset);

		if (done < 0 && errno == EINTR)
			continue;
		if (done < 0)
			return errno;
		data += done;
		len -= (gsize)done;
		offset += (guint64)done;
	}
	return 0;
}

/* With the lock held: writes out every decoded batch whose offset is known, in order, the
 * lock let go while writing, so that the kernel's copy into the file runs in the thread
 * that found it ready (mostly a worker) rather than in the caller's. */
static void
write_ready(PhMappingAhead *ahead)
{
	for (;;) {
		Batch *batch = &ahead->batches[ahead->write_seq % N_BATCHES];
		gint fd, failed;

		if (ahead->out_fd < 0 || batch->state != BATCH_DECODED ||
		    batch->seq != ahead->write_seq || batch->claimed)
			return;
		fd = ahead->out_fd;
		batch->claimed = TRUE;
		batch->out_offset = ahead->write_offset;
		ahead->write_offset += batch->out->len;
		ahead->write_seq++;
		g_mutex_unlock(&ahead->lock);
		failed = write_at(fd, batch->out->str, batch->out->len, batch->out_offset);
		g_mutex_lock(&ahead->lock);
		if (failed != 0 && ahead->write_errno == 0)
			ahead->write_errno = failed;
		batch->written = TRUE;
		g_cond_broadcast(&ahead->changed);
	}
}

/* With the lock held. */
static void
mark_decoded(PhMappingAhead *ahead, Batch *batch)
{
	batch->state = BATCH_DECODED;
	g_cond_broadcast(&ahead->changed);
	write_ready(ahead);
}

/* A worker: decodes taken batches, lowest first, until the reader stops. */
static gpointer
work(gpointer data)
{
	PhMappingAhead *ahead = data;
	gpointer decoder = ahead->ops->decoder_new(ahead->layout);
	Batch *batch;

	g_mutex_lock(&ahead->lock);
	for (;;) {
		while (!ahead->stop && (batch = next_taken(ahead)) == NULL)
			g_cond_wait(&ahead->changed, &ahead->lock);
		if (ahead->stop)
			break;
		batch->state = BATCH_DECODING;
		g_mutex_unlock(&ahead->lock);
		decode(ahead, batch, decoder);
		g_mutex_lock(&ahead->lock);
		mark_decoded(ahead, batch);
	}
	g_mutex_unlock(&ahead->lock);
	ahead->ops->decoder_free(decoder);
	return NULL;
}

PhMappingAhead *
ph_mapping_ahead_new(const PhMappingAheadOps *ops, gpointer layout, gpointer source, guint n_slots)
{
	PhMappingAhead *ahead = g_new0(PhMappingAhead, 1);

	ahead->ops = ops;
	ahead->layout = layout;
	ahead->source = source;
	ahead->n_slots = MAX(n_slots, 1);
	ahead->max_lines =
	        CLAMP(BATCH_SLOT_BYTES / (ahead->n_slots * sizeof(PhMappingSlot)), 16, BATCH_LINES);
	ahead->span_bytes = BATCH_BYTES / 8;
	ahead->out_fd = -1;
	for (guint i = 0; i < N_BATCHES; i++)
		batch_init(&ahead->batches[i], ahead->max_lines, ahead->n_slots);
	ahead->own_decoder = ops->decoder_new(layout);
	g_mutex_init(&ahead->lock);
	g_cond_init(&ahead->changed);
	return ahead;
}

void
ph_mapping_ahead_free(PhMappingAhead *ahead)
{
	if (ahead == NULL)
		return;
	g_mutex_lock(&ahead->lock);
	ahead->stop = TRUE;
	g_cond_broadcast(&ahead->changed);
	g_mutex_unlock(&ahead->lock);
	for (guint i = 0; i < ahead->n_workers; i++)
		g_thread_join(ahead->workers[i]);
	ahead->ops->decoder_free(ahead->own_decoder);
	for (guint i = 0; i < N_BATCHES; i++)
		batch_clear(&ahead->batches[i]);
	g_free(ahead->keep);
	g_mutex_clear(&ahead->lock);
	g_cond_clear(&ahead->changed);
	g_free(ahead);
}

/* The first batch is read in the caller's thread; workers start only when there is more,
 * and only where there is a second processor. */
static void
start_workers(PhMappingAhead *ahead)
{
	guint n = MIN(g_get_num_processors() - 1, MAX_WORKERS);

	for (guint i = 0; i < n; i++) {
		GThread *thread = g_thread_try_new("ph-mapping-ahead", work, ahead, NULL);

		/* Without threads the caller's thread decodes: slower, not wrong. */
		if (thread == NULL)
			break;
		ahead->workers[ahead->n_workers++] = thread;
	}
}

/* Waits until @batch is decoded, in whichever thread; meanwhile this thread decodes the
 * batches no worker took yet, lowest first, rather than sleeping while there is work. */
static void
wait_decoded(PhMappingAhead *ahead, Batch *batch)
{
	g_mutex_lock(&ahead->lock);
	while (batch->state != BATCH_DECODED) {
		Batch *other = next_taken(ahead);

		if (other == NULL) {
			g_cond_wait(&ahead->changed, &ahead->lock);
			continue;
		}
		other->state = BATCH_DECODING;
		g_mutex_unlock(&ahead->lock);
		decode(ahead, other, ahead->own_decoder);
		g_mutex_lock(&ahead->lock);
		mark_decoded(ahead, other);
	}
	g_mutex_unlock(&ahead->lock);
}

/* A batch's lines by offset are sized by what the lines seen so far take, so that they
 * rarely outnumber a batch (split then stops, and the input goes back). */
static void
learn(PhMappingAhead *ahead, const Batch *batch)
{
	gsize bytes = batch_span(batch) + batch->n_lines;

	if (batch->n_lines > 0)
		ahead->span_bytes =
		        CLAMP(bytes / batch->n_lines * ahead->max_lines / 8 * 7, 4096, BATCH_BYTES);
}

/* Makes the error of a line split in another thread again, now that its number is known:
 * the same decoder on the same bytes fails the same way, with the line in the message. */
static void
redecode(PhMappingAhead *ahead, Batch *batch)
{
	guint i = batch->n_records;
	const GString *scratch[PH_MAPPING_AHEAD_SCRATCH] = {NULL};
	guint64 in_scratch = ~G_GUINT64_CONSTANT(0);

	g_clear_error(&batch->error);
	if (!ahead->ops->decode(ahead->own_decoder, batch->data + batch->line_at[i],
	                        batch->line_len[i], batch->line_no[i], batch->line_offset[i],
	                        &batch->types[i], &batch->slots[(gsize)i * ahead->n_slots], scratch,
	                        &in_scratch, batch->out, &batch->error))
		return;
	g_set_error(&batch->error, PH_ERROR, PH_ERROR_FAILED,
	            "line %" G_GUINT64_FORMAT ": decoded differently in two threads",
	            batch->line_no[i]);
}

/* The batches after @batch took lines from beyond where its split stopped: they are
 * dropped, and the input goes back to the first line it did not take, which is then read
 * line by line. */
static void
go_back(PhMappingAhead *ahead, Batch *batch)
{
	g_mutex_lock(&ahead->lock);
	for (guint i = 0; i < N_BATCHES; i++) {
		Batch *later = &ahead->batches[i];

		if (later->state == BATCH_FREE || later->seq <= batch->seq)
			continue;
		while (later->state == BATCH_DECODING || (later->claimed && !later->written))
			g_cond_wait(&ahead->changed, &ahead->lock);
		later->state = BATCH_FREE;
	}
	/* Written batches from beyond the stop are written over, or cut off at the end. */
	if (batch->claimed) {
		ahead->write_seq = batch->seq + 1;
		ahead->write_offset = batch->out_offset + batch->out->len;
	}
	g_mutex_unlock(&ahead->lock);
	ahead->next_seq = batch->seq + 1;
	ahead->input_done = FALSE;
	/* Its first line could not be read by offset (the file changed, a read failed): that
	 * line goes through next_line, so that taking it again cannot stop the same way. */
	ahead->by_line = batch->n_lines == 0;
	if (!ahead->ops->rewind(ahead->source, batch->stop_offset)) {
		g_set_error(&batch->take_error, PH_ERROR, PH_ERROR_FAILED,
		            "line %" G_GUINT64_FORMAT ": cannot read the input again from there",
		            batch->final_line + 1);
		ahead->input_done = TRUE;
	}
}

/* Numbers the lines of a decoded batch taken by offset and counts them into the input's,
 * in batch order, in the caller's thread. */
static void
count(PhMappingAhead *ahead, Batch *batch)
{
	guint64 first = ahead->ops->line_count(ahead->source);
	guint n = batch->n_lines;

	ahead->counted_seq = batch->seq + 1;
	if (batch->counted)
		return;
	batch->counted = TRUE;
	for (guint i = 0; i < n; i++)
		batch->line_no[i] = first + i + 1;
	ahead->ops->count(ahead->source, n, n > 0 ? batch->line_offset[n - 1] : 0);
	batch->final_line = first + n;
	learn(ahead, batch);
	if (batch->error != NULL)
		redecode(ahead, batch);
	else if (batch->stopped)
		go_back(ahead, batch);
}

/* Counts the batches taken before @until, waiting for their decoding. */
static void
count_through(PhMappingAhead *ahead, guint64 until)
{
	while (ahead->counted_seq < MIN(until, ahead->next_seq)) {
		Batch *batch = &ahead->batches[ahead->counted_seq % N_BATCHES];

		wait_decoded(ahead, batch);
		count(ahead, batch);
	}
}

/* Takes the next batch's lines in this (the caller's) thread: by offset where the source
 * can, else line by line once every line before is counted. */
static Batch *
take_next(PhMappingAhead *ahead)
{
	Batch *batch = &ahead->batches[ahead->next_seq % N_BATCHES];

	batch_reset(batch);
	if (!ahead->by_line && take_span(ahead, batch)) {
		batch->seq = ahead->next_seq++;
		return batch;
	}
	count_through(ahead, ahead->next_seq);
	batch = &ahead->batches[ahead->next_seq % N_BATCHES];
	batch->seq = ahead->next_seq++;
	take(ahead, batch);
	ahead->by_line = FALSE;
	ahead->counted_seq = ahead->next_seq;
	learn(ahead, batch);
	return batch;
}

/* Fills every free batch with lines for the workers. */
static void
top_up(PhMappingAhead *ahead)
{
	while (!ahead->input_done && ahead->next_seq < ahead->seq + N_BATCHES) {
		Batch *batch = take_next(ahead);

		g_mutex_lock(&ahead->lock);
		batch->state = BATCH_TAKEN;
		g_cond_broadcast(&ahead->changed);
		g_mutex_unlock(&ahead->lock);
	}
}

/* The batch the caller reads next, once decoded. */
static Batch *
current(PhMappingAhead *ahead)
{
	Batch *batch = &ahead->batches[ahead->seq % N_BATCHES];

	if (ahead->ready)
		return batch;
	if (!ahead->started || ahead->n_workers == 0) {
		/* The first batch, or one processor: decoded in this thread. */
		ahead->started = TRUE;
		if (batch->state == BATCH_FREE) {
			take_next(ahead);
			decode(ahead, batch, ahead->own_decoder);
			g_mutex_lock(&ahead->lock);
			mark_decoded(ahead, batch);
			g_mutex_unlock(&ahead->lock);
		}
		count_through(ahead, ahead->seq + 1);
		if (ahead->seq == 0 && !ahead->input_done)
			start_workers(ahead);
		ahead->ready = TRUE;
		return batch;
	}
	top_up(ahead);
	/* Nobody touches a decoded batch until it is released: no lock per record. */
	wait_decoded(ahead, batch);
	count_through(ahead, ahead->seq + 1);
	ahead->ready = TRUE;
	return batch;
}

static void
release(PhMappingAhead *ahead, Batch *batch)
{
	g_mutex_lock(&ahead->lock);
	/* Its output may still be on its way to the file. */
	while (batch->claimed && !batch->written)
		g_cond_wait(&ahead->changed, &ahead->lock);
	batch->state = BATCH_FREE;
	g_mutex_unlock(&ahead->lock);
	ahead->seq++;
	ahead->index = 0;
	ahead->ready = FALSE;
	ahead->out_taken = 0;
}

/* The slots of a record a few ahead, which a worker wrote on the other core, are asked
 * into this core's cache while the caller checks the ones before it. Written out in the
 * caller: GCC drops a static function that does nothing but prefetch. */
#define PREFETCH_AHEAD 16
#define PREFETCH(ahead, batch, i)                                                                  \
	do {                                                                                       \
		gsize bytes_ = (ahead)->n_slots * sizeof(PhMappingSlot);                           \
                                                                                                   \
		if ((i) < (batch)->n_records) {                                                    \
			const gchar *start_ =                                                      \
			        (const gchar *)&(batch)->slots[(gsize)(i) * (ahead)->n_slots];     \
                                                                                                   \
			for (gsize at_ = 0; at_ < bytes_; at_ += 64)                               \
				__builtin_prefetch(start_ + at_);                                  \
		}                                                                                  \
	} while (0)

gboolean
ph_mapping_ahead_next(PhMappingAhead *ahead, const PhMappingRecord **type,
                      const PhMappingSlot **slots, GError **error)
{
	for (;;) {
		Batch *batch = current(ahead);

		if (ahead->index < batch->n_records) {
			guint i = ahead->index++;

			PREFETCH(ahead, batch, i + PREFETCH_AHEAD);

			*type = batch->types[i];
			*slots = &batch->slots[(gsize)i * ahead->n_slots];
			ahead->line = batch->line_no[i];
			return TRUE;
		}
		if (batch->error != NULL || batch->take_error != NULL || batch->end) {
			GError **stored = batch->error != NULL ? &batch->error : &batch->take_error;

			ahead->line = batch->error != NULL ? batch->line_no[batch->n_records]
			                                   : batch->final_line;
			if (*stored != NULL)
				g_propagate_error(error, g_steal_pointer(stored));
			batch->end = TRUE; /* asked again: the end */
			return FALSE;
		}
		release(ahead, batch);
	}
}

guint64
ph_mapping_ahead_line(const PhMappingAhead *ahead)
{
	return ahead->line;
}

gboolean
ph_mapping_ahead_started(const PhMappingAhead *ahead)
{
	return ahead->started;
}

gboolean
ph_mapping_ahead_batch_done(const PhMappingAhead *ahead)
{
	return ahead->ready && ahead->index >= ahead->batches[ahead->seq % N_BATCHES].n_records;
}

const gchar *
ph_mapping_ahead_take_output(PhMappingAhead *ahead, gboolean drop_last, gsize *len)
{
	const Batch *batch = &ahead->batches[ahead->seq % N_BATCHES];
	guint n = ahead->ready ? ahead->index - (drop_last && ahead->index > 0 ? 1 : 0) : 0;
	gsize end = n > 0 ? batch->out_end[n - 1] : 0;
	const gchar *text = batch->out->str + ahead->out_taken;

	*len = end > ahead->out_taken ? end - ahead->out_taken : 0;
	ahead->out_taken = MAX(end, ahead->out_taken);
	return text;
}

void
ph_mapping_ahead_write_to(PhMappingAhead *ahead, gint fd, guint64 offset)
{
	g_return_if_fail(!ahead->started);
	ahead->out_fd = fd;
	ahead->out_start = offset;
	ahead->write_offset = offset;
}

/* With the lock held: no write starts after this, and none is under way when it returns. */
static void
stop_writing(PhMappingAhead *ahead)
{
	ahead->out_fd = -1;
	for (guint i = 0; i < N_BATCHES; i++) {
		const Batch *batch = &ahead->batches[i];

		while (batch->claimed && !batch->written)
			g_cond_wait(&ahead->changed, &ahead->lock);
	}
}

gboolean
ph_mapping_ahead_output_end(PhMappingAhead *ahead, gboolean drop_last, guint64 *end, GError **error)
{
	const Batch *batch = &ahead->batches[ahead->seq % N_BATCHES];
	guint n = ahead->ready ? ahead->index - (drop_last && ahead->index > 0 ? 1 : 0) : 0;
	gint failed;

	g_mutex_lock(&ahead->lock);
	/* The current batch is decoded, and so are those before it: its offset is known. */
	while (ahead->ready && ahead->out_fd >= 0 && !batch->claimed)
		g_cond_wait(&ahead->changed, &ahead->lock);
	stop_writing(ahead);
	failed = ahead->write_errno;
	g_mutex_unlock(&ahead->lock);
	*end = ahead->ready && batch->claimed
	               ? batch->out_offset + (n > 0 ? batch->out_end[n - 1] : 0)
	               : ahead->out_start;
	if (failed == 0)
		return TRUE;
	g_set_error(error, G_IO_ERROR, g_io_error_from_errno(failed), "Error writing to file: %s",
	            g_strerror(failed));
	return FALSE;
}

void
ph_mapping_ahead_keep_only(PhMappingAhead *ahead, const gboolean *keep)
{
	g_return_if_fail(!ahead->started);
	g_free(ahead->keep);
	ahead->keep = g_memdup2(keep, ahead->n_slots * sizeof(gboolean));
	ahead->drop_mask = 0;
	for (guint i = 0; i < ahead->n_slots && i < 64; i++) {
		if (!keep[i])
			ahead->drop_mask |= G_GUINT64_CONSTANT(1) << i;
	}
}

gboolean
ph_mapping_ahead_next_run(PhMappingAhead *ahead, PhMappingRun *run)
{
	Batch *batch = current(ahead);

	/* A batch done with, and not the last: the next one. */
	while (ahead->index >= batch->n_records && batch->error == NULL &&
	       batch->take_error == NULL && !batch->end) {
		release(ahead, batch);
		batch = current(ahead);
	}
	if (ahead->index != 0 || !batch->one_kind)
		return FALSE;
	*run = (PhMappingRun){
	        batch->types[0], batch->n_records, batch->line_no[batch->n_records - 1],
	        batch->slots,    batch->plain,     batch->sums,
	        batch->steps};
	return TRUE;
}

void
ph_mapping_ahead_take_run(PhMappingAhead *ahead)
{
	const Batch *batch = &ahead->batches[ahead->seq % N_BATCHES];

	ahead->index = batch->n_records;
	ahead->line = batch->line_no[batch->n_records - 1];
}
