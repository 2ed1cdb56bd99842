#include "activation.h"

#include <cmath>

#include "../common/arg_checks.h"
#include "../common/dispatch.h"
#include "../contracts/activation.h"

namespace kernels {

namespace {

void check_input(const char* op, const Tensor& x) {
  check_defined(op, x, "input");
  check_floating(op, x);
}

// grad and the saved tensor: same shape, dtype and device.
void check_backward(const char* op, const Tensor& grad, const Tensor& saved, const char* name) {
  check_defined(op, grad, "grad");
  check_defined(op, saved, name);
  check_floating(op, grad);
  check_same_device(op, grad, saved);
  check_same_dtype(op, grad, saved);
  KCHECK(grad.shape == saved.shape, op, ": grad ", shape_str(grad.shape), " and ", name, " ",
         shape_str(saved.shape), " differ in shape");
}

bool parse_gelu(const char* op, const std::string& approximate) {
  KCHECK(approximate == "none" || approximate == "tanh", op,
         ": approximate must be 'none' or 'tanh', got '", approximate, "'");
  return approximate == "tanh";
}

struct Slices {
  int64_t outer = 1, D = 1, inner = 1;
};

Slices slices_of(const char* op, const std::vector<int64_t>& shape, int64_t dim) {
  const int nd = static_cast<int>(shape.size());
  const int d = wrap_dim(dim, nd == 0 ? 1 : nd, op);
  Slices s;
  if (nd == 0) return s;
  for (int i = 0; i < d; ++i) s.outer *= shape[i];
  s.D = shape[d];
  for (int i = d + 1; i < nd; ++i) s.inner *= shape[i];
  return s;
}

}  // namespace

#define KERNELS_POINTWISE_ACT(NAME, SAVED)                                                         \
  Tensor NAME##_forward(const Tensor& x) {                                                         \
    check_input(#NAME, x);                                                                         \
    Tensor out = Tensor::empty(x.shape, x.dtype, x.device());                                      \
    if (x.numel()) KERNELS_ROUTE(x, #NAME, NAME##_forward, x, out); \
    return out;                                                                                    \
  }                                                                                                \
  Tensor NAME##_backward(const Tensor& grad, const Tensor& s) {                                    \
    check_backward(#NAME "_backward", grad, s, SAVED);                                             \
    Tensor dx = Tensor::empty(grad.shape, grad.dtype, grad.device());                              \
    if (grad.numel())                                                                              \
      KERNELS_ROUTE(grad, #NAME "_backward", NAME##_backward, grad, s, dx);                                            \
    return dx;                                                                                     \
  }

KERNELS_POINTWISE_ACT(sigmoid, "output")
KERNELS_POINTWISE_ACT(tanh, "output")
KERNELS_POINTWISE_ACT(relu, "input")
KERNELS_POINTWISE_ACT(silu, "input")
#undef KERNELS_POINTWISE_ACT

void relu_(Tensor& x) {
  check_input("relu_", x);
  check_writable("relu_", x);
  mark_written(x);
  if (x.numel()) KERNELS_ROUTE(x, "relu_", relu_forward, x, x);
}

// One scalar parameter P, saved input.
#define KERNELS_PARAM_ACT(NAME, P)                                                                 \
  Tensor NAME##_forward(const Tensor& x, double P) {                                               \
    check_input(#NAME, x);                                                                         \
    Tensor out = Tensor::empty(x.shape, x.dtype, x.device());                                      \
    if (x.numel())                                                                                 \
      KERNELS_ROUTE(x, #NAME, NAME##_forward, x, P, out);      \
    return out;                                                                                    \
  }                                                                                                \
  Tensor NAME##_backward(const Tensor& grad, const Tensor& x, double P) {                           \
    check_backward(#NAME "_backward", grad, x, "input");                                           \
    Tensor dx = Tensor::empty(grad.shape, grad.dtype, grad.device());                              \
    if (grad.numel())                                                                              \
      KERNELS_ROUTE(grad, #NAME "_backward", NAME##_backward, grad, x, P, dx);                                         \
    return dx;                                                                                     \
  }

KERNELS_PARAM_ACT(leaky_relu, slope)
KERNELS_PARAM_ACT(elu, alpha)
#undef KERNELS_PARAM_ACT

Tensor softplus_forward(const Tensor& x, double beta, double threshold) {
  check_input("softplus", x);
  KCHECK(beta != 0 && std::isfinite(beta), "softplus: beta must be finite and nonzero, got ", beta);
  Tensor out = Tensor::empty(x.shape, x.dtype, x.device());
  if (x.numel())
    KERNELS_ROUTE(x, "softplus", softplus_forward, x, beta, threshold, out);
  return out;
}
Tensor softplus_backward(const Tensor& grad, const Tensor& x, double beta, double threshold) {
  check_backward("softplus_backward", grad, x, "input");
  Tensor dx = Tensor::empty(grad.shape, grad.dtype, grad.device());
  if (grad.numel())
    KERNELS_ROUTE(grad, "softplus_backward", softplus_backward, grad, x, beta, threshold, dx);
  return dx;
}

Tensor gelu_forward(const Tensor& x, const std::string& approximate) {
  check_input("gelu", x);
  const bool t = parse_gelu("gelu", approximate);
  Tensor out = Tensor::empty(x.shape, x.dtype, x.device());
  if (x.numel()) KERNELS_ROUTE(x, "gelu", gelu_forward, x, t, out);
  return out;
}
Tensor gelu_backward(const Tensor& grad, const Tensor& x, const std::string& approximate) {
  check_backward("gelu_backward", grad, x, "input");
  const bool t = parse_gelu("gelu_backward", approximate);
  Tensor dx = Tensor::empty(grad.shape, grad.dtype, grad.device());
  if (grad.numel())
    KERNELS_ROUTE(grad, "gelu_backward", gelu_backward, grad, x, t, dx);
  return dx;
}

// Normalised along dim, saved output.
#define KERNELS_SOFTMAX_OP(NAME)                                                                   \
  Tensor NAME##_forward(const Tensor& x, int64_t dim) {                                            \
    check_input(#NAME, x);                                                                         \
    const Slices s = slices_of(#NAME, x.shape, dim);                                               \
    Tensor out = Tensor::empty(x.shape, x.dtype, x.device());                                      \
    if (x.numel())                                                                                 \
      KERNELS_ROUTE(x, #NAME, NAME##_forward, x, s.outer, s.D, s.inner, out);                           \
    return out;                                                                                    \
  }                                                                                                \
  Tensor NAME##_backward(const Tensor& grad, const Tensor& y, int64_t dim) {                       \
    check_backward(#NAME "_backward", grad, y, "output");                                          \
    const Slices s = slices_of(#NAME "_backward", y.shape, dim);                                   \
    Tensor dx = Tensor::empty(grad.shape, grad.dtype, grad.device());                              \
    if (grad.numel())                                                                              \
      KERNELS_ROUTE(grad, #NAME "_backward", NAME##_backward, grad, y, s.outer, s.D, s.inner, dx);                     \
    return dx;                                                                                     \
  }

KERNELS_SOFTMAX_OP(softmax)
KERNELS_SOFTMAX_OP(log_softmax)
#undef KERNELS_SOFTMAX_OP

}  // namespace kernels
