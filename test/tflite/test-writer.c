/* TFLite writer: every shipped model survives read -> write -> read with the same graph, the
   same outputs and byte-identical rewrites; files are written atomically; the converter's
   conventions (operator codes, versions, 16-byte aligned buffers, bias axis) hold. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/graph.h"
#include "q8/q8.h"
#include "tflite/flatbuffer.h"
#include "tflite/reader.h"
#include "tflite/schema-fields.h"
#include "tflite/writer.h"
#include "util/graph-compare.h"
#include "util/test-util.h"

#define MAX_OUTPUT_BYTES (64u << 20)

/* ---- running a model ---- */

typedef struct run_result {
  q8_status status;
  char message[512];
  int32_t n_outputs;
  uint8_t *outputs[8];
  size_t sizes[8];
} run_result;

static void run_result_free(run_result *r) {
  for (int i = 0; i < r->n_outputs; i++) free(r->outputs[i]);
}

static q8_status fill_inputs(q8_interp *it, uint64_t seed) {
  t_rng rng = {seed};
  for (int32_t i = 0; i < q8_interp_input_count(it); i++) {
    q8_tensor_info info;
    q8_status s = q8_interp_input_info(it, i, &info);
    if (s != Q8_OK) return s;
    uint8_t *data = malloc(info.bytes);
    if (data == NULL) return Q8_ERROR_OUT_OF_MEMORY;
    for (size_t k = 0; k < info.bytes; k++) data[k] = (uint8_t)t_rng_next(&rng);
    if (info.type == Q8_TYPE_FLOAT32) {
      for (size_t k = 0; k + 4 <= info.bytes; k += 4) {
        float v = (float)(t_rng_unit(&rng) * 2.0 - 1.0);
        memcpy(data + k, &v, 4);
      }
    }
    s = q8_interp_set_input(it, i, data, info.bytes);
    free(data);
    if (s != Q8_OK) return s;
  }
  return Q8_OK;
}

/* Loads, prepares and runs the model once on seeded inputs, keeping copies of the outputs;
   a refusal is a result too (status and message). */
static run_result run_model(const uint8_t *data, size_t size, uint64_t seed) {
  run_result r;
  memset(&r, 0, sizeof r);
  q8_error err = {{0}};
  q8_model *model = NULL;
  q8_interp *it = NULL;
  r.status = q8_model_load_memory(data, size, 0, &model, &err);
  if (r.status == Q8_OK) r.status = q8_interp_init(model, NULL, &it, &err);
  if (r.status == Q8_OK) r.status = fill_inputs(it, seed);
  if (r.status == Q8_OK) r.status = q8_interp_invoke(it);
  for (int32_t i = 0; r.status == Q8_OK && i < q8_interp_output_count(it) && i < 8; i++) {
    q8_tensor_info info;
    r.status = q8_interp_output_info(it, i, &info);
    if (r.status != Q8_OK || info.bytes > MAX_OUTPUT_BYTES) break;
    r.outputs[i] = malloc(info.bytes);
    r.sizes[i] = info.bytes;
    r.n_outputs = i + 1;
    if (r.outputs[i] == NULL) r.status = Q8_ERROR_OUT_OF_MEMORY;
    else r.status = q8_interp_get_output(it, i, r.outputs[i], info.bytes);
  }
  if (r.status != Q8_OK && it != NULL) snprintf(r.message, sizeof r.message, "%s", q8_interp_last_error(it));
  else if (r.status != Q8_OK) snprintf(r.message, sizeof r.message, "%s", err.message);
  q8_interp_free(it);
  q8_model_free(model);
  return r;
}

static void check_same_results(const char *name, const run_result *a, const run_result *b) {
  T_CHECK(a->status == b->status, "%s: original model gives %s (%s), the written one %s (%s)",
          name, q8_status_name(a->status), a->message, q8_status_name(b->status), b->message);
  if (a->status != Q8_OK || b->status != Q8_OK) return;
  T_CHECK(a->n_outputs == b->n_outputs, "%s: %d vs %d outputs", name, a->n_outputs, b->n_outputs);
  for (int i = 0; i < a->n_outputs && i < b->n_outputs; i++) {
    T_CHECK(a->sizes[i] == b->sizes[i] && memcmp(a->outputs[i], b->outputs[i], a->sizes[i]) == 0,
            "%s: output %d differs between the original and the written model", name, i);
  }
}

/* ---- what the written file holds ---- */

/* Every constant tensor's bytes start on 16 bytes in the file. */
static void check_alignment(const char *name, const q8_graph *g, const uint8_t *file) {
  for (int32_t i = 0; i < g->n_tensors; i++) {
    const q8_tensor *t = &g->tensors[i];
    if (t->data == NULL) continue;
    size_t offset = (size_t)((const uint8_t *)t->data - file);
    T_CHECK(offset % 16 == 0, "%s: tensor %d '%s' data at file offset %zu, not 16-byte aligned",
            name, (int)i, t->name, offset);
  }
}

/* OperatorCode: builtin_code = code, deprecated_builtin_code = min(code, 127), version >= 1. */
static void check_opcodes(const char *name, const uint8_t *file, size_t size) {
  q8_error err = {{0}};
  q8_fb fb = {.data = file, .size = size, .error = &err};
  q8_fb_table model, code;
  q8_fb_vector codes;
  q8_status s = q8_fb_root(&fb, "TFL3", &model);
  if (s == Q8_OK) s = q8_fb_vector_field(&fb, &model, MODEL_OPERATOR_CODES, 4, "codes", &codes);
  T_CHECK(s == Q8_OK, "%s: operator codes: %s", name, err.message);
  for (uint32_t i = 0; s == Q8_OK && i < codes.length; i++) {
    int8_t deprecated = -1;
    int32_t builtin = -1, version = 0;
    s = q8_fb_vector_table(&fb, &codes, i, "code", &code);
    if (s == Q8_OK) s = q8_fb_i8(&fb, &code, OPCODE_DEPRECATED_BUILTIN_CODE, "d", 0, &deprecated);
    if (s == Q8_OK) s = q8_fb_i32(&fb, &code, OPCODE_BUILTIN_CODE, "b", 0, &builtin);
    if (s == Q8_OK) s = q8_fb_i32(&fb, &code, OPCODE_VERSION, "v", 1, &version);
    T_CHECK(s == Q8_OK && deprecated == (builtin < 127 ? builtin : 127) && version >= 1,
            "%s: OperatorCode %u: deprecated %d, builtin %d, version %d", name, i, deprecated,
            builtin, version);
  }
}

/* ---- round trip of one model ---- */

static uint8_t *write_graph(const char *name, const q8_graph *g, size_t *size) {
  q8_error err = {{0}};
  uint8_t *data = NULL;
  q8_status s = q8_tflite_write(g, &data, size, &err);
  T_CHECK(s == Q8_OK, "%s: write: %s", name, err.message);
  return data;
}

static q8_graph *read_graph(const char *name, const uint8_t *data, size_t size) {
  q8_error err = {{0}};
  q8_graph *g = NULL;
  q8_status s = q8_tflite_read(data, size, &g, &err);
  T_CHECK(s == Q8_OK, "%s: read: %s", name, err.message);
  return g;
}

static void check_graphs(const char *name, const char *step, const q8_graph *a, const q8_graph *b,
                         bool versions) {
  char why[600] = "";
  T_CHECK(t_graphs_equal(a, b, versions, why, sizeof why), "%s: %s changes the graph: %s", name,
          step, why);
}

static void round_trip(const char *name, const uint8_t *original, size_t original_size) {
  q8_graph *g1 = read_graph(name, original, original_size);
  if (g1 == NULL) return;
  size_t size1 = 0, size2 = 0;
  uint8_t *written = write_graph(name, g1, &size1);
  q8_graph *g2 = written ? read_graph(name, written, size1) : NULL;
  uint8_t *rewritten = g2 ? write_graph(name, g2, &size2) : NULL;
  q8_graph *g3 = rewritten ? read_graph(name, rewritten, size2) : NULL;
  if (g2 != NULL) {
    check_graphs(name, "read -> write -> read", g1, g2, false);
    check_alignment(name, g2, written);
    check_opcodes(name, written, size1);
  }
  if (g3 != NULL) {
    T_CHECK(size1 == size2 && memcmp(written, rewritten, size1) == 0,
            "%s: a second write is not byte-identical (%zu vs %zu bytes)", name, size1, size2);
    check_graphs(name, "a second write", g2, g3, true);
  }
  if (written != NULL) {
    char keep[300];
    snprintf(keep, sizeof keep, "writer-%s", name);
    q8_test_keep_written(keep, written, size1);
    run_result a = run_model(original, original_size, 42), b = run_model(written, size1, 42);
    check_same_results(name, &a, &b);
    run_result_free(&a);
    run_result_free(&b);
  }
  q8_graph_free(g1);
  q8_graph_free(g2);
  q8_graph_free(g3);
  free(written);
  free(rewritten);
}

static int round_trip_file(const char *path, const char *name) {
  size_t size = 0;
  uint8_t *data = t_read_file(path, &size);
  T_CHECK(data != NULL, "cannot read %s", path);
  if (data == NULL) return 0;
  round_trip(name, data, size);
  free(data);
  return 1;
}

/* Every .tflite of testdata/tflite and every ops/<case>/model.tflite. */
static int round_trip_shared_models(const char *root) {
  t_model_path *models = NULL;
  int n = t_shared_models(root, &models), count = 0;
  for (int i = 0; i < n; i++) count += round_trip_file(models[i].path, models[i].name);
  free(models);
  return count;
}

/* ---- graphs built by hand: versions and per-channel axes ---- */

typedef struct built {
  q8_tensor tensors[8];
  q8_node nodes[2];
  int32_t lists[8][4];
  q8_graph graph;
} built;

static float scales[8] = {0.5f, 0.25f, 0.125f, 0.0625f, 0.5f, 0.25f, 0.125f, 0.0625f};
static float bias_scales[8] = {0.25f, 0.125f, 0.0625f, 0.03125f, 0.25f, 0.125f, 0.0625f, 0.03125f};
static int32_t zeros[8];
static int32_t zp_in = -3, zp_out = 5;
static float in_scale = 0.5f, out_scale = 2.0f;
static int8_t weights[4 * 3 * 3 * 4];
static int32_t bias[8];

static q8_tensor tensor(const char *name, q8_type type, int32_t rank, const int32_t *dims) {
  q8_tensor t;
  memset(&t, 0, sizeof t);
  t.name = name;
  t.type = type;
  t.rank = rank;
  memcpy(t.dims, dims, (size_t)rank * sizeof *dims);
  return t;
}

static void per_tensor(q8_tensor *t, float *scale, int32_t *zp) {
  t->quant = (q8_quant){1, scale, zp, 0};
}

/* input [1,5,5,3] -> conv or depthwise (filter, bias) -> output: per-channel filter on axis. */
static void build_conv(built *b, q8_op_kind kind, q8_type type, int32_t channels, int32_t axis) {
  memset(b, 0, sizeof *b);
  static const int32_t in_dims[4] = {1, 5, 5, 3};
  int32_t f_dims[4] = {channels, 3, 3, 3}, out_dims[4] = {1, 5, 5, channels};
  if (kind == Q8_OP_DEPTHWISE_CONV_2D) {
    f_dims[0] = 1;
    f_dims[3] = channels;
  }
  b->tensors[0] = tensor("input", type, 4, in_dims);
  b->tensors[1] = tensor("filter", type, 4, f_dims);
  b->tensors[2] = tensor("bias", Q8_TYPE_INT32, 1, &channels);
  b->tensors[3] = tensor("output", type, 4, out_dims);
  per_tensor(&b->tensors[0], &in_scale, type == Q8_TYPE_INT8 ? &zp_in : &zp_out);
  per_tensor(&b->tensors[3], &out_scale, &zp_out);
  b->tensors[1].data = weights;
  b->tensors[1].data_size = (size_t)channels * (kind == Q8_OP_DEPTHWISE_CONV_2D ? 9 : 27);
  b->tensors[1].quant = (q8_quant){axis >= 0 ? channels : 1, scales, zeros, axis >= 0 ? axis : 0};
  b->tensors[2].data = bias;
  b->tensors[2].data_size = (size_t)channels * 4;
  b->tensors[2].quant = (q8_quant){axis >= 0 ? channels : 1, bias_scales, zeros, 0};
  int32_t in[3] = {0, 1, 2}, out[1] = {3};
  memcpy(b->lists[0], in, sizeof in);
  memcpy(b->lists[1], out, sizeof out);
  q8_node *n = &b->nodes[0];
  n->kind = kind;
  n->n_inputs = 3;
  n->inputs = b->lists[0];
  n->n_outputs = 1;
  n->outputs = b->lists[1];
  n->opt.conv.padding = Q8_PADDING_SAME;
  n->opt.conv.stride_h = n->opt.conv.stride_w = 1;
  n->opt.conv.dilation_h = n->opt.conv.dilation_w = 1;
  n->opt.conv.depth_multiplier = kind == Q8_OP_DEPTHWISE_CONV_2D ? channels / 3 : 0;
  n->opt.conv.activation = Q8_ACT_RELU6;
  b->graph.n_tensors = 4;
  b->graph.tensors = b->tensors;
  b->graph.n_nodes = 1;
  b->graph.nodes = b->nodes;
  b->graph.n_inputs = 1;
  b->graph.inputs = &b->lists[0][0];
  b->graph.n_outputs = 1;
  b->graph.outputs = b->lists[1];
}

/* Tensor t's quantized_dimension as stored in the file (0 when absent). */
static int32_t stored_axis(const uint8_t *file, size_t size, uint32_t t) {
  q8_error err = {{0}};
  q8_fb fb = {.data = file, .size = size, .error = &err};
  q8_fb_table model, sg, tensor_table, quant;
  q8_fb_vector subgraphs, tensors;
  bool present = false;
  int32_t axis = -1;
  q8_status s = q8_fb_root(&fb, "TFL3", &model);
  if (s == Q8_OK) s = q8_fb_vector_field(&fb, &model, MODEL_SUBGRAPHS, 4, "sg", &subgraphs);
  if (s == Q8_OK) s = q8_fb_vector_table(&fb, &subgraphs, 0, "sg", &sg);
  if (s == Q8_OK) s = q8_fb_vector_field(&fb, &sg, SUBGRAPH_TENSORS, 4, "t", &tensors);
  if (s == Q8_OK) s = q8_fb_vector_table(&fb, &tensors, t, "t", &tensor_table);
  if (s == Q8_OK) s = q8_fb_subtable(&fb, &tensor_table, TENSOR_QUANTIZATION, "q", &present, &quant);
  if (s == Q8_OK && present) s = q8_fb_i32(&fb, &quant, QUANT_QUANTIZED_DIMENSION, "d", 0, &axis);
  T_CHECK(s == Q8_OK && present, "quantization of tensor %u: %s", t, err.message);
  return axis;
}

/* Writes the built graph, reads it back and checks the operator's version and the axes. */
static void check_built(const char *name, built *b, int32_t version, int32_t filter_axis) {
  size_t size = 0;
  uint8_t *file = write_graph(name, &b->graph, &size);
  q8_graph *g = file ? read_graph(name, file, size) : NULL;
  if (g != NULL) {
    check_graphs(name, "write -> read", &b->graph, g, false);
    T_CHECK(g->nodes[0].version == version, "%s: version %d, expected %d", name,
            (int)g->nodes[0].version, (int)version);
    T_CHECK(stored_axis(file, size, 2) == 0, "%s: the 1-D bias is stored with axis %d, not 0",
            name, (int)stored_axis(file, size, 2));
    T_CHECK(stored_axis(file, size, 1) == filter_axis, "%s: filter axis %d stored as %d", name,
            (int)filter_axis, (int)stored_axis(file, size, 1));
    run_result r = run_model(file, size, 7);
    T_CHECK(r.status == Q8_OK, "%s: the written model does not run: %s", name, r.message);
    run_result_free(&r);
    char keep[64];
    snprintf(keep, sizeof keep, "writer-built-%s", name);
    q8_test_keep_written(keep, file, size);
  }
  q8_graph_free(g);
  free(file);
}

static void test_built_graphs(void) {
  for (size_t i = 0; i < sizeof weights; i++) weights[i] = (int8_t)(i * 37 % 255 - 127);
  for (int i = 0; i < 8; i++) bias[i] = 100 * i - 300;
  built b;
  build_conv(&b, Q8_OP_CONV_2D, Q8_TYPE_INT8, 4, 0);
  check_built("conv-int8-per-channel", &b, 3, 0);
  build_conv(&b, Q8_OP_CONV_2D, Q8_TYPE_UINT8, 4, -1);
  check_built("conv-uint8", &b, 1, 0);
  build_conv(&b, Q8_OP_DEPTHWISE_CONV_2D, Q8_TYPE_INT8, 6, 3);
  check_built("depthwise-int8-per-channel", &b, 3, 3);
  build_conv(&b, Q8_OP_DEPTHWISE_CONV_2D, Q8_TYPE_UINT8, 3, -1);
  b.nodes[0].opt.conv.dilation_h = 2;
  check_built("depthwise-uint8-dilated", &b, 2, 0);
  /* A bias whose graph axis is the filter's (3), as converters write it: stored as 0. */
  build_conv(&b, Q8_OP_DEPTHWISE_CONV_2D, Q8_TYPE_INT8, 6, 3);
  b.tensors[2].quant.axis = 3;
  size_t size = 0;
  uint8_t *file = write_graph("bias-axis", &b.graph, &size);
  if (file != NULL) T_CHECK(stored_axis(file, size, 2) == 0, "bias axis 3 stored as %d",
                            (int)stored_axis(file, size, 2));
  free(file);
}

/* ---- refusals ---- */

static void expect_write_error(const char *what, const q8_graph *g, q8_status expected,
                               const char *needle) {
  q8_error err = {{0}};
  uint8_t *data = (uint8_t *)&err; /* must come back NULL */
  size_t size = 1;
  q8_status s = q8_tflite_write(g, &data, &size, &err);
  T_CHECK(s == expected && data == NULL && size == 0, "%s: %s, expected %s", what,
          q8_status_name(s), q8_status_name(expected));
  T_CHECK(strstr(err.message, needle) != NULL, "%s: message '%s' lacks '%s'", what, err.message,
          needle);
}

static void test_refusals(void) {
  built b;
  build_conv(&b, Q8_OP_CONV_2D, Q8_TYPE_INT8, 4, 0);
  expect_write_error("NULL graph", NULL, Q8_ERROR_INVALID_ARGUMENT, "graph is NULL");
  b.lists[0][1] = 9;
  expect_write_error("input out of range", &b.graph, Q8_ERROR_INVALID_ARGUMENT,
                     "inputs of operator 0: entry 1 is tensor 9");
  build_conv(&b, Q8_OP_CONV_2D, Q8_TYPE_INT8, 4, 0);
  b.tensors[1].data_size--;
  expect_write_error("data size", &b.graph, Q8_ERROR_INVALID_ARGUMENT,
                     "tensor 1 'filter': 107 bytes of constant data, expected 108");
  build_conv(&b, Q8_OP_CONV_2D, Q8_TYPE_INT8, 4, 0);
  b.tensors[1].quant.axis = 1;
  expect_write_error("per-channel axis", &b.graph, Q8_ERROR_INVALID_ARGUMENT,
                     "tensor 1 'filter': 4 per-channel parameters along axis 1");
  build_conv(&b, Q8_OP_CONV_2D, Q8_TYPE_INT8, 4, 0);
  b.nodes[0].kind = Q8_OP_COUNT;
  expect_write_error("kind", &b.graph, Q8_ERROR_INVALID_ARGUMENT, "operator 0: kind");
  b.graph.outputs = &b.lists[0][0];
  b.graph.n_outputs = -1;
  expect_write_error("graph outputs", &b.graph, Q8_ERROR_INVALID_ARGUMENT, "graph outputs");
}

/* ---- files: atomic replacement ---- */

static bool same_file(const char *path, const uint8_t *data, size_t size) {
  size_t n = 0;
  uint8_t *bytes = t_read_file(path, &n);
  bool same = bytes != NULL && n == size && memcmp(bytes, data, n) == 0;
  free(bytes);
  return same;
}

static int count_entries(const char *dir) {
  int n = 0;
  DIR *d = opendir(dir);
  for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) n += e->d_name[0] != '.';
  if (d != NULL) closedir(d);
  return n;
}

static void test_write_file(void) {
  char dir[] = "/tmp/q8-writer-XXXXXX";
  T_CHECK(mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno));
  char path[256], missing[256];
  snprintf(path, sizeof path, "%s/model.tflite", dir);
  snprintf(missing, sizeof missing, "%s/no-such-dir/model.tflite", dir);
  built b;
  build_conv(&b, Q8_OP_CONV_2D, Q8_TYPE_INT8, 4, 0);
  size_t size = 0;
  uint8_t *expected = write_graph("file", &b.graph, &size);
  FILE *f = fopen(path, "wb");
  T_CHECK(f != NULL && fputs("old contents", f) >= 0, "cannot create %s", path);
  if (f != NULL) fclose(f);
  q8_error err = {{0}};
  q8_status s = q8_tflite_write_file(&b.graph, path, &err);
  T_CHECK(s == Q8_OK && expected != NULL && same_file(path, expected, size),
          "write_file does not replace the file with the model: %s", err.message);
  /* A refused graph leaves the existing file alone. */
  b.lists[0][0] = 99;
  s = q8_tflite_write_file(&b.graph, path, &err);
  T_CHECK(s == Q8_ERROR_INVALID_ARGUMENT && expected && same_file(path, expected, size),
          "a refused graph touched the file (%s)", q8_status_name(s));
  b.lists[0][0] = 0;
  s = q8_tflite_write_file(&b.graph, missing, &err);
  T_CHECK(s == Q8_ERROR_IO && strstr(err.message, "no-such-dir") != NULL,
          "missing directory: %s: %s", q8_status_name(s), err.message);
  /* A path that is a directory: the rename fails; no temporary file is left behind. */
  s = q8_tflite_write_file(&b.graph, dir, &err);
  T_CHECK(s == Q8_ERROR_IO, "writing over a directory: %s", q8_status_name(s));
  char parent_listing_dir[256];
  snprintf(parent_listing_dir, sizeof parent_listing_dir, "%s", dir);
  T_CHECK(count_entries(parent_listing_dir) == 1, "%d entries in %s: a temporary file was left",
          count_entries(parent_listing_dir), dir);
  free(expected);
  remove(path);
  rmdir(dir);
}

int main(void) {
  char root[1024];
  test_built_graphs();
  test_refusals();
  test_write_file();
  if (t_testdata_path("", root, sizeof root) == NULL) {
    t_finish();
    return t_skip("tflite/test-writer", "../shared/testdata is absent (built graphs passed)");
  }
  int n = round_trip_shared_models(root);
  T_CHECK(n >= 40, "only %d shared models found", n);
  printf("%d shared models round-tripped\n", n);
  return t_finish();
}
