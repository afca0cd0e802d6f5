/* Semantic validation, end to end: hand-made models that are well-formed flatbuffers but
   would compute garbage (bad scales, zero points, strides, shapes, overlapping data, cycles,
   per-channel mismatches, unrepresentable multipliers) must be refused by
   q8_model_load_memory or q8_interp_init, with a status and a message naming the tensor or
   operator and the bad value. doc/format.md "Semantic validation" lists the same checks. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "q8/q8.h"
#include "tflite/schema-fields.h"
#include "tflite/schema-names.h"
#include "util/test-util.h"
#include "util/tflite-spec.h"

/* ---- running a model through the public API ---- */

#define FRAGS(...) ((const char *const[]){__VA_ARGS__, NULL})

typedef struct run_result {
  q8_status status;
  char message[sizeof(((q8_error *)0)->message)];
  const char *stage; /* "load" or "init" */
} run_result;

/* Loads bytes (copied into an exact-size allocation, so that ASan sees any overread) and
   prepares an interpreter; then, when out is not NULL and both succeeded, runs it with every
   input byte `fill` and copies (up to out_size bytes of) output 0 into out. */
static run_result run_bytes(const uint8_t *data, size_t size, uint8_t fill, void *out,
                            size_t out_size) {
  run_result r = {Q8_OK, "", "load"};
  uint8_t *copy = malloc(size > 0 ? size : 1);
  if (copy == NULL) {
    r.status = Q8_ERROR_OUT_OF_MEMORY;
    return r;
  }
  memcpy(copy, data, size);
  q8_model *model = NULL;
  q8_interp *interp = NULL;
  q8_error err = {{0}};
  r.status = q8_model_load_memory(copy, size, 0, &model, &err);
  if (r.status == Q8_OK) {
    r.stage = "init";
    r.status = q8_interp_init(model, NULL, &interp, &err);
  }
  snprintf(r.message, sizeof r.message, "%s", err.message);
  if (r.status == Q8_OK && out != NULL) {
    r.stage = "invoke";
    uint8_t input[256];
    memset(input, fill, sizeof input);
    q8_tensor_info in_info, out_info;
    const void *result = NULL;
    q8_status s = q8_interp_input_info(interp, 0, &in_info);
    if (s == Q8_OK) s = q8_interp_output_info(interp, 0, &out_info);
    if (s == Q8_OK && in_info.bytes > sizeof input) s = Q8_ERROR_INVALID_ARGUMENT;
    if (s == Q8_OK) s = q8_interp_set_input(interp, 0, input, in_info.bytes);
    if (s == Q8_OK) s = q8_interp_invoke(interp);
    if (s == Q8_OK) s = q8_interp_output_data(interp, 0, &result);
    if (s == Q8_OK) memcpy(out, result, out_info.bytes < out_size ? out_info.bytes : out_size);
    if (s != Q8_OK) snprintf(r.message, sizeof r.message, "%s", q8_interp_last_error(interp));
    r.status = s;
  }
  q8_interp_free(interp);
  q8_model_free(model);
  free(copy);
  return r;
}

/* The bytes must be refused with status, and the message must contain every fragment. */
static void expect_bytes_refused(const char *what, const uint8_t *data, size_t size,
                                 q8_status status, const char *const *frags) {
  run_result r = run_bytes(data, size, 0, NULL, 0);
  T_CHECK(r.status == status, "%s: status %s at %s, expected %s (%s)", what,
          q8_status_name(r.status), r.stage, q8_status_name(status), r.message);
  for (int i = 0; frags[i] != NULL; i++) {
    T_CHECK(strstr(r.message, frags[i]) != NULL, "%s: message '%s' lacks '%s'", what, r.message,
            frags[i]);
  }
  printf("  %-44s %-4s -> %s\n", what, r.stage, r.message);
}

static void expect_refused(const char *what, const model_spec *s, q8_status status,
                           const char *const *frags) {
  built_model m = build_model(s);
  T_CHECK(m.data != NULL, "%s: built", what);
  if (m.data != NULL) expect_bytes_refused(what, m.data, m.size, status, frags);
  free(m.data);
}

static void expect_bytes_accepted(const char *what, const uint8_t *data, size_t size) {
  run_result r = run_bytes(data, size, 0, NULL, 0);
  T_CHECK(r.status == Q8_OK, "%s: refused at %s: %s %s", what, r.stage, q8_status_name(r.status),
          r.message);
}

static void expect_accepted(const char *what, const model_spec *s) {
  built_model m = build_model(s);
  T_CHECK(m.data != NULL, "%s: built", what);
  if (m.data != NULL) expect_bytes_accepted(what, m.data, m.size);
  free(m.data);
}

/* ---- base models: each one loads, prepares and runs ---- */

/* schema.fbs enum Padding. */
enum { PADDING_SAME = 0, PADDING_VALID = 1 };
/* Short names for the tensor types of the schema (TensorType). */
enum { I8 = Q8_TFL_TYPE_INT8, U8 = Q8_TFL_TYPE_UINT8, I32 = Q8_TFL_TYPE_INT32 };

static spec_tensor tensor(const char *name, int8_t type, int rank, const int32_t *dims,
                          uint32_t buffer, int n_quant, const float *scales, const int64_t *zps,
                          int32_t qdim) {
  spec_tensor t;
  memset(&t, 0, sizeof t);
  t.name = name;
  t.type = type;
  t.rank = rank;
  memcpy(t.dims, dims, (size_t)rank * sizeof *dims);
  t.buffer = buffer;
  t.n_quant = n_quant;
  for (int i = 0; i < n_quant; i++) {
    t.scale[i] = scales[i];
    t.zero_point[i] = zps[i];
  }
  t.n_zero_points = -1;
  t.qdim = qdim;
  return t;
}

static spec_option option_i(int field, char kind, int32_t value) {
  spec_option o;
  memset(&o, 0, sizeof o);
  o.field = field;
  o.kind = kind;
  o.i = value;
  return o;
}

/* Sets option `field` of operator op (adding it when absent). */
static void set_option(model_spec *s, int op, int field, char kind, int32_t value) {
  spec_op *o = &s->ops[op];
  for (int i = 0; i < o->n_options; i++) {
    if (o->options[i].field == field) {
      o->options[i] = option_i(field, kind, value);
      return;
    }
  }
  o->options[o->n_options++] = option_i(field, kind, value);
}

static model_spec empty_spec(int32_t code, int32_t version) {
  model_spec s;
  memset(&s, 0, sizeof s);
  memcpy(s.identifier, "TFL3", 5);
  s.version = 3;
  s.n_subgraphs = 1;
  s.n_opcodes = 1;
  s.opcodes[0] = (spec_opcode){(int8_t)code, code, NULL, version};
  s.n_buffers = 1; /* buffer 0: the empty sentinel */
  s.n_inputs = 1;
  s.n_outputs = 1;
  return s;
}

static void one_op(model_spec *s, int n_in, const int32_t *in, int32_t out, uint8_t options) {
  s->n_ops = 1;
  spec_op *op = &s->ops[0];
  memset(op, 0, sizeof *op);
  op->n_inputs = n_in;
  memcpy(op->inputs, in, (size_t)n_in * sizeof *in);
  op->n_outputs = 1;
  op->outputs[0] = out;
  op->options_type = options;
  op->options_table = options != 0;
}

/* int8 CONV_2D 1x1, VALID, stride 1: in [1,4,4,2] -> out [1,4,4,3], per-channel filter
   (tensor 1, axis 0), int32 bias (tensor 2). */
static model_spec conv_int8(void) {
  model_spec s = empty_spec(Q8_TFL_OP_CONV_2D, 3);
  s.n_buffers = 3;
  s.buffers[1].n = 3 * 2;
  s.buffers[2].n = 3 * 4;
  s.n_tensors = 4;
  s.tensors[0] = tensor("input", I8, 4, (int32_t[]){1, 4, 4, 2}, 0, 1, (float[]){0.5f},
                        (int64_t[]){-3}, 0);
  s.tensors[1] = tensor("filter", I8, 4, (int32_t[]){3, 1, 1, 2}, 1, 3,
                        (float[]){0.01f, 0.02f, 0.03f}, (int64_t[]){0, 0, 0}, 0);
  s.tensors[2] = tensor("bias", I32, 1, (int32_t[]){3}, 2, 3,
                        (float[]){0.005f, 0.01f, 0.015f}, (int64_t[]){0, 0, 0}, 0);
  s.tensors[3] = tensor("output", I8, 4, (int32_t[]){1, 4, 4, 3}, 0, 1, (float[]){0.25f},
                        (int64_t[]){7}, 0);
  one_op(&s, 3, (int32_t[]){0, 1, 2}, 3, Q8_TFL_OPTIONS_CONV_2D);
  set_option(&s, 0, CONV_PADDING, 'b', PADDING_VALID);
  set_option(&s, 0, CONV_STRIDE_W, 'i', 1);
  set_option(&s, 0, CONV_STRIDE_H, 'i', 1);
  s.inputs[0] = 0;
  s.outputs[0] = 3;
  return s;
}

/* The paper's scheme: uint8 everywhere, per-tensor filter with zero point 120. */
static model_spec conv_uint8(void) {
  model_spec s = conv_int8();
  s.tensors[0] = tensor("input", U8, 4, (int32_t[]){1, 4, 4, 2}, 0, 1, (float[]){0.5f},
                        (int64_t[]){128}, 0);
  s.tensors[1] = tensor("filter", U8, 4, (int32_t[]){3, 1, 1, 2}, 1, 1, (float[]){0.01f},
                        (int64_t[]){120}, 0);
  s.tensors[2] = tensor("bias", I32, 1, (int32_t[]){3}, 2, 1, (float[]){0.005f},
                        (int64_t[]){0}, 0);
  s.tensors[3] = tensor("output", U8, 4, (int32_t[]){1, 4, 4, 3}, 0, 1, (float[]){0.25f},
                        (int64_t[]){100}, 0);
  return s;
}

/* int8 DEPTHWISE_CONV_2D with a kernel_h x kernel_w filter, SAME, stride 1, multiplier 1:
   in [1,4,4,2] -> out [1,4,4,2], filter [1,kh,kw,2] per-channel along axis 3. */
static model_spec depthwise_int8(int32_t kh, int32_t kw) {
  model_spec s = empty_spec(Q8_TFL_OP_DEPTHWISE_CONV_2D, 2);
  s.n_buffers = 3;
  s.buffers[1].n = (uint32_t)(kh * kw * 2);
  s.buffers[2].n = 2 * 4;
  s.n_tensors = 4;
  s.tensors[0] = tensor("dw_input", I8, 4, (int32_t[]){1, 4, 4, 2}, 0, 1, (float[]){0.5f},
                        (int64_t[]){-3}, 0);
  s.tensors[1] = tensor("dw_filter", I8, 4, (int32_t[]){1, kh, kw, 2}, 1, 2,
                        (float[]){0.01f, 0.02f}, (int64_t[]){0, 0}, 3);
  s.tensors[2] = tensor("dw_bias", I32, 1, (int32_t[]){2}, 2, 2, (float[]){0.005f, 0.01f},
                        (int64_t[]){0, 0}, 3);
  s.tensors[3] = tensor("dw_output", I8, 4, (int32_t[]){1, 4, 4, 2}, 0, 1,
                        (float[]){0.25f}, (int64_t[]){7}, 0);
  one_op(&s, 3, (int32_t[]){0, 1, 2}, 3, Q8_TFL_OPTIONS_DEPTHWISE_CONV_2D);
  set_option(&s, 0, DW_PADDING, 'b', PADDING_SAME);
  set_option(&s, 0, DW_STRIDE_W, 'i', 1);
  set_option(&s, 0, DW_STRIDE_H, 'i', 1);
  set_option(&s, 0, DW_DEPTH_MULTIPLIER, 'i', 1);
  s.inputs[0] = 0;
  s.outputs[0] = 3;
  return s;
}

/* int8 MAX_POOL_2D or AVERAGE_POOL_2D 2x2, stride 2, VALID: [1,4,4,2] -> [1,2,2,2]. */
static model_spec pool_int8(int32_t code) {
  model_spec s = empty_spec(code, 2);
  s.n_tensors = 2;
  s.tensors[0] = tensor("pool_in", I8, 4, (int32_t[]){1, 4, 4, 2}, 0, 1, (float[]){0.5f},
                        (int64_t[]){-3}, 0);
  s.tensors[1] = tensor("pool_out", I8, 4, (int32_t[]){1, 2, 2, 2}, 0, 1,
                        (float[]){0.5f}, (int64_t[]){-3}, 0);
  one_op(&s, 1, (int32_t[]){0}, 1, Q8_TFL_OPTIONS_POOL_2D);
  set_option(&s, 0, POOL_PADDING, 'b', PADDING_VALID);
  set_option(&s, 0, POOL_STRIDE_W, 'i', 2);
  set_option(&s, 0, POOL_STRIDE_H, 'i', 2);
  set_option(&s, 0, POOL_FILTER_W, 'i', 2);
  set_option(&s, 0, POOL_FILTER_H, 'i', 2);
  s.inputs[0] = 0;
  s.outputs[0] = 1;
  return s;
}

/* Two int8 ADDs over [1,4]: operator 0 x + x -> y, operator 1 y + x -> z (tensors 0, 1, 2,
   and 3 'w', an activation nothing writes, for variants). */
static model_spec add_chain(void) {
  model_spec s = empty_spec(Q8_TFL_OP_ADD, 1);
  s.n_tensors = 4;
  const char *names[4] = {"x", "y", "z", "w"};
  for (int i = 0; i < 4; i++) {
    s.tensors[i] = tensor(names[i], I8, 2, (int32_t[]){1, 4}, 0, 1, (float[]){0.5f},
                          (int64_t[]){0}, 0);
  }
  s.n_ops = 2;
  s.ops[0] = (spec_op){0, 2, 1, {0, 0}, {1}, 0, false, 0, {{0}}};
  s.ops[1] = (spec_op){0, 2, 1, {1, 0}, {2}, 0, false, 0, {{0}}};
  s.inputs[0] = 0;
  s.outputs[0] = 2;
  return s;
}

/* int8 RESHAPE [1,4] -> [4] with ReshapeOptions.new_shape. */
static model_spec reshape_int8(int rank, const int32_t *new_shape) {
  model_spec s = empty_spec(Q8_TFL_OP_RESHAPE, 1);
  s.n_tensors = 2;
  s.tensors[0] = tensor("r_in", I8, 2, (int32_t[]){1, 4}, 0, 1, (float[]){0.5f},
                        (int64_t[]){0}, 0);
  s.tensors[1] = tensor("r_out", I8, 1, (int32_t[]){4}, 0, 1, (float[]){0.5f},
                        (int64_t[]){0}, 0);
  one_op(&s, 1, (int32_t[]){0}, 1, Q8_TFL_OPTIONS_RESHAPE);
  spec_option *o = &s.ops[0].options[s.ops[0].n_options++];
  *o = option_i(0, 'v', 0);
  o->n = rank;
  memcpy(o->v, new_shape, (size_t)rank * sizeof *new_shape);
  s.inputs[0] = 0;
  s.outputs[0] = 1;
  return s;
}

/* A constant int8 tensor no operator uses, of shape [n] (or rank-6 [1,1,1,1,1,n] when
   rank6), with a new buffer of n bytes; returns the buffer index. */
static int add_probe(model_spec *s, const char *name, int32_t n, bool rank6,
                     const void *bytes) {
  int b = s->n_buffers++;
  s->buffers[b].n = (uint32_t)n;
  s->buffers[b].bytes = bytes;
  int32_t dims6[6] = {1, 1, 1, 1, 1, n};
  s->tensors[s->n_tensors++] = tensor(name, I8, rank6 ? 6 : 1, rank6 ? dims6 : &n,
                                      (uint32_t)b, 1, (float[]){1.0f}, (int64_t[]){0}, 0);
  return b;
}

static void test_base_models_run(void) {
  model_spec specs[] = {conv_int8(),
                        conv_uint8(),
                        depthwise_int8(1, 1),
                        depthwise_int8(3, 3),
                        pool_int8(Q8_TFL_OP_MAX_POOL_2D),
                        pool_int8(Q8_TFL_OP_AVERAGE_POOL_2D),
                        add_chain(),
                        reshape_int8(1, (int32_t[]){4})};
  const char *names[] = {"conv int8", "conv uint8", "depthwise 1x1", "depthwise 3x3",
                         "max pool", "average pool", "add chain", "reshape"};
  for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
    built_model m = build_model(&specs[i]);
    T_CHECK(m.data != NULL, "base model %s built", names[i]);
    if (m.data == NULL) continue;
    int8_t out[64];
    run_result r = run_bytes(m.data, m.size, 1, out, sizeof out);
    T_CHECK(r.status == Q8_OK, "base model %s runs: %s at %s: %s", names[i],
            q8_status_name(r.status), r.stage, r.message);
    free(m.data);
  }
}

/* ---- 1. scales ---- */

static void test_scales(void) {
  static const float bad[] = {0.0f, -1.0f, NAN, INFINITY};
  static const char *const shown[] = {"is 0;", "is -1;", "is nan;", "is inf;"};
  char what[96], frag[64];
  for (int v = 0; v < 4; v++) {
    model_spec s = conv_int8();
    s.tensors[0].scale[0] = bad[v];
    snprintf(what, sizeof what, "input scale %g", (double)bad[v]);
    snprintf(frag, sizeof frag, "scale[0] %s", shown[v]);
    expect_refused(what, &s, Q8_ERROR_INVALID_MODEL,
                   FRAGS("Tensor 0 ('input').quantization.scale", frag));

    s = conv_int8();
    s.tensors[1].scale[1] = bad[v];
    snprintf(what, sizeof what, "filter channel 1 scale %g", (double)bad[v]);
    snprintf(frag, sizeof frag, "scale[1] %s", shown[v]);
    expect_refused(what, &s, Q8_ERROR_INVALID_MODEL, FRAGS("Tensor 1 ('filter')", frag));

    s = conv_int8();
    s.tensors[2].scale[2] = bad[v];
    snprintf(what, sizeof what, "bias channel 2 scale %g", (double)bad[v]);
    snprintf(frag, sizeof frag, "scale[2] %s", shown[v]);
    expect_refused(what, &s, Q8_ERROR_INVALID_MODEL, FRAGS("Tensor 2 ('bias')", frag));

    s = conv_uint8();
    s.tensors[3].scale[0] = bad[v];
    snprintf(what, sizeof what, "uint8 output scale %g", (double)bad[v]);
    snprintf(frag, sizeof frag, "scale[0] %s", shown[v]);
    expect_refused(what, &s, Q8_ERROR_INVALID_MODEL, FRAGS("Tensor 3 ('output')", frag));

    s = add_chain();
    s.tensors[1].scale[0] = bad[v];
    snprintf(what, sizeof what, "ADD activation scale %g", (double)bad[v]);
    expect_refused(what, &s, Q8_ERROR_INVALID_MODEL, FRAGS("Tensor 1 ('y')", shown[v]));
  }
}

/* ---- 2. zero points ---- */

static void test_zero_points(void) {
  model_spec s = conv_uint8();
  s.tensors[0].zero_point[0] = 256;
  expect_refused("uint8 input zero point 256", &s, Q8_ERROR_INVALID_MODEL,
                 FRAGS("Tensor 0 ('input').quantization.zero_point",
                       "zero_point[0] is 256, outside the uint8 range [0, 255]"));
  s = conv_uint8();
  s.tensors[0].zero_point[0] = -1;
  expect_refused("uint8 input zero point -1", &s, Q8_ERROR_INVALID_MODEL,
                 FRAGS("Tensor 0 ('input')", "zero_point[0] is -1, outside the uint8 range"));
  s = conv_uint8();
  s.tensors[1].zero_point[0] = 256;
  expect_refused("uint8 filter zero point 256", &s, Q8_ERROR_INVALID_MODEL,
                 FRAGS("Tensor 1 ('filter')", "is 256, outside the uint8 range"));
  s = conv_int8();
  s.tensors[0].zero_point[0] = -129;
  expect_refused("int8 input zero point -129", &s, Q8_ERROR_INVALID_MODEL,
                 FRAGS("Tensor 0 ('input')", "zero_point[0] is -129, outside the int8 range "
                                             "[-128, 127]"));
  s = conv_int8();
  s.tensors[3].zero_point[0] = 128;
  expect_refused("int8 output zero point 128", &s, Q8_ERROR_INVALID_MODEL,
                 FRAGS("Tensor 3 ('output')", "is 128, outside the int8 range"));
  s = conv_int8();
  s.tensors[1].zero_point[2] = -129;
  expect_refused("int8 filter channel 2 zero point -129", &s, Q8_ERROR_INVALID_MODEL,
                 FRAGS("Tensor 1 ('filter')", "zero_point[2] is -129"));
  s = conv_int8();
  s.tensors[2].zero_point[1] = INT64_C(1) << 40;
  expect_refused("int32 bias zero point 2^40", &s, Q8_ERROR_INVALID_MODEL,
                 FRAGS("Tensor 2 ('bias')", "zero_point[1] is 1099511627776, outside the int32"));
  /* In range for int8 but not symmetric: int8 weights must have zero point 0. */
  s = conv_int8();
  s.tensors[1].zero_point[1] = 1;
  expect_refused("int8 filter channel 1 zero point 1", &s, Q8_ERROR_INVALID_MODEL,
                 FRAGS("operator 0 (CONV_2D)", "filter (input 1, tensor 1 'filter')",
                       "zero point[1] = 1, expected 0"));
}

/* ---- 3. strides, dilations, pool windows ---- */

/* Sets int32 option `field` of operator 0 to value; the model must be refused naming op. */
static void option_case(const char *what, model_spec s, int field, int32_t value,
                        const char *op, const char *frag) {
  set_option(&s, 0, field, 'i', value);
  expect_refused(what, &s, Q8_ERROR_INVALID_MODEL, FRAGS(op, frag));
}

static void test_strides(void) {
  const char *conv = "operator 0 (CONV_2D)", *dw = "operator 0 (DEPTHWISE_CONV_2D)";
  option_case("conv stride_h 0", conv_int8(), CONV_STRIDE_H, 0, conv, "stride 0x1 (h x w)");
  option_case("conv stride_w 0", conv_int8(), CONV_STRIDE_W, 0, conv, "stride 1x0 (h x w)");
  option_case("conv stride_h -1", conv_int8(), CONV_STRIDE_H, -1, conv, "stride -1x1");
  option_case("conv stride_w -2", conv_int8(), CONV_STRIDE_W, -2, conv, "stride 1x-2");
  option_case("conv dilation_h 0", conv_int8(), CONV_DILATION_H, 0, conv, "dilation 0x1");
  option_case("conv dilation_w 0", conv_int8(), CONV_DILATION_W, 0, conv, "dilation 1x0");
  option_case("conv dilation_h -3", conv_int8(), CONV_DILATION_H, -3, conv,
                   "dilation -3x1");
  option_case("depthwise stride_h 0", depthwise_int8(3, 3), DW_STRIDE_H, 0, dw,
                   "stride 0x1");
  option_case("depthwise stride_w 0", depthwise_int8(3, 3), DW_STRIDE_W, 0, dw,
                   "stride 1x0");
  option_case("depthwise stride_w -1", depthwise_int8(3, 3), DW_STRIDE_W, -1, dw,
                   "stride 1x-1");
  option_case("depthwise dilation_h 0", depthwise_int8(3, 3), DW_DILATION_H, 0, dw,
                   "dilation 0x1");
  option_case("depthwise dilation_w 0", depthwise_int8(3, 3), DW_DILATION_W, 0, dw,
                   "dilation 1x0");
  option_case("depthwise dilation_w -1", depthwise_int8(3, 3), DW_DILATION_W, -1, dw,
                   "dilation 1x-1");
  option_case("depthwise depth_multiplier -1", depthwise_int8(3, 3), DW_DEPTH_MULTIPLIER,
                   -1, dw, "depth_multiplier -1");
  /* A dilated kernel of more than 2^31 rows: window positions overflow int32. */
  option_case("depthwise dilation_h 2^30, 3x3", depthwise_int8(3, 3), DW_DILATION_H,
                   1 << 30, dw, "1073741824");
  model_spec s = conv_int8();
  set_option(&s, 0, CONV_DILATION_W, 'i', INT32_MAX);
  expect_accepted("conv dilation 2^31-1 with a 1x1 filter", &s);

  const char *const pools[2] = {"operator 0 (MAX_POOL_2D)", "operator 0 (AVERAGE_POOL_2D)"};
  const int32_t codes[2] = {Q8_TFL_OP_MAX_POOL_2D, Q8_TFL_OP_AVERAGE_POOL_2D};
  char what[96];
  for (int p = 0; p < 2; p++) {
    const char *kind = p == 0 ? "max pool" : "average pool";
    snprintf(what, sizeof what, "%s stride_h 0", kind);
    option_case(what, pool_int8(codes[p]), POOL_STRIDE_H, 0, pools[p],
                     "height: filter 2 and stride 0 must be positive");
    snprintf(what, sizeof what, "%s stride_w 0", kind);
    option_case(what, pool_int8(codes[p]), POOL_STRIDE_W, 0, pools[p],
                     "width: filter 2 and stride 0 must be positive");
    snprintf(what, sizeof what, "%s stride_w -1", kind);
    option_case(what, pool_int8(codes[p]), POOL_STRIDE_W, -1, pools[p],
                     "width: filter 2 and stride -1");
    snprintf(what, sizeof what, "%s filter_h 0", kind);
    option_case(what, pool_int8(codes[p]), POOL_FILTER_H, 0, pools[p],
                     "height: filter 0 and stride 2");
    snprintf(what, sizeof what, "%s filter_w -5", kind);
    option_case(what, pool_int8(codes[p]), POOL_FILTER_W, -5, pools[p],
                     "width: filter -5 and stride 2");
  }
  s = pool_int8(Q8_TFL_OP_MAX_POOL_2D);
  set_option(&s, 0, POOL_PADDING, 'b', PADDING_SAME);
  set_option(&s, 0, POOL_FILTER_H, 'i', INT32_MAX);
  expect_refused("max pool SAME filter_h 2^31-1", &s, Q8_ERROR_INVALID_MODEL,
                 FRAGS(pools[0], "height", "2147483647"));
}

/* ---- 4. shapes ---- */

static void test_shapes(void) {
  model_spec s = conv_int8();
  s.tensors[0].dims[1] = 65536, s.tensors[0].dims[2] = 65536;
  expect_refused("activation of 2^33 bytes", &s, Q8_ERROR_UNSUPPORTED,
                 FRAGS("Tensor 0 ('input').shape", "too large"));
  s = conv_int8();
  s.tensors[2].dims[0] = 1 << 30;
  expect_refused("int32 bias of 2^32 bytes", &s, Q8_ERROR_UNSUPPORTED,
                 FRAGS("Tensor 2 ('bias').shape", "too large"));
  s = conv_int8();
  s.tensors[3].dims[0] = -1;
  expect_refused("negative dimension", &s, Q8_ERROR_MALFORMED,
                 FRAGS("Tensor 3 ('output').shape", "dimension 0 is -1"));
  s = conv_int8();
  s.buffers[1].n = 5;
  expect_refused("filter buffer 5 bytes for 6", &s, Q8_ERROR_MALFORMED,
                 FRAGS("Tensor 1 ('filter')", "Buffer 1 has 5 bytes, expected 6"));
  s = conv_int8();
  s.buffers[2].n = 16;
  expect_refused("bias buffer 16 bytes for 12", &s, Q8_ERROR_MALFORMED,
                 FRAGS("Tensor 2 ('bias')", "has 16 bytes, expected 12"));
  s = conv_int8();
  s.tensors[3].dims[3] = 4;
  expect_refused("output channels 4, filter has 3", &s, Q8_ERROR_INVALID_MODEL,
                 FRAGS("operator 0 (CONV_2D)", "'output' has shape [1,4,4,4] in the file",
                       "computes [1,4,4,3]"));
  /* 65536^4 = 2^64 wraps to 0 in 64 bits. */
  s = reshape_int8(4, (int32_t[]){65536, 65536, 65536, 65536});
  expect_refused("reshape new_shape product 2^64", &s, Q8_ERROR_INVALID_MODEL,
                 FRAGS("operator 0 (RESHAPE)", "[65536,65536,65536,65536]", "too many"));
  s = reshape_int8(5, (int32_t[]){65536, 65536, 65536, 65536, -1});
  expect_refused("reshape new_shape 2^64 and -1", &s, Q8_ERROR_INVALID_MODEL,
                 FRAGS("operator 0 (RESHAPE)", "too many"));
  s = reshape_int8(2, (int32_t[]){3, -1});
  expect_refused("reshape 4 elements into [3,-1]", &s, Q8_ERROR_INVALID_MODEL,
                 FRAGS("operator 0 (RESHAPE)", "[3,-1]", "cannot hold the 4 elements"));
}

/* ---- 5. where constant data lies ---- */

/* Builds s, points Buffer b's data at `target` (a position in the built file) and expects
   status (Q8_OK: accepted). */
static void repoint_data(const char *what, const model_spec *s, int b, size_t target,
                         q8_status status, const char *const *frags) {
  built_model m = build_model(s);
  T_CHECK(m.data != NULL, "%s: built", what);
  if (m.data == NULL) return;
  size_t field = spec_field_pos(m.data, m.buffer_pos[b], 0);
  T_CHECK(field != 0, "%s: Buffer %d has a data field", what, b);
  if (field != 0) {
    spec_point_offset(m.data, field, target);
    if (status == Q8_OK) expect_bytes_accepted(what, m.data, m.size);
    else expect_bytes_refused(what, m.data, m.size, status, frags);
  }
  free(m.data);
}

static void test_data_placement(void) {
  /* Out of the file: the data offset, then the length word. */
  model_spec s = conv_int8();
  built_model m = build_model(&s);
  if (m.data != NULL) {
    size_t field = spec_field_pos(m.data, m.buffer_pos[1], 0);
    spec_put_u32(m.data + field, (uint32_t)(m.size - field + 64));
    expect_bytes_refused("filter data offset past the end", m.data, m.size, Q8_ERROR_MALFORMED,
                         FRAGS("Tensor 1 ('filter').buffer -> Buffer 1.data", "outside the"));
  }
  free(m.data);
  m = build_model(&s);
  if (m.data != NULL) {
    spec_put_u32(m.data + m.data_pos[2], 0x7ffffff0u);
    expect_bytes_refused("bias data length 2^31-16", m.data, m.size, Q8_ERROR_MALFORMED,
                         FRAGS("Buffer 2.data", "runs past the end"));
  }
  free(m.data);

  /* Overlapping the tables: a tensor name, a shape vector, a Tensor table. The data vector
     is pointed at a structure whose first word equals the tensor's byte count; the buffers
     go first in the file, since uoffsets only point forward. */
  char frag[96];
  s = conv_int8();
  s.buffers_first = true;
  s.tensors[0].name = "input6"; /* 6 bytes, like the filter */
  m = build_model(&s);
  /* The name is read before the tensor's description names it: "Tensor 0.name". */
  snprintf(frag, sizeof frag, "overlaps Tensor 0.name, a vector or string at [0x%zx",
           m.name_pos[0]);
  repoint_data("filter data = a tensor name", &s, 1, m.name_pos[0], Q8_ERROR_MALFORMED,
               FRAGS("Tensor 1 ('filter').buffer -> Buffer 1.data: constant data of Buffer 1",
                     frag, "must not share bytes"));
  free(m.data);

  s = conv_int8();
  s.buffers_first = true;
  int b = add_probe(&s, "probe", 6, true, NULL); /* int8 [1,1,1,1,1,6]: shape vector length 6 */
  m = build_model(&s);
  snprintf(frag, sizeof frag, "file offset %zu: Tensor 4 ('probe').buffer -> Buffer %d.data",
           m.shape_pos[4], b);
  repoint_data("probe data = its own shape vector", &s, b, m.shape_pos[4], Q8_ERROR_MALFORMED,
               FRAGS(frag, "overlaps Tensor 4 ('probe').shape, a vector or string"));
  free(m.data);

  /* A table starts with its vtable's distance, a small positive number when the vtable
     sits just before it: the probe gets that many bytes (its data vector keeps 4, so the
     layout does not move). */
  s = conv_int8();
  s.buffers_first = true;
  b = add_probe(&s, "probe", 4, false, NULL);
  m = build_model(&s);
  size_t table = 0;
  int32_t soffset = 0;
  for (int i = 0; m.data != NULL && i < s.n_tensors && table == 0; i++) {
    size_t at = m.tensors_pos + 4 + 4 * (size_t)i;
    size_t t = at + spec_get_u32(m.data + at);
    soffset = (int32_t)spec_get_u32(m.data + t);
    if (soffset > 0 && soffset < 64) table = t;
  }
  free(m.data);
  T_CHECK(table != 0, "a Tensor table with its vtable just before it");
  if (table != 0) {
    s.tensors[4].dims[0] = soffset;
    m = build_model(&s);
    T_CHECK(m.data != NULL && (int32_t)spec_get_u32(m.data + table) == soffset,
            "the layout did not move");
    free(m.data);
    snprintf(frag, sizeof frag, "a table at [0x%zx", table);
    repoint_data("probe data = a Tensor table", &s, b, table, Q8_ERROR_MALFORMED,
                 FRAGS("Tensor 4 ('probe').buffer", frag));
  }

  /* Two buffers on one data vector: a writer sharing identical constants. Accepted. */
  s = conv_int8();
  b = add_probe(&s, "probe", 6, false, NULL);
  m = build_model(&s);
  repoint_data("two buffers share the filter's data vector", &s, b, m.data_pos[1], Q8_OK,
               NULL);
  free(m.data);
  /* Partly overlapping: the second vector's length word is the first one's data. */
  static const uint8_t carrier[16] = {9, 9, 9, 9, 4, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
  s = conv_int8();
  add_probe(&s, "carrier", 16, false, carrier);
  b = add_probe(&s, "inner", 4, false, NULL);
  m = build_model(&s);
  repoint_data("data vector inside another one", &s, b, m.data_pos[3] + 8,
               Q8_ERROR_MALFORMED,
               FRAGS("Tensor 5 ('inner').buffer -> Buffer 4.data",
                     "overlaps Tensor 4 ('carrier').buffer -> Buffer 3.data",
                     "not overlap partly"));
  free(m.data);
}

/* n constant int8 [4] tensors named by 4 hex digits, each with its own buffer, and one ADD
   (x + x -> y); buffers first in the file. With overlap, the last buffer's data is pointed at
   tensor 0's name (4 bytes, like the data). */
static uint8_t *build_many(int n, bool overlap, size_t *size) {
  q8_fbb b;
  q8_fbb_init(&b);
  q8_fbb_ref *refs = malloc(sizeof(q8_fbb_ref) * (size_t)(n + 3));
  q8_fbb_ref name0 = 0;
  static const float one = 1.0f;
  static const int64_t zero = 0;
  for (int i = 0; i < n + 2; i++) {
    char name[8];
    snprintf(name, sizeof name, i < n ? "%04x" : i == n ? "x" : "y", (unsigned)i);
    const int32_t dims[2] = {i < n ? 4 : 1, 4};
    q8_fbb_ref shape = q8_fbb_vector_i32(&b, dims, i < n ? 1 : 2);
    q8_fbb_ref name_ref = q8_fbb_string(&b, name);
    if (i == 0) name0 = name_ref;
    q8_fbb_ref scale = q8_fbb_vector_f32(&b, &one, 1), zp = q8_fbb_vector_i64(&b, &zero, 1);
    q8_fbb_table_begin(&b);
    q8_fbb_add_ref(&b, 2, scale);
    q8_fbb_add_ref(&b, 3, zp);
    q8_fbb_ref quant = q8_fbb_table_end(&b);
    q8_fbb_table_begin(&b);
    q8_fbb_add_ref(&b, 0, shape);
    q8_fbb_add_u8(&b, 1, Q8_TFL_TYPE_INT8);
    q8_fbb_add_u32(&b, 2, i < n ? (uint32_t)i + 1 : 0);
    q8_fbb_add_ref(&b, 3, name_ref);
    q8_fbb_add_ref(&b, 4, quant);
    refs[i] = q8_fbb_table_end(&b);
  }
  q8_fbb_ref tensors = q8_fbb_vector_refs(&b, refs, (uint32_t)n + 2);
  const int32_t x = n, y = n + 1, xx[2] = {n, n};
  q8_fbb_ref op_in = q8_fbb_vector_i32(&b, xx, 2), op_out = q8_fbb_vector_i32(&b, &y, 1);
  q8_fbb_table_begin(&b);
  q8_fbb_add_ref(&b, 1, op_in);
  q8_fbb_add_ref(&b, 2, op_out);
  q8_fbb_ref op = q8_fbb_table_end(&b);
  q8_fbb_ref ops = q8_fbb_vector_refs(&b, &op, 1);
  q8_fbb_ref in = q8_fbb_vector_i32(&b, &x, 1), out = q8_fbb_vector_i32(&b, &y, 1);
  q8_fbb_table_begin(&b);
  q8_fbb_add_ref(&b, 0, tensors);
  q8_fbb_add_ref(&b, 1, in);
  q8_fbb_add_ref(&b, 2, out);
  q8_fbb_add_ref(&b, 3, ops);
  q8_fbb_ref sg = q8_fbb_table_end(&b);
  q8_fbb_ref subgraphs = q8_fbb_vector_refs(&b, &sg, 1);
  q8_fbb_table_begin(&b);
  q8_fbb_add_i32(&b, 2, 1); /* ADD, version 1 */
  q8_fbb_ref code = q8_fbb_table_end(&b);
  q8_fbb_ref codes = q8_fbb_vector_refs(&b, &code, 1);
  for (int i = n; i >= 0; i--) {
    const uint8_t data[4] = {1, 2, 3, (uint8_t)i};
    q8_fbb_ref d = i > 0 ? q8_fbb_vector_u8(&b, data, 4) : 0;
    q8_fbb_table_begin(&b);
    if (d != 0) q8_fbb_add_ref(&b, 0, d);
    refs[i] = q8_fbb_table_end(&b);
  }
  q8_fbb_ref buffers = q8_fbb_vector_refs(&b, refs, (uint32_t)n + 1);
  q8_fbb_ref last = refs[n];
  q8_fbb_table_begin(&b);
  q8_fbb_add_u32(&b, 0, 3);
  q8_fbb_add_ref(&b, 1, codes);
  q8_fbb_add_ref(&b, 2, subgraphs);
  q8_fbb_add_ref(&b, 4, buffers);
  q8_fbb_ref root = q8_fbb_table_end(&b);
  uint8_t *file = q8_fbb_finish(&b, root, "TFL3", size);
  if (file != NULL && overlap) {
    size_t field = spec_field_pos(file, q8_fbb_pos(*size, last), 0);
    spec_point_offset(file, field, q8_fbb_pos(*size, name0));
  }
  q8_fbb_free(&b);
  free(refs);
  return file;
}

/* Thousands of tensors: the layout check sorts and searches, so loading stays fast. */
static void test_many_tensors(void) {
  const int n = 20000;
  for (int overlap = 0; overlap < 2; overlap++) {
    size_t size = 0;
    uint8_t *file = build_many(n, overlap, &size);
    T_CHECK(file != NULL, "model of %d tensors built", n);
    if (file == NULL) continue;
    clock_t start = clock();
    if (overlap) {
      char frag[64];
      snprintf(frag, sizeof frag, "Tensor %d ('%04x').buffer -> Buffer %d.data", n - 1, n - 1, n);
      expect_bytes_refused("20000 tensors, last data on tensor 0's name", file, size,
                           Q8_ERROR_MALFORMED, FRAGS(frag, "overlaps Tensor 0.name"));
    } else {
      expect_bytes_accepted("20000 tensors", file, size);
    }
    double seconds = (double)(clock() - start) / CLOCKS_PER_SEC;
    printf("  %d tensors (%zu bytes)%s: load + init in %.3f s\n", n, size,
           overlap ? ", overlapping" : "", seconds);
    /* Quadratic work (4e10 span comparisons) would take minutes; sorting takes milliseconds,
       so the bound leaves room for sanitizers and emulation. */
    T_CHECK(seconds < 20.0, "%d tensors loaded in %.1f s", n, seconds);
    free(file);
  }
}

/* ---- 6. external buffers ---- */

static void test_external(void) {
  model_spec s = conv_int8();
  s.buffers[1].n = 0;
  s.buffers[1].offset = 4096;
  expect_refused("Buffer.offset 4096", &s, Q8_ERROR_UNSUPPORTED,
                 FRAGS("Tensor 1 ('filter').buffer -> Buffer 1.offset",
                       "offset 4096, models over 2 GiB"));
  s = conv_int8();
  s.tensors[1].external_buffer = 1;
  expect_refused("Tensor.external_buffer 1", &s, Q8_ERROR_UNSUPPORTED,
                 FRAGS("Tensor 1 ('filter').external_buffer", "external buffer 1"));
  /* offset 1 is "not an offset" (schema: valid only if > 1): the data vector counts. */
  s = conv_int8();
  s.buffers[1].offset = 1;
  expect_accepted("Buffer.offset 1 with data", &s);
  s = conv_int8();
  s.buffers[1].n = 0;
  s.buffers[1].offset = 1;
  expect_refused("Buffer.offset 1 without data (filter)", &s, Q8_ERROR_INVALID_MODEL,
                 FRAGS("operator 0 (CONV_2D) reads tensor 1 'filter'", "no operator writes it"));
  s = add_chain();
  s.n_buffers = 2;
  s.buffers[1].offset = 1;
  s.tensors[3].buffer = 1;
  s.ops[1].inputs[1] = 3;
  expect_refused("Buffer.offset 1 without data (ADD input)", &s, Q8_ERROR_INVALID_MODEL,
                 FRAGS("operator 1 (ADD)", "tensor 3 'w'", "no operator writes it"));
}

/* ---- 7, 8. data flow ---- */

static void test_data_flow(void) {
  model_spec s = conv_int8();
  s.ops[0].inputs[0] = 3;
  expect_refused("conv input = its output", &s, Q8_ERROR_INVALID_MODEL,
                 FRAGS("operator 0 (CONV_2D)", "tensor 3 'output' is both input 0 and output 0"));
  s = add_chain();
  s.ops[1].inputs[0] = 2;
  expect_refused("ADD input 0 = its output", &s, Q8_ERROR_INVALID_MODEL,
                 FRAGS("operator 1 (ADD)", "tensor 2 'z' is both input 0 and output 0"));
  s = add_chain();
  s.ops[0].inputs[1] = 1;
  expect_refused("ADD input 1 = its output", &s, Q8_ERROR_INVALID_MODEL,
                 FRAGS("operator 0 (ADD)", "tensor 1 'y' is both input 1 and output 0"));

  /* y = x + z, z = y + x: a cycle. */
  s = add_chain();
  s.ops[0].inputs[1] = 2;
  expect_refused("cycle of two ADDs", &s, Q8_ERROR_INVALID_MODEL,
                 FRAGS("cycle", "operator 0 (ADD)", "operator 1 (ADD)", "tensor 2 'z'"));
  /* z = y + x runs before y = x + x: no cycle, but out of execution order. */
  s = add_chain();
  s.ops[0] = (spec_op){0, 2, 1, {1, 0}, {2}, 0, false, 0, {{0}}};
  s.ops[1] = (spec_op){0, 2, 1, {0, 0}, {1}, 0, false, 0, {{0}}};
  expect_refused("operators out of order", &s, Q8_ERROR_INVALID_MODEL,
                 FRAGS("operator 0 (ADD) reads tensor 1 'y'", "written by operator 1",
                       "out of execution order"));
  s = add_chain();
  s.ops[1].inputs[1] = 3;
  expect_refused("input nothing writes", &s, Q8_ERROR_INVALID_MODEL,
                 FRAGS("operator 1 (ADD) reads tensor 3 'w'", "no operator writes it"));
  s = add_chain();
  s.ops[1].inputs[0] = 0;
  s.ops[1].outputs[0] = 1;
  s.outputs[0] = 1;
  expect_refused("tensor written twice", &s, Q8_ERROR_INVALID_MODEL,
                 FRAGS("operator 1 (ADD): output 0 (tensor 1 'y')", "written by operator 0"));
}

/* ---- 9. per-channel parameters ---- */

static void test_per_channel(void) {
  model_spec s = conv_int8();
  s.tensors[1].n_quant = 2;
  expect_refused("filter 2 scales for 3 channels", &s, Q8_ERROR_MALFORMED,
                 FRAGS("Tensor 1 ('filter')", "2 per-channel scales, but dimension 0",
                       "has 3 channels"));
  s = conv_int8();
  s.tensors[2].n_quant = 2;
  expect_refused("bias 2 scales for 3 channels", &s, Q8_ERROR_MALFORMED,
                 FRAGS("Tensor 2 ('bias')", "2 per-channel scales", "has 3 channels"));
  s = conv_int8();
  s.tensors[1].qdim = 4;
  expect_refused("filter quantized_dimension 4", &s, Q8_ERROR_MALFORMED,
                 FRAGS("Tensor 1 ('filter')", "4 is not a dimension"));
  /* As many scales as the axis has entries, but the wrong axis for a conv filter. */
  s = conv_int8();
  s.tensors[0].dims[3] = 3;
  s.tensors[1].dims[3] = 3;
  s.tensors[1].qdim = 3;
  s.buffers[1].n = 9;
  expect_refused("filter per-channel along dimension 3", &s, Q8_ERROR_INVALID_MODEL,
                 FRAGS("operator 0 (CONV_2D)", "tensor 1 'filter'",
                       "quantized along dimension 3, expected 0"));
  s = depthwise_int8(3, 3);
  s.tensors[1].qdim = 2;
  s.tensors[1].dims[2] = 2;
  s.tensors[1].dims[1] = 2;
  s.buffers[1].n = 8;
  expect_refused("depthwise filter per-channel along dimension 2", &s, Q8_ERROR_INVALID_MODEL,
                 FRAGS("operator 0 (DEPTHWISE_CONV_2D)", "quantized along dimension 2, "
                                                         "expected 3"));
  s = conv_uint8();
  s.tensors[1].n_quant = 3;
  s.tensors[1].scale[1] = s.tensors[1].scale[2] = 0.01f;
  s.tensors[1].zero_point[1] = s.tensors[1].zero_point[2] = 120;
  expect_refused("uint8 filter per channel", &s, Q8_ERROR_UNSUPPORTED,
                 FRAGS("tensor 1 'filter'", "3 scales; uint8 weights must be quantized per "
                                            "tensor"));
  /* Per-channel activations. */
  s = conv_int8();
  s.tensors[0].n_quant = 2;
  s.tensors[0].qdim = 3;
  s.tensors[0].scale[1] = 0.5f;
  expect_refused("conv input per channel", &s, Q8_ERROR_UNSUPPORTED,
                 FRAGS("operator 0 (CONV_2D)", "input (input 0, tensor 0 'input')",
                       "2 quantization scales, expected 1"));
  s = conv_int8();
  s.tensors[3].n_quant = 3;
  s.tensors[3].qdim = 3;
  s.tensors[3].scale[1] = s.tensors[3].scale[2] = 0.25f;
  s.tensors[3].zero_point[1] = s.tensors[3].zero_point[2] = 7;
  expect_refused("conv output per channel", &s, Q8_ERROR_UNSUPPORTED,
                 FRAGS("tensor 3 'output'", "3 quantization scales, expected 1"));
  s = pool_int8(Q8_TFL_OP_MAX_POOL_2D);
  s.tensors[0].n_quant = 2;
  s.tensors[0].qdim = 3;
  s.tensors[0].scale[1] = 0.5f;
  expect_refused("pool input per channel", &s, Q8_ERROR_UNSUPPORTED,
                 FRAGS("operator 0 (MAX_POOL_2D)", "'pool_in'", "found 2 scales"));
  s = add_chain();
  s.tensors[1].n_quant = 4;
  s.tensors[1].qdim = 1;
  for (int c = 1; c < 4; c++) s.tensors[1].scale[c] = 0.5f;
  expect_refused("ADD activation per channel", &s, Q8_ERROR_UNSUPPORTED,
                 FRAGS("'y'", "found 4 scales"));
  s = reshape_int8(1, (int32_t[]){4});
  s.tensors[1].n_quant = 4;
  for (int c = 1; c < 4; c++) s.tensors[1].scale[c] = 0.5f;
  expect_refused("RESHAPE output per channel", &s, Q8_ERROR_UNSUPPORTED,
                 FRAGS("operator 0 (RESHAPE)", "'r_out'", "per-channel"));
}

/* ---- 10. multipliers ---- */

static void test_multipliers(void) {
  /* 0.5 * 1e10 / 0.25 = 2e10 >= 2^30: no int32 shift applies it. */
  model_spec s = conv_int8();
  s.tensors[1].scale[1] = 1e10f;
  expect_refused("filter channel 1 scale 1e10", &s, Q8_ERROR_UNSUPPORTED,
                 FRAGS("operator 0 (CONV_2D)", "tensor 1 'filter'",
                       "channel 1: effective scale input*filter/output = 2e+10"));
  s = conv_int8();
  s.tensors[3].scale[0] = 1e-12f;
  expect_refused("output scale 1e-12", &s, Q8_ERROR_UNSUPPORTED,
                 FRAGS("tensor 1 'filter'", "channel 0: effective scale"));
  s = conv_uint8();
  s.tensors[1].scale[0] = 1e10f;
  s.tensors[2].scale[0] = 5e9f;
  expect_refused("uint8 filter scale 1e10", &s, Q8_ERROR_UNSUPPORTED,
                 FRAGS("tensor 1 'filter'", "effective scale"));
  s = depthwise_int8(1, 1);
  s.tensors[1].scale[0] = 3e9f;
  expect_refused("depthwise filter channel 0 scale 3e9", &s, Q8_ERROR_UNSUPPORTED,
                 FRAGS("operator 0 (DEPTHWISE_CONV_2D)", "channel 0: effective scale"));
  s = add_chain();
  s.tensors[1].scale[0] = 1e-9f;
  expect_refused("ADD output scale 1e-9", &s, Q8_ERROR_UNSUPPORTED,
                 FRAGS("operator 0 (ADD)", "output 9.99999972e-10", "outside (0, 1)"));

  /* Tiny: 0.5 * 1e-30 / 0.25 < 2^-32 flushes to multiplier 0, as TFLite does; that is exact,
     since |accumulator| < 2^31 makes every product round to 0. Channel 1 outputs the zero
     point. */
  s = conv_int8();
  s.tensors[1].scale[1] = 1e-30f;
  built_model m = build_model(&s);
  int8_t out[4 * 4 * 3];
  run_result r = run_bytes(m.data, m.size, 100, out, sizeof out);
  T_CHECK(r.status == Q8_OK, "tiny filter scale runs: %s %s", q8_status_name(r.status),
          r.message);
  if (r.status == Q8_OK) {
    int wrong = 0, varied = 0;
    for (int p = 0; p < 16; p++) {
      wrong += out[3 * p + 1] != 7;
      varied += out[3 * p] != 7;
    }
    T_CHECK(wrong == 0, "channel 1 (multiplier flushed to 0) outputs the zero point 7: %d "
                        "differ", wrong);
    T_CHECK(varied > 0, "channel 0 computes something else than the zero point");
  }
  free(m.data);
}

int main(void) {
  test_base_models_run();
  test_scales();
  test_zero_points();
  test_strides();
  test_shapes();
  test_data_placement();
  test_many_tensors();
  test_external();
  test_data_flow();
  test_per_channel();
  test_multipliers();
  return t_finish();
}
