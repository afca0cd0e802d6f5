/* q8 runtime API: load an 8-bit quantized TFLite model and run it with integer arithmetic. */
#ifndef Q8_Q8_H
#define Q8_Q8_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define Q8_VERSION_MAJOR 0
#define Q8_VERSION_MINOR 1
#define Q8_VERSION_PATCH 0

/* Returns "MAJOR.MINOR.PATCH" of the linked library (may differ from the header's macros). */
const char *q8_version_string(void);

/* Every public function returns a status. Q8_OK is 0. */
typedef enum q8_status {
  Q8_OK = 0,
  Q8_ERROR_INVALID_ARGUMENT, /* a NULL pointer, an index out of range, a size that does not match */
  Q8_ERROR_IO,               /* a file could not be opened, mapped or read */
  Q8_ERROR_MALFORMED,        /* the model file breaks the flatbuffer or TFLite structure */
  Q8_ERROR_UNSUPPORTED,      /* a valid model that uses something q8 does not run */
  Q8_ERROR_INVALID_MODEL,    /* a well-formed model whose parameters would compute garbage */
  Q8_ERROR_OUT_OF_MEMORY,
  Q8_ERROR_STATE             /* a call made in the wrong order (invoke before an input was set, ...) */
} q8_status;

/* Short constant name of a status ("Q8_ERROR_MALFORMED"). */
const char *q8_status_name(q8_status status);

/* Message of a failed constructor call (load, interpreter init), which has no object yet
   to hold it. Always NUL-terminated. */
typedef struct q8_error {
  char message[512];
} q8_error;

/* Element types of tensors (values are q8's own, not TFLite's). */
typedef enum q8_type {
  Q8_TYPE_FLOAT32 = 0,
  Q8_TYPE_INT32 = 1,
  Q8_TYPE_UINT8 = 2,
  Q8_TYPE_INT8 = 3
} q8_type;

const char *q8_type_name(q8_type type);
/* Bytes per element: 4, 4, 1, 1. */
size_t q8_type_size(q8_type type);

#define Q8_MAX_RANK 6

/* Per-tensor quantization as the caller sees an input or output: real = scale * (q - zero_point).
   scale is 0 for a tensor that is not quantized (float32). */
typedef struct q8_quant_params {
  float scale;
  int32_t zero_point;
} q8_quant_params;

/* Description of one model input or output. name points into the model and lives as long as it. */
typedef struct q8_tensor_info {
  const char *name;
  q8_type type;
  int32_t rank;
  int32_t dims[Q8_MAX_RANK];
  size_t bytes;            /* product of dims times q8_type_size(type) */
  q8_quant_params quant;
} q8_tensor_info;

typedef struct q8_model q8_model;   /* an immutable loaded model, shareable across threads */
typedef struct q8_interp q8_interp; /* prepared state for running one model on one thread */

/* Loads a .tflite file. The file is memory-mapped and weights are read in place.
   On failure *model is NULL and, when error is not NULL, error->message says what is wrong
   and where (file offset, table, field). */
q8_status q8_model_load_file(const char *path, q8_model **model, q8_error *error);

/* Loads a model from memory. The bytes are copied when copy is non-zero; otherwise they must
   stay valid and unchanged until q8_model_free. */
q8_status q8_model_load_memory(const void *data, size_t size, int copy, q8_model **model,
                               q8_error *error);

void q8_model_free(q8_model *model);

/* Kernel paths ("instruction set architectures"). Every path computes the same bytes; they
   differ in speed. ref: the reference operators (src/ref, the oracle); scalar: portable
   production kernels; the others need the CPU features of their name. */
typedef enum q8_isa {
  Q8_ISA_AUTO = 0, /* the Q8_ISA environment variable if set, else the fastest this CPU runs */
  Q8_ISA_REF,
  Q8_ISA_SCALAR,
  Q8_ISA_AVX2,       /* x86-64 with AVX2 and FMA */
  Q8_ISA_AVX512VNNI, /* x86-64 with AVX-512 F/BW/DQ/VL and VNNI */
  Q8_ISA_NEON,       /* AArch64 Advanced SIMD */
  Q8_ISA_NEONDOT,    /* AArch64 with the dot-product instructions (ARMv8.2 SDOT/UDOT) */
  Q8_ISA_COUNT
} q8_isa;

/* "auto", "ref", "scalar", "avx2", "avx512vnni", "neon", "neondot"; "unknown" otherwise. */
const char *q8_isa_name(q8_isa isa);
/* The inverse of q8_isa_name; INVALID_ARGUMENT for any other name. */
q8_status q8_isa_from_name(const char *name, q8_isa *isa);

/* CPU feature bits, for q8_interp_options.cpu_features. */
#define Q8_CPU_AVX2 (1u << 0)       /* AVX2 and FMA, with the OS saving YMM state */
#define Q8_CPU_AVX512 (1u << 1)     /* AVX-512 F, BW, DQ and VL, with ZMM state saved */
#define Q8_CPU_AVX512VNNI (1u << 2) /* AVX-512 VNNI (vpdpbusd) */
#define Q8_CPU_NEON (1u << 3)
#define Q8_CPU_NEONDOT (1u << 4)
#define Q8_CPU_INJECTED (1u << 31) /* q8_interp_options.cpu_features holds the features to use */

/* Options of an interpreter; zero-initialise, then set what you need. */
typedef struct q8_interp_options {
  /* Caller-owned activation arena: when arena is not NULL, it must be at least arena_size
     bytes, 64-byte aligned, and outlive the interpreter. Its required size is
     q8_interp_arena_size of an interpreter of the same model made without one (with the
     same isa and threads: the kernels' scratch memory depends on both). */
  void *arena;
  size_t arena_size;
  /* Kernel path; Q8_ISA_AUTO (0) chooses. A path this build lacks or the CPU cannot run is
     refused at init (UNSUPPORTED), never silently replaced. */
  q8_isa isa;
  /* Threads that split each operator's work, the calling thread included; 0 means 1.
     Outputs are identical for every thread count. At most 64. */
  int32_t threads;
  /* For tests: Q8_CPU_INJECTED | Q8_CPU_* bits assumes those features instead of this CPU's
     (Q8_CPU_INJECTED alone: a CPU with none); without Q8_CPU_INJECTED the CPU is asked.
     Pretending a feature the CPU lacks crashes on the first kernel that uses it. */
  uint32_t cpu_features;
} q8_interp_options;

/* Prepares a model: output shapes, multipliers, clamps, weight sums and the memory plan.
   options may be NULL. Several interpreters may share one model. */
q8_status q8_interp_init(const q8_model *model, const q8_interp_options *options,
                         q8_interp **interp, q8_error *error);
void q8_interp_free(q8_interp *interp);

/* Message of the last failed call on this interpreter ("" when none failed). */
const char *q8_interp_last_error(const q8_interp *interp);

/* Bytes of activation memory the interpreter uses (shared between tensors whose lifetimes do
   not overlap), and the sum of all activation tensor sizes it would need without sharing. */
size_t q8_interp_arena_size(const q8_interp *interp);
/* The kernel path and thread count the interpreter runs with. */
q8_isa q8_interp_isa(const q8_interp *interp);
int32_t q8_interp_threads(const q8_interp *interp);
size_t q8_interp_unshared_size(const q8_interp *interp);
/* Bytes the interpreter allocated besides the arena (parameters, copies of unaligned data). */
size_t q8_interp_persistent_size(const q8_interp *interp);

int32_t q8_interp_input_count(const q8_interp *interp);
int32_t q8_interp_output_count(const q8_interp *interp);
/* Q8_ERROR_INVALID_ARGUMENT for an index out of range (not recorded as the last error: the
   interpreter is const here). */
q8_status q8_interp_input_info(const q8_interp *interp, int32_t index, q8_tensor_info *info);
q8_status q8_interp_output_info(const q8_interp *interp, int32_t index, q8_tensor_info *info);

/* Copies size bytes (exactly the tensor's size) of the input's own type. */
q8_status q8_interp_set_input(q8_interp *interp, int32_t index, const void *data, size_t size);
/* Quantizes count floats with the input's scale and zero point (round half away from zero,
   clamped to the type's range). Not available in the integer-only build. */
q8_status q8_interp_set_input_float(q8_interp *interp, int32_t index, const float *data,
                                    size_t count);

/* Runs the model. Integer arithmetic only; no allocation. */
q8_status q8_interp_invoke(q8_interp *interp);

/* Copies the output in its own type (size must equal the tensor's size). */
q8_status q8_interp_get_output(q8_interp *interp, int32_t index, void *data, size_t size);
/* Dequantizes the output into count floats. Not available in the integer-only build. */
q8_status q8_interp_get_output_float(q8_interp *interp, int32_t index, float *data, size_t count);

/* Read-only pointer to the output's bytes inside the arena, valid until the next invoke. */
q8_status q8_interp_output_data(q8_interp *interp, int32_t index, const void **data);

#ifdef __cplusplus
}
#endif
#endif
