/* State shared by the TFLite reader's files (model/tensors and operators/options). */
#ifndef Q8_TFLITE_READER_INTERNAL_H
#define Q8_TFLITE_READER_INTERNAL_H

#include "core/graph.h"
#include "tflite/flatbuffer.h"

/* One OperatorCode entry, decoded; refusals (custom, unsupported) wait until an operator
   uses it, since converters list opcodes that no operator uses. */
typedef struct q8_tfl_opcode {
  size_t pos;               /* of the OperatorCode table, for messages */
  int32_t builtin_code;     /* max(builtin_code, deprecated_builtin_code) */
  int32_t version;
  q8_fb_string custom_code; /* bytes NULL when absent */
} q8_tfl_opcode;

/* A byte range of the file the reader decoded (see reader-layout.c). */
typedef struct q8_tfl_span {
  size_t pos, end;  /* [pos, end) in the file */
  uint32_t where;   /* offset of the object's description in q8_tfl_layout.wheres */
  uint32_t buffer;  /* data spans: the Buffer index */
  uint8_t kind;     /* q8_fb_span_kind */
  char name[32];    /* field name ("shape", "quantization.scale", "data"), cut to fit */
} q8_tfl_span;

typedef struct q8_tfl_span_list {
  q8_tfl_span *items; /* malloc'd */
  size_t count, cap;
} q8_tfl_span_list;

/* What the file's bytes hold: metadata (the 8-byte header, tables, vtables, vectors and
   strings other than Buffer.data) and the data vectors that tensors use. */
typedef struct q8_tfl_layout {
  q8_tfl_span_list meta, data;
  char *wheres; /* NUL-separated copies of q8_fb.where ("Tensor 3 ('w')"), malloc'd */
  size_t wheres_used, wheres_cap, n_wheres;
  uint32_t last_where;
  bool reading_data;  /* the next vector the decoder reports is a Buffer.data */
  bool out_of_memory; /* sticky; reported by q8_tfl_layout_check */
} q8_tfl_layout;

void q8_tfl_layout_init(q8_tfl_layout *l);
void q8_tfl_layout_free(q8_tfl_layout *l);
/* Records a range the decoder checked (arguments as q8_fb_observer's), described by where
   (the object) and name (the field); fields and offsets are ignored (they lie inside
   tables). */
void q8_tfl_layout_observe(q8_tfl_layout *l, const char *where, q8_fb_span_kind kind, size_t pos,
                           size_t size, size_t elem_size, const char *name);
/* Records the data vector (length word and bytes) of Buffer buffer; where names the tensor
   that uses it. */
void q8_tfl_layout_add_data(q8_tfl_layout *l, const char *where, size_t pos, size_t size,
                            uint32_t buffer);
/* After decoding: MALFORMED when a data vector overlaps metadata, or two data vectors
   overlap without being the same vector; OUT_OF_MEMORY when recording failed. */
q8_status q8_tfl_layout_check(q8_tfl_layout *l, q8_error *error);

typedef struct q8_tfl_reader {
  q8_fb fb;
  q8_graph *graph;
  q8_fb_vector buffers; /* Model.buffers (tables) */
  uint32_t n_opcodes;
  q8_tfl_opcode *opcodes; /* in graph->pool */
  q8_tfl_layout layout;
  q8_fb_observer forward; /* the caller's observer of q8_tflite_read_observed, or NULL */
  void *forward_ctx;
} q8_tfl_reader;

/* Decodes SubGraph.operators (tensors must be decoded already) into graph->nodes. */
q8_status q8_tfl_read_operators(q8_tfl_reader *r, const q8_fb_vector *operators);

#endif
