/* Every shared model (../shared/testdata: tflite/ models on fixed pseudo-random inputs, ops/
   cases on their own inputs) gives the same bytes on every kernel path this CPU runs (ref,
   scalar, and avx2, avx512vnni, neon, neondot where built) with 1 and 2 threads: each output equal to the reference path's, and
   an ops case's output equal to its expected.bin. A path the CPU lacks is reported skipped. */
#include <stdlib.h>
#include <string.h>

#include "core/cpu.h"
#include "q8/q8.h"
#include "util/test-util.h"

enum { MAX_IO = 8 };

typedef struct io_set {
  int32_t n;
  void *data[MAX_IO];
  size_t size[MAX_IO];
} io_set;

static void io_free(io_set *s) {
  for (int32_t i = 0; i < s->n; i++) free(s->data[i]);
  s->n = 0;
}

/* Inputs of a case: its inputN.bin files, or pseudo-random values of the input's type
   (floats in [-4, 4) for float inputs). */
static bool make_inputs(const t_model_path *m, q8_interp *it, io_set *in) {
  t_rng rng = {0x5EED};
  in->n = q8_interp_input_count(it);
  for (int32_t i = 0; i < in->n && i < MAX_IO; i++) {
    q8_tensor_info info;
    q8_interp_input_info(it, i, &info);
    if (m->case_dir[0] != '\0') {
      char path[1400];
      snprintf(path, sizeof path, "%s/input%d.bin", m->case_dir, (int)i);
      in->data[i] = t_read_file(path, &in->size[i]);
      T_CHECK(in->data[i] != NULL, "%s: cannot read %s", m->name, path);
      if (in->data[i] == NULL) return false;
      continue;
    }
    in->size[i] = info.bytes;
    in->data[i] = malloc(info.bytes);
    if (info.type == Q8_TYPE_FLOAT32) {
      for (size_t k = 0; k < info.bytes / sizeof(float); k++)
        ((float *)in->data[i])[k] = (float)(t_rng_unit(&rng) * 8.0 - 4.0);
    } else {
      for (size_t k = 0; k < info.bytes; k++)
        ((uint8_t *)in->data[i])[k] = (uint8_t)t_rng_next(&rng);
    }
  }
  return true;
}

/* Runs the model on one path; copies its outputs into out. */
static bool run_on(const t_model_path *m, q8_isa isa, int32_t threads, const io_set *in,
                   io_set *out) {
  q8_error err;
  q8_model *model = NULL;
  q8_status s = q8_model_load_file(m->path, &model, &err);
#ifdef Q8_INTEGER_ONLY
  if (s == Q8_ERROR_UNSUPPORTED && strstr(err.message, "integer-only") != NULL) {
    printf("%-40s skipped: needs float (%s)\n", m->name, err.message);
    return false;
  }
#endif
  T_CHECK(s == Q8_OK, "%s: load: %s", m->name, s == Q8_OK ? "" : err.message);
  if (s != Q8_OK) return false;
  const q8_interp_options options = {.isa = isa, .threads = threads};
  q8_interp *it = NULL;
  s = q8_interp_init(model, &options, &it, &err);
  T_CHECK(s == Q8_OK, "%s on %s, %d threads: prepare: %s", m->name, q8_isa_name(isa),
          (int)threads, s == Q8_OK ? "" : err.message);
  bool ok = s == Q8_OK;
  io_set made = {0};
  if (ok && in->n == 0 && !make_inputs(m, it, &made)) ok = false;
  const io_set *inputs = in->n == 0 ? &made : in;
  for (int32_t i = 0; ok && i < inputs->n; i++) {
    s = q8_interp_set_input(it, i, inputs->data[i], inputs->size[i]);
    T_CHECK(s == Q8_OK, "%s: set input %d: %s", m->name, (int)i, q8_interp_last_error(it));
    ok = s == Q8_OK;
  }
  if (ok) {
    s = q8_interp_invoke(it);
    T_CHECK(s == Q8_OK, "%s on %s: invoke: %s", m->name, q8_isa_name(isa),
            q8_interp_last_error(it));
    ok = s == Q8_OK;
  }
  out->n = 0;
  for (int32_t o = 0; ok && o < q8_interp_output_count(it) && o < MAX_IO; o++) {
    q8_tensor_info info;
    const void *data = NULL;
    q8_interp_output_info(it, o, &info);
    q8_interp_output_data(it, o, &data);
    out->data[o] = malloc(info.bytes);
    memcpy(out->data[o], data, info.bytes);
    out->size[o] = info.bytes;
    out->n = o + 1;
  }
  if (in->n == 0 && ok) { /* keep the made inputs for the other paths */
    io_set *keep = (io_set *)in;
    *keep = made;
  } else {
    io_free(&made);
  }
  q8_interp_free(it);
  q8_model_free(model);
  return ok;
}

static size_t count_differences(const void *a, const void *b, size_t n, size_t *first) {
  size_t bad = 0;
  for (size_t i = 0; i < n; i++)
    if (((const uint8_t *)a)[i] != ((const uint8_t *)b)[i] && bad++ == 0) *first = i;
  return bad;
}

static void check_model(const t_model_path *m, const q8_isa *isas, int n_isas) {
  io_set in = {0}, want = {0};
  const int failed_before = t_checks_failed;
  if (!run_on(m, Q8_ISA_REF, 1, &in, &want)) return;
  if (m->case_dir[0] != '\0') {
    char path[1400];
    snprintf(path, sizeof path, "%s/expected.bin", m->case_dir);
    size_t size = 0, first = 0;
    uint8_t *expected = t_read_file(path, &size);
    T_CHECK(expected != NULL && size == want.size[0] &&
                count_differences(expected, want.data[0], size, &first) == 0,
            "%s: the ref path differs from expected.bin", m->name);
    free(expected);
  }
  for (int p = 0; p < n_isas; p++)
    for (int32_t threads = 1; threads <= 2; threads++) {
      if (isas[p] == Q8_ISA_REF && threads == 1) continue;
      io_set got = {0};
      if (!run_on(m, isas[p], threads, &in, &got)) continue;
      T_CHECK(got.n == want.n, "%s: %d outputs, ref %d", m->name, (int)got.n, (int)want.n);
      for (int32_t o = 0; o < got.n && o < want.n; o++) {
        size_t first = 0;
        const size_t bad = got.size[o] != want.size[o]
                               ? got.size[o]
                               : count_differences(got.data[o], want.data[o], got.size[o], &first);
        T_CHECK(bad == 0, "%s on %s, %d threads: output %d: %zu of %zu bytes differ from ref "
                "(first at %zu)", m->name, q8_isa_name(isas[p]), (int)threads, (int)o, bad,
                want.size[o], first);
      }
      io_free(&got);
    }
  printf("%-40s %s\n", m->name,
         t_checks_failed == failed_before ? "same bytes on every path" : "DIFFERS");
  io_free(&in);
  io_free(&want);
}

int main(void) {
  char root[1024];
  if (t_testdata_path("", root, sizeof root) == NULL)
    return t_skip("e2e/test-models-paths", "../shared/testdata is absent");
  t_model_path *models = NULL;
  const int n = t_shared_models(root, &models);
  q8_isa isas[6] = {Q8_ISA_REF, Q8_ISA_SCALAR};
  int n_isas = 2, skipped = 0;
  /* Paths of another architecture are not built here; one built but beyond this CPU is
     reported skipped. */
  static const q8_isa natives[] = {Q8_ISA_AVX2, Q8_ISA_AVX512VNNI, Q8_ISA_NEON, Q8_ISA_NEONDOT};
  for (int i = 0; i < 4; i++) {
    if (!q8_isa_compiled(natives[i])) continue;
    if (q8_isa_runs_on(natives[i], q8_cpu_detect())) {
      isas[n_isas++] = natives[i];
    } else {
      printf("SKIP: the %s path (this CPU lacks it)\n", q8_isa_name(natives[i]));
      skipped++;
    }
  }
  for (int i = 0; i < n; i++) check_model(&models[i], isas, n_isas);
  T_CHECK(n > 0, "no shared models found under %s", root);
  free(models);
  /* A path this CPU lacks is reported (above and here), never counted as passed. */
  if (skipped > 0) printf("SKIP: %d path(s) not run on this CPU\n", skipped);
  return t_finish();
}
