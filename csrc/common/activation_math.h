// The scalar maths of the pointwise activations, written once as small functors that the CPU
// loops (csrc/cpu/activation.cpp) and the CUDA kernels (csrc/cuda/activation.cu) both call, so
// the two devices compute the same thing; and the float/double maths overloads (k_exp, ...) that
// the loss functors (loss_math.h) and the RNN cells (rnn_math.h) share. The formulas are in
// csrc/cpu/activation.cpp's header comment. Every functor holds its parameters converted to T.
#pragma once
#include <math.h>

#include "scalar_math.h"
#include "strided.h"  // KERNELS_HD

namespace kernels::act {

using namespace ::kernels::scalar_math;  // k_exp, k_log, ... (scalar_math.h)

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

}  // namespace kernels::act
