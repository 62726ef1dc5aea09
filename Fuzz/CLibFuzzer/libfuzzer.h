// libFuzzer's driver, from the sanitizer runtime that swiftc -sanitize=fuzzer links
// (compiler-rt's FuzzerInterface.h, LLVM 11 and later). Nothing to link here.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
