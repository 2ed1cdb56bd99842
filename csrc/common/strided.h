// A strided view of a storage, described by sizes and element strides (up to kMaxDims dims),
// passed by value to CUDA kernels. Used to materialise permutes, slices and expands.
#pragma once
#include <cstdint>
#include <vector>

#include "arg_checks.h"

#ifdef __CUDACC__
#define KERNELS_HD __host__ __device__ __forceinline__
#else
#define KERNELS_HD inline
#endif

namespace kernels {

struct StridedLayout {
  int ndim = 0;
  int64_t sizes[kMaxDims];
  int64_t strides[kMaxDims];
  int64_t offset = 0;

  // Element offset (into the storage) of the i-th element in row-major order of `sizes`.
  KERNELS_HD int64_t offset_of(int64_t i) const {
    int64_t off = offset;
    for (int d = ndim - 1; d >= 0; --d) {
      const int64_t idx = i % sizes[d];
      i /= sizes[d];
      off += idx * strides[d];
    }
    return off;
  }
};

// Build a layout, merging adjacent dims that are contiguous with each other, so the common
// cases reduce to one or two dims.
inline StridedLayout make_layout(const std::vector<int64_t>& sizes,
                                 const std::vector<int64_t>& strides, int64_t offset,
                                 const char* op) {
  StridedLayout L;
  L.offset = offset;
  std::vector<int64_t> sz, st;
  for (size_t d = 0; d < sizes.size(); ++d) {
    if (sizes[d] == 1) continue;
    if (!sz.empty() && st.back() == strides[d] * sizes[d]) {
      sz.back() *= sizes[d];
      st.back() = strides[d];
    } else {
      sz.push_back(sizes[d]);
      st.push_back(strides[d]);
    }
  }
  KCHECK(static_cast<int>(sz.size()) <= kMaxDims, op, ": a strided view of more than ", kMaxDims,
         " non-mergeable dims is not supported, got sizes ", shape_str(sizes));
  L.ndim = static_cast<int>(sz.size());
  for (int d = 0; d < L.ndim; ++d) {
    L.sizes[d] = sz[d];
    L.strides[d] = st[d];
  }
  return L;
}

}  // namespace kernels
