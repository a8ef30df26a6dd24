/* fuzz.h: every target defines LLVMFuzzerTestOneInput; libFuzzer or driver.c calls it. */
#ifndef COFFRE_FUZZ_H
#define COFFRE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
