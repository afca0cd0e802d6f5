/* Float32 operators by build: the integer-only build refuses a float CONV_2D at load with a
   message naming the operator and the type; the default build loads it and runs it on its
   float path (zero weights and a bias of 2.5 give 2.5 everywhere, bit for bit). */
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "tflite/writer.h"
#include "util/test-util.h"

/* float32 2.5f as bytes (little-endian IEEE 754: 0x40200000), so that this file needs no
   floating point in the integer-only build. */
static const uint8_t bias_bytes[4 * 4] = {0, 0, 0x20, 0x40, 0, 0, 0x20, 0x40,
                                          0, 0, 0x20, 0x40, 0, 0, 0x20, 0x40};
static uint8_t weights[4 * 3 * 3 * 2 * 4]; /* zeros */

static q8_status load_float_conv(q8_model **model, q8_error *err) {
  const int32_t d_in[4] = {1, 5, 5, 2}, d_w[4] = {4, 3, 3, 2}, d_b[1] = {4};
  const int32_t d_out[4] = {1, 5, 5, 4};
  const int32_t *dims[4] = {d_in, d_w, d_b, d_out};
  const int32_t ranks[4] = {4, 4, 1, 4};
  const char *names[4] = {"x", "w", "b", "y"};
  q8_tensor t[4];
  memset(t, 0, sizeof t);
  for (int i = 0; i < 4; i++) {
    t[i].name = names[i];
    t[i].type = Q8_TYPE_FLOAT32;
    t[i].rank = ranks[i];
    memcpy(t[i].dims, dims[i], sizeof(int32_t) * (size_t)ranks[i]);
  }
  t[1].data = weights;
  t[1].data_size = sizeof weights;
  t[2].data = bias_bytes;
  t[2].data_size = sizeof bias_bytes;
  int32_t ins[3] = {0, 1, 2}, outs[1] = {3};
  q8_node node;
  memset(&node, 0, sizeof node);
  node.kind = Q8_OP_CONV_2D;
  node.n_inputs = 3;
  node.inputs = ins;
  node.n_outputs = 1;
  node.outputs = outs;
  node.opt.conv.padding = Q8_PADDING_SAME;
  node.opt.conv.stride_h = node.opt.conv.stride_w = 1;
  node.opt.conv.dilation_h = node.opt.conv.dilation_w = 1;
  q8_graph g;
  memset(&g, 0, sizeof g);
  g.n_tensors = 4;
  g.tensors = t;
  g.n_nodes = 1;
  g.nodes = &node;
  g.n_inputs = 1;
  g.inputs = &ins[0];
  g.n_outputs = 1;
  g.outputs = &outs[0];
  uint8_t *file = NULL;
  size_t size = 0;
  q8_status s = q8_tflite_write(&g, &file, &size, err);
  if (s == Q8_OK) s = q8_model_load_memory(file, size, 1, model, err);
  free(file);
  return s;
}

int main(void) {
  q8_model *model = NULL;
  q8_error err = {{0}};
  const q8_status s = load_float_conv(&model, &err);
#ifdef Q8_INTEGER_ONLY
  T_CHECK(s == Q8_ERROR_UNSUPPORTED && strstr(err.message, "CONV_2D") != NULL &&
              strstr(err.message, "float32") != NULL &&
              strstr(err.message, "integer-only") != NULL,
          "integer-only build, float CONV_2D: status %d, message '%s'", (int)s, err.message);
#else
  T_CHECK(s == Q8_OK, "float CONV_2D: %s", err.message);
  q8_interp *interp = NULL;
  if (s == Q8_OK && q8_interp_init(model, NULL, &interp, &err) == Q8_OK) {
    static uint8_t x[5 * 5 * 2 * 4], y[5 * 5 * 4 * 4];
    T_CHECK(q8_interp_set_input(interp, 0, x, sizeof x) == Q8_OK &&
                q8_interp_invoke(interp) == Q8_OK &&
                q8_interp_get_output(interp, 0, y, sizeof y) == Q8_OK,
            "run: %s", q8_interp_last_error(interp));
    for (size_t i = 0; i < sizeof y; i += 4)
      T_CHECK(memcmp(y + i, bias_bytes, 4) == 0, "output %zu is not 2.5", i / 4);
    q8_interp_free(interp);
  } else {
    T_CHECK(false, "init: %s", err.message);
  }
#endif
  q8_model_free(model);
  return t_finish();
}
