/* The training engine's matrix product: the portable kernel and OpenBLAS (when the build has
   it) against a double-precision reference, over every transpose combination, shapes around
   the kernel's tiles and blocks, strided operands, and alpha / beta including beta 0 over
   NaN (which must not leak). Relative tolerance: 1e-5 of the sum of |terms| per element. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/gemm.h"
#include "util/test-util.h"

static float *random_matrix(t_rng *rng, size_t n) {
  float *m = malloc(n * sizeof *m);
  for (size_t i = 0; i < n; i++) m[i] = (float)(t_rng_unit(rng) * 2.0 - 1.0);
  return m;
}

static int check_case(t_rng *rng, bool ta, bool tb, int32_t m, int32_t n, int32_t k, float alpha,
                      float beta, q8t_gemm_backend backend, float *workspace) {
  const int32_t lda = (ta ? m : k) + (int32_t)t_rng_range(rng, 0, 3);
  const int32_t ldb = (tb ? k : n) + (int32_t)t_rng_range(rng, 0, 3);
  const int32_t ldc = n + (int32_t)t_rng_range(rng, 0, 3);
  const size_t a_rows = ta ? (size_t)k : (size_t)m, b_rows = tb ? (size_t)n : (size_t)k;
  float *a = random_matrix(rng, a_rows * lda + 1);
  float *b = random_matrix(rng, b_rows * ldb + 1);
  float *c = random_matrix(rng, (size_t)m * ldc + 1);
  if (beta == 0.0f) {
    for (size_t i = 0; i < (size_t)m * ldc; i++) c[i] = NAN;
  }
  float *c0 = malloc(((size_t)m * ldc + 1) * sizeof *c0);
  memcpy(c0, c, ((size_t)m * ldc + 1) * sizeof *c0);
  q8t_sgemm(backend, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, workspace);
  int bad = 0;
  for (int32_t i = 0; i < m && !bad; i++) {
    for (int32_t j = 0; j < n; j++) {
      double sum = 0.0, mag = 0.0;
      for (int32_t p = 0; p < k; p++) {
        const double av = ta ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p];
        const double bv = tb ? b[(size_t)j * ldb + p] : b[(size_t)p * ldb + j];
        sum += av * bv;
        mag += fabs(av * bv);
      }
      const double old = beta == 0.0f ? 0.0 : c0[(size_t)i * ldc + j];
      const double want = alpha * sum + beta * old;
      const double got = c[(size_t)i * ldc + j];
      const double tol = 1e-5 * (fabs(alpha) * mag + fabs(beta * old)) + 1e-30;
      if (!(fabs(got - want) <= tol)) {
        T_CHECK(0, "%s ta=%d tb=%d m=%d n=%d k=%d alpha=%g beta=%g: C[%d][%d] = %.9g, want %.9g",
                q8t_gemm_backend_name(backend), ta, tb, m, n, k, alpha, beta, i, j, got, want);
        bad = 1;
        break;
      }
    }
  }
  /* Padding between rows of C is never written. */
  for (int32_t i = 0; i < m && !bad; i++) {
    for (int32_t j = n; j < ldc; j++) {
      const float was = c0[(size_t)i * ldc + j], now = c[(size_t)i * ldc + j];
      if (memcmp(&was, &now, sizeof was) != 0) {
        T_CHECK(0, "%s m=%d n=%d k=%d: C row %d padding column %d written",
                q8t_gemm_backend_name(backend), m, n, k, i, j);
        bad = 1;
        break;
      }
    }
  }
  if (!bad) T_CHECK(1, "ok");
  free(a);
  free(b);
  free(c);
  free(c0);
  return bad;
}

int main(void) {
  t_rng rng = {t_seed(0x6e33)};
  float *workspace = malloc(Q8T_GEMM_WORKSPACE_FLOATS * sizeof *workspace);
  const int32_t sizes[] = {1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33, 127, 129, 255, 257, 520};
  const int32_t n_sizes = (int32_t)(sizeof sizes / sizeof *sizes);
  const q8t_gemm_backend backends[] = {Q8T_GEMM_PORTABLE, Q8T_GEMM_AUTO};
  int failures = 0;
  for (int bi = 0; bi < (q8t_gemm_have_blas() ? 2 : 1); bi++) {
    for (int combo = 0; combo < 4; combo++) {
      for (int rep = 0; rep < 24 && failures < 5; rep++) {
        const int32_t m = sizes[t_rng_range(&rng, 0, n_sizes - 1)];
        const int32_t n = sizes[t_rng_range(&rng, 0, n_sizes - 1)];
        const int32_t k = sizes[t_rng_range(&rng, 0, n_sizes - 1)];
        const float alphas[] = {1.0f, -0.5f, 2.0f};
        const float betas[] = {0.0f, 1.0f, 0.25f};
        failures += check_case(&rng, combo & 1, combo & 2, m, n, k, alphas[t_rng_range(&rng, 0, 2)],
                               betas[t_rng_range(&rng, 0, 2)], backends[bi], workspace);
      }
    }
    /* k == 0: C = beta * C (beta 0 clears NaN). */
    failures += check_case(&rng, false, false, 7, 9, 0, 1.0f, 0.0f, backends[bi], workspace);
    failures += check_case(&rng, true, true, 7, 9, 0, 1.0f, 0.5f, backends[bi], workspace);
  }
  printf("backend: %s\n", q8t_gemm_backend_name(Q8T_GEMM_AUTO));
  free(workspace);
  return t_finish();
}
