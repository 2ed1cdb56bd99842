// The per-element update rules of the fused optimizer steps, written once as small functions that
// the CPU loops (csrc/cpu/optim.cpp) and the CUDA kernels (csrc/cuda/optim.cu) both call, so the
// two devices compute the same thing. The formulas are listed in csrc/cpu/optim.cpp.
//
// Each update reads every value it needs for element i before it writes anything, so an element
// is never read after it was written, and the loops carry no dependence from one i to the next.
// Structural choices (momentum buffer present, Nesterov, centred, AMSGrad, ...) are template
// flags, so the loops are branch-free; the hyper-parameters come in a small struct of scalar_t,
// cast once from the doubles that Python passes.
#pragma once
#include <math.h>

#include <cstdint>
#include <type_traits>

#include "scalar_math.h"
#include "strided.h"  // KERNELS_HD

namespace kernels::optim {

// ---------------------------------------------------------------- hyper-parameters as Python gives them

struct SgdHyper {
  double lr, momentum, dampening, weight_decay;
  bool nesterov, maximize, first_step;
};
struct AdagradHyper {
  double clr, weight_decay, eps;  // clr: the decayed learning rate of this step
  bool maximize;
};
struct RmspropHyper {
  double lr, alpha, eps, weight_decay, momentum;
  bool centered, maximize;
};
struct AdamHyper {
  double lr, beta1, beta2, eps, weight_decay;
  bool amsgrad, decoupled_weight_decay, maximize;
  double step_size, bias_correction2_sqrt;  // lr / (1 - beta1^t), (1 - beta2^t)^0.5
};

struct AdadeltaHyper {
  double lr, rho, eps, weight_decay;
  bool maximize;
};
struct AdamaxHyper {
  double beta1, beta2, eps, weight_decay;
  bool maximize;
  double clr;  // lr / (1 - beta1^t)
};
struct NadamHyper {
  double lr, beta1, beta2, eps, weight_decay;
  bool decoupled_weight_decay, maximize;
  // Per-step scalars from the host (csrc/ops/optim.cpp), with mu_t = beta1 (1 - 0.5 * 0.96^(t psi))
  // and prod_t = mu_1 ... mu_t: 1 - beta2^t, -lr (1 - mu_t) / (1 - prod_t),
  // -lr mu_{t+1} / (1 - prod_t mu_{t+1}).
  double bias_correction2, grad_coef, exp_avg_coef;
};
struct RadamHyper {
  double lr, beta1, beta2, eps, weight_decay;
  bool decoupled_weight_decay, maximize;
  // Per-step scalars from the host: 1 - beta1^t, (1 - beta2^t)^0.5, and the variance
  // rectification term r_t, used only when rectify (rho_t > 5).
  double bias_correction1, bias_correction2_sqrt, rect;
  bool rectify;
};

using ::kernels::scalar_math::k_abs;   // scalar_math.h
using ::kernels::scalar_math::k_sqrt;  // scalar_math.h

// torch.lerp with a scalar weight w: self + w (end - self) when |w| < 0.5, else
// end - (end - self)(1 - w), the form that keeps the result exact at both ends. Both are
// base + c (end - self) with (base, c) = (self, w) or (end, -(1 - w)); Lerp holds the choice,
// made once per step, so the loops see a select rather than a branch.
template <class T>
struct Lerp {
  bool small;
  T c;
  KERNELS_HD explicit Lerp(T w) : small(w < T(0.5) && w > T(-0.5)), c(small ? w : -(T(1) - w)) {}
};

template <class T>
KERNELS_HD T k_lerp(T self, T end, const Lerp<T>& w) {
  return (w.small ? self : end) + w.c * (end - self);
}

template <class T>
KERNELS_HD T k_max(T a, T b) {
  // NaN propagates, as in torch.maximum.
  return ((a != a) | (a > b)) ? a : b;
}

// ---------------------------------------------------------------- SGD

template <class T>
struct SgdScalars {
  T lr, momentum, one_minus_dampening, weight_decay, sign;  // sign: -1 when maximising
  explicit SgdScalars(const SgdHyper& h)
      : lr(T(h.lr)), momentum(T(h.momentum)), one_minus_dampening(T(1.0 - h.dampening)),
        weight_decay(T(h.weight_decay)), sign(T(h.maximize ? -1 : 1)) {}
};

// MOMENTUM: a momentum buffer is kept; FIRST: it is initialised from this step's direction.
template <bool WD, bool MOMENTUM, bool NESTEROV, bool FIRST, class T>
KERNELS_HD void sgd_update(T* p, const T* g, T* buf, int64_t i, const SgdScalars<T>& s) {
  const T pv = p[i];
  T d = s.sign * g[i];
  if (WD) d = d + s.weight_decay * pv;
  if (MOMENTUM) {
    T b;
    if (FIRST) b = d;
    else b = buf[i] * s.momentum + s.one_minus_dampening * d;
    buf[i] = b;
    d = NESTEROV ? d + s.momentum * b : b;
  }
  p[i] = pv + (-s.lr) * d;
}

// ---------------------------------------------------------------- Adagrad

template <class T>
struct AdagradScalars {
  T clr, weight_decay, eps, sign;  // clr = lr / (1 + (step - 1) * lr_decay)
  explicit AdagradScalars(const AdagradHyper& h)
      : clr(T(h.clr)), weight_decay(T(h.weight_decay)), eps(T(h.eps)), sign(T(h.maximize ? -1 : 1)) {}
};

// Adagrad, RMSprop and Adam come in two halves around their square root: `pre` updates the state
// and returns the argument of the sqrt, `post` takes the root and writes the parameter; both
// devices run post(sqrt(pre)) per element (CUDA through `update`). `pre` never writes p, so `post`
// can recompute the direction d from p and g. The later updates (Adadelta, Adamax, NAdam, RAdam)
// are one function each, with the sqrt inside.
template <bool WD, class T>
KERNELS_HD T adagrad_pre(const T* p, const T* g, T* sum, int64_t i, const AdagradScalars<T>& s) {
  T d = s.sign * g[i];
  if (WD) d = d + s.weight_decay * p[i];
  const T sv = sum[i] + d * d;
  sum[i] = sv;
  return sv;
}

template <bool WD, class T>
KERNELS_HD void adagrad_post(T* p, const T* g, int64_t i, T root, const AdagradScalars<T>& s) {
  const T pv = p[i];
  T d = s.sign * g[i];
  if (WD) d = d + s.weight_decay * pv;
  p[i] = pv + ((-s.clr) * d) / (root + s.eps);
}

template <bool WD, class T>
KERNELS_HD void adagrad_update(T* p, const T* g, T* sum, int64_t i, const AdagradScalars<T>& s) {
  adagrad_post<WD>(p, g, i, k_sqrt(adagrad_pre<WD>(p, g, sum, i, s)), s);
}

// ---------------------------------------------------------------- RMSprop

template <class T>
struct RmspropScalars {
  T lr, alpha, one_minus_alpha, eps, weight_decay, momentum, sign;
  Lerp<T> lerp_w;  // lerp weight 1 - alpha, for the centred gradient average
  explicit RmspropScalars(const RmspropHyper& h)
      : lr(T(h.lr)), alpha(T(h.alpha)), one_minus_alpha(T(1.0 - h.alpha)), eps(T(h.eps)),
        weight_decay(T(h.weight_decay)), momentum(T(h.momentum)), sign(T(h.maximize ? -1 : 1)),
        lerp_w(T(1.0 - h.alpha)) {}
};

template <bool WD, bool CENTERED, class T>
KERNELS_HD T rmsprop_pre(const T* p, const T* g, T* square_avg, T* grad_avg, int64_t i,
                         const RmspropScalars<T>& s) {
  T d = s.sign * g[i];
  if (WD) d = d + s.weight_decay * p[i];
  const T sq = square_avg[i] * s.alpha + (s.one_minus_alpha * d) * d;
  square_avg[i] = sq;
  if (!CENTERED) return sq;
  const T ga = k_lerp(grad_avg[i], d, s.lerp_w);
  grad_avg[i] = ga;
  return sq + (T(-1) * ga) * ga;
}

template <bool WD, bool MOMENTUM, class T>
KERNELS_HD void rmsprop_post(T* p, const T* g, T* buf, int64_t i, T root,
                             const RmspropScalars<T>& s) {
  const T pv = p[i];
  T d = s.sign * g[i];
  if (WD) d = d + s.weight_decay * pv;
  const T avg = root + s.eps;
  if (MOMENTUM) {
    const T b = buf[i] * s.momentum + d / avg;
    buf[i] = b;
    p[i] = pv + (-s.lr) * b;
  } else {
    p[i] = pv + ((-s.lr) * d) / avg;
  }
}

template <bool WD, bool MOMENTUM, bool CENTERED, class T>
KERNELS_HD void rmsprop_update(T* p, const T* g, T* square_avg, T* buf, T* grad_avg, int64_t i,
                               const RmspropScalars<T>& s) {
  rmsprop_post<WD, MOMENTUM>(p, g, buf, i,
                             k_sqrt(rmsprop_pre<WD, CENTERED>(p, g, square_avg, grad_avg, i, s)), s);
}

// ---------------------------------------------------------------- Adam / AdamW

template <class T>
struct AdamScalars {
  Lerp<T> one_minus_beta1;
  T beta2, one_minus_beta2, eps, weight_decay, decay_factor, sign;
  T step_size, bias_correction2_sqrt;  // lr / (1 - beta1^t), sqrt(1 - beta2^t)
  explicit AdamScalars(const AdamHyper& h)
      : one_minus_beta1(T(1.0 - h.beta1)), beta2(T(h.beta2)), one_minus_beta2(T(1.0 - h.beta2)),
        eps(T(h.eps)), weight_decay(T(h.weight_decay)), decay_factor(T(1.0 - h.lr * h.weight_decay)),
        sign(T(h.maximize ? -1 : 1)), step_size(T(h.step_size)),
        bias_correction2_sqrt(T(h.bias_correction2_sqrt)) {}
};

// WD: L2 weight decay folded into the gradient (Adam); DECOUPLED: p *= 1 - lr*wd first (AdamW).
template <bool WD, bool AMSGRAD, class T>
KERNELS_HD T adam_pre(const T* p, const T* g, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq,
                      int64_t i, const AdamScalars<T>& s) {
  T d = s.sign * g[i];
  if (WD) d = d + s.weight_decay * p[i];
  exp_avg[i] = k_lerp(exp_avg[i], d, s.one_minus_beta1);
  const T v = exp_avg_sq[i] * s.beta2 + (s.one_minus_beta2 * d) * d;
  exp_avg_sq[i] = v;
  if (!AMSGRAD) return v;
  const T vmax = k_max(max_exp_avg_sq[i], v);
  max_exp_avg_sq[i] = vmax;
  return vmax;
}

template <bool DECOUPLED, class T>
KERNELS_HD void adam_post(T* p, const T* exp_avg, int64_t i, T root, const AdamScalars<T>& s) {
  T pv = p[i];
  if (DECOUPLED) pv = pv * s.decay_factor;
  const T denom = root / s.bias_correction2_sqrt + s.eps;
  p[i] = pv + ((-s.step_size) * exp_avg[i]) / denom;
}

template <bool WD, bool DECOUPLED, bool AMSGRAD, class T>
KERNELS_HD void adam_update(T* p, const T* g, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq,
                            int64_t i, const AdamScalars<T>& s) {
  adam_post<DECOUPLED>(
      p, exp_avg, i, k_sqrt(adam_pre<WD, AMSGRAD>(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, i, s)),
      s);
}

// ---------------------------------------------------------------- Adadelta

template <class T>
struct AdadeltaScalars {
  T lr, rho, one_minus_rho, eps, weight_decay, sign;
  explicit AdadeltaScalars(const AdadeltaHyper& h)
      : lr(T(h.lr)), rho(T(h.rho)), one_minus_rho(T(1.0 - h.rho)), eps(T(h.eps)),
        weight_decay(T(h.weight_decay)), sign(T(h.maximize ? -1 : 1)) {}
};

template <bool WD, class T>
KERNELS_HD void adadelta_update(T* p, const T* g, T* square_avg, T* acc_delta, int64_t i,
                                const AdadeltaScalars<T>& s) {
  const T pv = p[i];
  T d = s.sign * g[i];
  if (WD) d = d + s.weight_decay * pv;
  const T sq = square_avg[i] * s.rho + (s.one_minus_rho * d) * d;
  square_avg[i] = sq;
  const T acc = acc_delta[i];
  const T delta = (k_sqrt(acc + s.eps) / k_sqrt(sq + s.eps)) * d;
  acc_delta[i] = acc * s.rho + (s.one_minus_rho * delta) * delta;
  p[i] = pv + (-s.lr) * delta;
}

// ---------------------------------------------------------------- Adamax

template <class T>
struct AdamaxScalars {
  Lerp<T> one_minus_beta1;
  T beta2, eps, weight_decay, sign, clr;
  explicit AdamaxScalars(const AdamaxHyper& h)
      : one_minus_beta1(T(1.0 - h.beta1)), beta2(T(h.beta2)), eps(T(h.eps)),
        weight_decay(T(h.weight_decay)), sign(T(h.maximize ? -1 : 1)), clr(T(h.clr)) {}
};

template <bool WD, class T>
KERNELS_HD void adamax_update(T* p, const T* g, T* exp_avg, T* exp_inf, int64_t i,
                              const AdamaxScalars<T>& s) {
  const T pv = p[i];
  T d = s.sign * g[i];
  if (WD) d = d + s.weight_decay * pv;
  const T m = k_lerp(exp_avg[i], d, s.one_minus_beta1);
  exp_avg[i] = m;
  const T u = k_max(exp_inf[i] * s.beta2, k_abs(d) + s.eps);
  exp_inf[i] = u;
  p[i] = pv + ((-s.clr) * m) / u;
}

// ---------------------------------------------------------------- NAdam and RAdam

// The Adam-like moments both share. WD: L2 weight decay folded into the gradient; DECOUPLED:
// p *= 1 - lr*wd first. Updates exp_avg and exp_avg_sq, returns the direction d and the decayed p.
template <class T>
struct AdamMoments {
  Lerp<T> one_minus_beta1;
  T beta2, one_minus_beta2, eps, weight_decay, decay_factor, sign;
  AdamMoments(double lr, double beta1, double beta2_, double eps_, double weight_decay_,
              bool maximize)
      : one_minus_beta1(T(1.0 - beta1)), beta2(T(beta2_)), one_minus_beta2(T(1.0 - beta2_)),
        eps(T(eps_)), weight_decay(T(weight_decay_)), decay_factor(T(1.0 - lr * weight_decay_)),
        sign(T(maximize ? -1 : 1)) {}
};

template <bool WD, bool DECOUPLED, class T>
KERNELS_HD void adam_moments(T& pv, T& d, T& m, T& v, const T* p, const T* g, T* exp_avg,
                             T* exp_avg_sq, int64_t i, const AdamMoments<T>& s) {
  pv = p[i];
  if (DECOUPLED) pv = pv * s.decay_factor;
  d = s.sign * g[i];
  if (WD) d = d + s.weight_decay * pv;
  m = k_lerp(exp_avg[i], d, s.one_minus_beta1);
  exp_avg[i] = m;
  v = exp_avg_sq[i] * s.beta2 + (s.one_minus_beta2 * d) * d;
  exp_avg_sq[i] = v;
}

template <class T>
struct NadamScalars {
  AdamMoments<T> mom;
  T bias_correction2, grad_coef, exp_avg_coef;
  explicit NadamScalars(const NadamHyper& h)
      : mom(h.lr, h.beta1, h.beta2, h.eps, h.weight_decay, h.maximize),
        bias_correction2(T(h.bias_correction2)), grad_coef(T(h.grad_coef)),
        exp_avg_coef(T(h.exp_avg_coef)) {}
};

template <bool WD, bool DECOUPLED, class T>
KERNELS_HD void nadam_update(T* p, const T* g, T* exp_avg, T* exp_avg_sq, int64_t i,
                             const NadamScalars<T>& s) {
  T pv, d, m, v;
  adam_moments<WD, DECOUPLED>(pv, d, m, v, p, g, exp_avg, exp_avg_sq, i, s.mom);
  const T denom = k_sqrt(v / s.bias_correction2) + s.mom.eps;
  pv = pv + (s.grad_coef * d) / denom;
  p[i] = pv + (s.exp_avg_coef * m) / denom;
}

template <class T>
struct RadamScalars {
  AdamMoments<T> mom;
  T lr, bias_correction1, bias_correction2_sqrt, rect;
  explicit RadamScalars(const RadamHyper& h)
      : mom(h.lr, h.beta1, h.beta2, h.eps, h.weight_decay, h.maximize), lr(T(h.lr)),
        bias_correction1(T(h.bias_correction1)), bias_correction2_sqrt(T(h.bias_correction2_sqrt)),
        rect(T(h.rect)) {}
};

// RECTIFY: rho_t > 5, the adaptive step; otherwise the un-adapted momentum step.
template <bool WD, bool DECOUPLED, bool RECTIFY, class T>
KERNELS_HD void radam_update(T* p, const T* g, T* exp_avg, T* exp_avg_sq, int64_t i,
                             const RadamScalars<T>& s) {
  T pv, d, m, v;
  adam_moments<WD, DECOUPLED>(pv, d, m, v, p, g, exp_avg, exp_avg_sq, i, s.mom);
  T update = (m / s.bias_correction1) * s.lr;
  if (RECTIFY) {
    const T adaptive = (T(1) / (k_sqrt(v) + s.mom.eps)) * s.bias_correction2_sqrt;
    update = (update * adaptive) * s.rect;
  }
  p[i] = pv - update;
}

// with_flags(f, b1, b2, ...) calls f(std::bool_constant<b1>{}, std::bool_constant<b2>{}, ...):
// turns run-time switches into template flags of the update functions above (host code only).
template <class F>
void with_flags(F&& f) {
  f();
}
template <class F, class... Rest>
void with_flags(F&& f, bool b, Rest... rest) {
  if (b)
    with_flags([&](auto... c) { f(std::true_type{}, c...); }, rest...);
  else
    with_flags([&](auto... c) { f(std::false_type{}, c...); }, rest...);
}

}  // namespace kernels::optim
