// Pooling on CUDA; the maths is in csrc/cpu/pool.cpp's header comment, the window arithmetic in
// csrc/common/pool_math.h. x is (P, H, W), y (P, OH, OW).
//   forward: one thread per output element walks its window (max: torch's scan order, first max
//       wins ties, NaN propagates; avg: valid positions summed row by row, then divided).
//   backward: one thread per input element gathers from the outputs whose windows can hold it
//       (max: those whose saved index is this element), so there are no atomics and each input's
//       sum is formed in the same order as the CPU's scatter.
#include <cmath>

#include "../common/dispatch.h"
#include "../common/pool_math.h"
#include "cuda_utils.cuh"
#include "../contracts/pool.h"

namespace kernels::cuda {

namespace {

template <class T>
__device__ __forceinline__ bool takes(T v, T m) {
  return v > m || isnan(v);
}

template <class T>
__global__ void max_pool_fwd_kernel(const T* __restrict__ x, T* __restrict__ y,
                                    int64_t* __restrict__ ind, Pool2dGeom g) {
  CUDA_KERNEL_LOOP(i, g.P * g.OH * g.OW) {
    const int64_t ow = i % g.OW, oh = (i / g.OW) % g.OH, p = i / (g.OW * g.OH);
    int64_t h0 = oh * g.sH - g.pH, w0 = ow * g.sW - g.pW;
    const int64_t h1 = min(h0 + (g.kH - 1) * g.dH + 1, g.H);
    const int64_t w1 = min(w0 + (g.kW - 1) * g.dW + 1, g.W);
    while (h0 < 0) h0 += g.dH;
    while (w0 < 0) w0 += g.dW;
    const T* xp = x + p * g.H * g.W;
    T m = -INFINITY;
    int64_t mi = h0 * g.W + w0;
    for (int64_t h = h0; h < h1; h += g.dH)
      for (int64_t w = w0; w < w1; w += g.dW) {
        const T v = xp[h * g.W + w];
        if (takes(v, m)) {
          m = v;
          mi = h * g.W + w;
        }
      }
    y[i] = m;
    ind[i] = mi;
  }
}

// Outputs [o0, o1) along one axis whose windows (kernel k, stride s, padding p, dilation d) can
// cover input position i.
__device__ __forceinline__ void covering(int64_t i, int64_t k, int64_t s, int64_t p, int64_t d,
                                         int64_t on, int64_t& o0, int64_t& o1) {
  const int64_t ek = (k - 1) * d + 1;
  o0 = (i + p < ek) ? 0 : (i + p - ek) / s + 1;
  o1 = min((i + p) / s + 1, on);
}

template <class T>
__global__ void max_pool_bwd_kernel(const T* __restrict__ gy, const int64_t* __restrict__ ind,
                                    T* __restrict__ dx, Pool2dGeom g) {
  CUDA_KERNEL_LOOP(i, g.P * g.H * g.W) {
    const int64_t w = i % g.W, h = (i / g.W) % g.H, p = i / (g.W * g.H);
    int64_t oh0, oh1, ow0, ow1;
    covering(h, g.kH, g.sH, g.pH, g.dH, g.OH, oh0, oh1);
    covering(w, g.kW, g.sW, g.pW, g.dW, g.OW, ow0, ow1);
    const int64_t target = h * g.W + w;
    T s = 0;
    for (int64_t oh = oh0; oh < oh1; ++oh)
      for (int64_t ow = ow0; ow < ow1; ++ow) {
        const int64_t o = (p * g.OH + oh) * g.OW + ow;
        if (ind[o] == target) s += gy[o];
      }
    dx[i] = s;
  }
}

// avg_pool's divisor of output (oh, ow); 0 for an empty window.
__device__ __forceinline__ int64_t avg_divisor(const Pool2dGeom& g, int64_t oh, int64_t ow,
                                               bool count_include_pad, int64_t divisor_override,
                                               int64_t& hs, int64_t& he, int64_t& ws, int64_t& we) {
  const int64_t bh = oh * g.sH - g.pH, eh = min(bh + g.kH, g.H + g.pH);
  const int64_t bw = ow * g.sW - g.pW, ew = min(bw + g.kW, g.W + g.pW);
  hs = max(bh, int64_t(0)), he = min(eh, g.H);
  ws = max(bw, int64_t(0)), we = min(ew, g.W);
  if (hs >= he || ws >= we) return 0;
  if (divisor_override) return divisor_override;
  return count_include_pad ? (eh - bh) * (ew - bw) : (he - hs) * (we - ws);
}

template <class T>
__global__ void avg_pool_fwd_kernel(const T* __restrict__ x, T* __restrict__ y, Pool2dGeom g,
                                    bool count_include_pad, int64_t divisor_override) {
  CUDA_KERNEL_LOOP(i, g.P * g.OH * g.OW) {
    const int64_t ow = i % g.OW, oh = (i / g.OW) % g.OH, p = i / (g.OW * g.OH);
    int64_t hs, he, ws, we;
    const int64_t div = avg_divisor(g, oh, ow, count_include_pad, divisor_override, hs, he, ws, we);
    if (!div) {
      y[i] = T(0);
      continue;
    }
    const T* xp = x + p * g.H * g.W;
    T s = 0;
    for (int64_t h = hs; h < he; ++h)
      for (int64_t w = ws; w < we; ++w) s += xp[h * g.W + w];
    y[i] = s / static_cast<T>(div);
  }
}

template <class T>
__global__ void avg_pool_bwd_kernel(const T* __restrict__ gy, T* __restrict__ dx, Pool2dGeom g,
                                    bool count_include_pad, int64_t divisor_override) {
  CUDA_KERNEL_LOOP(i, g.P * g.H * g.W) {
    const int64_t w = i % g.W, h = (i / g.W) % g.H, p = i / (g.W * g.H);
    int64_t oh0, oh1, ow0, ow1;
    covering(h, g.kH, g.sH, g.pH, 1, g.OH, oh0, oh1);
    covering(w, g.kW, g.sW, g.pW, 1, g.OW, ow0, ow1);
    T s = 0;
    // ow descending: the order in which the CPU's tap loop reaches this element.
    for (int64_t oh = oh0; oh < oh1; ++oh)
      for (int64_t ow = ow1 - 1; ow >= ow0; --ow) {
        int64_t hs, he, ws, we;
        const int64_t div = avg_divisor(g, oh, ow, count_include_pad, divisor_override, hs, he, ws, we);
        if (div) s += gy[(p * g.OH + oh) * g.OW + ow] / static_cast<T>(div);
      }
    dx[i] = s;
  }
}

template <class T>
__global__ void adaptive_avg_fwd_kernel(const T* __restrict__ x, T* __restrict__ y, Pool2dGeom g) {
  CUDA_KERNEL_LOOP(i, g.P * g.OH * g.OW) {
    const int64_t ow = i % g.OW, oh = (i / g.OW) % g.OH, p = i / (g.OW * g.OH);
    const int64_t h0 = adaptive_start(oh, g.OH, g.H), h1 = adaptive_end(oh, g.OH, g.H);
    const int64_t w0 = adaptive_start(ow, g.OW, g.W), w1 = adaptive_end(ow, g.OW, g.W);
    const T* xp = x + p * g.H * g.W;
    T s = 0;
    for (int64_t h = h0; h < h1; ++h)
      for (int64_t w = w0; w < w1; ++w) s += xp[h * g.W + w];
    y[i] = s / static_cast<T>(h1 - h0) / static_cast<T>(w1 - w0);
  }
}

template <class T>
__global__ void adaptive_avg_bwd_kernel(const T* __restrict__ gy, T* __restrict__ dx, Pool2dGeom g) {
  CUDA_KERNEL_LOOP(i, g.P * g.H * g.W) {
    const int64_t w = i % g.W, h = (i / g.W) % g.H, p = i / (g.W * g.H);
    // The outputs whose windows may hold (h, w): the inverse windows, checked one by one.
    const int64_t oh0 = adaptive_start(h, g.H, g.OH), oh1 = adaptive_end(h, g.H, g.OH);
    const int64_t ow0 = adaptive_start(w, g.W, g.OW), ow1 = adaptive_end(w, g.W, g.OW);
    T s = 0;
    for (int64_t oh = oh0; oh < oh1 && oh < g.OH; ++oh) {
      const int64_t h0 = adaptive_start(oh, g.OH, g.H), h1 = adaptive_end(oh, g.OH, g.H);
      if (h < h0 || h >= h1) continue;
      for (int64_t ow = ow0; ow < ow1 && ow < g.OW; ++ow) {
        const int64_t w0 = adaptive_start(ow, g.OW, g.W), w1 = adaptive_end(ow, g.OW, g.W);
        if (w < w0 || w >= w1) continue;
        s += gy[(p * g.OH + oh) * g.OW + ow] / static_cast<T>(h1 - h0) / static_cast<T>(w1 - w0);
      }
    }
    dx[i] = s;
  }
}

template <class T>
__global__ void adaptive_max_fwd_kernel(const T* __restrict__ x, T* __restrict__ y,
                                        int64_t* __restrict__ ind, Pool2dGeom g) {
  CUDA_KERNEL_LOOP(i, g.P * g.OH * g.OW) {
    const int64_t ow = i % g.OW, oh = (i / g.OW) % g.OH, p = i / (g.OW * g.OH);
    const int64_t h0 = adaptive_start(oh, g.OH, g.H), h1 = adaptive_end(oh, g.OH, g.H);
    const int64_t w0 = adaptive_start(ow, g.OW, g.W), w1 = adaptive_end(ow, g.OW, g.W);
    const T* xp = x + p * g.H * g.W;
    T m = -INFINITY;
    int64_t mi = h0 * g.W + w0;
    for (int64_t h = h0; h < h1; ++h)
      for (int64_t w = w0; w < w1; ++w) {
        const T v = xp[h * g.W + w];
        if (takes(v, m)) {
          m = v;
          mi = h * g.W + w;
        }
      }
    y[i] = m;
    ind[i] = mi;
  }
}

template <class T>
__global__ void adaptive_max_bwd_kernel(const T* __restrict__ gy, const int64_t* __restrict__ ind,
                                        T* __restrict__ dx, Pool2dGeom g) {
  CUDA_KERNEL_LOOP(i, g.P * g.H * g.W) {
    const int64_t w = i % g.W, h = (i / g.W) % g.H, p = i / (g.W * g.H);
    const int64_t oh0 = adaptive_start(h, g.H, g.OH), oh1 = min(adaptive_end(h, g.H, g.OH), g.OH);
    const int64_t ow0 = adaptive_start(w, g.W, g.OW), ow1 = min(adaptive_end(w, g.W, g.OW), g.OW);
    const int64_t target = h * g.W + w;
    T s = 0;
    for (int64_t oh = oh0; oh < oh1; ++oh)
      for (int64_t ow = ow0; ow < ow1; ++ow) {
        const int64_t o = (p * g.OH + oh) * g.OW + ow;
        if (ind[o] == target) s += gy[o];
      }
    dx[i] = s;
  }
}

}  // namespace

void max_pool2d_forward(const Tensor& input, const Pool2dGeom& g, Tensor& out, Tensor& indices) {
  KERNELS_DISPATCH_FLOAT(input.dtype, "max_pool2d", [&] {
    using T = scalar_t;
    max_pool_fwd_kernel<T><<<cuda::grid_for(out.numel()), cuda::kBlock>>>(
        input.data<T>(), out.data<T>(), indices.data<int64_t>(), g);
  });
  cuda::check_launch("max_pool2d");
}

void max_pool2d_backward(const Tensor& grad, const Tensor& indices, const Pool2dGeom& g,
                              Tensor& dinput) {
  KERNELS_DISPATCH_FLOAT(grad.dtype, "max_pool2d_backward", [&] {
    using T = scalar_t;
    max_pool_bwd_kernel<T><<<cuda::grid_for(dinput.numel()), cuda::kBlock>>>(
        grad.data<T>(), indices.data<int64_t>(), dinput.data<T>(), g);
  });
  cuda::check_launch("max_pool2d_backward");
}

void avg_pool2d_forward(const Tensor& input, const Pool2dGeom& g, bool count_include_pad,
                             int64_t divisor_override, Tensor& out) {
  KERNELS_DISPATCH_FLOAT(input.dtype, "avg_pool2d", [&] {
    using T = scalar_t;
    avg_pool_fwd_kernel<T><<<cuda::grid_for(out.numel()), cuda::kBlock>>>(
        input.data<T>(), out.data<T>(), g, count_include_pad, divisor_override);
  });
  cuda::check_launch("avg_pool2d");
}

void avg_pool2d_backward(const Tensor& grad, const Pool2dGeom& g, bool count_include_pad,
                              int64_t divisor_override, Tensor& dinput) {
  KERNELS_DISPATCH_FLOAT(grad.dtype, "avg_pool2d_backward", [&] {
    using T = scalar_t;
    avg_pool_bwd_kernel<T><<<cuda::grid_for(dinput.numel()), cuda::kBlock>>>(
        grad.data<T>(), dinput.data<T>(), g, count_include_pad, divisor_override);
  });
  cuda::check_launch("avg_pool2d_backward");
}

void adaptive_avg_pool2d_forward(const Tensor& input, const Pool2dGeom& g, Tensor& out) {
  KERNELS_DISPATCH_FLOAT(input.dtype, "adaptive_avg_pool2d", [&] {
    using T = scalar_t;
    adaptive_avg_fwd_kernel<T><<<cuda::grid_for(out.numel()), cuda::kBlock>>>(
        input.data<T>(), out.data<T>(), g);
  });
  cuda::check_launch("adaptive_avg_pool2d");
}

void adaptive_avg_pool2d_backward(const Tensor& grad, const Pool2dGeom& g, Tensor& dinput) {
  KERNELS_DISPATCH_FLOAT(grad.dtype, "adaptive_avg_pool2d_backward", [&] {
    using T = scalar_t;
    adaptive_avg_bwd_kernel<T><<<cuda::grid_for(dinput.numel()), cuda::kBlock>>>(
        grad.data<T>(), dinput.data<T>(), g);
  });
  cuda::check_launch("adaptive_avg_pool2d_backward");
}

void adaptive_max_pool2d_forward(const Tensor& input, const Pool2dGeom& g, Tensor& out,
                                      Tensor& indices) {
  KERNELS_DISPATCH_FLOAT(input.dtype, "adaptive_max_pool2d", [&] {
    using T = scalar_t;
    adaptive_max_fwd_kernel<T><<<cuda::grid_for(out.numel()), cuda::kBlock>>>(
        input.data<T>(), out.data<T>(), indices.data<int64_t>(), g);
  });
  cuda::check_launch("adaptive_max_pool2d");
}

void adaptive_max_pool2d_backward(const Tensor& grad, const Tensor& indices, const Pool2dGeom& g,
                                       Tensor& dinput) {
  KERNELS_DISPATCH_FLOAT(grad.dtype, "adaptive_max_pool2d_backward", [&] {
    using T = scalar_t;
    adaptive_max_bwd_kernel<T><<<cuda::grid_for(dinput.numel()), cuda::kBlock>>>(
        grad.data<T>(), indices.data<int64_t>(), dinput.data<T>(), g);
  });
  cuda::check_launch("adaptive_max_pool2d_backward");
}

}  // namespace kernels::cuda
