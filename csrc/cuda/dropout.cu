// Dropout on CUDA; the maths is in csrc/cpu/dropout.cpp's header comment.
//   dropout: one thread per group of four elements, which share one Philox call (the same lanes
//            as the CPU, so a seed gives the same mask on both devices).
//   feature_dropout: one thread per four feature maps draws the mask (one Philox call, dropout's
//            element order), then one thread per value scales or zeroes.
#include "../common/dispatch.h"
#include "../common/philox.h"
#include "../contracts/dropout.h"
#include "cuda_utils.cuh"

namespace kernels::cuda {

namespace {

template <class T>
__global__ void dropout_fwd_kernel(const T* x, T* o, bool* mask, int64_t n, double p, T scale,
                                   uint64_t seed, uint64_t call) {
  const int64_t nblk = (n + 3) / 4;
  CUDA_KERNEL_LOOP(k, nblk) {
    const Philox4 r = philox4x32_10(seed, static_cast<uint64_t>(k), call);
    const int64_t i0 = 4 * k;
#pragma unroll
    for (int lane = 0; lane < 4; ++lane) {
      const int64_t i = i0 + lane;
      if (i < n) {
        const bool keep = r.v[lane] * (1.0 / 4294967296.0) >= p;
        mask[i] = keep;
        o[i] = keep ? x[i] * scale : T(0);
      }
    }
  }
}

template <class T>
__global__ void dropout_bwd_kernel(const T* g, const bool* mask, T* d, int64_t n, T scale) {
  CUDA_KERNEL_LOOP(i, n) d[i] = mask[i] ? g[i] * scale : T(0);
}

__global__ void feature_mask_kernel(bool* mask, int64_t F, double p, uint64_t seed, uint64_t call) {
  CUDA_KERNEL_LOOP(k, (F + 3) / 4) {
    const Philox4 r = philox4x32_10(seed, static_cast<uint64_t>(k), call);
#pragma unroll
    for (int lane = 0; lane < 4; ++lane) {
      const int64_t f = 4 * k + lane;
      if (f < F) mask[f] = r.v[lane] * (1.0 / 4294967296.0) >= p;
    }
  }
}

template <class T>
__global__ void feature_scale_kernel(const T* x, const bool* mask, T* out, int64_t n, int64_t K, T scale) {
  CUDA_KERNEL_LOOP(i, n) out[i] = mask[i / K] ? x[i] * scale : T(0);
}

}  // namespace

void dropout_forward(const Tensor& x, double p, uint64_t seed, uint64_t call, Tensor& out,
                          Tensor& mask) {
  const int64_t n = x.numel();
  if (!n) return;
  const double scale = p < 1 ? 1.0 / (1.0 - p) : 0.0;
  KERNELS_DISPATCH_FLOAT(x.dtype, "dropout", [&] {
    dropout_fwd_kernel<<<cuda::grid_for((n + 3) / 4), cuda::kBlock>>>(
        x.data<scalar_t>(), out.data<scalar_t>(), mask.data<bool>(), n, p,
        static_cast<scalar_t>(scale), seed, call);
  });
  cuda::check_launch("dropout");
}

void dropout_backward(const Tensor& grad, const Tensor& mask, double scale, Tensor& dx) {
  const int64_t n = grad.numel();
  if (!n) return;
  KERNELS_DISPATCH_FLOAT(grad.dtype, "dropout_backward", [&] {
    dropout_bwd_kernel<<<cuda::grid_for(n), cuda::kBlock>>>(grad.data<scalar_t>(), mask.data<bool>(),
                                                           dx.data<scalar_t>(), n,
                                                           static_cast<scalar_t>(scale));
  });
  cuda::check_launch("dropout_backward");
}

void feature_dropout_forward(const Tensor& x, double p, uint64_t seed, uint64_t call, int64_t F,
                                  int64_t K, Tensor& out, Tensor& mask) {
  feature_mask_kernel<<<cuda::grid_for((F + 3) / 4), cuda::kBlock>>>(mask.data<bool>(), F, p, seed, call);
  cuda::check_launch("feature_dropout");
  const int64_t n = F * K;
  if (!n) return;
  const double scale = p < 1 ? 1.0 / (1.0 - p) : 0.0;
  KERNELS_DISPATCH_FLOAT(x.dtype, "feature_dropout", [&] {
    using T = scalar_t;
    feature_scale_kernel<T><<<cuda::grid_for(n), cuda::kBlock>>>(x.data<T>(), mask.data<bool>(), out.data<T>(),
                                                                 n, K, static_cast<T>(scale));
  });
  cuda::check_launch("feature_dropout");
}

void feature_dropout_backward(const Tensor& grad, const Tensor& mask, double scale, int64_t F,
                                   int64_t K, Tensor& dx) {
  const int64_t n = F * K;
  if (!n) return;
  KERNELS_DISPATCH_FLOAT(grad.dtype, "feature_dropout_backward", [&] {
    using T = scalar_t;
    feature_scale_kernel<T><<<cuda::grid_for(n), cuda::kBlock>>>(grad.data<T>(), mask.data<bool>(), dx.data<T>(),
                                                                 n, K, static_cast<T>(scale));
  });
  cuda::check_launch("feature_dropout_backward");
}

}  // namespace kernels::cuda
