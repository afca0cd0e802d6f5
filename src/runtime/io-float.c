/* Float convenience I/O: quantize float inputs and dequantize outputs (not in the
   integer-only build). */
#include <math.h>
#include <string.h>

#include "runtime/runtime.h"
#include "runtime/internal-io.h"


static q8_status check_float_io(q8_interp *interp, int32_t t, int32_t index, const char *what,
                                const void *data, size_t count) {
  const q8_tensor *tensor = &interp->tensors[t];
  size_t elements = q8_tensor_elements(tensor);
  if (data == NULL || count != elements)
    return q8_fail(&interp->last_error, Q8_ERROR_INVALID_ARGUMENT,
                   "%s %d '%s' has %zu elements; got %zu floats%s", what, (int)index,
                   tensor->name, elements, count, data == NULL ? " (NULL data)" : "");
  if (tensor->type == Q8_TYPE_FLOAT32) return Q8_OK;
  if (tensor->quant.count != 1)
    return q8_fail(&interp->last_error, Q8_ERROR_UNSUPPORTED,
                   "%s %d '%s' (%s) has no per-tensor quantization to convert floats with",
                   what, (int)index, tensor->name, q8_type_name(tensor->type));
  return Q8_OK;
}

/* As TFLite's AffineQuantize: divide in float, round half away from zero, add the zero
   point, clamp to the type's range. */
static int32_t quantize_one(float x, float scale, int32_t zero_point, int32_t lo, int32_t hi) {
  double q = (double)roundf(x / scale) + zero_point;
  if (!(q >= lo)) return isnan(q) ? zero_point : lo; /* NaN maps to the zero point */
  if (q > hi) return hi;
  return (int32_t)q;
}

q8_status q8_interp_set_input_float(q8_interp *interp, int32_t index, const float *data,
                                    size_t count) {
  if (interp == NULL) return Q8_ERROR_INVALID_ARGUMENT;
  int32_t t = q8_interp_io_tensor(interp, false, index);
  if (t < 0) return Q8_ERROR_INVALID_ARGUMENT;
  q8_status s = check_float_io(interp, t, index, "input", data, count);
  if (s != Q8_OK) return s;
  const q8_tensor *tensor = &interp->tensors[t];
  void *dst = interp->tensor_data[t];
  if (tensor->type == Q8_TYPE_FLOAT32) {
    memcpy(dst, data, count * sizeof(float));
  } else if (tensor->type == Q8_TYPE_INT8 || tensor->type == Q8_TYPE_UINT8) {
    const bool is_int8 = tensor->type == Q8_TYPE_INT8;
    const float scale = tensor->quant.scale[0];
    const int32_t zp = tensor->quant.zero_point[0];
    for (size_t i = 0; i < count; i++) {
      int32_t q = quantize_one(data[i], scale, zp, is_int8 ? -128 : 0, is_int8 ? 127 : 255);
      if (is_int8) ((int8_t *)dst)[i] = (int8_t)q;
      else ((uint8_t *)dst)[i] = (uint8_t)q;
    }
  } else {
    return q8_fail(&interp->last_error, Q8_ERROR_UNSUPPORTED,
                   "input %d '%s' is %s; floats convert only to float32, int8 or uint8",
                   (int)index, tensor->name, q8_type_name(tensor->type));
  }
  interp->input_set[index] = true;
  return Q8_OK;
}

q8_status q8_interp_get_output_float(q8_interp *interp, int32_t index, float *data,
                                     size_t count) {
  if (interp == NULL) return Q8_ERROR_INVALID_ARGUMENT;
  int32_t t = q8_interp_io_tensor(interp, true, index);
  if (t < 0) return Q8_ERROR_INVALID_ARGUMENT;
  q8_status s = check_float_io(interp, t, index, "output", data, count);
  if (s != Q8_OK) return s;
  const q8_tensor *tensor = &interp->tensors[t];
  const void *src = interp->tensor_data[t];
  if (tensor->type == Q8_TYPE_FLOAT32) {
    memcpy(data, src, count * sizeof(float));
    return Q8_OK;
  }
  const double scale = tensor->quant.count > 0 ? tensor->quant.scale[0] : 1.0;
  const int32_t zp = tensor->quant.count > 0 ? tensor->quant.zero_point[0] : 0;
  for (size_t i = 0; i < count; i++) {
    int32_t q;
    switch (tensor->type) {
      case Q8_TYPE_INT8: q = ((const int8_t *)src)[i]; break;
      case Q8_TYPE_UINT8: q = ((const uint8_t *)src)[i]; break;
      default: q = ((const int32_t *)src)[i]; break;
    }
    data[i] = (float)(scale * (double)((int64_t)q - zp)); /* int32 q - zp can overflow */
  }
  return Q8_OK;
}
