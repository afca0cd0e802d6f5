/* libFuzzer's entry points: the target and the structure-aware mutator and cross-over. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz/fuzz-target.h"

/* libFuzzer's own byte mutator, used for a quarter of the mutations. */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2,
                                 size_t size2, uint8_t *out, size_t max_out_size,
                                 unsigned int seed);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return q8_fuzz_one_model(data, size);
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed) {
  return q8_fuzz_mutate(data, size, max_size, seed, LLVMFuzzerMutate);
}

size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2,
                                 size_t size2, uint8_t *out, size_t max_out_size,
                                 unsigned int seed) {
  return q8_fuzz_cross_over(data1, size1, data2, size2, out, max_out_size, seed);
}
