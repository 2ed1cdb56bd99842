// CUDA elementwise kernels: the same entry points, with the same contracts, as
// csrc/cpu/elementwise.h (each function is documented there). Arguments are checked by
// csrc/ops/elementwise.cpp; the maths is in csrc/cpu/elementwise.cpp's header comment.
#pragma once
#include "../common/elementwise_math.h"
#include "../common/tensor.h"

namespace kernels {
void binary_forward_cuda(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out);
void scalar_forward_cuda(ScalarOp op, const Tensor& a, double s, Tensor& out);
void unary_forward_cuda(UnaryOp op, const Tensor& x, Tensor& out);
void clamp_forward_cuda(const Tensor& x, double lo, double hi, bool has_lo, bool has_hi, Tensor& out);
void where_forward_cuda(const Tensor& cond, const Tensor& a, const Tensor& b, Tensor& out);

void binary_grad_cuda(BinaryGradOp op, const Tensor& g, const Tensor& a, const Tensor& b, Tensor& out);
void where_grad_cuda(const Tensor& g, const Tensor& cond, bool to_a, Tensor& out);
void unary_backward_cuda(UnaryGradOp op, const Tensor& g, const Tensor& t, Tensor& dx);
void clamp_backward_cuda(const Tensor& g, const Tensor& x, double lo, double hi, bool has_lo,
                         bool has_hi, Tensor& dx);
void scalar_backward_cuda(ScalarGradOp op, const Tensor& g, const Tensor& a, double s, Tensor& da);

void sum_to_cuda(const Tensor& t, Tensor& out);
}  // namespace kernels
