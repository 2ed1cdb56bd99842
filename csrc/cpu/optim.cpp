// Fused optimizer steps, the update rules of torch.optim (single-tensor form), one pass per
// parameter. p, g and every state tensor are (N,) views of the same shape; t is the step count
// after this step's increment; d is the update direction. Per element:
//
//   every optimizer:  d = maximize ? -g : g;   d = d + weight_decay * p      (when weight_decay != 0)
//
//   SGD:      (momentum != 0)  buf = first_step ? d : momentum * buf + (1 - dampening) * d
//                              d   = nesterov ? d + momentum * buf : buf
//             p = p - lr * d
//   Adagrad:  clr = lr / (1 + (t - 1) * lr_decay)
//             sum = sum + d^2;   p = p - clr * d / (sqrt(sum) + eps)
//   RMSprop:  sq = alpha * sq + (1 - alpha) * d^2
//             centered: ga = lerp(ga, d, 1 - alpha); avg = sqrt(sq - ga^2) + eps
//             else:     avg = sqrt(sq) + eps
//             momentum > 0: buf = momentum * buf + d / avg;  p = p - lr * buf
//             else:         p = p - lr * d / avg
//   Adam:     AdamW (decoupled): p = p * (1 - lr * weight_decay) instead of the L2 term in d
//             m = lerp(m, d, 1 - beta1);   v = beta2 * v + (1 - beta2) * d^2
//             amsgrad: vmax = max(vmax, v), used in place of v below
//             p = p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
//   Adadelta: sq = rho * sq + (1 - rho) * d^2
//             delta = sqrt(acc + eps) / sqrt(sq + eps) * d
//             acc = rho * acc + (1 - rho) * delta^2;   p = p - lr * delta
//   Adamax:   m = lerp(m, d, 1 - beta1);   u = max(beta2 * u, |d| + eps)
//             p = p - (lr / (1 - beta1^t)) * m / u
//   NAdam:    decoupled: p = p * (1 - lr * weight_decay) instead of the L2 term in d
//             mu_t = beta1 (1 - 0.5 * 0.96^(t * momentum_decay));  prod_t = mu_1 ... mu_t
//             m, v as Adam;   denom = sqrt(v / (1 - beta2^t)) + eps
//             p = p - lr (1 - mu_t) / (1 - prod_t) * d / denom
//                   - lr mu_{t+1} / (1 - prod_t mu_{t+1}) * m / denom
//   RAdam:    decoupled as NAdam;  m, v as Adam;   rho_inf = 2 / (1 - beta2) - 1
//             rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
//             rho_t > 5: r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
//                        p = p - (m / (1 - beta1^t)) * lr * (sqrt(1 - beta2^t) / (sqrt(v) + eps)) * r_t
//             else:      p = p - (m / (1 - beta1^t)) * lr
//   (the per-step scalars, t, mu and r_t among them, are computed once on the host, csrc/ops)
//
// lerp(a, b, w) = a + w (b - a) (torch's form for |w| < 0.5, else b - (b - a)(1 - w)).
// The arithmetic runs in the tensor's own dtype with the hyper-parameters cast to it, as torch
// does on the CPU; the element functions live in csrc/common/optim_math.h, shared with CUDA.
#include "../contracts/optim.h"

#include <algorithm>

#include "../common/dispatch.h"
#include "parallel.h"

namespace kernels::cpu {

using namespace optim;

// The loop every step shares: contiguous chunks over threads, a SIMD loop inside each chunk.
template <class F>
static void for_each_element(int64_t n, const F& f) {
  parallel_for(n, kGrainElementwise, [&](int64_t b, int64_t e) {
#pragma omp simd
    for (int64_t i = b; i < e; ++i) f(i);
  });
}

// For the updates with a square root: post(i, sqrt(pre(i))), pre updating the state and returning
// the sqrt argument, post writing the parameter; one SIMD loop (the build passes -fno-math-errno,
// so the sqrt vectorises).
template <class T, class Pre, class Post>
static void for_each_element_sqrt(int64_t n, const Pre& pre, const Post& post) {
  parallel_for(n, kGrainElementwise, [&](int64_t b, int64_t e) {
#pragma omp simd
    for (int64_t i = b; i < e; ++i) post(i, k_sqrt(static_cast<T>(pre(i))));
  });
}

void sgd_step(Tensor& param, const Tensor& grad, Tensor& buf, const SgdHyper& h) {
  const int64_t n = param.numel();
  const bool mom = h.momentum != 0;
  KERNELS_DISPATCH_FLOAT(param.dtype, "sgd_step", [&] {
    const SgdScalars<scalar_t> s(h);
    scalar_t* p = param.data<scalar_t>();
    const scalar_t* g = grad.data<scalar_t>();
    scalar_t* b = mom ? buf.data<scalar_t>() : nullptr;
    with_flags(
        [&](auto wd, auto mo, auto ne, auto fi) {
          for_each_element(n, [&](int64_t i) {
            sgd_update<decltype(wd)::value, decltype(mo)::value, decltype(ne)::value,
                       decltype(fi)::value>(p, g, b, i, s);
          });
        },
        h.weight_decay != 0, mom, mom && h.nesterov, mom && h.first_step);
  });
}

void adagrad_step(Tensor& param, const Tensor& grad, Tensor& state_sum, const AdagradHyper& h) {
  const int64_t n = param.numel();
  KERNELS_DISPATCH_FLOAT(param.dtype, "adagrad_step", [&] {
    const AdagradScalars<scalar_t> s(h);
    scalar_t* p = param.data<scalar_t>();
    const scalar_t* g = grad.data<scalar_t>();
    scalar_t* sum = state_sum.data<scalar_t>();
    with_flags(
        [&](auto wd) {
          constexpr bool WD = decltype(wd)::value;
          for_each_element_sqrt<scalar_t>(
              n, [&](int64_t i) { return adagrad_pre<WD>(p, g, sum, i, s); },
              [&](int64_t i, scalar_t r) { adagrad_post<WD>(p, g, i, r, s); });
        },
        h.weight_decay != 0);
  });
}

void rmsprop_step(Tensor& param, const Tensor& grad, Tensor& square_avg, Tensor& buf,
                      Tensor& grad_avg, const RmspropHyper& h) {
  const int64_t n = param.numel();
  const bool mom = h.momentum > 0;
  KERNELS_DISPATCH_FLOAT(param.dtype, "rmsprop_step", [&] {
    const RmspropScalars<scalar_t> s(h);
    scalar_t* p = param.data<scalar_t>();
    const scalar_t* g = grad.data<scalar_t>();
    scalar_t* sq = square_avg.data<scalar_t>();
    scalar_t* b = mom ? buf.data<scalar_t>() : nullptr;
    scalar_t* ga = h.centered ? grad_avg.data<scalar_t>() : nullptr;
    with_flags(
        [&](auto wd, auto mo, auto ce) {
          constexpr bool WD = decltype(wd)::value;
          for_each_element_sqrt<scalar_t>(
              n, [&](int64_t i) { return rmsprop_pre<WD, decltype(ce)::value>(p, g, sq, ga, i, s); },
              [&](int64_t i, scalar_t r) { rmsprop_post<WD, decltype(mo)::value>(p, g, b, i, r, s); });
        },
        h.weight_decay != 0, mom, h.centered);
  });
}

void adam_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq,
                   Tensor& max_exp_avg_sq, const AdamHyper& h) {
  const int64_t n = param.numel();
  KERNELS_DISPATCH_FLOAT(param.dtype, "adam_step", [&] {
    const AdamScalars<scalar_t> s(h);
    scalar_t* p = param.data<scalar_t>();
    const scalar_t* g = grad.data<scalar_t>();
    scalar_t* m = exp_avg.data<scalar_t>();
    scalar_t* v = exp_avg_sq.data<scalar_t>();
    scalar_t* vmax = h.amsgrad ? max_exp_avg_sq.data<scalar_t>() : nullptr;
    const bool decay = h.weight_decay != 0;
    with_flags(
        [&](auto wd, auto dec, auto ams) {
          for_each_element_sqrt<scalar_t>(
              n,
              [&](int64_t i) {
                return adam_pre<decltype(wd)::value, decltype(ams)::value>(p, g, m, v, vmax, i, s);
              },
              [&](int64_t i, scalar_t r) { adam_post<decltype(dec)::value>(p, m, i, r, s); });
        },
        decay && !h.decoupled_weight_decay, decay && h.decoupled_weight_decay, h.amsgrad);
  });
}

void adadelta_step(Tensor& param, const Tensor& grad, Tensor& square_avg, Tensor& acc_delta,
                   const AdadeltaHyper& h) {
  const int64_t n = param.numel();
  KERNELS_DISPATCH_FLOAT(param.dtype, "adadelta_step", [&] {
    const AdadeltaScalars<scalar_t> s(h);
    scalar_t* p = param.data<scalar_t>();
    const scalar_t* g = grad.data<scalar_t>();
    scalar_t* sq = square_avg.data<scalar_t>();
    scalar_t* acc = acc_delta.data<scalar_t>();
    with_flags(
        [&](auto wd) {
          for_each_element(n, [&](int64_t i) {
            adadelta_update<decltype(wd)::value>(p, g, sq, acc, i, s);
          });
        },
        h.weight_decay != 0);
  });
}

void adamax_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_inf,
                 const AdamaxHyper& h) {
  const int64_t n = param.numel();
  KERNELS_DISPATCH_FLOAT(param.dtype, "adamax_step", [&] {
    const AdamaxScalars<scalar_t> s(h);
    scalar_t* p = param.data<scalar_t>();
    const scalar_t* g = grad.data<scalar_t>();
    scalar_t* m = exp_avg.data<scalar_t>();
    scalar_t* u = exp_inf.data<scalar_t>();
    with_flags(
        [&](auto wd) {
          for_each_element(n, [&](int64_t i) { adamax_update<decltype(wd)::value>(p, g, m, u, i, s); });
        },
        h.weight_decay != 0);
  });
}

void nadam_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq,
                const NadamHyper& h) {
  const int64_t n = param.numel();
  const bool decay = h.weight_decay != 0;
  KERNELS_DISPATCH_FLOAT(param.dtype, "nadam_step", [&] {
    const NadamScalars<scalar_t> s(h);
    scalar_t* p = param.data<scalar_t>();
    const scalar_t* g = grad.data<scalar_t>();
    scalar_t* m = exp_avg.data<scalar_t>();
    scalar_t* v = exp_avg_sq.data<scalar_t>();
    with_flags(
        [&](auto wd, auto dec) {
          for_each_element(n, [&](int64_t i) {
            nadam_update<decltype(wd)::value, decltype(dec)::value>(p, g, m, v, i, s);
          });
        },
        decay && !h.decoupled_weight_decay, decay && h.decoupled_weight_decay);
  });
}

void radam_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq,
                const RadamHyper& h) {
  const int64_t n = param.numel();
  const bool decay = h.weight_decay != 0;
  KERNELS_DISPATCH_FLOAT(param.dtype, "radam_step", [&] {
    const RadamScalars<scalar_t> s(h);
    scalar_t* p = param.data<scalar_t>();
    const scalar_t* g = grad.data<scalar_t>();
    scalar_t* m = exp_avg.data<scalar_t>();
    scalar_t* v = exp_avg_sq.data<scalar_t>();
    with_flags(
        [&](auto wd, auto dec, auto rect) {
          for_each_element(n, [&](int64_t i) {
            radam_update<decltype(wd)::value, decltype(dec)::value, decltype(rect)::value>(
                p, g, m, v, i, s);
          });
        },
        decay && !h.decoupled_weight_decay, decay && h.decoupled_weight_decay, h.rectify);
  });
}

}  // namespace kernels::cpu
