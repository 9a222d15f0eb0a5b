/* The mapping model shared by the loader, the field codec and the layouts. Mapping engine
 * only (hub/ph-mapping*.c, hub/ph-layout-*.c); adapters use ph-mapping.h. */
#pragma once

#include <libxml/tree.h>
#include <string.h>

#include "ph-codetable.h"
#include "ph-encoding.h"
#include "ph-mapping.h"

G_BEGIN_DECLS

typedef enum {
	PH_FIELD_TEXT,
	PH_FIELD_DIGITS,  /* a string of digits kept as written (batch numbers, periods) */
	PH_FIELD_INTEGER, /* a number: leading zeros are padding */
	PH_FIELD_AMOUNT,  /* money: fen in the canonical record, fen or yuan in the file */
} PhFieldType;

typedef enum {
	PH_COMPUTE_NONE,
	PH_COMPUTE_COUNT,
	PH_COMPUTE_SUM,
	PH_COMPUTE_SEQUENCE, /* 1, 2, 3 … over the records of kind "of" */
} PhCompute;

typedef enum {
	PH_CHECK_NONE,
	PH_CHECK_CITIZEN_ID,
	PH_CHECK_USCC,
	PH_CHECK_LUHN,
} PhFieldCheck;

typedef enum {
	PH_POSITION_BODY,
	PH_POSITION_FIRST,
	PH_POSITION_LAST,
} PhRecordPosition;

/* One step of an XML path: an element (namespace URI + local name) or an attribute. */
typedef struct {
	gchar *ns;
	gchar *name;
	gboolean attribute;
} PhMappingStep;

typedef struct {
	gchar *key; /* NULL for a constant that is not part of the canonical record */
	gchar *constant;
	gsize constant_len;
	gboolean tag; /* the constant tells the record kind */
	gsize bytes;
	gsize offset; /* fixed: byte offset in the line */
	gchar *column;
	PhMappingStep *steps; /* XML: path relative to the record element */
	guint n_steps;
	PhFieldType type;
	gboolean yuan;
	gboolean align_right;
	gchar pad;
	gboolean required;
	gboolean truncate;
	PhCodeTable *table; /* borrowed from the mapping */
	PhValueMap *map;    /* borrowed from the mapping */
	PhFieldCheck check;
	PhCompute compute;
	gchar *of_kind;
	guint of; /* index of the counted record kind */
	gchar *sum_of;
	gchar *where;
	gchar *where_value;
	gboolean where_differs;
	guint line;
	guint computation; /* index into PhMapping.computed */
	guint index;       /* position in its record */
	gchar *json_key;   /* ,"KEY": as canonical JSON writes it (keyed fields) */
	gsize json_key_len;
} PhMappingField;

/* How errors name a field: its key, or its constant when it has none. */
#define PH_MAPPING_FIELD_NAME(field) ((field)->key != NULL ? (field)->key : (field)->constant)

typedef struct {
	gchar *kind;
	PhRecordPosition position;
	GPtrArray *fields;    /* PhMappingField */
	GHashTable *keys;     /* the fields' keys (borrowed), for the writer's check */
	gsize width;          /* fixed: bytes without the line end */
	PhMappingStep *steps; /* XML: absolute path from the root element */
	guint n_steps;
	gboolean container;
	guint index;
	guint line;
	gchar *json_kind; /* {"kind":"D" as canonical JSON starts the record */
	gsize json_kind_len;
} PhMappingRecord;

struct _PhMapping {
	gint ref;
	gchar *name;
	gchar *path;
	gchar *title;
	PhMappingFormat format;
	gchar *encoding;
	gboolean crlf;
	gboolean bom; /* UTF-8 file with a byte order mark */
	gchar delimiter;
	gchar quote; /* 0: no quoting */
	gboolean header;
	GPtrArray *namespaces; /* prefix, uri, prefix, uri … in file order */
	gsize max_bytes;
	guint max_depth;
	GPtrArray *records;  /* PhMappingRecord */
	GPtrArray *computed; /* PhMappingField with compute != NONE, all records */
	GPtrArray *tables;   /* PhCodeTable, owned */
	GPtrArray *maps;     /* PhValueMap, owned */
};

/* A layout (fixed, delimited, XML): the format-specific half of a reader and a writer. */
typedef struct _PhMappingTotals PhMappingTotals;

/* One field's value in a record held without a PhRecord, one slot per field of the record
 * kind in field order: the fast paths (fixed-width lines, canonical JSON Lines) fill and
 * read these instead of looking values up by key. */
typedef enum {
	PH_SLOT_ABSENT,
	PH_SLOT_TEXT, /* UTF-8 @text of @len bytes; NUL-terminated when it goes to a writer */
	PH_SLOT_INT,  /* @number (counts, fen); @text, when not NULL, its digits as JSON writes
	               * them (ph-mapping-program.c leaves them so) */
} PhSlotState;

typedef struct {
	const gchar *text;
	gsize len;
	gint64 number;
	PhSlotState state;
} PhMappingSlot;

/* The records of a whole batch at once, for the checks of the one thread that reads them in
 * order (ph-mapping-totals.c), summed up by the thread that decoded them: only the slots the
 * computed fields read (ph_mapping_ahead_keep_only()). */
typedef struct {
	const PhMappingRecord *type; /* of every record */
	guint n;                     /* records */
	guint64 last_line;
	const PhMappingSlot *first; /* the first record's slots */
	const gboolean *plain;      /* per slot: a number >= 0 in every record, */
	const gint64 *sums;         /* their sum (no overflow), */
	const gboolean *steps;      /* and each the one before + 1 */
} PhMappingRun;

typedef struct {
	gpointer (*reader_new)(PhMapping *mapping, GInputStream *input, GError **error);
	/* FALSE with no error at the end of input. */
	gboolean (*reader_next)(gpointer state, PhRecord *record, const PhMappingRecord **type,
	                        GError **error);
	guint64 (*reader_line)(gpointer state);
	void (*reader_free)(gpointer state);
	gpointer (*writer_new)(PhMapping *mapping, GOutputStream *output, GError **error);
	gboolean (*writer_write)(gpointer state, const PhMappingRecord *type,
	                         const PhRecord *record, PhMappingTotals *totals, GError **error);
	gboolean (*writer_finish)(gpointer state, GError **error);
	void (*writer_free)(gpointer state);
	/* Optional fast paths. The next record as slots (valid until the next call), same
	 * contract as reader_next: */
	gboolean (*reader_next_slots)(gpointer state, const PhMappingRecord **type,
	                              const PhMappingSlot **slots, GError **error);
	/* Asks, before the first record, that the layout also write each record as a line of
	 * canonical JSON (ph_mapping_slots_append_json() and a newline), to be taken with
	 * reader_take_json; FALSE when it cannot (then nothing is written): */
	gboolean (*reader_want_json)(gpointer state);
	/* TRUE when the lines of the records returned so far must be taken now: the next
	 * record would come from other memory. */
	gboolean (*reader_json_due)(gpointer state);
	/* The JSON Lines of the records returned since the last call, valid until the next
	 * record is asked for; without the last record's line when @drop_last (it was
	 * rejected). */
	const gchar *(*reader_take_json)(gpointer state, gboolean drop_last, gsize *len);
	/* Instead of reader_want_json, before the first record: the lines written by the
	 * decoding threads straight into the regular file @fd from @offset on; FALSE when the
	 * layout cannot (nothing changes then). Once reading stopped, reader_json_end says where
	 * the lines of the records returned end there (as reader_take_json with @drop_last),
	 * with every write done and none to come; FALSE with @error when a write failed. */
	gboolean (*reader_want_json_fd)(gpointer state, gint fd, guint64 offset);
	gboolean (*reader_json_end)(gpointer state, gboolean drop_last, guint64 *end,
	                            GError **error);
	/* Optional, with the JSON Lines written by the decoders: the next records all of one
	 * kind, a whole batch, as one run (FALSE when the next records do not come so: then
	 * reader_next_slots, as ever). reader_take_run takes them as returned. */
	gboolean (*reader_next_run)(gpointer state, PhMappingRun *run);
	void (*reader_take_run)(gpointer state);
	/* A record given as slots, text NUL-terminated; @prepared (or NULL) what
	 * writer_prepare made of it: */
	gboolean (*writer_write_slots)(gpointer state, const PhMappingRecord *type,
	                               const PhMappingSlot *slots, const PhMappingSlot *prepared,
	                               PhMappingTotals *totals, GError **error);
	/* In another thread (one preparer each): what can be encoded of a record before the
	 * writer sees it, into *@prepared (texts in @scratch), from @slots whose texts need
	 * not be NUL-terminated. Never an error: what fails is left to writer_write_slots,
	 * which then reports it in order. TRUE when every field was prepared: the writer then
	 * reads no slot's text but through the totals (which go by length). */
	gpointer (*writer_prepare_new)(gpointer state);
	void (*writer_prepare_free)(gpointer preparer);
	gboolean (*writer_prepare)(gpointer preparer, const PhMappingRecord *type,
	                           const PhMappingSlot *slots, PhMappingSlot *prepared,
	                           const GString **scratch);
} PhLayoutOps;

extern const PhLayoutOps ph_layout_fixed_ops;
extern const PhLayoutOps ph_layout_delimited_ops;
extern const PhLayoutOps ph_layout_xml_ops;

/* ph-codetable.c: a value map declared inside a mapping file. */
PhValueMap *ph_valuemap_new_from_node(const gchar *path, xmlNode *node, GError **error);

/* ph-mapping.c */
const PhMappingRecord *ph_mapping_find_record(const PhMapping *mapping, const gchar *kind);

/* ph-mapping-field.c: partner text <-> canonical value of one field. */
/* Decodes partner text (UTF-8, padding already removed) into @slot, which may point into
 * @text. Errors name the record and field. */
gboolean ph_mapping_field_decode_slot(const PhMappingRecord *type, const PhMappingField *field,
                                      const gchar *text, gsize len, PhMappingSlot *slot,
                                      GError **error);
/* The same, appended to @record. */
gboolean ph_mapping_field_decode(const PhMappingRecord *type, const PhMappingField *field,
                                 const gchar *text, gsize len, PhRecord *record, GError **error);
/* Decodes partner bytes in @encoding (NULL: already UTF-8) into @record; @scratch is
 * reused. Errors name the record and field. */
gboolean ph_mapping_field_decode_bytes(const PhMappingRecord *type, const PhMappingField *field,
                                       PhEncoding *encoding, const gchar *bytes, gsize len,
                                       PhRecord *record, GString *scratch, GError **error);
/* Writes the partner text (UTF-8, unpadded) of @field for @record into @out (replacing its
 * contents). Errors name the record and field. */
gboolean ph_mapping_field_encode(const PhMappingRecord *type, const PhMappingField *field,
                                 const PhRecord *record, PhMappingTotals *totals, GString *out,
                                 GError **error);
/* The same for the canonical text @value of the field (NULL: absent). */
gboolean ph_mapping_field_encode_value(const PhMappingRecord *type, const PhMappingField *field,
                                       const gchar *value, PhMappingTotals *totals, GString *out,
                                       GError **error);
/* Digits alone (no sign, no point) into *@value, with how many leading zeros pad them in
 * *@zeros (all of them for zero); FALSE for anything else or more than @max_digits
 * significant digits. */
gboolean ph_mapping_field_parse_digits(const gchar *digits, gsize len, gsize max_digits,
                                       gsize *zeros, gint64 *value);
/* Parses "12.34"/"1234" (per @yuan) into fen, exactly. */
gboolean ph_mapping_field_parse_amount(const gchar *text, gsize len, gboolean yuan, gint64 *fen);
void ph_mapping_field_format_amount(gint64 fen, gboolean yuan, GString *out);

/* ph-mapping-totals.c: computed fields (count, sum, sequence) for one file. */
/* @unit names what the positions passed to ph_mapping_totals_add() count in errors:
 * "line" when reading, "record" when writing. */
PhMappingTotals *ph_mapping_totals_new(PhMapping *mapping, const gchar *unit);
void ph_mapping_totals_free(PhMappingTotals *totals);
/* Counts @record and takes note of the computed values it declares (checked later); a
 * sequence field is checked at once. @position is the line or record number. */
gboolean ph_mapping_totals_add(PhMappingTotals *totals, const PhMappingRecord *type,
                               const PhRecord *record, guint64 position, GError **error);
/* The same for a record held as slots. */
gboolean ph_mapping_totals_add_slots(PhMappingTotals *totals, const PhMappingRecord *type,
                                     const PhMappingSlot *slots, guint64 position, GError **error);
gint64 ph_mapping_totals_get(PhMappingTotals *totals, const PhMappingField *field);
/* The records of @run at once, where nothing about them can fail (a sum that may overflow,
 * a value not plainly a number, a sequence broken, a condition, a value declared by a body
 * record: FALSE, nothing changed, and the records go one by one). */
gboolean ph_mapping_totals_add_run(PhMappingTotals *totals, const PhMappingRun *run);
/* Every declared computed value must equal what the records add up to. */
gboolean ph_mapping_totals_check(PhMappingTotals *totals, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhMappingTotals, ph_mapping_totals_free)

G_END_DECLS

G_BEGIN_DECLS

/* ph-mapping-reader.c: rules the writer shares. */
gboolean ph_mapping_reader_check_order(const PhMapping *mapping, const PhMappingRecord *previous,
                                       const PhMappingRecord *type, guint64 n_records,
                                       GError **error);
gboolean ph_mapping_reader_check_end(const PhMapping *mapping, const PhMappingRecord *previous,
                                     GError **error);
const PhLayoutOps *ph_mapping_reader_layout(const PhMapping *mapping);

G_END_DECLS

G_BEGIN_DECLS

/* ph-mapping-slots.c: records as slots. */
/* @before + @text escaped as a JSON string's contents + @after, as a new string. */
gchar *ph_mapping_slots_json_text(const gchar *before, const gchar *text, const gchar *after,
                                  gsize *len);
/* The decimal digits of @value at @p (room for 20); returns their end. */
gchar *ph_mapping_slots_put_int(gchar *p, gint64 value);
/* Appends the record as ph_record_append_json() would: {"kind":"D","AAC002":"…",…}. */
void ph_mapping_slots_append_json(const PhMappingRecord *type, const PhMappingSlot *slots,
                                  GString *out);
void ph_mapping_slots_to_record(const PhMappingRecord *type, const PhMappingSlot *slots,
                                PhRecord *record);
/* Text slots pointing into @record (NUL-terminated), absent where it has no value. */
void ph_mapping_slots_from_record(const PhMappingRecord *type, const PhRecord *record,
                                  PhMappingSlot *slots);
/* Scans one line of canonical JSON Lines in the form ph_mapping_slots_append_json() writes
 * (keys in field order, no spaces, no escapes) into *@type and @slots (room for every field
 * of the widest record), texts pointing into @line (not NUL-terminated). FALSE, with
 * nothing decided, for any other line: ph_record_parse_json() then judges it. */
gboolean ph_mapping_slots_parse_json(const PhMapping *mapping, const gchar *line, gsize len,
                                     const PhMappingRecord **type, PhMappingSlot *slots);
/* Copies the slots' texts into @arena (replacing its contents), NUL-terminated, and points
 * the slots there: for a writer that wants strings. */
void ph_mapping_slots_keep(const PhMappingRecord *type, PhMappingSlot *slots, GString *arena);
/* The number of fields of the widest record kind. */
guint ph_mapping_slots_max(const PhMapping *mapping);

G_END_DECLS

G_BEGIN_DECLS

/* ph-mapping-reader.c, ph-mapping-writer.c: canonical JSON Lines without a PhRecord where
 * the layout allows (ph_mapping_convert_*). */
/* The next records as canonical JSON Lines (each line ends in a newline), as many as come
 * at once, in *@text (valid until the next call) and *@len; FALSE at the end, or with
 * @error set as ph_mapping_reader_next() sets it once the lines of the records before the
 * failure were returned. */
gboolean ph_mapping_reader_next_json_lines(PhMappingReader *reader, const gchar **text, gsize *len,
                                           GError **error);
/* Where the layout's decoding threads can write the canonical JSON Lines straight into the
 * regular file @fd (from its offset on), has them write every record's and returns TRUE with
 * *@done set, or FALSE with @error as ph_mapping_reader_next_json_lines() gives it, the file
 * then holding exactly the lines of the records before the failure (cut there). Its offset
 * is left at the end of what it holds. Where they cannot: TRUE, *@done FALSE, nothing read. */
gboolean ph_mapping_reader_write_json_fd(PhMappingReader *reader, gint fd, gboolean *done,
                                         GError **error);
/* Writes every line of canonical JSON Lines from @input, as ph_record_parse_json() and
 * ph_mapping_writer_write() would line by line; errors say "@source line N: …". The
 * writer is not finished. */
gboolean ph_mapping_writer_write_lines(PhMappingWriter *writer, GInputStream *input,
                                       const gchar *source, GError **error);

G_END_DECLS

G_BEGIN_DECLS

/* TRUE when the @len bytes at @a and @b are the same; a tag or constant is mostly a letter
 * or two, compared inline rather than by a call per line. */
static inline gboolean
ph_mapping_same_bytes(const gchar *a, const gchar *b, gsize len)
{
	if (len > 4)
		return memcmp(a, b, len) == 0;
	for (gsize i = 0; i < len; i++) {
		if (a[i] != b[i])
			return FALSE;
	}
	return TRUE;
}

/* ph-mapping-program.c: a fixed-width record kind compiled for the lines that need nothing
 * but their bytes trimmed, checked and decoded. */
typedef struct _PhMappingProgram PhMappingProgram;

/* NULL when a field of @type needs the generic field code (value maps, code tables,
 * identity checks, keyed or non-ASCII constants). */
PhMappingProgram *ph_mapping_program_new(const PhMappingRecord *type);
void ph_mapping_program_free(PhMappingProgram *program);
/* Decodes @line (of the record's width, in @encoding) into @slots as the generic reader
 * would, texts pointing into @line or @utf8 (reset; the slots whose texts lie there in
 * *@in_utf8, bit i for slot i), and appends its canonical JSON line to @json unless NULL.
 * FALSE when the line needs the generic code (anything to escape, refuse or convert
 * apart): nothing was appended then, and the generic code decodes the line again and says
 * what is wrong. */
gboolean ph_mapping_program_run(const PhMappingProgram *program, PhEncoding *encoding,
                                const gchar *line, PhMappingSlot *slots, GString *utf8,
                                guint64 *in_utf8, GString *json);
/* Writes field @index of the program's record kind for the canonical value in @slot
 * (absent, or UTF-8 text) at @dest, padded to its bytes, as the generic encoder would;
 * @scratch is reused. FALSE, with @dest undefined, where the generic encoder must decide:
 * a value it may refuse or cut, a computed field left out (its running value). */
gboolean ph_mapping_program_encode(const PhMappingProgram *program, guint index,
                                   PhEncoding *encoding, const PhMappingSlot *slot,
                                   GString *scratch, gchar *dest);

G_END_DECLS

G_BEGIN_DECLS

/* ph-mapping-ahead.c: lines decoded ahead by worker threads, handed out in file order. */
typedef struct _PhMappingAhead PhMappingAhead;

/* Scratch buffers a decoder may leave slot texts in. */
#define PH_MAPPING_AHEAD_SCRATCH 2

/* Lines taken into a batch: copied into @bytes, each with where it starts there, its
 * length without the line end, its number and file offset. */
typedef struct {
	GString *bytes;
	gsize *line_at;
	gsize *line_len;
	guint64 *line_no;
	guint64 *line_offset;
	guint n_lines;
	guint max_lines; /* no more lines than this, */
	gsize max_bytes; /* and none once bytes holds this many */
} PhLineRun;

/* Whole lines of the input read straight from the file by their offset: @len bytes at
 * @data, at file offset @offset, read into @buffer (the batch's, given by the caller). */
typedef struct {
	GString *buffer;
	const gchar *data;
	gsize len;
	guint64 offset;
} PhLineSpan;

typedef struct {
	/* Optional: as many of the next lines of @source as are at hand and plainly whole
	 * (nothing next_line would refuse or treat apart), appended to @run; none when the
	 * next line needs next_line. Called like next_line. */
	void (*take_run)(gpointer source, PhLineRun *run);
	/* Optional, tried first for every batch: the next bytes of the input read from the
	 * file by offset into @span's buffer (one read, no line taken apart), whole lines up
	 * to the one that crosses @max_bytes; FALSE, with nothing taken, where the input is
	 * not a regular file or its next line needs next_line. The lines are not counted yet:
	 * whoever decodes the batch splits them (split, which may be called in any thread), then
	 * the caller's thread counts them in order (count), or goes back to the first line split
	 * did not take (rewind, to its file offset), which then goes through next_line. */
	gboolean (*take_span)(gpointer source, gsize max_bytes, PhLineSpan *span);
	gsize (*split)(gpointer source, PhLineSpan *span, PhLineRun *run);
	void (*count)(gpointer source, guint n_lines, guint64 last_offset);
	gboolean (*rewind)(gpointer source, guint64 offset);
	/* The next line of @source with its number and file offset; FALSE at the end or with
	 * @error. Called by one thread at a time, in order. */
	gboolean (*next_line)(gpointer source, const gchar **line, gsize *len, guint64 *line_no,
	                      guint64 *offset, GError **error);
	/* Lines read from @source so far. */
	guint64 (*line_count)(gpointer source);
	/* A decoder per thread (encodings are not shared between threads). */
	gpointer (*decoder_new)(gpointer layout);
	void (*decoder_free)(gpointer decoder);
	/* One line into @slots, texts pointing into @line or into the decoder's @scratch
	 * buffers (valid until its next line, copied out NUL-terminated); errors as the layout
	 * reports them. A decoder that writes output for the record appends it to @out (the
	 * batch's, handed out by ph_mapping_ahead_take_output()). *@in_scratch comes as all
	 * ones; a decoder that knows which slots' texts it left in @scratch may say so there
	 * (bit i for slot i), so that the others need no look. */
	gboolean (*decode)(gpointer decoder, const gchar *line, gsize len, guint64 line_no,
	                   guint64 offset, const PhMappingRecord **type, PhMappingSlot *slots,
	                   const GString **scratch, guint64 *in_scratch, GString *out,
	                   GError **error);
} PhMappingAheadOps;

/* Reads the lines of @source for @layout; @n_slots slots per line. */
PhMappingAhead *ph_mapping_ahead_new(const PhMappingAheadOps *ops, gpointer layout, gpointer source,
                                     guint n_slots);
void ph_mapping_ahead_free(PhMappingAhead *ahead);
/* The next decoded record; FALSE at the end, or with @error set (the error of the first
 * line that failed, after the records before it). */
gboolean ph_mapping_ahead_next(PhMappingAhead *ahead, const PhMappingRecord **type,
                               const PhMappingSlot **slots, GError **error);
/* The line of the record last returned, or where reading stopped. */
guint64 ph_mapping_ahead_line(const PhMappingAhead *ahead);
/* TRUE once the first line was asked for (worker threads may be running). */
gboolean ph_mapping_ahead_started(const PhMappingAhead *ahead);
/* TRUE when the record last returned is the last of its batch: the next comes from another
 * batch (and the output of this one is gone then). */
gboolean ph_mapping_ahead_batch_done(const PhMappingAhead *ahead);
/* The output the decoders wrote for the records returned from the current batch since the
 * last call, without the last record's when @drop_last; valid until the next record. */
const gchar *ph_mapping_ahead_take_output(PhMappingAhead *ahead, gboolean drop_last, gsize *len);
/* Asks, before the first line, that only the texts of the slots @keep says (one per slot
 * index, whatever the record kind) outlive the decoding of their line: where the records'
 * output is written by the decoders, the caller reads only a few slots (computed fields).
 * The texts of the others are NULL (if the decoder left them in its scratch buffers). */
void ph_mapping_ahead_keep_only(PhMappingAhead *ahead, const gboolean *keep);
/* With ph_mapping_ahead_keep_only(): the next batch's records as one run, where they are all
 * of one kind and none was handed out yet; FALSE otherwise. */
gboolean ph_mapping_ahead_next_run(PhMappingAhead *ahead, PhMappingRun *run);
/* Takes the run last returned: ph_mapping_ahead_next() goes on after it. */
void ph_mapping_ahead_take_run(PhMappingAhead *ahead);
/* Asks, before the first line, that the decoders' output be written into the regular file
 * @fd from @offset on (pwrite) by whichever thread finds a batch's place known, instead of
 * being taken with ph_mapping_ahead_take_output(); batches decoded beyond the records
 * handed out may be written too: ph_mapping_ahead_output_end() says where to cut. */
void ph_mapping_ahead_write_to(PhMappingAhead *ahead, gint fd, guint64 offset);
/* Once reading stopped: stops the writes and waits for those under way, and gives in *@end
 * where the output of the records returned so far ends in the file (without the last
 * record's when @drop_last). FALSE with @error when a write failed. */
gboolean ph_mapping_ahead_output_end(PhMappingAhead *ahead, gboolean drop_last, guint64 *end,
                                     GError **error);

G_END_DECLS
