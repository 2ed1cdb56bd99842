// Padding on CUDA; the maths is in csrc/cpu/pad.cpp's header comment and the index maps in
// csrc/common/pad_math.h. One thread per output element: the forward gathers its source (or the
// constant), the backward (reflect / replicate / circular) zeroes dx and adds into the source
// with atomicAdd.
#include "../common/dispatch.h"
#include "cuda_utils.cuh"
#include "../contracts/pad.h"

namespace kernels::cuda {

namespace {

// Input offset of output element i, or -1 for a constant position.
__device__ __forceinline__ int64_t pad_source_offset(const PadGeom& g, int64_t i) {
  int64_t off = 0, stride = 1;
  for (int d = g.D - 1; d >= 0; --d) {
    const int64_t o = i % g.out[d];
    i /= g.out[d];
    const int64_t s = pad_source(o, g.in[d], g.before[d], g.after[d], g.mode);
    if (s < 0) return -1;
    off += s * stride;
    stride *= g.in[d];
  }
  return off;
}

template <class T>
__global__ void pad_fwd_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t n, PadGeom g) {
  const T value = static_cast<T>(g.value);
  CUDA_KERNEL_LOOP(i, n) {
    const int64_t s = pad_source_offset(g, i);
    y[i] = s < 0 ? value : x[s];
  }
}

template <class T>
__global__ void pad_bwd_kernel(const T* __restrict__ gy, T* __restrict__ dx, int64_t n, PadGeom g) {
  CUDA_KERNEL_LOOP(i, n) {
    const int64_t s = pad_source_offset(g, i);
    if (s >= 0) atomicAdd(dx + s, gy[i]);
  }
}

}  // namespace

void pad_forward(const Tensor& input, const PadGeom& g, Tensor& out) {
  const int64_t n = out.numel();
  KERNELS_DISPATCH_FLOAT(input.dtype, "pad", [&] {
    using T = scalar_t;
    pad_fwd_kernel<T><<<cuda::grid_for(n), cuda::kBlock>>>(input.data<T>(), out.data<T>(), n, g);
  });
  cuda::check_launch("pad");
}

void pad_backward(const Tensor& grad, const PadGeom& g, Tensor& dinput) {
  const int64_t n = grad.numel();
  CUDA_CHECK(cudaMemset(dinput.raw_data(), 0, dinput.nbytes()));
  KERNELS_DISPATCH_FLOAT(grad.dtype, "pad_backward", [&] {
    using T = scalar_t;
    pad_bwd_kernel<T><<<cuda::grid_for(n), cuda::kBlock>>>(grad.data<T>(), dinput.data<T>(), n, g);
  });
  cuda::check_launch("pad_backward");
}

}  // namespace kernels::cuda
