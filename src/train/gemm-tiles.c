/* Which compilation of the tiles (kernel-gemm-tiles.c) a caller gets: the portable twins
   always, the AVX2 + FMA kernels where the build has them and the CPU runs them. */
#include "train/gemm-tiles.h"

#include "train/ops.h"
#include "train/winograd.h"

bool q8t_tiles_kernels_for(bool avx2, q8t_tiles_kernels *kernels) {
  *kernels = (q8t_tiles_kernels){q8t_sgemm_tiles, q8t_sgemm_windows, q8t_sgemm_windows_b,
                                  q8t_winograd_image, q8t_winograd_weight_grad_image};
  if (!avx2) return true;
#if defined(Q8_TRAIN_HAVE_AVX2)
  const q8t_op_impl *const *table;
  q8t_isa resolved;
  q8_error error;
  if (q8t_op_table_for(Q8T_ISA_AVX2, &table, &resolved, &error) != Q8_OK) return false;
  *kernels = (q8t_tiles_kernels){q8t_sgemm_tiles_avx2, q8t_sgemm_windows_avx2,
                                  q8t_sgemm_windows_b_avx2, q8t_winograd_image_avx2,
                                  q8t_winograd_weight_grad_image_avx2};
  return true;
#else
  return false;
#endif
}
