/* The 8-bit GEMM micro-kernels (qs8-qc8w-gemm) byte for byte against a direct evaluation of
   their contract with the reference output stage (src/ref/ref-common.h): the scalar kernel,
   the AVX-512 VNNI kernel's own source compiled against plain-C intrinsics (every x86-64
   machine), and the native AVX2 and AVX-512 VNNI kernels (NEON and NEON dot product on
   AArch64) where the CPU runs them (reported skipped otherwise).
   Random tiles around the tile sizes, row terms, strides, and the output stage on edge
   accumulators, multipliers and every shift from -31 to 30. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpu.h"
#include "ref/ref-common.h"
#include "ukernels/qs8-qc8w-gemm/qs8-qc8w-gemm.h"
#include "gemm-test-common.h"
#include "util/test-util.h"

/* The VNNI kernel's source on emulated intrinsics, under another name (x86-64 builds: the
   source includes <immintrin.h>, whose body the emulation header's guards skip). */
#if defined(__x86_64__)
#include "avx512-emulation.h"
#define q8_qs8_qc8w_gemm_minmax_ukernel_8x32c4__avx512vnni emulated_8x32c4__avx512vnni
#include "ukernels/qs8-qc8w-gemm/8x32c4-avx512vnni.c"
#undef q8_qs8_qc8w_gemm_minmax_ukernel_8x32c4__avx512vnni
#endif

static const variant variants[] = {
    {"4x8c4__scalar", q8_qs8_qc8w_gemm_minmax_ukernel_4x8c4__scalar, 4, 8, Q8_ISA_SCALAR, false},
#if defined(__x86_64__)
    {"8x32c4__avx512vnni (emulated intrinsics)", emulated_8x32c4__avx512vnni, 8, 32,
     Q8_ISA_SCALAR, false},
    {"4x8c4__avx2", q8_qs8_qc8w_gemm_minmax_ukernel_4x8c4__avx2, 4, 8, Q8_ISA_AVX2, false},
    {"8x32c4__avx512vnni", q8_qs8_qc8w_gemm_minmax_ukernel_8x32c4__avx512vnni, 8, 32,
     Q8_ISA_AVX512VNNI, false},
#endif
#if defined(__aarch64__)
    {"4x8c4__neon", q8_qs8_qc8w_gemm_minmax_ukernel_4x8c4__neon, 4, 8, Q8_ISA_NEON, true},
    {"8x8c4__neondot", q8_qs8_qc8w_gemm_minmax_ukernel_8x8c4__neondot, 8, 8, Q8_ISA_NEONDOT,
     false},
#endif
};

/* One tile's inputs in the contract's terms, unpacked. */
typedef struct tile_case {
  size_t mr, nc, k, kc, a_stride, c_stride;
  uint8_t *a;        /* [mr][a_stride] */
  int8_t *w;         /* [nr][k] */
  int32_t *bias, *multiplier, *shift; /* [nr] */
  int32_t *row_terms;                 /* [mr] or NULL */
  q8_qs8_gemm_params params;
} tile_case;

static void print_tile_case(const variant *v, const tile_case *t, uint64_t seed) {
  printf("  kernel %s seed %llu: mr %zu nc %zu k %zu (kc %zu) a_stride %zu c_stride %zu row "
         "terms %s zp %d clamp [%d, %d]\n",
         v->name, (unsigned long long)seed, t->mr, t->nc, t->k, t->kc, t->a_stride, t->c_stride,
         t->row_terms ? "yes" : "no", (int)t->params.output_zero_point,
         (int)t->params.output_min, (int)t->params.output_max);
}

/* Runs v on t; compares the mr x nc outputs and checks the bytes around them are untouched. */
static bool run_tile(const variant *v, const tile_case *t, uint64_t seed) {
  const size_t nr = v->nr;
  void *packed = calloc(1, q8_qs8_gemm_panel_bytes(t->kc, nr));
  q8_qs8_gemm_pack_weights(nr, t->k, nr, (const uint8_t *)t->w, 0, t->bias, t->multiplier,
                           t->shift, packed);
  const size_t c_bytes = t->mr * t->c_stride;
  uint8_t *c = malloc(c_bytes);
  memset(c, 0xA5, c_bytes);
  v->fn(t->mr, t->nc, t->kc, t->a, t->a_stride, packed, t->row_terms, c, t->c_stride, &t->params);
  size_t bad = 0;
  for (size_t i = 0; i < t->mr; i++)
    for (size_t j = 0; j < t->c_stride; j++) {
      int32_t want = 0xA5;
      if (j < t->nc) {
        uint32_t acc = (uint32_t)t->bias[j] + (t->row_terms ? (uint32_t)t->row_terms[i] : 0);
        for (size_t l = 0; l < t->k; l++)
          acc += (uint32_t)((int32_t)t->a[i * t->a_stride + l] * (int32_t)t->w[j * t->k + l]);
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

/* Random tile: k around multiples of 4 and long K; realistic multipliers (in [2^30, 2^31)
   with shifts that keep outputs in range) mixed with arbitrary ones. */
static bool random_tile(const variant *v, t_rng *rng, uint64_t seed) {
  static const size_t ks[] = {1,  2,  3,  4,  5,  7,  8,   9,    15,  16,
                              17, 31, 32, 33, 63, 64, 65, 576, 1000, 4100};
  tile_case t = {0};
  t.mr = (size_t)t_rng_range(rng, 1, (int64_t)v->mr);
  t.nc = (size_t)t_rng_range(rng, 1, (int64_t)v->nr);
  t.k = ks[t_rng_range(rng, 0, (int64_t)(sizeof ks / sizeof ks[0]) - 1)];
  t.kc = (t.k + 3) / 4 * 4;
  t.a_stride = t.kc + (size_t)t_rng_range(rng, 0, 1) * (size_t)t_rng_range(rng, 1, 9) * 4;
  t.c_stride = t.nc + (size_t)t_rng_range(rng, 0, 5);
  t.a = malloc(t.mr * t.a_stride);
  t.w = malloc(v->nr * t.k);
  t.bias = malloc(v->nr * sizeof(int32_t));
  t.multiplier = malloc(v->nr * sizeof(int32_t));
  t.shift = malloc(v->nr * sizeof(int32_t));
  const int extremes = (int)t_rng_range(rng, 0, 3); /* 0: random bytes, else saturated ones */
  for (size_t i = 0; i < t.mr * t.a_stride; i++)
    t.a[i] = extremes == 1 ? 255 : extremes == 2 ? 0 : (uint8_t)t_rng_next(rng);
  for (size_t i = 0; i < v->nr * t.k; i++)
    t.w[i] = extremes == 1 ? -128 : extremes == 2 ? 127 : (int8_t)t_rng_next(rng);
  if (v->no_weight_min) /* the extreme the kernel is allowed: every weight -127 */
    for (size_t i = 0; i < v->nr * t.k; i++) t.w[i] = t.w[i] == -128 ? -127 : t.w[i];
  for (size_t j = 0; j < v->nr; j++) {
    const bool realistic = t_rng_range(rng, 0, 3) != 0;
    t.bias[j] = realistic ? (int32_t)t_rng_range(rng, -100000, 100000)
                          : gemm_test_edge_or_random_i32(rng);
    t.multiplier[j] = realistic ? (int32_t)t_rng_range(rng, 1 << 30, INT32_MAX)
                                : gemm_test_edge_or_random_i32(rng);
    t.shift[j] = (int32_t)(realistic ? t_rng_range(rng, -20, -5) : t_rng_range(rng, -31, 30));
  }
  if (t_rng_range(rng, 0, 1)) {
    t.row_terms = malloc(t.mr * sizeof(int32_t));
    for (size_t i = 0; i < t.mr; i++) t.row_terms[i] = gemm_test_edge_or_random_i32(rng);
  }
  gemm_test_output_params(rng, t_rng_range(rng, 0, 1), &t.params);
  const bool ok = run_tile(v, &t, seed);
  free(t.a);
  free(t.w);
  free(t.bias);
  free(t.multiplier);
  free(t.shift);
  free(t.row_terms);
  return ok;
}

/* The output stage alone: A is zero, so a row's accumulator is its row term (bias 0); every
   accumulator edge meets every multiplier edge at every shift in [-31, 30]. */
static void output_stage_edges(const variant *v, t_rng *rng, uint64_t seed) {
  const int32_t *accs = gemm_test_edge_accs, *mults = gemm_test_edge_mults;
  const size_t n_acc = GEMM_TEST_N_ACCS, n_mult = GEMM_TEST_N_MULTS;
  tile_case t = {0};
  t.k = 4;
  t.kc = 4;
  t.a_stride = 4;
  t.nc = v->nr;
  t.c_stride = v->nr;
  t.a = calloc(v->mr, 4);
  t.w = calloc(v->nr, 4);
  t.bias = calloc(v->nr, sizeof(int32_t));
  t.multiplier = malloc(v->nr * sizeof(int32_t));
  t.shift = malloc(v->nr * sizeof(int32_t));
  t.row_terms = malloc(v->mr * sizeof(int32_t));
  /* (multiplier, shift) pairs fill the columns; accumulators the rows. */
  const size_t pairs = n_mult * 62;
  int failures = 0;
  for (size_t p0 = 0; p0 < pairs && failures < 3; p0 += v->nr)
    for (size_t a0 = 0; a0 < n_acc && failures < 3; a0 += v->mr) {
      t.mr = n_acc - a0 < v->mr ? n_acc - a0 : v->mr;
      for (size_t i = 0; i < t.mr; i++) t.row_terms[i] = accs[a0 + i];
      for (size_t j = 0; j < v->nr; j++) {
        const size_t pair = (p0 + j) % pairs;
        t.multiplier[j] = mults[pair / 62];
        t.shift[j] = (int32_t)(pair % 62) - 31;
      }
      gemm_test_output_params(rng, t_rng_range(rng, 0, 1), &t.params);
      failures += !run_tile(v, &t, seed);
    }
  free(t.a);
  free(t.w);
  free(t.bias);
  free(t.multiplier);
  free(t.shift);
  free(t.row_terms);
}

int main(void) {
  return gemm_test_main(variants, sizeof variants / sizeof variants[0], t_seed(0x9E3779),
                        output_stage_edges, random_tile);
}
