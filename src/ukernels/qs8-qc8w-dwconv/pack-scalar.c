/* Weight packing for the 8-bit depthwise kernels (prepare time). Layouts: qs8-qc8w-dwconv.h. */
#include <string.h>

#include "ukernels/qs8-qc8w-dwconv/qs8-qc8w-dwconv.h"

enum { C32 = 32, C32_HEADER_INTS = 4 * C32, C32_PAIR_BYTES = 2 * C32 * 2 };

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
  return channels * (4 + taps) * sizeof(int32_t);
}

void q8_dwconv_pack_c1(const q8_dwconv_pack_source *src, void *packed) {
  int32_t *out = packed;
  for (size_t c = 0; c < src->channels; c++, out += 4 + src->taps) {
    out[0] = folded_bias(src, c);
    out[1] = src->multiplier[c];
    out[2] = src->shift[c];
    out[3] = 0;
    for (size_t t = 0; t < src->taps; t++) out[4 + t] = weight(src, t, c);
  }
}

static size_t c32_pairs(size_t taps) { return (taps + 1) / 2; }

static size_t c32_block_bytes(size_t taps) {
  return C32_HEADER_INTS * sizeof(int32_t) + c32_pairs(taps) * C32_PAIR_BYTES;
}

size_t q8_dwconv_packed_size_c32(size_t channels, size_t taps) {
  return (channels + C32 - 1) / C32 * c32_block_bytes(taps);
}

/* The kernel widens 32 channels of taps t and t+1 to int16 and interleaves them with
   vpunpcklwd / vpunpckhwd, which work inside 128-bit lanes: int32 lane 4k + j of the "lo"
   accumulator holds channel 8k + j, of the "hi" one channel 8k + 4 + j (k < 4, j < 4).
   vpackssdw(lo, hi) restores channel order. Lane i of half h (0 lo, 1 hi) is channel: */
static size_t c32_channel(size_t half, size_t lane) {
  return 8 * (lane / 4) + 4 * half + lane % 4;
}

void q8_dwconv_pack_c32(const q8_dwconv_pack_source *src, void *packed) {
  const size_t taps = src->taps, pairs = c32_pairs(taps);
  memset(packed, 0, q8_dwconv_packed_size_c32(src->channels, taps));
  for (size_t block = 0; block * C32 < src->channels; block++) {
    uint8_t *base = (uint8_t *)packed + block * c32_block_bytes(taps);
    int32_t *header = (int32_t *)base;
    int16_t *w = (int16_t *)(base + C32_HEADER_INTS * sizeof(int32_t));
    for (size_t half = 0; half < 2; half++)
      for (size_t lane = 0; lane < 16; lane++) {
        const size_t c = block * C32 + c32_channel(half, lane);
        if (c >= src->channels) continue;
        const size_t slot = half * 16 + lane;
        const int32_t shift = src->shift[c];
        header[slot] = folded_bias(src, c);
        header[C32 + slot] = src->multiplier[c];
        header[2 * C32 + slot] = shift > 0 ? shift : 0;
        header[3 * C32 + slot] = shift > 0 ? 0 : -shift;
        for (size_t p = 0; p < pairs; p++) {
          int16_t *pair = w + (p * 2 + half) * C32 + 2 * lane;
          pair[0] = (int16_t)weight(src, 2 * p, c);
          pair[1] = 2 * p + 1 < taps ? (int16_t)weight(src, 2 * p + 1, c) : 0;
        }
      }
  }
}
