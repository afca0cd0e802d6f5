/* Minimal test harness shared by every q8 test program. */
#include "test-util.h"

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
