/* libFuzzer's driver entry point (compiler-rt, linked by -sanitize=fuzzer). Declared only: the
   fuzz executable calls it when built with -DFUZZING; a normal build never references it.
   No stable API. */
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
