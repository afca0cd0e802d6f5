/* SOFTMAX: the prepared plan shared by softmax-prepare.c and softmax-run.c. */
#ifndef Q8_OPS_SOFTMAX_H
#define Q8_OPS_SOFTMAX_H

#include <stdbool.h>
#include <stddef.h>

#include "ops/op.h"
#include "ref/softmax.h"
#include "ukernels/qs8-softmax/qs8-softmax.h"

typedef struct q8_softmax_plan {
  q8_ref_softmax_params params;
  size_t rows;  /* product of all dimensions but the last */
  size_t depth; /* the last dimension, along which softmax normalises */
  bool is_signed;
  /* Kernel path (NULL kernel: the reference operator, Q8_ISA_REF): the tables of
     qs8-softmax.h, rows split into tasks of about Q8_SOFTMAX_TASK_ELEMENTS on the pool. */
  q8_softmax_ukernel_fn kernel;
  const q8_softmax_table *table;
  struct q8_threadpool *pool;
  size_t rows_per_task;
} q8_softmax_plan;

enum { Q8_SOFTMAX_TASK_ELEMENTS = 16384 };

void q8_run_softmax_kernel(const void *params, const void *const *inputs, void *const *outputs,
                           void *scratch);

void q8_run_softmax(const void *params, const void *const *inputs, void *const *outputs,
                    void *scratch);

#endif
