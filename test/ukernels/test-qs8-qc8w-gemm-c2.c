/* The int16-layout 8-bit GEMM kernels (qs8-qc8w-gemm-c2.h) byte for byte against a direct
   evaluation of their contract with the reference output stage (src/ref/ref-common.h): the
   scalar twin everywhere, the AVX2 kernel where the CPU runs it (reported skipped
   otherwise). Weights are packed from bytes by q8_qs8_gemm_c2_pack_weights (int8 and uint8
   models, weight zero points at the extremes); random tiles around the tile sizes and long
   K at saturated values; the output stage on every edge accumulator x multiplier x shift. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpu.h"
#include "ref/ref-common.h"
#include "ukernels/qs8-qc8w-gemm/qs8-qc8w-gemm-c2.h"
#include "gemm-test-common.h"
#include "util/test-util.h"

static const variant variants[] = {
    {"6x16c2__scalar", q8_qs8_qc8w_gemm_minmax_ukernel_6x16c2__scalar, 6, 16, Q8_ISA_SCALAR,
     false},
#if defined(__x86_64__)
    {"6x16c2__avx2", q8_qs8_qc8w_gemm_minmax_ukernel_6x16c2__avx2, 6, 16, Q8_ISA_AVX2, false},
#endif
};

/* One tile's inputs, unpacked: activations as int16 values, weights as model bytes. */
typedef struct tile_case {
  size_t mr, nc, k, kc, a_stride, c_stride; /* a_stride in elements */
  bool is_signed;
  int32_t weight_zero_point;
  int16_t *a;        /* [mr][a_stride] */
  uint8_t *w;        /* [nr][k] */
  int32_t *bias, *multiplier, *shift; /* [nr] */
  q8_qs8_gemm_params params;
} tile_case;

static void print_tile_case(const variant *v, const tile_case *t, uint64_t seed) {
  printf("  kernel %s seed %llu: mr %zu nc %zu k %zu (kc %zu) a_stride %zu c_stride %zu %s "
         "z_w %d zp %d clamp [%d, %d]\n",
         v->name, (unsigned long long)seed, t->mr, t->nc, t->k, t->kc, t->a_stride, t->c_stride,
         t->is_signed ? "int8" : "uint8", (int)t->weight_zero_point,
         (int)t->params.output_zero_point, (int)t->params.output_min, (int)t->params.output_max);
}

static int32_t weight_value(const tile_case *t, uint8_t byte) {
  return (t->is_signed ? (int32_t)(int8_t)byte : (int32_t)byte) - t->weight_zero_point;
}

/* Runs v on t; compares the mr x nc outputs and checks the bytes around them are untouched. */
static bool run_tile(const variant *v, const tile_case *t, uint64_t seed) {
  const size_t nr = v->nr;
  void *packed = calloc(1, q8_qs8_gemm_c2_panel_bytes(t->kc, nr));
  q8_qs8_gemm_c2_pack_weights(nr, t->k, nr, t->w, t->is_signed, t->weight_zero_point, t->bias,
                              t->multiplier, t->shift, packed);
  const size_t c_bytes = t->mr * t->c_stride;
  uint8_t *c = malloc(c_bytes);
  memset(c, 0xA5, c_bytes);
  v->fn(t->mr, t->nc, t->kc, (const uint8_t *)t->a, t->a_stride * sizeof(int16_t), packed, NULL,
        c, t->c_stride, &t->params);
  size_t bad = 0;
  for (size_t i = 0; i < t->mr; i++)
    for (size_t j = 0; j < t->c_stride; j++) {
      int32_t want = 0xA5;
      if (j < t->nc) {
        uint32_t acc = (uint32_t)t->bias[j];
        for (size_t l = 0; l < t->k; l++)
          acc += (uint32_t)((int32_t)t->a[i * t->a_stride + l] *
                            weight_value(t, t->w[j * t->k + l]));
        want = (uint8_t)q8_ref_output_stage((int32_t)acc, t->multiplier[j], t->shift[j],
                                            t->params.output_zero_point, t->params.output_min,
                                            t->params.output_max);
      }
      const int32_t got = c[i * t->c_stride + j];
      if (got != want && bad++ < 3) {
        if (bad == 1) print_tile_case(v, t, seed);
        printf("    row %zu column %zu: got %d, want %d (multiplier %d shift %d)\n", i, j,
               (int)got, (int)want, j < t->nc ? (int)t->multiplier[j] : 0,
               j < t->nc ? (int)t->shift[j] : 0);
      }
    }
  free(packed);
  free(c);
  T_CHECK(bad == 0, "%s: %zu bytes differ", v->name, bad);
  return bad == 0;
}

static void alloc_tile(tile_case *t, const variant *v) {
  t->a = calloc(t->mr * t->a_stride, sizeof(int16_t));
  t->w = calloc(v->nr * t->k, 1);
  t->bias = calloc(v->nr, sizeof(int32_t));
  t->multiplier = malloc(v->nr * sizeof(int32_t));
  t->shift = malloc(v->nr * sizeof(int32_t));
}

static void free_tile(tile_case *t) {
  free(t->a);
  free(t->w);
  free(t->bias);
  free(t->multiplier);
  free(t->shift);
}

/* Random tile: k around multiples of 2 and long K; int8 or uint8 values, random or saturated
   so that every product is at its largest (255 x -255 for uint8 with z_w = 255). */
static bool random_tile(const variant *v, t_rng *rng, uint64_t seed) {
  static const size_t ks[] = {1,  2,  3,  4,  5,  7,  8,  9,   15,   16,  17,
                              27, 31, 32, 33, 63, 64, 65, 576, 1000, 4100, 40180};
  tile_case t = {0};
  t.mr = (size_t)t_rng_range(rng, 1, (int64_t)v->mr);
  t.nc = (size_t)t_rng_range(rng, 1, (int64_t)v->nr);
  t.k = ks[t_rng_range(rng, 0, (int64_t)(sizeof ks / sizeof ks[0]) - 1)];
  t.kc = (t.k + 1) / 2 * 2;
  t.a_stride = t.kc + (size_t)t_rng_range(rng, 0, 1) * (size_t)t_rng_range(rng, 1, 9) * 2;
  t.c_stride = t.nc + (size_t)t_rng_range(rng, 0, 5);
  t.is_signed = t_rng_range(rng, 0, 1);
  const int32_t x_min = t.is_signed ? -128 : 0, x_max = t.is_signed ? 127 : 255;
  const int extremes = (int)t_rng_range(rng, 0, 3); /* 0: random values, else saturated */
  t.weight_zero_point = t.is_signed ? (extremes ? 0 : (int32_t)t_rng_range(rng, -128, 127))
                                    : (extremes == 1   ? 255
                                       : extremes == 2 ? 0
                                                       : (int32_t)t_rng_range(rng, 0, 255));
  alloc_tile(&t, v);
  /* The K tail up to kc is zero, as the packer leaves it. */
  for (size_t i = 0; i < t.mr; i++)
    for (size_t l = 0; l < t.k; l++)
      t.a[i * t.a_stride + l] = (int16_t)(extremes == 1   ? x_max
                                          : extremes == 2 ? x_min
                                                          : t_rng_range(rng, x_min, x_max));
  for (size_t i = 0; i < v->nr * t.k; i++)
    t.w[i] = extremes == 1 ? (t.is_signed ? 0x80 : 0) : extremes == 2 ? (t.is_signed ? 0x7F : 255)
                                                                      : (uint8_t)t_rng_next(rng);
  for (size_t j = 0; j < v->nr; j++) {
    const bool realistic = t_rng_range(rng, 0, 3) != 0;
    t.bias[j] = realistic ? (int32_t)t_rng_range(rng, -100000, 100000)
                          : gemm_test_edge_or_random_i32(rng);
    t.multiplier[j] = realistic ? (int32_t)t_rng_range(rng, 1 << 30, INT32_MAX)
                                : gemm_test_edge_or_random_i32(rng);
    t.shift[j] = (int32_t)(realistic ? t_rng_range(rng, -20, -5) : t_rng_range(rng, -31, 30));
  }
  gemm_test_output_params(rng, t.is_signed, &t.params);
  const bool ok = run_tile(v, &t, seed);
  free_tile(&t);
  return ok;
}

/* The output stage alone: A is zero, so a column's accumulator is its bias; every
   (accumulator edge, multiplier edge, shift in [-31, 30]) triple fills a column. */
static void output_stage_edges(const variant *v, t_rng *rng, uint64_t seed) {
  const int32_t *accs = gemm_test_edge_accs, *mults = gemm_test_edge_mults;
  const size_t n_acc = GEMM_TEST_N_ACCS, n_mult = GEMM_TEST_N_MULTS;
  const size_t triples = n_acc * n_mult * 62;
  tile_case t = {0};
  t.k = 2;
  t.kc = 2;
  t.a_stride = 2;
  t.nc = v->nr;
  t.c_stride = v->nr;
  t.mr = v->mr;
  t.is_signed = true;
  alloc_tile(&t, v);
  int failures = 0;
  for (size_t t0 = 0; t0 < triples && failures < 3; t0 += v->nr) {
    for (size_t j = 0; j < v->nr; j++) {
      const size_t triple = (t0 + j) % triples;
      t.bias[j] = accs[triple / (n_mult * 62)];
      t.multiplier[j] = mults[triple / 62 % n_mult];
      t.shift[j] = (int32_t)(triple % 62) - 31;
    }
    t.is_signed = t_rng_range(rng, 0, 1);
    gemm_test_output_params(rng, t.is_signed, &t.params);
    failures += !run_tile(v, &t, seed);
  }
  free_tile(&t);
}

int main(void) {
  return gemm_test_main(variants, sizeof variants / sizeof variants[0], t_seed(0xC2C2C2),
                        output_stage_edges, random_tile);
}
