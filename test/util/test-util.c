/* Minimal test harness shared by every q8 test program. */
#include "test-util.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int t_checks_failed;
int t_checks_passed;

void t_report_failure(const char *file, int line, const char *expr, const char *fmt, ...) {
  t_checks_failed++;
  if (t_checks_failed > 50) return; /* enough to diagnose; keep logs readable */
  fprintf(stderr, "FAIL %s:%d: %s: ", file, line, expr);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

int t_finish(void) {
  printf("%d passed, %d failed\n", t_checks_passed, t_checks_failed);
  return t_checks_failed == 0 ? 0 : 1;
}

int t_skip(const char *test_name, const char *reason) {
  printf("SKIP: %s: %s\n", test_name, reason);
  return T_SKIP_CODE;
}

uint64_t t_seed(uint64_t default_seed) {
  const char *env = getenv("Q8_TEST_SEED");
  uint64_t seed = env != NULL ? strtoull(env, NULL, 0) : default_seed;
  printf("seed %llu (replay with Q8_TEST_SEED=%llu)\n", (unsigned long long)seed,
         (unsigned long long)seed);
  return seed;
}

uint64_t t_rng_next(t_rng *rng) {
  uint64_t z = (rng->state += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

int64_t t_rng_range(t_rng *rng, int64_t lo, int64_t hi) {
  uint64_t span = (uint64_t)(hi - lo) + 1;
  if (span == 0) return (int64_t)t_rng_next(rng); /* the full 64-bit range */
  return lo + (int64_t)(t_rng_next(rng) % span);
}

double t_rng_unit(t_rng *rng) { return (double)(t_rng_next(rng) >> 11) * 0x1.0p-53; }

const char *t_testdata_path(const char *relative, char *buf, size_t buf_size) {
  struct stat st;
  if (stat(Q8_TESTDATA_DIR, &st) != 0 || !S_ISDIR(st.st_mode)) return NULL;
  snprintf(buf, buf_size, "%s/%s", Q8_TESTDATA_DIR, relative);
  return buf;
}

void *t_read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    fprintf(stderr, "cannot open %s\n", path);
    return NULL;
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  void *data = malloc(n > 0 ? (size_t)n : 1);
  if (data == NULL || fread(data, 1, (size_t)n, f) != (size_t)n) {
    fprintf(stderr, "cannot read %s\n", path);
    free(data);
    fclose(f);
    return NULL;
  }
  fclose(f);
  *size = (size_t)n;
  return data;
}

/* Names become file names in one shared folder: no separators, no hidden files. */
static int keep_name_ok(const char *name) {
  if (name == NULL || name[0] == '\0' || name[0] == '.' || strlen(name) > 200) return 0;
  for (const char *c = name; *c != '\0'; c++) {
    int ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
             *c == '-' || *c == '_' || *c == '.';
    if (!ok) return 0;
  }
  return 1;
}

static int write_whole_file(const char *path, const void *data, size_t size) {
  FILE *f = fopen(path, "wb");
  if (f == NULL) return -1;
  int ok = fwrite(data, 1, size, f) == size;
  return fclose(f) == 0 && ok ? 0 : -1;
}

int q8_test_keep_written(const char *name, const void *data, size_t size) {
  const char *dir = getenv("Q8_WRITTEN_DIR");
  if (dir == NULL || dir[0] == '\0') return 0;
  if (!keep_name_ok(name) || (data == NULL && size > 0)) {
    t_report_failure(__FILE__, __LINE__, "q8_test_keep_written", "bad model name '%s'",
                     name != NULL ? name : "(null)");
    return -1;
  }
  /* The verifier reads only *.tflite; the temporary name (hidden, .tmp) is never one. */
  char path[4096], tmp[4096];
  snprintf(path, sizeof path, "%s/%s.tflite", dir, name);
  snprintf(tmp, sizeof tmp, "%s/.%s.%ld.tmp", dir, name, (long)getpid());
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    t_report_failure(__FILE__, __LINE__, "mkdir", "cannot create %s: %s", dir, strerror(errno));
    return -1;
  }
  if (write_whole_file(tmp, data, size) != 0 || rename(tmp, path) != 0) {
    t_report_failure(__FILE__, __LINE__, "q8_test_keep_written", "cannot write %s: %s", path,
                     strerror(errno));
    remove(tmp);
    return -1;
  }
  return 0;
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_dir(const char *dir, const char *name) {
  char path[2048];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int t_list_dir(const char *dir, const char *suffix, int want_dirs, char ***names) {
  *names = NULL;
  DIR *d = opendir(dir);
  if (d == NULL) return 0;
  int count = 0, cap = 0;
  size_t n_suffix = strlen(suffix);
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    size_t n = strlen(e->d_name);
    if (e->d_name[0] == '.' || n < n_suffix || strcmp(e->d_name + n - n_suffix, suffix) != 0 ||
        is_dir(dir, e->d_name) != (want_dirs != 0))
      continue;
    if (count == cap) {
      cap = cap ? 2 * cap : 64;
      char **grown = realloc(*names, (size_t)cap * sizeof *grown);
      if (grown == NULL) break;
      *names = grown;
    }
    (*names)[count] = strdup(e->d_name);
    if ((*names)[count] != NULL) count++;
  }
  closedir(d);
  if (count > 0) qsort(*names, (size_t)count, sizeof **names, compare_names);
  return count;
}

void t_free_names(char **names, int count) {
  for (int i = 0; i < count; i++) free(names[i]);
  free(names);
}

static int file_exists(const char *path) { return access(path, R_OK) == 0; }

int t_shared_models(const char *root, t_model_path **models) {
  char tflite[1100], ops[1100];
  snprintf(tflite, sizeof tflite, "%s/tflite", root);
  snprintf(ops, sizeof ops, "%s/ops", root);
  char **files = NULL, **cases = NULL;
  int n_files = t_list_dir(tflite, ".tflite", 0, &files);
  int n_cases = t_list_dir(ops, "", 1, &cases);
  *models = calloc((size_t)(n_files + n_cases) + 1, sizeof **models);
  int n = 0;
  for (int i = 0; *models != NULL && i < n_files; i++) {
    t_model_path *m = &(*models)[n++];
    snprintf(m->name, sizeof m->name, "%.*s", (int)(strlen(files[i]) - 7), files[i]);
    snprintf(m->path, sizeof m->path, "%s/%s", tflite, files[i]);
  }
  for (int i = 0; *models != NULL && i < n_cases; i++) {
    t_model_path *m = &(*models)[n];
    snprintf(m->case_dir, sizeof m->case_dir, "%s/%s", ops, cases[i]);
    snprintf(m->path, sizeof m->path, "%s/model.tflite", m->case_dir);
    snprintf(m->name, sizeof m->name, "ops-%s", cases[i]);
    if (file_exists(m->path)) n++;
  }
  t_free_names(files, n_files);
  t_free_names(cases, n_cases);
  return n;
}

int t_test_deps_required(void) {
  const char *required = getenv("Q8_REQUIRE_TEST_DEPS");
  const char *ci = getenv("CI");
  return (required != NULL && strcmp(required, "1") == 0) ||
         (ci != NULL && (strcmp(ci, "true") == 0 || strcmp(ci, "1") == 0));
}
