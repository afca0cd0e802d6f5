/* The skinny matrix product (gemm-tiles.h), compiled once portable and once for AVX2 + FMA,
   through the register tile of kernel-tile.h (6 rows x 16 columns, a last one of 8). */
#include "train/gemm-tiles.h"

#include "train/kernel-tile.h"
#include "train/ops.h" /* Q8T_ISA_NAME */

/* Every tile shape (rows, vecs). */
#define Q8T_SHAPES(X) \
  X(1, 1) X(2, 1) X(3, 1) X(4, 1) X(5, 1) X(6, 1) X(1, 2) X(2, 2) X(3, 2) X(4, 2) X(5, 2) X(6, 2)

/* One function per tile shape, rows and vecs constants in each, so that the accumulators
   live in registers (one function holding all the shapes made GCC spill them). */
typedef void tile_fn(const tile_a *a, const float *b, int32_t ldb, float beta, float *c,
                     int32_t ldc);
#define Q8T_TILE_SHAPE(r, v)                                                              \
  static void tile_##r##x##v(const tile_a *a, const float *b, int32_t ldb, float beta,    \
                             float *c, int32_t ldc) {                                     \
    tile(r, v, a, b, ldb, beta, c, ldc);                                                  \
  }
Q8T_SHAPES(Q8T_TILE_SHAPE)
#undef Q8T_TILE_SHAPE

/* Indexed [vecs - 1][rows - 1]. */
static tile_fn *const tiles[2][MR] = {
    {tile_1x1, tile_2x1, tile_3x1, tile_4x1, tile_5x1, tile_6x1},
    {tile_1x2, tile_2x2, tile_3x2, tile_4x2, tile_5x2, tile_6x2},
};

/* The tiles of rows rows of C (A's rows in a) across its n columns. */
static void tiles_across(int rows, int32_t n, const tile_a *a, const float *b, int32_t ldb,
                         float beta, float *c, int32_t ldc) {
  for (int32_t j = 0; j < n; j += NR) {
    tiles[n - j >= NR ? 1 : 0][rows - 1](a, b + j, ldb, beta, c + j, ldc);
  }
}

/* The strided A's rows [i, i + rows) over depth [p, p + kb). */
static tile_a strided_rows(q8t_strided a, int32_t i, int rows, int32_t p, int32_t kb) {
  tile_a t = {.col = a.col, .segments = 1, .seg_len = kb, .seg_step = 0};
  for (int r = 0; r < MR; r++) t.row[r] = a.p + (ptrdiff_t)(i + (r < rows ? r : 0)) * a.row + p * a.col;
  return t;
}

/* Row bands outside, column tiles inside: a band's MR rows of A stay in L1 while B is read
   once per band. Fits the tall products (forward, gradient of the input), whose B is the
   small weight matrix. */
static void rows_outside(int32_t m, int32_t n, int32_t k, q8t_strided a, const float *b,
                         int32_t ldb, float beta, float *c, int32_t ldc) {
  for (int32_t i = 0; i < m; i += MR) {
    const int rows = m - i < MR ? (int)(m - i) : MR;
    const tile_a t = strided_rows(a, i, rows, 0, k);
    tiles_across(rows, n, &t, b, ldb, beta, c + (ptrdiff_t)i * ldc, ldc);
  }
}

/* Depth in blocks of KB, columns outside, row bands inside: a block's NR columns of B (KB x NR
   floats) stay in L1 across all the bands. Fits the weight gradient: few rows (output
   channels), a long depth (output positions) and a wide B (im2col rows). */
enum { KB = 128 };
static void depth_blocks(int32_t m, int32_t n, int32_t k, q8t_strided a, const float *b,
                         int32_t ldb, float beta, float *c, int32_t ldc) {
  for (int32_t p = 0; p < k; p += KB) {
    const int32_t kb = k - p < KB ? k - p : KB;
    const float block_beta = p == 0 ? beta : 1.0f;
    for (int32_t j = 0; j < n; j += NR) {
      const int vecs = n - j >= NR ? 2 : 1;
      for (int32_t i = 0; i < m; i += MR) {
        const int rows = m - i < MR ? (int)(m - i) : MR;
        const tile_a t = strided_rows(a, i, rows, p, kb);
        tiles[vecs - 1][rows - 1](&t, b + (ptrdiff_t)p * ldb + j, ldb, block_beta,
                                  c + (ptrdiff_t)i * ldc + j, ldc);
      }
    }
  }
}

void Q8T_ISA_NAME(q8t_sgemm_tiles)(int32_t m, int32_t n, int32_t k, q8t_strided a,
                                   const float *b, int32_t ldb, float beta, float *c,
                                   int32_t ldc) {
  if (m <= 128 && k > 2 * KB) {
    depth_blocks(m, n, k, a, b, ldb, beta, c, ldc);
  } else {
    rows_outside(m, n, k, a, b, ldb, beta, c, ldc);
  }
}

void Q8T_ISA_NAME(q8t_sgemm_windows)(int32_t first, int32_t m, int32_t n, const q8t_windows *a,
                                     const float *b, int32_t ldb, float beta, float *c,
                                     int32_t ldc) {
  tile_a t = {.col = 1, .segments = a->segments, .seg_len = a->segment_len,
              .seg_step = a->segment_step};
  int32_t oy = first / a->width, ox = first % a->width;
  for (int32_t i = 0; i < m; i += MR) {
    const int rows = m - i < MR ? (int)(m - i) : MR;
    for (int r = 0; r < MR; r++) {
      t.row[r] = a->base + oy * a->row_step + ox * a->col_step;
      if (r + 1 < rows && ++ox == a->width) {
        ox = 0;
        oy++;
      }
    }
    if (rows == MR && ++ox == a->width) {
      ox = 0;
      oy++;
    }
    tiles_across(rows, n, &t, b, ldb, beta, c + (ptrdiff_t)i * ldc, ldc);
  }
}

/* ---- B read from windows: the weight gradient without an im2col matrix ---- */

/* The B side of one tile: k rows, row p the NR (or 8) floats at offset column of window
   first + p; windows advance col_step along a row of width, row_step between rows. */
typedef struct tile_bwin {
  const float *start; /* window first's floats at the tile's column */
  int32_t ox, width;  /* window first's column; windows per row */
  ptrdiff_t col_step, row_step;
  int32_t k;
} tile_bwin;

#if defined(Q8T_COMPILING_AVX2)

static inline __attribute__((always_inline)) void tile_bw(int rows, int vecs, const float *a,
                                                          ptrdiff_t a_row, ptrdiff_t a_col,
                                                          const tile_bwin *bw, float beta,
                                                          float *c, int32_t ldc) {
#define Q8T_DECLARE_ACC(i) __m256 lo##i = _mm256_setzero_ps(), hi##i = _mm256_setzero_ps();
  Q8T_ROWS(Q8T_DECLARE_ACC)
#undef Q8T_DECLARE_ACC
  const float *row = bw->start - bw->ox * bw->col_step, *b = bw->start;
  int32_t ox = bw->ox;
  for (int32_t p = 0; p < bw->k; p++, a += a_col) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = vecs > 1 ? _mm256_loadu_ps(b + 8) : b0;
#define Q8T_A_AT(i) (a + i * a_row)
    Q8T_ROWS(Q8T_STEP)
#undef Q8T_A_AT
    if (++ox == bw->width) {
      ox = 0;
      row += bw->row_step;
      b = row;
    } else {
      b += bw->col_step;
    }
  }
  const __m256 vbeta = _mm256_set1_ps(beta);
  Q8T_ROWS(Q8T_STORE)
}
#undef Q8T_STORE
#undef Q8T_STEP
#undef Q8T_DECLARE
#undef Q8T_ROWS

#else

static inline __attribute__((always_inline)) void tile_bw(int rows, int vecs, const float *a,
                                                          ptrdiff_t a_row, ptrdiff_t a_col,
                                                          const tile_bwin *bw, float beta,
                                                          float *c, int32_t ldc) {
  const int cols = 8 * vecs;
  float acc[MR][NR] = {{0}};
  const float *row = bw->start - bw->ox * bw->col_step, *b = bw->start;
  int32_t ox = bw->ox;
  for (int32_t p = 0; p < bw->k; p++, a += a_col) {
    for (int i = 0; i < rows; i++) {
      const float ai = a[i * a_row];
      for (int j = 0; j < cols; j++) acc[i][j] += ai * b[j];
    }
    if (++ox == bw->width) {
      ox = 0;
      row += bw->row_step;
      b = row;
    } else {
      b += bw->col_step;
    }
  }
  store_acc(rows, cols, acc, beta, c, ldc);
}

#endif

typedef void tile_bw_fn(const float *a, ptrdiff_t a_row, ptrdiff_t a_col, const tile_bwin *bw,
                        float beta, float *c, int32_t ldc);
#define Q8T_TILE_SHAPE(r, v)                                                                 \
  static void tile_bw_##r##x##v(const float *a, ptrdiff_t a_row, ptrdiff_t a_col,           \
                                const tile_bwin *bw, float beta, float *c, int32_t ldc) {   \
    tile_bw(r, v, a, a_row, a_col, bw, beta, c, ldc);                                        \
  }
Q8T_SHAPES(Q8T_TILE_SHAPE)
#undef Q8T_TILE_SHAPE

/* Indexed [vecs - 1][rows - 1]. */
static tile_bw_fn *const tiles_bw[2][MR] = {
    {tile_bw_1x1, tile_bw_2x1, tile_bw_3x1, tile_bw_4x1, tile_bw_5x1, tile_bw_6x1},
    {tile_bw_1x2, tile_bw_2x2, tile_bw_3x2, tile_bw_4x2, tile_bw_5x2, tile_bw_6x2},
};

void Q8T_ISA_NAME(q8t_sgemm_windows_b)(int32_t m, int32_t k, q8t_strided a, int32_t first,
                                       const q8t_windows *b, float beta, float *c, int32_t ldc) {
  const int32_t oy = first / b->width, ox = first % b->width;
  const float *window = b->base + oy * b->row_step + ox * b->col_step;
  for (int32_t s = 0; s < b->segments; s++) {
    for (int32_t j = 0; j < b->segment_len; j += NR) {
      const int vecs = b->segment_len - j >= NR ? 2 : 1;
      const tile_bwin bw = {window + s * b->segment_step + j, ox, b->width, b->col_step,
                            b->row_step, k};
      float *cj = c + (ptrdiff_t)s * b->segment_len + j;
      for (int32_t i = 0; i < m; i += MR) {
        const int rows = m - i < MR ? (int)(m - i) : MR;
        tiles_bw[vecs - 1][rows - 1](a.p + i * a.row, a.row, a.col, &bw, beta,
                                     cj + (ptrdiff_t)i * ldc, ldc);
      }
    }
  }
}
