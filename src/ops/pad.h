/* PAD: the run function of pad-run.c (its plan is a q8_ref_pad_params). */
#ifndef Q8_OPS_PAD_H
#define Q8_OPS_PAD_H

#include "ops/op.h"
#include "ref/pad.h"

void q8_run_pad(const void *params, const void *const *inputs, void *const *outputs,
                void *scratch);

#endif
