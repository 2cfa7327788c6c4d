/*
 * fuzz_csv.c: libFuzzer target for the CSV reader (ingest/csv.c).
 * Build and run: make fuzz (see fuzz/fuzz.cmake).
 */
#include "fuzz_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_one(INGEST_CSV, data, size);
}
