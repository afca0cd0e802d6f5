/* Float32 convolution speed: q8's float path (one CONV_2D run by the interpreter, per kernel
   path) against OpenBLAS sgemm on the same matrix product, one thread each (run under
   `taskset -c 0`). Prints GFLOPS (2*M*N*K per second) and the ratio to OpenBLAS measured in
   the same run, both over the thread's CPU time. Usage: bench-f32-conv [CPU seconds per
   measurement, default 1]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/graph.h"
#include "q8/q8.h"
#include "tflite/writer.h"
#if Q8_BENCH_HAVE_OPENBLAS
#include <cblas.h>
#endif

typedef struct conv_shape {
  const char *name;
  int32_t h, w, in_c, out_c, k;
} conv_shape;

/* The thread's CPU time: on a shared machine, time spent descheduled is not the kernel's. */
static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static float *random_floats(size_t n) {
  float *x = malloc(n * sizeof *x);
  for (size_t i = 0; i < n; i++) x[i] = (float)((double)rand() / RAND_MAX - 0.5);
  return x;
}

/* A model of one SAME, stride-1 CONV_2D. */
static q8_model *conv_model(const conv_shape *c, const float *w, const float *b) {
  const int32_t d_in[4] = {1, c->h, c->w, c->in_c}, d_w[4] = {c->out_c, c->k, c->k, c->in_c};
  const int32_t d_b[1] = {c->out_c}, d_out[4] = {1, c->h, c->w, c->out_c};
  q8_tensor t[4];
  memset(t, 0, sizeof t);
  const int32_t *dims[4] = {d_in, d_w, d_b, d_out};
  const int32_t ranks[4] = {4, 4, 1, 4};
  const char *names[4] = {"x", "w", "b", "y"};
  for (int i = 0; i < 4; i++) {
    t[i].name = names[i];
    t[i].type = Q8_TYPE_FLOAT32;
    t[i].rank = ranks[i];
    memcpy(t[i].dims, dims[i], sizeof(int32_t) * 4);
  }
  t[1].data = w;
  t[1].data_size = (size_t)c->out_c * c->k * c->k * c->in_c * sizeof(float);
  t[2].data = b;
  t[2].data_size = (size_t)c->out_c * sizeof(float);
  int32_t ins[3] = {0, 1, 2}, outs[1] = {3}, gin[1] = {0}, gout[1] = {3};
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
  g.inputs = gin;
  g.n_outputs = 1;
  g.outputs = gout;
  uint8_t *file = NULL;
  size_t size = 0;
  q8_error err = {{0}};
  q8_model *model = NULL;
  q8_status s = q8_tflite_write(&g, &file, &size, &err);
  if (s == Q8_OK) s = q8_model_load_memory(file, size, 1, &model, &err);
  free(file);
  if (s != Q8_OK) fprintf(stderr, "model: %s\n", err.message);
  return model;
}

/* Seconds per invoke of the conv on isa (one thread); negative when the path is refused. */
static double time_q8(q8_model *model, q8_isa isa, const float *x, size_t x_bytes,
                      double seconds) {
  q8_interp_options opt = {.isa = isa, .threads = 1};
  q8_interp *interp = NULL;
  q8_error err = {{0}};
  if (q8_interp_init(model, &opt, &interp, &err) != Q8_OK) return -1.0;
  q8_interp_set_input(interp, 0, x, x_bytes);
  q8_interp_invoke(interp); /* warm-up */
  int runs = 0;
  const double start = now();
  double t = start;
  while (t - start < seconds) {
    q8_interp_invoke(interp);
    runs++;
    t = now();
  }
  q8_interp_free(interp);
  return (t - start) / runs;
}

#if Q8_BENCH_HAVE_OPENBLAS
/* Seconds per sgemm C[M,N] = A[M,K] * B[N,K]^T (the im2col matrix times the filter), without
   the im2col itself. */
static double time_openblas(int m, int n, int k, double seconds) {
  float *a = random_floats((size_t)m * k), *b = random_floats((size_t)n * k);
  float *c = malloc((size_t)m * n * sizeof *c);
  openblas_set_num_threads(1);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, k, b, k, 0.0f, c, n);
  int runs = 0;
  const double start = now();
  double t = start;
  while (t - start < seconds) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, k, b, k, 0.0f, c, n);
    runs++;
    t = now();
  }
  free(a);
  free(b);
  free(c);
  return (t - start) / runs;
}
#endif

int main(int argc, char **argv) {
  const double seconds = argc > 1 ? atof(argv[1]) : 1.0;
  static const conv_shape shapes[] = {
      {"3x3 56x56x64->64", 56, 56, 64, 64, 3},
      {"1x1 14x14x1024->1024", 14, 14, 1024, 1024, 1},
      {"1x1 56x56x64->256", 56, 56, 64, 256, 1},
      {"3x3 14x14x256->256", 14, 14, 256, 256, 3},
  };
  static const q8_isa isas[] = {Q8_ISA_AVX512VNNI, Q8_ISA_AVX2, Q8_ISA_SCALAR};
  printf("%-24s %6s %6s %6s  %-12s %8s %8s\n", "conv", "M", "N", "K", "path", "GFLOPS",
         "vs BLAS");
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
    const conv_shape *c = &shapes[i];
    const int m = c->h * c->w, n = c->out_c, k = c->k * c->k * c->in_c;
    const double flops = 2.0 * m * n * k;
    float *w = random_floats((size_t)n * k), *b = random_floats((size_t)n);
    float *x = random_floats((size_t)c->h * c->w * c->in_c);
    q8_model *model = conv_model(c, w, b);
    double blas = 0.0;
#if Q8_BENCH_HAVE_OPENBLAS
    blas = flops / time_openblas(m, n, k, seconds) * 1e-9;
    printf("%-24s %6d %6d %6d  %-12s %8.1f %8s\n", c->name, m, n, k, "openblas", blas, "1.00");
#endif
    for (size_t j = 0; model != NULL && j < sizeof isas / sizeof isas[0]; j++) {
      const double t = time_q8(model, isas[j], x, (size_t)c->h * c->w * c->in_c * sizeof(float),
                               isas[j] == Q8_ISA_SCALAR ? seconds / 4 : seconds);
      if (t < 0) continue;
      const double gflops = flops / t * 1e-9;
      char ratio[16] = "-";
      if (blas > 0) snprintf(ratio, sizeof ratio, "%.2f", gflops / blas);
      printf("%-24s %6d %6d %6d  q8 %-9s %8.1f %8s\n", c->name, m, n, k, q8_isa_name(isas[j]),
             gflops, ratio);
    }
    q8_model_free(model);
    free(w);
    free(b);
    free(x);
  }
  return 0;
}
