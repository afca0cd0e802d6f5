/* Runs the fuzz target without libFuzzer: on given files and directories (regression cases,
   crash reproducers, a corpus), on every truncation of each model (sampled for large ones),
   and on rounds of the structure-aware mutator.
   Usage: fuzz-replay [--truncate] [--mutate N] [--seed S] [--rewrite DIR] PATH...
   --rewrite DIR also stores q8's own encoding of each model that decodes (read, then
   q8_tflite_write) in DIR, as seeds laid out the way q8 writes files.
   Directories are searched recursively for *.tflite files and files without a dot in their
   name (libFuzzer names corpus entries and crashes by hash); absent paths are skipped.
   Exit 0 when nothing aborted, 77 (skipped) when no file was found. */
#include <dirent.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/graph.h"
#include "fuzz/fuzz-target.h"
#include "tflite/reader.h"
#include "tflite/writer.h"

#if defined(__has_include)
#if __has_include(<sanitizer/common_interface_defs.h>)
#include <sanitizer/common_interface_defs.h>
#define HAVE_DEATH_CALLBACK 1
#endif
#endif

/* Models under this size get every truncation; larger ones LARGE_TRUNCATIONS of them. */
#define SMALL_MODEL_BYTES (100 * 1024)
#define LARGE_TRUNCATIONS 500

typedef struct options {
  bool truncate;
  long mutations;
  uint64_t seed;
  const char *rewrite_dir;
} options;

typedef struct totals {
  long files, runs;
} totals;

static uint64_t rng_state;

/* The input being run, written out when the process dies (sanitizer report or abort). */
static const uint8_t *current;
static size_t current_size;

static void dump_current(void) {
  static int dumped;
  if (current == NULL || dumped++) return;
  char name[64];
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < current_size; i++) h = (h ^ current[i]) * 1099511628211ull;
  snprintf(name, sizeof name, "crash-replay-%016llx", (unsigned long long)h);
  FILE *f = fopen(name, "wb");
  if (f != NULL) {
    fwrite(current, 1, current_size, f);
    fclose(f);
    fprintf(stderr, "fuzz-replay: the failing input (%zu bytes) is in ./%s\n", current_size, name);
  }
}

static void on_abort(int sig) {
  dump_current();
  signal(sig, SIG_DFL);
  raise(sig);
}

static uint64_t rng_next(void) { /* splitmix64 */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* Runs the target on a private exact-size copy, so that ASan sees a read past the end. */
static void run_copy(const uint8_t *data, size_t size, totals *t) {
  uint8_t *copy = malloc(size ? size : 1);
  if (copy == NULL) {
    fprintf(stderr, "fuzz-replay: out of memory\n");
    exit(1);
  }
  memcpy(copy, data, size);
  current = copy;
  current_size = size;
  q8_fuzz_one_model(copy, size);
  current = NULL;
  free(copy);
  t->runs++;
}

static void run_truncations(const uint8_t *data, size_t size, totals *t) {
  if (size <= SMALL_MODEL_BYTES) {
    for (size_t cut = 0; cut < size; cut++) run_copy(data, cut, t);
    return;
  }
  /* Dense cuts near the start and end (header, root table, vtables; trailing tables),
     thinning out geometrically, then random cuts in between: about LARGE_TRUNCATIONS. */
  for (size_t cut = 0; cut < 4096; cut += 1 + cut / 32) run_copy(data, cut, t);
  for (size_t cut = size - 4096; cut < size; cut += 1 + (size - cut) / 32) run_copy(data, cut, t);
  for (int i = 0; i < LARGE_TRUNCATIONS - 350; i++) run_copy(data, rng_next() % size, t);
}

/* The replay's stand-in for libFuzzer's byte mutator: a few random bytes. */
static size_t byte_mutator(uint8_t *data, size_t size, size_t max_size) {
  (void)max_size;
  if (size == 0) return 0;
  int n = 1 + (int)(rng_next() % 4);
  for (int i = 0; i < n; i++) data[rng_next() % size] = (uint8_t)rng_next();
  return size;
}

/* Mutants of the original model, a quarter of them mutated once more (as libFuzzer would
   mutate an interesting mutant again). */
static void run_mutations(const uint8_t *data, size_t size, long rounds, totals *t) {
  size_t max_size = size + 64;
  uint8_t *work = malloc(max_size);
  if (work == NULL) return;
  size_t n = 0;
  for (long i = 0; i < rounds; i++) {
    if (i % 4 != 3) {
      memcpy(work, data, size);
      n = size;
    }
    n = q8_fuzz_mutate(work, n, max_size, (unsigned)rng_next(), byte_mutator);
    run_copy(work, n, t);
  }
  free(work);
}

/* Stores q8's encoding of the model as DIR/written-<parent>-<name>. */
static void rewrite(const char *path, const uint8_t *data, size_t size, const char *dir) {
  q8_graph *g = NULL;
  q8_error err;
  uint8_t *out = NULL;
  size_t out_size = 0;
  if (q8_tflite_read(data, size, &g, &err) == Q8_OK &&
      q8_tflite_write(g, &out, &out_size, &err) == Q8_OK) {
    char name[1024], parent[256] = "";
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    if (base != path) { /* the op tests' models are all model.tflite: keep their folder */
      size_t n = (size_t)(base - 1 - path);
      const char *p = path + n;
      while (p > path && p[-1] != '/') p--;
      snprintf(parent, sizeof parent, "%.*s-", (int)(path + n - p), p);
    }
    snprintf(name, sizeof name, "%s/written-%s%s", dir, parent, base);
    FILE *f = fopen(name, "wb");
    if (f == NULL || fwrite(out, 1, out_size, f) != out_size) {
      fprintf(stderr, "fuzz-replay: cannot write %s\n", name);
      exit(1);
    }
    fclose(f);
  }
  free(out);
  q8_graph_free(g);
}

static bool wanted(const char *name) {
  size_t n = strlen(name);
  return (n > 7 && strcmp(name + n - 7, ".tflite") == 0) || strchr(name, '.') == NULL;
}

static void run_file(const char *path, const options *o, totals *t) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    fprintf(stderr, "fuzz-replay: cannot open %s\n", path);
    exit(1);
  }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *data = malloc(size > 0 ? (size_t)size : 1);
  if (data == NULL || size < 0 || fread(data, 1, (size_t)size, f) != (size_t)size) {
    fprintf(stderr, "fuzz-replay: cannot read %s\n", path);
    exit(1);
  }
  fclose(f);
  /* Printed first, so that the file that aborts is the last one named. */
  fprintf(stderr, "fuzz-replay: %s (%ld bytes)\n", path, size);
  t->files++;
  run_copy(data, (size_t)size, t);
  if (o->rewrite_dir != NULL) rewrite(path, data, (size_t)size, o->rewrite_dir);
  if (o->truncate) run_truncations(data, (size_t)size, t);
  if (o->mutations > 0) run_mutations(data, (size_t)size, o->mutations, t);
  free(data);
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files of a directory in name order (a deterministic run), then its subdirectories. */
static void run_path(const char *path, const options *o, totals *t) {
  struct stat st;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "fuzz-replay: %s does not exist: skipped\n", path);
    return;
  }
  if (!S_ISDIR(st.st_mode)) {
    run_file(path, o, t);
    return;
  }
  DIR *dir = opendir(path);
  if (dir == NULL) return;
  char **names = NULL;
  size_t n = 0, cap = 0;
  for (struct dirent *e; (e = readdir(dir)) != NULL;) {
    if (e->d_name[0] == '.') continue;
    if (n == cap) {
      cap = cap ? 2 * cap : 64;
      names = realloc(names, cap * sizeof *names);
    }
    size_t len = strlen(path) + strlen(e->d_name) + 2;
    names[n] = malloc(len);
    snprintf(names[n++], len, "%s/%s", path, e->d_name);
  }
  closedir(dir);
  if (n > 0) qsort(names, n, sizeof *names, compare_names);
  for (size_t i = 0; i < n; i++) {
    struct stat child;
    if (stat(names[i], &child) == 0) {
      const char *base = strrchr(names[i], '/') + 1;
      if (S_ISDIR(child.st_mode)) run_path(names[i], o, t);
      else if (S_ISREG(child.st_mode) && wanted(base)) run_file(names[i], o, t);
    }
    free(names[i]);
  }
  free(names);
}

static int usage(const char *program) {
  fprintf(stderr, "usage: %s [--truncate] [--mutate N] [--seed S] [--rewrite DIR] PATH...\n",
          program);
  return 2;
}

int main(int argc, char **argv) {
  options o = {false, 0, 1, NULL};
  int first = 1;
  for (; first < argc && strncmp(argv[first], "--", 2) == 0; first++) {
    const char *flag = argv[first];
    const bool has_value = first + 1 < argc;
    if (strcmp(flag, "--truncate") == 0) o.truncate = true;
    else if (strcmp(flag, "--mutate") == 0 && has_value) o.mutations = atol(argv[++first]);
    else if (strcmp(flag, "--seed") == 0 && has_value) o.seed = strtoull(argv[++first], NULL, 0);
    else if (strcmp(flag, "--rewrite") == 0 && has_value) o.rewrite_dir = argv[++first];
    else return usage(argv[0]);
  }
  if (first == argc) return usage(argv[0]);
  rng_state = o.seed;
  signal(SIGABRT, on_abort);
#ifdef HAVE_DEATH_CALLBACK
  __sanitizer_set_death_callback(dump_current);
#endif
  printf("fuzz-replay: seed %llu\n", (unsigned long long)o.seed);
  totals t = {0, 0};
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (int i = first; i < argc; i++) run_path(argv[i], &o, &t);
  clock_gettime(CLOCK_MONOTONIC, &end);
  double seconds =
      (double)(end.tv_sec - start.tv_sec) + 1e-9 * (double)(end.tv_nsec - start.tv_nsec);
  q8_fuzz_progress p = q8_fuzz_progress_so_far();
  printf("fuzz-replay: %ld files, %ld runs in %.1f s (%ld loaded, %ld prepared, %ld invoked), "
         "no failure\n", t.files, t.runs, seconds, p.loaded, p.prepared, p.invoked);
  return t.files > 0 ? 0 : 77;
}
