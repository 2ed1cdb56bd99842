#include "optim.h"

#include <cmath>
#include <initializer_list>
#include <utility>
#include <vector>

#include "../common/arg_checks.h"
#include "../common/cuda_backend.h"
#include "../common/dispatch.h"
#include "../contracts/optim.h"

namespace kernels {

namespace {

void check_param(const char* op, const Tensor& param) {
  check_defined(op, param, "param");
  KCHECK_TYPE(is_floating(param.dtype), op, ": param must be a float32 or float64 tensor, got ",
              param.desc());
}

// `t` (the gradient or a state tensor) must match the parameter in shape, dtype and device.
void check_like_param(const char* op, const Tensor& param, const Tensor& t, const char* name) {
  check_defined(op, t, name);
  KCHECK_RUNTIME(t.device() == param.device(), op, ": ", name, " is on ", t.device().str(),
                 " but param ", shape_str(param.shape), " is on ", param.device().str());
  KCHECK_TYPE(t.dtype == param.dtype, op, ": ", name, " is ", dtype_name(t.dtype), " but param ",
              shape_str(param.shape), " is ", dtype_name(param.dtype));
  KCHECK(t.shape == param.shape, op, ": ", name, " has shape ", shape_str(t.shape),
         " but param has shape ", shape_str(param.shape));
}

// An optional state tensor: required when `needed`, checked when present.
Tensor optional_state(const char* op, const Tensor& param, const std::optional<Tensor>& t,
                      bool needed, const char* name, const char* why) {
  if (!needed) return Tensor();
  KCHECK(t.has_value() && t->defined(), op, ": ", why, " needs a ", name, " for param ",
         shape_str(param.shape), ", got None");
  check_like_param(op, param, *t, name);
  return *t;
}

// The state tensors are written in place; two of them (or one and the parameter) in the same
// memory would make the update read values it has just overwritten.
void check_distinct(const char* op, const Tensor& param,
                    std::initializer_list<std::pair<const Tensor*, const char*>> states) {
  std::vector<std::pair<const Tensor*, const char*>> all{{&param, "param"}};
  for (const auto& s : states)
    if (s.first->defined()) all.push_back(s);
  for (const auto& s : all) {
    check_writable(op, *s.first);
    mark_written(*s.first);  // saved copies of it are now stale (autograd's version check)
  }
  for (size_t i = 0; i < all.size(); ++i)
    for (size_t j = i + 1; j < all.size(); ++j)
      KCHECK(all[i].first->storage != all[j].first->storage, op, ": ", all[i].second, " and ",
             all[j].second, " share memory (param ", shape_str(param.shape),
             "); every state tensor needs its own");
}

void check_finite_nonneg(const char* op, double v, const char* name) {
  KCHECK(std::isfinite(v) && v >= 0, op, ": ", name, " must be a finite number >= 0, got ", v);
}

void check_beta(const char* op, double v, const char* name) {
  KCHECK(v >= 0 && v < 1, op, ": ", name, " must be in [0, 1), got ", v);
}

void check_step(const char* op, int64_t step) {
  KCHECK(step >= 1, op, ": step must be >= 1 (the count including this step), got ", step);
}

// The checks NAdam and RAdam share with Adam: grad and the two moment tensors like param, the
// step count, lr, the betas, eps and weight_decay.
void check_adam_like(const char* op, const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
                     const Tensor& exp_avg_sq, int64_t step, double lr, double beta1, double beta2,
                     double eps, double weight_decay, const char* second_moment = "exp_avg_sq") {
  check_param(op, param);
  check_like_param(op, param, grad, "grad");
  check_like_param(op, param, exp_avg, "exp_avg");
  check_like_param(op, param, exp_avg_sq, second_moment);
  check_step(op, step);
  check_finite_nonneg(op, lr, "lr");
  check_beta(op, beta1, "beta1");
  check_beta(op, beta2, "beta2");
  check_finite_nonneg(op, eps, "eps");
  check_finite_nonneg(op, weight_decay, "weight_decay");
  check_distinct(op, param, {{&exp_avg, "exp_avg"}, {&exp_avg_sq, second_moment}});
}

// NAdam's momentum coefficient mu_t = beta1 (1 - 0.5 * 0.96^(t * momentum_decay)), in double as
// torch computes it.
double nadam_mu(double beta1, double momentum_decay, double t) {
  return beta1 * (1.0 - 0.5 * std::pow(0.96, t * momentum_decay));
}

}  // namespace

void sgd_step(Tensor& param, const Tensor& grad, std::optional<Tensor> momentum_buffer, double lr,
              double momentum, double dampening, bool nesterov, double weight_decay, bool maximize,
              bool first_step) {
  const char* op = "sgd_step";
  check_param(op, param);
  check_like_param(op, param, grad, "grad");
  check_finite_nonneg(op, lr, "lr");
  check_finite_nonneg(op, momentum, "momentum");
  check_finite_nonneg(op, weight_decay, "weight_decay");
  KCHECK(std::isfinite(dampening), op, ": dampening must be finite, got ", dampening);
  KCHECK(!nesterov || (momentum > 0 && dampening == 0), op,
         ": Nesterov momentum requires a momentum and zero dampening, got momentum=", momentum,
         ", dampening=", dampening);
  Tensor buf = optional_state(op, param, momentum_buffer, momentum != 0, "momentum_buffer",
                              "momentum != 0");
  check_distinct(op, param, {{&buf, "momentum_buffer"}});
  if (param.numel() == 0) return;
  const optim::SgdHyper h{lr, momentum, dampening, weight_decay, nesterov, maximize, first_step};
  KERNELS_ROUTE(param, op, sgd_step, param, grad, buf, h);
}

void adagrad_step(Tensor& param, const Tensor& grad, Tensor& state_sum, int64_t step, double lr,
                  double lr_decay, double weight_decay, double eps, bool maximize) {
  const char* op = "adagrad_step";
  check_param(op, param);
  check_like_param(op, param, grad, "grad");
  check_like_param(op, param, state_sum, "state_sum");
  KCHECK(step >= 1, op, ": step must be >= 1 (the count including this step), got ", step);
  check_finite_nonneg(op, lr, "lr");
  check_finite_nonneg(op, lr_decay, "lr_decay");
  check_finite_nonneg(op, weight_decay, "weight_decay");
  check_finite_nonneg(op, eps, "eps");
  check_distinct(op, param, {{&state_sum, "state_sum"}});
  if (param.numel() == 0) return;
  const double clr = lr / (1 + static_cast<double>(step - 1) * lr_decay);
  const optim::AdagradHyper h{clr, weight_decay, eps, maximize};
  KERNELS_ROUTE(param, op, adagrad_step, param, grad, state_sum, h);
}

void rmsprop_step(Tensor& param, const Tensor& grad, Tensor& square_avg,
                  std::optional<Tensor> momentum_buffer, std::optional<Tensor> grad_avg, double lr,
                  double alpha, double eps, double weight_decay, double momentum, bool centered,
                  bool maximize) {
  const char* op = "rmsprop_step";
  check_param(op, param);
  check_like_param(op, param, grad, "grad");
  check_like_param(op, param, square_avg, "square_avg");
  check_finite_nonneg(op, lr, "lr");
  check_finite_nonneg(op, alpha, "alpha");
  check_finite_nonneg(op, eps, "eps");
  check_finite_nonneg(op, weight_decay, "weight_decay");
  check_finite_nonneg(op, momentum, "momentum");
  Tensor buf = optional_state(op, param, momentum_buffer, momentum > 0, "momentum_buffer",
                              "momentum > 0");
  Tensor ga = optional_state(op, param, grad_avg, centered, "grad_avg", "centered=True");
  check_distinct(op, param, {{&square_avg, "square_avg"}, {&buf, "momentum_buffer"}, {&ga, "grad_avg"}});
  if (param.numel() == 0) return;
  const optim::RmspropHyper h{lr, alpha, eps, weight_decay, momentum, centered, maximize};
  KERNELS_ROUTE(param, op, rmsprop_step, param, grad, square_avg, buf, ga, h);
}

void adam_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq,
               std::optional<Tensor> max_exp_avg_sq, int64_t step, double lr, double beta1,
               double beta2, double eps, double weight_decay, bool amsgrad,
               bool decoupled_weight_decay, bool maximize) {
  const char* op = "adam_step";
  check_param(op, param);
  check_like_param(op, param, grad, "grad");
  check_like_param(op, param, exp_avg, "exp_avg");
  check_like_param(op, param, exp_avg_sq, "exp_avg_sq");
  KCHECK(step >= 1, op, ": step must be >= 1 (the count including this step), got ", step);
  check_finite_nonneg(op, lr, "lr");
  check_beta(op, beta1, "beta1");
  check_beta(op, beta2, "beta2");
  check_finite_nonneg(op, eps, "eps");
  check_finite_nonneg(op, weight_decay, "weight_decay");
  Tensor vmax = optional_state(op, param, max_exp_avg_sq, amsgrad, "max_exp_avg_sq", "amsgrad=True");
  check_distinct(op, param,
                 {{&exp_avg, "exp_avg"}, {&exp_avg_sq, "exp_avg_sq"}, {&vmax, "max_exp_avg_sq"}});
  if (param.numel() == 0) return;
  // As torch computes them, in double: beta ** step with a float step.
  const double t = static_cast<double>(step);
  const double bias_correction1 = 1 - std::pow(beta1, t);
  const double bias_correction2 = 1 - std::pow(beta2, t);
  const optim::AdamHyper h{lr, beta1, beta2, eps, weight_decay, amsgrad, decoupled_weight_decay,
                           maximize, lr / bias_correction1, std::pow(bias_correction2, 0.5)};
  KERNELS_ROUTE(param, op, adam_step, param, grad, exp_avg, exp_avg_sq, vmax, h);
}

void adadelta_step(Tensor& param, const Tensor& grad, Tensor& square_avg, Tensor& acc_delta,
                   double lr, double rho, double eps, double weight_decay, bool maximize) {
  const char* op = "adadelta_step";
  check_param(op, param);
  check_like_param(op, param, grad, "grad");
  check_like_param(op, param, square_avg, "square_avg");
  check_like_param(op, param, acc_delta, "acc_delta");
  check_finite_nonneg(op, lr, "lr");
  KCHECK(rho >= 0 && rho <= 1, op, ": rho must be in [0, 1], got ", rho);
  check_finite_nonneg(op, eps, "eps");
  check_finite_nonneg(op, weight_decay, "weight_decay");
  check_distinct(op, param, {{&square_avg, "square_avg"}, {&acc_delta, "acc_delta"}});
  if (param.numel() == 0) return;
  const optim::AdadeltaHyper h{lr, rho, eps, weight_decay, maximize};
  KERNELS_ROUTE(param, op, adadelta_step, param, grad, square_avg, acc_delta, h);
}

void adamax_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_inf,
                 int64_t step, double lr, double beta1, double beta2, double eps,
                 double weight_decay, bool maximize) {
  const char* op = "adamax_step";
  check_adam_like(op, param, grad, exp_avg, exp_inf, step, lr, beta1, beta2, eps, weight_decay, "exp_inf");
  if (param.numel() == 0) return;
  const double clr = lr / (1 - std::pow(beta1, static_cast<double>(step)));
  const optim::AdamaxHyper h{beta1, beta2, eps, weight_decay, maximize, clr};
  KERNELS_ROUTE(param, op, adamax_step, param, grad, exp_avg, exp_inf, h);
}

double nadam_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq,
                  int64_t step, double mu_product, double lr, double beta1, double beta2,
                  double eps, double weight_decay, double momentum_decay,
                  bool decoupled_weight_decay, bool maximize) {
  const char* op = "nadam_step";
  check_adam_like(op, param, grad, exp_avg, exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay);
  check_finite_nonneg(op, momentum_decay, "momentum_decay");
  KCHECK(std::isfinite(mu_product), op, ": mu_product must be finite, got ", mu_product);
  // torch keeps mu_product in a float32 0-d tensor (the default scalar dtype) and multiplies it
  // there, by mu cast to float32; the coefficients below use that rounded value, in double.
  const double t = static_cast<double>(step);
  const double mu = nadam_mu(beta1, momentum_decay, t);
  const double mu_next = nadam_mu(beta1, momentum_decay, t + 1);
  const double prod = static_cast<double>(static_cast<float>(mu_product) * static_cast<float>(mu));
  if (param.numel() == 0) return prod;
  const double grad_coef = -lr * (1.0 - mu) / (1.0 - prod);
  const double exp_avg_coef = (-lr * mu_next) / (1.0 - prod * mu_next);
  const optim::NadamHyper h{lr, beta1, beta2, eps, weight_decay, decoupled_weight_decay, maximize,
                            1 - std::pow(beta2, t), grad_coef, exp_avg_coef};
  KERNELS_ROUTE(param, op, nadam_step, param, grad, exp_avg, exp_avg_sq, h);
  return prod;
}

void radam_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq,
                int64_t step, double lr, double beta1, double beta2, double eps,
                double weight_decay, bool decoupled_weight_decay, bool maximize) {
  const char* op = "radam_step";
  check_adam_like(op, param, grad, exp_avg, exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay);
  if (param.numel() == 0) return;
  // As torch computes them, in double with a float step.
  const double t = static_cast<double>(step);
  const double beta2_t = std::pow(beta2, t);
  const double bias_correction1 = 1 - std::pow(beta1, t);
  const double bias_correction2 = 1 - beta2_t;
  const double rho_inf = 2 / (1 - beta2) - 1;
  const double rho_t = rho_inf - 2 * t * beta2_t / bias_correction2;
  const bool rectify = rho_t > 5.0;
  const double rect =
      rectify ? std::pow((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t),
                         0.5)
              : 1.0;
  const optim::RadamHyper h{lr, beta1, beta2, eps, weight_decay, decoupled_weight_decay, maximize,
                            bias_correction1, std::pow(bias_correction2, 0.5), rect, rectify};
  KERNELS_ROUTE(param, op, radam_step, param, grad, exp_avg, exp_avg_sq, h);
}

}  // namespace kernels
