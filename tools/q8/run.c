/* q8 run MODEL --input FILE... : runs a model on raw or .npy inputs, prints top-K classes,
   writes outputs as .npy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_IO 16

typedef struct run_args {
  const char *model;
  const char *inputs[MAX_IO];
  int n_inputs;
  const char *outputs[MAX_IO];
  int n_outputs;
  int top_k;
  int dequantize;
  const char *labels;
  q8_interp_options runtime; /* --threads, --isa */
} run_args;

/* One model input's data for all inferences. */
typedef struct input_data {
  void *data;      /* batches * tensor bytes (own type) or batches * elements floats */
  int is_float;    /* float32 data to quantize with the tensor's parameters */
  size_t batches;
} input_data;

static void run_usage(FILE *f) {
  fputs("usage: q8 run MODEL --input FILE [--input FILE...] [--output FILE...] [--top K]\n"
        "                 [--dequantize] [--labels FILE] [--threads N] [--isa PATH]\n"
        "  --input FILE   once per model input, in the model's input order. Raw bytes are the\n"
        "                 input tensor's own type (several inputs back to back run one after\n"
        "                 another); a .npy of the tensor's own type is used as it is; a\n"
        "                 float32 .npy is quantized with the tensor's scale and zero point.\n"
        "  --output FILE  once per model output: writes it as .npy in its own type (several\n"
        "                 inferences add a leading batch axis)\n"
        "  --dequantize   write outputs as float32 instead\n"
        "  --top K        print the K best classes of each classifier output (default 5)\n"
        "  --labels FILE  class names, one per line, for the top-K list\n"
        CLI_RUNTIME_OPTIONS_HELP,
        f);
}

static int parse_args(int argc, char **argv, run_args *a) {
  memset(a, 0, sizeof *a);
  a->top_k = 5;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    const int runtime = cli_runtime_option(argc, argv, &i, &a->runtime);
    if (runtime != 0) {
      if (runtime < 0) return 0;
      continue;
    }
    const char *value = i + 1 < argc ? argv[i + 1] : NULL;
    int takes_value = strcmp(arg, "--input") == 0 || strcmp(arg, "--output") == 0 ||
                      strcmp(arg, "--top") == 0 || strcmp(arg, "--labels") == 0;
    if (takes_value && value == NULL) return !cli_error("%s needs a value", arg);
    if (strcmp(arg, "--input") == 0) {
      if (a->n_inputs == MAX_IO) return !cli_error("too many --input files");
      a->inputs[a->n_inputs++] = argv[++i];
    } else if (strcmp(arg, "--output") == 0) {
      if (a->n_outputs == MAX_IO) return !cli_error("too many --output files");
      a->outputs[a->n_outputs++] = argv[++i];
    } else if (strcmp(arg, "--top") == 0) {
      char *end;
      long k = strtol(argv[++i], &end, 10);
      if (*end != 0 || k < 0 || k > 100000) return !cli_error("--top takes a count, not '%s'", value);
      a->top_k = (int)k;
    } else if (strcmp(arg, "--labels") == 0) {
      a->labels = argv[++i];
    } else if (strcmp(arg, "--dequantize") == 0) {
      a->dequantize = 1;
    } else if (arg[0] == '-') {
      return !cli_error("unknown option '%s' (see q8 run --help)", arg);
    } else if (a->model == NULL) {
      a->model = arg;
    } else {
      return !cli_error("unexpected argument '%s' (one model per run)", arg);
    }
  }
  if (a->model == NULL) return !cli_error("no model given (see q8 run --help)");
  return 1;
}

static int has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Reads a whole file or pipe into malloc'd memory. */
static void *read_all(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  while (buf != NULL) {
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap) break;
    uint8_t *grown = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
    if (grown == NULL) {
      free(buf);
      buf = NULL;
    }
    buf = grown;
    cap *= 2;
  }
  int failed = ferror(f);
  fclose(f);
  if (failed) {
    free(buf);
    return NULL;
  }
  *size = n;
  return buf;
}

static int load_raw(const char *path, const q8_tensor_info *info, int index, input_data *in) {
  size_t size = 0;
  in->data = read_all(path, &size);
  if (in->data == NULL) return !cli_error("%s: cannot read", path);
  if (size == 0 || size % info->bytes != 0)
    return !cli_error("%s: %zu bytes is not a whole number of inputs: input %d '%s' takes %zu "
                      "bytes of %s per inference",
                      path, size, index, info->name, info->bytes, q8_type_name(info->type));
  in->batches = size / info->bytes;
  return 1;
}

static int load_npy(const char *path, const q8_tensor_info *info, int index, input_data *in) {
  npy_array a;
  if (!npy_read(path, &a)) return 0;
  const char *own = npy_descr_of(info->type);
  size_t elements = info->bytes / q8_type_size(info->type);
  int is_float = strcmp(a.descr, "<f4") == 0 && strcmp(own, "<f4") != 0;
  const int quantized = info->type == Q8_TYPE_INT8 || info->type == Q8_TYPE_UINT8;
  if (strcmp(a.descr, own) != 0 && !(is_float && quantized)) {
    free(a.data);
    return !cli_error("%s: holds %s data, but input %d '%s' is %s: give %s%s data", path,
                      a.descr, index, info->name, q8_type_name(info->type), own,
                      quantized ? " or float32" : "");
  }
  if (a.count == 0 || a.count % elements != 0) {
    free(a.data);
    return !cli_error("%s: %zu elements is not a whole number of inputs: input %d '%s' takes %zu",
                      path, a.count, index, info->name, elements);
  }
  in->data = a.data;
  in->is_float = is_float;
  in->batches = a.count / elements;
  return 1;
}

static int load_inputs(q8_interp *it, const run_args *a, input_data *in) {
  int32_t n = q8_interp_input_count(it);
  if (a->n_inputs != n)
    return !cli_error("the model has %d input%s; give --input once for each (got %d)", (int)n,
                      n == 1 ? "" : "s", a->n_inputs);
  for (int32_t i = 0; i < n; i++) {
    q8_tensor_info info;
    q8_interp_input_info(it, i, &info);
    int ok = has_suffix(a->inputs[i], ".npy") ? load_npy(a->inputs[i], &info, i, &in[i])
                                              : load_raw(a->inputs[i], &info, i, &in[i]);
    if (!ok) return 0;
    if (in[i].batches != in[0].batches)
      return !cli_error("%s holds %zu inferences but %s holds %zu", a->inputs[i], in[i].batches,
                        a->inputs[0], in[0].batches);
  }
  return 1;
}

static int set_inputs(q8_interp *it, const input_data *in, size_t batch) {
  for (int32_t i = 0; i < q8_interp_input_count(it); i++) {
    q8_tensor_info info;
    q8_interp_input_info(it, i, &info);
    size_t elements = info.bytes / q8_type_size(info.type);
    q8_status s = in[i].is_float
                      ? q8_interp_set_input_float(it, i, (const float *)in[i].data + batch * elements,
                                                  elements)
                      : q8_interp_set_input(it, i, (const uint8_t *)in[i].data + batch * info.bytes,
                                            info.bytes);
    if (s != Q8_OK) return !cli_error("input %d: %s", (int)i, q8_interp_last_error(it));
  }
  return 1;
}

static double output_value(const q8_tensor_info *info, const void *data, size_t i) {
  switch (info->type) {
    case Q8_TYPE_INT8: return ((const int8_t *)data)[i];
    case Q8_TYPE_UINT8: return ((const uint8_t *)data)[i];
    case Q8_TYPE_INT32: return ((const int32_t *)data)[i];
    case Q8_TYPE_FLOAT32: return ((const float *)data)[i];
  }
  return 0;
}

static double dequantized(const q8_tensor_info *info, double q) {
  if (info->type == Q8_TYPE_FLOAT32 || info->quant.scale == 0) return q;
  return (q - info->quant.zero_point) * (double)info->quant.scale;
}

static char **read_labels(const char *path, size_t *count) {
  *count = 0;
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    cli_error("%s: cannot open labels", path);
    return NULL;
  }
  char **labels = NULL, *line = NULL;
  size_t cap = 0;
  /* getline: a label of any length stays one label, so later lines keep their classes. */
  while (getline(&line, &cap, f) >= 0) {
    line[strcspn(line, "\r\n")] = 0;
    char **grown = realloc(labels, sizeof(char *) * (*count + 1));
    char *copy = strdup(line);
    if (grown == NULL || copy == NULL) {
      free(copy);
      labels = grown != NULL ? grown : labels;
      cli_error("%s: out of memory reading labels", path);
      break;
    }
    labels = grown;
    labels[(*count)++] = copy;
  }
  free(line);
  fclose(f);
  if (labels == NULL) labels = calloc(1, sizeof(char *)); /* an empty file: no names */
  return labels;
}

/* Prints the top-K entries of a classifier output (values along the last axis). */
static void print_top_k(const q8_tensor_info *info, const void *data, size_t batch, int output,
                        int k, char **labels, size_t n_labels) {
  size_t n = info->bytes / q8_type_size(info->type);
  if (k > (int)n) k = (int)n;
  char *taken = calloc(n, 1);
  if (taken == NULL || n == 0) {
    free(taken);
    return;
  }
  printf("inference %zu, output %d '%s': top %d\n", batch, output, info->name, k);
  for (int r = 0; r < k; r++) {
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < n; i++)
      if (!taken[i] && (best == SIZE_MAX || output_value(info, data, i) > output_value(info, data, best)))
        best = i;
    if (best == SIZE_MAX) break;
    taken[best] = 1;
    double q = output_value(info, data, best);
    printf("  %zu  %.6f  (raw %g)%s%s\n", best, dequantized(info, q), q,
           best < n_labels ? "  " : "", best < n_labels ? labels[best] : "");
  }
  free(taken);
}

static int write_output(q8_interp *it, int32_t o, const char *path, const uint8_t *all,
                        size_t batches, int dequantize) {
  q8_tensor_info info;
  q8_interp_output_info(it, o, &info);
  int64_t dims[Q8_MAX_RANK + 1];
  int32_t rank = 0;
  if (batches > 1) dims[rank++] = (int64_t)batches;
  for (int32_t d = 0; d < info.rank; d++) dims[rank++] = info.dims[d];
  size_t elements = batches * (info.bytes / q8_type_size(info.type));
  if (!dequantize || info.type == Q8_TYPE_FLOAT32)
    return npy_write(path, npy_descr_of(info.type), rank, dims, all, batches * info.bytes);
  float *f = malloc(sizeof(float) * (elements > 0 ? elements : 1));
  if (f == NULL) return !cli_error("out of memory");
  for (size_t i = 0; i < elements; i++) f[i] = (float)dequantized(&info, output_value(&info, all, i));
  int ok = npy_write(path, "<f4", rank, dims, f, sizeof(float) * elements);
  free(f);
  return ok;
}

static int run_all(q8_interp *it, const run_args *a, const input_data *in) {
  int32_t n_out = q8_interp_output_count(it);
  if (a->n_outputs > n_out)
    return !cli_error("the model has %d outputs; got %d --output files", (int)n_out, a->n_outputs);
  size_t batches = in[0].batches, n_labels = 0;
  char **labels = a->labels != NULL ? read_labels(a->labels, &n_labels) : NULL;
  uint8_t *collected[MAX_IO] = {0};
  int ok = a->labels == NULL || labels != NULL;
  for (int32_t o = 0; o < a->n_outputs && ok; o++) {
    q8_tensor_info info;
    q8_interp_output_info(it, o, &info);
    collected[o] = malloc(batches * info.bytes + 1);
    ok = collected[o] != NULL;
  }
  for (size_t b = 0; b < batches && ok; b++) {
    ok = set_inputs(it, in, b);
    if (ok && q8_interp_invoke(it) != Q8_OK) ok = !cli_error("invoke: %s", q8_interp_last_error(it));
    for (int32_t o = 0; o < n_out && ok; o++) {
      q8_tensor_info info;
      const void *data;
      q8_interp_output_info(it, o, &info);
      q8_interp_output_data(it, o, &data);
      if (a->top_k > 0 && info.rank >= 1 && info.dims[info.rank - 1] > 1 &&
          info.bytes / q8_type_size(info.type) == (size_t)info.dims[info.rank - 1])
        print_top_k(&info, data, b, o, a->top_k, labels, n_labels);
      if (o < a->n_outputs) memcpy(collected[o] + b * info.bytes, data, info.bytes);
    }
  }
  for (int32_t o = 0; o < a->n_outputs && ok; o++)
    ok = write_output(it, o, a->outputs[o], collected[o], batches, a->dequantize);
  for (int32_t o = 0; o < a->n_outputs; o++) free(collected[o]);
  for (size_t i = 0; i < n_labels; i++) free(labels[i]);
  free(labels);
  return ok;
}

int q8_cli_run(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      run_usage(stdout);
      return 0;
    }
  run_args a;
  if (!parse_args(argc, argv, &a)) return 2;
  q8_model *model;
  q8_interp *it;
  if (!cli_open_model_with(a.model, &a.runtime, &model, &it)) return 1;
  input_data in[MAX_IO] = {0};
  int ok = load_inputs(it, &a, in) && run_all(it, &a, in);
  for (int i = 0; i < MAX_IO; i++) free(in[i].data);
  q8_interp_free(it);
  q8_model_free(model);
  return ok ? 0 : 1;
}
