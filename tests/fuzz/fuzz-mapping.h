/* Shared body of the mapping-engine fuzz targets: read a partner file with one mapping and,
 * when it reads cleanly, write it back. Tests only. */
#pragma once

#include <glib.h>
#include <stdint.h>

/* Runs the reader (and on success the writer) of the mapping @name over @data. The mapping
 * is loaded once: from the mapping directory, or from tests/data/mappings when @name ends
 * in ".xml". */
int ph_fuzz_mapping_run(const gchar *name, const uint8_t *data, size_t size);

/* The libFuzzer entry point each target defines; the replay driver calls it too. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
