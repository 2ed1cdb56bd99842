#pragma once
#include <optional>

#include "../common/tensor.h"

namespace kernels {
// Fused optimizer steps (torch.optim's update rules), in place on `param` and its state tensors;
// the maths is in csrc/cpu/optim.cpp. `step` is the step count including this step (1 first).
void sgd_step(Tensor& param, const Tensor& grad, std::optional<Tensor> momentum_buffer, double lr,
              double momentum, double dampening, bool nesterov, double weight_decay, bool maximize,
              bool first_step);
void adagrad_step(Tensor& param, const Tensor& grad, Tensor& state_sum, int64_t step, double lr,
                  double lr_decay, double weight_decay, double eps, bool maximize);
void rmsprop_step(Tensor& param, const Tensor& grad, Tensor& square_avg,
                  std::optional<Tensor> momentum_buffer, std::optional<Tensor> grad_avg, double lr,
                  double alpha, double eps, double weight_decay, double momentum, bool centered,
                  bool maximize);
void adam_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq,
               std::optional<Tensor> max_exp_avg_sq, int64_t step, double lr, double beta1,
               double beta2, double eps, double weight_decay, bool amsgrad,
               bool decoupled_weight_decay, bool maximize);
void adadelta_step(Tensor& param, const Tensor& grad, Tensor& square_avg, Tensor& acc_delta,
                   double lr, double rho, double eps, double weight_decay, bool maximize);
void adamax_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_inf,
                 int64_t step, double lr, double beta1, double beta2, double eps,
                 double weight_decay, bool maximize);
// `mu_product` is the product mu_1 ... mu_{t-1} of NAdam's momentum coefficients (1 before the
// first step); returns mu_1 ... mu_t, rounded to float32 as torch's state keeps it.
double nadam_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq,
                  int64_t step, double mu_product, double lr, double beta1, double beta2,
                  double eps, double weight_decay, double momentum_decay,
                  bool decoupled_weight_decay, bool maximize);
void radam_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq,
                int64_t step, double lr, double beta1, double beta2, double eps,
                double weight_decay, bool decoupled_weight_decay, bool maximize);
}  // namespace kernels
