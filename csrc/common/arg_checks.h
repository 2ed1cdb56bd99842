// Shared argument checks for csrc/ops/. Each names the op and the offending tensors.
#pragma once
#include <cfloat>
#include <cmath>
#include <initializer_list>

#include "tensor.h"

namespace kernels {

inline void check_defined(const char* op, const Tensor& t, const char* name) {
  KCHECK(t.defined(), op, ": ", name, " is an undefined tensor");
}

// Every op that writes into an existing tensor: memory NumPy marked read-only (a read-only mmap,
// np.frombuffer over bytes) would fault, not raise.
inline void check_writable(const char* op, const Tensor& t) {
  KCHECK(!t.storage || t.storage->writable, op, ": cannot write into ", t.desc(),
         ": it shares the memory of a read-only NumPy array (flags.writeable is False); write into "
         "a copy (.clone()) instead");
}

// A value about to be stored in a tensor of `dtype`: NaN, infinities and out-of-range values
// would turn into -2^63 (int64), a wrapped value (the narrower integers) or inf (float32) without
// a word; torch raises. As torch's, the range for the narrower integers depends on where the value
// came from: a float must lie in [min, max] (255.5 and -0.5 do not fit uint8), an integer
// (`from_int`) may also be negative down to -max in an unsigned dtype, where it wraps (-1 -> 255).
inline void check_fill_value(const char* op, double value, DType dtype, bool from_int = false) {
  if (dtype == DType::Int64)
    KCHECK_RUNTIME(value >= -9223372036854775808.0 && value < 9223372036854775808.0, op, ": value ",
                   value, " cannot be converted to int64 without overflow");
  if (is_small_int(dtype)) {
    double lo = 0, hi = 0;
    switch (dtype) {
      case DType::UInt8: lo = from_int ? -255.0 : 0.0, hi = 255.0; break;
      case DType::Int8: lo = -128.0, hi = 127.0; break;
      case DType::Int16: lo = -32768.0, hi = 32767.0; break;
      default: lo = -2147483648.0, hi = 2147483647.0; break;
    }
    KCHECK_RUNTIME(value >= lo && value <= hi, op, ": value ", value, " cannot be converted to ",
                   dtype_name(dtype), " without overflow");
  }
  if (dtype == DType::Float32)
    KCHECK_RUNTIME(std::isnan(value) || std::isinf(value) || std::fabs(value) <= FLT_MAX, op,
                   ": value ", value, " cannot be converted to float32 without overflow");
}

inline void check_same_device(const char* op, const Tensor& a, const Tensor& b) {
  KCHECK_RUNTIME(a.device() == b.device(), op, ": expected all tensors on the same device, got ", a.desc(),
         " and ", b.desc());
}

inline void check_same_dtype(const char* op, const Tensor& a, const Tensor& b) {
  KCHECK_TYPE(a.dtype == b.dtype, op, ": expected tensors of the same dtype, got ", a.desc(),
              " and ", b.desc());
}

inline void check_floating(const char* op, const Tensor& t) {
  KCHECK_TYPE(!is_small_int(t.dtype), op, ": ", dtype_name(t.dtype), " tensors are not supported (",
              op, " takes float32 or float64, got ", t.desc(), "); convert with .float() first");
  KCHECK_TYPE(is_floating(t.dtype), op, ": expected a float32 or float64 tensor, got ", t.desc());
}

inline void check_dtype(const char* op, const Tensor& t, DType want, const char* name) {
  KCHECK_TYPE(t.dtype == want, op, ": ", name, " must be ", dtype_name(want), ", got ", t.desc());
}

inline void check_rank(const char* op, const Tensor& t, std::initializer_list<int> ranks,
                       const char* name) {
  for (int r : ranks)
    if (t.dim() == r) return;
  std::string want;
  for (int r : ranks) want += (want.empty() ? "" : " or ") + std::to_string(r);
  throw std::invalid_argument(str_cat(op, ": ", name, " must have rank ", want, ", got shape ",
                                      shape_str(t.shape)));
}

// CUDA kernels index with 32-bit grid math in places; keep them honest about it.
constexpr int kMaxDims = 8;
inline void check_max_dims(const char* op, const Tensor& t) {
  KCHECK(t.dim() <= kMaxDims, op, ": tensors of more than ", kMaxDims, " dims are not supported, got ",
         shape_str(t.shape));
}

}  // namespace kernels
