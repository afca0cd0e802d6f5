/* Helpers shared by the integer and float input/output calls. */
#ifndef Q8_RUNTIME_INTERNAL_IO_H
#define Q8_RUNTIME_INTERNAL_IO_H

#include "runtime/runtime.h"

/* Tensor index of graph input (output when output is true) number index, or -1 with the
   interpreter's last error set. */
int32_t q8_interp_io_tensor(q8_interp *interp, bool output, int32_t index);
/* The same without recording an error. */
int32_t q8_interp_io_tensor_index(const q8_interp *interp, bool output, int32_t index);
/* Bytes of tensor t of the interpreter. */
size_t q8_interp_tensor_bytes(const q8_interp *interp, int32_t t);

#endif
