/* Matrix product dispatch: OpenBLAS's cblas_sgemm when the build has it, else the portable
   kernel (gemm-portable.c). */
#include "train/gemm.h"

#if defined(Q8_TRAIN_HAVE_OPENBLAS)
#include <cblas.h>
#endif

bool q8t_gemm_have_blas(void) {
#if defined(Q8_TRAIN_HAVE_OPENBLAS)
  return true;
#else
  return false;
#endif
}

static bool use_blas(q8t_gemm_backend backend) {
  return backend == Q8T_GEMM_AUTO && q8t_gemm_have_blas();
}

const char *q8t_gemm_backend_name(q8t_gemm_backend backend) {
  return use_blas(backend) ? "OpenBLAS" : "portable";
}

void q8t_gemm_single_threaded(void) {
#if defined(Q8_TRAIN_HAVE_OPENBLAS)
  if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
#endif
}

void q8t_sgemm(q8t_gemm_backend backend, bool trans_a, bool trans_b, int32_t m, int32_t n,
               int32_t k, float alpha, const float *a, int32_t lda, const float *b, int32_t ldb,
               float beta, float *c, int32_t ldc, float *workspace) {
#if defined(Q8_TRAIN_HAVE_OPENBLAS)
  /* k == 0 goes to the portable kernel, which defines it (C = beta * C, and beta == 0
     clears C without reading it) instead of relying on BLAS's quick return. */
  if (use_blas(backend) && m > 0 && n > 0 && k > 0) {
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
#endif
  (void)backend;
  q8t_sgemm_portable(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, workspace);
}
