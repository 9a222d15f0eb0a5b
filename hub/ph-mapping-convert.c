/* Whole-file conversion between a partner file and canonical JSON Lines, as used by
 * `pensionctl map convert`: streamed, and written to a temporary name that is renamed only
 * when everything succeeded, so a failed conversion leaves no output. Hub layer. */
#include "ph-mapping-private.h"

#include <gio/gfiledescriptorbased.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "ph-error.h"

typedef gboolean (*ConvertFunc)(PhMapping *mapping, GInputStream *input, const gchar *source,
                                GOutputStream *output, const gchar *target, GError **error);

/* A regular file behind @output: the reader's decoding threads may write into it. */
static gint
regular_fd(GOutputStream *output)
{
	struct stat st;
	gint fd;

	if (!G_IS_FILE_DESCRIPTOR_BASED(output))
		return -1;
	fd = g_file_descriptor_based_get_fd(G_FILE_DESCRIPTOR_BASED(output));
	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? fd : -1;
}

/* Into a regular file the decoding threads write the JSON Lines themselves, each batch at
 * its offset (the kernel's copy then runs on both cores); else the reader hands them out a
 * batch at a time, written as they come: no copy. */
static gboolean
partner_to_canonical(PhMapping *mapping, GInputStream *input, const gchar *source,
                     GOutputStream *output, const gchar *target, GError **error)
{
	g_autoptr(PhMappingReader) reader = ph_mapping_reader_new(mapping, input, source);
	g_autoptr(GError) local = NULL;
	const gchar *text = NULL;
	gsize len = 0;
	gint fd = regular_fd(output);

	if (fd >= 0) {
		gboolean done = FALSE;
		gboolean ok = ph_mapping_reader_write_json_fd(reader, fd, &done, error);

		if (!ok || done)
			return ok;
	}
	while (ph_mapping_reader_next_json_lines(reader, &text, &len, &local)) {
		if (!g_output_stream_write_all(output, text, len, NULL, NULL, error))
			return FALSE;
	}
	if (local != NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	return TRUE;
}

static gboolean
canonical_to_partner(PhMapping *mapping, GInputStream *input, const gchar *source,
                     GOutputStream *output, const gchar *target, GError **error)
{
	g_autoptr(PhMappingWriter) writer = ph_mapping_writer_new(mapping, output, target);

	return ph_mapping_writer_write_lines(writer, input, source, error) &&
	       ph_mapping_writer_finish(writer, error);
}

/* A device or a pipe (/dev/stdout, /dev/null) is written as it is: renaming a file onto it
 * would replace the device. */
static gboolean
convert_to_stream(PhMapping *mapping, GInputStream *input, const gchar *source,
                  const gchar *output_path, ConvertFunc func, GError **error)
{
	g_autoptr(GFile) output_file = g_file_new_for_path(output_path);
	g_autoptr(GFileOutputStream) output =
	        g_file_append_to(output_file, G_FILE_CREATE_NONE, NULL, error);

	if (output == NULL)
		return FALSE;
	return func(mapping, input, source, G_OUTPUT_STREAM(output), output_path, error) &&
	       g_output_stream_close(G_OUTPUT_STREAM(output), NULL, error);
}

/* A file is written under a temporary name beside it and renamed when all succeeded. */
static gboolean
convert_to_file(PhMapping *mapping, GInputStream *input, const gchar *source,
                const gchar *output_path, ConvertFunc func, GError **error)
{
	g_autofree gchar *suffix = g_strdup_printf(".part-%08x", g_random_int());
	g_autofree gchar *temp_path = g_strconcat(output_path, suffix, NULL);
	g_autoptr(GFile) temp_file = g_file_new_for_path(temp_path);
	g_autoptr(GFileOutputStream) output = NULL;
	g_autofree gchar *target = g_path_get_basename(output_path);
	gboolean ok;

	g_autoptr(GError) local = NULL;
	output = g_file_create(temp_file, G_FILE_CREATE_NONE, NULL, &local);
	if (output == NULL) { /* named by the output asked for, not by the temporary name */
		g_autofree gchar *folder = g_path_get_dirname(output_path);
		if (g_error_matches(local, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
			g_set_error(error, PH_ERROR, PH_ERROR_FAILED,
			            "cannot write %s: folder %s does not exist", output_path,
			            folder);
		else if (g_error_matches(local, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
			g_set_error(error, PH_ERROR, PH_ERROR_FAILED,
			            "cannot write %s: no permission to create files in %s",
			            output_path, folder);
		else
			g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	ok = func(mapping, input, source, G_OUTPUT_STREAM(output), target, error) &&
	     g_output_stream_close(G_OUTPUT_STREAM(output), NULL, error);
	if (ok && g_rename(temp_path, output_path) != 0) {
		g_set_error(error, PH_ERROR, PH_ERROR_FAILED, "cannot rename %s to %s: %s",
		            temp_path, output_path, g_strerror(errno));
		ok = FALSE;
	}
	if (!ok) {
		g_output_stream_close(G_OUTPUT_STREAM(output), NULL, NULL);
		g_unlink(temp_path);
	}
	return ok;
}

static gboolean
convert(PhMapping *mapping, const gchar *input_path, const gchar *output_path, ConvertFunc func,
        GError **error)
{
	g_autoptr(GFile) input_file = g_file_new_for_path(input_path);
	g_autoptr(GFileInputStream) input = g_file_read(input_file, NULL, error);
	g_autofree gchar *source = g_path_get_basename(input_path);

	if (input == NULL)
		return FALSE;
	/* An output that exists and is not a plain file, or is a symbolic link (/dev/stdout,
	 * a pipe, a device) is written as it is: renaming a finished temporary file onto it
	 * would replace the link or device itself */
	GStatBuf status;
	if (g_lstat(output_path, &status) == 0 && !S_ISREG(status.st_mode))
		return convert_to_stream(mapping, G_INPUT_STREAM(input), source, output_path, func,
		                         error);
	return convert_to_file(mapping, G_INPUT_STREAM(input), source, output_path, func, error);
}

gboolean
ph_mapping_convert_to_canonical(PhMapping *mapping, const gchar *input_path,
                                const gchar *output_path, GError **error)
{
	g_return_val_if_fail(mapping != NULL && input_path != NULL && output_path != NULL, FALSE);
	return convert(mapping, input_path, output_path, partner_to_canonical, error);
}

gboolean
ph_mapping_convert_to_partner(PhMapping *mapping, const gchar *input_path, const gchar *output_path,
                              GError **error)
{
	g_return_val_if_fail(mapping != NULL && input_path != NULL && output_path != NULL, FALSE);
	return convert(mapping, input_path, output_path, canonical_to_partner, error);
}
