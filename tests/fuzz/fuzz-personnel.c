/* libFuzzer target: the personnel adapter's batch reader (plugins/personnel/personnel-reader.c,
 * compiled in) over the host's streaming XML reader — the whole-document check, then every
 * event with its fields. Built as a fuzzer with -Dfuzzing=true and clang; its seed corpus
 * also runs in the unit suite through fuzz-replay. */
#include "../../plugins/personnel/personnel.h"
#include "fuzz-mapping.h"

static void
fuzz_personnel_read(GBytes *bytes, gboolean check)
{
	g_autoptr(GInputStream) input = g_memory_input_stream_new_from_bytes(bytes);
	g_autoptr(PersonnelReader) reader = personnel_reader_new(input, "fuzz", 1 << 20);
	PersonnelHeader header = {0};
	PersonnelEvent event;
	g_autoptr(GError) error = NULL;
	if (check) {
		personnel_reader_check(reader, &header, &error);
	} else if (personnel_reader_open(reader, &header, &error)) {
		while (personnel_reader_next(reader, &event, &error))
			personnel_reader_reset(reader);
	}
	personnel_header_clear(&header);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GBytes) bytes = g_bytes_new(data, size);
	fuzz_personnel_read(bytes, TRUE);
	fuzz_personnel_read(bytes, FALSE);
	return 0;
}
