/* libFuzzer target: the delimited reader (quoted CSV with a header). Built as a fuzzer with
 * -Dfuzzing=true and clang; its seed corpus also runs in the unit suite by fuzz-replay. */
#include "fuzz-mapping.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return ph_fuzz_mapping_run("test-csv.xml", data, size);
}
