// Dropout: argument checks, output and mask allocation, one call of the shared Philox stream per
// call, and device routing. The maths is in csrc/cpu/dropout.cpp.
#include "dropout.h"

#include "../common/arg_checks.h"
#include "../common/dispatch.h"
#include "../contracts/dropout.h"
#include "random.h"

namespace kernels {

namespace {

void check_p(const char* op, double p) {
  KCHECK(p >= 0 && p <= 1, op, ": dropout probability has to be between 0 and 1, but got ", p);
}

void check_feature_input(const char* op, const Tensor& t) {
  check_defined(op, t, "input");
  check_floating(op, t);
  KCHECK(t.dim() >= 2, op, ": input must have shape (N, C, ...) with at least 2 dims, got ",
         shape_str(t.shape));
  check_max_dims(op, t);
}

}  // namespace

std::tuple<Tensor, Tensor> dropout_forward(const Tensor& x, double p) {
  check_defined("dropout", x, "input");
  check_floating("dropout", x);
  check_p("dropout", p);
  Tensor out = Tensor::empty(x.shape, x.dtype, x.device());
  Tensor mask = Tensor::empty(x.shape, DType::Bool, x.device());
  // Every call consumes one call of the stream, even an empty one, so streams stay aligned.
  const uint64_t seed = current_seed(), call = next_random_call();
  if (x.numel())
    KERNELS_ROUTE(x, "dropout", dropout_forward, x, p, seed, call, out, mask);
  return {out, mask};
}

Tensor dropout_backward(const Tensor& grad, const Tensor& mask, double p) {
  const char* op = "dropout_backward";
  check_defined(op, grad, "grad");
  check_defined(op, mask, "mask");
  check_floating(op, grad);
  check_dtype(op, mask, DType::Bool, "mask");
  check_same_device(op, grad, mask);
  KCHECK(grad.shape == mask.shape, op, ": grad ", shape_str(grad.shape), " and mask ",
         shape_str(mask.shape), " differ in shape");
  check_p(op, p);
  const double scale = p < 1 ? 1.0 / (1.0 - p) : 0.0;
  Tensor dx = Tensor::empty(grad.shape, grad.dtype, grad.device());
  if (grad.numel())
    KERNELS_ROUTE(grad, op, dropout_backward, grad, mask, scale, dx);
  return dx;
}

std::tuple<Tensor, Tensor> feature_dropout_forward(const Tensor& input, double p) {
  const char* op = "feature_dropout";
  check_feature_input(op, input);
  check_p(op, p);
  const int64_t F = input.shape[0] * input.shape[1];
  const int64_t K = F > 0 ? input.numel() / F : 0;
  Tensor out = Tensor::empty(input.shape, input.dtype, input.device());
  Tensor mask = Tensor::empty({input.shape[0], input.shape[1]}, DType::Bool, input.device());
  // Every call consumes one call of the stream, even an empty one, so streams stay aligned.
  const uint64_t seed = current_seed(), call = next_random_call();
  if (F > 0)
    KERNELS_ROUTE(input, op, feature_dropout_forward, input, p, seed, call, F, K, out, mask);
  return {out, mask};
}

Tensor feature_dropout_backward(const Tensor& grad, const Tensor& mask, double p) {
  const char* op = "feature_dropout_backward";
  check_feature_input(op, grad);
  check_defined(op, mask, "mask");
  check_dtype(op, mask, DType::Bool, "mask");
  check_same_device(op, grad, mask);
  const std::vector<int64_t> want{grad.shape[0], grad.shape[1]};
  KCHECK(mask.shape == want, op, ": mask must have shape ", shape_str(want), " for grad ", shape_str(grad.shape),
         ", got ", shape_str(mask.shape));
  check_p(op, p);
  const double scale = p < 1 ? 1.0 / (1.0 - p) : 0.0;
  const int64_t F = grad.shape[0] * grad.shape[1];
  const int64_t K = F > 0 ? grad.numel() / F : 0;
  Tensor dx = Tensor::empty(grad.shape, grad.dtype, grad.device());
  if (F > 0)
    KERNELS_ROUTE(grad, op, feature_dropout_backward, grad, mask, scale, F, K, dx);
  return dx;
}

}  // namespace kernels
