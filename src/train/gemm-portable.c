/* The portable matrix product: panels of A (MR rows) and B (NR columns) packed into the
   caller's workspace, then a register-tile kernel in plain C that compilers vectorize. Used
   where OpenBLAS is absent (the aarch64 cross build) and as its cross-check in tests. */
#include <string.h>

#include "train/gemm.h"

/* A 4x8 tile is 8 accumulators of 4 floats: it fits the 16 vector registers of baseline
   x86-64 (SSE2) with room for the operands, and NEON's 32 (4x16 or 6x8 spill on SSE2 and run
   4 to 5 times slower). */
enum {
  MR = 4,   /* rows of the register tile */
  NR = 8,   /* columns of the register tile */
  KC = 256, /* depth of one packed block */
  MC = 128, /* rows of A packed at a time */
  NC = 512  /* columns of B packed at a time */
};

typedef struct operand {
  const float *p;
  int32_t ld;
  bool trans;
} operand;

/* Element (row, col) of op(X), where op transposes when x->trans. */
static inline float at(const operand *x, int32_t row, int32_t col) {
  return x->trans ? x->p[(size_t)col * x->ld + row] : x->p[(size_t)row * x->ld + col];
}

/* Packs rows [i0, i0 + mc) x depth [p0, p0 + kc) of op(A) as MR-row panels, each stored
   depth-major (MR values per depth step); rows past mc are zero. */
static void pack_a(const operand *a, int32_t i0, int32_t mc, int32_t p0, int32_t kc, float *out) {
  for (int32_t ir = 0; ir < mc; ir += MR) {
    const int32_t rows = mc - ir < MR ? mc - ir : MR;
    for (int32_t p = 0; p < kc; p++) {
      for (int32_t i = 0; i < MR; i++) *out++ = i < rows ? at(a, i0 + ir + i, p0 + p) : 0.0f;
    }
  }
}

/* Packs depth [p0, p0 + kc) x columns [j0, j0 + nc) of op(B) as NR-column panels. */
static void pack_b(const operand *b, int32_t p0, int32_t kc, int32_t j0, int32_t nc, float *out) {
  for (int32_t jr = 0; jr < nc; jr += NR) {
    const int32_t cols = nc - jr < NR ? nc - jr : NR;
    for (int32_t p = 0; p < kc; p++) {
      if (!b->trans && cols == NR) {
        memcpy(out, b->p + (size_t)(p0 + p) * b->ld + j0 + jr, NR * sizeof *out);
        out += NR;
        continue;
      }
      for (int32_t j = 0; j < NR; j++) *out++ = j < cols ? at(b, p0 + p, j0 + jr + j) : 0.0f;
    }
  }
}

/* acc = sum over depth of the packed A panel's column times the packed B panel's row. */
static void tile_kernel(int32_t kc, const float *restrict ap, const float *restrict bp,
                        float acc[MR][NR]) {
  float c[MR][NR];
  memset(c, 0, sizeof c);
  for (int32_t p = 0; p < kc; p++) {
    const float *restrict bv = bp + (size_t)p * NR;
    const float *restrict av = ap + (size_t)p * MR;
    for (int i = 0; i < MR; i++) {
      const float ai = av[i];
      for (int j = 0; j < NR; j++) c[i][j] += ai * bv[j];
    }
  }
  memcpy(acc, c, sizeof c);
}

static void scale_c(int32_t m, int32_t n, float beta, float *c, int32_t ldc) {
  if (beta == 1.0f) return;
  for (int32_t i = 0; i < m; i++) {
    float *row = c + (size_t)i * ldc;
    if (beta == 0.0f) {
      memset(row, 0, (size_t)n * sizeof *row);
    } else {
      for (int32_t j = 0; j < n; j++) row[j] *= beta;
    }
  }
}

void q8t_sgemm_portable(bool trans_a, bool trans_b, int32_t m, int32_t n, int32_t k, float alpha,
                        const float *a, int32_t lda, const float *b, int32_t ldb, float beta,
                        float *c, int32_t ldc, float *workspace) {
  if (m <= 0 || n <= 0) return;
  scale_c(m, n, beta, c, ldc);
  if (k <= 0 || alpha == 0.0f) return;
  const operand oa = {a, lda, trans_a}, ob = {b, ldb, trans_b};
  float *packed_b = workspace;
  float *packed_a = workspace + (size_t)KC * NC;
  for (int32_t j0 = 0; j0 < n; j0 += NC) {
    const int32_t nc = n - j0 < NC ? n - j0 : NC;
    for (int32_t p0 = 0; p0 < k; p0 += KC) {
      const int32_t kc = k - p0 < KC ? k - p0 : KC;
      pack_b(&ob, p0, kc, j0, nc, packed_b);
      for (int32_t i0 = 0; i0 < m; i0 += MC) {
        const int32_t mc = m - i0 < MC ? m - i0 : MC;
        pack_a(&oa, i0, mc, p0, kc, packed_a);
        for (int32_t jr = 0; jr < nc; jr += NR) {
          const int32_t cols = nc - jr < NR ? nc - jr : NR;
          for (int32_t ir = 0; ir < mc; ir += MR) {
            const int32_t rows = mc - ir < MR ? mc - ir : MR;
            float acc[MR][NR];
            tile_kernel(kc, packed_a + (size_t)ir * kc, packed_b + (size_t)jr * kc, acc);
            for (int32_t i = 0; i < rows; i++) {
              float *crow = c + (size_t)(i0 + ir + i) * ldc + j0 + jr;
              for (int32_t j = 0; j < cols; j++) crow[j] += alpha * acc[i][j];
            }
          }
        }
      }
    }
  }
}
