/* A matrix product for the convolutions' skinny shapes (one side 16 .. 128 wide), where
   OpenBLAS's packing and blocking cost more than the arithmetic: no packing, a 6 x 16 register
   tile read straight from the operands (A by broadcasts along any stride, B by rows).

   Compiled twice like the layers (kernel-*.c, src/train/ops.h): q8t_sgemm_tiles is the
   portable twin (plain C, no FMA contraction), q8t_sgemm_tiles_avx2 uses AVX2 + FMA
   intrinsics. Both sum every element's products in the same order (p = 0, 1, ..., k - 1, then
   C = beta * C + sum), so they differ only by FMA's single rounding per step. */
#ifndef Q8_TRAIN_GEMM_TILES_H
#define Q8_TRAIN_GEMM_TILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An operand read along two strides: element (i, p) is p[i * row + p * col]. */
typedef struct q8t_strided {
  const float *p;
  ptrdiff_t row, col;
} q8t_strided;

/* C = beta * C + A * B, where A is m x k (strided), B is k x n row-major (row stride ldb),
   C m x n (row stride ldc). n must be a multiple of 8 (q8t_sgemm_tiles_fits). beta == 0
   overwrites C without reading it. Deterministic: the same arguments give the same bits;
   how m, n are split into tiles does not change any element's sum. */
void q8t_sgemm_tiles(int32_t m, int32_t n, int32_t k, q8t_strided a, const float *b,
                     int32_t ldb, float beta, float *c, int32_t ldc);
void q8t_sgemm_tiles_avx2(int32_t m, int32_t n, int32_t k, q8t_strided a, const float *b,
                          int32_t ldb, float beta, float *c, int32_t ldc);

/* A convolution's windows as the rows of an implicit im2col matrix over a zero-padded input
   (no padding left to test for): window (oy, ox) starts at base + oy * row_step + ox *
   col_step and is segments kernel rows of segment_len contiguous floats (kw * channels),
   segment_step apart. Its floats in order are the im2col row of the window. */
typedef struct q8t_windows {
  const float *base;
  int32_t width; /* windows per row: the output's width */
  ptrdiff_t row_step, col_step;
  int32_t segments, segment_len;
  ptrdiff_t segment_step;
} q8t_windows;

/* C = beta * C + A * B where A's rows are windows first .. first + m - 1 (numbered row by row)
   and B is (segments * segment_len) x n row-major; n a multiple of 8. Each element's sum
   runs in the same order as q8t_sgemm_tiles' over the im2col rows, so the two agree to the
   bit. */
void q8t_sgemm_windows(int32_t first, int32_t m, int32_t n, const q8t_windows *a, const float *b,
                       int32_t ldb, float beta, float *c, int32_t ldc);
void q8t_sgemm_windows_avx2(int32_t first, int32_t m, int32_t n, const q8t_windows *a,
                            const float *b, int32_t ldb, float beta, float *c, int32_t ldc);

/* C = beta * C + A * B where A is m x k (strided) and B's k rows are windows first ..
   first + k - 1 (their im2col rows, segments * segment_len columns). segment_len must be a
   multiple of 8. Sums in the same order as q8t_sgemm_tiles' over the im2col rows (bit-identical).
   For the weight gradient: dW = dY^T * columns. */
void q8t_sgemm_windows_b(int32_t m, int32_t k, q8t_strided a, int32_t first, const q8t_windows *b,
                         float beta, float *c, int32_t ldc);
void q8t_sgemm_windows_b_avx2(int32_t m, int32_t k, q8t_strided a, int32_t first,
                              const q8t_windows *b, float beta, float *c, int32_t ldc);

struct q8t_winograd;

/* One compilation's kernels (tests reach both compilations through it). */
typedef struct q8t_tiles_kernels {
  void (*sgemm)(int32_t m, int32_t n, int32_t k, q8t_strided a, const float *b, int32_t ldb,
                float beta, float *c, int32_t ldc);
  void (*windows)(int32_t first, int32_t m, int32_t n, const q8t_windows *a, const float *b,
                  int32_t ldb, float beta, float *c, int32_t ldc);
  void (*windows_b)(int32_t m, int32_t k, q8t_strided a, int32_t first, const q8t_windows *b,
                    float beta, float *c, int32_t ldc);
  /* winograd.h's image kernels */
  void (*winograd_image)(const struct q8t_winograd *p, const float *x, const float *u,
                         bool accumulate, float *y, float *scratch);
  void (*winograd_weight_grad_image)(const struct q8t_winograd *p, const float *x,
                                     const float *dy, float *du, float *scratch);
} q8t_tiles_kernels;

/* The portable twins (avx2 false) or the AVX2 + FMA kernels; false when the build or the CPU
   lacks AVX2 + FMA. */
bool q8t_tiles_kernels_for(bool avx2, q8t_tiles_kernels *kernels);

/* Whether the tiles take a product n columns wide. */
static inline bool q8t_sgemm_tiles_fits(int32_t n) { return n > 0 && n % 8 == 0; }

#endif
