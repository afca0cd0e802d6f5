/* Winograd F(2x2, 3x3): the plan, the scratch sizes and the weights' transform, compiled once
   (the weights' transform is thus the same bits for both compilations of the image kernel,
   kernel-winograd.c). */
#include "train/winograd.h"

#include "train/gemm-tiles.h"
#include "train/graph.h"
#include "train/ops.h" /* q8t_align_floats */

bool q8t_conv_uses_winograd(const q8t_graph *g, const q8t_node *node) {
  if (node->op != Q8T_OP_CONV || g->isa != Q8T_ISA_AVX2 || g->options.direct_conv ||
      g->options.gemm != Q8T_GEMM_AUTO) {
    return false;
  }
  const q8t_window_geom w = q8t_window_geometry(g, node);
  return w.kh == 3 && w.kw == 3 && w.sh == 1 && w.sw == 1 && q8t_sgemm_tiles_fits(w.o) &&
         q8t_sgemm_tiles_fits(w.c) &&
         (g->tensors[node->inputs[Q8T_IN_WEIGHTS]].role == Q8T_ROLE_PARAMETER ||
          node->attrs.winograd_quantized);
}

/* A band's transformed input and products (16 x band blocks x (cin + cout) floats) are kept
   under 256 KiB, half of the L2 of the CPUs this was tuned on, so that the products read them
   back from L2. */
enum { BAND_FLOATS = 1 << 16 };

q8t_winograd q8t_winograd_plan(int32_t h, int32_t w, int32_t cin, int32_t oh, int32_t ow,
                               int32_t cout, int32_t pad_top, int32_t pad_left) {
  q8t_winograd p = {h, w, cin, oh, ow, cout, pad_top, pad_left, (oh + 1) / 2, (ow + 1) / 2,
                    1, 0, 0};
  const int64_t per_row = 16 * (int64_t)p.tiles_w * (cin + cout);
  p.band = (int32_t)(BAND_FLOATS / per_row);
  if (p.band < 1) p.band = 1;
  if (p.band > p.tiles_h) p.band = p.tiles_h;
  p.padded_h = 2 * p.tiles_h + 2;
  p.padded_w = 2 * p.tiles_w + 2;
  return p;
}

size_t q8t_winograd_weight_floats(const q8t_winograd *p) {
  return 16 * (size_t)p->cin * p->cout;
}

q8t_winograd_scratch q8t_winograd_scratch_layout(const q8t_winograd *p) {
  const size_t blocks = (size_t)p->band * p->tiles_w;
  q8t_winograd_scratch l = {0};
  l.transformed = q8t_align_floats((size_t)p->padded_h * p->padded_w * p->cin);
  l.products = l.transformed + q8t_align_floats(16 * blocks * p->cin);
  l.discard = l.products + q8t_align_floats(16 * blocks * p->cout);
  l.zeros = l.discard + q8t_align_floats(4 * (size_t)p->cout);
  l.total = l.zeros + q8t_align_floats((size_t)p->cout);
  return l;
}

size_t q8t_winograd_scratch_floats(const q8t_winograd *p) {
  return q8t_winograd_scratch_layout(p).total;
}

void q8t_winograd_clear(const q8t_winograd *p, float *scratch) {
  const q8t_winograd_scratch l = q8t_winograd_scratch_layout(p);
  const size_t n = (size_t)p->padded_h * p->padded_w * p->cin;
  for (size_t i = 0; i < n; i++) scratch[l.input + i] = 0.0f;
  for (int32_t i = 0; i < p->cout; i++) scratch[l.zeros + (size_t)i] = 0.0f;
}

/* G g G^T of one 3x3 kernel g (row-major), with G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]:
   sums then halvings, so no compilation can contract them into other roundings. */
static void transform_kernel(const float g[9], float u[16]) {
  float t[4][3];
  for (int j = 0; j < 3; j++) {
    t[0][j] = g[j];
    t[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
    t[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
    t[3][j] = g[6 + j];
  }
  for (int i = 0; i < 4; i++) {
    u[4 * i + 0] = t[i][0];
    u[4 * i + 1] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
    u[4 * i + 2] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
    u[4 * i + 3] = t[i][2];
  }
}

void q8t_winograd_weights(const float *w, int32_t o, int32_t c, bool flipped, float *u) {
  const int32_t cin = flipped ? o : c, cout = flipped ? c : o;
  /* Output channels innermost: each of the 16 matrices is written in order. */
  for (int32_t row = 0; row < cin; row++) {
    for (int32_t col = 0; col < cout; col++) {
      const int32_t oc = flipped ? row : col, ic = flipped ? col : row;
      float g[9], t[16];
      for (int k = 0; k < 9; k++) {
        const int tap = flipped ? 8 - k : k; /* (ky, kx) -> (2 - ky, 2 - kx) */
        g[k] = w[((size_t)oc * 9 + (size_t)tap) * c + ic];
      }
      transform_kernel(g, t);
      for (int xi = 0; xi < 16; xi++) u[((size_t)xi * cin + row) * cout + col] = t[xi];
    }
  }
}

/* G^T m G of one 4x4 m (row-major) into the 3x3 g, G^T = [1 1/2 1/2 0; 0 1/2 -1/2 0;
   0 1/2 1/2 1]: the adjoint of transform_kernel. */
static void untransform_kernel(const float m[16], float g[9]) {
  float t[3][4];
  for (int j = 0; j < 4; j++) {
    t[0][j] = m[j] + 0.5f * (m[4 + j] + m[8 + j]);
    t[1][j] = 0.5f * (m[4 + j] - m[8 + j]);
    t[2][j] = 0.5f * (m[4 + j] + m[8 + j]) + m[12 + j];
  }
  for (int i = 0; i < 3; i++) {
    g[3 * i + 0] = t[i][0] + 0.5f * (t[i][1] + t[i][2]);
    g[3 * i + 1] = 0.5f * (t[i][1] - t[i][2]);
    g[3 * i + 2] = 0.5f * (t[i][1] + t[i][2]) + t[i][3];
  }
}

void q8t_winograd_weight_grad_finish(const float *du, int32_t o, int32_t c, float *dw) {
  for (int32_t oc = 0; oc < o; oc++) {
    for (int32_t ic = 0; ic < c; ic++) {
      float m[16], g[9];
      for (int xi = 0; xi < 16; xi++) m[xi] = du[((size_t)xi * c + ic) * o + oc];
      untransform_kernel(m, g);
      for (int k = 0; k < 9; k++) dw[((size_t)oc * 9 + (size_t)k) * c + ic] = g[k];
    }
  }
}
