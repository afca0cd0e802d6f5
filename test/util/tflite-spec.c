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
static q8_fbb_ref buffer_data(q8_fbb *b, const spec_buffer *buffer, int index) {
  if (buffer->bytes != NULL) return q8_fbb_vector_u8(b, buffer->bytes, buffer->n);
  uint8_t *bytes = malloc(buffer->n);
  if (bytes == NULL) return 0;
  for (uint32_t k = 0; k < buffer->n; k++) bytes[k] = (uint8_t)(k * 7 + (uint32_t)index);
  q8_fbb_ref ref = q8_fbb_vector_u8(b, bytes, buffer->n);
  free(bytes);
  return ref;
}

static q8_fbb_ref build_options(q8_fbb *b, const spec_op *op) {
  q8_fbb_ref vec[8] = {0};
  for (int i = 0; i < op->n_options; i++) {
    if (op->options[i].kind == 'v') {
      vec[i] = q8_fbb_vector_i32(b, op->options[i].v, (uint32_t)op->options[i].n);
    }
  }
  q8_fbb_table_begin(b);
  for (int i = 0; i < op->n_options; i++) {
    const spec_option *o = &op->options[i];
    switch (o->kind) {
      case 'b': q8_fbb_add_u8(b, o->field, (uint8_t)o->i); break;
      case 'i': q8_fbb_add_i32(b, o->field, o->i); break;
      case 'f': q8_fbb_add_f32(b, o->field, o->f); break;
      case 'v': q8_fbb_add_ref(b, o->field, vec[i]); break;
      default: break;
    }
  }
  return q8_fbb_table_end(b);
}

static q8_fbb_ref build_tensor(q8_fbb *b, const spec_tensor *t, q8_fbb_ref *shape_ref, q8_fbb_ref *name_ref) {
  q8_fbb_ref quant = 0, sparsity = 0;
  if (t->n_quant >= 0) {
    q8_fbb_ref scale = q8_fbb_vector_f32(b, t->scale, (uint32_t)t->n_quant);
    int nz = t->n_zero_points >= 0 ? t->n_zero_points : t->n_quant;
    q8_fbb_ref zp = q8_fbb_vector_i64(b, t->zero_point, (uint32_t)nz);
    q8_fbb_ref details = 0;
    if (t->details_type != 0) {
      q8_fbb_table_begin(b);
      details = q8_fbb_table_end(b);
    }
    q8_fbb_table_begin(b);
    q8_fbb_add_ref(b, 2, scale);
    q8_fbb_add_ref(b, 3, zp);
    if (details != 0) {
      q8_fbb_add_u8(b, 4, t->details_type);
      q8_fbb_add_ref(b, 5, details);
    }
    q8_fbb_add_i32(b, 6, t->qdim);
    quant = q8_fbb_table_end(b);
  }
  if (t->sparse) {
    q8_fbb_table_begin(b);
    sparsity = q8_fbb_table_end(b);
  }
  *shape_ref = q8_fbb_vector_i32(b, t->dims, (uint32_t)t->rank);
  *name_ref = q8_fbb_string(b, t->name);
  q8_fbb_table_begin(b);
  q8_fbb_add_ref(b, 0, *shape_ref);
  q8_fbb_add_u8(b, 1, (uint8_t)t->type);
  q8_fbb_add_u32(b, 2, t->buffer);
  q8_fbb_add_ref(b, 3, *name_ref);
  if (quant != 0) q8_fbb_add_ref(b, 4, quant);
  if (t->is_variable) q8_fbb_add_u8(b, 5, 1);
  if (sparsity != 0) q8_fbb_add_ref(b, 6, sparsity);
  if (t->external_buffer != 0) q8_fbb_add_u32(b, 10, t->external_buffer);
  return q8_fbb_table_end(b);
}

static q8_fbb_ref build_subgraph(q8_fbb *b, const model_spec *s, q8_fbb_ref *shape_refs,
                              q8_fbb_ref *name_refs, q8_fbb_ref *tensors_ref, q8_fbb_ref *op_inputs_ref) {
  q8_fbb_ref tensors[SPEC_MAX_TENSORS];
  for (int i = 0; i < s->n_tensors; i++) {
    tensors[i] = build_tensor(b, &s->tensors[i], &shape_refs[i], &name_refs[i]);
  }
  *tensors_ref = q8_fbb_vector_refs(b, tensors, (uint32_t)s->n_tensors);
  q8_fbb_ref ops[SPEC_MAX_OPS];
  for (int i = 0; i < s->n_ops; i++) {
    const spec_op *op = &s->ops[i];
    q8_fbb_ref options = op->options_table ? build_options(b, op) : 0;
    q8_fbb_ref in = q8_fbb_vector_i32(b, op->inputs, (uint32_t)op->n_inputs);
    q8_fbb_ref out = q8_fbb_vector_i32(b, op->outputs, (uint32_t)op->n_outputs);
    if (i == 0) *op_inputs_ref = in;
    q8_fbb_table_begin(b);
    q8_fbb_add_u32(b, 0, op->opcode_index);
    q8_fbb_add_ref(b, 1, in);
    q8_fbb_add_ref(b, 2, out);
    if (op->options_type != 0) q8_fbb_add_u8(b, 3, op->options_type);
    if (options != 0) q8_fbb_add_ref(b, 4, options);
    ops[i] = q8_fbb_table_end(b);
  }
  q8_fbb_ref ops_ref = q8_fbb_vector_refs(b, ops, (uint32_t)s->n_ops);
  q8_fbb_ref in = q8_fbb_vector_i32(b, s->inputs, (uint32_t)s->n_inputs);
  q8_fbb_ref out = q8_fbb_vector_i32(b, s->outputs, (uint32_t)s->n_outputs);
  q8_fbb_ref name = q8_fbb_string(b, "main");
  q8_fbb_table_begin(b);
  q8_fbb_add_ref(b, 0, *tensors_ref);
  q8_fbb_add_ref(b, 1, in);
  q8_fbb_add_ref(b, 2, out);
  q8_fbb_add_ref(b, 3, ops_ref);
  q8_fbb_add_ref(b, 4, name);
  return q8_fbb_table_end(b);
}

/* Buffer tables (and their data) into buffers / data_refs. */
static void build_buffers(q8_fbb *b, const model_spec *s, q8_fbb_ref *buffers, q8_fbb_ref *data_refs) {
  for (int i = 0; i < s->n_buffers; i++) {
    q8_fbb_ref data = 0;
    if (s->buffers[i].n > 0) data = data_refs[i] = buffer_data(b, &s->buffers[i], i);
    q8_fbb_table_begin(b);
    if (data != 0) q8_fbb_add_ref(b, 0, data);
    if (s->buffers[i].offset != 0) {
      q8_fbb_add_u64(b, 1, s->buffers[i].offset);
      q8_fbb_add_u64(b, 2, 16);
    }
    buffers[i] = q8_fbb_table_end(b);
  }
}

built_model build_model(const model_spec *s) {
  built_model m;
  memset(&m, 0, sizeof m);
  q8_fbb b;
  q8_fbb_init(&b);
  q8_fbb_ref buffers[SPEC_MAX_BUFFERS], data_refs[SPEC_MAX_BUFFERS] = {0};
  /* Built first, the buffers land at the end of the file (the builder writes back to front). */
  if (!s->buffers_first) build_buffers(&b, s, buffers, data_refs);
  q8_fbb_ref shape_refs[SPEC_MAX_TENSORS], name_refs[SPEC_MAX_TENSORS];
  q8_fbb_ref tensors_ref = 0, op_inputs_ref = 0;
  q8_fbb_ref sg = build_subgraph(&b, s, shape_refs, name_refs, &tensors_ref, &op_inputs_ref);
  q8_fbb_ref sgs[4] = {sg, sg, sg, sg}; /* extra subgraphs share the table: still a valid file */
  q8_fbb_ref subgraphs = q8_fbb_vector_refs(&b, sgs, (uint32_t)s->n_subgraphs);
  q8_fbb_ref codes[SPEC_MAX_OPCODES];
  for (int i = 0; i < s->n_opcodes; i++) {
    const spec_opcode *c = &s->opcodes[i];
    q8_fbb_ref custom = c->custom != NULL ? q8_fbb_string(&b, c->custom) : 0;
    q8_fbb_table_begin(&b);
    q8_fbb_add_u8(&b, 0, (uint8_t)c->deprecated);
    if (custom != 0) q8_fbb_add_ref(&b, 1, custom);
    q8_fbb_add_i32(&b, 2, c->version);
    if (c->builtin != 0) q8_fbb_add_i32(&b, 3, c->builtin);
    codes[i] = q8_fbb_table_end(&b);
  }
  q8_fbb_ref codes_ref = q8_fbb_vector_refs(&b, codes, (uint32_t)s->n_opcodes);
  if (s->buffers_first) build_buffers(&b, s, buffers, data_refs);
  q8_fbb_ref buffers_ref = q8_fbb_vector_refs(&b, buffers, (uint32_t)s->n_buffers);
  q8_fbb_ref description = q8_fbb_string(&b, "hand-built test model");
  q8_fbb_table_begin(&b);
  q8_fbb_add_u32(&b, 0, s->version);
  q8_fbb_add_ref(&b, 1, codes_ref);
  q8_fbb_add_ref(&b, 2, subgraphs);
  q8_fbb_add_ref(&b, 3, description);
  q8_fbb_add_ref(&b, 4, buffers_ref);
  q8_fbb_ref root = q8_fbb_table_end(&b);
  m.data = q8_fbb_finish(&b, root, s->identifier, &m.size);
  if (m.data != NULL) {
    for (int i = 0; i < s->n_tensors; i++) {
      m.shape_pos[i] = q8_fbb_pos(m.size, shape_refs[i]);
      m.name_pos[i] = q8_fbb_pos(m.size, name_refs[i]);
    }
    m.tensors_pos = q8_fbb_pos(m.size, tensors_ref);
    m.op_inputs_pos = q8_fbb_pos(m.size, op_inputs_ref);
    for (int i = 0; i < s->n_buffers; i++) {
      m.buffer_pos[i] = q8_fbb_pos(m.size, buffers[i]);
      m.data_pos[i] = data_refs[i] != 0 ? q8_fbb_pos(m.size, data_refs[i]) : 0;
    }
  }
  q8_fbb_free(&b);
  return m;
}
