// Copies, casts and fills.
//   cast:          out[i] = cast_value<To>(src[i])   (csrc/common/cast.h: torch's conversions)
//   fill:          out[i] = value
//   arange:        out[i] = start + i * step
//   strided_copy:  out[i] = storage[layout.offset_of(i)]   (materialise a permute/slice/expand)
//                  backward: dsrc = 0; dsrc[layout.offset_of(i)] = grad[i]  (view must not overlap)
#include "../contracts/copy.h"

#include <cstring>

#include "../common/cast.h"
#include "../common/dispatch.h"
#include "parallel.h"

namespace kernels::cpu {

void cast(const Tensor& src, Tensor& out) {
  const int64_t n = src.numel();
  KERNELS_DISPATCH_ALL(src.dtype, "to", [&] {
    using from_t = scalar_t;
    const from_t* s = src.data<from_t>();
    KERNELS_DISPATCH_ALL(out.dtype, "to", [&] {
      scalar_t* o = out.data<scalar_t>();
      parallel_for(n, kGrainElementwise, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) o[i] = cast_value<scalar_t>(s[i]);
      });
    });
  });
}

void fill(Tensor& out, double value) {
  const int64_t n = out.numel();
  KERNELS_DISPATCH_ALL(out.dtype, "full", [&] {
    const scalar_t v = cast_value<scalar_t>(value);
    scalar_t* o = out.data<scalar_t>();
    parallel_for(n, kGrainElementwise, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) o[i] = v;
    });
  });
}

void arange(Tensor& out, double start, double step) {
  KERNELS_DISPATCH_NON_BOOL(out.dtype, "arange", [&] {
    scalar_t* o = out.data<scalar_t>();
    for (int64_t i = 0; i < out.numel(); ++i) o[i] = cast_value<scalar_t>(start + i * step);
  });
}

template <class T>
static void strided_gather(const T* base, const StridedLayout& L, T* out, int64_t n) {
  if (L.ndim == 0) {
    for (int64_t i = 0; i < n; ++i) out[i] = base[L.offset];
    return;
  }
  // Rows along the innermost dim; each row is a memcpy when its stride is 1.
  const int64_t inner = L.sizes[L.ndim - 1], inner_stride = L.strides[L.ndim - 1];
  const int64_t rows = n / inner;
  parallel_for(rows, std::max<int64_t>(1, kGrainElementwise / inner), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const T* src = base + L.offset_of(r * inner);
      T* dst = out + r * inner;
      if (inner_stride == 1) {
        std::memcpy(dst, src, inner * sizeof(T));
      } else {
        for (int64_t j = 0; j < inner; ++j) dst[j] = src[j * inner_stride];
      }
    }
  });
}

template <class T>
static void strided_scatter(const T* grad, const StridedLayout& L, T* base, int64_t n) {
  if (L.ndim == 0) {
    if (n) base[L.offset] = grad[0];
    return;
  }
  const int64_t inner = L.sizes[L.ndim - 1], inner_stride = L.strides[L.ndim - 1];
  const int64_t rows = n / inner;
  parallel_for(rows, std::max<int64_t>(1, kGrainElementwise / inner), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      T* dst = base + L.offset_of(r * inner);
      const T* src = grad + r * inner;
      for (int64_t j = 0; j < inner; ++j) dst[j * inner_stride] = src[j];
    }
  });
}

void strided_copy_forward(const Tensor& src, const StridedLayout& L, Tensor& out) {
  KERNELS_DISPATCH_ALL(src.dtype, "strided_copy", [&] {
    // `L.offset` is relative to the tensor's first element, so start from src.data().
    strided_gather(src.data<scalar_t>(), L, out.data<scalar_t>(), out.numel());
  });
}

void strided_copy_backward(const Tensor& grad, const StridedLayout& L, Tensor& dsrc) {
  if (dsrc.nbytes()) std::memset(dsrc.raw_data(), 0, dsrc.nbytes());
  if (grad.numel() == 0) return;
  KERNELS_DISPATCH_ALL(grad.dtype, "strided_copy_backward", [&] {
    strided_scatter(grad.data<scalar_t>(), L, dsrc.data<scalar_t>(), grad.numel());
  });
}

}  // namespace kernels::cpu
