/* The packed 8-bit GEMM path of CONV_2D and FULLY_CONNECTED (src/ops/quant-gemm*) byte for
   byte against the reference operators, on every kernel it has: scalar, AVX2 and AVX-512 VNNI
   (NEON and NEON dot product on AArch64, with the NEON kernel's fallback when a weight is
   -128) natively where the CPU runs them (reported skipped where not) and the VNNI kernel's
   source on emulated intrinsics (x86-64), each with 1, 2 and 3 threads. Random convolutions
   (channels 1..1000, kernels 1x1..7x7, strides, dilations, SAME/VALID, batches, zero points
   at the extremes, per-channel multipliers and shifts), fully connected layers (batch 1..9),
   and long K for the accumulator's range. */
#include <stdlib.h>
#include <string.h>

#include "core/cpu.h"
#include "core/threadpool.h"
#include "ops/ops-harness.h"
#include "ops/quant-gemm.h"
#include "ref/conv-2d.h"
#include "ref/fully-connected.h"

/* The VNNI kernel's source on emulated intrinsics, under another name (x86-64 builds: the
   source includes <immintrin.h>, whose body the emulation header's guards skip). */
#if defined(__x86_64__)
#include "ukernels/avx512-emulation.h"
#define q8_qs8_qc8w_gemm_minmax_ukernel_8x32c4__avx512vnni emulated_8x32c4__avx512vnni
#include "ukernels/qs8-qc8w-gemm/8x32c4-avx512vnni.c"
#undef q8_qs8_qc8w_gemm_minmax_ukernel_8x32c4__avx512vnni
#endif

typedef struct path {
  const char *name;
  q8_isa isa;                 /* prepared through q8_quant_gemm_prepare with this isa */
  q8_quant_gemm_kernel kernel; /* or, when fn is set, with this kernel */
} path;

static path paths[8];
static int n_paths, skipped_paths;

static void choose_paths(void) {
  paths[n_paths++] = (path){"scalar", Q8_ISA_SCALAR, {0}};
  /* A path without a variant of its own gets the scalar kernel, which any CPU runs. */
#if !defined(__aarch64__)
  paths[n_paths++] = (path){"neondot (scalar kernel)", Q8_ISA_NEONDOT, {0}};
#endif
#if defined(__x86_64__)
  paths[n_paths++] = (path){"avx512vnni (emulated intrinsics)", Q8_ISA_AVX512VNNI,
                            {.fn = emulated_8x32c4__avx512vnni, .mr = 8, .nr = 32}};
#endif
  /* Paths of another architecture are not built here; one built but beyond this CPU is
     reported skipped. */
  static const q8_isa natives[] = {Q8_ISA_AVX2, Q8_ISA_AVX512VNNI, Q8_ISA_NEON, Q8_ISA_NEONDOT};
  for (int i = 0; i < 4; i++) {
    if (!q8_isa_compiled(natives[i])) continue;
    if (q8_isa_runs_on(natives[i], q8_cpu_detect())) {
      paths[n_paths++] = (path){q8_isa_name(natives[i]), natives[i], {0}};
    } else {
      printf("SKIP: the %s path (this CPU lacks it)\n", q8_isa_name(natives[i]));
      skipped_paths++;
    }
  }
}

/* One case: a convolution (FC: 1x1 window on a 1x1 image, run through the FC reference). */
typedef struct gemm_case {
  bool is_signed, is_fc;
  q8_conv_2d_params p;
  uint8_t *input, *filter;
  int32_t *bias, *multiplier, *shift;
} gemm_case;

static size_t case_m(const gemm_case *c) {
  return (size_t)c->p.batch * (size_t)c->p.out_h * (size_t)c->p.out_w;
}
static size_t case_k(const gemm_case *c) {
  return (size_t)c->p.kernel_h * (size_t)c->p.kernel_w * (size_t)c->p.in_c;
}

static void print_case(const gemm_case *c, int index, uint64_t seed) {
  const q8_conv_2d_params *p = &c->p;
  printf("  case %d (seed %llu): %s %s batch %d in %dx%dx%d kernel %dx%d out %dx%dx%d stride "
         "%dx%d dilation %dx%d pad top %d left %d zp in %d w %d out %d clamp [%d,%d] bias %s\n",
         index, (unsigned long long)seed, c->is_fc ? "FULLY_CONNECTED" : "CONV_2D",
         c->is_signed ? "int8" : "uint8", (int)p->batch, (int)p->in_h, (int)p->in_w,
         (int)p->in_c, (int)p->kernel_h, (int)p->kernel_w, (int)p->out_h, (int)p->out_w,
         (int)p->out_c, (int)p->stride_h, (int)p->stride_w, (int)p->dilation_h,
         (int)p->dilation_w, (int)p->pad_top, (int)p->pad_left, (int)p->input_zero_point,
         (int)p->weight_zero_point, (int)p->output_zero_point, (int)p->act_min,
         (int)p->act_max, c->bias ? "yes" : "no");
}

static void reference(const gemm_case *c, int32_t *folded, uint8_t *out) {
  const q8_conv_2d_params *p = &c->p;
  if (c->is_fc) {
    const q8_fully_connected_params f = {
        (int32_t)case_m(c), p->in_c, p->out_c, p->input_zero_point, p->weight_zero_point,
        p->output_zero_point, p->multiplier, p->shift, p->act_min, p->act_max};
    if (c->is_signed) {
      q8_ref_fully_connected_fold_bias_qs8(&f, (const int8_t *)c->filter, c->bias, folded);
      q8_ref_fully_connected_qs8(&f, (const int8_t *)c->input, (const int8_t *)c->filter,
                                 folded, (int8_t *)out);
    } else {
      q8_ref_fully_connected_fold_bias_qu8(&f, c->filter, c->bias, folded);
      q8_ref_fully_connected_qu8(&f, c->input, c->filter, folded, out);
    }
  } else if (c->is_signed) {
    q8_ref_conv_2d_fold_bias_qs8(p, (const int8_t *)c->filter, c->bias, folded);
    q8_ref_conv_2d_qs8(p, (const int8_t *)c->input, (const int8_t *)c->filter, folded,
                       (int8_t *)out);
  } else {
    q8_ref_conv_2d_fold_bias_qu8(p, c->filter, c->bias, folded);
    q8_ref_conv_2d_qu8(p, c->input, c->filter, folded, out);
  }
}

/* Prepares and runs the case on one path and thread pool; false when prepare failed. */
static bool run_path(const gemm_case *c, const path *pa, q8_threadpool *pool,
                     const int32_t *folded, uint8_t *out) {
  const q8_conv_2d_params *p = &c->p;
  q8_prepare_ctx ctx;
  memset(&ctx, 0, sizeof ctx);
  ctx.isa = pa->isa;
  ctx.pool = pool;
  const q8_conv_quant quant = {c->is_signed, p->input_zero_point, p->weight_zero_point,
                               p->output_zero_point, c->multiplier, c->shift, p->act_min,
                               p->act_max};
  const q8_quant_gemm_desc d = {
      .quant = &quant,
      .m = case_m(c),
      .n = (size_t)p->out_c,
      .weights = c->filter,
      .folded_bias = folded,
      .geometry = q8_quant_gemm_conv_geometry(p),
  };
  q8_quant_gemm g;
  size_t scratch_bytes = 0;
  const q8_status s = pa->kernel.fn != NULL
                          ? q8_quant_gemm_prepare_with(&ctx, &d, &pa->kernel, &g, &scratch_bytes)
                          : q8_quant_gemm_prepare(&ctx, &d, &g, &scratch_bytes);
  T_CHECK(s == Q8_OK, "prepare on %s: %s", pa->name, ctx.message);
#if defined(__aarch64__)
  /* The NEON kernel's int16 pairs overflow on a weight of -128: prepare must fall back. */
  if (s == Q8_OK && pa->isa == Q8_ISA_NEON) {
    const size_t n_w = (size_t)p->out_c * case_k(c);
    const bool has_min = memchr(c->filter, c->is_signed ? 0x80 : 0, n_w) != NULL;
    T_CHECK(g.ukernel == (has_min ? q8_qs8_qc8w_gemm_minmax_ukernel_4x8c4__scalar
                                  : q8_qs8_qc8w_gemm_minmax_ukernel_4x8c4__neon),
            "neon path with%s a weight of -128: wrong kernel", has_min ? "" : "out");
  }
#endif
  if (s == Q8_OK) {
    uint8_t *scratch = malloc(scratch_bytes);
    memset(scratch, 0x5A, scratch_bytes);
    q8_quant_gemm_run(&g, c->input, out, scratch);
    free(scratch);
  }
  h_ctx_free(&ctx);
  return s == Q8_OK;
}

static q8_threadpool *pools[3];

/* Every path and thread count against the reference; returns false on any difference. */
static bool check_case(const gemm_case *c, int index, uint64_t seed) {
  const size_t n_out = case_m(c) * (size_t)c->p.out_c;
  int32_t *folded = malloc(sizeof(int32_t) * (size_t)c->p.out_c);
  uint8_t *want = malloc(n_out), *got = malloc(n_out);
  reference(c, folded, want);
  bool ok = true;
  for (int pi = 0; pi < n_paths && ok; pi++)
    for (int t = 0; t < 3 && ok; t++) {
      memset(got, 0xA5, n_out);
      if (!run_path(c, &paths[pi], pools[t], folded, got)) {
        ok = false;
        break;
      }
      size_t bad = 0;
      for (size_t i = 0; i < n_out; i++)
        if (got[i] != want[i] && bad++ < 3) {
          if (bad == 1) {
            print_case(c, index, seed);
            printf("  path %s, %d threads\n", paths[pi].name, t + 1);
          }
          printf("    output %zu (channel %d): got %d, want %d\n", i,
                 (int)(i % (size_t)c->p.out_c), (int)got[i], (int)want[i]);
        }
      T_CHECK(bad == 0, "case %d on %s with %d threads: %zu of %zu outputs differ", index,
              paths[pi].name, t + 1, bad, n_out);
      ok = bad == 0;
    }
  free(folded);
  free(want);
  free(got);
  return ok;
}

static int32_t pick(t_rng *rng, const int32_t *options, int n) {
  return options[t_rng_range(rng, 0, n - 1)];
}

static int32_t zero_point(t_rng *rng, int32_t qmin, int32_t qmax) {
  const int64_t r = t_rng_range(rng, 0, 3);
  return r == 0 ? qmin : r == 1 ? qmax : (int32_t)t_rng_range(rng, qmin, qmax);
}

static int bits_of(uint64_t v) {
  int b = 0;
  while (v) b++, v >>= 1;
  return b;
}

/* Zero points, data, bias, multipliers (per channel, or one replicated) and clamp. */
static void fill_quantization(t_rng *rng, gemm_case *c, int extremes) {
  q8_conv_2d_params *p = &c->p;
  const int32_t qmin = c->is_signed ? -128 : 0, qmax = c->is_signed ? 127 : 255;
  p->input_zero_point = zero_point(rng, qmin, qmax);
  /* uint8 weights: 128 makes the row terms vanish (the packer computes none). */
  p->weight_zero_point = c->is_signed               ? 0
                         : t_rng_range(rng, 0, 4) == 0 ? 128
                                                       : zero_point(rng, 0, 255);
  p->output_zero_point = zero_point(rng, qmin, qmax);
  const size_t n_in = (size_t)p->batch * p->in_h * p->in_w * p->in_c;
  const size_t n_w = (size_t)p->out_c * case_k(c);
  c->input = malloc(n_in);
  c->filter = malloc(n_w);
  for (size_t i = 0; i < n_in; i++)
    c->input[i] = extremes == 1 ? (uint8_t)qmax : extremes == 2 ? (uint8_t)qmin
                                                                 : (uint8_t)t_rng_next(rng);
  for (size_t i = 0; i < n_w; i++)
    c->filter[i] = extremes == 1 ? (uint8_t)qmin : extremes == 2 ? (uint8_t)qmax
                                                                  : (uint8_t)t_rng_next(rng);
  /* Half the cases without a weight of -128 (int8 byte 0x80, uint8 byte 0 after the shift
     by 128), which the neon path's kernel needs; the others test its fallback. */
  if (t_rng_range(rng, 0, 1))
    for (size_t i = 0; i < n_w; i++)
      if (c->filter[i] == (c->is_signed ? 0x80 : 0)) c->filter[i] ^= 1;
  if (t_rng_range(rng, 0, 4) != 0) {
    c->bias = malloc(sizeof(int32_t) * p->out_c);
    for (int i = 0; i < p->out_c; i++) c->bias[i] = (int32_t)t_rng_range(rng, -50000, 50000);
  }
  c->multiplier = malloc(sizeof(int32_t) * p->out_c);
  c->shift = malloc(sizeof(int32_t) * p->out_c);
  /* Scale the typical accumulator (about 2^14 * sqrt(K) * ...) into the 8-bit range. */
  const int typical = bits_of((uint64_t)case_k(c) * 4096) - 6;
  const bool per_tensor = t_rng_range(rng, 0, 2) == 0;
  for (int i = 0; i < p->out_c; i++) {
    if (per_tensor && i > 0) {
      c->multiplier[i] = c->multiplier[0];
      c->shift[i] = c->shift[0];
      continue;
    }
    c->multiplier[i] = (int32_t)t_rng_range(rng, 1 << 30, INT32_MAX);
    int32_t shift = -typical + (int32_t)t_rng_range(rng, -3, 3);
    c->shift[i] = shift < -31 ? -31 : shift > 0 ? (int32_t)t_rng_range(rng, 0, 2) : shift;
  }
  p->multiplier = c->multiplier;
  p->shift = c->shift;
  p->act_min = qmin;
  p->act_max = qmax;
  if (t_rng_range(rng, 0, 2) == 0) {
    p->act_min = (int32_t)t_rng_range(rng, qmin, qmax);
    p->act_max = (int32_t)t_rng_range(rng, p->act_min, qmax);
  }
}

static void free_case(gemm_case *c) {
  free(c->input);
  free(c->filter);
  free(c->bias);
  free(c->multiplier);
  free(c->shift);
}

static bool random_conv(t_rng *rng, int index, uint64_t seed) {
  static const int32_t channels[] = {1, 3, 7, 17, 63, 65};
  gemm_case c = {0};
  q8_conv_2d_params *p = &c.p;
  c.is_signed = t_rng_range(rng, 0, 1);
  p->batch = (int32_t)t_rng_range(rng, 1, 2);
  p->in_c = pick(rng, channels, 6);
  p->out_c = t_rng_range(rng, 0, 30) == 0 ? 1000 : pick(rng, channels, 6);
  p->kernel_h = (int32_t)t_rng_range(rng, 1, 7);
  p->kernel_w = t_rng_range(rng, 0, 1) ? p->kernel_h : (int32_t)t_rng_range(rng, 1, 7);
  p->stride_h = (int32_t)t_rng_range(rng, 1, 2);
  p->stride_w = (int32_t)t_rng_range(rng, 1, 2);
  p->dilation_h = t_rng_range(rng, 0, 4) == 0 ? 2 : 1;
  p->dilation_w = t_rng_range(rng, 0, 4) == 0 ? 2 : 1;
  p->in_h = (int32_t)t_rng_range(rng, 1, 12);
  p->in_w = (int32_t)t_rng_range(rng, 1, 12);
  q8_padding pad = t_rng_range(rng, 0, 1) ? Q8_PADDING_SAME : Q8_PADDING_VALID;
  for (int attempt = 0; attempt < 2; attempt++, pad = Q8_PADDING_SAME) {
    p->out_h = q8_conv_out_size(pad, p->in_h, p->kernel_h, p->stride_h, p->dilation_h,
                                &p->pad_top);
    p->out_w = q8_conv_out_size(pad, p->in_w, p->kernel_w, p->stride_w, p->dilation_w,
                                &p->pad_left);
    if (p->out_h > 0 && p->out_w > 0) break;
  }
  fill_quantization(rng, &c, t_rng_range(rng, 0, 9) == 0 ? (int)t_rng_range(rng, 1, 2) : 0);
  const bool ok = check_case(&c, index, seed);
  free_case(&c);
  return ok;
}

static bool random_fc(t_rng *rng, int index, uint64_t seed) {
  static const int32_t sizes[] = {1, 3, 7, 17, 63, 65, 1000};
  gemm_case c = {0};
  q8_conv_2d_params *p = &c.p;
  c.is_signed = t_rng_range(rng, 0, 1);
  c.is_fc = true;
  p->batch = (int32_t)t_rng_range(rng, 1, 9);
  p->in_h = p->in_w = p->out_h = p->out_w = 1;
  p->kernel_h = p->kernel_w = p->stride_h = p->stride_w = p->dilation_h = p->dilation_w = 1;
  p->in_c = pick(rng, sizes, 7);
  p->out_c = pick(rng, sizes, 7);
  fill_quantization(rng, &c, t_rng_range(rng, 0, 9) == 0 ? (int)t_rng_range(rng, 1, 2) : 0);
  const bool ok = check_case(&c, index, seed);
  free_case(&c);
  return ok;
}

/* K = 7 * 7 * 820 = 40180 with saturated bytes: the expanded sums leave int32 (wrapping)
   while TFLite's own sum stays inside it. */
static bool long_k(t_rng *rng, int index, uint64_t seed, bool is_signed, int extremes) {
  gemm_case c = {0};
  q8_conv_2d_params *p = &c.p;
  c.is_signed = is_signed;
  p->batch = 1;
  p->in_h = p->in_w = 7;
  p->in_c = 820;
  p->out_c = 3;
  p->kernel_h = p->kernel_w = 7;
  p->stride_h = p->stride_w = p->dilation_h = p->dilation_w = 1;
  p->out_h = p->out_w = 1;
  fill_quantization(rng, &c, extremes);
  p->input_zero_point = is_signed ? 127 : 255; /* x - zp small: TFLite's sum stays in int32 */
  const bool ok = check_case(&c, index, seed);
  free_case(&c);
  return ok;
}

int main(void) {
  const uint64_t seed = t_seed(0x6E44);
  choose_paths();
  q8_error err;
  for (int t = 0; t < 3; t++)
    T_CHECK(q8_threadpool_create(t + 1, &pools[t], &err) == Q8_OK, "pool of %d threads: %s",
            t + 1, err.message);
  if (t_checks_failed > 0) return t_finish();
  t_rng rng = {seed};
  const int cases = getenv("Q8_TEST_ITERATIONS") ? 60 : 300;
  int index = 0, failed = 0;
  for (; index < cases && failed < 3; index++)
    failed += !(index % 3 == 2 ? random_fc(&rng, index, seed) : random_conv(&rng, index, seed));
  for (int variant = 0; variant < 4 && failed < 3; variant++, index++)
    failed += !long_k(&rng, index, seed, variant & 1, variant < 2 ? 1 : 0);
  printf("%d cases on %d paths x 1, 2, 3 threads\n", index, n_paths);
  for (int t = 0; t < 3; t++) q8_threadpool_free(pools[t]);
  /* A path this CPU lacks is reported (above and here), never counted as passed. */
  if (skipped_paths > 0) printf("SKIP: %d path(s) not run on this CPU\n", skipped_paths);
  return t_finish();
}
