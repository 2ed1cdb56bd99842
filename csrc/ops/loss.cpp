#include "loss.h"

#include <cmath>

#include "../common/arg_checks.h"
#include "../common/dispatch.h"
#include "../contracts/loss.h"
#include "copy.h"

namespace kernels {

namespace {

// Reduction plus the "batchmean" of kl_div (a Sum scaled by 1/N).
struct Red {
  Reduction kind = Reduction::Mean;
  bool batchmean = false;
};

Red parse_reduction(const char* op, const std::string& r, bool allow_batchmean = false) {
  if (r == "none") return {Reduction::None, false};
  if (r == "mean") return {Reduction::Mean, false};
  if (r == "sum") return {Reduction::Sum, false};
  if (allow_batchmean && r == "batchmean") return {Reduction::Sum, true};
  KCHECK(false, op, ": reduction must be 'none', 'mean', 'sum'", allow_batchmean ? " or 'batchmean'" : "",
         ", got '", r, "'");
  return {};
}

struct ClassLayout {
  int64_t N = 1, C = 1, K = 1;
};

// input (N, C, d...) / (C,), target (N, d...) / ().
ClassLayout class_layout(const char* op, const Tensor& input, const Tensor& target) {
  check_defined(op, input, "input");
  check_defined(op, target, "target");
  check_floating(op, input);
  KCHECK_TYPE(target.dtype == DType::Int64, op, ": target must be an int64 tensor of class indices, got ",
              target.desc(), " (class-probability targets are not supported)");
  check_same_device(op, input, target);
  KCHECK(input.dim() >= 1, op, ": input must have shape (C,), (N, C) or (N, C, d1, ...), got ",
         shape_str(input.shape));
  check_max_dims(op, input);
  ClassLayout L;
  std::vector<int64_t> want;
  if (input.dim() == 1) {
    L.C = input.shape[0];
  } else {
    L.N = input.shape[0];
    L.C = input.shape[1];
    want.push_back(L.N);
    for (int d = 2; d < input.dim(); ++d) {
      want.push_back(input.shape[d]);
      L.K *= input.shape[d];
    }
  }
  KCHECK(target.shape == want, op, ": expected target of shape ", shape_str(want), " for input ",
         shape_str(input.shape), ", got target ", shape_str(target.shape));
  return L;
}

Tensor optional_class_weight(const char* op, const std::optional<Tensor>& weight, const Tensor& input,
                             int64_t C) {
  if (!weight || !weight->defined()) return Tensor();
  const Tensor& w = *weight;
  check_same_device(op, input, w);
  check_same_dtype(op, input, w);
  KCHECK(w.dim() == 1 && w.shape[0] == C, op, ": weight must have shape (", C, ",) for input ",
         shape_str(input.shape), ", got ", shape_str(w.shape));
  return w;
}

void check_label_fault(const char* op, const LabelFault& f, int64_t C, int64_t ignore_index) {
  KCHECK_INDEX(!f.bad, op, ": target label ", f.value, " is out of bounds for ", C,
               " classes (valid labels are 0..", C - 1, ", or ignore_index=", ignore_index, ")");
}

void check_grad(const char* op, const Tensor& grad, const Tensor& input, const std::vector<int64_t>& want) {
  check_defined(op, grad, "grad");
  check_same_device(op, grad, input);
  check_same_dtype(op, grad, input);
  KCHECK(grad.shape == want, op, ": grad must have shape ", shape_str(want), ", got ",
         shape_str(grad.shape));
}

}  // namespace

std::tuple<Tensor, Tensor, Tensor> cross_entropy_forward(const Tensor& input, const Tensor& target,
                                                         const std::optional<Tensor>& weight,
                                                         int64_t ignore_index,
                                                         const std::string& reduction,
                                                         double label_smoothing) {
  const char* op = "cross_entropy";
  const ClassLayout L = class_layout(op, input, target);
  const Red red = parse_reduction(op, reduction);
  KCHECK(label_smoothing >= 0 && label_smoothing <= 1, op,
         ": label_smoothing must be between 0.0 and 1.0, got ", label_smoothing);
  const Tensor w = optional_class_weight(op, weight, input, L.C);
  Tensor out = Tensor::empty(red.kind == Reduction::None ? target.shape : std::vector<int64_t>{},
                             input.dtype, input.device());
  // Saved for the backward, per position: the row max m and log(sum exp(x - m)), kept apart
  // because their float sum (the log-sum-exp) loses log(s) when |m| is large.
  std::vector<int64_t> stats_shape{2};
  stats_shape.insert(stats_shape.end(), target.shape.begin(), target.shape.end());
  Tensor lse = Tensor::empty(stats_shape, input.dtype, input.device());
  Tensor totals = Tensor::empty({2}, input.dtype, input.device());
  const LabelFault f = KERNELS_ROUTE(input, op, cross_entropy_forward, input, target, w, L.N, L.C, L.K, ignore_index, red.kind, label_smoothing, out, lse, totals);
  check_label_fault(op, f, L.C, ignore_index);
  return {out, lse, totals};
}

Tensor cross_entropy_backward(const Tensor& grad, const Tensor& input, const Tensor& target,
                              const std::optional<Tensor>& weight, const Tensor& lse,
                              const Tensor& totals, int64_t ignore_index, const std::string& reduction,
                              double label_smoothing) {
  const char* op = "cross_entropy_backward";
  const ClassLayout L = class_layout(op, input, target);
  const Red red = parse_reduction(op, reduction);
  const Tensor w = optional_class_weight(op, weight, input, L.C);
  check_grad(op, grad, input, red.kind == Reduction::None ? target.shape : std::vector<int64_t>{});
  std::vector<int64_t> stats_shape{2};
  stats_shape.insert(stats_shape.end(), target.shape.begin(), target.shape.end());
  check_grad(op, lse, input, stats_shape);
  check_grad(op, totals, input, {2});
  Tensor dx = Tensor::empty(input.shape, input.dtype, input.device());
  if (input.numel())
    KERNELS_ROUTE(input, op, cross_entropy_backward, grad, input, target, w, lse, totals, L.N, L.C, L.K, ignore_index, red.kind, label_smoothing, dx);
  return dx;
}

std::tuple<Tensor, Tensor> nll_loss_forward(const Tensor& input, const Tensor& target,
                                            const std::optional<Tensor>& weight, int64_t ignore_index,
                                            const std::string& reduction) {
  const char* op = "nll_loss";
  const ClassLayout L = class_layout(op, input, target);
  const Red red = parse_reduction(op, reduction);
  const Tensor w = optional_class_weight(op, weight, input, L.C);
  Tensor out = Tensor::empty(red.kind == Reduction::None ? target.shape : std::vector<int64_t>{},
                             input.dtype, input.device());
  Tensor totals = Tensor::empty({2}, input.dtype, input.device());
  const LabelFault f = KERNELS_ROUTE(input, op, nll_loss_forward, input, target, w, L.N, L.C, L.K, ignore_index, red.kind, out, totals);
  check_label_fault(op, f, L.C, ignore_index);
  return {out, totals};
}

Tensor nll_loss_backward(const Tensor& grad, const Tensor& input, const Tensor& target,
                         const std::optional<Tensor>& weight, const Tensor& totals,
                         int64_t ignore_index, const std::string& reduction) {
  const char* op = "nll_loss_backward";
  const ClassLayout L = class_layout(op, input, target);
  const Red red = parse_reduction(op, reduction);
  const Tensor w = optional_class_weight(op, weight, input, L.C);
  check_grad(op, grad, input, red.kind == Reduction::None ? target.shape : std::vector<int64_t>{});
  check_grad(op, totals, input, {2});
  Tensor dx = Tensor::empty(input.shape, input.dtype, input.device());
  if (input.numel())
    KERNELS_ROUTE(input, op, nll_loss_backward, grad, target, w, totals, L.N, L.C, L.K, ignore_index, red.kind, dx);
  return dx;
}

// ------------------------------------------------------------------ pointwise losses

namespace {

// `t` broadcast (NumPy rules, trailing dims aligned) and materialised to `shape`.
Tensor expand_to(const char* op, const char* name, const Tensor& t, const Tensor& input) {
  check_same_device(op, input, t);
  check_same_dtype(op, input, t);
  const std::vector<int64_t>& shape = input.shape;
  if (t.shape == shape) return t;
  const int nd = static_cast<int>(shape.size()), td = t.dim();
  bool ok = td <= nd;
  std::vector<int64_t> strides(nd, 0);
  const std::vector<int64_t> ts = t.strides();
  for (int d = 0; ok && d < nd; ++d) {
    const int k = d - (nd - td);
    if (k < 0) continue;
    if (t.shape[k] == shape[d]) strides[d] = ts[k];
    else if (t.shape[k] != 1) ok = false;
  }
  KCHECK(ok, op, ": ", name, " ", shape_str(t.shape), " cannot be broadcast to the input's shape ",
         shape_str(shape));
  return strided_copy_forward(t, shape, strides, 0);
}

struct PointArgs {
  Tensor w, pw;
  Red red;
  double scale = 1;
};

PointArgs check_pointwise(const char* op, const Tensor& input, const Tensor& target,
                          const std::optional<Tensor>& weight, const std::optional<Tensor>& pos_weight,
                          const std::string& reduction, bool allow_batchmean = false) {
  check_defined(op, input, "input");
  check_defined(op, target, "target");
  check_floating(op, input);
  check_same_device(op, input, target);
  KCHECK_TYPE(target.dtype == input.dtype, op, ": target must have the input's dtype ",
              dtype_name(input.dtype), ", got ", target.desc());
  KCHECK(target.shape == input.shape, op, ": target ", shape_str(target.shape),
         " must have the same shape as input ", shape_str(input.shape));
  PointArgs a;
  a.red = parse_reduction(op, reduction, allow_batchmean);
  if (weight && weight->defined()) a.w = expand_to(op, "weight", *weight, input);
  if (pos_weight && pos_weight->defined()) a.pw = expand_to(op, "pos_weight", *pos_weight, input);
  if (a.red.batchmean) a.scale = input.dim() ? 1.0 / static_cast<double>(input.shape[0]) : 1.0;
  else if (a.red.kind == Reduction::Mean) a.scale = 1.0 / static_cast<double>(input.numel());
  return a;
}

Tensor pointwise_forward(const char* op, PointLoss kind, double param, const Tensor& input,
                         const Tensor& target, const std::optional<Tensor>& weight,
                         const std::optional<Tensor>& pos_weight, const std::string& reduction,
                         bool allow_batchmean = false) {
  const PointArgs a = check_pointwise(op, input, target, weight, pos_weight, reduction, allow_batchmean);
  const bool reduce = a.red.kind != Reduction::None;
  Tensor out = Tensor::empty(reduce ? std::vector<int64_t>{} : input.shape, input.dtype, input.device());
  if (input.numel() == 0 && !reduce) return out;
  const bool ok = KERNELS_ROUTE(input, op, pointwise_loss_forward, kind, param, input, target, a.w, a.pw, reduce, a.scale, out);
  if (!ok) {
    // Which one is out of range, from host copies (this path only runs to build the message).
    const auto in_unit = [](const Tensor& t) {
      const Tensor h = to_dtype(to_device(t, Device{}), DType::Float64);
      const double* p = h.data<double>();
      for (int64_t i = 0; i < h.numel(); ++i)
        if (!(p[i] >= 0 && p[i] <= 1)) return false;
      return true;
    };
    const char* which = in_unit(input) ? "target" : "input";
    KCHECK(false, op, ": all elements of ", which, " should be between 0 and 1 (", which, " ",
           shape_str(input.shape), ")");
  }
  return out;
}

LossGrads pointwise_backward(const char* op, PointLoss kind, double param, const Tensor& grad,
                             const Tensor& input, const Tensor& target,
                             const std::optional<Tensor>& weight,
                             const std::optional<Tensor>& pos_weight, const std::string& reduction,
                             const std::vector<bool>& mask, bool allow_batchmean = false) {
  const PointArgs a = check_pointwise(op, input, target, weight, pos_weight, reduction, allow_batchmean);
  const bool reduced = a.red.kind != Reduction::None;
  check_grad(op, grad, input, reduced ? std::vector<int64_t>{} : input.shape);
  KCHECK(mask.size() == 2, op, ": output_mask must have 2 entries, got ", mask.size());
  Tensor dx, dy;
  if (mask[0]) dx = Tensor::empty(input.shape, input.dtype, input.device());
  if (mask[1]) dy = Tensor::empty(input.shape, input.dtype, input.device());
  if (input.numel() && (mask[0] || mask[1]))
    KERNELS_ROUTE(input, op, pointwise_loss_backward, kind, param, grad, reduced, a.scale, input, target, a.w, a.pw, dx, dy);
  std::optional<Tensor> rx, ry;
  if (mask[0]) rx = dx;
  if (mask[1]) ry = dy;
  return {rx, ry};
}

const std::optional<Tensor> kNone;

}  // namespace

Tensor mse_loss_forward(const Tensor& input, const Tensor& target, const std::string& reduction) {
  return pointwise_forward("mse_loss", PointLoss::Mse, 0, input, target, kNone, kNone, reduction);
}
LossGrads mse_loss_backward(const Tensor& grad, const Tensor& input, const Tensor& target,
                            const std::string& reduction, const std::vector<bool>& output_mask) {
  return pointwise_backward("mse_loss_backward", PointLoss::Mse, 0, grad, input, target, kNone, kNone,
                            reduction, output_mask);
}

Tensor l1_loss_forward(const Tensor& input, const Tensor& target, const std::string& reduction) {
  return pointwise_forward("l1_loss", PointLoss::L1, 0, input, target, kNone, kNone, reduction);
}
LossGrads l1_loss_backward(const Tensor& grad, const Tensor& input, const Tensor& target,
                           const std::string& reduction, const std::vector<bool>& output_mask) {
  return pointwise_backward("l1_loss_backward", PointLoss::L1, 0, grad, input, target, kNone, kNone,
                            reduction, output_mask);
}

// beta == 0 is exactly the l1 loss (torch routes it there too).
Tensor smooth_l1_loss_forward(const Tensor& input, const Tensor& target, const std::string& reduction,
                              double beta) {
  KCHECK(beta >= 0, "smooth_l1_loss: beta must be non-negative, got ", beta);
  return pointwise_forward("smooth_l1_loss", beta == 0 ? PointLoss::L1 : PointLoss::SmoothL1, beta,
                           input, target, kNone, kNone, reduction);
}
LossGrads smooth_l1_loss_backward(const Tensor& grad, const Tensor& input, const Tensor& target,
                                  const std::string& reduction, double beta,
                                  const std::vector<bool>& output_mask) {
  KCHECK(beta >= 0, "smooth_l1_loss_backward: beta must be non-negative, got ", beta);
  return pointwise_backward("smooth_l1_loss_backward", beta == 0 ? PointLoss::L1 : PointLoss::SmoothL1,
                            beta, grad, input, target, kNone, kNone, reduction, output_mask);
}

Tensor huber_loss_forward(const Tensor& input, const Tensor& target, const std::string& reduction,
                          double delta) {
  KCHECK(delta > 0, "huber_loss: delta must be positive, got ", delta);
  return pointwise_forward("huber_loss", PointLoss::Huber, delta, input, target, kNone, kNone, reduction);
}
LossGrads huber_loss_backward(const Tensor& grad, const Tensor& input, const Tensor& target,
                              const std::string& reduction, double delta,
                              const std::vector<bool>& output_mask) {
  KCHECK(delta > 0, "huber_loss_backward: delta must be positive, got ", delta);
  return pointwise_backward("huber_loss_backward", PointLoss::Huber, delta, grad, input, target, kNone,
                            kNone, reduction, output_mask);
}

Tensor binary_cross_entropy_forward(const Tensor& input, const Tensor& target,
                                    const std::optional<Tensor>& weight, const std::string& reduction) {
  return pointwise_forward("binary_cross_entropy", PointLoss::Bce, 0, input, target, weight, kNone,
                           reduction);
}
LossGrads binary_cross_entropy_backward(const Tensor& grad, const Tensor& input, const Tensor& target,
                                        const std::optional<Tensor>& weight,
                                        const std::string& reduction,
                                        const std::vector<bool>& output_mask) {
  return pointwise_backward("binary_cross_entropy_backward", PointLoss::Bce, 0, grad, input, target,
                            weight, kNone, reduction, output_mask);
}

Tensor binary_cross_entropy_with_logits_forward(const Tensor& input, const Tensor& target,
                                                const std::optional<Tensor>& weight,
                                                const std::optional<Tensor>& pos_weight,
                                                const std::string& reduction) {
  return pointwise_forward("binary_cross_entropy_with_logits", PointLoss::BceWithLogits, 0, input,
                           target, weight, pos_weight, reduction);
}
LossGrads binary_cross_entropy_with_logits_backward(const Tensor& grad, const Tensor& input,
                                                    const Tensor& target,
                                                    const std::optional<Tensor>& weight,
                                                    const std::optional<Tensor>& pos_weight,
                                                    const std::string& reduction,
                                                    const std::vector<bool>& output_mask) {
  return pointwise_backward("binary_cross_entropy_with_logits_backward", PointLoss::BceWithLogits, 0,
                            grad, input, target, weight, pos_weight, reduction, output_mask);
}

Tensor kl_div_forward(const Tensor& input, const Tensor& target, const std::string& reduction,
                      bool log_target) {
  return pointwise_forward("kl_div", log_target ? PointLoss::KlDivLogTarget : PointLoss::KlDiv, 0,
                           input, target, kNone, kNone, reduction, true);
}
LossGrads kl_div_backward(const Tensor& grad, const Tensor& input, const Tensor& target,
                          const std::string& reduction, bool log_target,
                          const std::vector<bool>& output_mask) {
  return pointwise_backward("kl_div_backward", log_target ? PointLoss::KlDivLogTarget : PointLoss::KlDiv,
                            0, grad, input, target, kNone, kNone, reduction, output_mask, true);
}

}  // namespace kernels
