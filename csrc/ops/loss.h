#pragma once
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "../common/tensor.h"

namespace kernels {
// reduction: "none" | "mean" | "sum" ("batchmean" too for kl_div). Reduced losses are 0-d.
//
// cross_entropy: input (N, C, d1, ...), (N, C) or (C,); target int64 (N, d1, ...), (N) or ().
// Returns (loss, lse, totals): lse has the target's shape, totals = [W, sum of weight] (W: the sum
// of weight[target] over non-ignored positions, the divisor of "mean").
std::tuple<Tensor, Tensor, Tensor> cross_entropy_forward(const Tensor& input, const Tensor& target,
                                                         const std::optional<Tensor>& weight,
                                                         int64_t ignore_index,
                                                         const std::string& reduction,
                                                         double label_smoothing);
Tensor cross_entropy_backward(const Tensor& grad, const Tensor& input, const Tensor& target,
                              const std::optional<Tensor>& weight, const Tensor& lse,
                              const Tensor& totals, int64_t ignore_index, const std::string& reduction,
                              double label_smoothing);
// nll_loss: input holds log-probabilities, same layouts as cross_entropy. Returns (loss, totals).
std::tuple<Tensor, Tensor> nll_loss_forward(const Tensor& input, const Tensor& target,
                                            const std::optional<Tensor>& weight, int64_t ignore_index,
                                            const std::string& reduction);
Tensor nll_loss_backward(const Tensor& grad, const Tensor& input, const Tensor& target,
                         const std::optional<Tensor>& weight, const Tensor& totals,
                         int64_t ignore_index, const std::string& reduction);

// Pointwise losses: target has the input's shape; weight / pos_weight broadcast to it.
// Backward returns (dinput, dtarget) for the entries of output_mask that are true.
using LossGrads = std::tuple<std::optional<Tensor>, std::optional<Tensor>>;
Tensor mse_loss_forward(const Tensor& input, const Tensor& target, const std::string& reduction);
LossGrads mse_loss_backward(const Tensor& grad, const Tensor& input, const Tensor& target,
                            const std::string& reduction, const std::vector<bool>& output_mask);
Tensor l1_loss_forward(const Tensor& input, const Tensor& target, const std::string& reduction);
LossGrads l1_loss_backward(const Tensor& grad, const Tensor& input, const Tensor& target,
                           const std::string& reduction, const std::vector<bool>& output_mask);
Tensor smooth_l1_loss_forward(const Tensor& input, const Tensor& target, const std::string& reduction,
                              double beta);
LossGrads smooth_l1_loss_backward(const Tensor& grad, const Tensor& input, const Tensor& target,
                                  const std::string& reduction, double beta,
                                  const std::vector<bool>& output_mask);
Tensor huber_loss_forward(const Tensor& input, const Tensor& target, const std::string& reduction,
                          double delta);
LossGrads huber_loss_backward(const Tensor& grad, const Tensor& input, const Tensor& target,
                              const std::string& reduction, double delta,
                              const std::vector<bool>& output_mask);
Tensor binary_cross_entropy_forward(const Tensor& input, const Tensor& target,
                                    const std::optional<Tensor>& weight, const std::string& reduction);
LossGrads binary_cross_entropy_backward(const Tensor& grad, const Tensor& input, const Tensor& target,
                                        const std::optional<Tensor>& weight,
                                        const std::string& reduction,
                                        const std::vector<bool>& output_mask);
Tensor binary_cross_entropy_with_logits_forward(const Tensor& input, const Tensor& target,
                                                const std::optional<Tensor>& weight,
                                                const std::optional<Tensor>& pos_weight,
                                                const std::string& reduction);
LossGrads binary_cross_entropy_with_logits_backward(const Tensor& grad, const Tensor& input,
                                                    const Tensor& target,
                                                    const std::optional<Tensor>& weight,
                                                    const std::optional<Tensor>& pos_weight,
                                                    const std::string& reduction,
                                                    const std::vector<bool>& output_mask);
Tensor kl_div_forward(const Tensor& input, const Tensor& target, const std::string& reduction,
                      bool log_target);
LossGrads kl_div_backward(const Tensor& grad, const Tensor& input, const Tensor& target,
                          const std::string& reduction, bool log_target,
                          const std::vector<bool>& output_mask);
}  // namespace kernels
