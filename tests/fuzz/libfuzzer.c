/* libfuzzer.c - the libFuzzer entry point for one target, chosen at build
 * time: clang -fsanitize=fuzzer,address,undefined -DFUZZ_TARGET=fuzz_yaml ... */
#include <stddef.h>
#include <stdint.h>

#include "targets.h"

#ifndef FUZZ_TARGET
#error "define FUZZ_TARGET, e.g. -DFUZZ_TARGET=fuzz_yaml"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return FUZZ_TARGET(data, size);
}
