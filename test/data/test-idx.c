/* The IDX data-set loader: plain and gzipped files made by hand in a temporary directory, the
   limit, the file choice, and every refusal with its message (and an empty data set after it). */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/idx.h"
#include "util/test-util.h"
#include "util/idx-files.h"

enum { N = 5, PIXELS = Q8_DATASET_PIXELS, IMAGES_MAGIC = 0x803, LABELS_MAGIC = 0x801 };

static char dir[64];
static uint8_t pixels[N * PIXELS];
static uint8_t labels[N] = {3, 0, 9, 7, 1};

static const char *const file_names[4] = {"t10k-images-idx3-ubyte", "t10k-images-idx3-ubyte.gz",
                                          "t10k-labels-idx1-ubyte", "t10k-labels-idx1-ubyte.gz"};

static void path_of(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", dir, name); }

static void remove_split(void) {
  char path[128];
  for (int i = 0; i < 4; i++) {
    path_of(path, sizeof path, file_names[i]);
    remove(path);
  }
}

/* Writes name (".gz" added and the bytes wrapped in gzip when gz is true). */
static void put_file(const char *name, bool gz, const uint8_t *bytes, size_t n) {
  char path[128];
  snprintf(path, sizeof path, "%s/%s%s", dir, name, gz ? ".gz" : "");
  size_t size = n;
  uint8_t *wrapped = gz ? t_gzip_stored(bytes, n, &size) : NULL;
  T_CHECK(t_write_bytes(path, gz ? wrapped : bytes, size) == 0, "cannot write %s", path);
  free(wrapped);
}

/* The images file: the header claims count images of rows x cols; payload_bytes of pixels. */
static void put_images(bool gz, uint32_t magic, uint32_t count, uint32_t rows, uint32_t cols,
                       size_t payload_bytes) {
  uint32_t dims[3] = {count, rows, cols};
  uint8_t *payload = calloc(payload_bytes + 1, 1);
  memcpy(payload, pixels, payload_bytes < sizeof pixels ? payload_bytes : sizeof pixels);
  size_t size;
  uint8_t *file = t_idx_file(magic, 3, dims, payload, payload_bytes, &size);
  put_file("t10k-images-idx3-ubyte", gz, file, size);
  free(file);
  free(payload);
}

static void put_labels(bool gz, uint32_t magic, uint32_t count, const uint8_t *values, size_t n) {
  size_t size;
  uint8_t *file = t_idx_file(magic, 1, &count, values, n, &size);
  put_file("t10k-labels-idx1-ubyte", gz, file, size);
  free(file);
}

/* A well-formed split of N images, each file plain or gzipped. */
static void put_good_split(bool images_gz, bool labels_gz) {
  remove_split();
  put_images(images_gz, IMAGES_MAGIC, N, 28, 28, sizeof pixels);
  put_labels(labels_gz, LABELS_MAGIC, N, labels, N);
}

static bool contains(const char *text, const char *part) { return strstr(text, part) != NULL; }

/* Loads and expects the status and every listed message fragment (NULL-terminated). */
static void expect_refusal(const char *what, const char *load_dir, int64_t limit, q8_status want,
                           ...) {
  q8_dataset ds;
  q8_error err = {{0}};
  q8_status s = q8_dataset_load(load_dir, "t10k", limit, &ds, &err);
  if (getenv("Q8_TEST_VERBOSE") != NULL) printf("%s: %s\n", what, err.message); /* to read them */
  T_CHECK(s == want, "%s: status %s, expected %s (%s)", what, q8_status_name(s),
          q8_status_name(want), err.message);
  T_CHECK(ds.count == 0 && ds.images == NULL && ds.labels == NULL,
          "%s: a refused load left data behind", what);
  va_list ap;
  va_start(ap, want);
  for (const char *part; (part = va_arg(ap, const char *)) != NULL;)
    T_CHECK(contains(err.message, part), "%s: message lacks '%s': %s", what, part, err.message);
  va_end(ap);
  q8_dataset_free(&ds);
}

static void expect_load(const char *what, int64_t limit, size_t want_count) {
  q8_dataset ds;
  q8_error err = {{0}};
  q8_status s = q8_dataset_load(dir, "t10k", limit, &ds, &err);
  T_CHECK(s == Q8_OK, "%s: %s", what, err.message);
  if (s != Q8_OK) return;
  T_CHECK(ds.count == want_count, "%s: %zu images, expected %zu", what, ds.count, want_count);
  if (ds.count == want_count) {
    T_CHECK(memcmp(ds.images, pixels, want_count * PIXELS) == 0, "%s: pixels differ", what);
    T_CHECK(memcmp(ds.labels, labels, want_count) == 0, "%s: labels differ", what);
  }
  q8_dataset_free(&ds);
  T_CHECK(ds.images == NULL && ds.count == 0, "%s: free leaves the data set empty", what);
}

static void test_loads(void) {
  put_good_split(false, false);
  expect_load("plain files", 0, N);
  expect_load("limit 3", 3, 3);
  expect_load("limit past the end", 100, N);
  if (!q8_dataset_reads_gzip()) {
    put_good_split(true, false);
    expect_refusal("gzip without zlib", dir, 0, Q8_ERROR_IO, "t10k-images-idx3-ubyte.gz",
                   "without zlib", NULL);
    return;
  }
  put_good_split(true, true);
  expect_load("gzipped files", 0, N);
  expect_load("gzipped, limit 2", 2, 2);
  put_good_split(true, false);
  expect_load("one gzipped, one plain", 0, N);
  /* Both forms present: the plain file is read (the .gz here holds a labels file). */
  put_good_split(false, false);
  put_labels(true, LABELS_MAGIC, N, labels, N);
  char from[128], to[128];
  path_of(from, sizeof from, "t10k-labels-idx1-ubyte.gz");
  path_of(to, sizeof to, "t10k-images-idx3-ubyte.gz");
  T_CHECK(rename(from, to) == 0, "rename: %s", strerror(errno));
  expect_load("plain preferred over .gz", 0, N);
}

static void test_missing(void) {
  remove_split();
  char missing_dir[128];
  path_of(missing_dir, sizeof missing_dir, "no-such-dir");
  expect_refusal("missing directory", missing_dir, 0, Q8_ERROR_IO, missing_dir,
                 "apt-get install dataset-fashion-mnist", "--data DIR", NULL);
  expect_refusal("missing images", dir, 0, Q8_ERROR_IO, "t10k-images-idx3-ubyte (or",
                 "apt-get install dataset-fashion-mnist", NULL);
  put_images(false, IMAGES_MAGIC, N, 28, 28, sizeof pixels);
  expect_refusal("missing labels", dir, 0, Q8_ERROR_IO, "t10k-labels-idx1-ubyte (or",
                 "--data DIR", NULL);
  char file_as_dir[128];
  path_of(file_as_dir, sizeof file_as_dir, "t10k-images-idx3-ubyte");
  expect_refusal("a file given as directory", file_as_dir, 0, Q8_ERROR_IO, "not a directory", NULL);
}

static void test_headers(bool gz) {
  const char *where = gz ? "t10k-images-idx3-ubyte.gz" : "t10k-images-idx3-ubyte:";
  put_good_split(gz, gz);
  put_images(gz, LABELS_MAGIC, N, 28, 28, sizeof pixels);
  expect_refusal("labels magic in the images file", dir, 0, Q8_ERROR_MALFORMED, where,
                 "wrong magic number 0x00000801 (a labels file), expected 0x00000803", NULL);
  put_good_split(gz, gz);
  put_labels(gz, 0x00000803, N, labels, N);
  expect_refusal("images magic in the labels file", dir, 0, Q8_ERROR_MALFORMED,
                 "wrong magic number 0x00000803 (an images file), expected 0x00000801", NULL);
  put_good_split(gz, gz);
  put_images(gz, IMAGES_MAGIC, N, 28, 27, sizeof pixels);
  expect_refusal("27 columns", dir, 0, Q8_ERROR_MALFORMED, "28x27 pixels", "expected 28x28", NULL);
  put_good_split(gz, gz);
  put_labels(gz, LABELS_MAGIC, N - 1, labels, N - 1);
  expect_refusal("count mismatch", dir, 0, Q8_ERROR_MALFORMED, "has 5 images but", "has 4 labels",
                 NULL);
  put_good_split(gz, gz);
  put_file("t10k-images-idx3-ubyte", gz, (const uint8_t *)"\0\0\x08\x03\0\0", 6);
  expect_refusal("truncated header", dir, 0, Q8_ERROR_MALFORMED, "truncated",
                 "the header at offset 0 needs 16 bytes, found 6", NULL);
}

static void test_payloads(bool gz) {
  const char *note = gz ? "decompressed" : "";
  put_good_split(gz, gz);
  put_images(gz, IMAGES_MAGIC, N, 28, 28, 4 * PIXELS + 100);
  expect_refusal("truncated images", dir, 0, Q8_ERROR_MALFORMED, "t10k-images-idx3-ubyte",
                 "truncated", "5 images (record 4 of 5 is incomplete) at offset 16 needs 3920 "
                 "bytes, found 3236", note, NULL);
  expect_load("truncated past the limit (not read)", 4, 4);
  put_good_split(gz, gz);
  put_labels(gz, LABELS_MAGIC, N, labels, 3);
  expect_refusal("truncated labels", dir, 0, Q8_ERROR_MALFORMED, "t10k-labels-idx1-ubyte",
                 "5 labels (record 3 of 5 is incomplete) at offset 8 needs 5 bytes, found 3", NULL);
  put_good_split(gz, gz);
  uint8_t bad[N];
  memcpy(bad, labels, N);
  bad[3] = 10;
  put_labels(gz, LABELS_MAGIC, N, bad, N);
  expect_refusal("label 10", dir, 0, Q8_ERROR_MALFORMED, "label 3 (offset 11) is 10",
                 "classes 0..9", NULL);
  expect_load("a bad label past the limit", 3, 3);
  put_good_split(gz, gz);
  put_labels(gz, LABELS_MAGIC, N, labels, N); /* then one byte too many: */
  uint32_t count = N;
  uint8_t extra[N + 1];
  memcpy(extra, labels, N);
  extra[N] = 0;
  size_t size;
  uint8_t *file = t_idx_file(LABELS_MAGIC, 1, &count, extra, N + 1, &size);
  put_file("t10k-labels-idx1-ubyte", gz, file, size);
  free(file);
  expect_refusal("data after the last label", dir, 0, Q8_ERROR_MALFORMED,
                 "has data after its 5 labels (from offset 13 on)", NULL);
  /* A header claiming 4 billion images in a small file: truncated, without a huge allocation
     (under AddressSanitizer such an allocation would abort). */
  put_good_split(gz, gz);
  put_images(gz, IMAGES_MAGIC, 0xFFFFFFF0u, 28, 28, sizeof pixels);
  put_labels(gz, LABELS_MAGIC, 0xFFFFFFF0u, labels, N);
  expect_refusal("4 billion images claimed", dir, 0, Q8_ERROR_MALFORMED, "4294967280 images",
                 "found 3920", NULL);
}

static void test_not_idx(void) {
  put_good_split(false, false);
  put_file("t10k-images-idx3-ubyte", false, (const uint8_t *)"hello, world\n", 13);
  expect_refusal("text file", dir, 0, Q8_ERROR_MALFORMED,
                 "neither gzip-compressed nor an IDX file", "0x68656c6c", NULL);
  put_file("t10k-images-idx3-ubyte", false, (const uint8_t *)"", 0);
  expect_refusal("empty file", dir, 0, Q8_ERROR_MALFORMED, "needs 16 bytes, found 0", NULL);
  if (!q8_dataset_reads_gzip()) return;
  /* gzip magic, then garbage. */
  remove_split();
  put_labels(false, LABELS_MAGIC, N, labels, N);
  static const uint8_t garbage[24] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255, 0xff, 0xff, 0xff, 0xff};
  char path[128];
  path_of(path, sizeof path, "t10k-images-idx3-ubyte.gz");
  T_CHECK(t_write_bytes(path, garbage, sizeof garbage) == 0, "write");
  expect_refusal("gzip garbage", dir, 0, Q8_ERROR_IO, "t10k-images-idx3-ubyte.gz",
                 "corrupt gzip data", NULL);
  /* A gzip file cut in the middle, and one whose CRC does not match. */
  uint32_t dims[3] = {N, 28, 28};
  size_t idx_size, gz_size;
  uint8_t *idx = t_idx_file(IMAGES_MAGIC, 3, dims, pixels, sizeof pixels, &idx_size);
  uint8_t *gz = t_gzip_stored(idx, idx_size, &gz_size);
  T_CHECK(t_write_bytes(path, gz, gz_size / 2) == 0, "write");
  expect_refusal("gzip cut in half", dir, 0, Q8_ERROR_IO, "truncated", NULL);
  gz[gz_size - 8] ^= 1;
  T_CHECK(t_write_bytes(path, gz, gz_size) == 0, "write");
  expect_refusal("gzip CRC mismatch", dir, 0, Q8_ERROR_IO, "corrupt gzip data", NULL);
  free(idx);
  free(gz);
}

static void test_arguments(void) {
  q8_dataset ds;
  q8_error err = {{0}};
  put_good_split(false, false);
  T_CHECK(q8_dataset_load(dir, "test", 0, &ds, &err) == Q8_ERROR_INVALID_ARGUMENT &&
              contains(err.message, "unknown split 'test'"),
          "unknown split: %s", err.message);
  T_CHECK(q8_dataset_load(dir, "t10k", -1, &ds, &err) == Q8_ERROR_INVALID_ARGUMENT &&
              contains(err.message, "negative"),
          "negative limit: %s", err.message);
  T_CHECK(q8_dataset_load(dir, "t10k", 0, NULL, &err) == Q8_ERROR_INVALID_ARGUMENT, "NULL data set");
  q8_dataset_free(NULL);
}

int main(void) {
  uint64_t seed = t_seed(4);
  t_rng rng = {seed};
  for (size_t i = 0; i < sizeof pixels; i++) pixels[i] = (uint8_t)t_rng_next(&rng);
  snprintf(dir, sizeof dir, "/tmp/q8-idx-XXXXXX");
  if (mkdtemp(dir) == NULL) {
    fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
    return 1;
  }
  test_loads();
  test_missing();
  test_headers(false);
  test_payloads(false);
  if (q8_dataset_reads_gzip()) {
    test_headers(true);
    test_payloads(true);
  } else {
    printf("this build has no zlib: the gzipped cases are skipped\n");
  }
  test_not_idx();
  test_arguments();
  remove_split();
  T_CHECK(rmdir(dir) == 0, "temporary directory %s left behind: %s", dir, strerror(errno));
  return t_finish();
}
