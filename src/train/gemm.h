/* Single-precision matrix products for the training engine: OpenBLAS when the build found it
   (cblas_sgemm, called single-threaded from each of q8's own threads), otherwise a portable
   blocked kernel of ours with the same contract. */
#ifndef Q8_TRAIN_GEMM_H
#define Q8_TRAIN_GEMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Which implementation q8t_sgemm calls. */
typedef enum q8t_gemm_backend {
  Q8T_GEMM_AUTO,    /* OpenBLAS when the build has it, else portable */
  Q8T_GEMM_PORTABLE /* always ours (tests, benchmarks, builds without BLAS) */
} q8t_gemm_backend;

/* Floats of workspace the portable kernel needs per call (packed panels of A and B). */
#define Q8T_GEMM_WORKSPACE_FLOATS ((size_t)(256 * 512 + 128 * 256))

/* C = alpha * op(A) * op(B) + beta * C, all row-major. op(A) is m x k: A is stored m x k
   (row stride lda >= k), or k x m when trans_a (lda >= m); op(B) is k x n: B is k x n
   (ldb >= n), or n x k when trans_b (ldb >= k). C is m x n with row stride ldc >= n.
   beta == 0 overwrites C without reading it (C may hold NaNs or garbage). workspace:
   Q8T_GEMM_WORKSPACE_FLOATS floats, used only by the portable kernel (may be NULL when
   backend resolves to OpenBLAS). Deterministic: the same arguments give the same bits. */
void q8t_sgemm(q8t_gemm_backend backend, bool trans_a, bool trans_b, int32_t m, int32_t n,
               int32_t k, float alpha, const float *a, int32_t lda, const float *b, int32_t ldb,
               float beta, float *c, int32_t ldc, float *workspace);

/* The portable kernel alone (tests compare it with OpenBLAS and with a double reference). */
void q8t_sgemm_portable(bool trans_a, bool trans_b, int32_t m, int32_t n, int32_t k, float alpha,
                        const float *a, int32_t lda, const float *b, int32_t ldb, float beta,
                        float *c, int32_t ldc, float *workspace);

/* True when the build links OpenBLAS. */
bool q8t_gemm_have_blas(void);

/* Name of what backend resolves to: "OpenBLAS" or "portable". */
const char *q8t_gemm_backend_name(q8t_gemm_backend backend);

/* Tells OpenBLAS to run each call on the calling thread only (no-op without OpenBLAS): q8's
   own threads split the work, and OpenBLAS's threads would compete with them for the same
   cores (and spin after each call). OpenBLAS keeps this setting process-wide; the engine
   calls it before each pass. */
void q8t_gemm_single_threaded(void);

#endif
