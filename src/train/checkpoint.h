/* Training checkpoints: the whole state a run needs to continue exactly where it stopped, in
   one binary file written atomically (core/file.h), checked on reading by size and CRC-32.

   What is saved:
   - every PARAMETER tensor of the graph (values and SGD momentum) and every STATE tensor
     (batch-norm moving statistics, and whatever state later nodes add, such as
     fake-quantization ranges), by name, with role, type and shape;
   - where training stands: the model's name, the phase (float or quantization-aware), the
     next step within the phase and its epoch, and the running sums of the epoch in progress
     (so a resumed epoch reports the same loss and accuracy as an uninterrupted one);
   - the options that must be equal to continue (seed, batch, epochs, scheme, bits, ...) as
     key/value text the caller chooses, compared as text;
   - named random-generator states (xoshiro256**, train/rng.h) for generators that carry
     state between steps; the trainer's shuffle order is a function of (seed, epoch) alone,
     so the seed option covers it;
   - the caller's log text (the CSV of finished epochs), so a resumed run writes the same log.

   File layout (integers little endian, floats as their IEEE-754 bits, strings as u16 length
   then bytes without NUL):
     magic "\x89Q8CKPT\n" (8 bytes: the high-bit byte and the newline catch text-mode copies)
     u32 version (Q8T_CHECKPOINT_VERSION), u32 reserved (0), u64 file size
     str model, u32 phase, i32 epoch, i64 step,
     f64 epoch loss sum, i64 epoch correct, i64 epoch images, f64 epoch seconds
     u32 options, then per option: str key, str value
     u32 generators, then per generator: str name, 4 x u64 state
     u64 log bytes, the bytes
     u32 tensors, then per tensor: str name, u32 role, u32 type, u32 rank, rank x i32 dims,
       u32 buffers (1: values; 2: values then momentum), u64 bytes per buffer, the buffers
     u32 CRC-32 (IEEE 802.3, as zlib's crc32) of every byte before it
   Reading checks, in order, with the file, offset and expected vs found in the message:
   magic, version, the recorded size against the file's (truncated or trailing bytes), CRC,
   then every field's bounds. Restoring checks the model name, the options and every tensor
   (missing, extra, other role, type or shape) before it changes anything in the graph. */
#ifndef Q8_TRAIN_CHECKPOINT_H
#define Q8_TRAIN_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "q8/q8.h"
#include "train/graph.h"
#include "train/rng.h"

#define Q8T_CHECKPOINT_VERSION 1
#define Q8T_CHECKPOINT_MAGIC "\x89Q8CKPT\n"

enum {
  Q8T_CHECKPOINT_MAX_OPTIONS = 32,
  Q8T_CHECKPOINT_MAX_RNGS = 4,
  Q8T_CHECKPOINT_KEY_MAX = 32,   /* bytes of an option key or generator name, with the NUL */
  Q8T_CHECKPOINT_VALUE_MAX = 128 /* bytes of an option value, with the NUL */
};

/* The two phases of the training recipe. */
typedef enum q8t_phase { Q8T_PHASE_FLOAT = 0, Q8T_PHASE_QAT = 1 } q8t_phase;

/* "float", "qat". */
const char *q8t_phase_name(q8t_phase phase);

typedef struct q8t_checkpoint_option {
  char key[Q8T_CHECKPOINT_KEY_MAX];
  char value[Q8T_CHECKPOINT_VALUE_MAX];
} q8t_checkpoint_option;

typedef struct q8t_checkpoint_rng {
  char name[Q8T_CHECKPOINT_KEY_MAX];
  q8t_rng rng;
} q8t_checkpoint_rng;

/* Running sums of the epoch in progress (zero at an epoch boundary). */
typedef struct q8t_epoch_progress {
  double loss_sum; /* sum over the epoch's images so far of the batch loss (loss * images) */
  int64_t correct; /* top-1 hits so far */
  int64_t images;  /* images so far */
  double seconds;  /* training time spent in the epoch so far */
} q8t_epoch_progress;

/* Everything but the tensors. */
typedef struct q8t_checkpoint_info {
  char model[Q8T_NAME_MAX];
  q8t_phase phase;
  int32_t epoch; /* the epoch of the next step, 0-based within the phase */
  int64_t step;  /* the next step within the phase, 0-based */
  q8t_epoch_progress progress;
  int32_t n_options;
  q8t_checkpoint_option options[Q8T_CHECKPOINT_MAX_OPTIONS];
  int32_t n_rngs;
  q8t_checkpoint_rng rngs[Q8T_CHECKPOINT_MAX_RNGS];
  /* Written as given; after reading, points into the checkpoint's memory (valid until
     q8t_checkpoint_free). May be NULL when log_size is 0. */
  const char *log;
  size_t log_size;
} q8t_checkpoint_info;

/* Appends key = printf(fmt, ...) to info's options. Refused: too many options, a key or value
   too long, a key already present. */
q8_status q8t_checkpoint_add_option(q8t_checkpoint_info *info, q8_error *error, const char *key,
                                    const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Writes graph's parameters (values and momentum) and state tensors with info to path,
   atomically. The graph must be allocated. */
q8_status q8t_checkpoint_write(const char *path, const q8t_graph *graph,
                               const q8t_checkpoint_info *info, q8_error *error);

/* A checkpoint read into memory and checked (magic, version, size, CRC, structure). */
typedef struct q8t_checkpoint q8t_checkpoint;

/* Reads and checks path. Errors: Q8_ERROR_IO (cannot open or read), Q8_ERROR_MALFORMED (not
   a checkpoint, truncated, CRC mismatch, a field out of bounds), Q8_ERROR_UNSUPPORTED (another
   version). */
q8_status q8t_checkpoint_read(const char *path, q8t_checkpoint **checkpoint, q8_error *error);

void q8t_checkpoint_free(q8t_checkpoint *checkpoint);

/* The checkpoint's info (its log points into the checkpoint). */
const q8t_checkpoint_info *q8t_checkpoint_get_info(const q8t_checkpoint *checkpoint);

/* Q8_OK when the checkpoint was written for model with exactly these options (every key
   present on both sides, equal values); otherwise Q8_ERROR_INVALID_ARGUMENT naming the first
   difference: "checkpoint F: option 'seed' is 1 there, 2 in this run". */
q8_status q8t_checkpoint_check(const q8t_checkpoint *checkpoint, const char *model,
                               const q8t_checkpoint_option *options, int32_t n_options,
                               q8_error *error);

/* Copies the saved tensors into graph (allocated): every parameter (values and momentum) and
   state tensor of the graph must be in the checkpoint with the same role, type and shape, and
   the checkpoint must hold no other tensor. Everything is checked before anything is copied:
   on error the graph is unchanged. Q8_ERROR_INVALID_ARGUMENT names the tensor and expected vs
   found. */
q8_status q8t_checkpoint_restore(const q8t_checkpoint *checkpoint, q8t_graph *graph,
                                 q8_error *error);

/* CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320; zlib's crc32): start with crc 0, feed
   the bytes in pieces. */
uint32_t q8t_crc32(uint32_t crc, const void *data, size_t size);

#endif
