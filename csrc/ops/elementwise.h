// Elementwise ops with NumPy broadcasting: argument checks, output allocation, routing by device.
// Binary ops take two tensors of one dtype on one device (the Python layer promotes dtypes first)
// whose shapes broadcast; backward functions return each operand's gradient already summed back
// to that operand's shape (std::nullopt where not asked for).
#pragma once
#include <optional>
#include <utility>
#include <vector>

#include "../common/tensor.h"

namespace kernels {

using OptTensor = std::optional<Tensor>;
using GradPair = std::pair<OptTensor, OptTensor>;

std::vector<int64_t> broadcast_shapes(const std::vector<int64_t>& a, const std::vector<int64_t>& b);
// t summed over broadcast dims down to `shape` (leading dims dropped, size-1 dims kept).
Tensor sum_to(const Tensor& t, const std::vector<int64_t>& shape);

// ---- binary, tensor-tensor (float32/float64/int64; div: float32/float64) ----
Tensor add_forward(const Tensor& a, const Tensor& b);
Tensor sub_forward(const Tensor& a, const Tensor& b);
Tensor mul_forward(const Tensor& a, const Tensor& b);
Tensor div_forward(const Tensor& a, const Tensor& b);
Tensor pow_forward(const Tensor& a, const Tensor& b);
Tensor maximum_forward(const Tensor& a, const Tensor& b);
Tensor minimum_forward(const Tensor& a, const Tensor& b);
GradPair add_backward(const Tensor& grad, const std::vector<int64_t>& a_shape,
                      const std::vector<int64_t>& b_shape, bool need_a, bool need_b);
GradPair sub_backward(const Tensor& grad, const std::vector<int64_t>& a_shape,
                      const std::vector<int64_t>& b_shape, bool need_a, bool need_b);
GradPair mul_backward(const Tensor& grad, const Tensor& a, const Tensor& b, bool need_a, bool need_b);
GradPair div_backward(const Tensor& grad, const Tensor& a, const Tensor& b, bool need_a, bool need_b);
GradPair pow_backward(const Tensor& grad, const Tensor& a, const Tensor& b, bool need_a, bool need_b);
GradPair maximum_backward(const Tensor& grad, const Tensor& a, const Tensor& b, bool need_a, bool need_b);
GradPair minimum_backward(const Tensor& grad, const Tensor& a, const Tensor& b, bool need_a, bool need_b);

// ---- comparisons (any dtype, both the same) and logical ops (bool) -> bool ----
Tensor eq_forward(const Tensor& a, const Tensor& b);
Tensor ne_forward(const Tensor& a, const Tensor& b);
Tensor lt_forward(const Tensor& a, const Tensor& b);
Tensor le_forward(const Tensor& a, const Tensor& b);
Tensor gt_forward(const Tensor& a, const Tensor& b);
Tensor ge_forward(const Tensor& a, const Tensor& b);
Tensor logical_and_forward(const Tensor& a, const Tensor& b);
Tensor logical_or_forward(const Tensor& a, const Tensor& b);
Tensor logical_not_forward(const Tensor& x);

// ---- tensor-scalar: the scalar is a kernel argument, never a tensor ----
Tensor add_scalar_forward(const Tensor& a, double s);   // a + s
Tensor mul_scalar_forward(const Tensor& a, double s);   // a * s
Tensor rsub_scalar_forward(const Tensor& a, double s);  // s - a
Tensor div_scalar_forward(const Tensor& a, double s);   // a / s   (floating a)
Tensor rdiv_scalar_forward(const Tensor& a, double s);  // s / a   (floating a)
Tensor pow_scalar_forward(const Tensor& a, double s);   // a ^ s
Tensor rpow_scalar_forward(const Tensor& a, double s);  // s ^ a
Tensor rdiv_scalar_backward(const Tensor& grad, const Tensor& a, double s);
Tensor pow_scalar_backward(const Tensor& grad, const Tensor& a, double s);
Tensor rpow_scalar_backward(const Tensor& grad, const Tensor& a, double s);
Tensor eq_scalar_forward(const Tensor& a, double s);
Tensor ne_scalar_forward(const Tensor& a, double s);
Tensor lt_scalar_forward(const Tensor& a, double s);
Tensor le_scalar_forward(const Tensor& a, double s);
Tensor gt_scalar_forward(const Tensor& a, double s);
Tensor ge_scalar_forward(const Tensor& a, double s);

// ---- unary ----
Tensor neg_forward(const Tensor& x);   // numeric
Tensor abs_forward(const Tensor& x);   // numeric
Tensor sign_forward(const Tensor& x);  // numeric
Tensor exp_forward(const Tensor& x);   // floating
Tensor log_forward(const Tensor& x);   // floating
Tensor sqrt_forward(const Tensor& x);  // floating
Tensor neg_backward(const Tensor& grad);
Tensor exp_backward(const Tensor& grad, const Tensor& out);
Tensor log_backward(const Tensor& grad, const Tensor& x);
// log1p(x) = log(1 + x), expm1(x) = exp(x) - 1, accurate near 0; sin, cos. Floating only.
Tensor log1p_forward(const Tensor& x);
Tensor expm1_forward(const Tensor& x);
Tensor sin_forward(const Tensor& x);
Tensor cos_forward(const Tensor& x);
Tensor log1p_backward(const Tensor& grad, const Tensor& x);     // g / (1 + x)
Tensor expm1_backward(const Tensor& grad, const Tensor& out);  // g (y + 1)
Tensor sin_backward(const Tensor& grad, const Tensor& x);       // g cos(x)
Tensor cos_backward(const Tensor& grad, const Tensor& x);       // -g sin(x)
Tensor sqrt_backward(const Tensor& grad, const Tensor& out);
Tensor abs_backward(const Tensor& grad, const Tensor& x);
Tensor clamp_forward(const Tensor& x, std::optional<double> min, std::optional<double> max);
Tensor clamp_backward(const Tensor& grad, const Tensor& x, std::optional<double> min,
                      std::optional<double> max);

// ---- where: cond (bool), a, b broadcast three ways ----
Tensor where_forward(const Tensor& cond, const Tensor& a, const Tensor& b);
GradPair where_backward(const Tensor& grad, const Tensor& cond, const std::vector<int64_t>& a_shape,
                        const std::vector<int64_t>& b_shape, bool need_a, bool need_b);

// ---- in place: `other` broadcasts into self's shape; same dtype and device ----
void add_(const Tensor& self, const Tensor& other);
void sub_(const Tensor& self, const Tensor& other);
void mul_(const Tensor& self, const Tensor& other);
void div_(const Tensor& self, const Tensor& other);
void add_scalar_(const Tensor& self, double s);
void mul_scalar_(const Tensor& self, double s);
void div_scalar_(const Tensor& self, double s);
void fill_(const Tensor& self, double value);
void fill_(const Tensor& self, int64_t value);  // exact for int64 tensors
// src may have another dtype or device; its shape must broadcast into self's.
void copy_(const Tensor& self, const Tensor& src);

}  // namespace kernels
