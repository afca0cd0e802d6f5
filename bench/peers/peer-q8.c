/* bench-peers: q8 itself, through its public API with default options (the kernel path it
   chooses is reported). */
#include <stdio.h>
#include <stdlib.h>

#include "peers.h"
#include "q8/q8.h"

typedef struct q8_state {
  q8_model *model;
  q8_interp *interp;
} q8_state;

static bool q8_invoke(void *state) {
  return q8_interp_invoke(((q8_state *)state)->interp) == Q8_OK;
}

static const void *q8_output(void *state) {
  const void *data = NULL;
  q8_interp_output_data(((q8_state *)state)->interp, 0, &data);
  return data;
}

static void q8_state_free(void *state) {
  q8_state *s = state;
  if (!s) return;
  q8_interp_free(s->interp);
  q8_model_free(s->model);
  free(s);
}

bool peer_q8_init(const uint8_t *file, size_t size, const void *input, int threads,
                  peer_runner *r) {
  snprintf(r->name, sizeof r->name, "q8");
  r->invoke = q8_invoke, r->output = q8_output, r->free = q8_state_free;
  q8_state *s = calloc(1, sizeof *s);
  r->state = s;
  q8_error error = {{0}};
  q8_interp_options options = {0};
  options.threads = threads;
  q8_tensor_info info;
  if (!s || q8_model_load_memory(file, size, 0, &s->model, &error) != Q8_OK ||
      q8_interp_init(s->model, &options, &s->interp, &error) != Q8_OK) {
    peer_note(r->note, sizeof r->note, "%s", s ? error.message : "out of memory");
    return false;
  }
  if (q8_interp_input_info(s->interp, 0, &info) != Q8_OK ||
      q8_interp_set_input(s->interp, 0, input, info.bytes) != Q8_OK) {
    peer_note(r->note, sizeof r->note, "%s", q8_interp_last_error(s->interp));
    return false;
  }
  if (q8_interp_output_info(s->interp, 0, &info) == Q8_OK) r->output_bytes = info.bytes;
  peer_note(r->note, sizeof r->note, "path %s, %d thread(s)", q8_isa_name(q8_interp_isa(s->interp)),
            (int)q8_interp_threads(s->interp));
  return true;
}
