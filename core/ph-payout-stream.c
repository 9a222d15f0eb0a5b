/* The upload's walk of a batch's items (see ph-payout-stream.h): a reader thread takes the
 * binary COPY off the connection, opens the numbers into a block's text and hands full blocks
 * over; the caller's thread calls the function. Core only. */
#include "ph-payout-stream.h"

#include "ph-bulk-stream.h"
#include "ph-bulk.h"
#include "ph-error.h"
#include "ph-field-cipher.h"

/* The items of batch %ld as the bank's file needs them, in serial order: the primary key's
 * order, named by its table, since "ORDER BY serial" would name the bigint output column and
 * make PostgreSQL sort a million rows it reads in order already. */
#define PH_PAYOUT_STREAM_COPY                                                                      \
	"COPY (SELECT serial::bigint, person_id, id_number, name, account, amount FROM "           \
	"payout_item WHERE batch_no = %" G_GINT64_FORMAT " ORDER BY payout_item.serial) TO "       \
	"STDOUT (FORMAT binary)"
#define PH_PAYOUT_STREAM_FIELDS 6

/* One item; its texts are offsets into the block's @text, each ending in a NUL. */
typedef struct {
	gint serial;
	gint64 person_id;
	gint64 amount;
	gsize id_number;
	gsize name;
	gsize account;
} PhPayoutStreamEntry;

typedef struct {
	PhPayoutStreamEntry entries[PH_PAYOUT_STREAM_ITEMS];
	guint count;
	gboolean last; /* nothing follows */
	GString *text;
} PhPayoutStreamBlock;

typedef struct {
	PGconn *conn;
	GAsyncQueue *full;      /* blocks to call the function with, in order */
	GAsyncQueue *spare;     /* blocks handed back, to be filled again */
	PhPayoutItemFunc ahead; /* may be NULL; called on the reader's thread */
	gpointer user_data;
	gint stop;       /* atomic: the function failed; rows are read and dropped */
	GError *error;   /* the reader's; read once the thread has ended */
	gboolean header; /* the COPY's header is still to come */
	gboolean end;    /* its trailer came */
} PhPayoutStreamReader;

static void
ph_payout_stream_block_free(PhPayoutStreamBlock *block)
{
	g_string_free(block->text, TRUE);
	g_free(block);
}

static gboolean
ph_payout_stream_malformed(GError **error)
{
	g_set_error(error, PH_ERROR, PH_ERROR_DATABASE,
	            "reading payout items failed: malformed row");
	return FALSE;
}

/* Appends @length bytes of @stored to @block's text, opened when sealed, and a NUL; the
 * offset of the text is stored in @offset. */
static gboolean
ph_payout_stream_open(PhPayoutStreamBlock *block, const guint8 *stored, gsize length,
                      const gchar *field, gsize *offset, GError **error)
{
	*offset = block->text->len;
	if (!ph_field_open_append_named((const gchar *)stored, length, field, block->text, error))
		return FALSE;
	g_string_append_c(block->text, '\0');
	return TRUE;
}

/* Item @i of @block, its texts valid until the block's text grows or is reused. */
static void
ph_payout_stream_item(const PhPayoutStreamBlock *block, guint i, PhPayoutItem *item)
{
	const gchar *text = block->text->str;
	const PhPayoutStreamEntry *entry = &block->entries[i];
	*item = (PhPayoutItem){
	        .serial = entry->serial,
	        .person_id = entry->person_id,
	        .id_number = text + entry->id_number,
	        .name = text + entry->name,
	        .account = text + entry->account,
	        .amount = entry->amount,
	};
}

/* One row of the COPY into @block (nothing for the trailer), then through the ahead
 * function. */
static gboolean
ph_payout_stream_row(PhPayoutStreamReader *reader, const guint8 *message, gsize size,
                     PhPayoutStreamBlock *block, GError **error)
{
	PhBulkStreamRow row;
	gint64 serial = 0, person_id = 0, amount = 0;
	if (!ph_bulk_stream_parse(message, size, &reader->header, &row, &reader->end, error))
		return FALSE;
	if (reader->end)
		return TRUE;
	/* no column of the query is NULL (all NOT NULL) */
	if (row.n_fields != PH_PAYOUT_STREAM_FIELDS || !ph_bulk_stream_int64(&row, 0, &serial) ||
	    !ph_bulk_stream_int64(&row, 1, &person_id) || !ph_bulk_stream_int64(&row, 5, &amount) ||
	    ph_bulk_stream_is_null(&row, 2) || ph_bulk_stream_is_null(&row, 3) ||
	    ph_bulk_stream_is_null(&row, 4))
		return ph_payout_stream_malformed(error);
	PhPayoutStreamEntry *entry = &block->entries[block->count];
	entry->serial = (gint)serial;
	entry->person_id = person_id;
	entry->amount = amount;
	entry->name = block->text->len;
	g_string_append_len(block->text, (const gchar *)row.data[3], row.length[3]);
	g_string_append_c(block->text, '\0');
	if (!ph_payout_stream_open(block, row.data[2], (gsize)row.length[2], "AAC002",
	                           &entry->id_number, error) ||
	    !ph_payout_stream_open(block, row.data[4], (gsize)row.length[4], "AAE010",
	                           &entry->account, error))
		return FALSE;
	PhPayoutItem item;
	ph_payout_stream_item(block, block->count++, &item);
	return reader->ahead == NULL || reader->ahead(&item, reader->user_data, error);
}

/* One message of the COPY into @block; a failure is the reader's error. */
static void
ph_payout_stream_take(PhPayoutStreamReader *reader, const guint8 *message, gsize size,
                      PhPayoutStreamBlock *block)
{
	if (reader->end) /* nothing may follow the trailer */
		ph_payout_stream_malformed(&reader->error);
	else
		ph_payout_stream_row(reader, message, size, block, &reader->error);
}

/* The reader thread: every row into blocks. After a failure (its own, or the function's) the
 * rest is read and dropped, so that the COPY ends and the connection is usable again. The
 * last block it hands over says so. */
static gpointer
ph_payout_stream_read(gpointer user_data)
{
	PhPayoutStreamReader *reader = user_data;
	PhPayoutStreamBlock *block = g_async_queue_pop(reader->spare);
	char *message = NULL;
	int size;
	while ((size = PQgetCopyData(reader->conn, &message, 0)) > 0) {
		if (block != NULL && !g_atomic_int_get(&reader->stop))
			ph_payout_stream_take(reader, (const guint8 *)message, (gsize)size, block);
		PQfreemem(message);
		if (block != NULL &&
		    (block->count == PH_PAYOUT_STREAM_ITEMS || reader->error != NULL)) {
			/* after an error, the items before it and then nothing */
			gboolean last = reader->error != NULL;
			block->last = last;
			g_async_queue_push(reader->full, block);
			block = last ? NULL : g_async_queue_pop(reader->spare);
		}
	}
	gboolean stopped = reader->error != NULL || g_atomic_int_get(&reader->stop);
	GError **failure = stopped ? NULL : &reader->error;
	if (size != -1)
		ph_bulk_fail(reader->conn, "reading payout items", failure);
	else if (ph_bulk_copy_result(reader->conn, "reading payout items", failure) &&
	         !reader->end && !stopped)
		ph_payout_stream_malformed(failure);
	if (block != NULL) {
		block->last = TRUE;
		g_async_queue_push(reader->full, block);
	}
	return NULL;
}

/* Calls @func with each item of @block; FALSE at its first failure. */
static gboolean
ph_payout_stream_call(const PhPayoutStreamBlock *block, PhPayoutItemFunc func, gpointer user_data,
                      GError **error)
{
	for (guint i = 0; i < block->count; i++) {
		PhPayoutItem item;
		ph_payout_stream_item(block, i, &item);
		if (!func(&item, user_data, error))
			return FALSE;
	}
	return TRUE;
}

static PhPayoutStreamBlock *
ph_payout_stream_block_new(void)
{
	PhPayoutStreamBlock *block = g_new0(PhPayoutStreamBlock, 1);
	/* an item's three texts are some 60 bytes */
	block->text = g_string_sized_new(PH_PAYOUT_STREAM_ITEMS * 80);
	return block;
}

/* Takes the blocks off the reader until its last one, calling @func until it fails. */
static gboolean
ph_payout_stream_consume(PhPayoutStreamReader *reader, PhPayoutItemFunc func, gpointer user_data,
                         GError **error)
{
	gboolean ok = TRUE;
	gboolean last = FALSE;
	while (!last) {
		PhPayoutStreamBlock *block = g_async_queue_pop(reader->full);
		last = block->last;
		if (ok && !ph_payout_stream_call(block, func, user_data, error)) {
			ok = FALSE;
			g_atomic_int_set(&reader->stop, 1);
		}
		block->count = 0;
		g_string_truncate(block->text, 0);
		g_async_queue_push(reader->spare, block);
	}
	return ok;
}

gboolean
ph_payout_stream_items(PhDb *db, gint64 batch_no, PhPayoutItemFunc ahead, PhPayoutItemFunc func,
                       gpointer user_data, GError **error)
{
	g_return_val_if_fail(db != NULL && func != NULL && ph_db_in_transaction(db), FALSE);
	PGconn *conn = ph_db_get_conn(db);
	g_autofree gchar *sql = g_strdup_printf(PH_PAYOUT_STREAM_COPY, batch_no);
	/* JIT compiling a million-row plan costs more than it saves (as in ph_bulk_run) */
	if (!ph_db_exec(db, "SET LOCAL jit = off", error))
		return FALSE;
	g_autoptr(PGresult) started = PQexec(conn, sql);
	if (PQresultStatus(started) != PGRES_COPY_OUT)
		return ph_bulk_fail(conn, "reading payout items", error);
	PhPayoutStreamReader reader = {
	        .conn = conn,
	        .full = g_async_queue_new_full((GDestroyNotify)ph_payout_stream_block_free),
	        .spare = g_async_queue_new_full((GDestroyNotify)ph_payout_stream_block_free),
	        .ahead = ahead,
	        .user_data = user_data,
	        .header = TRUE,
	};
	for (guint i = 0; i < PH_PAYOUT_STREAM_BLOCKS; i++)
		g_async_queue_push(reader.spare, ph_payout_stream_block_new());
	/* the connection is the reader's until it has ended */
	GThread *thread = g_thread_new("ph-payout-read", ph_payout_stream_read, &reader);
	GError *failure = NULL;
	gboolean ok = ph_payout_stream_consume(&reader, func, user_data, &failure);
	g_thread_join(thread);
	g_async_queue_unref(reader.full);
	g_async_queue_unref(reader.spare);
	if (ok && reader.error != NULL) {
		g_propagate_error(error, g_steal_pointer(&reader.error));
		return FALSE;
	}
	g_clear_error(&reader.error);
	if (!ok)
		g_propagate_error(error, failure);
	return ok;
}
