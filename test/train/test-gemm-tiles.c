/* The convolutions' skinny matrix product (src/train/gemm-tiles.h), both compilations:
   - the portable twin against a double-precision reference, and the AVX2 + FMA kernel against
     the twin, each within 1e-5 of the sum of |terms| (+ |beta * C|) per element (FMA rounds
     once where the twin rounds twice; nothing else differs), over row counts around the
     6-row tile, column counts of 8 and 16 multiples, depths short and past the depth blocks
     (300 > 2 x 128 with few rows), both layouts of A (row-major and transposed, padded
     strides), beta 0 over NaN (must not leak), 1 and 0.5; padding columns of C never written;
   - the implicit im2col (q8t_sgemm_windows, and q8t_sgemm_windows_b with the windows as B)
     bit-identical to the same compilation's product on an explicit im2col matrix, over kernel
     sizes, strides, channels, widths and first windows that cut tiles across rows. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/gemm-tiles.h"
#include "util/test-util.h"

static float *random_floats(t_rng *rng, size_t n) {
  float *m = malloc((n + 1) * sizeof *m);
  for (size_t i = 0; i < n + 1; i++) m[i] = (float)(t_rng_unit(rng) * 2.0 - 1.0);
  return m;
}

typedef struct product {
  int32_t m, n, k, lda, ldb, ldc;
  bool trans_a;
  float beta;
  float *a, *b, *c0; /* c0: C before the call */
} product;

static product random_product(t_rng *rng, int32_t m, int32_t n, int32_t k) {
  const float betas[] = {0.0f, 1.0f, 0.5f};
  product p = {m, n, k, 0, 0, 0, t_rng_range(rng, 0, 1) == 1, betas[t_rng_range(rng, 0, 2)],
               NULL, NULL, NULL};
  p.lda = (p.trans_a ? m : k) + (int32_t)t_rng_range(rng, 0, 3);
  p.ldb = n + (int32_t)t_rng_range(rng, 0, 3);
  p.ldc = n + (int32_t)t_rng_range(rng, 0, 3);
  p.a = random_floats(rng, (size_t)(p.trans_a ? k : m) * p.lda);
  p.b = random_floats(rng, (size_t)k * p.ldb);
  p.c0 = random_floats(rng, (size_t)m * p.ldc);
  if (p.beta == 0.0f) {
    for (size_t i = 0; i < (size_t)m * p.ldc; i++) p.c0[i] = NAN;
  }
  return p;
}

static float a_at(const product *p, int32_t i, int32_t q) {
  return p->trans_a ? p->a[(size_t)q * p->lda + i] : p->a[(size_t)i * p->lda + q];
}

static float *run(const q8t_tiles_kernels *kern, const product *p) {
  float *c = malloc(((size_t)p->m * p->ldc + 1) * sizeof *c);
  memcpy(c, p->c0, ((size_t)p->m * p->ldc + 1) * sizeof *c);
  const q8t_strided a = p->trans_a ? (q8t_strided){p->a, 1, p->lda} : (q8t_strided){p->a, p->lda, 1};
  kern->sgemm(p->m, p->n, p->k, a, p->b, p->ldb, p->beta, c, p->ldc);
  return c;
}

/* got within 1e-5 of the terms' magnitude of want (want NULL: the double reference). */
static int compare(const char *what, const product *p, const float *got, const float *want) {
  for (int32_t i = 0; i < p->m; i++) {
    for (int32_t j = 0; j < p->ldc; j++) {
      const size_t at = (size_t)i * p->ldc + j;
      if (j >= p->n) {
        if (memcmp(&got[at], &p->c0[at], sizeof *got) != 0) {
          T_CHECK(0, "%s m=%d n=%d k=%d: padding column %d of row %d written", what, p->m, p->n,
                  p->k, j, i);
          return 1;
        }
        continue;
      }
      double sum = 0.0, mag = 0.0;
      for (int32_t q = 0; q < p->k; q++) {
        const double t = (double)a_at(p, i, q) * p->b[(size_t)q * p->ldb + j];
        sum += t;
        mag += fabs(t);
      }
      const double old = p->beta == 0.0f ? 0.0 : p->c0[at];
      const double expect = want != NULL ? want[at] : sum + p->beta * old;
      const double tol = 1e-5 * (mag + fabs(p->beta * old)) + 1e-30;
      if (!(fabs(got[at] - expect) <= tol)) {
        T_CHECK(0, "%s m=%d n=%d k=%d trans_a=%d beta=%g: C[%d][%d] = %.9g, want %.9g", what,
                p->m, p->n, p->k, p->trans_a, p->beta, i, j, got[at], expect);
        return 1;
      }
    }
  }
  T_CHECK(1, "ok");
  return 0;
}

static int check_products(t_rng *rng, const q8t_tiles_kernels *twin,
                          const q8t_tiles_kernels *avx2) {
  const int32_t ms[] = {1, 2, 5, 6, 7, 12, 13, 16, 37, 64, 100};
  const int32_t ns[] = {8, 16, 24, 32, 40, 64, 144};
  const int32_t ks[] = {1, 2, 9, 16, 31, 144, 300};
  int failures = 0;
  for (int rep = 0; rep < 120 && failures < 5; rep++) {
    product p = random_product(rng, ms[t_rng_range(rng, 0, 10)], ns[t_rng_range(rng, 0, 6)],
                               ks[t_rng_range(rng, 0, 6)]);
    float *c_twin = run(twin, &p);
    failures += compare("portable twin vs double", &p, c_twin, NULL);
    if (avx2 != NULL) {
      float *c_avx2 = run(avx2, &p);
      failures += compare("avx2 vs portable twin", &p, c_avx2, c_twin);
      free(c_avx2);
    }
    free(c_twin);
    free(p.a);
    free(p.b);
    free(p.c0);
  }
  return failures;
}

/* Windows over a random padded image against the explicit im2col of the same windows. */
static int check_windows(t_rng *rng, const q8t_tiles_kernels *kern, const char *name) {
  int failures = 0;
  for (int rep = 0; rep < 60 && failures < 5; rep++) {
    const int32_t kh = (int32_t)t_rng_range(rng, 1, 3), kw = (int32_t)t_rng_range(rng, 1, 3);
    const int32_t sh = (int32_t)t_rng_range(rng, 1, 2), sw = (int32_t)t_rng_range(rng, 1, 2);
    const int32_t channels[] = {1, 3, 8, 16};
    const int32_t c = channels[t_rng_range(rng, 0, 3)];
    const int32_t oh = (int32_t)t_rng_range(rng, 1, 9), ow = (int32_t)t_rng_range(rng, 1, 15);
    const int32_t ph = (oh - 1) * sh + kh, pw = (ow - 1) * sw + kw;
    const int32_t n = 8 * (int32_t)t_rng_range(rng, 1, 5), k = kh * kw * c;
    const int32_t first = (int32_t)t_rng_range(rng, 0, oh * ow - 1);
    const int32_t m = (int32_t)t_rng_range(rng, 1, oh * ow - first);
    const float beta = t_rng_range(rng, 0, 1) == 1 ? 1.0f : 0.0f;
    float *image = random_floats(rng, (size_t)ph * pw * c);
    float *b = random_floats(rng, (size_t)k * n);
    float *col = malloc((size_t)m * k * sizeof *col);
    for (int32_t r = 0; r < m; r++) {
      const int32_t oy = (first + r) / ow, ox = (first + r) % ow;
      for (int32_t ky = 0; ky < kh; ky++) {
        memcpy(col + (size_t)r * k + (size_t)ky * kw * c,
               image + ((size_t)(oy * sh + ky) * pw + (size_t)ox * sw) * c,
               (size_t)kw * c * sizeof *col);
      }
    }
    float *c_col = random_floats(rng, (size_t)m * n);
    float *c_win = malloc(((size_t)m * n + 1) * sizeof *c_win);
    memcpy(c_win, c_col, ((size_t)m * n + 1) * sizeof *c_win);
    kern->sgemm(m, n, k, (q8t_strided){col, k, 1}, b, n, beta, c_col, n);
    const q8t_windows win = {image, ow, (ptrdiff_t)sh * pw * c, (ptrdiff_t)sw * c, kh, kw * c,
                             (ptrdiff_t)pw * c};
    kern->windows(first, m, n, &win, b, n, beta, c_win, n);
    const bool same = memcmp(c_col, c_win, (size_t)m * n * sizeof *c_col) == 0;
    T_CHECK(same, "%s windows kh=%d kw=%d s=%d,%d c=%d oh=%d ow=%d first=%d m=%d n=%d: differ "
            "from the im2col product", name, kh, kw, sh, sw, c, oh, ow, first, m, n);
    failures += !same;
    if ((kw * c) % 8 == 0) {
      /* The windows as B (k = m windows), A a random n x m matrix read transposed. */
      float *a = random_floats(rng, (size_t)m * n);
      float *c_ref = random_floats(rng, (size_t)n * k);
      float *c_b = malloc(((size_t)n * k + 1) * sizeof *c_b);
      memcpy(c_b, c_ref, ((size_t)n * k + 1) * sizeof *c_b);
      kern->sgemm(n, k, m, (q8t_strided){a, 1, n}, col, k, beta, c_ref, k);
      kern->windows_b(n, m, (q8t_strided){a, 1, n}, first, &win, beta, c_b, k);
      const bool same_b = memcmp(c_ref, c_b, (size_t)n * k * sizeof *c_b) == 0;
      T_CHECK(same_b, "%s windows as B kh=%d kw=%d s=%d,%d c=%d oh=%d ow=%d first=%d k=%d m=%d: "
              "differ from the im2col product", name, kh, kw, sh, sw, c, oh, ow, first, m, n);
      failures += !same_b;
      free(a);
      free(c_ref);
      free(c_b);
    }
    free(image);
    free(b);
    free(col);
    free(c_col);
    free(c_win);
  }
  return failures;
}

int main(void) {
  t_rng rng = {t_seed(0x711e5)};
  q8t_tiles_kernels twin, avx2;
  q8t_tiles_kernels_for(false, &twin);
  const bool have_avx2 = q8t_tiles_kernels_for(true, &avx2);
  check_products(&rng, &twin, have_avx2 ? &avx2 : NULL);
  check_windows(&rng, &twin, "portable");
  if (have_avx2) check_windows(&rng, &avx2, "avx2");
  printf("avx2 kernels: %s\n", have_avx2 ? "tested" : "absent (build or CPU)");
  return t_finish();
}
