/* Convolution, forward and backward: im2col + matrix product (a 1x1 stride-1 convolution
   multiplies the input rows directly). Each thread takes whole images and walks them in
   chunks of output rows small enough for the column buffer to stay in cache; weight and bias
   gradients are per-thread partial sums reduced in thread order. */
#include <string.h>

#include "train/ops.h"

/* Column-buffer floats per chunk: 256 Ki floats (1 MiB): large enough that OpenBLAS's packing
   of the weights is amortised over many rows, small enough to stay near the core. */
enum { COL_CHUNK_FLOATS = 1 << 18 };

typedef struct conv_geom {
  int32_t batch, h, w, c; /* input */
  int32_t oh, ow, o;      /* output */
  int32_t kh, kw, sh, sw, pad_top, pad_left;
  int32_t k;         /* kh * kw * c: one im2col row, one weight row */
  int32_t positions; /* oh * ow: output rows per image */
  int32_t chunk;     /* output rows per chunk */
  bool pointwise;    /* 1x1, stride 1: input rows are the im2col rows */
} conv_geom;

/* Per-thread scratch: partial weight gradient, partial bias gradient, column chunk, portable
   GEMM workspace; offsets in floats. */
typedef struct conv_layout {
  size_t dw, db, col, workspace, total;
} conv_layout;

static conv_geom geometry(q8t_graph *g, const q8t_node *node) {
  const q8t_tensor *x = q8t_input_tensor(g, node, Q8T_IN_X);
  const q8t_tensor *y = q8t_output_tensor(g, node);
  const q8t_attrs *a = &node->attrs;
  conv_geom geo = {
      .batch = x->dims[0],
      .h = x->dims[1],
      .w = x->dims[2],
      .c = x->dims[3],
      .oh = y->dims[1],
      .ow = y->dims[2],
      .o = y->dims[3],
      .kh = a->kernel_h,
      .kw = a->kernel_w,
      .sh = a->stride_h,
      .sw = a->stride_w,
      .pad_top = a->pad_top,
      .pad_left = a->pad_left,
  };
  geo.k = geo.kh * geo.kw * geo.c;
  geo.positions = geo.oh * geo.ow;
  geo.pointwise = geo.kh == 1 && geo.kw == 1 && geo.sh == 1 && geo.sw == 1;
  geo.chunk = COL_CHUNK_FLOATS / geo.k;
  if (geo.chunk < 16) geo.chunk = 16;
  return geo;
}

static conv_layout layout(const q8t_graph *g, const conv_geom *geo) {
  conv_layout l;
  l.dw = 0;
  l.db = q8t_align_floats((size_t)geo->o * geo->k);
  l.col = l.db + q8t_align_floats((size_t)geo->o);
  l.workspace = l.col + (geo->pointwise ? 0 : q8t_align_floats((size_t)geo->chunk * geo->k));
  l.total = l.workspace + q8t_gemm_workspace_floats(g);
  return l;
}

static size_t conv_scratch(const q8t_graph *g, const q8t_node *node) {
  const conv_geom geo = geometry((q8t_graph *)g, node);
  return layout(g, &geo).total;
}

/* Rows [r0, r1) of the im2col matrix (row = image * positions + output position; columns in
   the weights' (ky, kx, c) order); padding reads as zero. */
static void im2col(const conv_geom *geo, const float *x, int64_t r0, int64_t r1, float *col) {
  const size_t c = (size_t)geo->c;
  for (int64_t r = r0; r < r1; r++) {
    const int64_t n = r / geo->positions, p = r % geo->positions;
    const int32_t oy = (int32_t)(p / geo->ow), ox = (int32_t)(p % geo->ow);
    const float *image = x + (size_t)n * geo->h * geo->w * c;
    float *dst = col + (size_t)(r - r0) * geo->k;
    for (int32_t ky = 0; ky < geo->kh; ky++) {
      const int32_t iy = oy * geo->sh - geo->pad_top + ky;
      if (iy < 0 || iy >= geo->h) {
        memset(dst, 0, (size_t)geo->kw * c * sizeof *dst);
        dst += (size_t)geo->kw * c;
        continue;
      }
      for (int32_t kx = 0; kx < geo->kw; kx++, dst += c) {
        const int32_t ix = ox * geo->sw - geo->pad_left + kx;
        const float *src = image + ((size_t)iy * geo->w + ix) * c;
        const bool inside = ix >= 0 && ix < geo->w;
        /* A loop, not memcpy: channels are few in early layers (one in the first). */
        for (size_t i = 0; i < c; i++) dst[i] = inside ? src[i] : 0.0f;
      }
    }
  }
}

/* The adjoint of im2col: adds column rows [r0, r1) back into the input positions they came
   from (padding positions are dropped). */
static void col2im_add(const conv_geom *geo, const float *col, int64_t r0, int64_t r1, float *dx) {
  const size_t c = (size_t)geo->c;
  for (int64_t r = r0; r < r1; r++) {
    const int64_t n = r / geo->positions, p = r % geo->positions;
    const int32_t oy = (int32_t)(p / geo->ow), ox = (int32_t)(p % geo->ow);
    float *image = dx + (size_t)n * geo->h * geo->w * c;
    const float *src = col + (size_t)(r - r0) * geo->k;
    for (int32_t ky = 0; ky < geo->kh; ky++) {
      const int32_t iy = oy * geo->sh - geo->pad_top + ky;
      if (iy < 0 || iy >= geo->h) {
        src += (size_t)geo->kw * c;
        continue;
      }
      for (int32_t kx = 0; kx < geo->kw; kx++, src += c) {
        const int32_t ix = ox * geo->sw - geo->pad_left + kx;
        if (ix < 0 || ix >= geo->w) continue;
        float *d = image + ((size_t)iy * geo->w + ix) * c;
        for (size_t i = 0; i < c; i++) d[i] += src[i];
      }
    }
  }
}

typedef struct conv_ctx {
  q8t_graph *g;
  const q8t_node *node;
  conv_geom geo;
  conv_layout lay;
} conv_ctx;

static void conv_forward_task(void *arg, int32_t t, int32_t nt) {
  const conv_ctx *c = arg;
  const conv_geom *geo = &c->geo;
  q8t_graph *g = c->g;
  const float *x = q8t_input_tensor(g, c->node, Q8T_IN_X)->data;
  const float *w = q8t_input_tensor(g, c->node, Q8T_IN_WEIGHTS)->data;
  const q8t_tensor *bias = q8t_input_tensor(g, c->node, Q8T_IN_BIAS);
  float *y = q8t_output_tensor(g, c->node)->data;
  float *scratch = g->scratch[t];
  float *workspace = scratch + c->lay.workspace;
  int64_t n0, n1;
  q8t_split(geo->batch, t, nt, &n0, &n1);
  for (int64_t r0 = n0 * geo->positions; r0 < n1 * geo->positions; r0 += geo->chunk) {
    const int64_t r1 =
        r0 + geo->chunk < n1 * geo->positions ? r0 + geo->chunk : n1 * geo->positions;
    const int32_t rows = (int32_t)(r1 - r0);
    float *out = y + (size_t)r0 * geo->o;
    if (bias != NULL) q8t_broadcast_rows(out, (size_t)rows, (size_t)geo->o, bias->data);
    const float *a = x + (size_t)r0 * geo->c;
    if (!geo->pointwise) {
      im2col(geo, x, r0, r1, scratch + c->lay.col);
      a = scratch + c->lay.col;
    }
    q8t_sgemm(g->options.gemm, false, true, rows, geo->o, geo->k, 1.0f, a, geo->k, w, geo->k,
              bias != NULL ? 1.0f : 0.0f, out, geo->o, workspace);
    q8t_activate_span(c->node->attrs.activation, out, (size_t)rows * geo->o);
  }
}

static void conv_forward(q8t_graph *g, q8t_node *node) {
  conv_ctx c = {g, node, geometry(g, node), {0}};
  c.lay = layout(g, &c.geo);
  q8t_parallel(g, conv_forward_task, &c);
}

static void conv_backward_task(void *arg, int32_t t, int32_t nt) {
  const conv_ctx *c = arg;
  const conv_geom *geo = &c->geo;
  q8t_graph *g = c->g;
  const q8t_node *node = c->node;
  const q8t_tensor *xt = q8t_input_tensor(g, node, Q8T_IN_X);
  const float *w = q8t_input_tensor(g, node, Q8T_IN_WEIGHTS)->data;
  const bool has_bias = node->inputs[Q8T_IN_BIAS] >= 0;
  const q8t_tensor *yt = q8t_output_tensor(g, node);
  float *dx = xt->grad;
  float *scratch = g->scratch[t];
  float *dw = scratch + c->lay.dw, *db = scratch + c->lay.db, *col = scratch + c->lay.col;
  float *workspace = scratch + c->lay.workspace;
  int64_t n0, n1;
  q8t_split(geo->batch, t, nt, &n0, &n1);
  memset(db, 0, (size_t)geo->o * sizeof *db);
  if (n0 == n1) memset(dw, 0, (size_t)geo->o * geo->k * sizeof *dw);
  const size_t image = (size_t)geo->h * geo->w * geo->c;
  if (dx != NULL && !geo->pointwise && !node->accumulate[Q8T_IN_X]) {
    memset(dx + (size_t)n0 * image, 0, (size_t)(n1 - n0) * image * sizeof *dx);
  }
  for (int64_t r0 = n0 * geo->positions; r0 < n1 * geo->positions; r0 += geo->chunk) {
    const int64_t r1 =
        r0 + geo->chunk < n1 * geo->positions ? r0 + geo->chunk : n1 * geo->positions;
    const int32_t rows = (int32_t)(r1 - r0);
    float *dy = yt->grad + (size_t)r0 * geo->o;
    q8t_activation_grad_span(node->attrs.activation, yt->data + (size_t)r0 * geo->o, dy,
                             (size_t)rows * geo->o);
    const float *a = xt->data + (size_t)r0 * geo->c;
    if (!geo->pointwise) {
      im2col(geo, xt->data, r0, r1, col);
      a = col;
    }
    const bool first = r0 == n0 * geo->positions;
    /* dW += dY^T * columns */
    q8t_sgemm(g->options.gemm, true, false, geo->o, geo->k, rows, 1.0f, dy, geo->o, a, geo->k,
              first ? 0.0f : 1.0f, dw, geo->k, workspace);
    if (has_bias) {
      for (int32_t i = 0; i < rows; i++) {
        const float *row = dy + (size_t)i * geo->o;
        for (int32_t o = 0; o < geo->o; o++) db[o] += row[o];
      }
    }
    if (dx == NULL) continue;
    /* dColumns = dY * W, then back to the input positions. */
    if (geo->pointwise) {
      q8t_sgemm(g->options.gemm, false, false, rows, geo->k, geo->o, 1.0f, dy, geo->o, w, geo->k,
                node->accumulate[Q8T_IN_X] ? 1.0f : 0.0f, dx + (size_t)r0 * geo->c, geo->c,
                workspace);
    } else {
      q8t_sgemm(g->options.gemm, false, false, rows, geo->k, geo->o, 1.0f, dy, geo->o, w, geo->k,
                0.0f, col, geo->k, workspace);
      col2im_add(geo, col, r0, r1, dx);
    }
  }
}

static void conv_backward(q8t_graph *g, q8t_node *node) {
  conv_ctx c = {g, node, geometry(g, node), {0}};
  c.lay = layout(g, &c.geo);
  q8t_parallel(g, conv_backward_task, &c);
  q8t_reduce_partials(g, q8t_input_tensor(g, node, Q8T_IN_WEIGHTS)->grad, (size_t)c.geo.o * c.geo.k,
                      c.lay.dw, node->accumulate[Q8T_IN_WEIGHTS]);
  const q8t_tensor *bias = q8t_input_tensor(g, node, Q8T_IN_BIAS);
  if (bias != NULL) {
    q8t_reduce_partials(g, bias->grad, (size_t)c.geo.o, c.lay.db, node->accumulate[Q8T_IN_BIAS]);
  }
}

const q8t_op_impl Q8T_ISA_NAME(q8t_conv_impl) = {"conv", conv_forward, conv_backward, conv_scratch};
