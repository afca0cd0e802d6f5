/* Winograd's F(2x2, 3x3) (src/train/winograd.h), both compilations of its image kernel:
   - against a direct convolution in double precision, within 2e-6 of the sum of |terms| (plus
     |y| before an accumulating call) per output, over image sizes odd and even down to 1x1,
     SAME and VALID padding and the input gradient's frames (pads 0, 1 and 2), input channels
     that are and are not a multiple of the vector width, output channels of one 8-wide and
     several 16-wide column tiles, band splits (a 28x28 image takes several bands), the
     flipped weights of the input gradient, writing over NaN (every output written) and adding;
     no float past the output written;
   - the weight gradient (q8t_winograd_weight_grad_image over two images, then
     q8t_winograd_weight_grad_finish) against the double reference over the same shapes and
     pads, within 2e-6 of the sum of |terms| over the kernel's nine taps (the transformed
     domain mixes them), nothing past dw written;
   - the layer: a 3x3 stride-1 convolution through Winograd and through the direct product
     (q8t_graph_options.direct_conv) agree within the same bound, forward and all gradients;
     through Winograd the bits do not depend on the thread count;
   - QAT: a folded batch norm's layer takes Winograd before the freeze (its output differs from
     the direct product's, within the bound) and the direct product from the freeze on (the
     same bits), where the integer requantization reads it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/build.h"
#include "train/gemm-tiles.h"
#include "train/graph.h"
#include "train/ops.h"
#include "train/qat.h"
#include "train/winograd.h"
#include "util/test-util.h"

enum { GUARD = 16 };

static float *random_floats(t_rng *rng, size_t n) {
  float *v = malloc((n + GUARD) * sizeof *v);
  for (size_t i = 0; i < n + GUARD; i++) v[i] = (float)(t_rng_unit(rng) * 2.0 - 1.0);
  return v;
}

/* One case: input h x w x cin, output oh x ow x cout, pads; weights [o][3][3][c] with o, c
   the layer's (flipped: cin = o, cout = c). */
typedef struct wcase {
  int32_t h, w, cin, oh, ow, cout, pad_top, pad_left;
  bool flipped, accumulate;
} wcase;

/* The kernel tap (ky, kx) between input channel i and output channel j of the case's
   convolution, read from the layer's weights. */
static double tap(const wcase *c, const float *w, int ky, int kx, int32_t i, int32_t j) {
  if (!c->flipped) return w[(((size_t)j * 3 + ky) * 3 + kx) * c->cin + i];
  /* Input gradient: layer output channel i, layer input channel j, kernel turned. */
  return w[(((size_t)i * 3 + (2 - ky)) * 3 + (2 - kx)) * c->cout + j];
}

/* Output (oy, ox, j) in double and the sum of its terms' magnitudes. */
static double reference(const wcase *c, const float *x, const float *w, int32_t oy, int32_t ox,
                        int32_t j, double *magnitude) {
  double sum = 0.0, mag = 0.0;
  for (int ky = 0; ky < 3; ky++) {
    for (int kx = 0; kx < 3; kx++) {
      const int32_t iy = oy - c->pad_top + ky, ix = ox - c->pad_left + kx;
      if (iy < 0 || iy >= c->h || ix < 0 || ix >= c->w) continue;
      for (int32_t i = 0; i < c->cin; i++) {
        const double t = (double)x[((size_t)iy * c->w + ix) * c->cin + i] * tap(c, w, ky, kx, i, j);
        sum += t;
        mag += fabs(t);
      }
    }
  }
  *magnitude = mag;
  return sum;
}

static int check_case(const q8t_tiles_kernels *k, const char *compilation, const wcase *c,
                      t_rng *rng) {
  const int32_t o = c->flipped ? c->cin : c->cout, ch = c->flipped ? c->cout : c->cin;
  const size_t nx = (size_t)c->h * c->w * c->cin, ny = (size_t)c->oh * c->ow * c->cout;
  float *x = random_floats(rng, nx), *w = random_floats(rng, (size_t)o * 9 * ch);
  float *y0 = random_floats(rng, ny), *y = malloc((ny + GUARD) * sizeof *y);
  memcpy(y, y0, (ny + GUARD) * sizeof *y);
  if (!c->accumulate) {
    for (size_t i = 0; i < ny; i++) y[i] = NAN;
  }
  const q8t_winograd p =
      q8t_winograd_plan(c->h, c->w, c->cin, c->oh, c->ow, c->cout, c->pad_top, c->pad_left);
  float *u = malloc(q8t_winograd_weight_floats(&p) * sizeof *u);
  float *scratch = malloc(q8t_winograd_scratch_floats(&p) * sizeof *scratch);
  /* A dirty scratch: the clear must leave the frame zero. */
  for (size_t i = 0; i < q8t_winograd_scratch_floats(&p); i++) scratch[i] = NAN;
  q8t_winograd_weights(w, o, ch, c->flipped, u);
  q8t_winograd_clear(&p, scratch);
  k->winograd_image(&p, x, u, c->accumulate, y, scratch);
  int failures = 0;
  for (int32_t oy = 0; oy < c->oh; oy++) {
    for (int32_t ox = 0; ox < c->ow; ox++) {
      for (int32_t j = 0; j < c->cout; j++) {
        const size_t at = ((size_t)oy * c->ow + ox) * c->cout + j;
        double mag;
        double want = reference(c, x, w, oy, ox, j, &mag);
        if (c->accumulate) {
          want += y0[at];
          mag += fabs(y0[at]);
        }
        if (!(fabs(y[at] - want) <= 2e-6 * mag + 1e-30) && failures++ < 3) {
          T_CHECK(0,
                  "%s %dx%dx%d -> %dx%dx%d pads %d,%d%s%s: y[%d][%d][%d] = %.9g, want %.9g",
                  compilation, c->h, c->w, c->cin, c->oh, c->ow, c->cout, c->pad_top,
                  c->pad_left, c->flipped ? " flipped" : "", c->accumulate ? " accumulate" : "",
                  oy, ox, j, y[at], want);
        }
      }
    }
  }
  for (size_t i = ny; i < ny + GUARD; i++) {
    if (memcmp(&y[i], &y0[i], sizeof *y) != 0 && failures++ < 3) {
      T_CHECK(0, "%s: float %zu past the output written", compilation, i - ny);
    }
  }
  T_CHECK(failures == 0, "%s: %d outputs wrong", compilation, failures);
  free(x);
  free(w);
  free(y0);
  free(y);
  free(u);
  free(scratch);
  return failures;
}

/* The weight gradient of two images (summed into one du) against the double reference:
   dw[o][ky][kx][c] = sum over images and outputs of dy[oy][ox][o] * x[oy - pad_top + ky]
   [ox - pad_left + kx][c], within 2e-6 of the sum of |terms|. */
static int check_weight_grad(const q8t_tiles_kernels *k, const char *compilation,
                             const wcase *c, t_rng *rng) {
  const size_t nx = (size_t)c->h * c->w * c->cin, ny = (size_t)c->oh * c->ow * c->cout;
  float *x = random_floats(rng, 2 * nx), *dy = random_floats(rng, 2 * ny);
  const q8t_winograd p =
      q8t_winograd_plan(c->h, c->w, c->cin, c->oh, c->ow, c->cout, c->pad_top, c->pad_left);
  const size_t nu = q8t_winograd_weight_floats(&p), nw = (size_t)c->cout * 9 * c->cin;
  float *du = calloc(nu, sizeof *du), *dw = malloc((nw + GUARD) * sizeof *dw);
  float *scratch = malloc(q8t_winograd_scratch_floats(&p) * sizeof *scratch);
  for (size_t i = 0; i < q8t_winograd_scratch_floats(&p); i++) scratch[i] = NAN;
  for (size_t i = 0; i < nw + GUARD; i++) dw[i] = NAN;
  q8t_winograd_clear(&p, scratch);
  for (int n = 0; n < 2; n++) k->winograd_weight_grad_image(&p, x + n * nx, dy + n * ny, du, scratch);
  q8t_winograd_weight_grad_finish(du, c->cout, c->cin, dw);
  int failures = 0;
  for (int32_t o = 0; o < c->cout; o++) {
    for (int32_t i = 0; i < c->cin; i++) {
      /* The transformed domain mixes a kernel's nine taps: each one's rounding is bounded by
         the magnitude of all nine sums, not of its own alone (an edge tap has few terms). */
      double want[9] = {0}, mag = 0.0;
      for (int tap = 0; tap < 9; tap++) {
        const int ky = tap / 3, kx = tap % 3;
        for (int n = 0; n < 2; n++) {
          for (int32_t oy = 0; oy < c->oh; oy++) {
            for (int32_t ox = 0; ox < c->ow; ox++) {
              const int32_t iy = oy - c->pad_top + ky, ix = ox - c->pad_left + kx;
              if (iy < 0 || iy >= c->h || ix < 0 || ix >= c->w) continue;
              const double t = (double)dy[n * ny + ((size_t)oy * c->ow + ox) * c->cout + o] *
                               x[n * nx + ((size_t)iy * c->w + ix) * c->cin + i];
              want[tap] += t;
              mag += fabs(t);
            }
          }
        }
      }
      for (int tap = 0; tap < 9; tap++) {
        const float got = dw[((size_t)o * 9 + (size_t)tap) * c->cin + i];
        if (!(fabs(got - want[tap]) <= 2e-6 * mag + 1e-30) && failures++ < 3) {
          T_CHECK(0, "%s weight gradient %dx%dx%d -> %dx%dx%d pads %d,%d: dw[%d][%d][%d] = %.9g, "
                  "want %.9g", compilation, c->h, c->w, c->cin, c->oh, c->ow, c->cout, c->pad_top,
                  c->pad_left, o, tap, i, got, want[tap]);
        }
      }
    }
  }
  for (size_t i = nw; i < nw + GUARD; i++) {
    if (!isnan(dw[i]) && failures++ < 3) T_CHECK(0, "%s: dw float %zu past the end written", compilation, i - nw);
  }
  T_CHECK(failures == 0, "%s weight gradient: %d wrong", compilation, failures);
  free(x);
  free(dy);
  free(du);
  free(dw);
  free(scratch);
  return failures;
}

/* The output size of a 3x3 stride-1 convolution of n with pads (before, after). */
static int32_t out_size(int32_t n, int32_t before, int32_t after) { return n + before + after - 2; }

static void kernel_cases(const q8t_tiles_kernels *k, const char *compilation, t_rng *rng) {
  static const struct {
    int32_t h, w, cin, cout;
  } shapes[] = {{1, 1, 8, 8},   {2, 3, 16, 8},  {5, 6, 8, 16},  {7, 7, 64, 64},
                {6, 9, 3, 24},  {9, 4, 12, 40}, {28, 28, 16, 16}, {14, 13, 32, 32}};
  /* (pad_top, pad_left, pad_bottom, pad_right): SAME, VALID, the input gradient's frames. */
  static const int32_t pads[][4] = {{1, 1, 1, 1}, {0, 0, 0, 0}, {2, 2, 2, 2}, {1, 0, 1, 2}};
  for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
    for (size_t q = 0; q < sizeof pads / sizeof *pads; q++) {
      for (int variant = 0; variant < 4; variant++) {
        wcase c = {shapes[s].h, shapes[s].w, shapes[s].cin, 0, 0, shapes[s].cout,
                   pads[q][0], pads[q][1], variant & 1, (variant & 2) != 0};
        c.oh = out_size(c.h, pads[q][0], pads[q][2]);
        c.ow = out_size(c.w, pads[q][1], pads[q][3]);
        if (c.oh < 1 || c.ow < 1) continue;
        check_case(k, compilation, &c, rng);
        if (variant == 0) check_weight_grad(k, compilation, &c, rng);
      }
    }
  }
}

/* ---- the layer: Winograd against the direct product ---- */

typedef struct layer_run {
  float *y, *dx, *dw, *db;
} layer_run;

static void free_run(layer_run *r) {
  free(r->y);
  free(r->dx);
  free(r->dw);
  free(r->db);
}

static float *copy_of(const float *v, size_t n) {
  float *c = malloc(n * sizeof *c);
  memcpy(c, v, n * sizeof *c);
  return c;
}

/* One forward and backward of x (batch 3 of h x w x c) through a 3x3 stride-1 convolution of
   o filters (SAME or VALID, bias, ReLU), with the same values for every run. */
static layer_run run_layer(bool direct, int32_t threads, int32_t h, int32_t w, int32_t c,
                           int32_t o, q8_padding padding, bool *used_winograd) {
  q8t_graph *g;
  q8_error err;
  const q8t_graph_options opt = {.batch = 3, .threads = threads, .isa = Q8T_ISA_AVX2,
                                 .direct_conv = direct};
  layer_run r = {0};
  if (q8t_graph_init(&opt, &g, &err) != Q8_OK) {
    T_CHECK(0, "graph: %s", err.message);
    return r;
  }
  const int32_t x = q8t_input(g, "x", h, w, c);
  g->tensors[x].grad_wanted = true;
  const q8t_window win = {.kernel_h = 3, .kernel_w = 3, .stride_h = 1, .stride_w = 1,
                          .padding = padding};
  const int32_t y = q8t_conv(g, "conv", x, o, win, true, Q8_ACT_RELU);
  T_CHECK(q8t_graph_allocate(g) == Q8_OK && q8t_graph_init_parameters(g, 7) == Q8_OK,
          "allocate: %s", g->error.message);
  t_rng rng = {0x5eed};
  q8t_tensor *xt = &g->tensors[x], *yt = &g->tensors[y];
  q8t_tensor *bias = &g->tensors[g->nodes[yt->producer].inputs[Q8T_IN_BIAS]];
  for (size_t i = 0; i < q8t_tensor_count(xt); i++) xt->data[i] = (float)t_rng_unit(&rng) - 0.5f;
  for (int32_t i = 0; i < o; i++) bias->data[i] = (float)t_rng_unit(&rng) * 0.2f - 0.1f;
  T_CHECK(q8t_graph_forward(g, true) == Q8_OK, "forward: %s", g->error.message);
  for (size_t i = 0; i < q8t_tensor_count(yt); i++) yt->grad[i] = (float)t_rng_unit(&rng) - 0.5f;
  T_CHECK(q8t_graph_backward(g) == Q8_OK, "backward: %s", g->error.message);
  const q8t_tensor *wt = &g->tensors[g->nodes[yt->producer].inputs[Q8T_IN_WEIGHTS]];
  r.y = copy_of(yt->data, q8t_tensor_count(yt));
  r.dx = copy_of(xt->grad, q8t_tensor_count(xt));
  r.dw = copy_of(wt->grad, q8t_tensor_count(wt));
  r.db = copy_of(bias->grad, (size_t)o);
  *used_winograd = q8t_conv_uses_winograd(g, &g->nodes[yt->producer]);
  q8t_graph_free(g);
  return r;
}

/* got within tol of want, relative to the largest |want| of the tensor. */
static void compare_tensor(const char *what, const float *got, const float *want, size_t n,
                           double tol) {
  double scale = 0.0;
  /* A branch, not fmax: aarch64 GCC 12's vectorizer fails on the fmax reduction (ICE). */
  for (size_t i = 0; i < n; i++) {
    if (fabs(want[i]) > scale) scale = fabs(want[i]);
  }
  int bad = 0;
  for (size_t i = 0; i < n; i++) {
    if (!(fabs(got[i] - want[i]) <= tol * scale) && bad++ < 3) {
      T_CHECK(0, "%s[%zu] = %.9g, want %.9g", what, i, got[i], want[i]);
    }
  }
  T_CHECK(bad == 0, "%s: %d of %zu differ", what, bad, n);
}

static void layer_cases(void) {
  static const struct {
    int32_t h, w, c, o;
    q8_padding padding;
  } cases[] = {{7, 7, 16, 16, Q8_PADDING_SAME},
               {6, 9, 8, 24, Q8_PADDING_VALID},
               {28, 28, 16, 16, Q8_PADDING_SAME}};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    const int32_t h = cases[i].h, w = cases[i].w, c = cases[i].c, o = cases[i].o;
    bool wino_used, direct_used, wino2_used;
    layer_run direct = run_layer(true, 1, h, w, c, o, cases[i].padding, &direct_used);
    layer_run wino = run_layer(false, 1, h, w, c, o, cases[i].padding, &wino_used);
    layer_run wino2 = run_layer(false, 2, h, w, c, o, cases[i].padding, &wino2_used);
    T_CHECK(wino_used && wino2_used && !direct_used,
            "case %zu: Winograd used %d (2 threads %d), direct %d", i, wino_used, wino2_used,
            direct_used);
    const int32_t oh = cases[i].padding == Q8_PADDING_SAME ? h : h - 2;
    const int32_t ow = cases[i].padding == Q8_PADDING_SAME ? w : w - 2;
    const size_t ny = (size_t)3 * oh * ow * o, nx = (size_t)3 * h * w * c;
    compare_tensor("y", wino.y, direct.y, ny, 1e-5);
    compare_tensor("dx", wino.dx, direct.dx, nx, 1e-5);
    compare_tensor("dw", wino.dw, direct.dw, (size_t)o * 9 * c, 1e-5);
    compare_tensor("db", wino.db, direct.db, (size_t)o, 1e-5);
    T_CHECK(memcmp(wino.y, wino2.y, ny * sizeof(float)) == 0 &&
                memcmp(wino.dx, wino2.dx, nx * sizeof(float)) == 0,
            "case %zu: 1 and 2 threads differ", i);
    free_run(&direct);
    free_run(&wino);
    free_run(&wino2);
  }
}

/* The folded batch norm's layer (QAT) at step, in a fresh graph: the output of the folded node
   (before its fake quantization) after one training forward. */
static float *folded_output(bool direct, int64_t step, size_t *count) {
  q8t_graph *g;
  q8_error err;
  const q8t_graph_options opt = {.batch = 2, .threads = 1, .isa = Q8T_ISA_AVX2,
                                 .direct_conv = direct};
  T_CHECK(q8t_graph_init(&opt, &g, &err) == Q8_OK, "graph: %s", err.message);
  const int32_t x = q8t_input(g, "x", 9, 8, 16);
  const q8t_window win = {.kernel_h = 3, .kernel_w = 3, .stride_h = 1, .stride_w = 1,
                          .padding = Q8_PADDING_SAME};
  const int32_t y =
      q8t_batch_norm(g, "conv/bn", q8t_conv(g, "conv", x, 16, win, false, Q8_ACT_NONE),
                     Q8_ACT_RELU6);
  q8t_qat_options qo = q8t_qat_defaults();
  qo.bn_freeze_step = qo.range_freeze_step = 5;
  /* Statistics from the folded layer: no unfolded layer runs, whose Winograd would make the
     outputs differ whatever the folded layer does. */
  qo.bn_statistics = Q8T_BN_STATISTICS_FOLDED;
  T_CHECK(q8t_graph_allocate(g) == Q8_OK && q8t_graph_init_parameters(g, 3) == Q8_OK,
          "allocate: %s", g->error.message);
  T_CHECK(q8t_qat_prepare(g, &qo, &err) == Q8_OK && q8t_qat_set_step(g, step, &err) == Q8_OK,
          "QAT: %s", err.message);
  T_CHECK(g->tensors[y].producer >= 0 &&
              g->nodes[g->tensors[y].producer].op == Q8T_OP_CONV_BN_FOLDED,
          "conv/bn is not a folded batch norm");
  t_rng rng = {0xf01d};
  q8t_tensor *xt = &g->tensors[x];
  for (size_t i = 0; i < q8t_tensor_count(xt); i++) xt->data[i] = (float)t_rng_unit(&rng);
  T_CHECK(q8t_graph_forward(g, true) == Q8_OK, "forward: %s", g->error.message);
  *count = q8t_tensor_count(&g->tensors[y]);
  float *out = copy_of(g->tensors[y].data, *count);
  q8t_graph_free(g);
  return out;
}

/* Before the freeze the folded layer's fake-quantized weights take Winograd (its output
   differs from the direct product's in the last bits somewhere); from the freeze on the
   integer requantization reads that output, and it is the direct product's to the bit. */
static void folded_cases(void) {
  for (int64_t step = 0; step <= 5; step += 5) {
    size_t n, n_direct;
    float *wino = folded_output(false, step, &n), *direct = folded_output(true, step, &n_direct);
    const bool same = n == n_direct && memcmp(wino, direct, n * sizeof *wino) == 0;
    if (step < 5) {
      T_CHECK(!same, "before the freeze: the folded layer's output is the direct product's");
      compare_tensor("folded layer before the freeze", wino, direct, n, 1e-5);
    } else {
      T_CHECK(same, "after the freeze: the folded layer's output differs from the direct one");
    }
    free(wino);
    free(direct);
  }
}

int main(void) {
  t_rng rng = {t_seed(0x3a7)};
  q8t_tiles_kernels k;
  q8t_tiles_kernels_for(false, &k);
  kernel_cases(&k, "portable", &rng);
  if (!q8t_tiles_kernels_for(true, &k)) {
    printf("no AVX2 + FMA: the AVX2 kernel and the layer cases are skipped\n");
    return t_finish();
  }
  kernel_cases(&k, "avx2", &rng);
  layer_cases();
  folded_cases();
  return t_finish();
}
