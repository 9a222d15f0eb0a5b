/* libFuzzer target: the XML reader (ISO 20022 pain.002, the hostile bank input). Built as a fuzzer
 * with -Dfuzzing=true and clang; its seed corpus also runs in the unit suite by fuzz-replay. */
#include "fuzz-mapping.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return ph_fuzz_mapping_run("iso20022-pain002", data, size);
}
