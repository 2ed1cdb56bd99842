// Losses: the reduction kinds, the pointwise-loss kinds, the label fault report and the entry
// points both devices implement. The maths is in csrc/cpu/loss.cpp's header comment, the pointwise
// functors in csrc/common/loss_math.h.
#pragma once
#include <cstdint>

#include "../common/tensor.h"
#include "entry_points.h"

namespace kernels {

enum class Reduction : int { None = 0, Mean = 1, Sum = 2 };
// The pointwise losses share one kernel, instantiated per kind with the functors of
// csrc/common/activation_math.h (MseLoss, L1Loss, ...).
enum class PointLoss : int { Mse, L1, SmoothL1, Huber, Bce, BceWithLogits, KlDiv, KlDivLogTarget };

// The first target label outside [0, C) that is not ignore_index (bad == false when none).
struct LabelFault {
  bool bad = false;
  int64_t value = 0;
};

}  // namespace kernels

// The entry points: kernels::cpu (csrc/cpu/) and kernels::cuda (csrc/cuda/) implement this one
// list; csrc/ops/loss.cpp checks the arguments, allocates the outputs and routes.
#define KERNELS_LOSS_ENTRY_POINTS                                                                          \
  /* Class-index losses. input is (N, C, K) (K = product of the trailing dims, 1 for (N,C) and (C,)), */   \
  /* target (N, K) int64, weight (C) or undefined. Outputs: out ((N,K) for Reduction::None, else one */    \
  /* element), lse (N,K) for cross_entropy, totals (2) = [sum of w[target] over non-ignored */             \
  /* positions, sum of w over classes]. */                                                                 \
  LabelFault cross_entropy_forward(const Tensor& input, const Tensor& target, const Tensor& weight,        \
                                   int64_t N, int64_t C, int64_t K, int64_t ignore_index,                  \
                                   Reduction red, double label_smoothing, Tensor& out, Tensor& lse,        \
                                   Tensor& totals);                                                        \
  void cross_entropy_backward(const Tensor& grad, const Tensor& input, const Tensor& target,               \
                              const Tensor& weight, const Tensor& lse, const Tensor& totals,               \
                              int64_t N, int64_t C, int64_t K, int64_t ignore_index, Reduction red,        \
                              double label_smoothing, Tensor& dinput);                                     \
  LabelFault nll_loss_forward(const Tensor& input, const Tensor& target, const Tensor& weight,             \
                              int64_t N, int64_t C, int64_t K, int64_t ignore_index, Reduction red,        \
                              Tensor& out, Tensor& totals);                                                \
  void nll_loss_backward(const Tensor& grad, const Tensor& target, const Tensor& weight,                   \
                         const Tensor& totals, int64_t N, int64_t C, int64_t K, int64_t ignore_index,      \
                         Reduction red, Tensor& dinput);                                                   \
  /* Pointwise losses: x, y and (when defined) w, pw all of one shape. out: x's shape for */               \
  /* Reduction::None, else one element = scale * sum. Returns false when kind == Bce and an input */       \
  /* lies outside [0, 1] (out is then unspecified). */                                                     \
  bool pointwise_loss_forward(PointLoss kind, double param, const Tensor& x, const Tensor& y,              \
                              const Tensor& w, const Tensor& pw, bool reduce, double scale,                \
                              Tensor& out);                                                                \
  /* grad has one element (scaled by `scale`) when `reduced`, else x's shape. dx / dy may be undefined. */ \
  void pointwise_loss_backward(PointLoss kind, double param, const Tensor& grad, bool reduced,             \
                               double scale, const Tensor& x, const Tensor& y, const Tensor& w,            \
                               const Tensor& pw, Tensor& dx, Tensor& dy);

KERNELS_DECLARE_ENTRY_POINTS(KERNELS_LOSS_ENTRY_POINTS)
