// Activations on the CPU. x, y, g (the upstream gradient), dx all have the input's shape.
//   sigmoid     y = 1 / (1 + exp(-x))                       dx = g y (1 - y)        (from y)
//   tanh        y = tanh(x)                                 dx = g (1 - y^2)        (from y)
//   relu        y = max(x, 0)                               dx = g [not x <= 0] (NaN passes g)
//   leaky_relu  y = x > 0 ? x : s x                         dx = g (x > 0 ? 1 : s)
//   elu         y = x > 0 ? x : a (exp(x) - 1)              dx = g (x > 0 ? 1 : a exp(x))
//   softplus    y = b x > t ? x : log(1 + exp(b x)) / b     dx = g (b x > t ? 1 : sigmoid(b x))
//   gelu        y = x Phi(x)                                dx = g (Phi(x) + x phi(x))
//   gelu tanh   y = 0.5 x (1 + tanh(k (x + 0.044715 x^3))), k = sqrt(2/pi)
//               dx = g (0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 * 0.044715 x^2)), t = tanh(...)
//   silu        y = x sigmoid(x)                            dx = g s (1 + x (1 - s)), s = sigmoid(x)
// The scalar functors are in csrc/common/activation_math.h (shared with CUDA). In float32, tanh,
// sigmoid, relu, silu, softplus and gelu (both forms) run the AVX2 loops of activation_avx2.cpp and
// activation_gelu_avx2.cpp where the CPU has them (libm's expf/tanhf/erff are scalar calls); their
// accuracy is in those files' header comments. float64 and the other ops run the scalar functors.
//
// softmax / log_softmax: x is viewed as (outer, D, inner) and normalised along D, max-subtracted:
//   m = max_d x[o,d,i],  s = sum_d exp(x[o,d,i] - m)
//   softmax      y = exp(x - m) / s                 dx = y (g - sum_d g y)
//   log_softmax  y = x - m - log(s)                 dx = g - exp(y) sum_d g
// inner == 1: each row is contiguous; rows are split over threads (three passes over a row that
// stays in cache). inner > 1: a block of up to 64 neighbouring columns is walked together so the
// loads along D stay contiguous.
#include "../contracts/activation.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <type_traits>

#include "../common/activation_dispatch.h"
#include "../common/dispatch.h"
#include "activation_avx2.h"
#include "isa.h"
#include "parallel.h"

namespace kernels::cpu {

namespace {

constexpr int64_t kGrainAct = 16384;

// The float32 AVX2 loop of a functor (activation_avx2.h), where one exists: Avx2Loop<F>::kHas,
// then fwd(f, x, y, n) and bwd(f, g, s, d, n). Every other functor and dtype runs the scalar loop.
template <class F>
struct Avx2Loop {
  static constexpr bool kHas = false;
};
#define KERNELS_AVX2_LOOP(FUNCTOR, FWD, BWD)                                                   \
  template <>                                                                                 \
  struct Avx2Loop<act::FUNCTOR<float>> {                                                      \
    static constexpr bool kHas = true;                                                        \
    static void fwd(const act::FUNCTOR<float>&, const float* x, float* y, int64_t n) {        \
      act_avx2::FWD(x, y, n);                                                                 \
    }                                                                                         \
    static void bwd(const act::FUNCTOR<float>&, const float* g, const float* s, float* d,     \
                    int64_t n) {                                                              \
      act_avx2::BWD(g, s, d, n);                                                              \
    }                                                                                         \
  };
KERNELS_AVX2_LOOP(Tanh, tanh_f32, tanh_bwd_f32)
KERNELS_AVX2_LOOP(Sigmoid, sigmoid_f32, sigmoid_bwd_f32)
KERNELS_AVX2_LOOP(Relu, relu_f32, relu_bwd_f32)
KERNELS_AVX2_LOOP(Silu, silu_f32, silu_bwd_f32)
KERNELS_AVX2_LOOP(Gelu, gelu_f32, gelu_bwd_f32)
KERNELS_AVX2_LOOP(GeluTanh, gelu_tanh_f32, gelu_tanh_bwd_f32)
#undef KERNELS_AVX2_LOOP
template <>
struct Avx2Loop<act::Softplus<float>> {
  static constexpr bool kHas = true;
  static void fwd(const act::Softplus<float>& f, const float* x, float* y, int64_t n) {
    act_avx2::softplus_f32(x, y, n, f.beta, f.threshold);
  }
  static void bwd(const act::Softplus<float>& f, const float* g, const float* s, float* d, int64_t n) {
    act_avx2::softplus_bwd_f32(g, s, d, n, f.beta, f.threshold);
  }
};

// The activation loops policy of csrc/common/activation_dispatch.h.

struct CpuActLoops {
  template <class T, class F>
  static void fwd(const char*, const Tensor&, const T* x, T* o, int64_t n, const F& f) {
    if constexpr (Avx2Loop<F>::kHas) {
      if (use_avx2()) {
        parallel_for(n, kGrainAct, [&](int64_t b, int64_t e) { Avx2Loop<F>::fwd(f, x + b, o + b, e - b); });
        return;
      }
    }
    parallel_for(n, kGrainAct, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) o[i] = f.fwd(x[i]);
    });
  }
  template <class T, class F>
  static void bwd(const char*, const Tensor&, const T* g, const T* s, T* d, int64_t n, const F& f) {
    if constexpr (Avx2Loop<F>::kHas) {
      if (use_avx2()) {
        parallel_for(n, kGrainAct,
                     [&](int64_t b, int64_t e) { Avx2Loop<F>::bwd(f, g + b, s + b, d + b, e - b); });
        return;
      }
    }
    parallel_for(n, kGrainAct, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) d[i] = f.bwd(g[i], s[i]);
    });
  }
};

constexpr int64_t kColBlock = 64;

// Calls f(o, i0, i1) over the (outer, inner) plane in blocks of columns; f(o) per row if inner==1.
template <class FRow, class FCols>
void for_slices(int64_t outer, int64_t D, int64_t inner, const FRow& row, const FCols& cols) {
  if (inner == 1) {
    parallel_for(outer, std::max<int64_t>(1, kGrainAct / std::max<int64_t>(D, 1)),
                 [&](int64_t b, int64_t e) {
                   for (int64_t o = b; o < e; ++o) row(o);
                 });
    return;
  }
  const int64_t nblk = (inner + kColBlock - 1) / kColBlock;
  const int64_t work = D * std::min(inner, kColBlock);
  parallel_for(outer * nblk, std::max<int64_t>(1, kGrainAct / std::max<int64_t>(work, 1)),
               [&](int64_t b, int64_t e) {
                 for (int64_t t = b; t < e; ++t) {
                   const int64_t o = t / nblk, i0 = (t % nblk) * kColBlock;
                   cols(o, i0, std::min(inner, i0 + kColBlock));
                 }
               });
}

template <class T, bool kLog>
void softmax_fwd(const T* x, T* y, int64_t outer, int64_t D, int64_t inner) {
  const T ninf = -std::numeric_limits<T>::infinity();
  for_slices(
      outer, D, inner,
      [&](int64_t o) {
        const T* xr = x + o * D;
        T* yr = y + o * D;
        T m = ninf;
        for (int64_t d = 0; d < D; ++d) m = (xr[d] > m || xr[d] != xr[d]) ? xr[d] : m;
        double s = 0;
        if (kLog) {
          for (int64_t d = 0; d < D; ++d) s += static_cast<double>(act::k_exp(xr[d] - m));
          // (x - m) - log(s), never x - (m + log(s)): near m = 1e6 that sum has lost log(s).
          const T ls = static_cast<T>(std::log(s));
          for (int64_t d = 0; d < D; ++d) yr[d] = (xr[d] - m) - ls;
        } else {
          for (int64_t d = 0; d < D; ++d) {
            const T e = act::k_exp(xr[d] - m);
            yr[d] = e;
            s += static_cast<double>(e);
          }
          const T inv = static_cast<T>(1.0 / s);
          for (int64_t d = 0; d < D; ++d) yr[d] *= inv;
        }
      },
      [&](int64_t o, int64_t i0, int64_t i1) {
        T m[kColBlock];
        double s[kColBlock];
        const int64_t w = i1 - i0;
        for (int64_t j = 0; j < w; ++j) m[j] = ninf, s[j] = 0;
        const T* xb = x + o * D * inner + i0;
        T* yb = y + o * D * inner + i0;
        for (int64_t d = 0; d < D; ++d) {
          const T* xr = xb + d * inner;
          for (int64_t j = 0; j < w; ++j) m[j] = (xr[j] > m[j] || xr[j] != xr[j]) ? xr[j] : m[j];
        }
        for (int64_t d = 0; d < D; ++d) {
          const T* xr = xb + d * inner;
          T* yr = yb + d * inner;
          for (int64_t j = 0; j < w; ++j) {
            const T e = act::k_exp(xr[j] - m[j]);
            if (!kLog) yr[j] = e;
            s[j] += static_cast<double>(e);
          }
        }
        if (kLog) {
          T ls[kColBlock];
          for (int64_t j = 0; j < w; ++j) ls[j] = static_cast<T>(std::log(s[j]));
          for (int64_t d = 0; d < D; ++d)
            for (int64_t j = 0; j < w; ++j) yb[d * inner + j] = (xb[d * inner + j] - m[j]) - ls[j];
        } else {
          T inv[kColBlock];
          for (int64_t j = 0; j < w; ++j) inv[j] = static_cast<T>(1.0 / s[j]);
          for (int64_t d = 0; d < D; ++d)
            for (int64_t j = 0; j < w; ++j) yb[d * inner + j] *= inv[j];
        }
      });
}

template <class T, bool kLog>
void softmax_bwd(const T* g, const T* y, T* dx, int64_t outer, int64_t D, int64_t inner) {
  // softmax: c = sum_d g y, dx = y (g - c).  log_softmax: c = sum_d g, dx = g - exp(y) c.
  for_slices(
      outer, D, inner,
      [&](int64_t o) {
        const T* gr = g + o * D;
        const T* yr = y + o * D;
        T* dr = dx + o * D;
        double c = 0;
        for (int64_t d = 0; d < D; ++d) c += kLog ? gr[d] : static_cast<double>(gr[d]) * yr[d];
        const T ct = static_cast<T>(c);
        for (int64_t d = 0; d < D; ++d)
          dr[d] = kLog ? gr[d] - act::k_exp(yr[d]) * ct : yr[d] * (gr[d] - ct);
      },
      [&](int64_t o, int64_t i0, int64_t i1) {
        double c[kColBlock];
        T ct[kColBlock];
        const int64_t w = i1 - i0, base = o * D * inner + i0;
        for (int64_t j = 0; j < w; ++j) c[j] = 0;
        for (int64_t d = 0; d < D; ++d) {
          const T* gr = g + base + d * inner;
          const T* yr = y + base + d * inner;
          for (int64_t j = 0; j < w; ++j) c[j] += kLog ? gr[j] : static_cast<double>(gr[j]) * yr[j];
        }
        for (int64_t j = 0; j < w; ++j) ct[j] = static_cast<T>(c[j]);
        for (int64_t d = 0; d < D; ++d) {
          const T* gr = g + base + d * inner;
          const T* yr = y + base + d * inner;
          T* dr = dx + base + d * inner;
          for (int64_t j = 0; j < w; ++j)
            dr[j] = kLog ? gr[j] - act::k_exp(yr[j]) * ct[j] : yr[j] * (gr[j] - ct[j]);
        }
      });
}

}  // namespace

KERNELS_DEFINE_POINTWISE_ACTIVATIONS(CpuActLoops)

void softmax_forward(const Tensor& x, int64_t outer, int64_t D, int64_t inner, Tensor& out) {
  KERNELS_DISPATCH_FLOAT(x.dtype, "softmax", [&] {
    softmax_fwd<scalar_t, false>(x.data<scalar_t>(), out.data<scalar_t>(), outer, D, inner);
  });
}
void softmax_backward(const Tensor& grad, const Tensor& y, int64_t outer, int64_t D, int64_t inner,
                          Tensor& dx) {
  KERNELS_DISPATCH_FLOAT(grad.dtype, "softmax_backward", [&] {
    softmax_bwd<scalar_t, false>(grad.data<scalar_t>(), y.data<scalar_t>(), dx.data<scalar_t>(),
                                 outer, D, inner);
  });
}
void log_softmax_forward(const Tensor& x, int64_t outer, int64_t D, int64_t inner, Tensor& out) {
  KERNELS_DISPATCH_FLOAT(x.dtype, "log_softmax", [&] {
    softmax_fwd<scalar_t, true>(x.data<scalar_t>(), out.data<scalar_t>(), outer, D, inner);
  });
}
void log_softmax_backward(const Tensor& grad, const Tensor& y, int64_t outer, int64_t D,
                              int64_t inner, Tensor& dx) {
  KERNELS_DISPATCH_FLOAT(grad.dtype, "log_softmax_backward", [&] {
    softmax_bwd<scalar_t, true>(grad.data<scalar_t>(), y.data<scalar_t>(), dx.data<scalar_t>(),
                                outer, D, inner);
  });
}

}  // namespace kernels::cpu
