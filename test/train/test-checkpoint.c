/* Checkpoints (train/checkpoint.h) on a tiny model and synthetic images: a run stopped mid-way
   (mid-epoch, at an epoch boundary, later), saved, restored into a fresh graph initialised from
   another seed and continued ends bit for bit where an uninterrupted run ends, in float and
   with quantization-aware training (ranges and clocks are state tensors: before the
   quantization delay, after it, past the freezes); info, options,
   generator states and log survive the trip; writing is deterministic. Every refusal, each
   with its message: a missing file, an empty file, truncation at many lengths, flipped bytes
   (magic, version, size, CRC), another version, structure behind a valid CRC, another model,
   other shapes, a graph with more or fewer tensors, other options; a refused restore leaves
   the graph as it was. */
#include <stdlib.h>
#include <string.h>

#include "train/build.h"
#include "train/checkpoint.h"
#include "train/graph.h"
#include "train/qat.h"
#include "train/trainer.h"
#include "util/test-util.h"

enum { SIDE = 8, CLASSES = 4, IMAGES = 52, BATCH = 8 };

static char dir[512];

/* Class k brightens quadrant k; every pixel gets noise. */
static void make_images(uint64_t seed, uint8_t *pixels, uint8_t *labels) {
  t_rng rng = {seed ^ 0xC0FFEEu};
  for (int i = 0; i < IMAGES; i++) {
    const int k = (int)t_rng_range(&rng, 0, CLASSES - 1);
    labels[i] = (uint8_t)k;
    for (int y = 0; y < SIDE; y++) {
      for (int x = 0; x < SIDE; x++) {
        const int quadrant = (y >= SIDE / 2) * 2 + (x >= SIDE / 2);
        const int base = quadrant == k ? 180 : 20;
        pixels[(i * SIDE + y) * SIDE + x] = (uint8_t)(base + t_rng_range(&rng, 0, 60));
      }
    }
  }
}

/* conv(filters) + BN + ReLU6, optionally a second conv, gap, fc, loss. */
typedef struct net_shape {
  int32_t filters;
  bool second_conv;
} net_shape;

static q8t_graph *tiny_net(net_shape shape, uint64_t init_seed) {
  q8t_graph *g;
  q8_error err;
  const q8t_graph_options o = {.batch = BATCH, .threads = 1};
  if (q8t_graph_init(&o, &g, &err) != Q8_OK) {
    T_CHECK(0, "graph init: %s", err.message);
    return NULL;
  }
  const q8t_window w3 = {3, 3, 1, 1, Q8_PADDING_SAME};
  int32_t x = q8t_input(g, "input", SIDE, SIDE, 1);
  x = q8t_conv(g, "conv1", x, shape.filters, w3, false, Q8_ACT_NONE);
  x = q8t_batch_norm(g, "conv1/bn", x, Q8_ACT_RELU6);
  if (shape.second_conv) x = q8t_conv(g, "conv2", x, shape.filters, w3, true, Q8_ACT_RELU);
  x = q8t_fully_connected(g, "fc", q8t_global_avg_pool(g, "gap", x), CLASSES, true, Q8_ACT_NONE);
  q8t_softmax_cross_entropy(g, "loss", x);
  T_CHECK(q8t_graph_allocate(g) == Q8_OK, "allocate: %s", g->error.message);
  q8t_graph_init_parameters(g, init_seed);
  return g;
}

static const net_shape standard = {6, false};

/* The tiny net rewritten for quantization-aware training: quantization after a delay, batch
   norm and ranges frozen mid-run (the schedule is the nodes' attributes, which the caller
   rebuilds; the clocks and ranges are state tensors, which the checkpoint carries).
   data != NULL: ranges calibrated on its first images. */
static q8t_graph *tiny_qat_net(uint64_t init_seed, const q8t_images *data) {
  q8t_graph *g = tiny_net(standard, init_seed);
  q8t_qat_options o = q8t_qat_defaults();
  o.quant_delay = 2;
  o.bn_freeze_step = 9;
  o.range_freeze_step = 10;
  o.ema_decay = 0.9f;
  q8_error err;
  T_CHECK(q8t_qat_prepare(g, &o, &err) == Q8_OK, "QAT prepare: %s", err.message);
  if (data != NULL) {
    T_CHECK(q8t_qat_calibrate(g, data, 16, &err) == Q8_OK, "QAT calibrate: %s", err.message);
  }
  return g;
}

/* Every parameter value, momentum and state value, in tensor order. */
static size_t state_bytes(const q8t_graph *g, uint8_t *out) {
  size_t n = 0;
  for (int32_t i = 0; i < g->n_tensors; i++) {
    const q8t_tensor *t = &g->tensors[i];
    if (t->role != Q8T_ROLE_PARAMETER && t->role != Q8T_ROLE_STATE) continue;
    const size_t bytes = q8t_tensor_count(t) * sizeof(float);
    if (out != NULL) memcpy(out + n, t->data, bytes);
    n += bytes;
    if (t->momentum != NULL) {
      if (out != NULL) memcpy(out + n, t->momentum, bytes);
      n += bytes;
    }
  }
  return n;
}

static uint8_t *snapshot(const q8t_graph *g, size_t *n) {
  *n = state_bytes(g, NULL);
  uint8_t *bytes = malloc(*n);
  state_bytes(g, bytes);
  return bytes;
}

typedef struct stopper {
  int64_t stop_after; /* steps done when training stops */
} stopper;

static bool stop_when_done(void *user, const q8t_step_report *r) {
  return r->step + 1 < ((stopper *)user)->stop_after;
}

static q8t_train_options options_for(uint64_t seed) {
  q8t_train_options o = q8t_train_recipe();
  o.epochs = 2;
  o.seed = seed;
  return o;
}

static void fill_info(q8t_checkpoint_info *info, uint64_t seed, int64_t step) {
  memset(info, 0, sizeof *info);
  q8_error err;
  snprintf(info->model, sizeof info->model, "tiny");
  info->phase = Q8T_PHASE_FLOAT;
  info->step = step;
  info->epoch = (int32_t)(step / ((IMAGES + BATCH - 1) / BATCH));
  info->progress =
      (q8t_epoch_progress){.loss_sum = 12.5, .correct = 7, .images = 16, .seconds = 0.25};
  T_CHECK(q8t_checkpoint_add_option(info, &err, "seed", "%llu", (unsigned long long)seed) == Q8_OK,
          "%s", err.message);
  T_CHECK(q8t_checkpoint_add_option(info, &err, "batch", "%d", BATCH) == Q8_OK, "%s", err.message);
  T_CHECK(q8t_checkpoint_add_option(info, &err, "lr", "%.9g", 0.05f) == Q8_OK, "%s", err.message);
  info->n_rngs = 1;
  snprintf(info->rngs[0].name, sizeof info->rngs[0].name, "augment");
  q8t_rng_seed(&info->rngs[0].rng, seed, 7);
  info->log = "phase,epoch\nfloat,1\n";
  info->log_size = strlen(info->log);
}

static void path_of(char *out, size_t room, const char *name) {
  snprintf(out, room, "%s/%s", dir, name);
}

/* Trains uninterrupted, then stopped after stop_after steps, checkpointed, restored into a
   fresh graph (other initial weights) and continued: the bytes must agree. */
static void resume_equals_straight(const q8t_images *data, uint64_t seed, int64_t stop_after,
                                   bool qat) {
  q8_error err;
  q8t_train_result result;
  q8t_train_options opt = options_for(seed);
  q8t_graph *straight = qat ? tiny_qat_net(seed, data) : tiny_net(standard, seed);
  T_CHECK(q8t_train(straight, data, &opt, &result, &err) == Q8_OK, "%s", err.message);
  size_t n_straight;
  uint8_t *want = snapshot(straight, &n_straight);
  const int64_t total = result.steps;

  q8t_graph *first = qat ? tiny_qat_net(seed, data) : tiny_net(standard, seed);
  stopper stop = {stop_after};
  opt.on_step = stop_when_done;
  opt.user = &stop;
  T_CHECK(q8t_train(first, data, &opt, &result, &err) == Q8_OK && result.stopped &&
              result.steps == stop_after,
          "stopped run: %s, %lld steps", err.message, (long long)result.steps);
  char path[600];
  path_of(path, sizeof path, "resume.ckpt");
  q8t_checkpoint_info info;
  fill_info(&info, seed, result.steps);
  T_CHECK(q8t_checkpoint_write(path, first, &info, &err) == Q8_OK, "write: %s", err.message);
  q8t_graph_free(first);

  /* Other initial weights; for QAT rewritten, not calibrated (the checkpoint has the ranges). */
  q8t_graph *second = qat ? tiny_qat_net(seed + 99, NULL) : tiny_net(standard, seed + 99);
  q8t_checkpoint *ck = NULL;
  T_CHECK(q8t_checkpoint_read(path, &ck, &err) == Q8_OK, "read: %s", err.message);
  if (ck != NULL) {
    T_CHECK(q8t_checkpoint_check(ck, "tiny", info.options, info.n_options, &err) == Q8_OK,
            "check: %s", err.message);
    T_CHECK(q8t_checkpoint_restore(ck, second, &err) == Q8_OK, "restore: %s", err.message);
    opt.on_step = NULL;
    opt.start_step = q8t_checkpoint_get_info(ck)->step;
    T_CHECK(q8t_train(second, data, &opt, &result, &err) == Q8_OK && result.steps == total,
            "continued: %s, %lld steps", err.message, (long long)result.steps);
    size_t n_resumed;
    uint8_t *got = snapshot(second, &n_resumed);
    T_CHECK(n_resumed == n_straight && memcmp(got, want, n_straight) == 0,
            "%s: stopped after %lld of %lld steps, checkpointed and resumed in a fresh graph: "
            "the weights, momentum and state differ from an uninterrupted run",
            qat ? "QAT" : "float", (long long)stop_after, (long long)total);
    free(got);
  }
  q8t_checkpoint_free(ck);
  q8t_graph_free(second);
  q8t_graph_free(straight);
  free(want);
}

static void info_round_trip(const q8t_graph *g, uint64_t seed) {
  q8_error err;
  char path[600], again[600];
  path_of(path, sizeof path, "info.ckpt");
  path_of(again, sizeof again, "info-again.ckpt");
  q8t_checkpoint_info info;
  fill_info(&info, seed, 9);
  info.phase = Q8T_PHASE_QAT;
  T_CHECK(q8t_checkpoint_write(path, g, &info, &err) == Q8_OK, "%s", err.message);
  T_CHECK(q8t_checkpoint_write(again, g, &info, &err) == Q8_OK, "%s", err.message);
  size_t a_size = 0, b_size = 0;
  uint8_t *a = t_read_file(path, &a_size), *b = t_read_file(again, &b_size);
  T_CHECK(a != NULL && b != NULL && a_size == b_size && memcmp(a, b, a_size) == 0,
          "two writes of one state differ");
  free(a);
  free(b);
  q8t_checkpoint *ck = NULL;
  T_CHECK(q8t_checkpoint_read(path, &ck, &err) == Q8_OK, "%s", err.message);
  if (ck == NULL) return;
  const q8t_checkpoint_info *got = q8t_checkpoint_get_info(ck);
  T_CHECK(strcmp(got->model, "tiny") == 0 && got->phase == Q8T_PHASE_QAT && got->step == 9 &&
              got->epoch == info.epoch,
          "model '%s', phase %d, step %lld, epoch %d", got->model, (int)got->phase,
          (long long)got->step, (int)got->epoch);
  T_CHECK(memcmp(&got->progress, &info.progress, sizeof info.progress) == 0, "epoch progress");
  T_CHECK(got->n_options == 3 && strcmp(got->options[2].key, "lr") == 0 &&
              strcmp(got->options[2].value, "0.0500000007") == 0,
          "options: %d, lr '%s'", (int)got->n_options, got->options[2].value);
  T_CHECK(got->n_rngs == 1 && strcmp(got->rngs[0].name, "augment") == 0 &&
              memcmp(&got->rngs[0].rng, &info.rngs[0].rng, sizeof(q8t_rng)) == 0,
          "generator state");
  T_CHECK(got->log_size == info.log_size && memcmp(got->log, info.log, info.log_size) == 0,
          "log text");
  q8t_checkpoint_free(ck);
}

/* ---- refusals ---- */

static void write_bytes(const char *path, const uint8_t *bytes, size_t n) {
  FILE *f = fopen(path, "wb");
  T_CHECK(f != NULL, "cannot write %s", path);
  if (f == NULL) return;
  fwrite(bytes, 1, n, f);
  fclose(f);
}

/* Reading path must fail with status and a message containing text. */
static void refused(const char *what, const char *path, q8_status status, const char *text) {
  q8t_checkpoint *ck = NULL;
  q8_error err = {""};
  const q8_status st = q8t_checkpoint_read(path, &ck, &err);
  T_CHECK(st == status && ck == NULL && strstr(err.message, text) != NULL &&
              strstr(err.message, path) != NULL,
          "%s: status %s (expected %s), message '%s' (expected '%s' and the file's name)", what,
          q8_status_name(st), q8_status_name(status), err.message, text);
  q8t_checkpoint_free(ck);
}

static void put_u32_le(uint8_t *p, uint32_t v) {
  for (int k = 0; k < 4; k++) p[k] = (uint8_t)(v >> (8 * k));
}

/* Recomputes the CRC after an edit, so the structure checks behind it are reached. */
static void reseal(uint8_t *bytes, size_t n) {
  put_u32_le(bytes + n - 4, q8t_crc32(0, bytes, n - 4));
}

static size_t find_bytes(const uint8_t *hay, size_t n, const char *needle) {
  const size_t k = strlen(needle);
  for (size_t i = 0; i + k <= n; i++) {
    if (memcmp(hay + i, needle, k) == 0) return i;
  }
  return SIZE_MAX;
}

static void corrupt_files(const q8t_graph *g, uint64_t seed) {
  q8_error err;
  char path[600], bad[600];
  path_of(path, sizeof path, "good.ckpt");
  path_of(bad, sizeof bad, "bad.ckpt");
  q8t_checkpoint_info info;
  fill_info(&info, seed, 3);
  T_CHECK(q8t_checkpoint_write(path, g, &info, &err) == Q8_OK, "%s", err.message);
  size_t n = 0;
  uint8_t *good = t_read_file(path, &n);
  if (good == NULL) return;
  uint8_t *copy = malloc(n);

  char missing[600];
  path_of(missing, sizeof missing, "absent.ckpt");
  refused("missing file", missing, Q8_ERROR_IO, "cannot open");
  write_bytes(bad, good, 0);
  refused("empty file", bad, Q8_ERROR_MALFORMED, "(empty file)");

  /* Truncation: every length up to 80, then every 61st, then the last 8. */
  int truncations = 0;
  for (size_t len = 1; len < n; len += len < 80 || len + 8 >= n ? 1 : 61) {
    write_bytes(bad, good, len);
    const char *text = len < 8 ? "not a q8 checkpoint" : "is truncated";
    char what[64];
    snprintf(what, sizeof what, "truncated to %zu of %zu bytes", len, n);
    refused(what, bad, Q8_ERROR_MALFORMED, text);
    truncations++;
  }
  printf("%d truncations of a %zu-byte checkpoint refused\n", truncations, n);

  /* One flipped bit at spread-out offsets: the check that guards each region speaks. */
  t_rng rng = {seed};
  int flips = 0;
  for (size_t at = 0; at < n; at += at < 32 ? 1 : 29 + (size_t)t_rng_range(&rng, 0, 20)) {
    memcpy(copy, good, n);
    copy[at] ^= (uint8_t)(1u << t_rng_range(&rng, 0, 7));
    write_bytes(bad, copy, n);
    char what[64];
    snprintf(what, sizeof what, "bit flipped at offset %zu", at);
    if (at < 8) {
      refused(what, bad, Q8_ERROR_MALFORMED, "not a q8 checkpoint: offset 0: magic");
    } else if (at < 12) {
      refused(what, bad, Q8_ERROR_UNSUPPORTED, "offset 8: version");
    } else if (at >= 16 && at < 24) {
      refused(what, bad, Q8_ERROR_MALFORMED, "header (offset 16) records");
    } else {
      refused(what, bad, Q8_ERROR_MALFORMED, "CRC-32 mismatch");
    }
    flips++;
  }
  printf("%d flipped bits refused\n", flips);

  memcpy(copy, good, n);
  memcpy(copy, "PK\3\4abcd", 8);
  write_bytes(bad, copy, n);
  refused("a zip file's magic", bad, Q8_ERROR_MALFORMED, "magic 504b030461626364, expected 89");
  memcpy(copy, good, n);
  put_u32_le(copy + 8, 2);
  reseal(copy, n);
  write_bytes(bad, copy, n);
  refused("version 2", bad, Q8_ERROR_UNSUPPORTED, "version 2, this q8 reads version 1");
  uint8_t *longer = malloc(n + 3);
  memcpy(longer, good, n);
  memcpy(longer + n, "xyz", 3);
  write_bytes(bad, longer, n + 3);
  refused("bytes appended", bad, Q8_ERROR_MALFORMED, "bytes appended");
  free(longer);

  /* Structure behind a valid CRC. */
  const size_t rank_at = find_bytes(good, n, "conv1/weights") + strlen("conv1/weights") + 8;
  memcpy(copy, good, n);
  put_u32_le(copy + rank_at, 9);
  reseal(copy, n);
  write_bytes(bad, copy, n);
  refused("rank 9", bad, Q8_ERROR_MALFORMED, "tensor 'conv1/weights': rank 9, at most 4");
  memcpy(copy, good, n);
  put_u32_le(copy + rank_at + 4, 7); /* the first dimension: 7 filters for 6 filters' bytes */
  reseal(copy, n);
  write_bytes(bad, copy, n);
  refused("shape and size disagree", bad, Q8_ERROR_MALFORMED, "bytes per buffer, its shape needs");
  const size_t phase_at = 24 + 2 + strlen("tiny"); /* after the fixed header and the model */
  memcpy(copy, good, n);
  put_u32_le(copy + phase_at, 5);
  reseal(copy, n);
  write_bytes(bad, copy, n);
  refused("phase 5", bad, Q8_ERROR_MALFORMED, "phase 5, expected 0 (float) or 1 (qat)");
  free(copy);
  free(good);
}

/* A mismatched graph or options: refused by name, the graph untouched. */
static void mismatches(const q8t_graph *g, uint64_t seed) {
  q8_error err;
  char path[600];
  path_of(path, sizeof path, "mismatch.ckpt");
  q8t_checkpoint_info info;
  fill_info(&info, seed, 3);
  T_CHECK(q8t_checkpoint_write(path, g, &info, &err) == Q8_OK, "%s", err.message);
  q8t_checkpoint *ck = NULL;
  T_CHECK(q8t_checkpoint_read(path, &ck, &err) == Q8_OK, "%s", err.message);
  if (ck == NULL) return;

  T_CHECK(q8t_checkpoint_check(ck, "fm-cnn", info.options, info.n_options, &err) ==
                  Q8_ERROR_INVALID_ARGUMENT &&
              strstr(err.message, "written for model 'tiny', this run trains 'fm-cnn'") != NULL,
          "other model: %s", err.message);
  q8t_checkpoint_info other = info;
  snprintf(other.options[0].value, sizeof other.options[0].value, "%llu",
           (unsigned long long)seed + 1);
  T_CHECK(q8t_checkpoint_check(ck, "tiny", other.options, other.n_options, &err) ==
                  Q8_ERROR_INVALID_ARGUMENT &&
              strstr(err.message, "option 'seed' is") != NULL,
          "other seed: %s", err.message);
  other = info;
  other.n_options = 2;
  T_CHECK(q8t_checkpoint_check(ck, "tiny", other.options, other.n_options, &err) ==
                  Q8_ERROR_INVALID_ARGUMENT &&
              strstr(err.message,
                     "records option 'lr' = 0.0500000007, which this run does not "
                     "have") != NULL,
          "option the run lacks: %s", err.message);
  T_CHECK(q8t_checkpoint_add_option(&other, &err, "lr", "0.05") == Q8_OK &&
              q8t_checkpoint_add_option(&other, &err, "wbits", "4") == Q8_OK,
          "%s", err.message);
  T_CHECK(q8t_checkpoint_check(ck, "tiny", other.options, other.n_options, &err) ==
                  Q8_ERROR_INVALID_ARGUMENT &&
              strstr(err.message, "option 'lr' is 0.0500000007 there, 0.05 in this run") != NULL,
          "lr as other text: %s", err.message);
  other.options[2] = info.options[2];
  T_CHECK(q8t_checkpoint_check(ck, "tiny", other.options, other.n_options, &err) ==
                  Q8_ERROR_INVALID_ARGUMENT &&
              strstr(err.message, "does not record option 'wbits'") != NULL,
          "option the checkpoint lacks: %s", err.message);

  struct {
    const char *what;
    net_shape shape;
    const char *text;
  } graphs[] = {
      {"more filters", {8, false}, "tensor 'conv1/weights' (offset "},
      {"an extra layer", {6, true}, "has no tensor 'conv2/weights' (a parameter of this run"},
  };
  for (int i = 0; i < 2; i++) {
    q8t_graph *h = tiny_net(graphs[i].shape, seed + 5);
    size_t before_n, after_n;
    uint8_t *before = snapshot(h, &before_n);
    T_CHECK(q8t_checkpoint_restore(ck, h, &err) == Q8_ERROR_INVALID_ARGUMENT &&
                strstr(err.message, graphs[i].text) != NULL,
            "%s: %s", graphs[i].what, err.message);
    uint8_t *after = snapshot(h, &after_n);
    T_CHECK(before_n == after_n && memcmp(before, after, before_n) == 0,
            "%s: a refused restore changed the graph", graphs[i].what);
    free(before);
    free(after);
    q8t_graph_free(h);
  }
  q8t_graph *h = tiny_net((net_shape){8, false}, seed);
  q8t_checkpoint_restore(ck, h, &err);
  T_CHECK(strstr(err.message,
                 "is a parameter float32 [6,3,3,1] with momentum there, this graph "
                 "has a parameter float32 [8,3,3,1] with momentum") != NULL,
          "shape message: %s", err.message);
  q8t_graph_free(h);
  q8t_checkpoint_free(ck);

  /* A checkpoint of the bigger graph has a tensor the standard one lacks. */
  q8t_graph *big = tiny_net((net_shape){6, true}, seed);
  T_CHECK(q8t_checkpoint_write(path, big, &info, &err) == Q8_OK, "%s", err.message);
  q8t_graph_free(big);
  T_CHECK(q8t_checkpoint_read(path, &ck, &err) == Q8_OK, "%s", err.message);
  q8t_graph *small = tiny_net(standard, seed);
  T_CHECK(q8t_checkpoint_restore(ck, small, &err) == Q8_ERROR_INVALID_ARGUMENT &&
              strstr(err.message, "tensor 'conv2/weights' (offset ") != NULL &&
              strstr(err.message, "is not a parameter or state of this run's graph") != NULL,
          "extra tensor: %s", err.message);
  q8t_graph_free(small);
  q8t_checkpoint_free(ck);
}

static void option_limits(void) {
  q8t_checkpoint_info info;
  memset(&info, 0, sizeof info);
  q8_error err;
  T_CHECK(q8t_checkpoint_add_option(&info, &err, "seed", "1") == Q8_OK, "%s", err.message);
  T_CHECK(q8t_checkpoint_add_option(&info, &err, "seed", "2") == Q8_ERROR_INVALID_ARGUMENT &&
              strstr(err.message, "given twice") != NULL,
          "duplicate key: %s", err.message);
  char big[200];
  memset(big, 'v', sizeof big - 1);
  big[sizeof big - 1] = 0;
  T_CHECK(q8t_checkpoint_add_option(&info, &err, "long", "%s", big) == Q8_ERROR_INVALID_ARGUMENT,
          "a value too long is accepted");
  T_CHECK(info.n_options == 1, "%d options after refusals", (int)info.n_options);
}

int main(void) {
  const uint64_t seed = t_seed(5);
  T_CHECK(q8t_crc32(0, "123456789", 9) == 0xCBF43926u, "CRC-32 check value: 0x%08x",
          q8t_crc32(0, "123456789", 9));
  T_CHECK(q8t_crc32(q8t_crc32(0, "1234", 4), "56789", 5) == 0xCBF43926u, "CRC-32 in pieces");
  snprintf(dir, sizeof dir, "%s/test-checkpoint-XXXXXX", Q8_BINARY_DIR);
  if (mkdtemp(dir) == NULL) {
    T_CHECK(0, "mkdtemp %s", dir);
    return t_finish();
  }
  uint8_t pixels[IMAGES * SIDE * SIDE], labels[IMAGES];
  make_images(seed, pixels, labels);
  const q8t_images data = {pixels, labels, IMAGES, SIDE, SIDE, 1};
  const int64_t steps_per_epoch = (IMAGES + BATCH - 1) / BATCH;
  for (int qat = 0; qat <= 1; qat++) {
    resume_equals_straight(&data, seed, 1, qat);                   /* before quantization */
    resume_equals_straight(&data, seed, 3, qat);                   /* mid-epoch */
    resume_equals_straight(&data, seed, steps_per_epoch, qat);     /* at the epoch boundary */
    resume_equals_straight(&data, seed, steps_per_epoch + 2, qat); /* past the freezes */
  }
  q8t_graph *g = tiny_net(standard, seed);
  info_round_trip(g, seed);
  corrupt_files(g, seed);
  mismatches(g, seed);
  option_limits();
  q8t_graph_free(g);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (t_checks_failed == 0 && system(cmd) != 0) printf("note: could not remove %s\n", dir);
  return t_finish();
}
