#include "elementwise.h"

#include <cmath>
#include <cstring>

#include "../common/arg_checks.h"
#include "../common/broadcast.h"
#include "../common/cuda_backend.h"
#include "../common/dispatch.h"
#include "../contracts/copy.h"
#include "../contracts/elementwise.h"
#include "copy.h"

namespace kernels {

namespace {

enum class Kinds { Numeric, Floating, Any, Bool };

void check_kind(const char* op, const Tensor& t, Kinds kinds) {
  switch (kinds) {
    case Kinds::Numeric:
      if (is_small_int(t.dtype)) throw_unsupported_dtype(op, t.dtype, "float32, float64 or int64");
      KCHECK_TYPE(is_floating(t.dtype) || t.dtype == DType::Int64, op,
                  ": expected a float32, float64 or int64 tensor, got ", t.desc());
      break;
    case Kinds::Floating:
      if (is_small_int(t.dtype)) throw_unsupported_dtype(op, t.dtype, "float32 or float64");
      check_floating(op, t);
      break;
    case Kinds::Bool:
      KCHECK_TYPE(t.dtype == DType::Bool, op, ": expected a bool tensor, got ", t.desc());
      break;
    case Kinds::Any: break;
  }
}

void check_one(const char* op, const Tensor& t, Kinds kinds, const char* name = "input") {
  check_defined(op, t, name);
  check_max_dims(op, t);
  check_kind(op, t, kinds);
}

// Both operands defined, on one device, of one dtype of the right kind; returns the out shape.
std::vector<int64_t> check_pair(const char* op, const Tensor& a, const Tensor& b, Kinds kinds) {
  check_defined(op, a, "input");
  check_defined(op, b, "other");
  check_same_device(op, a, b);
  check_same_dtype(op, a, b);
  check_kind(op, a, kinds);
  check_max_dims(op, a);
  check_max_dims(op, b);
  return broadcast_shapes(op, a.shape, b.shape);
}

void check_same_shape(const char* op, const Tensor& a, const Tensor& b, const char* na, const char* nb) {
  KCHECK(a.shape == b.shape, op, ": ", na, " ", shape_str(a.shape), " and ", nb, " ",
         shape_str(b.shape), " must have the same shape");
}

Tensor binary(const char* op, BinaryOp bop, const Tensor& a, const Tensor& b, Kinds kinds) {
  const auto shape = check_pair(op, a, b, kinds);
  const bool cmp = is_comparison(bop) || bop == BinaryOp::LogicalAnd || bop == BinaryOp::LogicalOr;
  Tensor out = Tensor::empty(shape, cmp ? DType::Bool : a.dtype, a.device());
  if (out.numel() == 0) return out;
  KERNELS_ROUTE(a, op, binary_forward, bop, a, b, out);
  return out;
}

Tensor scalar(const char* op, ScalarOp sop, const Tensor& a, double s, Kinds kinds) {
  check_one(op, a, kinds);
  // x + 2**70 on int64 would wrap (float tensors overflow to inf, as torch's)
  if (a.dtype == DType::Int64 && !is_comparison(sop)) check_fill_value(op, s, a.dtype);
  Tensor out = Tensor::empty(a.shape, is_comparison(sop) ? DType::Bool : a.dtype, a.device());
  if (out.numel() == 0) return out;
  KERNELS_ROUTE(a, op, scalar_forward, sop, a, s, out);
  return out;
}

Tensor unary(const char* op, UnaryOp uop, const Tensor& x, Kinds kinds) {
  check_one(op, x, kinds);
  Tensor out = Tensor::empty(x.shape, x.dtype, x.device());
  if (out.numel() == 0) return out;
  KERNELS_ROUTE(x, op, unary_forward, uop, x, out);
  return out;
}

// grad (floating) and t: same shape, dtype and device.
void check_grad_like(const char* op, const Tensor& grad, const Tensor& t, const char* name) {
  check_one(op, grad, Kinds::Floating, "grad");
  check_defined(op, t, name);
  check_same_device(op, grad, t);
  check_same_dtype(op, grad, t);
  check_same_shape(op, grad, t, "grad", name);
}

Tensor unary_grad(const char* op, UnaryGradOp gop, const Tensor& grad, const Tensor& t, const char* name) {
  check_grad_like(op, grad, t, name);
  Tensor dx = Tensor::empty(grad.shape, grad.dtype, grad.device());
  if (dx.numel() == 0) return dx;
  KERNELS_ROUTE(grad, op, unary_backward, gop, grad, t, dx);
  return dx;
}

Tensor scalar_grad(const char* op, ScalarGradOp gop, const Tensor& grad, const Tensor& a, double s) {
  check_grad_like(op, grad, a, "input");
  Tensor da = Tensor::empty(grad.shape, grad.dtype, grad.device());
  if (da.numel() == 0) return da;
  KERNELS_ROUTE(grad, op, scalar_backward, gop, grad, a, s, da);
  return da;
}

// Sum a gradient at the output's shape back to an operand's shape (no copy when they agree).
Tensor reduce_to(const Tensor& g, const std::vector<int64_t>& shape) {
  return g.shape == shape ? g : sum_to(g, shape);
}

void check_shape_arg(const char* op, const std::vector<int64_t>& shape, const char* name) {
  KCHECK(static_cast<int>(shape.size()) <= kMaxDims, op, ": ", name, " ", shape_str(shape),
         " has more than ", kMaxDims, " dims");
  for (auto s : shape) KCHECK(s >= 0, op, ": negative dimension in ", name, " ", shape_str(shape));
}

void check_grad_shape(const char* op, const Tensor& grad, const std::vector<int64_t>& expect) {
  KCHECK(grad.shape == expect, op, ": grad has shape ", shape_str(grad.shape),
         " but the broadcast output has shape ", shape_str(expect));
}

// Gradients of a binary op whose operand gradients need the operand values.
GradPair binary_grad(const char* op, BinaryGradOp ga, BinaryGradOp gb, const Tensor& grad,
                     const Tensor& a, const Tensor& b, bool need_a, bool need_b) {
  const auto shape = check_pair(op, a, b, Kinds::Floating);
  check_one(op, grad, Kinds::Floating, "grad");
  check_same_device(op, grad, a);
  check_same_dtype(op, grad, a);
  check_grad_shape(op, grad, shape);
  GradPair r;
  auto one = [&](BinaryGradOp gop, const std::vector<int64_t>& target) {
    Tensor full = Tensor::empty(shape, grad.dtype, grad.device());
    if (full.numel())
      KERNELS_ROUTE(grad, op, binary_grad, gop, grad, a, b, full);
    return reduce_to(full, target);
  };
  if (need_a) r.first = one(ga, a.shape);
  if (need_b) r.second = one(gb, b.shape);
  return r;
}

void inplace_binary(const char* op, BinaryOp bop, const Tensor& self, const Tensor& other, Kinds kinds) {
  check_pair(op, self, other, kinds);
  check_writable(op, self);
  mark_written(self);
  KCHECK(broadcasts_to(other.shape, self.shape), op, ": the other operand's shape ",
         shape_str(other.shape), " cannot be broadcast to the shape ", shape_str(self.shape),
         " of the tensor updated in place");
  Tensor out = self;
  if (out.numel() == 0) return;
  // An operand overlapping the output other than element for element (x -= x[0],
  // x[1:] += x[:-1]) would read values already overwritten: read it from a copy.
  const bool same_view = other.offset == self.offset && other.shape == self.shape;
  const Tensor o = other.storage == self.storage && !same_view ? clone(other) : other;
  KERNELS_ROUTE(self, op, binary_forward, bop, self, o, out);
}

void inplace_scalar(const char* op, ScalarOp sop, const Tensor& self, double s, Kinds kinds) {
  check_one(op, self, kinds, "self");
  check_writable(op, self);
  mark_written(self);
  if (self.dtype == DType::Int64) check_fill_value(op, s, self.dtype);
  Tensor out = self;
  if (out.numel() == 0) return;
  KERNELS_ROUTE(self, op, scalar_forward, sop, self, s, out);
}

}  // namespace

std::vector<int64_t> broadcast_shapes(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  return broadcast_shapes("broadcast_shapes", a, b);
}

Tensor sum_to(const Tensor& t, const std::vector<int64_t>& shape) {
  check_one("sum_to", t, Kinds::Numeric);
  check_shape_arg("sum_to", shape, "shape");
  KCHECK(broadcasts_to(shape, t.shape), "sum_to: shape ", shape_str(shape),
         " is not broadcast-compatible with the tensor's shape ", shape_str(t.shape),
         " (it must have at most as many dims, each 1 or equal to the tensor's, aligned right)");
  Tensor out = Tensor::empty(shape, t.dtype, t.device());
  if (out.numel() == 0) return out;
  KERNELS_ROUTE(t, "sum_to", sum_to, t, out);
  return out;
}

// ---- binary ----
Tensor add_forward(const Tensor& a, const Tensor& b) { return binary("add", BinaryOp::Add, a, b, Kinds::Numeric); }
Tensor sub_forward(const Tensor& a, const Tensor& b) { return binary("sub", BinaryOp::Sub, a, b, Kinds::Numeric); }
Tensor mul_forward(const Tensor& a, const Tensor& b) { return binary("mul", BinaryOp::Mul, a, b, Kinds::Numeric); }
Tensor div_forward(const Tensor& a, const Tensor& b) { return binary("div", BinaryOp::Div, a, b, Kinds::Floating); }
Tensor pow_forward(const Tensor& a, const Tensor& b) { return binary("pow", BinaryOp::Pow, a, b, Kinds::Numeric); }
Tensor maximum_forward(const Tensor& a, const Tensor& b) { return binary("maximum", BinaryOp::Maximum, a, b, Kinds::Numeric); }
Tensor minimum_forward(const Tensor& a, const Tensor& b) { return binary("minimum", BinaryOp::Minimum, a, b, Kinds::Numeric); }

static GradPair add_sub_backward(const char* op, bool negate_b, const Tensor& grad,
                                 const std::vector<int64_t>& a_shape,
                                 const std::vector<int64_t>& b_shape, bool need_a, bool need_b) {
  check_one(op, grad, Kinds::Floating, "grad");
  check_shape_arg(op, a_shape, "input shape");
  check_shape_arg(op, b_shape, "other shape");
  check_grad_shape(op, grad, broadcast_shapes(op, a_shape, b_shape));
  GradPair r;
  // A gradient is returned in new memory even where no sum is needed: the two operands (and the
  // caller's grad) must never share a buffer that a later in-place update could touch twice.
  if (need_a) r.first = sum_to(grad, a_shape);
  if (need_b) r.second = negate_b ? neg_forward(reduce_to(grad, b_shape)) : sum_to(grad, b_shape);
  return r;
}

GradPair add_backward(const Tensor& grad, const std::vector<int64_t>& a_shape,
                      const std::vector<int64_t>& b_shape, bool need_a, bool need_b) {
  return add_sub_backward("add_backward", false, grad, a_shape, b_shape, need_a, need_b);
}
GradPair sub_backward(const Tensor& grad, const std::vector<int64_t>& a_shape,
                      const std::vector<int64_t>& b_shape, bool need_a, bool need_b) {
  return add_sub_backward("sub_backward", true, grad, a_shape, b_shape, need_a, need_b);
}
GradPair mul_backward(const Tensor& grad, const Tensor& a, const Tensor& b, bool need_a, bool need_b) {
  return binary_grad("mul_backward", BinaryGradOp::MulA, BinaryGradOp::MulB, grad, a, b, need_a, need_b);
}
GradPair div_backward(const Tensor& grad, const Tensor& a, const Tensor& b, bool need_a, bool need_b) {
  return binary_grad("div_backward", BinaryGradOp::DivA, BinaryGradOp::DivB, grad, a, b, need_a, need_b);
}
GradPair pow_backward(const Tensor& grad, const Tensor& a, const Tensor& b, bool need_a, bool need_b) {
  return binary_grad("pow_backward", BinaryGradOp::PowA, BinaryGradOp::PowB, grad, a, b, need_a, need_b);
}
GradPair maximum_backward(const Tensor& grad, const Tensor& a, const Tensor& b, bool need_a, bool need_b) {
  return binary_grad("maximum_backward", BinaryGradOp::MaxA, BinaryGradOp::MaxB, grad, a, b, need_a, need_b);
}
GradPair minimum_backward(const Tensor& grad, const Tensor& a, const Tensor& b, bool need_a, bool need_b) {
  return binary_grad("minimum_backward", BinaryGradOp::MinA, BinaryGradOp::MinB, grad, a, b, need_a, need_b);
}

// ---- comparisons, logical ----
Tensor eq_forward(const Tensor& a, const Tensor& b) { return binary("eq", BinaryOp::Eq, a, b, Kinds::Any); }
Tensor ne_forward(const Tensor& a, const Tensor& b) { return binary("ne", BinaryOp::Ne, a, b, Kinds::Any); }
Tensor lt_forward(const Tensor& a, const Tensor& b) { return binary("lt", BinaryOp::Lt, a, b, Kinds::Any); }
Tensor le_forward(const Tensor& a, const Tensor& b) { return binary("le", BinaryOp::Le, a, b, Kinds::Any); }
Tensor gt_forward(const Tensor& a, const Tensor& b) { return binary("gt", BinaryOp::Gt, a, b, Kinds::Any); }
Tensor ge_forward(const Tensor& a, const Tensor& b) { return binary("ge", BinaryOp::Ge, a, b, Kinds::Any); }
Tensor logical_and_forward(const Tensor& a, const Tensor& b) {
  return binary("logical_and", BinaryOp::LogicalAnd, a, b, Kinds::Bool);
}
Tensor logical_or_forward(const Tensor& a, const Tensor& b) {
  return binary("logical_or", BinaryOp::LogicalOr, a, b, Kinds::Bool);
}
Tensor logical_not_forward(const Tensor& x) { return unary("logical_not", UnaryOp::LogicalNot, x, Kinds::Bool); }

// ---- tensor-scalar ----
Tensor add_scalar_forward(const Tensor& a, double s) { return scalar("add", ScalarOp::Add, a, s, Kinds::Numeric); }
Tensor mul_scalar_forward(const Tensor& a, double s) { return scalar("mul", ScalarOp::Mul, a, s, Kinds::Numeric); }
Tensor rsub_scalar_forward(const Tensor& a, double s) { return scalar("rsub", ScalarOp::RSub, a, s, Kinds::Numeric); }
Tensor div_scalar_forward(const Tensor& a, double s) { return scalar("div", ScalarOp::Div, a, s, Kinds::Floating); }
Tensor rdiv_scalar_forward(const Tensor& a, double s) { return scalar("rdiv", ScalarOp::RDiv, a, s, Kinds::Floating); }
Tensor pow_scalar_forward(const Tensor& a, double s) {
  if (a.defined() && a.dtype == DType::Int64) {
    KCHECK(s == std::floor(s), "pow: an int64 tensor needs an integer exponent, got ", s);
    KCHECK_RUNTIME(s >= 0, "pow: integers to negative integer powers are not allowed (exponent ", s, ")");
  }
  return scalar("pow", ScalarOp::Pow, a, s, Kinds::Numeric);
}
Tensor rpow_scalar_forward(const Tensor& a, double s) {
  if (a.defined() && a.dtype == DType::Int64)
    KCHECK(s == std::floor(s), "pow: an int64 exponent tensor needs an integer base, got ", s);
  return scalar("pow", ScalarOp::RPow, a, s, Kinds::Numeric);
}
Tensor rdiv_scalar_backward(const Tensor& grad, const Tensor& a, double s) {
  return scalar_grad("rdiv_backward", ScalarGradOp::RDiv, grad, a, s);
}
Tensor pow_scalar_backward(const Tensor& grad, const Tensor& a, double s) {
  return scalar_grad("pow_backward", ScalarGradOp::Pow, grad, a, s);
}
Tensor rpow_scalar_backward(const Tensor& grad, const Tensor& a, double s) {
  return scalar_grad("pow_backward", ScalarGradOp::RPow, grad, a, s);
}
Tensor eq_scalar_forward(const Tensor& a, double s) { return scalar("eq", ScalarOp::Eq, a, s, Kinds::Any); }
Tensor ne_scalar_forward(const Tensor& a, double s) { return scalar("ne", ScalarOp::Ne, a, s, Kinds::Any); }
Tensor lt_scalar_forward(const Tensor& a, double s) { return scalar("lt", ScalarOp::Lt, a, s, Kinds::Any); }
Tensor le_scalar_forward(const Tensor& a, double s) { return scalar("le", ScalarOp::Le, a, s, Kinds::Any); }
Tensor gt_scalar_forward(const Tensor& a, double s) { return scalar("gt", ScalarOp::Gt, a, s, Kinds::Any); }
Tensor ge_scalar_forward(const Tensor& a, double s) { return scalar("ge", ScalarOp::Ge, a, s, Kinds::Any); }

// ---- unary ----
Tensor neg_forward(const Tensor& x) { return unary("neg", UnaryOp::Neg, x, Kinds::Numeric); }
Tensor abs_forward(const Tensor& x) { return unary("abs", UnaryOp::Abs, x, Kinds::Numeric); }
Tensor sign_forward(const Tensor& x) { return unary("sign", UnaryOp::Sign, x, Kinds::Numeric); }
Tensor exp_forward(const Tensor& x) { return unary("exp", UnaryOp::Exp, x, Kinds::Floating); }
Tensor log_forward(const Tensor& x) { return unary("log", UnaryOp::Log, x, Kinds::Floating); }
Tensor sqrt_forward(const Tensor& x) { return unary("sqrt", UnaryOp::Sqrt, x, Kinds::Floating); }
Tensor log1p_forward(const Tensor& x) { return unary("log1p", UnaryOp::Log1p, x, Kinds::Floating); }
Tensor expm1_forward(const Tensor& x) { return unary("expm1", UnaryOp::Expm1, x, Kinds::Floating); }
Tensor sin_forward(const Tensor& x) { return unary("sin", UnaryOp::Sin, x, Kinds::Floating); }
Tensor cos_forward(const Tensor& x) { return unary("cos", UnaryOp::Cos, x, Kinds::Floating); }
Tensor neg_backward(const Tensor& grad) {
  check_one("neg_backward", grad, Kinds::Floating, "grad");
  return neg_forward(grad);
}
Tensor exp_backward(const Tensor& grad, const Tensor& out) {
  return unary_grad("exp_backward", UnaryGradOp::Exp, grad, out, "output");
}
Tensor log_backward(const Tensor& grad, const Tensor& x) {
  return unary_grad("log_backward", UnaryGradOp::Log, grad, x, "input");
}
Tensor sqrt_backward(const Tensor& grad, const Tensor& out) {
  return unary_grad("sqrt_backward", UnaryGradOp::Sqrt, grad, out, "output");
}
Tensor abs_backward(const Tensor& grad, const Tensor& x) {
  return unary_grad("abs_backward", UnaryGradOp::Abs, grad, x, "input");
}
Tensor log1p_backward(const Tensor& grad, const Tensor& x) {
  return unary_grad("log1p_backward", UnaryGradOp::Log1p, grad, x, "input");
}
Tensor expm1_backward(const Tensor& grad, const Tensor& out) {
  return unary_grad("expm1_backward", UnaryGradOp::Expm1, grad, out, "output");
}
Tensor sin_backward(const Tensor& grad, const Tensor& x) {
  return unary_grad("sin_backward", UnaryGradOp::Sin, grad, x, "input");
}
Tensor cos_backward(const Tensor& grad, const Tensor& x) {
  return unary_grad("cos_backward", UnaryGradOp::Cos, grad, x, "input");
}

static void check_bounds(const char* op, std::optional<double> lo, std::optional<double> hi) {
  KCHECK(lo.has_value() || hi.has_value(), op, ": at least one of min and max must be given");
  KCHECK(!(lo && std::isnan(*lo)) && !(hi && std::isnan(*hi)), op, ": min and max must not be NaN");
}

Tensor clamp_forward(const Tensor& x, std::optional<double> min, std::optional<double> max) {
  check_one("clamp", x, Kinds::Numeric);
  check_bounds("clamp", min, max);
  if (x.dtype == DType::Int64 && min) check_fill_value("clamp", *min, x.dtype);
  if (x.dtype == DType::Int64 && max) check_fill_value("clamp", *max, x.dtype);
  Tensor out = Tensor::empty(x.shape, x.dtype, x.device());
  if (out.numel() == 0) return out;
  const double lo = min.value_or(0), hi = max.value_or(0);
  KERNELS_ROUTE(x, "clamp", clamp_forward, x, lo, hi, min.has_value(), max.has_value(), out);
  return out;
}

Tensor clamp_backward(const Tensor& grad, const Tensor& x, std::optional<double> min,
                      std::optional<double> max) {
  check_grad_like("clamp_backward", grad, x, "input");
  check_bounds("clamp_backward", min, max);
  Tensor dx = Tensor::empty(grad.shape, grad.dtype, grad.device());
  if (dx.numel() == 0) return dx;
  const double lo = min.value_or(0), hi = max.value_or(0);
  KERNELS_ROUTE(grad, "clamp_backward", clamp_backward, grad, x, lo, hi, min.has_value(), max.has_value(), dx);
  return dx;
}

// ---- where ----
Tensor where_forward(const Tensor& cond, const Tensor& a, const Tensor& b) {
  const char* op = "where";
  check_defined(op, cond, "condition");
  check_dtype(op, cond, DType::Bool, "condition");
  check_max_dims(op, cond);
  check_same_device(op, cond, a);
  check_pair(op, a, b, Kinds::Any);
  const auto shape = broadcast_shapes(op, cond.shape, a.shape, b.shape);
  Tensor out = Tensor::empty(shape, a.dtype, a.device());
  if (out.numel() == 0) return out;
  KERNELS_ROUTE(a, op, where_forward, cond, a, b, out);
  return out;
}

GradPair where_backward(const Tensor& grad, const Tensor& cond, const std::vector<int64_t>& a_shape,
                        const std::vector<int64_t>& b_shape, bool need_a, bool need_b) {
  const char* op = "where_backward";
  check_one(op, grad, Kinds::Floating, "grad");
  check_defined(op, cond, "condition");
  check_dtype(op, cond, DType::Bool, "condition");
  check_same_device(op, grad, cond);
  check_shape_arg(op, a_shape, "input shape");
  check_shape_arg(op, b_shape, "other shape");
  check_grad_shape(op, grad, broadcast_shapes(op, cond.shape, a_shape, b_shape));
  GradPair r;
  auto one = [&](bool to_a, const std::vector<int64_t>& target) {
    Tensor full = Tensor::empty(grad.shape, grad.dtype, grad.device());
    if (full.numel())
      KERNELS_ROUTE(grad, op, where_grad, grad, cond, to_a, full);
    return reduce_to(full, target);
  };
  if (need_a) r.first = one(true, a_shape);
  if (need_b) r.second = one(false, b_shape);
  return r;
}

// ---- in place ----
void add_(const Tensor& self, const Tensor& other) { inplace_binary("add_", BinaryOp::Add, self, other, Kinds::Numeric); }
void sub_(const Tensor& self, const Tensor& other) { inplace_binary("sub_", BinaryOp::Sub, self, other, Kinds::Numeric); }
void mul_(const Tensor& self, const Tensor& other) { inplace_binary("mul_", BinaryOp::Mul, self, other, Kinds::Numeric); }
void div_(const Tensor& self, const Tensor& other) { inplace_binary("div_", BinaryOp::Div, self, other, Kinds::Floating); }
void add_scalar_(const Tensor& self, double s) { inplace_scalar("add_", ScalarOp::Add, self, s, Kinds::Numeric); }
void mul_scalar_(const Tensor& self, double s) { inplace_scalar("mul_", ScalarOp::Mul, self, s, Kinds::Numeric); }
void div_scalar_(const Tensor& self, double s) { inplace_scalar("div_", ScalarOp::Div, self, s, Kinds::Floating); }

void fill_(const Tensor& self, double value) {
  check_defined("fill_", self, "self");
  check_writable("fill_", self);
  mark_written(self);
  check_fill_value("fill_", value, self.dtype);
  Tensor out = self;
  if (out.numel() == 0) return;
  KERNELS_ROUTE(self, "fill_", fill, out, value);
}

void fill_(const Tensor& self, int64_t value) {
  if (is_small_int(self.dtype)) {  // an integer's range: negatives wrap into uint8 (-1 -> 255)
    check_defined("fill_", self, "self");
    check_writable("fill_", self);
    mark_written(self);
    check_fill_value("fill_", static_cast<double>(value), self.dtype, /*from_int=*/true);
    Tensor out = self;
    if (out.numel() == 0) return;
    KERNELS_ROUTE(self, "fill_", fill, out, static_cast<double>(value));
    return;
  }
  if (self.dtype != DType::Int64) return fill_(self, static_cast<double>(value));
  check_defined("fill_", self, "self");
  check_writable("fill_", self);
  mark_written(self);
  if (self.numel() == 0) return;
  // The exact value through a 0-d host tensor, broadcast by copy_ (no double on the way).
  Tensor one = Tensor::empty({}, DType::Int64, Device{});
  *one.data<int64_t>() = value;
  copy_(self, one);
}

void copy_(const Tensor& self, const Tensor& src) {
  const char* op = "copy_";
  check_defined(op, self, "self");
  check_defined(op, src, "src");
  check_writable(op, self);
  mark_written(self);
  check_max_dims(op, self);
  KCHECK(broadcasts_to(src.shape, self.shape), op, ": source shape ", shape_str(src.shape),
         " cannot be broadcast to the destination shape ", shape_str(self.shape));
  if (self.numel() == 0) return;
  Tensor s = contiguous(src);  // a strided view as its values
  if (s.device() != self.device()) s = to_device(s, self.device());
  if (s.dtype != self.dtype) s = to_dtype(s, self.dtype);
  if (s.shape != self.shape) {
    // Materialise the broadcast: stride 0 along stretched dims.
    const int lead = self.dim() - s.dim();
    std::vector<int64_t> strides(self.dim(), 0);
    int64_t st = 1;
    for (int d = s.dim() - 1; d >= 0; --d) {
      strides[lead + d] = s.shape[d] == 1 ? 0 : st;
      st *= s.shape[d];
    }
    s = strided_copy_forward(s, self.shape, strides, 0);
  } else if (s.storage == self.storage) {
    s = clone(s);  // never copy a buffer onto itself through overlapping ranges
  }
  if (self.is_cuda())
    cuda::copy_device_to_device(self.raw_data(), s.raw_data(), self.nbytes(), self.device().index,
                                self.device().index);
  else
    std::memcpy(self.raw_data(), s.raw_data(), self.nbytes());
}

}  // namespace kernels
