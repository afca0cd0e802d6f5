/* Minimal test harness: checks that count failures, a seeded RNG, skips, shared test data. */
#ifndef Q8_TEST_UTIL_H
#define Q8_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Exit code CTest reads as "skipped". */
#define T_SKIP_CODE 77

extern int t_checks_failed;
extern int t_checks_passed;

void t_report_failure(const char *file, int line, const char *expr, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* T_CHECK(cond, "printf format", args...): records a failure with the message. */
#define T_CHECK(cond, ...)                                       \
  do {                                                           \
    if (cond) {                                                  \
      t_checks_passed++;                                         \
    } else {                                                     \
      t_report_failure(__FILE__, __LINE__, #cond, __VA_ARGS__);  \
    }                                                            \
  } while (0)

/* Prints "N passed, N failed" and returns the process exit code (0 when nothing failed). */
int t_finish(void);

/* Prints "SKIP: reason" with the test's name and returns T_SKIP_CODE. */
int t_skip(const char *test_name, const char *reason);

/* Seed from Q8_TEST_SEED when set, otherwise default_seed; printed so a failure replays. */
uint64_t t_seed(uint64_t default_seed);

/* A small deterministic RNG (splitmix64). */
typedef struct t_rng {
  uint64_t state;
} t_rng;
uint64_t t_rng_next(t_rng *rng);
/* Uniform integer in [lo, hi] (inclusive). */
int64_t t_rng_range(t_rng *rng, int64_t lo, int64_t hi);
/* Uniform double in [0, 1). */
double t_rng_unit(t_rng *rng);

/* Path of a file under the shared test data ("tflite/person_detect.tflite"). Returns NULL
   when the shared folder is absent (then the test reports itself skipped, by name). */
const char *t_testdata_path(const char *relative, char *buf, size_t buf_size);

/* Reads a whole file into malloc'd memory; NULL on failure (with a message printed). */
void *t_read_file(const char *path, size_t *size);

/* When Q8_WRITTEN_DIR is set (ctest sets it for every test), stores a copy of a model the test
   wrote as <dir>/<name>.tflite, for tflite/test-verifier to check with the flatbuffers
   library's own verifier after the test (a test that calls this is made a fixture setup by
   test/CMakeLists.txt). name: letters, digits, '-', '_' and '.', unique among all tests
   (prefix it with the test's name). Atomic (temporary file, then rename). Returns 0 when
   stored or not asked for; -1, with a check failure recorded, when it cannot be stored. */
int q8_test_keep_written(const char *name, const void *data, size_t size);

/* Sorted names of the entries of dir (files, or directories when want_dirs) whose names end
   in suffix ("" for all), skipping names that start with '.'. Returns the count (0 when dir is
   absent) and *names, to release with t_free_names. */
int t_list_dir(const char *dir, const char *suffix, int want_dirs, char ***names);
void t_free_names(char **names, int count);

/* A shared model: tflite/<name>.tflite, or ops/<case>/model.tflite with its case folder. */
typedef struct t_model_path {
  char name[256];     /* "person_detect" or "ops-add_int8" */
  char path[1400];    /* the .tflite file */
  char case_dir[1200]; /* ops/<case> folder (input0.bin, expected.bin), "" for tflite/ */
} t_model_path;

/* Every shared model under root (the shared testdata folder): tflite/ files, then ops cases,
   each group sorted. Returns the count and a malloc'd array (free()). */
int t_shared_models(const char *root, t_model_path **models);

/* True when the test command promised to install every test dependency
   (Q8_REQUIRE_TEST_DEPS=1, or CI=true/1): a missing one is then a failure, not a skip. */
int t_test_deps_required(void);

#ifdef __cplusplus
}
#endif
#endif
