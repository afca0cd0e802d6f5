/* Convolution, forward and backward: im2col + matrix product (a 1x1 stride-1 convolution
   multiplies the input rows directly). Each thread takes whole images and walks them in
   chunks of output rows small enough for the column buffer to stay near the core; weight and
   bias gradients are per-thread partial sums reduced in thread order. */
#include <string.h>

#include "train/ops.h"

/* Column-buffer floats per chunk: 256 Ki floats (1 MiB): large enough that OpenBLAS's packing
   of the weights is amortised over many rows, small enough to stay near the core. */
enum { COL_CHUNK_FLOATS = 1 << 18 };

typedef struct conv_geom {
  q8t_window_geom win;
  int32_t k;         /* kh * kw * c: one im2col row, one weight row */
  int32_t positions; /* oh * ow: output rows per image */
  int32_t chunk;     /* output rows per chunk */
  bool pointwise;    /* 1x1, stride 1: input rows are the im2col rows */
} conv_geom;

/* Per-thread scratch, offsets in floats: partial weight gradient [o, k], partial bias
   gradient, column chunk, portable GEMM workspace. */
typedef struct conv_layout {
  size_t dw, db, col, workspace, total;
} conv_layout;

static conv_geom geometry(const q8t_graph *g, const q8t_node *node) {
  conv_geom geo = {.win = q8t_window_geometry(g, node)};
  const q8t_window_geom *w = &geo.win;
  geo.k = w->kh * w->kw * w->c;
  geo.positions = w->oh * w->ow;
  geo.pointwise = w->kh == 1 && w->kw == 1 && w->sh == 1 && w->sw == 1;
  geo.chunk = COL_CHUNK_FLOATS / geo.k;
  if (geo.chunk < 16) geo.chunk = 16;
  return geo;
}

static conv_layout layout(const q8t_graph *g, const conv_geom *geo) {
  conv_layout l;
  l.dw = 0;
  l.db = q8t_align_floats((size_t)geo->win.o * geo->k);
  l.col = l.db + q8t_align_floats((size_t)geo->win.o);
  l.workspace = l.col + (geo->pointwise ? 0 : q8t_align_floats((size_t)geo->chunk * geo->k));
  l.total = l.workspace + q8t_gemm_workspace_floats(g);
  return l;
}

static size_t conv_scratch(const q8t_graph *g, const q8t_node *node) {
  const conv_geom geo = geometry(g, node);
  return layout(g, &geo).total;
}

/* The output position of row r (image * positions + oy * ow + ox) and its image. */
typedef struct position {
  int64_t image;
  int32_t oy, ox;
} position;

static position position_of(const conv_geom *geo, int64_t r) {
  const int64_t p = r % geo->positions;
  return (position){r / geo->positions, (int32_t)(p / geo->win.ow), (int32_t)(p % geo->win.ow)};
}

/* The next row's position (without the divisions of position_of, which cost more than a
   1-channel row's work). */
static void advance(const conv_geom *geo, position *at) {
  if (++at->ox < geo->win.ow) return;
  at->ox = 0;
  if (++at->oy < geo->win.oh) return;
  at->oy = 0;
  at->image++;
}

/* Rows [r0, r1) of the im2col matrix (columns in the weights' (ky, kx, c) order); padding
   reads as zero. The taps of one kernel row are kw * c contiguous floats of one input row, so
   each is one copy where the window lies inside the image. */
static void im2col(const conv_geom *geo, const float *x, int64_t r0, int64_t r1, float *col) {
  const q8t_window_geom *win = &geo->win;
  const size_t c = (size_t)win->c, run = (size_t)win->kw * c;
  position at = position_of(geo, r0);
  for (int64_t r = r0; r < r1; r++, advance(geo, &at)) {
    const float *image = x + (size_t)at.image * win->h * win->w * c;
    float *dst = col + (size_t)(r - r0) * geo->k;
    const int32_t ix0 = at.ox * win->sw - win->pad_left;
    const bool inside_x = ix0 >= 0 && ix0 + win->kw <= win->w;
    for (int32_t ky = 0; ky < win->kh; ky++, dst += run) {
      const int32_t iy = at.oy * win->sh - win->pad_top + ky;
      if (iy < 0 || iy >= win->h) {
        for (size_t i = 0; i < run; i++) dst[i] = 0.0f;
        continue;
      }
      const float *row = image + (size_t)iy * win->w * c;
      if (inside_x) {
        const float *src = row + (size_t)ix0 * c;
        for (size_t i = 0; i < run; i++) dst[i] = src[i];
        continue;
      }
      for (int32_t kx = 0; kx < win->kw; kx++) {
        const int32_t ix = ix0 + kx;
        float *d = dst + (size_t)kx * c;
        if (ix < 0 || ix >= win->w) {
          for (size_t i = 0; i < c; i++) d[i] = 0.0f;
        } else {
          for (size_t i = 0; i < c; i++) d[i] = row[(size_t)ix * c + i];
        }
      }
    }
  }
}

/* The adjoint of im2col: adds column rows [r0, r1) back into the input positions they came
   from (padding positions are dropped). */
static void col2im_add(const conv_geom *geo, const float *col, int64_t r0, int64_t r1, float *dx) {
  const q8t_window_geom *win = &geo->win;
  const size_t c = (size_t)win->c;
  position at = position_of(geo, r0);
  for (int64_t r = r0; r < r1; r++, advance(geo, &at)) {
    float *image = dx + (size_t)at.image * win->h * win->w * c;
    const float *src = col + (size_t)(r - r0) * geo->k;
    for (int32_t ky = 0; ky < win->kh; ky++, src += (size_t)win->kw * c) {
      const int32_t iy = at.oy * win->sh - win->pad_top + ky;
      if (iy < 0 || iy >= win->h) continue;
      for (int32_t kx = 0; kx < win->kw; kx++) {
        const int32_t ix = at.ox * win->sw - win->pad_left + kx;
        if (ix < 0 || ix >= win->w) continue;
        float *d = image + ((size_t)iy * win->w + ix) * c;
        const float *s = src + (size_t)kx * c;
        for (size_t i = 0; i < c; i++) d[i] += s[i];
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
  q8t_split(geo->win.batch, t, nt, &n0, &n1);
  for (int64_t r0 = n0 * geo->positions; r0 < n1 * geo->positions; r0 += geo->chunk) {
    const int64_t r1 =
        r0 + geo->chunk < n1 * geo->positions ? r0 + geo->chunk : n1 * geo->positions;
    const int32_t rows = (int32_t)(r1 - r0);
    float *out = y + (size_t)r0 * geo->win.o;
    if (bias != NULL) q8t_broadcast_rows(out, (size_t)rows, (size_t)geo->win.o, bias->data);
    const float *a = x + (size_t)r0 * geo->win.c;
    if (!geo->pointwise) {
      im2col(geo, x, r0, r1, scratch + c->lay.col);
      a = scratch + c->lay.col;
    }
    q8t_sgemm(g->options.gemm, false, true, rows, geo->win.o, geo->k, 1.0f, a, geo->k, w, geo->k,
              bias != NULL ? 1.0f : 0.0f, out, geo->win.o, workspace);
    q8t_activate_span(c->node->attrs.activation, out, (size_t)rows * geo->win.o);
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
  q8t_split(geo->win.batch, t, nt, &n0, &n1);
  memset(db, 0, (size_t)geo->win.o * sizeof *db);
  if (n0 == n1) memset(dw, 0, (size_t)geo->win.o * geo->k * sizeof *dw);
  const size_t image = (size_t)geo->win.h * geo->win.w * geo->win.c;
  if (dx != NULL && !geo->pointwise && !node->accumulate[Q8T_IN_X]) {
    memset(dx + (size_t)n0 * image, 0, (size_t)(n1 - n0) * image * sizeof *dx);
  }
  for (int64_t r0 = n0 * geo->positions; r0 < n1 * geo->positions; r0 += geo->chunk) {
    const int64_t r1 =
        r0 + geo->chunk < n1 * geo->positions ? r0 + geo->chunk : n1 * geo->positions;
    const int32_t rows = (int32_t)(r1 - r0);
    float *dy = yt->grad + (size_t)r0 * geo->win.o;
    q8t_activation_grad_span(node->attrs.activation, yt->data + (size_t)r0 * geo->win.o, dy,
                             (size_t)rows * geo->win.o);
    const float *a = xt->data + (size_t)r0 * geo->win.c;
    if (!geo->pointwise) {
      im2col(geo, xt->data, r0, r1, col);
      a = col;
    }
    const bool first = r0 == n0 * geo->positions;
    /* dW += dY^T * columns */
    q8t_sgemm(g->options.gemm, true, false, geo->win.o, geo->k, rows, 1.0f, dy, geo->win.o, a,
              geo->k, first ? 0.0f : 1.0f, dw, geo->k, workspace);
    if (has_bias) {
      for (int32_t i = 0; i < rows; i++) {
        const float *row = dy + (size_t)i * geo->win.o;
        for (int32_t o = 0; o < geo->win.o; o++) db[o] += row[o];
      }
    }
    if (dx == NULL) continue;
    /* dColumns = dY * W, then back to the input positions. */
    if (geo->pointwise) {
      q8t_sgemm(g->options.gemm, false, false, rows, geo->k, geo->win.o, 1.0f, dy, geo->win.o, w,
                geo->k, node->accumulate[Q8T_IN_X] ? 1.0f : 0.0f, dx + (size_t)r0 * geo->win.c,
                geo->win.c, workspace);
    } else {
      q8t_sgemm(g->options.gemm, false, false, rows, geo->k, geo->win.o, 1.0f, dy, geo->win.o, w,
                geo->k, 0.0f, col, geo->k, workspace);
      col2im_add(geo, col, r0, r1, dx);
    }
  }
}

static void conv_backward(q8t_graph *g, q8t_node *node) {
  conv_ctx c = {g, node, geometry(g, node), {0}};
  c.lay = layout(g, &c.geo);
  q8t_parallel(g, conv_backward_task, &c);
  q8t_reduce_partials(g, q8t_input_tensor(g, node, Q8T_IN_WEIGHTS)->grad,
                      (size_t)c.geo.win.o * c.geo.k, c.lay.dw, node->accumulate[Q8T_IN_WEIGHTS]);
  const q8t_tensor *bias = q8t_input_tensor(g, node, Q8T_IN_BIAS);
  if (bias != NULL) {
    q8t_reduce_partials(g, bias->grad, (size_t)c.geo.win.o, c.lay.db,
                        node->accumulate[Q8T_IN_BIAS]);
  }
}

const q8t_op_impl Q8T_ISA_NAME(q8t_conv_impl) = {"conv", conv_forward, conv_backward, conv_scratch};
