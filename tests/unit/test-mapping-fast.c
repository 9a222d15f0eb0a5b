/* Tests of the mapping engine's fast paths (issue 4 §6) through the public API: fixed-width
 * files longer than one read-ahead batch keep file order and give each error after exactly
 * the records before it, from memory and from a file read by offset; canonical JSON written
 * from slots and by the compiled record kinds equals ph_record_append_json();
 * JSON Lines not in our own form still convert as ph_record_parse_json() reads them. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ph-error.h"
#include "ph-mapping-private.h"
#include "ph-mapping.h"

/* More lines than one batch of the read-ahead (2,048), so that workers take part. */
#define RECORDS 5000
#define AMOUNT  350000
/* 张三 and 𠮷田花子 in GB18030, as the bench writes them. */
#define NAME_A "\xd5\xc5\xc8\xfd"
#define NAME_B "\x95\x34\xb2\x35\xcc\xef\xbb\xa8\xd7\xd3"
/* PH-BANK-1 (bank-payout.md): header 108 bytes, detail 148, each and CRLF. */
#define HEADER_LINE 110
#define DETAIL_LINE 150

static void
append_padded(GString *out, const gchar *bytes, gsize width)
{
	gsize len = strlen(bytes);

	g_string_append(out, bytes);
	for (gsize i = len; i < width; i++)
		g_string_append_c(out, ' ');
}

/* Names and memos of a few details that JSON escapes, which the compiled record kind
 * leaves to the generic field code (ph-mapping-program.c): the conversions must not tell. */
static const struct {
	guint serial;
	const gchar *name;
	const gchar *memo;
} apart[] = {
        {6, "O\"Brien", ""},
        {7, NAME_A, "back\\slash"},
        {8, "tab\there", "2026\xc4\xea\t"},
        /* Sixteen bytes and more, which the steps test sixteen at a time: what JSON
         * escapes first, in the middle and in the last (overlapping) sixteen. */
        {9, "\"first\" of more than sixteen", "a memo of sixteen\\ and more"},
        {10, "seventeen bytes x\x1f", "sixteen bytes..\x7f\x01"},
};

static const gchar *
detail_text(guint serial, gboolean memo)
{
	for (guint i = 0; i < G_N_ELEMENTS(apart); i++) {
		if (apart[i].serial == serial)
			return memo ? apart[i].memo : apart[i].name;
	}
	return memo ? "" : serial % 2 ? NAME_A : NAME_B;
}

/* A valid PH-BANK-1 payout file of RECORDS details. */
static GString *
payout_file(void)
{
	GString *out = g_string_new(NULL);
	guint64 total = (guint64)RECORDS * AMOUNT;

	g_string_append_printf(out, "H%010u", 1u);
	append_padded(out, "330100000001", 16);
	append_padded(out, "33010000001234567890", 32);
	g_string_append_printf(out, "202611%08u%018" G_GUINT64_FORMAT "CNY20261127090000\r\n",
	                       RECORDS, total);
	for (guint i = 1; i <= RECORDS; i++) {
		g_string_append_printf(out, "D%08u110105196410150037", i);
		append_padded(out, detail_text(i, FALSE), 40);
		g_string_append_printf(out, "6222020200%09u", i);
		append_padded(out, "", 13);
		g_string_append_printf(out, "%015uP001", AMOUNT);
		append_padded(out, detail_text(i, TRUE), 30);
		g_string_append(out, "\r\n");
	}
	g_string_append_printf(out, "T%08u%018" G_GUINT64_FORMAT "\r\n", RECORDS, total);
	return out;
}

/* Where line @line (from 1, a detail) starts in the file. */
static gsize
line_start(guint line)
{
	return HEADER_LINE + (gsize)(line - 2) * DETAIL_LINE;
}

static PhMapping *
load_payout(void)
{
	g_autoptr(GError) error = NULL;
	PhMapping *mapping = ph_mapping_load("ph-bank-1-payout", &error);

	g_assert_no_error(error);
	return mapping;
}

/* Reads @bytes whole: the records as JSON Lines (from the PhRecord), how many, and the
 * error. */
static gchar *
read_all(PhMapping *mapping, const GString *bytes, guint *n_records, GError **error)
{
	g_autoptr(GInputStream) input =
	        g_memory_input_stream_new_from_data(bytes->str, (gssize)bytes->len, NULL);
	g_autoptr(PhMappingReader) reader = ph_mapping_reader_new(mapping, input, "test-input");
	g_autoptr(GString) out = g_string_new(NULL);
	const PhRecord *record;

	*n_records = 0;
	while ((record = ph_mapping_reader_next(reader, error)) != NULL) {
		(*n_records)++;
		/* Records come in file order: line N is the Nth record. */
		g_assert_cmpuint(ph_mapping_reader_get_line(reader), ==, *n_records);
		ph_record_append_json(record, out);
		g_string_append_c(out, '\n');
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static gchar *
write_temp(const gchar *dir, const gchar *name, const gchar *bytes, gsize len)
{
	gchar *path = g_build_filename(dir, name, NULL);
	g_autoptr(GError) error = NULL;

	g_file_set_contents(path, bytes, (gssize)len, &error);
	g_assert_no_error(error);
	return path;
}

static gchar *
read_temp(const gchar *path, gsize *len)
{
	g_autoptr(GError) error = NULL;
	gchar *contents = NULL;

	g_file_get_contents(path, &contents, len, &error);
	g_assert_no_error(error);
	return contents;
}

/* The long file written to a temporary folder, with room for its conversions. */
typedef struct {
	PhMapping *mapping;
	GString *file;
	gchar *dir;
	gchar *partner;   /* the file */
	gchar *canonical; /* converted to canonical */
	gchar *back;      /* and back */
} Files;

static Files *
files_new(void)
{
	Files *files = g_new0(Files, 1);
	g_autoptr(GError) error = NULL;

	files->mapping = load_payout();
	files->file = payout_file();
	files->dir = g_dir_make_tmp("ph-test-mapping-fast-XXXXXX", &error);
	g_assert_no_error(error);
	files->partner = write_temp(files->dir, "payout.txt", files->file->str, files->file->len);
	files->canonical = g_build_filename(files->dir, "payout.jsonl", NULL);
	files->back = g_build_filename(files->dir, "back.txt", NULL);
	g_assert_true(ph_mapping_convert_to_canonical(files->mapping, files->partner,
	                                              files->canonical, &error));
	g_assert_no_error(error);
	return files;
}

static void
files_free(Files *files)
{
	g_unlink(files->partner);
	g_unlink(files->canonical);
	g_unlink(files->back);
	g_rmdir(files->dir);
	g_free(files->partner);
	g_free(files->canonical);
	g_free(files->back);
	g_free(files->dir);
	g_string_free(files->file, TRUE);
	ph_mapping_unref(files->mapping);
	g_free(files);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Files, files_free)

/* Converts files->canonical back; the bytes, or NULL with @error. */
static gchar *
convert_back(Files *files, gsize *len, GError **error)
{
	if (!ph_mapping_convert_to_partner(files->mapping, files->canonical, files->back, error))
		return NULL;
	return read_temp(files->back, len);
}

/* The long file converts to canonical JSON exactly as the records' own JSON reads, and back
 * byte for byte. */
static void
test_long_round_trip(void)
{
	g_autoptr(Files) files = files_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *expected = NULL;
	g_autofree gchar *json = NULL;
	g_autofree gchar *bytes = NULL;
	gsize json_len = 0, bytes_len = 0;
	guint n_records = 0;

	expected = read_all(files->mapping, files->file, &n_records, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(n_records, ==, RECORDS + 2);
	json = read_temp(files->canonical, &json_len);
	g_assert_cmpstr(json, ==, expected);
	bytes = convert_back(files, &bytes_len, &error);
	g_assert_no_error(error);
	g_assert_cmpmem(bytes, bytes_len, files->file->str, files->file->len);
}

/* A fault deep in a long file: the reader gives every record before its line, then the
 * error, whichever batch and thread decoded it. */
typedef struct {
	const gchar *name;
	guint line;        /* the faulty line */
	gsize byte;        /* from 0 within the line */
	const gchar *with; /* written over it */
	const gchar *message;
} LateFault;

static const LateFault late_faults[] = {
        /* The amount (bytes 99..113) with a letter: field decoding, docs/mappings.md §4. */
        {"amount", 4000, 110, "X",
         "test-input line 4000: record D field AAE019: "
         "'00000000035X000' is not an amount in fen"},
        /* 0xFF starts no GB18030 character: byte 28 is AAC003's first (§11); file offset
         * = 110 + 2498 × 150 + 27. */
        {"gb18030", 2500, 27, "\xff",
         "test-input line 2500, byte 28 (file offset 374837): record D field AAC003: "
         "invalid byte sequence"},
        /* A bare LF: taking lines, not decoding them, finds it (format: CRLF). */
        {"line-end", 3001, 148, "\n", "test-input line 3001: ends in LF, expected CRLF"},
        /* Serial 9999 where the sequence is at 4499 (§6, checked at once). */
        {"sequence", 4500, 1, "00009999",
         "test-input line 4500: record D field serial: is 9999, expected 4499 (the "
         "sequence)"},
};

static void
test_late_fault(gconstpointer data)
{
	const LateFault *fault = data;
	g_autoptr(PhMapping) mapping = load_payout();
	g_autoptr(GString) file = payout_file();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *json = NULL;
	guint n_records = 0;

	memcpy(file->str + line_start(fault->line) + fault->byte, fault->with, strlen(fault->with));
	json = read_all(mapping, file, &n_records, &error);
	g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
	g_assert_cmpstr(error->message, ==, fault->message);
	g_assert_cmpuint(n_records, ==, fault->line - 1);
}

/* The same faults read from a local file (read by offset) by a reader given the
 * stream after a prefix it does not see: the same records, the same messages, file offsets
 * counted from where the reader began. */
static void
test_late_fault_file(gconstpointer data)
{
	const LateFault *fault = data;
	g_autoptr(Files) files = files_new();
	g_autoptr(GString) bytes = g_string_new("prefix the reader does not see\n");
	gsize prefix = bytes->len;
	g_autofree gchar *path = NULL;
	g_autoptr(GFile) file = NULL;
	g_autoptr(GFileInputStream) input = NULL;
	g_autoptr(PhMappingReader) reader = NULL;
	g_autoptr(GError) error = NULL;
	guint n_records = 0;

	memcpy(files->file->str + line_start(fault->line) + fault->byte, fault->with,
	       strlen(fault->with));
	g_string_append_len(bytes, files->file->str, (gssize)files->file->len);
	path = write_temp(files->dir, "prefixed.txt", bytes->str, bytes->len);
	file = g_file_new_for_path(path);
	input = g_file_read(file, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(g_input_stream_skip(G_INPUT_STREAM(input), prefix, NULL, &error), ==,
	                (gssize)prefix);
	reader = ph_mapping_reader_new(files->mapping, G_INPUT_STREAM(input), "test-input");
	while (ph_mapping_reader_next(reader, &error) != NULL) {
		n_records++;
		g_assert_cmpuint(ph_mapping_reader_get_line(reader), ==, n_records);
	}
	g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
	g_assert_cmpstr(error->message, ==, fault->message);
	g_assert_cmpuint(n_records, ==, fault->line - 1);
	g_unlink(path);
}

/* The bytes of canonical JSON Lines @json that hold the records before line @line of the
 * partner file: its first @line - 1 lines. */
static gsize
lines_before(const gchar *json, guint line)
{
	gsize len = 0;

	for (guint i = 1; i < line; i++)
		len = (gsize)(strchr(json + len, '\n') - json) + 1;
	return len;
}

/* The long file with @fault, written over files->partner (returned). */
static gchar *
write_faulty(Files *files, const LateFault *fault)
{
	memcpy(files->file->str + line_start(fault->line) + fault->byte, fault->with,
	       strlen(fault->with));
	return write_temp(files->dir, "payout.txt", files->file->str, files->file->len);
}

/* Converts files->file as it is now to canonical into a new file at @out_path after
 * @prefix, through the decoding threads' writes (ph_mapping_reader_write_json_fd()), which
 * must fail with @message, the file's offset left at its end; returns what the file holds. */
static gchar *
fail_into_file(Files *files, const gchar *out_path, const gchar *prefix, const gchar *message,
               gsize *len)
{
	g_autofree gchar *path =
	        write_temp(files->dir, "payout.txt", files->file->str, files->file->len);
	g_autoptr(GFile) file = g_file_new_for_path(path);
	g_autoptr(GFileInputStream) input = NULL;
	g_autoptr(PhMappingReader) reader = NULL;
	g_autoptr(GError) error = NULL;
	gboolean done = FALSE;
	struct stat st;
	gint fd;

	input = g_file_read(file, NULL, &error);
	g_assert_no_error(error);
	reader = ph_mapping_reader_new(files->mapping, G_INPUT_STREAM(input), "test-input");
	fd = g_open(out_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(write(fd, prefix, strlen(prefix)), ==, (gssize)strlen(prefix));
	g_assert_false(ph_mapping_reader_write_json_fd(reader, fd, &done, &error));
	g_assert_true(done);
	g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
	g_assert_cmpstr(error->message, ==, message);
	g_assert_cmpint(fstat(fd, &st), ==, 0);
	g_assert_cmpint(lseek(fd, 0, SEEK_CUR), ==, st.st_size);
	g_assert_cmpint(close(fd), ==, 0);
	return read_temp(out_path, len);
}

/* Written into a regular file, the JSON Lines come from the decoding threads, each batch
 * at its offset, batches beyond the faulty line too (a sequence is checked after its line
 * was written): the file is cut after exactly the records before the fault, from the
 * offset it was given on (a prefix kept). */
static void
test_late_fault_to_file(gconstpointer data)
{
	const LateFault *fault = data;
	g_autoptr(Files) files = files_new();
	g_autofree gchar *json = read_temp(files->canonical, NULL);
	g_autofree gchar *out_path = g_build_filename(files->dir, "out.jsonl", NULL);
	g_autofree gchar *written = NULL;
	g_autoptr(GString) expected = g_string_new("a prefix the reader leaves\n");
	gsize written_len = 0;

	g_free(write_faulty(files, fault));
	written = fail_into_file(files, out_path, expected->str, fault->message, &written_len);
	g_string_append_len(expected, json, (gssize)lines_before(json, fault->line));
	g_assert_cmpmem(written, written_len, expected->str, expected->len);
	g_unlink(out_path);
}

/* Totals a trailer declares wrongly, checked once every record was counted: the records
 * taken a batch at a time (ph_mapping_totals_add_run()) add up as taken one by one. */
typedef struct {
	const gchar *name;
	gsize byte;        /* in the trailer, line RECORDS + 2 */
	const gchar *with; /* written over it */
	const gchar *message;
} DeclaredFault;

static const DeclaredFault declared_faults[] = {
        /* The count (bytes 1..8, bank-payout.md): RECORDS details. */
        {"count", 1, "00004999",
         "test-input line 5002: record T field count: says 4999 but the D records number "
         "5000"},
        /* The total (bytes 9..26): RECORDS × AMOUNT fen. */
        {"total", 9, "000000001750000001",
         "test-input line 5002: record T field total: says 1750000001 but the D records add "
         "up to 1750000000"},
};

static void
test_declared_totals(gconstpointer data)
{
	const DeclaredFault *fault = data;
	g_autoptr(Files) files = files_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *json = read_temp(files->canonical, NULL);
	g_autofree gchar *out_path = g_build_filename(files->dir, "out.jsonl", NULL);
	g_autofree gchar *written = NULL;
	gsize written_len = 0;

	memcpy(files->file->str + line_start(RECORDS + 2) + fault->byte, fault->with,
	       strlen(fault->with));
	g_free(read_all(files->mapping, files->file, &(guint){0}, &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
	g_assert_cmpstr(error->message, ==, fault->message);
	written = fail_into_file(files, out_path, "", fault->message, &written_len);
	/* Every record was taken, the trailer too, before the totals were compared: the
	 * lines of the good file but the trailer's own values. */
	g_assert_cmpmem(written, lines_before(written, RECORDS + 2), json,
	                lines_before(json, RECORDS + 2));
	g_unlink(out_path);
}

/* Drains a pipe into a GString until its writer closes it. */
static gpointer
drain(gpointer data)
{
	const gchar *path = data;
	GString *out = g_string_new(NULL);
	gchar chunk[65536];
	FILE *pipe = fopen(path, "rb");
	gsize got;

	g_assert_nonnull(pipe);
	while ((got = fread(chunk, 1, sizeof chunk, pipe)) > 0)
		g_string_append_len(out, chunk, (gssize)got);
	fclose(pipe);
	return out;
}

/* A conversion to canonical written to a pipe (written as it goes, not renamed) sends the
 * lines of exactly the records before a late fault, then fails with the reader's error:
 * whether the faulty line was refused while decoded (amount, GB18030), while taken (line
 * end) or after it was decoded and its JSON written (sequence). */
static void
test_late_fault_to_pipe(gconstpointer data)
{
	const LateFault *fault = data;
	g_autoptr(Files) files = files_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) sent = NULL;
	g_autofree gchar *pipe_path = g_build_filename(files->dir, "pipe", NULL);
	g_autofree gchar *json = NULL;
	g_autofree gchar *message =
	        g_strconcat("payout.txt", fault->message + strlen("test-input"), NULL);
	gsize json_len = 0, expected_len = 0;
	GThread *reader;

	json = read_temp(files->canonical, &json_len);
	expected_len = lines_before(json, fault->line);
	g_free(write_faulty(files, fault));
	g_assert_cmpint(mkfifo(pipe_path, 0600), ==, 0);
	reader = g_thread_new("drain", drain, pipe_path);
	g_assert_false(
	        ph_mapping_convert_to_canonical(files->mapping, files->partner, pipe_path, &error));
	g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
	g_assert_cmpstr(error->message, ==, message);
	sent = g_thread_join(reader);
	g_assert_cmpmem(sent->str, sent->len, json, expected_len);
	g_unlink(pipe_path);
}

/* A reader left halfway leaves its stream alone: only ph_mapping_reader_next() reads it, in
 * the caller's thread, so the caller may read the rest itself (the bank adapter finishes
 * its digest so) while the reader still exists. */
static void
test_stream_left_alone(void)
{
	g_autoptr(PhMapping) mapping = load_payout();
	g_autoptr(GString) file = payout_file();
	g_autoptr(GInputStream) input =
	        g_memory_input_stream_new_from_data(file->str, (gssize)file->len, NULL);
	g_autoptr(PhMappingReader) reader = ph_mapping_reader_new(mapping, input, "test-input");
	g_autoptr(GError) error = NULL;
	goffset position;
	gssize rest;

	/* Past the first read-ahead batch: the worker threads are running. */
	for (guint i = 0; i < 3000; i++)
		g_assert_nonnull(ph_mapping_reader_next(reader, &error));
	position = g_seekable_tell(G_SEEKABLE(input));
	for (guint i = 0; i < 100; i++) {
		g_thread_yield();
		g_assert_cmpint(g_seekable_tell(G_SEEKABLE(input)), ==, position);
	}
	rest = g_input_stream_skip(input, (gsize)file->len, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(position + rest, ==, (goffset)file->len);
}

/* Lines of canonical JSON in forms other than ours: spaces, keys out of order, escapes. */
typedef struct {
	const gchar *name;
	const gchar *line;    /* replaces the second detail of the long file */
	const gchar *message; /* NULL: converts to the same bytes as the original */
} JsonForm;

static const JsonForm json_forms[] = {
        {"spaces",
         "{ \"kind\" : \"D\", \"serial\" : 2, \"AAC002\" : \"110105196410150037\", "
         "\"AAC003\" : \"𠮷田花子\", \"AAE010\" : \"6222020200000000002\", \"AAE019\" : "
         "350000, \"purpose\" : \"P001\", \"memo\" : \"\" }",
         NULL},
        {"kind-last",
         "{\"serial\":2,\"AAC002\":\"110105196410150037\",\"AAC003\":\"𠮷田花子\","
         "\"AAE010\":\"6222020200000000002\",\"AAE019\":350000,\"purpose\":\"P001\","
         "\"memo\":\"\",\"kind\":\"D\"}",
         NULL},
        /* 𠮷 as a surrogate pair, 田 as \u7530, the amount as a string. */
        {"escapes",
         "{\"kind\":\"D\",\"serial\":2,\"AAC002\":\"110105196410150037\","
         "\"AAC003\":\"\\ud842\\udfb7\\u7530花子\",\"AAE010\":\"6222020200000000002\","
         "\"AAE019\":\"350000\",\"purpose\":\"P001\",\"memo\":\"\"}",
         NULL},
        /* The writer's own refusal (ph_mapping_writer_write), named by line and record. */
        {"unknown-key",
         "{\"kind\":\"D\",\"serial\":2,\"AAC002\":\"110105196410150037\","
         "\"AAC003\":\"𠮷田花子\",\"AAE010\":\"6222020200000000002\",\"AAE019\":350000,"
         "\"purpose\":\"P001\",\"memo\":\"\",\"AAC004\":\"1\"}",
         "payout.jsonl line 3: back.txt record 3: record D: the layout has no field AAC004"},
        /* ph_record_parse_json's refusal of a duplicate key. */
        {"duplicate-key",
         "{\"kind\":\"D\",\"serial\":2,\"serial\":2,\"AAC002\":\"110105196410150037\","
         "\"AAC003\":\"𠮷田花子\",\"AAE010\":\"6222020200000000002\",\"AAE019\":350000,"
         "\"purpose\":\"P001\",\"memo\":\"\"}",
         "payout.jsonl line 3: not a flat JSON object of strings and integers (near byte "
         "33)"},
};

/* The lines of the long file's canonical form, the last one empty (it ends in a newline). */
static GStrv
canonical_lines(const Files *files)
{
	gsize len = 0;
	g_autofree gchar *json = read_temp(files->canonical, &len);

	return g_strsplit(json, "\n", -1);
}

/* @json as the canonical file, converted back: the bytes, or NULL with @error. */
static gchar *
convert_json_back(Files *files, const gchar *json, gsize *len, GError **error)
{
	g_free(write_temp(files->dir, "payout.jsonl", json, strlen(json)));
	return convert_back(files, len, error);
}

static void
test_json_form(gconstpointer data)
{
	const JsonForm *form = data;
	g_autoptr(Files) files = files_new();
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) lines = canonical_lines(files);
	g_autofree gchar *edited = NULL;
	g_autofree gchar *bytes = NULL;
	gsize len = 0;

	g_free(lines[2]);
	lines[2] = g_strdup(form->line);
	edited = g_strjoinv("\n", lines);
	bytes = convert_json_back(files, edited, &len, &error);
	if (form->message != NULL) {
		g_assert_null(bytes);
		g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
		g_assert_cmpstr(error->message, ==, form->message);
		return;
	}
	g_assert_no_error(error);
	g_assert_cmpmem(bytes, len, files->file->str, files->file->len);
}

/* JSON Lines whose first lines are much longer than the rest (spaces inside, which only
 * ph_record_parse_json() reads) and whose last line has no line end: a batch read by offset
 * is sized by the lines before it, so the short lines outnumber a batch, the split stops
 * and the input goes back (ph-mapping-ahead.c); the partner file comes back whole. */
static void
test_json_lengths(void)
{
	g_autoptr(Files) files = files_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) edited = g_string_new(NULL);
	g_auto(GStrv) lines = canonical_lines(files);
	g_autofree gchar *bytes = NULL;
	gsize len = 0;

	for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++) {
		if (i > 0)
			g_string_append_c(edited, '\n');
		g_string_append_c(edited, '{');
		/* 2,500 lines of about 600 bytes, then lines of about 180. */
		for (guint n = 0; i < 2500 && n < 420; n++)
			g_string_append_c(edited, ' ');
		g_string_append(edited, lines[i] + 1);
	}
	bytes = convert_json_back(files, edited->str, &len, &error);
	g_assert_no_error(error);
	g_assert_cmpmem(bytes, len, files->file->str, files->file->len);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/mapping-fast/long-round-trip", test_long_round_trip);
	g_test_add_func("/mapping-fast/stream-left-alone", test_stream_left_alone);
	g_test_add_func("/mapping-fast/json-lengths", test_json_lengths);
	for (guint i = 0; i < G_N_ELEMENTS(late_faults); i++) {
		g_autofree gchar *name =
		        g_strdup_printf("/mapping-fast/late-fault/%s", late_faults[i].name);

		g_test_add_data_func(name, &late_faults[i], test_late_fault);
		g_free(name);
		name = g_strdup_printf("/mapping-fast/late-fault-to-pipe/%s", late_faults[i].name);
		g_test_add_data_func(name, &late_faults[i], test_late_fault_to_pipe);
		g_free(name);
		name = g_strdup_printf("/mapping-fast/late-fault-file/%s", late_faults[i].name);
		g_test_add_data_func(name, &late_faults[i], test_late_fault_file);
		g_free(name);
		name = g_strdup_printf("/mapping-fast/late-fault-to-file/%s", late_faults[i].name);
		g_test_add_data_func(name, &late_faults[i], test_late_fault_to_file);
	}
	for (guint i = 0; i < G_N_ELEMENTS(declared_faults); i++) {
		g_autofree gchar *name = g_strdup_printf("/mapping-fast/declared-totals/%s",
		                                         declared_faults[i].name);

		g_test_add_data_func(name, &declared_faults[i], test_declared_totals);
	}
	for (guint i = 0; i < G_N_ELEMENTS(json_forms); i++) {
		g_autofree gchar *name =
		        g_strdup_printf("/mapping-fast/json-form/%s", json_forms[i].name);

		g_test_add_data_func(name, &json_forms[i], test_json_form);
	}
	return g_test_run();
}
