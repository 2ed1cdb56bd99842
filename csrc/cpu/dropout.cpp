// Dropout on the CPU: elementwise (dropout) and per feature map (dropout1d/2d/3d).
//
// dropout: keep_i = U_i >= p, U_i uniform in [0,1) from the Philox stream (seed, call, i) exactly as
// philox_uniform<double>; out = keep ? x / (1 - p) : 0; mask = keep (bool). dx = g mask / (1 - p).
//
// feature_dropout (dropout1d/2d/3d): x is (F, K), F feature maps of K values. keep_f = U_f >= p
// with U_f element f of the Philox stream (seed, call) exactly as dropout draws element f, so a
// seed gives the same mask on the CPU and CUDA; y = keep_f ? x / (1 - p) : 0, dx = g keep_f / (1 - p).
#include "../contracts/dropout.h"

#include <algorithm>

#include "../common/dispatch.h"
#include "../common/philox.h"
#include "parallel.h"

namespace kernels::cpu {

namespace {

constexpr int64_t kGrainDropout = 16384;  // elements per task

// dst map f = keep[f] ? src map f * sc : 0, for F maps of K values (a dropped map is 0 even
// where src is inf or NaN, as dropout).
template <class T>
void scale_or_zero_maps(const T* src, T* dst, const bool* keep, int64_t F, int64_t K, double scale) {
  const T sc = static_cast<T>(scale);
  parallel_for(F, std::max<int64_t>(1, kGrainElementwise / std::max<int64_t>(1, K)), [&](int64_t fb, int64_t fe) {
    for (int64_t f = fb; f < fe; ++f) {
      T* y = dst + f * K;
      if (!keep[f]) {
        std::fill(y, y + K, T(0));
        continue;
      }
      const T* x = src + f * K;
#pragma omp simd
      for (int64_t i = 0; i < K; ++i) y[i] = x[i] * sc;
    }
  });
}

}  // namespace

void dropout_forward(const Tensor& x, double p, uint64_t seed, uint64_t call, Tensor& out,
                         Tensor& mask) {
  const int64_t n = x.numel();
  const int64_t nblk = (n + 3) / 4;
  const double scale = p < 1 ? 1.0 / (1.0 - p) : 0.0;
  KERNELS_DISPATCH_FLOAT(x.dtype, "dropout", [&] {
    const scalar_t* xp = x.data<scalar_t>();
    scalar_t* o = out.data<scalar_t>();
    bool* mk = mask.data<bool>();
    const scalar_t sc = static_cast<scalar_t>(scale);
    // One Philox call gives the four lanes of elements 4k .. 4k+3.
    parallel_for(nblk, kGrainDropout / 4, [&](int64_t b, int64_t e) {
      for (int64_t k = b; k < e; ++k) {
        const Philox4 r = philox4x32_10(seed, static_cast<uint64_t>(k), call);
        const int64_t i0 = 4 * k, i1 = std::min(n, i0 + 4);
        for (int64_t i = i0; i < i1; ++i) {
          const bool keep = r.v[i & 3] * (1.0 / 4294967296.0) >= p;
          mk[i] = keep;
          o[i] = keep ? xp[i] * sc : scalar_t(0);
        }
      }
    });
  });
}

void dropout_backward(const Tensor& grad, const Tensor& mask, double scale, Tensor& dx) {
  const int64_t n = grad.numel();
  KERNELS_DISPATCH_FLOAT(grad.dtype, "dropout_backward", [&] {
    const scalar_t* g = grad.data<scalar_t>();
    const bool* mk = mask.data<bool>();
    scalar_t* d = dx.data<scalar_t>();
    const scalar_t sc = static_cast<scalar_t>(scale);
    parallel_for(n, kGrainElementwise, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) d[i] = mk[i] ? g[i] * sc : scalar_t(0);
    });
  });
}

void feature_dropout_forward(const Tensor& x, double p, uint64_t seed, uint64_t call, int64_t F,
                                 int64_t K, Tensor& out, Tensor& mask) {
  bool* mk = mask.data<bool>();
  // One Philox call gives the four lanes of feature maps 4k .. 4k+3 (dropout's element order).
  for (int64_t k = 0; k < (F + 3) / 4; ++k) {
    const Philox4 r = philox4x32_10(seed, static_cast<uint64_t>(k), call);
    for (int64_t f = 4 * k; f < std::min(F, 4 * k + 4); ++f) mk[f] = r.v[f & 3] * (1.0 / 4294967296.0) >= p;
  }
  const double scale = p < 1 ? 1.0 / (1.0 - p) : 0.0;
  KERNELS_DISPATCH_FLOAT(x.dtype, "feature_dropout", [&] {
    scale_or_zero_maps(x.data<scalar_t>(), out.data<scalar_t>(), mk, F, K, scale);
  });
}

void feature_dropout_backward(const Tensor& grad, const Tensor& mask, double scale, int64_t F,
                                  int64_t K, Tensor& dx) {
  const bool* mk = mask.data<bool>();
  KERNELS_DISPATCH_FLOAT(grad.dtype, "feature_dropout_backward", [&] {
    scale_or_zero_maps(grad.data<scalar_t>(), dx.data<scalar_t>(), mk, F, K, scale);
  });
}

}  // namespace kernels::cpu
