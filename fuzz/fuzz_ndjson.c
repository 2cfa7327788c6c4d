/*
 * fuzz_ndjson.c: libFuzzer target for the NDJSON reader (ingest/ndjson.c).
 * Build and run: make fuzz (see fuzz/fuzz.cmake).
 */
#include "fuzz_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_one(INGEST_NDJSON, data, size);
}
