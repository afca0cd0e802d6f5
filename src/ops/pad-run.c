/* PAD at run time (integer only). */
#include "ops/pad.h"

void q8_run_pad(const void *params, const void *const *inputs, void *const *outputs,
                void *scratch) {
  (void)scratch;
  q8_ref_pad_x8(params, inputs[0], outputs[0]);
}
