/* The data flow of a graph, checked before any operator is prepared: every activation is
   written by exactly one operator that runs before all of its readers; no operator reads
   its own output; constants and graph inputs are never written. A reader that runs before
   its writer is reported as a cycle (naming its operators) or, when the graph has none, as
   operators out of execution order. Also yields each activation's lifetime. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime.h"

static bool is_graph_input(const q8_graph *g, int32_t t) {
  for (int32_t i = 0; i < g->n_inputs; i++)
    if (g->inputs[i] == t) return true;
  return false;
}

/* The operator writing each tensor (-1: none), refusing a second writer, written constants
   and written graph inputs. */
static q8_status find_writers(const q8_graph *g, int32_t *writer, q8_error *error) {
  for (int32_t t = 0; t < g->n_tensors; t++) writer[t] = -1;
  for (int32_t n = 0; n < g->n_nodes; n++) {
    const q8_node *node = &g->nodes[n];
    for (int32_t k = 0; k < node->n_outputs; k++) {
      const int32_t t = node->outputs[k];
      char why[96] = "";
      if (t < 0) snprintf(why, sizeof why, "is absent");
      else if (g->tensors[t].data != NULL) snprintf(why, sizeof why, "is a constant");
      else if (is_graph_input(g, t)) snprintf(why, sizeof why, "is a graph input");
      else if (writer[t] >= 0)
        snprintf(why, sizeof why, "is also written by operator %d (%s)", (int)writer[t],
                 q8_op_name(g->nodes[writer[t]].kind));
      if (why[0] != '\0')
        return q8_fail(error, Q8_ERROR_INVALID_MODEL,
                       "operator %d (%s): output %d (tensor %d '%s') %s", (int)n,
                       q8_op_name(node->kind), (int)k, (int)t, t >= 0 ? g->tensors[t].name : "",
                       why);
      writer[t] = n;
    }
  }
  return Q8_OK;
}

/* The operator that must run before `node` can read its input k; -1 when none (absent,
   constant, graph input, or nothing writes it). */
static int32_t dependency(const q8_graph *g, const int32_t *writer, int32_t node, int32_t k) {
  const int32_t t = g->nodes[node].inputs[k];
  if (t < 0 || g->tensors[t].data != NULL) return -1;
  return writer[t];
}

static q8_status self_loop(const q8_graph *g, int32_t n, q8_error *error) {
  const q8_node *node = &g->nodes[n];
  for (int32_t k = 0; k < node->n_inputs; k++)
    for (int32_t j = 0; j < node->n_outputs; j++)
      if (node->inputs[k] >= 0 && node->inputs[k] == node->outputs[j])
        return q8_fail(error, Q8_ERROR_INVALID_MODEL,
                       "operator %d (%s): tensor %d '%s' is both input %d and output %d (an "
                       "operator cannot read what it writes)",
                       (int)n, q8_op_name(node->kind), (int)node->inputs[k],
                       g->tensors[node->inputs[k]].name, (int)k, (int)j);
  return Q8_OK;
}

/* Depth-first search over "reads a tensor written by" (iterative: no recursion depth limit);
   reaching an operator still on the path closes a cycle. */
typedef struct dfs_state {
  int8_t *color;   /* 0 unvisited, 1 on the path, 2 done */
  int32_t *parent; /* the operator we came from */
  int32_t *via;    /* the tensor parent reads that this operator writes */
  int32_t *next;   /* next input to follow */
} dfs_state;

/* u reads tensor, written by v, which is on the current path: the cycle runs v -> u (u reads
   what v writes), then up the parent links from u back to v. At most 8 steps are named. */
static q8_status report_cycle(const q8_graph *g, const dfs_state *d, int32_t u, int32_t v,
                              int32_t tensor, q8_error *error) {
  char text[400];
  size_t used = 0;
  int32_t writer = v, reader = u, t = tensor;
  for (int step = 0; used < sizeof text; step++) {
    if (step == 8) {
      snprintf(text + used, sizeof text - used, ", ...");
      break;
    }
    if (step == 0)
      used += (size_t)snprintf(text, sizeof text, "operator %d (%s) writes", (int)writer,
                               q8_op_name(g->nodes[writer].kind));
    else
      used += (size_t)snprintf(text + used, sizeof text - used, ", which writes");
    if (used >= sizeof text) break;
    used += (size_t)snprintf(text + used, sizeof text - used,
                             " tensor %d '%s', read by operator %d (%s)", (int)t,
                             g->tensors[t].name, (int)reader, q8_op_name(g->nodes[reader].kind));
    if (reader == v) break;
    writer = reader;
    t = d->via[reader];
    reader = d->parent[reader];
  }
  return q8_fail(error, Q8_ERROR_INVALID_MODEL, "the graph has a cycle: %s", text);
}

/* Q8_OK when the graph has no cycle; else INVALID_MODEL naming one. */
static q8_status find_cycle(const q8_graph *g, const int32_t *writer, dfs_state *d,
                            q8_error *error) {
  for (int32_t root = 0; root < g->n_nodes; root++) {
    if (d->color[root] != 0) continue;
    d->color[root] = 1;
    d->parent[root] = -1;
    int32_t u = root;
    while (u >= 0) {
      const q8_node *node = &g->nodes[u];
      if (d->next[u] == node->n_inputs) { /* every dependency done: back up */
        d->color[u] = 2;
        u = d->parent[u];
        continue;
      }
      const int32_t k = d->next[u]++;
      const int32_t v = dependency(g, writer, u, k);
      if (v < 0 || d->color[v] == 2) continue;
      if (d->color[v] == 1) return report_cycle(g, d, u, v, node->inputs[k], error);
      d->color[v] = 1;
      d->parent[v] = u;
      d->via[v] = node->inputs[k];
      u = v;
    }
  }
  return Q8_OK;
}

/* Called when operator n reads tensor t before its writer runs: a cycle, or the operators
   are merely listed out of order (q8, like TFLite, runs them in file order). */
static q8_status read_too_early(const q8_graph *g, const int32_t *writer, int32_t n, int32_t t,
                                q8_error *error) {
  const size_t count = (size_t)(g->n_nodes > 0 ? g->n_nodes : 1);
  dfs_state d = {calloc(count, 1), malloc(count * sizeof(int32_t)),
                 malloc(count * sizeof(int32_t)), calloc(count, sizeof(int32_t))};
  q8_status s = d.color == NULL || d.parent == NULL || d.via == NULL || d.next == NULL
                    ? q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory")
                    : find_cycle(g, writer, &d, error);
  if (s == Q8_OK)
    s = q8_fail(error, Q8_ERROR_INVALID_MODEL,
                "operator %d (%s) reads tensor %d '%s', written by operator %d (%s), which "
                "comes later: the operators are out of execution order",
                (int)n, q8_op_name(g->nodes[n].kind), (int)t, g->tensors[t].name,
                (int)writer[t], q8_op_name(g->nodes[writer[t]].kind));
  free(d.color);
  free(d.parent);
  free(d.via);
  free(d.next);
  return s;
}

static q8_status check_reads(const q8_graph *g, const int32_t *writer, q8_lifetime *life,
                             q8_error *error) {
  for (int32_t n = 0; n < g->n_nodes; n++) {
    q8_status s = self_loop(g, n, error);
    if (s != Q8_OK) return s;
    const q8_node *node = &g->nodes[n];
    for (int32_t k = 0; k < node->n_inputs; k++) {
      const int32_t t = node->inputs[k];
      if (t < 0 || g->tensors[t].data != NULL) continue;
      if (life[t].first < 0) { /* graph input */
      } else if (writer[t] < 0) {
        return q8_fail(error, Q8_ERROR_INVALID_MODEL,
                       "operator %d (%s) reads tensor %d '%s', but no operator writes it and "
                       "it is neither a graph input nor a constant",
                       (int)n, q8_op_name(node->kind), (int)t, g->tensors[t].name);
      } else if (writer[t] > n) {
        return read_too_early(g, writer, n, t, error);
      }
      if (life[t].last < n) life[t].last = n;
    }
  }
  return Q8_OK;
}

q8_status q8_check_data_flow(const q8_graph *g, q8_lifetime *life, q8_error *error) {
  int32_t *writer = malloc(sizeof(int32_t) * (size_t)(g->n_tensors > 0 ? g->n_tensors : 1));
  if (writer == NULL) return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  q8_status s = find_writers(g, writer, error);
  for (int32_t t = 0; t < g->n_tensors; t++) {
    life[t] = writer[t] >= 0 ? (q8_lifetime){writer[t], writer[t]} : (q8_lifetime){INT32_MAX, -1};
  }
  for (int32_t i = 0; i < g->n_inputs && s == Q8_OK; i++) {
    const int32_t t = g->inputs[i];
    if (g->tensors[t].data != NULL)
      s = q8_fail(error, Q8_ERROR_INVALID_MODEL, "graph input %d (tensor %d '%s') is a constant",
                  (int)i, (int)t, g->tensors[t].name);
    else life[t] = (q8_lifetime){-1, g->n_nodes};
  }
  if (s == Q8_OK) s = check_reads(g, writer, life, error);
  for (int32_t i = 0; i < g->n_outputs && s == Q8_OK; i++) {
    const int32_t t = g->outputs[i];
    if (life[t].first == INT32_MAX)
      s = q8_fail(error, Q8_ERROR_INVALID_MODEL,
                  "graph output %d (tensor %d '%s') is never written", (int)i, (int)t,
                  g->tensors[t].name);
    else life[t].last = g->n_nodes;
  }
  free(writer);
  return s;
}
