/* q8 info MODEL: operators, tensors with shapes and quantization, arena size, MAC count. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "runtime/runtime.h"
#include "runtime/stats.h"

static void print_shape(const q8_tensor *t) {
  char buf[96];
  size_t used = (size_t)snprintf(buf, sizeof buf, "[");
  for (int32_t i = 0; i < t->rank && used < sizeof buf; i++)
    used += (size_t)snprintf(buf + used, sizeof buf - used, i ? ",%d" : "%d", (int)t->dims[i]);
  if (used < sizeof buf) snprintf(buf + used, sizeof buf - used, "]");
  printf(" %-18s", buf);
}

static void print_quant(const q8_quant *q) {
  if (q->count == 0) return;
  if (q->count == 1) {
    printf(" scale %.9g zp %d", (double)q->scale[0], (int)q->zero_point[0]);
    return;
  }
  float lo = q->scale[0], hi = q->scale[0];
  for (int32_t i = 1; i < q->count; i++) {
    if (q->scale[i] < lo) lo = q->scale[i];
    if (q->scale[i] > hi) hi = q->scale[i];
  }
  printf(" per-channel axis %d: %d scales in [%.3g, %.3g] zp %d", (int)q->axis, (int)q->count,
         (double)lo, (double)hi, (int)q->zero_point[0]);
}

static void print_options(const q8_node *n) {
  switch (n->kind) {
    case Q8_OP_CONV_2D:
    case Q8_OP_DEPTHWISE_CONV_2D:
      printf(" stride %dx%d dilation %dx%d %s act %s", (int)n->opt.conv.stride_h,
             (int)n->opt.conv.stride_w, (int)n->opt.conv.dilation_h, (int)n->opt.conv.dilation_w,
             n->opt.conv.padding == Q8_PADDING_SAME ? "SAME" : "VALID",
             q8_activation_name(n->opt.conv.activation));
      if (n->kind == Q8_OP_DEPTHWISE_CONV_2D)
        printf(" multiplier %d", (int)n->opt.conv.depth_multiplier);
      break;
    case Q8_OP_AVERAGE_POOL_2D:
    case Q8_OP_MAX_POOL_2D:
      printf(" filter %dx%d stride %dx%d %s act %s", (int)n->opt.pool.filter_h,
             (int)n->opt.pool.filter_w, (int)n->opt.pool.stride_h, (int)n->opt.pool.stride_w,
             n->opt.pool.padding == Q8_PADDING_SAME ? "SAME" : "VALID",
             q8_activation_name(n->opt.pool.activation));
      break;
    case Q8_OP_FULLY_CONNECTED:
      printf(" act %s", q8_activation_name(n->opt.fully_connected.activation));
      break;
    case Q8_OP_ADD:
      printf(" act %s", q8_activation_name(n->opt.add.activation));
      break;
    case Q8_OP_CONCATENATION:
      printf(" axis %d act %s", (int)n->opt.concatenation.axis,
             q8_activation_name(n->opt.concatenation.activation));
      break;
    case Q8_OP_SOFTMAX:
      printf(" beta %g", (double)n->opt.softmax.beta);
      break;
    default:
      break;
  }
}

static void print_operators(const q8_interp *it) {
  const q8_graph *g = it->model->graph;
  printf("operators (%d):\n", (int)g->n_nodes);
  for (int32_t i = 0; i < g->n_nodes; i++) {
    const q8_node *n = &g->nodes[i];
    printf("  %3d %-18s in", (int)i, q8_op_name(n->kind));
    for (int32_t k = 0; k < n->n_inputs; k++) printf(" %d", (int)n->inputs[k]);
    printf(" -> out");
    for (int32_t k = 0; k < n->n_outputs; k++) printf(" %d", (int)n->outputs[k]);
    print_options(n);
    uint64_t macs = q8_interp_node_macs(it, i);
    if (macs > 0) printf("  MACs %llu", (unsigned long long)macs);
    printf("\n");
  }
}

static void print_tensors(const q8_interp *it) {
  printf("tensors (%d):\n", (int)it->n_tensors);
  for (int32_t i = 0; i < it->n_tensors; i++) {
    const q8_tensor *t = &it->tensors[i];
    printf("  %3d %-7s", (int)i, q8_type_name(t->type));
    print_shape(t);
    printf(" %-8s", t->data != NULL ? "const" : "act");
    print_quant(&t->quant);
    printf("  '%s'\n", t->name);
  }
}

static void print_io(const q8_interp *it) {
  for (int out = 0; out < 2; out++) {
    int32_t n = out ? q8_interp_output_count(it) : q8_interp_input_count(it);
    for (int32_t i = 0; i < n; i++) {
      q8_tensor_info info;
      if (out) q8_interp_output_info(it, i, &info);
      else q8_interp_input_info(it, i, &info);
      printf("%s %d: '%s' %s [", out ? "output" : "input", (int)i, info.name,
             q8_type_name(info.type));
      for (int32_t d = 0; d < info.rank; d++) printf(d ? ",%d" : "%d", (int)info.dims[d]);
      printf("] scale %.9g zero point %d\n", (double)info.quant.scale, (int)info.quant.zero_point);
    }
  }
}

int q8_cli_info(int argc, char **argv) {
  if (argc != 2 || strcmp(argv[1], "--help") == 0) {
    fputs("usage: q8 info MODEL\n", argc == 2 ? stdout : stderr);
    return argc == 2 ? 0 : 2;
  }
  q8_model *model;
  q8_interp *it;
  if (!cli_open_model(argv[1], &model, &it)) return 1;
  printf("model: %s (%zu bytes)\n", argv[1], model->size);
  print_io(it);
  print_operators(it);
  print_tensors(it);
  printf("arena: %zu bytes (tensors without sharing: %zu bytes)\n", q8_interp_arena_size(it),
         q8_interp_unshared_size(it));
  printf("persistent memory: %zu bytes (parameters, aligned copies)\n",
         q8_interp_persistent_size(it));
  printf("multiply-accumulates: %llu\n", (unsigned long long)q8_interp_macs(it));
  q8_interp_free(it);
  q8_model_free(model);
  return 0;
}
