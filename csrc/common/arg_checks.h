// Shared argument checks for csrc/ops/. Each names the op and the offending tensors.
#pragma once
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

inline void check_same_device(const char* op, const Tensor& a, const Tensor& b) {
  KCHECK_RUNTIME(a.device() == b.device(), op, ": expected all tensors on the same device, got ", a.desc(),
         " and ", b.desc());
}

inline void check_same_dtype(const char* op, const Tensor& a, const Tensor& b) {
  KCHECK_TYPE(a.dtype == b.dtype, op, ": expected tensors of the same dtype, got ", a.desc(),
              " and ", b.desc());
}

inline void check_floating(const char* op, const Tensor& t) {
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
