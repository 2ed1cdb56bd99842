// Copies, casts and fills on CUDA; the maths is in csrc/cpu/copy.cpp's header comment.
#include "../common/cast.h"
#include "../common/dispatch.h"
#include "../contracts/copy.h"
#include "cuda_utils.cuh"

namespace kernels::cuda {

template <class From, class To>
__global__ void cast_kernel(const From* s, To* o, int64_t n) {
  CUDA_KERNEL_LOOP(i, n) o[i] = cast_value<To>(s[i]);
}

template <class T>
__global__ void fill_kernel(T* o, T v, int64_t n) {
  CUDA_KERNEL_LOOP(i, n) o[i] = v;
}

template <class T>
__global__ void arange_kernel(T* o, double start, double step, int64_t n) {
  CUDA_KERNEL_LOOP(i, n) o[i] = cast_value<T>(start + i * step);
}

template <class T>
__global__ void strided_gather_kernel(const T* base, StridedLayout L, T* out, int64_t n) {
  CUDA_KERNEL_LOOP(i, n) out[i] = base[L.offset_of(i)];
}

template <class T>
__global__ void strided_scatter_kernel(const T* grad, StridedLayout L, T* base, int64_t n) {
  CUDA_KERNEL_LOOP(i, n) base[L.offset_of(i)] = grad[i];
}

void cast(const Tensor& src, Tensor& out) {
  const int64_t n = src.numel();
  if (!n) return;
  KERNELS_DISPATCH_ALL(src.dtype, "to", [&] {
    using from_t = scalar_t;
    KERNELS_DISPATCH_ALL(out.dtype, "to", [&] {
      cast_kernel<<<cuda::grid_for(n), cuda::kBlock>>>(src.data<from_t>(), out.data<scalar_t>(), n);
    });
  });
  cuda::check_launch("to");
}

void fill(Tensor& out, double value) {
  const int64_t n = out.numel();
  if (!n) return;
  KERNELS_DISPATCH_ALL(out.dtype, "full", [&] {
    fill_kernel<<<cuda::grid_for(n), cuda::kBlock>>>(out.data<scalar_t>(),
                                                     cast_value<scalar_t>(value), n);
  });
  cuda::check_launch("full");
}

void arange(Tensor& out, double start, double step) {
  const int64_t n = out.numel();
  if (!n) return;
  KERNELS_DISPATCH_NON_BOOL(out.dtype, "arange", [&] {
    arange_kernel<<<cuda::grid_for(n), cuda::kBlock>>>(out.data<scalar_t>(), start, step, n);
  });
  cuda::check_launch("arange");
}

void strided_copy_forward(const Tensor& src, const StridedLayout& L, Tensor& out) {
  const int64_t n = out.numel();
  if (!n) return;
  KERNELS_DISPATCH_ALL(src.dtype, "strided_copy", [&] {
    strided_gather_kernel<<<cuda::grid_for(n), cuda::kBlock>>>(src.data<scalar_t>(), L,
                                                               out.data<scalar_t>(), n);
  });
  cuda::check_launch("strided_copy");
}

void strided_copy_backward(const Tensor& grad, const StridedLayout& L, Tensor& dsrc) {
  if (dsrc.nbytes()) CUDA_CHECK(cudaMemset(dsrc.raw_data(), 0, dsrc.nbytes()));
  const int64_t n = grad.numel();
  if (!n) return;
  KERNELS_DISPATCH_ALL(grad.dtype, "strided_copy_backward", [&] {
    strided_scatter_kernel<<<cuda::grid_for(n), cuda::kBlock>>>(grad.data<scalar_t>(), L,
                                                                dsrc.data<scalar_t>(), n);
  });
  cuda::check_launch("strided_copy_backward");
}

}  // namespace kernels::cuda
