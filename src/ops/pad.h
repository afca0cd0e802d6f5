/* PAD: the run function of pad-run.c (its plan is a q8_ref_pad_params). */
#ifndef Q8_OPS_PAD_H
#define Q8_OPS_PAD_H

#include "ops/op.h"
#include "ref/pad.h"

/* Reads the constant int32 [rank,2] paddings (>= 0) into p->before/after (also for the
   float PAD). */
q8_status q8_pad_read_paddings(q8_prepare_ctx *ctx, const q8_tensor *pads, int32_t rank,
                               q8_ref_pad_params *p);

/* Copies the input's dims into p->input_dims, computes out_dims (input plus paddings) and
   sets the output's shape (also for the float PAD). */
q8_status q8_pad_output_shape(q8_prepare_ctx *ctx, const q8_tensor *in, q8_tensor *out,
                              q8_ref_pad_params *p, int32_t *out_dims);

void q8_run_pad(const void *params, const void *const *inputs, void *const *outputs,
                void *scratch);

#endif
