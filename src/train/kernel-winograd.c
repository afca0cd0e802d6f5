/* The image kernels of Winograd's F(2x2, 3x3) (winograd.h), compiled once portable and once
   for AVX2 + FMA like the layers. Per band of block rows, the convolution: the input transform
   B^T d B of each 4x4 patch, the 16 products through this compilation's register tile, the
   output transform A^T m A of each block; the weight gradient: the same input transform and
   A dy A^T of each block's output gradient, then du_xi += V_xi^T Z_xi. The channel loops are
   the innermost, contiguous in NHWC, so that they vectorize. */
#include "train/winograd.h"

#include <string.h>

#include "train/gemm-tiles.h"
#include "train/kernel-tile.h"
#include "train/ops.h" /* Q8T_ISA_NAME */

/* x's rows into the interior of the framed copy (the frame stays as q8t_winograd_clear left it). */
static void frame_input(const q8t_winograd *p, const float *x, float *framed) {
  const size_t c = (size_t)p->cin;
  int32_t cols = p->padded_w - p->pad_left;
  if (cols > p->w) cols = p->w;
  for (int32_t iy = 0; iy < p->h && iy + p->pad_top < p->padded_h; iy++) {
    memcpy(framed + ((size_t)(iy + p->pad_top) * p->padded_w + p->pad_left) * c,
           x + (size_t)iy * p->w * c, (size_t)cols * c * sizeof *framed);
  }
}

/* VW channels at a time as GCC's vector type (element-wise adds and subtracts: the same bits
   as one by one), the rest one by one: GCC does not vectorize the transforms' scattered loads
   and stores itself. Eight with AVX, else four (the baseline's 128-bit registers). */
#if defined(Q8T_COMPILING_AVX2)
enum { VW = 8 };
#else
enum { VW = 4 };
#endif
typedef float vfloat __attribute__((vector_size(VW * sizeof(float))));

static inline __attribute__((always_inline)) vfloat loadv(const float *p) {
  vfloat v;
  memcpy(&v, p, sizeof v);
  return v;
}
static inline __attribute__((always_inline)) void storev(float *p, vfloat v) {
  memcpy(p, &v, sizeof v);
}
static inline __attribute__((always_inline)) float load1(const float *p) { return *p; }
static inline __attribute__((always_inline)) void store1(float *p, float v) { *p = v; }

/* v[xi * stride + ch] = (B^T d B)[xi] of the 4x4 patch d at framed (rows row_step apart,
   columns cin apart) for channels [ch, ch + width), B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0;
   0 1 0 -1]. */
#define Q8T_TRANSFORM_PATCH(T, LOAD, STORE)                                                   \
  {                                                                                          \
    T t[4][4];                                                                               \
    for (int j = 0; j < 4; j++) {                                                            \
      const float *col = d + (size_t)j * c + ch;                                             \
      const T d0 = LOAD(col), d1 = LOAD(col + row_step), d2 = LOAD(col + 2 * row_step);     \
      const T d3 = LOAD(col + 3 * row_step);                                                 \
      t[0][j] = d0 - d2;                                                                     \
      t[1][j] = d1 + d2;                                                                     \
      t[2][j] = d2 - d1;                                                                     \
      t[3][j] = d1 - d3;                                                                     \
    }                                                                                        \
    for (int i = 0; i < 4; i++) {                                                            \
      STORE(v + (size_t)(4 * i + 0) * stride + ch, t[i][0] - t[i][2]);                      \
      STORE(v + (size_t)(4 * i + 1) * stride + ch, t[i][1] + t[i][2]);                      \
      STORE(v + (size_t)(4 * i + 2) * stride + ch, t[i][2] - t[i][1]);                      \
      STORE(v + (size_t)(4 * i + 3) * stride + ch, t[i][1] - t[i][3]);                      \
    }                                                                                        \
  }
static void transform_patch(const float *d, size_t row_step, int32_t cin, float *v,
                            size_t stride) {
  const size_t c = (size_t)cin;
  size_t ch = 0;
  for (; ch + VW <= c; ch += VW) Q8T_TRANSFORM_PATCH(vfloat, loadv, storev)
  for (; ch < c; ch++) Q8T_TRANSFORM_PATCH(float, load1, store1)
}
#undef Q8T_TRANSFORM_PATCH

/* The 2x2 outputs of one block from its 16 products m[xi * stride + ch]: A^T m A, A^T =
   [1 1 1 0; 0 1 -1 -1], output (i, j) written to (or added into) out[i][j], for channels
   [ch, ch + width). */
#define Q8T_UNTRANSFORM_BLOCK(T, LOAD, STORE)                                                 \
  {                                                                                          \
    T s[2][4];                                                                               \
    for (int j = 0; j < 4; j++) {                                                            \
      const T m0 = LOAD(m + (size_t)j * stride + ch), m1 = LOAD(m + (size_t)(4 + j) * stride + ch); \
      const T m2 = LOAD(m + (size_t)(8 + j) * stride + ch);                                  \
      const T m3 = LOAD(m + (size_t)(12 + j) * stride + ch);                                 \
      s[0][j] = m0 + m1 + m2;                                                                \
      s[1][j] = m1 - m2 - m3;                                                                \
    }                                                                                        \
    const T v[2][2] = {{s[0][0] + s[0][1] + s[0][2], s[0][1] - s[0][2] - s[0][3]},           \
                       {s[1][0] + s[1][1] + s[1][2], s[1][1] - s[1][2] - s[1][3]}};          \
    for (int i = 0; i < 2; i++) {                                                            \
      for (int j = 0; j < 2; j++) {                                                          \
        float *dst = out[i][j] + ch;                                                         \
        STORE(dst, accumulate ? LOAD(dst) + v[i][j] : v[i][j]);                              \
      }                                                                                      \
    }                                                                                        \
  }
static void untransform_block(const float *m, size_t stride, int32_t cout,
                              float *const out[2][2], bool accumulate) {
  const size_t c = (size_t)cout;
  size_t ch = 0;
  for (; ch + VW <= c; ch += VW) Q8T_UNTRANSFORM_BLOCK(vfloat, loadv, storev)
  for (; ch < c; ch++) Q8T_UNTRANSFORM_BLOCK(float, load1, store1)
}
#undef Q8T_UNTRANSFORM_BLOCK

/* The 16 products of a band, prod_xi (m x cout) = v_xi (m x cin) * u_xi (cin x cout), each
   matrix stride floats after the previous. Their depth is only cin: full 6-row tiles run
   inline (the tiles' per-call setup would cost as much as a 16-deep tile), the last rows
   through q8t_sgemm_tiles. cout is a multiple of 8. */
static void products(int32_t m, int32_t cin, int32_t cout, const float *v, size_t in_stride,
                     const float *u, float *prod, size_t out_stride) {
  for (int xi = 0; xi < 16; xi++) {
    const float *a = v + xi * in_stride, *b = u + (size_t)xi * cin * cout;
    float *c = prod + xi * out_stride;
    int32_t i = 0;
    for (; i + MR <= m; i += MR) {
      tile_a t = {.col = 1, .segments = 1, .seg_len = cin, .seg_step = 0};
      for (int r = 0; r < MR; r++) t.row[r] = a + (size_t)(i + r) * cin;
      float *ci = c + (size_t)i * cout;
      int32_t j = 0;
      for (; j + NR <= cout; j += NR) tile(MR, 2, &t, b + j, cout, 0.0f, ci + j, cout);
      if (j < cout) tile(MR, 1, &t, b + j, cout, 0.0f, ci + j, cout);
    }
    if (i < m) {
      Q8T_ISA_NAME(q8t_sgemm_tiles)(m - i, cout, cin, (q8t_strided){a + (size_t)i * cin, cin, 1},
                                    b, cout, 0.0f, c + (size_t)i * cout, cout);
    }
  }
}

/* The input transform of every patch of block rows [ty0, ty1) into transformed (16 matrices
   of blocks x cin, in_stride floats apart). */
static void transform_band(const q8t_winograd *p, const float *framed, int32_t ty0, int32_t ty1,
                           float *transformed, size_t in_stride) {
  const size_t row_step = (size_t)p->padded_w * p->cin;
  for (int32_t ty = ty0; ty < ty1; ty++) {
    for (int32_t tx = 0; tx < p->tiles_w; tx++) {
      const size_t b = (size_t)(ty - ty0) * p->tiles_w + tx;
      transform_patch(framed + 2 * (size_t)ty * row_step + 2 * (size_t)tx * p->cin, row_step,
                      p->cin, transformed + b * p->cin, in_stride);
    }
  }
}

/* Block rows [ty0, ty1): transforms, products, outputs. */
static void band(const q8t_winograd *p, const float *framed, const float *u, int32_t ty0,
                 int32_t ty1, bool accumulate, float *y, float *transformed, float *product,
                 float *discard) {
  const int32_t blocks = (ty1 - ty0) * p->tiles_w;
  const size_t in_stride = (size_t)blocks * p->cin, out_stride = (size_t)blocks * p->cout;
  transform_band(p, framed, ty0, ty1, transformed, in_stride);
  products(blocks, p->cin, p->cout, transformed, in_stride, u, product, out_stride);
  const size_t cout = (size_t)p->cout;
  for (int32_t ty = ty0; ty < ty1; ty++) {
    for (int32_t tx = 0; tx < p->tiles_w; tx++) {
      float *out[2][2];
      for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 2; j++) {
          const int32_t oy = 2 * ty + i, ox = 2 * tx + j;
          out[i][j] = oy < p->oh && ox < p->ow ? y + ((size_t)oy * p->ow + ox) * cout
                                                 : discard + (size_t)(2 * i + j) * cout;
        }
      }
      const size_t b = (size_t)(ty - ty0) * p->tiles_w + tx;
      untransform_block(product + b * cout, out_stride, p->cout, out, accumulate);
    }
  }
}

void Q8T_ISA_NAME(q8t_winograd_image)(const q8t_winograd *p, const float *x, const float *u,
                                      bool accumulate, float *y, float *scratch) {
  const q8t_winograd_scratch l = q8t_winograd_scratch_layout(p);
  frame_input(p, x, scratch + l.input);
  for (int32_t ty = 0; ty < p->tiles_h; ty += p->band) {
    const int32_t ty1 = ty + p->band < p->tiles_h ? ty + p->band : p->tiles_h;
    band(p, scratch + l.input, u, ty, ty1, accumulate, y, scratch + l.transformed,
         scratch + l.products, scratch + l.discard);
  }
}

/* z[xi * stride + ch] = (A dy A^T)[xi] for channels [ch, ch + width) of one block's 2x2
   output gradient d[i][j], A^T = [1 1 1 0; 0 1 -1 -1]: the adjoint of untransform_block. */
#define Q8T_TRANSFORM_GRADIENT(T, LOAD, STORE)                                                \
  {                                                                                          \
    const T d00 = LOAD(d[0][0] + ch), d01 = LOAD(d[0][1] + ch);                              \
    const T d10 = LOAD(d[1][0] + ch), d11 = LOAD(d[1][1] + ch);                              \
    const T r[4][2] = {{d00, d01}, {d00 + d10, d01 + d11}, {d00 - d10, d01 - d11},           \
                       {-d10, -d11}};                                                        \
    for (int i = 0; i < 4; i++) {                                                            \
      STORE(z + (size_t)(4 * i + 0) * stride + ch, r[i][0]);                                 \
      STORE(z + (size_t)(4 * i + 1) * stride + ch, r[i][0] + r[i][1]);                       \
      STORE(z + (size_t)(4 * i + 2) * stride + ch, r[i][0] - r[i][1]);                       \
      STORE(z + (size_t)(4 * i + 3) * stride + ch, -r[i][1]);                                \
    }                                                                                        \
  }
static void transform_gradient(const float *const d[2][2], int32_t cout, float *z,
                               size_t stride) {
  const size_t c = (size_t)cout;
  size_t ch = 0;
  for (; ch + VW <= c; ch += VW) Q8T_TRANSFORM_GRADIENT(vfloat, loadv, storev)
  for (; ch < c; ch++) Q8T_TRANSFORM_GRADIENT(float, load1, store1)
}
#undef Q8T_TRANSFORM_GRADIENT

/* Block rows [ty0, ty1) of the weight gradient: both transforms, then du_xi += V_xi^T Z_xi. */
static void gradient_band(const q8t_winograd *p, const float *framed, const float *dy,
                          int32_t ty0, int32_t ty1, float *du, float *transformed,
                          float *gradient, const float *zeros) {
  const int32_t blocks = (ty1 - ty0) * p->tiles_w;
  const size_t in_stride = (size_t)blocks * p->cin, out_stride = (size_t)blocks * p->cout;
  const size_t cout = (size_t)p->cout;
  transform_band(p, framed, ty0, ty1, transformed, in_stride);
  for (int32_t ty = ty0; ty < ty1; ty++) {
    for (int32_t tx = 0; tx < p->tiles_w; tx++) {
      const size_t b = (size_t)(ty - ty0) * p->tiles_w + tx;
      const float *d[2][2];
      for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 2; j++) {
          const int32_t oy = 2 * ty + i, ox = 2 * tx + j;
          d[i][j] = oy < p->oh && ox < p->ow ? dy + ((size_t)oy * p->ow + ox) * cout : zeros;
        }
      }
      transform_gradient(d, p->cout, gradient + b * cout, out_stride);
    }
  }
  for (int xi = 0; xi < 16; xi++) {
    Q8T_ISA_NAME(q8t_sgemm_tiles)(p->cin, p->cout, blocks,
                                  (q8t_strided){transformed + xi * in_stride, 1, p->cin},
                                  gradient + xi * out_stride, p->cout, 1.0f,
                                  du + (size_t)xi * p->cin * p->cout, p->cout);
  }
}

void Q8T_ISA_NAME(q8t_winograd_weight_grad_image)(const q8t_winograd *p, const float *x,
                                                  const float *dy, float *du, float *scratch) {
  const q8t_winograd_scratch l = q8t_winograd_scratch_layout(p);
  frame_input(p, x, scratch + l.input);
  for (int32_t ty = 0; ty < p->tiles_h; ty += p->band) {
    const int32_t ty1 = ty + p->band < p->tiles_h ? ty + p->band : p->tiles_h;
    gradient_band(p, scratch + l.input, dy, ty, ty1, du, scratch + l.transformed,
                  scratch + l.products, scratch + l.zeros);
  }
}
