/* TFLite reader robustness: every truncation fails cleanly; random corruption never crashes. */
#include <dirent.h>
#include <float.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "tflite/reader.h"
#include "util/test-util.h"

/* Files under this size get every truncation length; larger ones a sample. */
#define SMALL_MODEL_BYTES (100 * 1024)
#define LARGE_TRUNCATIONS 400
#define MUTATIONS_PER_MODEL 4000

typedef struct model_file {
  char name[256];
  uint8_t *data;
  size_t size;
} model_file;

static bool known_status(q8_status s) {
  return s == Q8_ERROR_MALFORMED || s == Q8_ERROR_UNSUPPORTED || s == Q8_ERROR_INVALID_MODEL ||
         s == Q8_ERROR_OUT_OF_MEMORY;
}

/* A graph the reader accepted must be internally consistent: what later layers rely on. */
static bool graph_consistent(const q8_graph *g, const uint8_t *data, size_t size, char *why,
                             size_t why_size) {
  for (int32_t i = 0; i < g->n_tensors; i++) {
    const q8_tensor *t = &g->tensors[i];
    if (t->name == NULL || t->rank < 0 || t->rank > Q8_MAX_RANK) {
      snprintf(why, why_size, "tensor %d name/rank", i);
      return false;
    }
    size_t elements = q8_tensor_elements(t);
    if (elements == 0 || elements * q8_type_size(t->type) > INT32_MAX) {
      snprintf(why, why_size, "tensor %d has %zu elements", i, elements);
      return false;
    }
    if (t->data != NULL) {
      const uint8_t *p = t->data;
      if (p < data || t->data_size > size || (size_t)(p - data) > size - t->data_size ||
          t->data_size != elements * q8_type_size(t->type)) {
        snprintf(why, why_size, "tensor %d constant data outside the file or wrong size", i);
        return false;
      }
    }
    const q8_quant *q = &t->quant;
    if (q->count < 0 || (q->count > 1 && (q->axis < 0 || q->axis >= t->rank ||
                                          t->dims[q->axis] != q->count))) {
      snprintf(why, why_size, "tensor %d quantization count %d axis %d", i, q->count, q->axis);
      return false;
    }
    for (int32_t c = 0; c < q->count; c++) {
      if (!(q->scale[c] > 0.0f) || q->scale[c] > FLT_MAX) {
        snprintf(why, why_size, "tensor %d scale %d", i, c);
        return false;
      }
    }
  }
  for (int32_t n = 0; n < g->n_nodes; n++) {
    const q8_node *node = &g->nodes[n];
    if ((unsigned)node->kind >= Q8_OP_COUNT || node->n_inputs > Q8_MAX_NODE_INPUTS) {
      snprintf(why, why_size, "node %d kind/inputs", n);
      return false;
    }
    for (int32_t k = 0; k < node->n_inputs; k++) {
      if (node->inputs[k] < -1 || node->inputs[k] >= g->n_tensors) {
        snprintf(why, why_size, "node %d input %d", n, k);
        return false;
      }
    }
    for (int32_t k = 0; k < node->n_outputs; k++) {
      if (node->outputs[k] < 0 || node->outputs[k] >= g->n_tensors) {
        snprintf(why, why_size, "node %d output %d", n, k);
        return false;
      }
    }
  }
  for (int32_t k = 0; k < g->n_inputs; k++) {
    if (g->inputs[k] < 0 || g->inputs[k] >= g->n_tensors) return false;
  }
  for (int32_t k = 0; k < g->n_outputs; k++) {
    if (g->outputs[k] < 0 || g->outputs[k] >= g->n_tensors) return false;
  }
  return true;
}

/* Two decodings of the same model agree field by field (data compared by file offset). */
static bool graphs_equal(const q8_graph *a, const uint8_t *base_a, const q8_graph *b,
                         const uint8_t *base_b) {
  if (a->n_tensors != b->n_tensors || a->n_nodes != b->n_nodes || a->n_inputs != b->n_inputs ||
      a->n_outputs != b->n_outputs) {
    return false;
  }
  for (int32_t i = 0; i < a->n_tensors; i++) {
    const q8_tensor *x = &a->tensors[i], *y = &b->tensors[i];
    if (strcmp(x->name, y->name) != 0 || x->type != y->type || x->rank != y->rank ||
        memcmp(x->dims, y->dims, sizeof x->dims) != 0 || x->quant.count != y->quant.count ||
        x->quant.axis != y->quant.axis || x->data_size != y->data_size ||
        (x->data == NULL) != (y->data == NULL)) {
      return false;
    }
    if (x->data != NULL &&
        (const uint8_t *)x->data - base_a != (const uint8_t *)y->data - base_b) {
      return false;
    }
    for (int32_t c = 0; c < x->quant.count; c++) {
      if (x->quant.scale[c] != y->quant.scale[c] ||
          x->quant.zero_point[c] != y->quant.zero_point[c]) {
        return false;
      }
    }
  }
  for (int32_t n = 0; n < a->n_nodes; n++) {
    const q8_node *x = &a->nodes[n], *y = &b->nodes[n];
    if (x->kind != y->kind || x->version != y->version || x->n_inputs != y->n_inputs ||
        x->n_outputs != y->n_outputs ||
        memcmp(x->inputs, y->inputs, sizeof *x->inputs * (size_t)x->n_inputs) != 0 ||
        memcmp(x->outputs, y->outputs, sizeof *x->outputs * (size_t)x->n_outputs) != 0 ||
        memcmp(&x->opt, &y->opt, sizeof x->opt) != 0) {
      return false;
    }
  }
  return memcmp(a->inputs, b->inputs, sizeof *a->inputs * (size_t)a->n_inputs) == 0 &&
         memcmp(a->outputs, b->outputs, sizeof *a->outputs * (size_t)a->n_outputs) == 0;
}

/* Reads a private exact-size copy (so that ASan flags any read past its end).
   When reference is not NULL, an accepted file must also decode exactly like it. */
static q8_status read_copy(const uint8_t *data, size_t size, bool *consistent, char *why,
                           size_t why_size, q8_error *err, const q8_graph *reference) {
  uint8_t *copy = malloc(size ? size : 1);
  memcpy(copy, data, size);
  q8_graph *g = NULL;
  err->message[0] = '\0';
  q8_status s = q8_tflite_read(copy, size, &g, err);
  *consistent = s != Q8_OK || graph_consistent(g, copy, size, why, why_size);
  if (s == Q8_OK && *consistent && reference != NULL && !graphs_equal(g, copy, reference, data)) {
    *consistent = false;
    snprintf(why, why_size, "decodes differently from the whole file");
  }
  q8_graph_free(g);
  free(copy);
  return s;
}

/* A truncated file fails with a message, unless only bytes no decoded field refers to were cut
   (converters leave alignment padding at the end): then it decodes exactly like the whole. */
static void truncations(const model_file *m, t_rng *rng) {
  q8_graph *whole = NULL;
  q8_error err;
  if (q8_tflite_read(m->data, m->size, &whole, &err) != Q8_OK) return;
  int tried = 0, rejected = 0, same = 0;
  size_t shortest_accepted = m->size;
  bool all = m->size < SMALL_MODEL_BYTES;
  size_t count = all ? m->size : LARGE_TRUNCATIONS;
  for (size_t i = 0; i < count; i++) {
    size_t len = all ? i : (size_t)t_rng_range(rng, 0, (int64_t)m->size - 1);
    if (!all && i < 16) len = m->size - 1 - i; /* the last bytes, always */
    bool consistent;
    char why[128] = "";
    q8_status s = read_copy(m->data, len, &consistent, why, sizeof why, &err, whole);
    tried++;
    if (s == Q8_OK) {
      same += consistent;
      if (len < shortest_accepted) shortest_accepted = len;
      if (!consistent) T_CHECK(consistent, "%s truncated to %zu: %s", m->name, len, why);
    } else {
      bool ok = known_status(s) && err.message[0] != '\0';
      rejected += ok;
      if (!ok) T_CHECK(ok, "%s truncated to %zu: %s '%s'", m->name, len, q8_status_name(s),
                       err.message);
    }
  }
  /* Only a tail can be dropped: everything shorter than the shortest accepted length fails. */
  if (all) {
    T_CHECK(rejected == (int)shortest_accepted, "%s: %d rejected, shortest accepted %zu",
            m->name, rejected, shortest_accepted);
    T_CHECK(m->size - shortest_accepted < 16, "%s: %zu trailing bytes unused", m->name,
            m->size - shortest_accepted);
  }
  T_CHECK(rejected + same == tried, "%s: %d truncations: %d rejected, %d decode like the whole",
          m->name, tried, rejected, same);
  q8_graph_free(whole);
}

/* One random change: a byte, a 32-bit value (offsets and lengths), or a bit. */
static void mutate(uint8_t *data, size_t size, t_rng *rng) {
  size_t pos = (size_t)t_rng_range(rng, 0, (int64_t)size - 1);
  switch (t_rng_range(rng, 0, 3)) {
    case 0: data[pos] = (uint8_t)t_rng_next(rng); break;
    case 1: data[pos] ^= (uint8_t)(1u << t_rng_range(rng, 0, 7)); break;
    case 2: {
      static const uint32_t special[] = {0, 1, 0x7fffffffu, 0x80000000u, 0xffffffffu, 0xfffffffcu,
                                         4, 8, 0x10000u};
      uint32_t v = special[t_rng_range(rng, 0, 8)];
      pos &= ~(size_t)3;
      for (int k = 0; k < 4 && pos + (size_t)k < size; k++) data[pos + k] = (uint8_t)(v >> (8 * k));
      break;
    }
    default: {
      pos &= ~(size_t)3;
      uint32_t delta = (uint32_t)t_rng_range(rng, -64, 64);
      if (pos + 4 <= size) {
        uint32_t v = (uint32_t)data[pos] | (uint32_t)data[pos + 1] << 8 |
                     (uint32_t)data[pos + 2] << 16 | (uint32_t)data[pos + 3] << 24;
        v += delta;
        for (int k = 0; k < 4; k++) data[pos + k] = (uint8_t)(v >> (8 * k));
      }
      break;
    }
  }
}

static void corruptions(const model_file *m, t_rng *rng, int *accepted, int *rejected) {
  uint8_t *work = malloc(m->size);
  for (int i = 0; i < MUTATIONS_PER_MODEL; i++) {
    memcpy(work, m->data, m->size);
    int changes = (int)t_rng_range(rng, 1, 4);
    for (int c = 0; c < changes; c++) mutate(work, m->size, rng);
    bool consistent;
    char why[128] = "";
    q8_error err;
    q8_status s = read_copy(work, m->size, &consistent, why, sizeof why, &err, NULL);
    if (s == Q8_OK) {
      (*accepted)++;
      if (!consistent) T_CHECK(consistent, "%s mutation %d accepted but %s", m->name, i, why);
    } else {
      (*rejected)++;
      bool ok = known_status(s) && err.message[0] != '\0';
      if (!ok) T_CHECK(ok, "%s mutation %d: %s '%s'", m->name, i, q8_status_name(s), err.message);
    }
  }
  free(work);
}

static bool add_model(model_file *models, int *n, int max, const char *rel) {
  char path[1024];
  if (*n >= max || t_testdata_path(rel, path, sizeof path) == NULL) return false;
  models[*n].data = t_read_file(path, &models[*n].size);
  T_CHECK(models[*n].data != NULL, "read %s", rel);
  if (models[*n].data == NULL) return false;
  snprintf(models[*n].name, sizeof models[*n].name, "%s", rel);
  (*n)++;
  return true;
}

/* The five tflite/ models and every ops/<case>/model.tflite. */
static int load_models(model_file *models, int max) {
  static const char *const tflite[] = {"hello_world_int8.tflite", "micro_speech_quantized.tflite",
                                       "network_tester_dwconv_int8.tflite", "person_detect.tflite",
                                       "mobilenet_v1_0.5_160_quant.tflite"};
  int n = 0;
  char rel[512], dir[1024];
  for (size_t i = 0; i < sizeof tflite / sizeof tflite[0]; i++) {
    snprintf(rel, sizeof rel, "tflite/%s", tflite[i]);
    add_model(models, &n, max, rel);
  }
  if (t_testdata_path("ops", dir, sizeof dir) == NULL) return n;
  DIR *d = opendir(dir);
  if (d == NULL) return n;
  for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    snprintf(rel, sizeof rel, "ops/%.200s/model.tflite", e->d_name);
    char path[1024];
    FILE *f = fopen(t_testdata_path(rel, path, sizeof path), "rb");
    if (f == NULL) continue; /* README.md and anything else without a model */
    fclose(f);
    add_model(models, &n, max, rel);
  }
  closedir(d);
  return n;
}

int main(void) {
  static model_file models[64];
  int n = load_models(models, 64);
  printf("%d models\n", n);
  if (n == 0) return t_skip("tflite/test-reader-fuzz", "shared test models are absent");
  t_rng rng = {t_seed(20240607)};
  int accepted = 0, rejected = 0;
  for (int i = 0; i < n; i++) {
    /* The untouched file must load, or the rest means nothing. */
    bool consistent;
    char why[128] = "";
    q8_error err;
    q8_status s = read_copy(models[i].data, models[i].size, &consistent, why, sizeof why, &err,
                               NULL);
    T_CHECK(s == Q8_OK && consistent, "%s loads: %s %s %s", models[i].name, q8_status_name(s),
            err.message, why);
    truncations(&models[i], &rng);
    if (models[i].size < SMALL_MODEL_BYTES) corruptions(&models[i], &rng, &accepted, &rejected);
  }
  printf("corruptions: %d accepted (consistent graphs), %d rejected with a message\n", accepted,
         rejected);
  T_CHECK(rejected > 0 && accepted > 0, "both outcomes occur (%d, %d)", accepted, rejected);
  for (int i = 0; i < n; i++) free(models[i].data);
  return t_finish();
}
