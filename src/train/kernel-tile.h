/* The register tile of the skinny matrix product (gemm-tiles.h), for the kernel files
   (kernel-*.c, compiled portable and for AVX2 + FMA) that run it: kernel-gemm-tiles.c, and
   kernel-winograd.c, whose short products (depth: the input channels) call it inline, without
   the per-tile call. A tile is up to MR rows x NR columns of C held in registers over the
   whole depth: each step loads one row of B's tile (NR floats) and broadcasts MR values of A.
   Rows go in tiles of 6 (12 accumulators + 2 B vectors + 1 broadcast = 15 of AVX2's 16
   registers); columns in tiles of 16, a last one of 8. The macros Q8T_ROWS, Q8T_STEP and
   Q8T_STORE stay defined for the includer's own tiles (AVX2 compilation). */
#ifndef Q8_TRAIN_KERNEL_TILE_H
#define Q8_TRAIN_KERNEL_TILE_H

#include <stddef.h>
#include <stdint.h>

#if defined(Q8T_COMPILING_AVX2)
#include <immintrin.h>
#endif

enum { MR = 6, NR = 16 };

/* The A side of one tile: MR row pointers; the depth runs over segments, each seg_len steps
   of col floats, the next segment seg_step floats further in every row. */
typedef struct tile_a {
  const float *row[MR];
  ptrdiff_t col;
  int32_t segments, seg_len;
  ptrdiff_t seg_step;
} tile_a;

#if defined(Q8T_COMPILING_AVX2)

/* One tile: rows x (8 * vecs) of C, rows and vecs compile-time constants after inlining.
   The accumulators are named variables, not an array: GCC kept an array's copy on the stack
   up to date on every step. */
#define Q8T_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)
/* One step: row i's A value (at Q8T_A_AT(i)) times the B vectors b0, b1. */
#define Q8T_STEP(i)                                         \
  if (rows > i) {                                           \
    const __m256 ai = _mm256_broadcast_ss(Q8T_A_AT(i));     \
    lo##i = _mm256_fmadd_ps(ai, b0, lo##i);                 \
    if (vecs > 1) hi##i = _mm256_fmadd_ps(ai, b1, hi##i);   \
  }
/* C's row i = beta * C + the accumulators (rounded as the portable twin rounds it). */
#define Q8T_STORE(i)                                                                 \
  if (rows > i) {                                                                    \
    float *ci = c + (ptrdiff_t)i * ldc;                                              \
    if (beta != 0.0f) {                                                              \
      lo##i = _mm256_add_ps(_mm256_mul_ps(vbeta, _mm256_loadu_ps(ci)), lo##i);       \
      if (vecs > 1) {                                                                \
        hi##i = _mm256_add_ps(_mm256_mul_ps(vbeta, _mm256_loadu_ps(ci + 8)), hi##i); \
      }                                                                              \
    }                                                                                \
    _mm256_storeu_ps(ci, lo##i);                                                     \
    if (vecs > 1) _mm256_storeu_ps(ci + 8, hi##i);                                   \
  }
static inline __attribute__((always_inline)) void tile(int rows, int vecs, const tile_a *a,
                                                       const float *b, int32_t ldb, float beta,
                                                       float *c, int32_t ldc) {
#define Q8T_DECLARE(i)                                              \
  __m256 lo##i = _mm256_setzero_ps(), hi##i = _mm256_setzero_ps(); \
  const float *a##i = a->row[rows > i ? i : 0];
  Q8T_ROWS(Q8T_DECLARE)
  const ptrdiff_t col = a->col;
  for (int32_t s = 0; s < a->segments; s++) {
    ptrdiff_t at = s * a->seg_step;
    for (int32_t p = 0; p < a->seg_len; p++, at += col, b += ldb) {
      const __m256 b0 = _mm256_loadu_ps(b);
      const __m256 b1 = vecs > 1 ? _mm256_loadu_ps(b + 8) : b0;
#define Q8T_A_AT(i) (a##i + at)
      Q8T_ROWS(Q8T_STEP)
#undef Q8T_A_AT
    }
  }
  const __m256 vbeta = _mm256_set1_ps(beta);
  Q8T_ROWS(Q8T_STORE)
}

#else

/* C's rows = beta * C + acc (beta 0: C not read). */
static inline __attribute__((always_inline)) void store_acc(int rows, int cols,
                                                            float acc[MR][NR], float beta,
                                                            float *c, int32_t ldc) {
  for (int i = 0; i < rows; i++) {
    float *ci = c + (ptrdiff_t)i * ldc;
    for (int j = 0; j < cols; j++) ci[j] = beta != 0.0f ? beta * ci[j] + acc[i][j] : acc[i][j];
  }
}

static inline __attribute__((always_inline)) void tile(int rows, int vecs, const tile_a *a,
                                                       const float *b, int32_t ldb, float beta,
                                                       float *c, int32_t ldc) {
  const int cols = 8 * vecs;
  float acc[MR][NR] = {{0}};
  for (int32_t s = 0; s < a->segments; s++) {
    ptrdiff_t at = s * a->seg_step;
    for (int32_t p = 0; p < a->seg_len; p++, at += a->col, b += ldb) {
      for (int i = 0; i < rows; i++) {
        const float ai = a->row[i][at];
        for (int j = 0; j < cols; j++) acc[i][j] += ai * b[j];
      }
    }
  }
  store_acc(rows, cols, acc, beta, c, ldc);
}

#endif

#endif
