// The scalar maths of the pointwise losses, written once as functors that the CPU loop
// (csrc/cpu/loss.cpp) and the CUDA kernel (csrc/cuda/loss.cu) both call; the formulas are in
// csrc/cpu/loss.cpp's header comment. Every functor holds its parameters converted to T.
#pragma once
#include "../contracts/loss.h"  // PointLoss
#include "activation_math.h"     // k_exp, k_log, ...

namespace kernels::loss_fn {

using act::k_abs;
using act::k_exp;
using act::k_log;
using act::k_log1p;
using act::k_sigmoid;
using act::k_sign;
using act::k_softplus;

// ---------------------------------------------------------------- pointwise losses
// loss(x, y, w, pw): the unreduced loss of input x against target y with weight w (1 when absent)
// and pos_weight pw (1 when absent, only bce_with_logits reads it).
// grad(x, y, w, pw, &dx, &dy): d loss / dx and d loss / dy (without the upstream gradient).

template <class T>
struct MseLoss {
  KERNELS_HD T loss(T x, T y, T, T) const { return (x - y) * (x - y); }
  KERNELS_HD void grad(T x, T y, T, T, T& dx, T& dy) const {
    dx = T(2) * (x - y);
    dy = -dx;
  }
};
template <class T>
struct L1Loss {
  KERNELS_HD T loss(T x, T y, T, T) const { return k_abs(x - y); }
  KERNELS_HD void grad(T x, T y, T, T, T& dx, T& dy) const {
    dx = k_sign(x - y);
    dy = -dx;
  }
};
template <class T>
struct SmoothL1Loss {  // beta > 0 (beta == 0 is routed to L1Loss)
  T beta;
  KERNELS_HD T loss(T x, T y, T, T) const {
    const T d = k_abs(x - y);
    return d < beta ? T(0.5) * d * d / beta : d - T(0.5) * beta;
  }
  KERNELS_HD void grad(T x, T y, T, T, T& dx, T& dy) const {
    const T d = x - y;
    dx = d < -beta ? T(-1) : (d > beta ? T(1) : d / beta);
    dy = -dx;
  }
};
template <class T>
struct HuberLoss {
  T delta;
  KERNELS_HD T loss(T x, T y, T, T) const {
    const T d = k_abs(x - y);
    return d < delta ? T(0.5) * d * d : delta * (d - T(0.5) * delta);
  }
  KERNELS_HD void grad(T x, T y, T, T, T& dx, T& dy) const {
    const T d = x - y;
    dx = d < -delta ? -delta : (d > delta ? delta : d);
    dy = -dx;
  }
};
template <class T>
struct BceLoss {  // x in [0, 1]; each log clamped to >= -100 as torch
  KERNELS_HD static T clog(T v) {
    const T l = k_log(v);
    return l < T(-100) ? T(-100) : l;
  }
  KERNELS_HD T loss(T x, T y, T w, T) const {
    return -w * (y * clog(x) + (T(1) - y) * clog(T(1) - x));
  }
  // As torch: the denominator clamped at 1e-12 (a float constant there, kept here so the two
  // agree to the bit at x = 0 and 1), the target's gradient from the unclamped logs.
  KERNELS_HD void grad(T x, T y, T w, T, T& dx, T& dy) const {
    T den = (T(1) - x) * x;
    const T eps = static_cast<T>(1e-12f);
    if (den < eps) den = eps;
    dx = w * (x - y) / den;
    dy = w * (k_log1p(-x) - k_log(x));
  }
};
template <class T>
struct BceWithLogitsLoss {
  // loss = w * ((1 - y) x + (1 + (pw - 1) y) softplus(-x))
  KERNELS_HD T loss(T x, T y, T w, T pw) const {
    const T lw = T(1) + (pw - T(1)) * y;
    return w * ((T(1) - y) * x + lw * k_softplus(-x));
  }
  KERNELS_HD void grad(T x, T y, T w, T pw, T& dx, T& dy) const {
    const T lw = T(1) + (pw - T(1)) * y;
    dx = w * ((T(1) - y) - lw * k_sigmoid(-x));
    // Without a pos_weight the second term is absent, not 0 * softplus(-x) (NaN at x = -inf).
    dy = w * (pw == T(1) ? -x : -x + (pw - T(1)) * k_softplus(-x));
  }
};
template <class T>
struct KlDivLoss {  // xlogy(y, y) - y x as torch: 0 log 0 = 0, but 0 * (-inf) stays NaN
  KERNELS_HD T loss(T x, T y, T, T) const { return (y == T(0) ? T(0) : y * k_log(y)) - y * x; }
  KERNELS_HD void grad(T x, T y, T, T, T& dx, T& dy) const {
    dx = -y;
    // torch's xlogy gradient at y = 0 is 0 / 0: NaN.
    dy = y == T(0) ? T(NAN) : k_log(y) + T(1) - x;
  }
};
template <class T>
struct KlDivLogTargetLoss {  // exp(y) * (y - x)
  KERNELS_HD T loss(T x, T y, T, T) const { return k_exp(y) * (y - x); }
  KERNELS_HD void grad(T x, T y, T, T, T& dx, T& dy) const {
    const T e = k_exp(y);
    dx = -e;
    dy = e * (y - x + T(1));
  }
};

// Element i of a pointwise loss, w and pw (may be null) read as 1 where absent.
template <class T, class F>
KERNELS_HD T point_loss_at(const F& f, int64_t i, const T* x, const T* y, const T* w, const T* pw) {
  return f.loss(x[i], y[i], w ? w[i] : T(1), pw ? pw[i] : T(1));
}

// Element i of its backward: dx[i], dy[i] (either may be null) from the upstream gradient (one
// value when `reduced`, else one per element) times `scale`.
template <class T, class F>
KERNELS_HD void point_loss_grad_at(const F& f, int64_t i, const T* g, bool reduced, T scale,
                                   const T* x, const T* y, const T* w, const T* pw, T* dx, T* dy) {
  const T gi = (reduced ? g[0] : g[i]) * scale;
  T a, c;
  f.grad(x[i], y[i], w ? w[i] : T(1), pw ? pw[i] : T(1), a, c);
  if (dx) dx[i] = gi * a;
  if (dy) dy[i] = gi * c;
}

// Calls body(functor) with the pointwise-loss functor of `kind` in scalar type T.
template <class T, class Body>
void with_point_loss(PointLoss kind, double param, const Body& body) {
  switch (kind) {
    case PointLoss::Mse: return body(MseLoss<T>{});
    case PointLoss::L1: return body(L1Loss<T>{});
    case PointLoss::SmoothL1: return body(SmoothL1Loss<T>{static_cast<T>(param)});
    case PointLoss::Huber: return body(HuberLoss<T>{static_cast<T>(param)});
    case PointLoss::Bce: return body(BceLoss<T>{});
    case PointLoss::BceWithLogits: return body(BceWithLogitsLoss<T>{});
    case PointLoss::KlDiv: return body(KlDivLoss<T>{});
    case PointLoss::KlDivLogTarget: return body(KlDivLogTargetLoss<T>{});
  }
}

}  // namespace kernels::loss_fn
