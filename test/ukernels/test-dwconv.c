/* DEPTHWISE_CONV_2D kernel paths (scalar, avx2, avx512vnni; neon, neondot) byte for byte
   against the reference operator (src/ref/depthwise-conv-2d.c) through the op's own kernel
   plan and run function:
   random and listed shapes (channels around the 32-channel tile, 1x1 to 7x7 and non-square
   filters, strides, dilations, SAME/VALID padding, depth multipliers, batch > 1), zero
   points, multipliers and shifts at their extremes, 1, 2 and 3 threads. A failure prints
   the seed and the whole case. Paths this CPU cannot run are reported as skipped; the
   avx512vnni kernels' own source also runs on emulated intrinsics on every x86-64 machine
   (path "avx512vnni-emulated"). */
#if defined(__x86_64__)
/* The AVX-512 kernels' source on plain-C intrinsics, under other names. */
#include "ukernels/dwconv-avx512-emulation.h"
#define q8_qs8_qc8w_dwconv_minmax_ukernel_9p32c__avx512vnni emulated_qs8_9p32c
#define q8_qu8_dwconv_minmax_ukernel_9p32c__avx512vnni emulated_qu8_9p32c
#define q8_qs8_qc8w_dwconv_minmax_ukernel_xp32c__avx512vnni emulated_qs8_xp32c
#define q8_qu8_dwconv_minmax_ukernel_xp32c__avx512vnni emulated_qu8_xp32c
#include "ukernels/qs8-qc8w-dwconv/9p32c-avx512vnni.c"
#include "ukernels/qs8-qc8w-dwconv/xp32c-avx512vnni.c"
#undef q8_qs8_qc8w_dwconv_minmax_ukernel_9p32c__avx512vnni
#undef q8_qu8_dwconv_minmax_ukernel_9p32c__avx512vnni
#undef q8_qs8_qc8w_dwconv_minmax_ukernel_xp32c__avx512vnni
#undef q8_qu8_dwconv_minmax_ukernel_xp32c__avx512vnni
#define HAVE_EMULATED_AVX512 1
#else
#define HAVE_EMULATED_AVX512 0
#endif

#include <stdlib.h>
#include <string.h>

#include "core/cpu.h"
#include "core/threadpool.h"
#include "ops/depthwise-conv-2d.h"
#include "ops/ops-harness.h"
#include "ukernels/kernel-paths.h"

typedef struct dw_case {
  bool is_signed;
  q8_depthwise_conv_2d_params p;
  uint8_t *input, *filter, *want;
  int32_t *bias, *multiplier, *shift, *folded;
} dw_case;

static uint64_t g_seed;

static void print_case(const char *path, int threads, int index, const dw_case *c) {
  const q8_depthwise_conv_2d_params *p = &c->p;
  printf("seed %llu case %d path %s threads %d: %s batch %d in %dx%dx%d multiplier %d kernel "
         "%dx%d out %dx%dx%d stride %dx%d dilation %dx%d pad top %d left %d zp in %d w %d out "
         "%d clamp [%d,%d] bias %s shift[0] %d multiplier[0] %d\n",
         (unsigned long long)g_seed, index, path, threads, c->is_signed ? "int8" : "uint8",
         (int)p->batch, (int)p->in_h, (int)p->in_w, (int)p->in_c, (int)p->depth_multiplier,
         (int)p->kernel_h, (int)p->kernel_w, (int)p->out_h, (int)p->out_w, (int)p->out_c,
         (int)p->stride_h, (int)p->stride_w, (int)p->dilation_h, (int)p->dilation_w,
         (int)p->pad_top, (int)p->pad_left, (int)p->input_zero_point,
         (int)p->weight_zero_point, (int)p->output_zero_point, (int)p->act_min,
         (int)p->act_max, c->bias ? "yes" : "no", (int)p->shift[0], (int)p->multiplier[0]);
}

static size_t output_size(const q8_depthwise_conv_2d_params *p) {
  return (size_t)p->batch * p->out_h * p->out_w * p->out_c;
}

/* The emulated AVX-512 kernel for a plan prepared for avx512vnni (NULL: none, the plan
   runs the scalar kernel for this case). */
static q8_qs8_dwconv_ukernel_fn emulated_kernel(const q8_depthwise_conv_2d_plan *plan,
                                                bool is_signed) {
#if HAVE_EMULATED_AVX512
  if (plan->params.depth_multiplier != 1) return NULL;
  if (plan->params.kernel_h * plan->params.kernel_w == 9)
    return is_signed ? emulated_qs8_9p32c : emulated_qu8_9p32c;
  return is_signed ? emulated_qs8_xp32c : emulated_qu8_xp32c;
#else
  (void)plan;
  (void)is_signed;
  return NULL;
#endif
}

/* emulate: prepare for avx512vnni and run the emulated kernels in its place. */
static void check_path(q8_isa isa, bool emulate, const char *path, q8_threadpool *pool,
                       int index, const dw_case *c) {
  q8_prepare_ctx ctx;
  memset(&ctx, 0, sizeof ctx);
  ctx.isa = isa;
  ctx.pool = pool;
  q8_depthwise_conv_2d_plan plan = {.params = c->p, .folded_bias = c->folded};
  q8_op_plan op = {0};
  q8_status s = q8_depthwise_conv_2d_plan_kernels(&ctx, &plan, c->filter, c->bias, c->is_signed,
                                                  &op);
  T_CHECK(s == Q8_OK, "case %d: plan failed: %s", index, ctx.message);
  if (s != Q8_OK) return;
  if (emulate) {
    if ((plan.kernel = emulated_kernel(&plan, c->is_signed)) == NULL) {
      h_ctx_free(&ctx);
      return;
    }
  }
  const size_t n = output_size(&c->p);
  uint8_t *got = malloc(n);
  memset(got, 0x5A, n);
  void *scratch = op.scratch_bytes > 0 ? malloc(op.scratch_bytes) : NULL;
  const void *inputs[3] = {c->input, c->filter, c->bias};
  void *outputs[1] = {got};
  op.run(op.params, inputs, outputs, scratch);
  size_t bad = 0;
  for (size_t i = 0; i < n; i++)
    if (got[i] != c->want[i] && bad++ < 3) {
      if (bad == 1) print_case(path, q8_threadpool_size(pool), index, c);
      printf("  output %zu (channel %d): got %d, want %d\n", i,
             (int)(i % (size_t)c->p.out_c), (int)got[i], (int)c->want[i]);
    }
  T_CHECK(bad == 0, "seed %llu case %d path %s threads %d: %zu of %zu outputs differ",
          (unsigned long long)g_seed, index, path, (int)q8_threadpool_size(pool), bad, n);
  free(scratch);
  free(got);
  h_ctx_free(&ctx);
}

/* The paths, and whether the AVX-512 kernels run on emulated intrinsics. */
typedef struct paths {
  t_kernel_paths k;
  bool emulated_avx512;
} paths;

static void check_case(const paths *paths, int index, dw_case *c) {
  q8_depthwise_conv_2d_params *p = &c->p;
  const size_t n = output_size(p);
  c->want = malloc(n);
  c->folded = malloc(sizeof(int32_t) * (size_t)p->out_c);
  if (c->is_signed) {
    q8_ref_depthwise_conv_2d_fold_bias_qs8(p, (const int8_t *)c->filter, c->bias, c->folded);
    q8_ref_depthwise_conv_2d_qs8(p, (const int8_t *)c->input, (const int8_t *)c->filter,
                                 c->folded, (int8_t *)c->want);
  } else {
    q8_ref_depthwise_conv_2d_fold_bias_qu8(p, c->filter, c->bias, c->folded);
    q8_ref_depthwise_conv_2d_qu8(p, c->input, c->filter, c->folded, c->want);
  }
  for (int t = 0; t < 3; t++) {
    q8_threadpool *pool = paths->k.pools[t];
    check_path(Q8_ISA_SCALAR, false, "scalar", pool, index, c);
    if (paths->k.avx2) check_path(Q8_ISA_AVX2, false, "avx2", pool, index, c);
    if (paths->k.avx512) check_path(Q8_ISA_AVX512VNNI, false, "avx512vnni", pool, index, c);
    if (paths->emulated_avx512)
      check_path(Q8_ISA_AVX512VNNI, true, "avx512vnni-emulated", pool, index, c);
    /* The ARM paths (built and run on AArch64 only): both run the xp16c neon kernel. */
    if (q8_isa_compiled(Q8_ISA_NEON) && q8_isa_runs_on(Q8_ISA_NEON, q8_cpu_detect()))
      check_path(Q8_ISA_NEON, false, "neon", pool, index, c);
    if (q8_isa_compiled(Q8_ISA_NEONDOT) && q8_isa_runs_on(Q8_ISA_NEONDOT, q8_cpu_detect()))
      check_path(Q8_ISA_NEONDOT, false, "neondot", pool, index, c);
  }
  free(c->want);
  free(c->folded);
}

static int32_t zero_point(t_rng *rng, int32_t qmin, int32_t qmax) {
  switch (t_rng_range(rng, 0, 3)) {
    case 0: return qmin;
    case 1: return qmax;
    default: return (int32_t)t_rng_range(rng, qmin, qmax);
  }
}

static void fill(t_rng *rng, uint8_t *data, size_t n, int extremes) {
  for (size_t i = 0; i < n; i++) {
    uint8_t v = (uint8_t)t_rng_next(rng);
    if (extremes == 1) v = (t_rng_next(rng) & 1) ? 0x80 : 0x7F; /* int8 ends, uint8 middle */
    if (extremes == 2) v = (t_rng_next(rng) & 1) ? 0x00 : 0xFF; /* uint8 ends, int8 -1/0 */
    data[i] = v;
  }
}

/* Multipliers and shifts: usually scaled so that outputs spread over the 8-bit range; one
   case in six anywhere (shift in [-31, 30], multipliers at 0, 1, 2^30, INT32_MAX,
   INT32_MIN, negative), where outputs mostly clamp but the arithmetic's edges run. */
static void quantization(t_rng *rng, dw_case *c) {
  q8_depthwise_conv_2d_params *p = &c->p;
  const int32_t qmin = c->is_signed ? -128 : 0, qmax = c->is_signed ? 127 : 255;
  const bool wild = t_rng_range(rng, 0, 5) == 0;
  int taps_bits = 0;
  while ((1 << taps_bits) < p->kernel_h * p->kernel_w) taps_bits++;
  for (int32_t oc = 0; oc < p->out_c; oc++) {
    if (wild) {
      static const int32_t special[] = {0, 1, 1 << 30, INT32_MAX, INT32_MIN, -(1 << 30), -1};
      c->multiplier[oc] = t_rng_range(rng, 0, 1)
                              ? special[t_rng_range(rng, 0, 6)]
                              : (int32_t)(uint32_t)t_rng_next(rng);
      c->shift[oc] = (int32_t)t_rng_range(rng, -31, 30);
    } else {
      c->multiplier[oc] = (int32_t)t_rng_range(rng, INT64_C(1) << 30, INT32_MAX);
      c->shift[oc] = (int32_t)t_rng_range(rng, -(taps_bits + 10), -(taps_bits + 3));
    }
  }
  p->multiplier = c->multiplier;
  p->shift = c->shift;
  p->output_zero_point = zero_point(rng, qmin, qmax);
  p->act_min = qmin;
  p->act_max = qmax;
  if (t_rng_range(rng, 0, 2) == 0) {
    p->act_min = (int32_t)t_rng_range(rng, qmin, qmax);
    p->act_max = (int32_t)t_rng_range(rng, p->act_min, qmax);
  }
}

static bool set_geometry(q8_depthwise_conv_2d_params *p, q8_padding pad) {
  p->out_h = q8_conv_out_size(pad, p->in_h, p->kernel_h, p->stride_h, p->dilation_h, &p->pad_top);
  p->out_w =
      q8_conv_out_size(pad, p->in_w, p->kernel_w, p->stride_w, p->dilation_w, &p->pad_left);
  return p->out_h > 0 && p->out_w > 0;
}

/* Runs one case: shape fields of c->p set except the output geometry. */
static void run_case(t_rng *rng, const paths *paths, int index, dw_case *c, q8_padding pad) {
  q8_depthwise_conv_2d_params *p = &c->p;
  p->out_c = p->in_c * p->depth_multiplier;
  if (!set_geometry(p, pad) && !set_geometry(p, Q8_PADDING_SAME)) return;
  const int32_t qmin = c->is_signed ? -128 : 0, qmax = c->is_signed ? 127 : 255;
  p->input_zero_point = zero_point(rng, qmin, qmax);
  p->weight_zero_point = c->is_signed ? 0 : zero_point(rng, 0, 255);
  const size_t n_in = (size_t)p->batch * p->in_h * p->in_w * p->in_c;
  const size_t n_w = (size_t)p->kernel_h * p->kernel_w * p->out_c;
  c->input = malloc(n_in);
  c->filter = malloc(n_w);
  c->bias = NULL;
  c->multiplier = malloc(sizeof(int32_t) * (size_t)p->out_c);
  c->shift = malloc(sizeof(int32_t) * (size_t)p->out_c);
  const int extremes = t_rng_range(rng, 0, 7) == 0 ? (int)t_rng_range(rng, 1, 2) : 0;
  fill(rng, c->input, n_in, extremes);
  fill(rng, c->filter, n_w, extremes ? (int)t_rng_range(rng, 1, 2) : 0);
  if (t_rng_range(rng, 0, 4) != 0) {
    c->bias = malloc(sizeof(int32_t) * (size_t)p->out_c);
    const bool huge = t_rng_range(rng, 0, 9) == 0; /* sums wrap modulo 2^32 */
    for (int32_t i = 0; i < p->out_c; i++)
      c->bias[i] = huge ? (int32_t)(uint32_t)t_rng_next(rng)
                        : (int32_t)t_rng_range(rng, -40000, 40000);
  }
  quantization(rng, c);
  check_case(paths, index, c);
  free(c->input);
  free(c->filter);
  free(c->bias);
  free(c->multiplier);
  free(c->shift);
}

static const int32_t kChannels[] = {1, 3, 7, 16, 17, 31, 32, 33, 63, 64, 65, 1000};
static const int32_t kKernels[][2] = {{1, 1}, {3, 3}, {5, 5}, {7, 7}, {3, 5}, {2, 1}, {1, 4}};

static void listed_cases(t_rng *rng, const paths *paths, int *index) {
  for (size_t ci = 0; ci < sizeof kChannels / sizeof kChannels[0]; ci++)
    for (size_t ki = 0; ki < sizeof kKernels / sizeof kKernels[0]; ki++)
      for (int stride = 1; stride <= 2; stride++) {
        dw_case c = {0};
        q8_depthwise_conv_2d_params *p = &c.p;
        c.is_signed = t_rng_range(rng, 0, 1) == 1;
        p->batch = (int32_t)t_rng_range(rng, 1, 2);
        p->in_c = kChannels[ci];
        p->depth_multiplier = kChannels[ci] > 64 ? 1 : (int32_t)t_rng_range(rng, 1, 2);
        p->kernel_h = kKernels[ki][0];
        p->kernel_w = kKernels[ki][1];
        p->stride_h = p->stride_w = stride;
        p->dilation_h = p->dilation_w = t_rng_range(rng, 0, 3) == 0 ? 2 : 1;
        const int32_t max_side = kChannels[ci] >= 500 ? 6 : 12;
        p->in_h = (int32_t)t_rng_range(rng, 1, max_side);
        p->in_w = (int32_t)t_rng_range(rng, 1, max_side);
        run_case(rng, paths, (*index)++, &c,
                 t_rng_range(rng, 0, 1) ? Q8_PADDING_SAME : Q8_PADDING_VALID);
      }
}

/* One spatial dimension: input 1..14, filter 1..7, stride and dilation 1..3. */
static void random_dimension(t_rng *rng, int32_t *in, int32_t *kernel, int32_t *stride,
                             int32_t *dilation) {
  *in = (int32_t)t_rng_range(rng, 1, 14);
  *kernel = (int32_t)t_rng_range(rng, 1, 7);
  *stride = (int32_t)t_rng_range(rng, 1, 3);
  *dilation = (int32_t)t_rng_range(rng, 1, 3);
}

static void random_cases(t_rng *rng, const paths *paths, int *index, int count) {
  for (int i = 0; i < count; i++) {
    dw_case c = {0};
    q8_depthwise_conv_2d_params *p = &c.p;
    c.is_signed = t_rng_range(rng, 0, 1) == 1;
    p->batch = (int32_t)t_rng_range(rng, 1, 3);
    p->in_c = (int32_t)t_rng_range(rng, 1, 80);
    p->depth_multiplier = t_rng_range(rng, 0, 3) == 0 ? (int32_t)t_rng_range(rng, 2, 4) : 1;
    random_dimension(rng, &p->in_h, &p->kernel_h, &p->stride_h, &p->dilation_h);
    random_dimension(rng, &p->in_w, &p->kernel_w, &p->stride_w, &p->dilation_w);
    run_case(rng, paths, (*index)++, &c,
             t_rng_range(rng, 0, 1) ? Q8_PADDING_SAME : Q8_PADDING_VALID);
  }
}

int main(void) {
  g_seed = t_seed(20261127);
  t_rng rng = {g_seed};
  paths paths;
  t_kernel_paths_init(&paths.k);
  paths.emulated_avx512 = HAVE_EMULATED_AVX512 && q8_isa_compiled(Q8_ISA_AVX512VNNI);
  int index = 0;
  listed_cases(&rng, &paths, &index);
  random_cases(&rng, &paths, &index, 300);
  t_kernel_paths_free(&paths.k);
  printf("%d cases\n", index);
  return t_finish();
}
