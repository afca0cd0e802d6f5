/* Run of the packed 8-bit GEMM path (integer only): each task packs its block of activation
   rows into its thread's scratch, then runs the kernel over its column panels. */
#include "ops/quant-gemm.h"

#include "core/threadpool.h"

typedef struct gemm_job {
  const q8_quant_gemm *g;
  const uint8_t *input;
  uint8_t *output;
  uint8_t *scratch;
} gemm_job;

static void run_task(void *context, int32_t task, int32_t thread) {
  const gemm_job *job = context;
  const q8_quant_gemm *g = job->g;
  const size_t tm = (size_t)task / g->tasks_n, tn = (size_t)task % g->tasks_n;
  const size_t m0 = tm * g->block_rows;
  const size_t rows = g->m - m0 < g->block_rows ? g->m - m0 : g->block_rows;
  uint8_t *a = job->scratch + (size_t)thread * g->thread_bytes;
  int32_t *row_terms = (int32_t *)(void *)(a + g->block_rows * g->row_bytes);
  if (g->c2)
    q8_qs8_im2col_pack_c2(&g->geometry, g->kc, job->input, m0, rows, (int16_t *)(void *)a);
  else
    q8_qs8_im2col_pack(&g->geometry, g->kc, job->input, m0, rows, a, row_terms);
  const bool has_row_terms = g->geometry.row_factor != 0;
  const size_t n0 = tn * g->block_panels * g->nr;
  const size_t n1 = n0 + g->block_panels * g->nr < g->n ? n0 + g->block_panels * g->nr : g->n;
  /* Column panels outside, rows inside: a panel stays in L1 while the block's rows pass. */
  for (size_t n = n0; n < n1; n += g->nr) {
    const uint8_t *panel = g->packed + (n / g->nr) * g->panel_bytes;
    const size_t nc = n1 - n < g->nr ? n1 - n : g->nr;
    for (size_t r = 0; r < rows; r += g->mr) {
      const size_t mr = rows - r < g->mr ? rows - r : g->mr;
      g->ukernel(mr, nc, g->kc, a + r * g->row_bytes, g->row_bytes, panel,
                 has_row_terms ? row_terms + r : NULL, job->output + (m0 + r) * g->n + n, g->n,
                 &g->params);
    }
  }
}

void q8_quant_gemm_run(const q8_quant_gemm *g, const uint8_t *input, uint8_t *output,
                       void *scratch) {
  gemm_job job = {g, input, output, scratch};
  q8_threadpool_run(g->pool, run_task, &job, (int32_t)(g->tasks_m * g->tasks_n));
}
