/* The fuzz target and the structure-aware mutator, shared by the libFuzzer binary and the
   replay driver (which runs them without libFuzzer: truncations, regression files, and
   mutation rounds in builds made with another compiler). */
#ifndef Q8_FUZZ_TARGET_H
#define Q8_FUZZ_TARGET_H

#include <stddef.h>
#include <stdint.h>

/* Loads data as a model (not copied: size bytes exactly), prepares it in a fixed caller-owned
   arena, runs it twice (two arenas, two garbage patterns) when its work is reasonable and
   checks every result; aborts with a message on anything wrong. Returns 0. */
int q8_fuzz_one_model(const uint8_t *data, size_t size);

/* How far the inputs so far got: loaded, prepared, invoked (for judging a mutator). */
typedef struct q8_fuzz_progress {
  long runs, loaded, prepared, invoked;
} q8_fuzz_progress;
q8_fuzz_progress q8_fuzz_progress_so_far(void);

/* A plain byte mutator (libFuzzer's LLVMFuzzerMutate, or the replay driver's own). */
typedef size_t (*q8_fuzz_byte_mutator)(uint8_t *data, size_t size, size_t max_size);

/* Mutates the model in data (size bytes, room for max_size) and returns its new size:
   edits of decoded fields (scales, zero points, shapes, strides, tensor indices, offsets,
   vector lengths, vtable entries) found with the reader's observer (45%); edits of q8's
   graph written back with the writer (30%); a truncation, often at a structure boundary
   (5%); bytes, through bytes (20%). Deterministic given seed and the input. */
size_t q8_fuzz_mutate(uint8_t *data, size_t size, size_t max_size, unsigned seed,
                      q8_fuzz_byte_mutator bytes);

/* Combines two models into out (room for max_out bytes): a field or vector element of a
   shared name copied from the second into the first, or a splice at one position. */
size_t q8_fuzz_cross_over(const uint8_t *data1, size_t size1, const uint8_t *data2, size_t size2,
                          uint8_t *out, size_t max_out, unsigned seed);

#endif
