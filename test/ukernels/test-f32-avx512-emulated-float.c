/* The AVX-512 float32 kernels (q8_f32_gemm_minmax_ukernel_8x32__avx512vnni,
   q8_f32_dwconv_minmax_ukernel_c16__avx512vnni) compiled from their own source on plain-C
   emulated intrinsics (f32-avx512-emulation.h), so that they are checked on machines without
   AVX-512: random tiles (rows 1..8, columns 1..32, depth 1..300, strides, clamps) and
   depthwise pixels (channels 1..150, taps 1..25) against double-precision loops, 1e-5 of the
   sum of the magnitudes of the terms. Writes past the stored rows and columns are checked
   too (the output is guarded). The native kernels run in ops/test-float-ops-float where the
   CPU has AVX-512. x86-64 only (the kernels' sources include <immintrin.h>). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/test-util.h"

#if defined(__x86_64__)
#include "f32-avx512-emulation.h"
#define q8_f32_gemm_minmax_ukernel_8x32__avx512vnni emulated_gemm_8x32
#define q8_f32_dwconv_minmax_ukernel_c16__avx512vnni emulated_dwconv_c16
#include "ukernels/f32-dwconv/c16-avx512vnni.c"
#include "ukernels/f32-gemm/8x32-avx512vnni.c"
#undef MR
#undef NR

enum { GUARD = 7 };
static const float GUARD_VALUE = -12345.0f;

static float rnd(t_rng *rng) { return (float)(2.0 * t_rng_unit(rng) - 1.0); }

static q8_f32_minmax_params random_clamp(t_rng *rng) {
  switch (t_rng_range(rng, 0, 2)) {
    case 0: return (q8_f32_minmax_params){-INFINITY, INFINITY};
    case 1: return (q8_f32_minmax_params){0.0f, INFINITY};
    default: return (q8_f32_minmax_params){-0.5f, 0.75f};
  }
}

static double clampd(double v, const q8_f32_minmax_params *p) {
  return v < p->min ? p->min : v > p->max ? p->max : v;
}

static void test_gemm(t_rng *rng) {
  for (int iter = 0; iter < 400; iter++) {
    const size_t mr = (size_t)t_rng_range(rng, 1, 8), nc = (size_t)t_rng_range(rng, 1, 32);
    const size_t kc = (size_t)t_rng_range(rng, 1, 300);
    const size_t a_stride = kc + (size_t)t_rng_range(rng, 0, 5); /* floats */
    const size_t c_stride = 32 + GUARD + (size_t)t_rng_range(rng, 0, 5);
    const size_t n = nc; /* weights for nc columns, packed into one 32-wide panel */
    float *a = malloc(mr * a_stride * sizeof *a), *w = malloc(n * kc * sizeof *w);
    float *bias = malloc(n * sizeof *bias), *packed = malloc((kc + 1) * 32 * sizeof *packed);
    float *c = malloc((mr + 1) * c_stride * sizeof *c);
    for (size_t i = 0; i < mr * a_stride; i++) a[i] = rnd(rng);
    for (size_t i = 0; i < n * kc; i++) w[i] = rnd(rng);
    for (size_t i = 0; i < n; i++) bias[i] = rnd(rng);
    for (size_t i = 0; i < (mr + 1) * c_stride; i++) c[i] = GUARD_VALUE;
    q8_f32_gemm_pack_weights(n, kc, 32, w, bias, packed);
    const q8_f32_minmax_params p = random_clamp(rng);
    emulated_gemm_8x32(mr, nc, kc, a, a_stride * sizeof(float), packed, c,
                       c_stride * sizeof(float), &p);
    int bad = 0;
    for (size_t i = 0; i < mr + 1 && !bad; i++)
      for (size_t j = 0; j < c_stride && !bad; j++) {
        const float got = c[i * c_stride + j];
        if (i >= mr || j >= nc) {
          bad = got != GUARD_VALUE;
          T_CHECK(!bad, "gemm mr %zu nc %zu kc %zu: wrote row %zu column %zu", mr, nc, kc, i, j);
          continue;
        }
        double acc = bias[j], mag = fabs(bias[j]);
        for (size_t k = 0; k < kc; k++) {
          acc += (double)a[i * a_stride + k] * w[j * kc + k];
          mag += fabs((double)a[i * a_stride + k] * w[j * kc + k]);
        }
        bad = !(fabs(got - clampd(acc, &p)) <= 1e-5 * mag + 1e-30);
        T_CHECK(!bad, "gemm mr %zu nc %zu kc %zu: C[%zu][%zu] = %.9g, expected %.9g", mr, nc, kc,
                i, j, (double)got, clampd(acc, &p));
      }
    free(a);
    free(w);
    free(bias);
    free(packed);
    free(c);
  }
}

static void test_dwconv(t_rng *rng) {
  for (int iter = 0; iter < 300; iter++) {
    const size_t channels = (size_t)t_rng_range(rng, 1, 150), taps = (size_t)t_rng_range(rng, 1, 25);
    float *rows = malloc(taps * channels * sizeof *rows), *w = malloc(taps * channels * sizeof *w);
    float *bias = malloc(channels * sizeof *bias), *out = malloc((channels + GUARD) * sizeof *out);
    const float **input = malloc(taps * sizeof *input);
    for (size_t i = 0; i < taps * channels; i++) rows[i] = rnd(rng), w[i] = rnd(rng);
    for (size_t i = 0; i < channels; i++) bias[i] = rnd(rng);
    for (size_t i = 0; i < channels + GUARD; i++) out[i] = GUARD_VALUE;
    /* Taps in shuffled order, some sharing a row (as padding taps share the zero row). */
    for (size_t t = 0; t < taps; t++) input[t] = rows + (size_t)t_rng_range(rng, 0, (int64_t)taps - 1) * channels;
    const q8_f32_minmax_params p = random_clamp(rng);
    emulated_dwconv_c16(channels, taps, input, w, bias, out, &p);
    int bad = 0;
    for (size_t ch = 0; ch < channels && !bad; ch++) {
      double acc = bias[ch], mag = fabs(bias[ch]);
      for (size_t t = 0; t < taps; t++) {
        acc += (double)input[t][ch] * w[t * channels + ch];
        mag += fabs((double)input[t][ch] * w[t * channels + ch]);
      }
      bad = !(fabs(out[ch] - clampd(acc, &p)) <= 1e-5 * mag + 1e-30);
      T_CHECK(!bad, "dwconv channels %zu taps %zu: out[%zu] = %.9g, expected %.9g", channels,
              taps, ch, (double)out[ch], clampd(acc, &p));
    }
    for (size_t i = channels; i < channels + GUARD; i++)
      T_CHECK(out[i] == GUARD_VALUE, "dwconv channels %zu: wrote past the end", channels);
    free(rows);
    free(w);
    free(bias);
    free(out);
    free(input);
  }
}

int main(void) {
  t_rng rng = {t_seed(512)};
  test_gemm(&rng);
  test_dwconv(&rng);
  return t_finish();
}
#else
int main(void) {
  return t_skip("ukernels/test-f32-avx512-emulated-float",
                "the AVX-512 kernels' sources need x86-64's <immintrin.h>");
}
#endif
