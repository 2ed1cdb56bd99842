// Upsampling on CUDA; the maths is in csrc/cpu/upsample.cpp's header comment and the coordinates
// in csrc/common/upsample_math.h. One thread per output element, forward and backward, except
// nearest's backward: one thread per input element sums the outputs that copied it (a
// rectangle, since the source map is non-decreasing), in the CPU loop's order, so it repeats
// exactly and equals the CPU. Bilinear's backward adds each output's gradient into its 4
// sources with atomicAdd (float and double; sm_60+): not repeatable to the bit, which
// kernels.use_deterministic_algorithms(True) turns into an error.
#include "../common/dispatch.h"
#include "../common/upsample_math.h"
#include "cuda_utils.cuh"
#include "../contracts/upsample.h"

namespace kernels::cuda {

namespace {

template <class T>
__global__ void nearest_fwd_kernel(const T* __restrict__ x, T* __restrict__ y, UpsampleGeom g) {
  CUDA_KERNEL_LOOP(i, g.P * g.OH * g.OW) {
    const int64_t ow = i % g.OW, oh = (i / g.OW) % g.OH, p = i / (g.OW * g.OH);
    const int64_t h = nearest_source(oh, g.H, g.OH, g.scale_h);
    const int64_t w = nearest_source(ow, g.W, g.OW, g.scale_w);
    y[i] = x[(p * g.H + h) * g.W + w];
  }
}

// The first output position whose nearest source is at least h (binary search).
__device__ int64_t first_output_from(int64_t h, int64_t in, int64_t out, double scale) {
  int64_t lo = 0, hi = out;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (nearest_source(mid, in, out, scale) < h) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

template <class T>
__global__ void nearest_bwd_kernel(const T* __restrict__ gy, T* __restrict__ dx, UpsampleGeom g) {
  CUDA_KERNEL_LOOP(i, g.P * g.H * g.W) {
    const int64_t w = i % g.W, h = (i / g.W) % g.H, p = i / (g.W * g.H);
    const int64_t oh0 = first_output_from(h, g.H, g.OH, g.scale_h);
    const int64_t oh1 = first_output_from(h + 1, g.H, g.OH, g.scale_h);
    const int64_t ow0 = first_output_from(w, g.W, g.OW, g.scale_w);
    const int64_t ow1 = first_output_from(w + 1, g.W, g.OW, g.scale_w);
    T sum = T(0);
    for (int64_t oh = oh0; oh < oh1; ++oh)
      for (int64_t ow = ow0; ow < ow1; ++ow) sum += gy[(p * g.OH + oh) * g.OW + ow];
    dx[i] = sum;
  }
}

template <class T>
__global__ void bilinear_fwd_kernel(const T* __restrict__ x, T* __restrict__ y, UpsampleGeom g) {
  CUDA_KERNEL_LOOP(i, g.P * g.OH * g.OW) {
    const int64_t ow = i % g.OW, oh = (i / g.OW) % g.OH, p = i / (g.OW * g.OH);
    const Lerp<T> a = linear_source<T>(oh, g.H, g.OH, g.align_corners, g.scale_h);
    const Lerp<T> c = linear_source<T>(ow, g.W, g.OW, g.align_corners, g.scale_w);
    const T* x0 = x + (p * g.H + a.i0) * g.W;
    const T* x1 = x + (p * g.H + a.i1) * g.W;
    y[i] = a.l0 * (c.l0 * x0[c.i0] + c.l1 * x0[c.i1]) + a.l1 * (c.l0 * x1[c.i0] + c.l1 * x1[c.i1]);
  }
}

template <class T>
__global__ void bilinear_bwd_kernel(const T* __restrict__ gy, T* __restrict__ dx, UpsampleGeom g) {
  CUDA_KERNEL_LOOP(i, g.P * g.OH * g.OW) {
    const int64_t ow = i % g.OW, oh = (i / g.OW) % g.OH, p = i / (g.OW * g.OH);
    const Lerp<T> a = linear_source<T>(oh, g.H, g.OH, g.align_corners, g.scale_h);
    const Lerp<T> c = linear_source<T>(ow, g.W, g.OW, g.align_corners, g.scale_w);
    T* d0 = dx + (p * g.H + a.i0) * g.W;
    T* d1 = dx + (p * g.H + a.i1) * g.W;
    const T g0 = a.l0 * gy[i], g1 = a.l1 * gy[i];
    atomicAdd(d0 + c.i0, g0 * c.l0);
    atomicAdd(d0 + c.i1, g0 * c.l1);
    atomicAdd(d1 + c.i0, g1 * c.l0);
    atomicAdd(d1 + c.i1, g1 * c.l1);
  }
}

}  // namespace

void upsample_nearest2d_forward(const Tensor& input, const UpsampleGeom& g, Tensor& out) {
  KERNELS_DISPATCH_FLOAT(input.dtype, "upsample_nearest2d", [&] {
    using T = scalar_t;
    nearest_fwd_kernel<T><<<cuda::grid_for(out.numel()), cuda::kBlock>>>(input.data<T>(), out.data<T>(), g);
  });
  cuda::check_launch("upsample_nearest2d");
}

void upsample_nearest2d_backward(const Tensor& grad, const UpsampleGeom& g, Tensor& dinput) {
  if (!dinput.numel()) return;
  KERNELS_DISPATCH_FLOAT(grad.dtype, "upsample_nearest2d_backward", [&] {
    using T = scalar_t;
    nearest_bwd_kernel<T><<<cuda::grid_for(dinput.numel()), cuda::kBlock>>>(grad.data<T>(), dinput.data<T>(), g);
  });
  cuda::check_launch("upsample_nearest2d_backward");
}

void upsample_bilinear2d_forward(const Tensor& input, const UpsampleGeom& g, Tensor& out) {
  KERNELS_DISPATCH_FLOAT(input.dtype, "upsample_bilinear2d", [&] {
    using T = scalar_t;
    bilinear_fwd_kernel<T><<<cuda::grid_for(out.numel()), cuda::kBlock>>>(input.data<T>(), out.data<T>(), g);
  });
  cuda::check_launch("upsample_bilinear2d");
}

void upsample_bilinear2d_backward(const Tensor& grad, const UpsampleGeom& g, Tensor& dinput) {
  CUDA_CHECK(cudaMemset(dinput.raw_data(), 0, dinput.nbytes()));
  KERNELS_DISPATCH_FLOAT(grad.dtype, "upsample_bilinear2d_backward", [&] {
    using T = scalar_t;
    bilinear_bwd_kernel<T><<<cuda::grid_for(grad.numel()), cuda::kBlock>>>(grad.data<T>(), dinput.data<T>(), g);
  });
  cuda::check_launch("upsample_bilinear2d_backward");
}

}  // namespace kernels::cuda
