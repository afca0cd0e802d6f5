/* bench-peers: q8 beside oneDNN and XNNPACK on the same networks (declarations shared by the
   benchmark's files). Each peer rebuilds a q8 graph (read by q8's own TFLite reader) with its
   own operators; every runner gets the same input bytes and is timed interleaved with q8. */
#ifndef Q8_BENCH_PEERS_H
#define Q8_BENCH_PEERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/graph.h"

/* One library running one network. note: what it chose (kernel path, implementations) and
   what it could not run natively (ops done by the benchmark's plain C fallbacks). */
typedef struct peer_runner {
  char name[24];
  char note[768];
  void *state;
  bool (*invoke)(void *state);
  const void *(*output)(void *state); /* the graph's first output, in its own type */
  size_t output_bytes;                /* its size as this library computed it */
  void (*free)(void *state);
} peer_runner;

/* Builders: false with r->note saying why (an operator the peer lacks, a failed creation). */
bool peer_q8_init(const uint8_t *file, size_t size, const void *input, int threads,
                  peer_runner *r);
bool peer_xnnpack_init(const q8_graph *g, const void *input, int threads, peer_runner *r);
bool peer_onednn_init(const q8_graph *g, const void *input, int threads, peer_runner *r);

/* The node a peer is translating: its tensors and their buffers (peer_make_buffers). */
typedef struct peer_cursor {
  const q8_graph *g;
  const q8_node *n;
  void **buf;
} peer_cursor;
static inline const q8_tensor *peer_in(const peer_cursor *c, int32_t slot) {
  return &c->g->tensors[c->n->inputs[slot]];
}
static inline const q8_tensor *peer_out(const peer_cursor *c) {
  return &c->g->tensors[c->n->outputs[0]];
}
/* NULL for an absent optional input (bias). */
static inline void *peer_in_buf(const peer_cursor *c, int32_t slot) {
  return c->n->inputs[slot] < 0 ? NULL : c->buf[c->n->inputs[slot]];
}
static inline void *peer_out_buf(const peer_cursor *c) { return c->buf[c->n->outputs[0]]; }

/* --- helpers (peers-util.c) --- */
size_t peer_tensor_bytes(const q8_tensor *t);
/* Quantized clamp bounds of an activation on tensor t (its type's range when none). */
void peer_act_bounds_q(const q8_tensor *t, q8_activation act, int32_t *lo, int32_t *hi);
void peer_act_bounds_f(q8_activation act, float *lo, float *hi);
/* TFLite padding of one spatial axis: SAME puts floor(total/2) before, the rest after. */
/* True when a window of k taps (dilation, stride) over in pixels padded before/after gives out
   pixels, the output size XNNPACK and oneDNN compute: the geometry matches the graph's. */
bool peer_window_fits(int32_t in, int32_t before, int32_t after, int32_t k, int32_t stride,
                      int32_t dilation, int32_t out);
void peer_padding(q8_padding p, int32_t in, int32_t k, int32_t stride, int32_t dilation,
                  int32_t out, int32_t *before, int32_t *after);
float peer_scale(const q8_tensor *t, int32_t c);
int32_t peer_zero_point(const q8_tensor *t);
/* One argument's real value of element i (dequantized). */
double peer_value(const q8_tensor *t, const void *data, size_t i);
/* MEAN over axes 1 and 2 of an NHWC tensor (global average pooling, as Keras exports it). */
bool peer_is_spatial_mean(const peer_cursor *c);
/* Appends to a note (bounded). */
void peer_note(char *note, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* One buffer per tensor (buf and owned: n_tensors entries each): constants copied (aligned),
   activations zeroed with 64 bytes of slack for kernels that read past the end; RESHAPE and
   SQUEEZE outputs alias their input (owned false). No memory planning: a peer's own runtime
   would share memory between tensors. */
bool peer_make_buffers(const q8_graph *g, void **buf, bool *owned);
/* Frees the owned buffers and both arrays. */
void peer_free_buffers(int32_t n_tensors, void **buf, bool *owned);

/* Plain C stand-ins for operators a peer lacks (named in its note): SOFTMAX, PAD, and
   AVERAGE_POOL_2D on quantized tensors. Buffers hold the tensors' own types. */
typedef struct peer_fallback {
  const q8_graph *g;
  const q8_node *node;
  const void *in;
  void *out;
} peer_fallback;
bool peer_fallback_supports(const q8_graph *g, const q8_node *node);
void peer_fallback_run(const peer_fallback *f);

#endif
