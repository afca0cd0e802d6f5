/* Convolution, forward and backward: im2col + matrix product (a 1x1 stride-1 convolution
   multiplies the input rows directly). Each thread takes whole images and walks them in
   chunks of output rows small enough for the column buffer to stay near the core; weight and
   bias gradients are per-thread partial sums reduced in thread order. */
#include <string.h>

#include "train/gemm-tiles.h"
#include "train/ops.h"
#include "train/winograd.h"

/* Column-buffer floats per chunk. OpenBLAS: 256 Ki floats (1 MiB), large enough that its
   packing of the weights is amortised over many rows. The tiles do not pack: 64 Ki floats
   (256 KiB) keep the chunk im2col just wrote in L2 while the product reads it. */
enum { COL_CHUNK_FLOATS = 1 << 18, COL_CHUNK_FLOATS_TILES = 1 << 16 };

typedef struct conv_geom {
  q8t_window_geom win;
  int32_t k;         /* kh * kw * c: one im2col row, one weight row */
  int32_t positions; /* oh * ow: output rows per image */
  int32_t chunk;     /* output rows per chunk */
  bool pointwise;    /* 1x1, stride 1: input rows are the im2col rows */
  /* Products through the tiles (gemm-tiles.h) instead of q8t_sgemm (their columns must be a
     multiple of 8): the forward (o columns), the input's gradient (k columns), the weights'
     gradient (k columns) only where OpenBLAS is slower (few output channels or a short
     im2col row). */
  bool tiles, tiles_data, tiles_weights;
  /* With im2col rows too short for the tiles' columns (k not a multiple of 8: a first layer's
     few channels), the weights' gradient is made transposed ([k, o], o columns) by the tiles
     and transposed back once per thread. */
  bool weights_transposed;
  /* With the tiles and kernel rows of a multiple of 8 floats (kw * c), the weights' gradient
     reads the columns as windows of the zero-padded image, image by image: no im2col. */
  bool weights_windows;
  /* Stride 1 with the tiles: the input's gradient is the convolution of the zero-padded output
     gradient (dpad_h x dpad_w x o) with the flipped weights, through windows, instead of a
     column gradient added back by col2im. */
  bool data_windows;
  int32_t dpad_h, dpad_w;
  /* With the tiles, the forward reads each window straight from a zero-padded copy of the
     image (pad_h x pad_w x c) instead of an im2col chunk. */
  int32_t pad_h, pad_w;
  /* Winograd's F(2x2, 3x3) (q8t_conv_uses_winograd) for the forward, the input's gradient and
     the weights' gradient. Its conditions imply data_windows and weights_windows, whose
     buffers it leaves unused. */
  bool winograd;
  q8t_winograd wino, wino_data;
} conv_geom;

/* Per-thread scratch, offsets in floats: partial weight gradient [o, k], partial bias
   gradient, the weights transposed [k, o] for the tiles' forward, padded image copies, column
   chunk, Winograd's transformed weights and image scratch (the larger of the forward's and
   the input gradient's), portable GEMM workspace. */
typedef struct conv_layout {
  size_t dw, db, wt, padded, dpadded, col, wino_u, wino, workspace, total;
} conv_layout;

static conv_geom geometry(const q8t_graph *g, const q8t_node *node) {
  conv_geom geo = {.win = q8t_window_geometry(g, node)};
  const q8t_window_geom *w = &geo.win;
  geo.k = w->kh * w->kw * w->c;
  geo.positions = w->oh * w->ow;
  geo.pointwise = w->kh == 1 && w->kw == 1 && w->sh == 1 && w->sw == 1;
#if defined(Q8T_COMPILING_AVX2)
  /* The portable twin of the tiles is for tests: the baseline build keeps q8t_sgemm. */
  geo.tiles = g->options.gemm == Q8T_GEMM_AUTO && q8t_sgemm_tiles_fits(w->o);
  geo.tiles_data = geo.tiles && q8t_sgemm_tiles_fits(geo.k);
  geo.tiles_weights = geo.tiles_data && (w->o <= 32 || geo.k < 64 || !q8t_gemm_have_blas());
  geo.weights_transposed = geo.tiles && !geo.tiles_data;
  geo.weights_windows = geo.tiles && !geo.pointwise && (w->kw * w->c) % 8 == 0;
  geo.data_windows = geo.tiles_data && !geo.pointwise && w->sh == 1 && w->sw == 1 &&
                     q8t_sgemm_tiles_fits(w->c);
  geo.winograd = geo.tiles && q8t_conv_uses_winograd(g, node);
  geo.wino = q8t_winograd_plan(w->h, w->w, w->c, w->oh, w->ow, w->o, w->pad_top, w->pad_left);
  /* The input's gradient: the output gradient, framed by kh - 1 - pad_top rows above (the
     flipped kernel's reach), convolved with the flipped weights. */
  geo.wino_data = q8t_winograd_plan(w->oh, w->ow, w->o, w->h, w->w, w->c,
                                    w->kh - 1 - w->pad_top, w->kw - 1 - w->pad_left);
#else
  (void)g;
#endif
  geo.dpad_h = w->h + w->kh - 1;
  geo.dpad_w = w->w + w->kw - 1;
  geo.pad_h = (w->oh - 1) * w->sh + w->kh;
  geo.pad_w = (w->ow - 1) * w->sw + w->kw;
  geo.chunk = (geo.tiles ? COL_CHUNK_FLOATS_TILES : COL_CHUNK_FLOATS) / geo.k;
  if (geo.chunk < 16) geo.chunk = 16;
  return geo;
}

static conv_layout layout(const q8t_graph *g, const conv_geom *geo) {
  conv_layout l;
  l.dw = 0;
  l.db = q8t_align_floats((size_t)geo->win.o * geo->k);
  l.wt = l.db + q8t_align_floats((size_t)geo->win.o);
  l.padded = l.wt + (geo->tiles ? q8t_align_floats((size_t)geo->win.o * geo->k) : 0);
  l.dpadded = l.padded + (geo->tiles && !geo->pointwise
                              ? q8t_align_floats((size_t)geo->pad_h * geo->pad_w * geo->win.c)
                              : 0);
  l.col = l.dpadded +
          (geo->data_windows ? q8t_align_floats((size_t)geo->dpad_h * geo->dpad_w * geo->win.o)
                             : 0);
  l.wino_u = l.col + (geo->pointwise ? 0 : q8t_align_floats((size_t)geo->chunk * geo->k));
  l.wino = l.wino_u + (geo->winograd ? q8t_align_floats(q8t_winograd_weight_floats(&geo->wino)) : 0);
  size_t wino_floats = 0;
  if (geo->winograd) {
    const size_t forward = q8t_winograd_scratch_floats(&geo->wino);
    const size_t data = q8t_winograd_scratch_floats(&geo->wino_data);
    wino_floats = forward > data ? forward : data;
  }
  l.workspace = l.wino + q8t_align_floats(wino_floats);
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

/* This compilation's tiles (the AVX2 layers use the AVX2 kernel). */
#define q8t_sgemm_tiles_here Q8T_ISA_NAME(q8t_sgemm_tiles)

/* wt[k, o] = w[o, k]. */
static void transpose(const float *w, int32_t o, int32_t k, float *wt) {
  for (int32_t i = 0; i < o; i++) {
    for (int32_t j = 0; j < k; j++) wt[(size_t)j * o + i] = w[(size_t)i * k + j];
  }
}

/* out[r, :] = act(out[r, :] + bias) (bias NULL: act only), in one pass. Adds as q8t_sgemm's
   beta = 1 over the broadcast bias does: bias + sum rounds the same as sum + bias. */
static void add_bias_activate(q8_activation act, const float *bias, float *out, int32_t rows,
                              int32_t o) {
  if (bias == NULL) {
    q8t_activate_span(act, out, (size_t)rows * o);
    return;
  }
  for (int32_t r = 0; r < rows; r++, out += o) {
    for (int32_t i = 0; i < o; i++) out[i] = q8t_activate(act, out[i] + bias[i]);
  }
}

/* Image n of x into the interior of padded (its borders stay zero: written once). */
static void pad_image(const conv_geom *geo, const float *x, int64_t n, float *padded) {
  const q8t_window_geom *win = &geo->win;
  const size_t c = (size_t)win->c;
  const int32_t cols = win->w < geo->pad_w - win->pad_left ? win->w : geo->pad_w - win->pad_left;
  const float *image = x + (size_t)n * win->h * win->w * c;
  for (int32_t iy = 0; iy < win->h && iy + win->pad_top < geo->pad_h; iy++) {
    memcpy(padded + ((size_t)(iy + win->pad_top) * geo->pad_w + win->pad_left) * c,
           image + (size_t)iy * win->w * c, (size_t)cols * c * sizeof *padded);
  }
}

/* Clears the padded image copy (its border stays zero) and returns the layer's windows over
   it. */
static q8t_windows clear_padded(const conv_geom *geo, float *padded) {
  const q8t_window_geom *win = &geo->win;
  const ptrdiff_t c = win->c;
  memset(padded, 0, (size_t)geo->pad_h * geo->pad_w * c * sizeof *padded);
  return (q8t_windows){padded,      win->ow, win->sh * geo->pad_w * c,
                       win->sw * c, win->kh, win->kw * win->c,
                       geo->pad_w * c};
}

/* The forward of images [n0, n1) through the windows of a padded copy of each. */
static void forward_windows(const conv_geom *geo, const float *x, const float *wt,
                            const float *bias, q8_activation act, int64_t n0, int64_t n1,
                            float *padded, float *y) {
  const q8t_window_geom *win = &geo->win;
  const q8t_windows windows = clear_padded(geo, padded);
  for (int64_t n = n0; n < n1; n++) {
    pad_image(geo, x, n, padded);
    float *out = y + (size_t)n * geo->positions * win->o;
    Q8T_ISA_NAME(q8t_sgemm_windows)(0, geo->positions, win->o, &windows, wt, win->o, 0.0f, out,
                                    win->o);
    add_bias_activate(act, bias, out, geo->positions, win->o);
  }
}

/* The forward of images [n0, n1) through Winograd's F(2x2, 3x3). */
static void forward_winograd(const conv_geom *geo, const float *x, const float *w,
                             const float *bias, q8_activation act, int64_t n0, int64_t n1,
                             float *u, float *scratch, float *y) {
  const q8t_window_geom *win = &geo->win;
  if (n0 == n1) return;
  q8t_winograd_weights(w, win->o, win->c, false, u);
  q8t_winograd_clear(&geo->wino, scratch);
  for (int64_t n = n0; n < n1; n++) {
    float *out = y + (size_t)n * geo->positions * win->o;
    Q8T_ISA_NAME(q8t_winograd_image)(&geo->wino, x + (size_t)n * win->h * win->w * win->c, u,
                                     false, out, scratch);
    add_bias_activate(act, bias, out, geo->positions, win->o);
  }
}

/* dx of images [n0, n1) through Winograd's F(2x2, 3x3): the output gradient convolved with
   the flipped weights (as backward_data_windows), written, or added where accumulate. */
static void backward_data_winograd(const conv_geom *geo, const float *dy, const float *w,
                                   bool accumulate, int64_t n0, int64_t n1, float *u,
                                   float *scratch, float *dx) {
  const q8t_window_geom *win = &geo->win;
  if (n0 == n1) return;
  q8t_winograd_weights(w, win->o, win->c, true, u);
  q8t_winograd_clear(&geo->wino_data, scratch);
  const size_t image = (size_t)win->h * win->w * win->c;
  for (int64_t n = n0; n < n1; n++) {
    Q8T_ISA_NAME(q8t_winograd_image)(&geo->wino_data, dy + (size_t)n * geo->positions * win->o,
                                     u, accumulate, dx + (size_t)n * image, scratch);
  }
}

/* dW (this thread's partial, written) = the weight gradient of images [n0, n1) through
   Winograd's F(2x2, 3x3): summed in the transformed domain (du), transformed back once. */
static void backward_weights_winograd(const conv_geom *geo, const float *x, const float *dy,
                                      int64_t n0, int64_t n1, float *du, float *scratch,
                                      float *dw) {
  const q8t_window_geom *win = &geo->win;
  if (n0 == n1) return;
  memset(du, 0, q8t_winograd_weight_floats(&geo->wino) * sizeof *du);
  q8t_winograd_clear(&geo->wino, scratch);
  for (int64_t n = n0; n < n1; n++) {
    Q8T_ISA_NAME(q8t_winograd_weight_grad_image)(&geo->wino, x + (size_t)n * win->h * win->w * win->c,
                                                 dy + (size_t)n * geo->positions * win->o, du,
                                                 scratch);
  }
  q8t_winograd_weight_grad_finish(du, win->o, win->c, dw);
}

/* wf[(ky, kx, o), c] = w[o, kh - 1 - ky, kw - 1 - kx, c]: the weights of the input gradient's
   convolution (rows in window order over the output gradient, c columns). */
static void flip_weights(const q8t_window_geom *win, const float *w, float *wf) {
  const size_t c = (size_t)win->c;
  for (int32_t ky = 0; ky < win->kh; ky++) {
    for (int32_t kx = 0; kx < win->kw; kx++) {
      for (int32_t o = 0; o < win->o; o++) {
        const size_t from =
            (((size_t)o * win->kh + (win->kh - 1 - ky)) * win->kw + (win->kw - 1 - kx)) * c;
        memcpy(wf + (((size_t)ky * win->kw + kx) * win->o + o) * c, w + from, c * sizeof *wf);
      }
    }
  }
}

/* dx of images [n0, n1) at stride 1: dx[iy, ix] = sum over (ky, kx) of dy[iy + pad_top - ky,
   ix + pad_left - kx] * w[ky, kx], i.e. windows of dy placed at (kh - 1 - pad_top, kw - 1 -
   pad_left) in a zero frame, times the flipped weights. Written, or added where accumulate. */
static void backward_data_windows(const conv_geom *geo, const float *dy, const float *w,
                                  bool accumulate, int64_t n0, int64_t n1, float *wf,
                                  float *dpadded, float *dx) {
  const q8t_window_geom *win = &geo->win;
  if (n0 == n1) return;
  flip_weights(win, w, wf);
  const size_t o = (size_t)win->o;
  memset(dpadded, 0, (size_t)geo->dpad_h * geo->dpad_w * o * sizeof *dpadded);
  const int32_t top = win->kh - 1 - win->pad_top, left = win->kw - 1 - win->pad_left;
  const q8t_windows windows = {dpadded,
                               win->w,
                               (ptrdiff_t)geo->dpad_w * win->o,
                               win->o,
                               win->kh,
                               win->kw * win->o,
                               (ptrdiff_t)geo->dpad_w * win->o};
  const size_t image = (size_t)win->h * win->w * win->c;
  for (int64_t n = n0; n < n1; n++) {
    const float *dy_image = dy + (size_t)n * geo->positions * o;
    for (int32_t oy = 0; oy < win->oh; oy++) {
      memcpy(dpadded + ((size_t)(oy + top) * geo->dpad_w + left) * o,
             dy_image + (size_t)oy * win->ow * o, (size_t)win->ow * o * sizeof *dpadded);
    }
    Q8T_ISA_NAME(q8t_sgemm_windows)(0, win->h * win->w, win->c, &windows, wf, win->c,
                                    accumulate ? 1.0f : 0.0f, dx + (size_t)n * image, win->c);
  }
}

/* dW = sum over images [n0, n1) of dY^T * (the image's columns, as windows of its padded
   copy). */
static void backward_weights_windows(const conv_geom *geo, const float *x, const float *dy,
                                     int64_t n0, int64_t n1, float *padded, float *dw) {
  const q8t_window_geom *win = &geo->win;
  const q8t_windows windows = clear_padded(geo, padded);
  for (int64_t n = n0; n < n1; n++) {
    pad_image(geo, x, n, padded);
    const q8t_strided dy_t = {dy + (size_t)n * geo->positions * win->o, 1, win->o};
    Q8T_ISA_NAME(q8t_sgemm_windows_b)(win->o, geo->positions, dy_t, 0, &windows,
                                      n == n0 ? 0.0f : 1.0f, dw, geo->k);
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
  if (geo->winograd) {
    forward_winograd(geo, x, w, bias != NULL ? bias->data : NULL, c->node->attrs.activation, n0,
                     n1, scratch + c->lay.wino_u, scratch + c->lay.wino, y);
    return;
  }
  float *wt = scratch + c->lay.wt;
  if (geo->tiles && n0 < n1) transpose(w, geo->win.o, geo->k, wt);
  if (geo->tiles && !geo->pointwise) {
    forward_windows(geo, x, wt, bias != NULL ? bias->data : NULL, c->node->attrs.activation, n0,
                    n1, scratch + c->lay.padded, y);
    return;
  }
  for (int64_t r0 = n0 * geo->positions; r0 < n1 * geo->positions; r0 += geo->chunk) {
    const int64_t r1 =
        r0 + geo->chunk < n1 * geo->positions ? r0 + geo->chunk : n1 * geo->positions;
    const int32_t rows = (int32_t)(r1 - r0);
    float *out = y + (size_t)r0 * geo->win.o;
    const float *a = x + (size_t)r0 * geo->win.c;
    if (!geo->pointwise) {
      im2col(geo, x, r0, r1, scratch + c->lay.col);
      a = scratch + c->lay.col;
    }
    if (geo->tiles) {
      q8t_sgemm_tiles_here(rows, geo->win.o, geo->k, (q8t_strided){a, geo->k, 1}, wt,
                           geo->win.o, 0.0f, out, geo->win.o);
      add_bias_activate(c->node->attrs.activation, bias != NULL ? bias->data : NULL, out, rows,
                        geo->win.o);
      continue;
    }
    if (bias != NULL) q8t_broadcast_rows(out, (size_t)rows, (size_t)geo->win.o, bias->data);
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
  if (dx != NULL && !geo->pointwise && !geo->data_windows && !node->accumulate[Q8T_IN_X]) {
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
    if (!geo->pointwise && !geo->weights_windows) {
      im2col(geo, xt->data, r0, r1, col);
      a = col;
    }
    const bool first = r0 == n0 * geo->positions;
    /* dW += dY^T * columns */
    if (geo->weights_windows) {
      /* after the loop, image by image */
    } else if (geo->weights_transposed) {
      q8t_sgemm_tiles_here(geo->k, geo->win.o, rows, (q8t_strided){a, 1, geo->k}, dy, geo->win.o,
                           first ? 0.0f : 1.0f, scratch + c->lay.wt, geo->win.o);
    } else if (geo->tiles_weights) {
      q8t_sgemm_tiles_here(geo->win.o, geo->k, rows, (q8t_strided){dy, 1, geo->win.o}, a, geo->k,
                           first ? 0.0f : 1.0f, dw, geo->k);
    } else {
      q8t_sgemm(g->options.gemm, true, false, geo->win.o, geo->k, rows, 1.0f, dy, geo->win.o, a,
                geo->k, first ? 0.0f : 1.0f, dw, geo->k, workspace);
    }
    if (has_bias) {
      for (int32_t i = 0; i < rows; i++) {
        const float *row = dy + (size_t)i * geo->win.o;
        for (int32_t o = 0; o < geo->win.o; o++) db[o] += row[o];
      }
    }
    if (dx == NULL || geo->data_windows) continue;
    /* dColumns = dY * W, then back to the input positions. */
    const q8t_strided dy_rows = {dy, geo->win.o, 1};
    if (geo->pointwise && geo->tiles_data) {
      q8t_sgemm_tiles_here(rows, geo->k, geo->win.o, dy_rows, w, geo->k,
                           node->accumulate[Q8T_IN_X] ? 1.0f : 0.0f, dx + (size_t)r0 * geo->win.c,
                           geo->win.c);
    } else if (geo->pointwise) {
      q8t_sgemm(g->options.gemm, false, false, rows, geo->k, geo->win.o, 1.0f, dy, geo->win.o, w,
                geo->k, node->accumulate[Q8T_IN_X] ? 1.0f : 0.0f, dx + (size_t)r0 * geo->win.c,
                geo->win.c, workspace);
    } else if (geo->tiles_data) {
      q8t_sgemm_tiles_here(rows, geo->k, geo->win.o, dy_rows, w, geo->k, 0.0f, col, geo->k);
      col2im_add(geo, col, r0, r1, dx);
    } else {
      q8t_sgemm(g->options.gemm, false, false, rows, geo->k, geo->win.o, 1.0f, dy, geo->win.o, w,
                geo->k, 0.0f, col, geo->k, workspace);
      col2im_add(geo, col, r0, r1, dx);
    }
  }
  if (geo->winograd) {
    backward_weights_winograd(geo, xt->data, yt->grad, n0, n1, scratch + c->lay.wino_u,
                              scratch + c->lay.wino, dw);
  } else if (geo->weights_windows) {
    backward_weights_windows(geo, xt->data, yt->grad, n0, n1, scratch + c->lay.padded, dw);
  }
  if (geo->weights_transposed && n0 < n1) {
    transpose(scratch + c->lay.wt, geo->k, geo->win.o, dw);
  }
  if (dx != NULL && geo->winograd) {
    backward_data_winograd(geo, yt->grad, w, node->accumulate[Q8T_IN_X], n0, n1,
                           scratch + c->lay.wino_u, scratch + c->lay.wino, dx);
  } else if (dx != NULL && geo->data_windows) {
    backward_data_windows(geo, yt->grad, w, node->accumulate[Q8T_IN_X], n0, n1,
                          scratch + c->lay.wt, scratch + c->lay.dpadded, dx);
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
