/* Hand-made .tflite models for tests (see tflite-spec.h). */
#include "util/tflite-spec.h"

#include <stdlib.h>
#include <string.h>

void spec_put_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

uint32_t spec_get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

size_t spec_field_pos(const uint8_t *data, size_t table_pos, int field) {
  size_t vtable = (size_t)((int64_t)table_pos - (int32_t)spec_get_u32(data + table_pos));
  unsigned vt_size = data[vtable] | data[vtable + 1] << 8;
  size_t slot = vtable + 4 + 2 * (size_t)field;
  if (slot + 2 > vtable + vt_size) return 0;
  unsigned off = data[slot] | data[slot + 1] << 8;
  return off != 0 ? table_pos + off : 0;
}

void spec_point_offset(uint8_t *data, size_t at, size_t target) {
  spec_put_u32(data + at, (uint32_t)(target - at));
}

/* The data vector of one buffer: its own bytes, or a pattern that differs per buffer. */
static fbb_ref buffer_data(fbb *b, const spec_buffer *buffer, int index) {
  if (buffer->bytes != NULL) return fbb_vector_u8(b, buffer->bytes, buffer->n);
  uint8_t *bytes = malloc(buffer->n);
  if (bytes == NULL) return 0;
  for (uint32_t k = 0; k < buffer->n; k++) bytes[k] = (uint8_t)(k * 7 + (uint32_t)index);
  fbb_ref ref = fbb_vector_u8(b, bytes, buffer->n);
  free(bytes);
  return ref;
}

static fbb_ref build_options(fbb *b, const spec_op *op) {
  fbb_ref vec[8] = {0};
  for (int i = 0; i < op->n_options; i++) {
    if (op->options[i].kind == 'v') {
      vec[i] = fbb_vector_i32(b, op->options[i].v, (uint32_t)op->options[i].n);
    }
  }
  fbb_table_begin(b);
  for (int i = 0; i < op->n_options; i++) {
    const spec_option *o = &op->options[i];
    switch (o->kind) {
      case 'b': fbb_add_u8(b, o->field, (uint8_t)o->i); break;
      case 'i': fbb_add_i32(b, o->field, o->i); break;
      case 'f': fbb_add_f32(b, o->field, o->f); break;
      case 'v': fbb_add_ref(b, o->field, vec[i]); break;
      default: break;
    }
  }
  return fbb_table_end(b);
}

static fbb_ref build_tensor(fbb *b, const spec_tensor *t, fbb_ref *shape_ref, fbb_ref *name_ref) {
  fbb_ref quant = 0, sparsity = 0;
  if (t->n_quant >= 0) {
    fbb_ref scale = fbb_vector_f32(b, t->scale, (uint32_t)t->n_quant);
    int nz = t->n_zero_points >= 0 ? t->n_zero_points : t->n_quant;
    fbb_ref zp = fbb_vector_i64(b, t->zero_point, (uint32_t)nz);
    fbb_ref details = 0;
    if (t->details_type != 0) {
      fbb_table_begin(b);
      details = fbb_table_end(b);
    }
    fbb_table_begin(b);
    fbb_add_ref(b, 2, scale);
    fbb_add_ref(b, 3, zp);
    if (details != 0) {
      fbb_add_u8(b, 4, t->details_type);
      fbb_add_ref(b, 5, details);
    }
    fbb_add_i32(b, 6, t->qdim);
    quant = fbb_table_end(b);
  }
  if (t->sparse) {
    fbb_table_begin(b);
    sparsity = fbb_table_end(b);
  }
  *shape_ref = fbb_vector_i32(b, t->dims, (uint32_t)t->rank);
  *name_ref = fbb_string(b, t->name);
  fbb_table_begin(b);
  fbb_add_ref(b, 0, *shape_ref);
  fbb_add_u8(b, 1, (uint8_t)t->type);
  fbb_add_u32(b, 2, t->buffer);
  fbb_add_ref(b, 3, *name_ref);
  if (quant != 0) fbb_add_ref(b, 4, quant);
  if (t->is_variable) fbb_add_u8(b, 5, 1);
  if (sparsity != 0) fbb_add_ref(b, 6, sparsity);
  if (t->external_buffer != 0) fbb_add_u32(b, 10, t->external_buffer);
  return fbb_table_end(b);
}

static fbb_ref build_subgraph(fbb *b, const model_spec *s, fbb_ref *shape_refs,
                              fbb_ref *name_refs, fbb_ref *tensors_ref, fbb_ref *op_inputs_ref) {
  fbb_ref tensors[SPEC_MAX_TENSORS];
  for (int i = 0; i < s->n_tensors; i++) {
    tensors[i] = build_tensor(b, &s->tensors[i], &shape_refs[i], &name_refs[i]);
  }
  *tensors_ref = fbb_vector_refs(b, tensors, (uint32_t)s->n_tensors);
  fbb_ref ops[SPEC_MAX_OPS];
  for (int i = 0; i < s->n_ops; i++) {
    const spec_op *op = &s->ops[i];
    fbb_ref options = op->options_table ? build_options(b, op) : 0;
    fbb_ref in = fbb_vector_i32(b, op->inputs, (uint32_t)op->n_inputs);
    fbb_ref out = fbb_vector_i32(b, op->outputs, (uint32_t)op->n_outputs);
    if (i == 0) *op_inputs_ref = in;
    fbb_table_begin(b);
    fbb_add_u32(b, 0, op->opcode_index);
    fbb_add_ref(b, 1, in);
    fbb_add_ref(b, 2, out);
    if (op->options_type != 0) fbb_add_u8(b, 3, op->options_type);
    if (options != 0) fbb_add_ref(b, 4, options);
    ops[i] = fbb_table_end(b);
  }
  fbb_ref ops_ref = fbb_vector_refs(b, ops, (uint32_t)s->n_ops);
  fbb_ref in = fbb_vector_i32(b, s->inputs, (uint32_t)s->n_inputs);
  fbb_ref out = fbb_vector_i32(b, s->outputs, (uint32_t)s->n_outputs);
  fbb_ref name = fbb_string(b, "main");
  fbb_table_begin(b);
  fbb_add_ref(b, 0, *tensors_ref);
  fbb_add_ref(b, 1, in);
  fbb_add_ref(b, 2, out);
  fbb_add_ref(b, 3, ops_ref);
  fbb_add_ref(b, 4, name);
  return fbb_table_end(b);
}

/* Buffer tables (and their data) into buffers / data_refs. */
static void build_buffers(fbb *b, const model_spec *s, fbb_ref *buffers, fbb_ref *data_refs) {
  for (int i = 0; i < s->n_buffers; i++) {
    fbb_ref data = 0;
    if (s->buffers[i].n > 0) data = data_refs[i] = buffer_data(b, &s->buffers[i], i);
    fbb_table_begin(b);
    if (data != 0) fbb_add_ref(b, 0, data);
    if (s->buffers[i].offset != 0) {
      fbb_add_u64(b, 1, s->buffers[i].offset);
      fbb_add_u64(b, 2, 16);
    }
    buffers[i] = fbb_table_end(b);
  }
}

built_model build_model(const model_spec *s) {
  built_model m;
  memset(&m, 0, sizeof m);
  fbb b;
  fbb_init(&b);
  fbb_ref buffers[SPEC_MAX_BUFFERS], data_refs[SPEC_MAX_BUFFERS] = {0};
  /* Built first, the buffers land at the end of the file (the builder writes back to front). */
  if (!s->buffers_first) build_buffers(&b, s, buffers, data_refs);
  fbb_ref shape_refs[SPEC_MAX_TENSORS], name_refs[SPEC_MAX_TENSORS];
  fbb_ref tensors_ref = 0, op_inputs_ref = 0;
  fbb_ref sg = build_subgraph(&b, s, shape_refs, name_refs, &tensors_ref, &op_inputs_ref);
  fbb_ref sgs[4] = {sg, sg, sg, sg}; /* extra subgraphs share the table: still a valid file */
  fbb_ref subgraphs = fbb_vector_refs(&b, sgs, (uint32_t)s->n_subgraphs);
  fbb_ref codes[SPEC_MAX_OPCODES];
  for (int i = 0; i < s->n_opcodes; i++) {
    const spec_opcode *c = &s->opcodes[i];
    fbb_ref custom = c->custom != NULL ? fbb_string(&b, c->custom) : 0;
    fbb_table_begin(&b);
    fbb_add_u8(&b, 0, (uint8_t)c->deprecated);
    if (custom != 0) fbb_add_ref(&b, 1, custom);
    fbb_add_i32(&b, 2, c->version);
    if (c->builtin != 0) fbb_add_i32(&b, 3, c->builtin);
    codes[i] = fbb_table_end(&b);
  }
  fbb_ref codes_ref = fbb_vector_refs(&b, codes, (uint32_t)s->n_opcodes);
  if (s->buffers_first) build_buffers(&b, s, buffers, data_refs);
  fbb_ref buffers_ref = fbb_vector_refs(&b, buffers, (uint32_t)s->n_buffers);
  fbb_ref description = fbb_string(&b, "hand-built test model");
  fbb_table_begin(&b);
  fbb_add_u32(&b, 0, s->version);
  fbb_add_ref(&b, 1, codes_ref);
  fbb_add_ref(&b, 2, subgraphs);
  fbb_add_ref(&b, 3, description);
  fbb_add_ref(&b, 4, buffers_ref);
  fbb_ref root = fbb_table_end(&b);
  m.data = fbb_finish(&b, root, s->identifier, &m.size);
  if (m.data != NULL) {
    for (int i = 0; i < s->n_tensors; i++) {
      m.shape_pos[i] = fbb_pos(m.size, shape_refs[i]);
      m.name_pos[i] = fbb_pos(m.size, name_refs[i]);
    }
    m.tensors_pos = fbb_pos(m.size, tensors_ref);
    m.op_inputs_pos = fbb_pos(m.size, op_inputs_ref);
    for (int i = 0; i < s->n_buffers; i++) {
      m.buffer_pos[i] = fbb_pos(m.size, buffers[i]);
      m.data_pos[i] = data_refs[i] != 0 ? fbb_pos(m.size, data_refs[i]) : 0;
    }
  }
  fbb_free(&b);
  return m;
}
