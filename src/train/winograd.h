/* Winograd's F(2x2, 3x3) convolution of one NHWC image: each 2x2 block of outputs comes from
   a 4x4 patch of the input, as 16 element-wise products of transformed patches and
   transformed weights instead of 36 multiply-adds per input channel (2.25 times fewer
   multiplications). The element-wise products, summed over the input channels, are 16 matrix
   products [tiles x cin] x [cin x cout] through the skinny tiles (gemm-tiles.h).

   For the 3x3, stride-1 convolutions of the training engine: their forward (x with w), their
   input gradient (the output gradient with the flipped weights, transposed:
   q8t_winograd_weights' flipped form) and their weight gradient (summed in the transformed
   domain, q8t_winograd_weight_grad_image, then transformed back once). Exact in real arithmetic; in float its rounding differs
   from the direct product's (the transforms add and halve), by about the same magnitude.

   The transforms are adds, subtracts and halvings only, so both compilations (kernel-*.c:
   portable, and AVX2 + FMA) compute them to the same bits; they differ only where the tiles do
   (FMA's single rounding in the products). Images are independent: results do not depend on
   how a batch is split between threads. */
#ifndef Q8_TRAIN_WINOGRAD_H
#define Q8_TRAIN_WINOGRAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One convolution's shapes: input h x w x cin, output oh x ow x cout, output (oy, ox) reading
   the input rows oy - pad_top .. oy - pad_top + 2 and columns likewise (zero outside). */
typedef struct q8t_winograd {
  int32_t h, w, cin;
  int32_t oh, ow, cout;
  int32_t pad_top, pad_left;
  int32_t tiles_h, tiles_w; /* 2x2 output blocks: ceil(oh / 2), ceil(ow / 2) */
  int32_t band;             /* block rows per pass, so that a pass's transforms stay in L2 */
  int32_t padded_h, padded_w; /* the zero-framed input copy: 2 * tiles + 2 each way */
} q8t_winograd;

/* The plan of a convolution (any sizes >= 1; pads >= 0). */
q8t_winograd q8t_winograd_plan(int32_t h, int32_t w, int32_t cin, int32_t oh, int32_t ow,
                               int32_t cout, int32_t pad_top, int32_t pad_left);

/* Floats of the transformed weights (16 x cin x cout) and of one thread's image scratch (the
   framed input copy, the band's transformed input and products). */
size_t q8t_winograd_weight_floats(const q8t_winograd *p);
size_t q8t_winograd_scratch_floats(const q8t_winograd *p);

/* Offsets in the image scratch, in floats: the framed input copy, the band's transformed
   input (16 x blocks x cin), its products (16 x blocks x cout; the weight gradient's
   transformed output gradient), four rows of cout floats that take the outputs of blocks past
   the output's edge, a row of cout zeros that stands for the output gradient there. */
typedef struct q8t_winograd_scratch {
  size_t input, transformed, products, discard, zeros, total;
} q8t_winograd_scratch;
q8t_winograd_scratch q8t_winograd_scratch_layout(const q8t_winograd *p);

/* u = the transformed 3x3 weights w [o][3][3][c] (TFLite's layout), as [16][cin][cout]:
   flipped false: cin = c, cout = o (the forward); flipped true: cin = o, cout = c and each
   kernel turned by 180 degrees (the input gradient's convolution). */
void q8t_winograd_weights(const float *w, int32_t o, int32_t c, bool flipped, float *u);

/* Clears the frame of scratch's input copy and its zero row (once per layer call and thread:
   the images only write the copy's interior). */
void q8t_winograd_clear(const q8t_winograd *p, float *scratch);

/* y (oh x ow x cout) = the convolution of x (h x w x cin) with the transformed weights u, or
   y += it where accumulate. scratch: q8t_winograd_scratch_floats, cleared by
   q8t_winograd_clear for this plan. */
void q8t_winograd_image(const q8t_winograd *p, const float *x, const float *u, bool accumulate,
                        float *y, float *scratch);
void q8t_winograd_image_avx2(const q8t_winograd *p, const float *x, const float *u,
                             bool accumulate, float *y, float *scratch);

/* The weight gradient in the transformed domain: du (16 x cin x cout) += for each block, the
   transformed input patch (B^T d B) times the transformed output gradient (A dy A^T, dy the
   block's 2x2 output gradient, zero past the output's edge), summed over the blocks and
   multiplied out over the channels: du_xi += V_xi^T Z_xi. Same scratch as the forward. */
void q8t_winograd_weight_grad_image(const q8t_winograd *p, const float *x, const float *dy,
                                    float *du, float *scratch);
void q8t_winograd_weight_grad_image_avx2(const q8t_winograd *p, const float *x, const float *dy,
                                         float *du, float *scratch);

/* dw [o][3][3][c] = G^T du G per kernel (du: 16 x c x o, as the forward's weights'
   transform lays it out): the weight gradient from its transformed form. */
void q8t_winograd_weight_grad_finish(const float *du, int32_t o, int32_t c, float *dw);

struct q8t_graph;
struct q8t_node;

/* Whether a convolution node runs through Winograd (its forward, input gradient and weight
   gradient): the AVX2 layers, the tiles
   (Q8T_GEMM_AUTO, output channels a multiple of 8), no direct_conv option, a 3x3 kernel at
   stride 1, input channels a multiple of 8 (fewer leave the products too shallow to gain: a
   first layer's one channel ran 3x slower), and weights that are a trained parameter, or
   the fake-quantized weights of a folded batch norm's layer before its freeze
   (attrs.winograd_quantized). Other fake-quantized weights (QAT) keep the direct product: the
   integer requantization recovers each accumulator from the float output (qat-requant.h),
   and its allowance for float error is the direct product's. */
bool q8t_conv_uses_winograd(const struct q8t_graph *g, const struct q8t_node *node);

#endif
