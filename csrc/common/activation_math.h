// The scalar maths of the pointwise activations and the pointwise losses, written once as small
// functors that the CPU loops (csrc/cpu/activation.cpp, csrc/cpu/loss.cpp) and the CUDA kernels
// (csrc/cuda/activation.cu, csrc/cuda/loss.cu) both call, so the two devices compute the same
// thing. The formulas are listed in the header comments of csrc/cpu/activation.cpp and
// csrc/cpu/loss.cpp. Every functor holds its parameters converted to the scalar type T.
#pragma once
#include <math.h>

#include "strided.h"  // KERNELS_HD

namespace kernels::act {

// Overloads on float/double that work in host and device code alike.
KERNELS_HD float k_exp(float x) { return expf(x); }
KERNELS_HD double k_exp(double x) { return exp(x); }
KERNELS_HD float k_log(float x) { return logf(x); }
KERNELS_HD double k_log(double x) { return log(x); }
KERNELS_HD float k_expm1(float x) { return expm1f(x); }
KERNELS_HD double k_expm1(double x) { return expm1(x); }
KERNELS_HD float k_log1p(float x) { return log1pf(x); }
KERNELS_HD double k_log1p(double x) { return log1p(x); }
KERNELS_HD float k_tanh(float x) { return tanhf(x); }
KERNELS_HD double k_tanh(double x) { return tanh(x); }
KERNELS_HD float k_erf(float x) { return erff(x); }
KERNELS_HD double k_erf(double x) { return erf(x); }
KERNELS_HD float k_abs(float x) { return fabsf(x); }
KERNELS_HD double k_abs(double x) { return fabs(x); }

// sigmoid without overflow: exp is only ever taken of a non-positive number.
template <class T>
KERNELS_HD T k_sigmoid(T x) {
  if (x >= T(0)) return T(1) / (T(1) + k_exp(-x));
  const T e = k_exp(x);
  return e / (T(1) + e);
}
// log(1 + exp(x)) without overflow.
template <class T>
KERNELS_HD T k_softplus(T x) {
  return (x > T(0) ? x : T(0)) + k_log1p(k_exp(-k_abs(x)));
}
template <class T>
KERNELS_HD T k_sign(T x) {
  return T((x > T(0)) - (x < T(0)));
}

// ---------------------------------------------------------------- activations
// Forward: y = f(x). Backward: dx = b(g, s) where s is the saved tensor (the output y for
// sigmoid/tanh, the input x for the rest).

template <class T>
struct Sigmoid {
  KERNELS_HD T fwd(T x) const { return k_sigmoid(x); }
  KERNELS_HD T bwd(T g, T y) const { return g * y * (T(1) - y); }
};
template <class T>
struct Tanh {
  KERNELS_HD T fwd(T x) const { return k_tanh(x); }
  KERNELS_HD T bwd(T g, T y) const { return g * (T(1) - y * y); }
};
template <class T>
struct Relu {  // NaN passes through, as torch.relu
  KERNELS_HD T fwd(T x) const { return x <= T(0) ? T(0) : x; }
  KERNELS_HD T bwd(T g, T x) const { return x <= T(0) ? T(0) : g; }  // NaN passes g, as torch
};
template <class T>
struct LeakyRelu {
  T slope;
  KERNELS_HD T fwd(T x) const { return x > T(0) ? x : x * slope; }
  KERNELS_HD T bwd(T g, T x) const { return x > T(0) ? g : g * slope; }
};
template <class T>
struct Elu {
  T alpha;
  KERNELS_HD T fwd(T x) const { return x > T(0) ? x : alpha * k_expm1(x); }
  KERNELS_HD T bwd(T g, T x) const { return x <= T(0) ? g * alpha * k_exp(x) : g; }  // NaN: g
};
template <class T>
struct Softplus {
  T beta, threshold;
  KERNELS_HD T fwd(T x) const {
    const T bx = beta * x;
    return bx > threshold ? x : k_softplus(bx) / beta;
  }
  KERNELS_HD T bwd(T g, T x) const {
    const T bx = beta * x;
    return bx > threshold ? g : g * k_sigmoid(bx);
  }
};
template <class T>
struct Gelu {  // exact: x * Phi(x)
  KERNELS_HD T fwd(T x) const { return T(0.5) * x * (T(1) + k_erf(x * T(0.70710678118654752440))); }
  KERNELS_HD T bwd(T g, T x) const {
    const T cdf = T(0.5) * (T(1) + k_erf(x * T(0.70710678118654752440)));
    const T pdf = k_exp(T(-0.5) * x * x) * T(0.39894228040143267794);
    return g * (cdf + x * pdf);
  }
};
template <class T>
struct GeluTanh {  // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  KERNELS_HD T fwd(T x) const {
    const T inner = T(0.79788456080286535588) * (x + T(0.044715) * x * x * x);
    return T(0.5) * x * (T(1) + k_tanh(inner));
  }
  KERNELS_HD T bwd(T g, T x) const {
    const T k = T(0.79788456080286535588);
    const T inner = k * (x + T(0.044715) * x * x * x);
    const T t = k_tanh(inner);
    const T dinner = k * (T(1) + T(3) * T(0.044715) * x * x);
    return g * (T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * dinner);
  }
};
template <class T>
struct Silu {
  KERNELS_HD T fwd(T x) const { return x * k_sigmoid(x); }
  KERNELS_HD T bwd(T g, T x) const {
    const T s = k_sigmoid(x);
    return g * s * (T(1) + x * (T(1) - s));
  }
};

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

}  // namespace kernels::act
