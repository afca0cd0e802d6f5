/* Weight packing for the 8-bit depthwise kernels (prepare time). Layouts: qs8-qc8w-dwconv.h. */
#include <string.h>

#include "ukernels/qs8-qc8w-dwconv/qs8-qc8w-dwconv.h"


static int32_t weight(const q8_dwconv_pack_source *src, size_t t, size_t c) {
  const size_t i = t * src->channels + c;
  const int32_t w = src->is_signed ? (int32_t)((const int8_t *)src->filter)[i]
                                   : (int32_t)((const uint8_t *)src->filter)[i];
  return w - src->weight_zero_point;
}

/* bias - input_zero_point * sum_t (w_t - w_zp), modulo 2^32 as the reference's fold. */
static int32_t folded_bias(const q8_dwconv_pack_source *src, size_t c) {
  uint32_t sum = 0;
  for (size_t t = 0; t < src->taps; t++) sum += (uint32_t)weight(src, t, c);
  const uint32_t bias = src->bias != NULL ? (uint32_t)src->bias[c] : 0;
  return (int32_t)(bias - (uint32_t)src->input_zero_point * sum);
}

size_t q8_dwconv_packed_size_c1(size_t channels, size_t taps) {
  return channels * (3 + taps) * sizeof(int32_t);
}

void q8_dwconv_pack_c1(const q8_dwconv_pack_source *src, void *packed) {
  const size_t channels = src->channels;
  int32_t *bias = packed, *multiplier = bias + channels, *shift = multiplier + channels;
  int32_t *weights = shift + channels;
  for (size_t c = 0; c < channels; c++) {
    bias[c] = folded_bias(src, c);
    multiplier[c] = src->multiplier[c];
    shift[c] = src->shift[c];
    for (size_t t = 0; t < src->taps; t++) weights[t * channels + c] = weight(src, t, c);
  }
}

/* Per block: 3 int32 vectors (bias, multiplier, shift), then per pair of taps two halves of
   block int16 pairs. */
static size_t block_bytes(size_t taps, size_t block) {
  return 3 * block * sizeof(int32_t) + (taps + 1) / 2 * 2 * block * sizeof(int16_t);
}

size_t q8_dwconv_packed_size_pairs(size_t channels, size_t taps, size_t block) {
  return (channels + block - 1) / block * block_bytes(taps, block);
}

/* The kernels widen a block of channels of taps t and t+1 to int16 and interleave them with
   punpcklwd / punpckhwd, which work inside 128-bit lanes: int32 lane 4k + j of the "lo"
   accumulator holds channel 8k + j, of the "hi" one channel 8k + 4 + j (j < 4). packssdw(lo,
   hi) restores channel order. Lane i of half h (0 lo, 1 hi) is channel: */
static size_t pair_channel(size_t half, size_t lane) {
  return 8 * (lane / 4) + 4 * half + lane % 4;
}

static void pack_lane(const q8_dwconv_pack_source *src, size_t block, size_t c, size_t slot,
                      int32_t *header, int16_t *weights) {
  header[slot] = folded_bias(src, c);
  header[block + slot] = src->multiplier[c];
  header[2 * block + slot] = src->shift[c];
  const size_t half = slot / (block / 2), lane = slot % (block / 2);
  for (size_t t = 0; t < src->taps; t += 2) {
    int16_t *pair = weights + (t + half) * block + 2 * lane;
    pair[0] = (int16_t)weight(src, t, c);
    pair[1] = t + 1 < src->taps ? (int16_t)weight(src, t + 1, c) : 0;
  }
}

void q8_dwconv_pack_pairs(const q8_dwconv_pack_source *src, size_t block, void *packed) {
  memset(packed, 0, q8_dwconv_packed_size_pairs(src->channels, src->taps, block));
  for (size_t b = 0; b * block < src->channels; b++) {
    uint8_t *base = (uint8_t *)packed + b * block_bytes(src->taps, block);
    int16_t *weights = (int16_t *)(base + 3 * block * sizeof(int32_t));
    for (size_t slot = 0; slot < block; slot++) {
      const size_t c = b * block + pair_channel(slot / (block / 2), slot % (block / 2));
      if (c < src->channels) pack_lane(src, block, c, slot, (int32_t *)base, weights);
    }
  }
}
